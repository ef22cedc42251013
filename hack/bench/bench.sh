#!/usr/bin/env bash
# The benchmark: brings up a local stack of its own (.stack/bench, 2000 ports up: the stack demo.sh
# left running and the tests' stack are not touched), measures the event flow (hack/bench/run.ts), writes
# hack/bench/results/<time>.json and its latency curve, regenerates docs/benchmarks.md from it, and stops
# that stack again. BENCH_ONLY=<scenario>,... runs some scenarios; STACK_DIR / STACK_PORT_OFFSET
# move the stack (a second checkout measuring a change beside this one).
set -euo pipefail
# shellcheck source=../../scripts/setup.sh
source "$(dirname "$0")/../../scripts/setup.sh"
cd "$ROOT"
export STACK_DIR="${STACK_DIR:-$ROOT/.stack/bench}" STACK_PORT_OFFSET="${STACK_PORT_OFFSET:-2000}"
npm run -s build
hack/stack.sh up >/dev/null
trap 'hack/stack.sh down' EXIT
node --no-warnings hack/bench/run.ts
node --no-warnings hack/bench/docs.ts
