#!/usr/bin/env bash
# Every test of the project, as CI runs it: lint, types, unit tests of every package, the scripts'
# tests, the cluster manifests against the upstream validation code, then the integration and
# end-to-end tests against a real local stack of its own, which this script starts and stops
# (in .stack/test, 1000 ports up: a stack that demo.sh left running is not touched).
set -euo pipefail
# shellcheck source=setup.sh
source "$(dirname "$0")/setup.sh"
cd "$ROOT"
REPORTS="$ROOT/.stack/reports"
mkdir -p "$REPORTS"

npm run -s db:generate >/dev/null
npm run -s lint
npm run -s typecheck
npm run -s build
npx vitest run --project unit --reporter=default --reporter=json --outputFile.json="$REPORTS/unit.json"
# The unit tests again with the clock a year ahead and a year behind (libfaketime, from Debian): a
# test that compares with a clock takes its times from it (tests/support/clock.ts; the lint refuses
# absolute dates in tests). The first line shows the shifted clock the tests saw.
bash hack/install/debian-tools.sh
for shift in +365d -365d; do
  faketime -f "$shift" node -p '"unit tests with the clock at " + new Date().toISOString()'
  faketime -f "$shift" npx vitest run --project unit --reporter=dot --reporter=json \
    --outputFile.json="$REPORTS/unit-clock$shift.json"
done
npx vitest run --project scripts --reporter=default --reporter=json --outputFile.json="$REPORTS/scripts.json"
npx vitest run --project manifests --reporter=default --reporter=json --outputFile.json="$REPORTS/manifests.json"

# TEST_STACK_PORT_OFFSET moves it when another checkout's test run uses those ports.
export STACK_DIR="$ROOT/.stack/test" STACK_PORT_OFFSET=${TEST_STACK_PORT_OFFSET:-1000}
hack/stack.sh down # whatever an interrupted run left behind: this stack is the tests' own
hack/stack.sh up
trap 'hack/stack.sh down' EXIT
status=0
npx vitest run --project integration --reporter=default --reporter=json \
  --outputFile.json="$REPORTS/integration.json" || status=$?
node hack/test-summary.mjs "$REPORTS"/{unit,unit-clock+365d,unit-clock-365d,scripts,manifests,integration}.json
exit "$status"
