# common.sh - sourced by the integration scripts: strict mode, the binary under test, a
# scratch folder removed on exit (made writable first: some tests take permissions away),
# fail, and `contains` (grep -c, not grep -q: under pipefail an early exit of grep -q can
# fail the producer with SIGPIPE).
set -euo pipefail
PLAIT=${PLAIT_BIN:?}
T=$(mktemp -d); trap 'chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
contains() { grep -c "$@" >/dev/null; }
