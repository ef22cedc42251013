# Puts Node 24 on PATH and installs the workspace's npm packages when the lock file changed.
# Sourced by test.sh, demo.sh, hack/bench/bench.sh and hack/cluster/test.sh (it sets -euo pipefail,
# like every script here).
# shellcheck shell=bash
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../hack/install/common.sh
source "$ROOT/hack/install/common.sh"
node_dir=$(bash "$ROOT/hack/install/node.sh")
[[ -x $node_dir/node ]] || die "hack/install/node.sh gave '$node_dir', which holds no node"
PATH="$node_dir:$PATH"
export PATH
if [[ ! -f $ROOT/node_modules/.package-lock.json || $ROOT/package-lock.json -nt $ROOT/node_modules/.package-lock.json ]]; then
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed (npm's message above)"
fi
