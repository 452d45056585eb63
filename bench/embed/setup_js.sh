#!/usr/bin/env bash
# Installs the TF.js reference runtime (pinned versions) into DIR (default build-embed-js/,
# never committed) unless it is already there.  `npm install --ignore-scripts` runs no
# package scripts.  Versions: those make_golden.js in testdata/use-lite names.
set -euo pipefail
dir=${1:-build-embed-js}
pkgs=(@tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs-converter@4.22.0 @tensorflow/tfjs-backend-cpu@4.22.0
      use@npm:@tensorflow-models/universal-sentence-encoder@1.3.3)
have() { # name version
  [ -f "$dir/node_modules/$1/package.json" ] &&
    node -e "process.exit(require('./$dir/node_modules/$1/package.json').version === '$2' ? 0 : 1)"
}
if have @tensorflow/tfjs-core 4.22.0 && have @tensorflow/tfjs-converter 4.22.0 &&
   have @tensorflow/tfjs-backend-cpu 4.22.0 && have use 1.3.3; then
  exit 0
fi
mkdir -p "$dir"
[ -f "$dir/package.json" ] || echo '{"name":"plait-embed-bench-js","private":true}' > "$dir/package.json"
echo "bench/embed: installing the TF.js reference into $dir" >&2
npm install --prefix "$dir" --ignore-scripts --legacy-peer-deps --no-audit --no-fund "${pkgs[@]}" >&2
