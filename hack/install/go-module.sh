#!/usr/bin/env bash
# Prints the directory of a Go module version from the module proxy (downloading it once), e.g.
# the Dapr release whose CRDs and Helm chart the manifest tests validate against.
#   hack/install/go-module.sh github.com/dapr/dapr@v1.18.2
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"
go_module_field "$1" Dir
