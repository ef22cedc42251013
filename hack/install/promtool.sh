#!/usr/bin/env bash
# Builds promtool (Prometheus' own rule checker and rule unit-test runner) from the Go module proxy
# once, and prints the binary's path. The test command runs the alert rules' tests with it.
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"
version=$PROMETHEUS_VERSION
dir="$TOOLS_DIR/promtool/$version"
bin="$dir/promtool"
if [[ ! -x $bin ]]; then
  command -v go >/dev/null || die "Go is needed to build promtool"
  log "building promtool (github.com/prometheus/prometheus $version; first time only, a few minutes)"
  rm -rf "$dir.partial"; mkdir -p "$dir.partial"
  (
    cd "$dir.partial"
    printf 'module local/promtool\n\ngo 1.26\n\nrequire github.com/prometheus/prometheus %s\n' "$version" >go.mod
    # Prometheus 3.x is published as the Go module v0.3xx.y: v0.316.0 is Prometheus 3.16.0.
    minor=${version#v0.3}
    GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/prometheus/common/version.Version=3.${minor}" \
      -o promtool github.com/prometheus/prometheus/cmd/promtool
  ) >&2 || die "could not build promtool"
  rm -rf "$dir"; mv "$dir.partial" "$dir"
fi
echo "$bin"
