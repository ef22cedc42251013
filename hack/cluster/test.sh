#!/usr/bin/env bash
# The end-to-end suite against the live cluster here (npm run cluster:up first): tests/cluster/.
# Its report and the report's timeline picture go to hack/bench/results/cluster-<time>.{json,svg}.
# Not part of the test command: a first cluster:up builds for about half an hour, and the suite runs
# about 45 minutes (docs/deploy.md).
#   hack/cluster/test.sh [vitest arguments...]      (npm run cluster:test)
set -euo pipefail
# shellcheck source=../../scripts/setup.sh
source "$(dirname "$0")/../../scripts/setup.sh"
cd "$ROOT"
export CLUSTER_JSON=${CLUSTER_JSON:-$TOOLS_DIR/cluster/cluster.json}
[[ -f $CLUSTER_JSON ]] || die "no cluster described at $CLUSTER_JSON: run npm run cluster:up first"
bash hack/cluster/host/guard.sh check -q || { bash hack/cluster/host/guard.sh check >&2 || true; die "the network guard is not in place"; }
npx vitest run --project cluster "$@"
