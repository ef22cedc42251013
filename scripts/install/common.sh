# Shared paths and helpers for the install scripts. Sourced, not run.
# Everything downloaded or built lives outside the repository, in a cache that survives clones.
# shellcheck shell=bash
set -euo pipefail

TOOLS_DIR="${TODO_TOOLS_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/todo-event-backbone}"
DAPR_VERSION="${DAPR_VERSION:-1.18.2}"
KAFKA_VERSION="${KAFKA_VERSION:-3.9.1}"
NODE_MAJOR="${NODE_MAJOR:-24}"
mkdir -p "$TOOLS_DIR"

log() { printf '[%s] %s\n' "${0##*/}" "$*" >&2; }
die() { log "error: $*"; exit 1; }
