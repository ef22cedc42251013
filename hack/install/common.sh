# Shared paths and helpers for the install scripts. Sourced, not run.
# Everything downloaded or built lives outside the repository, in one cache that survives clones:
# the tools themselves and every download cache they use (Go modules and build cache, npm, Maven),
# so an empty cache really is a first run and nothing lands in the user's own ~/go or ~/.m2.
# Install scripts print exactly one thing on stdout (the path they provide): every tool they run
# writes to stderr, so a caller's `$(...)` captures that path and nothing else.
# shellcheck shell=bash
set -euo pipefail

TOOLS_DIR="${TODO_TOOLS_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/todo-event-backbone}"
# shellcheck source=../versions.sh
source "$(dirname "${BASH_SOURCE[0]}")/../versions.sh"
mkdir -p "$TOOLS_DIR"

export GOPATH="$TOOLS_DIR/go" GOMODCACHE="$TOOLS_DIR/go/mod" GOCACHE="$TOOLS_DIR/go/build"
export npm_config_cache="$TOOLS_DIR/npm"
# shellcheck disable=SC2034 # used by kafka.sh
MAVEN_REPO="$TOOLS_DIR/m2"

log() { printf '[%s] %s\n' "${0##*/}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Downloads a Go module version through the module proxy and prints one field of `go mod download
# -json` (Dir, GoMod, ...). On failure it dies with the proxy's own message (e.g. "410 Gone").
go_module_field() {
  local module=$1 field=$2 json value
  command -v go >/dev/null || die "Go is needed to download $module (none on PATH)"
  json=$(go mod download -json "$module" 2>&1) || true
  value=$(sed -n "s/^[[:space:]]*\"$field\": \"\(.*\)\",\{0,1\}$/\1/p" <<<"$json")
  if [[ -z $value || ! -e $value ]]; then
    die "could not download $module: $(sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p' <<<"$json" | head -n 1)${json:+$'\n'}$json"
  fi
  echo "$value"
}
