#!/usr/bin/env bash
# Installs what plait needs and nothing else; quiet and quick when all is there.
#   scripts/setup.sh [build|bench]   (bench implies build)
# apt packages come from deps/apt.txt; npm tarballs from deps/npm.lock, fetched with
# `npm pack` into third_party/cache, checked against their sha256, unpacked into third_party/.
set -euo pipefail
cd "$(dirname "$0")/.."
want=${1:-build}
groups="build"; [ "$want" = bench ] && groups="build bench"

missing=()
for g in $groups; do
  while read -r grp pkg cmd; do
    [ "$grp" = "$g" ] || continue
    if [ -n "${cmd:-}" ] && command -v "$cmd" >/dev/null 2>&1; then continue; fi
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done < <(grep -v '^#' deps/apt.txt)
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

mkdir -p third_party/cache
while read -r dir spec sha; do
  [ -n "$dir" ] || continue
  stamp="third_party/$dir/.sha256"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sha" ]; then continue; fi
  name=${spec%@*}; ver=${spec##*@}
  tgz="third_party/cache/$(echo "${name#@}" | tr / -)-$ver.tgz"
  if [ ! -f "$tgz" ] || ! echo "$sha  $tgz" | sha256sum -c --status; then
    echo "setup: fetching $spec" >&2
    (cd third_party/cache && npm pack --silent "$spec" >/dev/null 2>&1) || {
      echo "setup: npm pack $spec failed (is the npm registry reachable?)" >&2; exit 1; }
  fi
  if ! echo "$sha  $tgz" | sha256sum -c --status; then
    echo "setup: $tgz does not match its pinned sha256 $sha; refusing it" >&2
    rm -f "$tgz"; exit 1
  fi
  rm -rf "third_party/$dir"; mkdir -p "third_party/$dir"
  tar xzf "$tgz" -C "third_party/$dir" --strip-components=1 --no-same-owner
  echo "$sha" > "$stamp"
done < <(grep -v '^#' deps/npm.lock)
