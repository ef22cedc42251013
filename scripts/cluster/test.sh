#!/usr/bin/env bash
# The end-to-end suite against the live local cluster (npm run cluster:up first): tests/cluster/.
# Not part of the test command: the cluster's first build takes longer than CI allows (README).
#   scripts/cluster/test.sh [vitest filter...]
set -euo pipefail
# shellcheck source=../setup.sh
source "$(dirname "$0")/../setup.sh"
cd "$ROOT"
CLUSTER_DIR=${CLUSTER_DIR:-/var/lib/todo-cluster}
[[ -f $CLUSTER_DIR/cluster.json ]] || die "no cluster at $CLUSTER_DIR: run npm run cluster:up first"
bash scripts/cluster/node.sh guard-check >&2 || die "the network guard is not in place"
npx vitest run --project cluster "$@"
