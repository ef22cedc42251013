#!/usr/bin/env bash
# Builds daprd and the Dapr scheduler at DAPR_VERSION from the Go module proxy and caches them.
# `go install github.com/dapr/dapr/cmd/daprd@v…` refuses modules with replace directives, so we
# generate a wrapper module that requires dapr and repeats that release's replace lines.
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"

bin_dir="$TOOLS_DIR/dapr/$DAPR_VERSION"
if [[ -x "$bin_dir/daprd" && -x "$bin_dir/scheduler" ]]; then
  echo "$bin_dir"; exit 0
fi
# An installed Dapr of the same version is good enough.
if command -v daprd >/dev/null && daprd --version 2>/dev/null | grep -qx "$DAPR_VERSION" \
   && command -v scheduler >/dev/null; then
  mkdir -p "$bin_dir"; ln -sf "$(command -v daprd)" "$bin_dir/daprd"
  ln -sf "$(command -v scheduler)" "$bin_dir/scheduler"; echo "$bin_dir"; exit 0
fi
command -v go >/dev/null || die "Go is needed to build daprd (none on PATH)"

work="$TOOLS_DIR/dapr/build-$DAPR_VERSION"
rm -rf "$work"; mkdir -p "$work"; cd "$work" || exit 1
log "building daprd + scheduler $DAPR_VERSION from the Go module proxy (first time only, several minutes)"
gomod=$(go_module_field "github.com/dapr/dapr@v$DAPR_VERSION" GoMod)
go_line=$(grep -m1 '^go ' "$gomod")
{
  echo "module local/daprbuild"; echo; echo "$go_line"; echo
  echo "require github.com/dapr/dapr v$DAPR_VERSION"; echo
  # Copy every replace directive (single-line and block form) of that release.
  awk '/^replace \(/{b=1; print; next} b{print; if ($0 ~ /^\)/) b=0; next} /^replace /{print}' "$gomod"
} > go.mod
cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "github.com/dapr/dapr/cmd/daprd"
	_ "github.com/dapr/dapr/cmd/scheduler"
)
GO
export CGO_ENABLED=0
# Errors (a module the proxy refuses, a compile error) go to stderr as Go prints them.
go build -mod=mod -tags stablecomponents -trimpath -ldflags "-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=$DAPR_VERSION" \
  -o "$work/out/daprd" github.com/dapr/dapr/cmd/daprd >&2 || die "go build of daprd failed (above)"
go build -mod=mod -trimpath -ldflags "-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=$DAPR_VERSION" \
  -o "$work/out/scheduler" github.com/dapr/dapr/cmd/scheduler >&2 || die "go build of the Dapr scheduler failed (above)"
mkdir -p "$bin_dir"; mv "$work/out/daprd" "$work/out/scheduler" "$bin_dir/"
cd / && rm -rf "$work"
log "built $bin_dir/daprd and $bin_dir/scheduler"
echo "$bin_dir"
