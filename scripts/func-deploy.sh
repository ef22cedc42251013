#!/usr/bin/env bash
# `func deploy` of the functions onto the running Minikube: each function bundled (npm run build:
# func builds one directory as its whole context), its image built and put in the node, the
# migrations applied by a Job from schedule-reminder's image, then `func deploy --build=false
# --push=false --image <it>`. The steps are hack/cluster/backbone.sh's; where the images come from
# is hack/cluster/artifacts.sh's choice (CLUSTER_ARTIFACTS: internet = func's pack builder, the
# default; local = built here).
#   scripts/func-deploy.sh [--dry-run] [function...]
set -euo pipefail
options=()
[[ ${1:-} == --dry-run ]] && { options+=(--dry-run); shift; }
exec bash "$(dirname "$0")/../hack/cluster/backbone.sh" "${options[@]}" functions "$@"
