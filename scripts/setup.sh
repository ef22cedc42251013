# Puts Node 24 on PATH and installs the workspace's npm packages when the lock file changed.
# Sourced by test.sh and demo.sh; also usable by hand: `source scripts/setup.sh`.
# shellcheck shell=bash
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PATH="$(bash "$ROOT/scripts/install/node.sh"):$PATH"
export PATH
if [[ ! -f $ROOT/node_modules/.package-lock.json || $ROOT/package-lock.json -nt $ROOT/node_modules/.package-lock.json ]]; then
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
fi
