#!/usr/bin/env bash
# Every test of the project, as CI runs it: lint, types, unit tests of every package, the cluster
# manifests against the upstream validation code, then the integration and end-to-end tests
# against the real local stack, which this script starts and stops.
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
npx vitest run --project manifests --reporter=default --reporter=json --outputFile.json="$REPORTS/manifests.json"

scripts/stack.sh up
trap 'scripts/stack.sh down' EXIT
status=0
npx vitest run --project integration --reporter=default --reporter=json \
  --outputFile.json="$REPORTS/integration.json" || status=$?
node scripts/test-summary.mjs "$REPORTS/unit.json" "$REPORTS/manifests.json" "$REPORTS/integration.json"
exit "$status"
