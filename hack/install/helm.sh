#!/usr/bin/env bash
# Builds Helm (the version the cluster kit pins) from the Go module proxy once, and prints the
# binary's path. The test command uses it to render and lint the Redpanda chart with our values.
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"
bash "$(dirname "$0")/../cluster/build.sh" helm >&2 || die "could not build helm"
bin=$(printf "%s\n" "$TOOLS_DIR"/cluster/bin/helm-*/helm | sort -V | tail -n 1)
[[ -x $bin ]] || die "no helm binary under $TOOLS_DIR/cluster/bin"
echo "$bin"
