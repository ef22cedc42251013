#!/usr/bin/env bash
# Builds hack/manifest-check (Knative Serving's and func's own validation code, from the Go module
# proxy) once per change of its sources, and prints the binary's path.
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"
src="$(cd "$(dirname "$0")/../manifest-check" && pwd)"
hash=$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-16)
bin="$TOOLS_DIR/manifest-check/$hash/manifest-check"
if [[ ! -x $bin ]]; then
  command -v go >/dev/null || die "Go is needed to build hack/manifest-check"
  log "building hack/manifest-check (knative.dev/serving, knative.dev/func; first time only)"
  mkdir -p "$(dirname "$bin")"
  (cd "$src" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -o "$bin" .) >&2 || die "could not build hack/manifest-check"
fi
echo "$bin"
