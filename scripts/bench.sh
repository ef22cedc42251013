#!/usr/bin/env bash
# The benchmark: brings the real local stack up (as the demo does) and measures the event flow.
set -euo pipefail
# shellcheck source=setup.sh
source "$(dirname "$0")/setup.sh"
cd "$ROOT"
npm run -s build
scripts/stack.sh up >/dev/null
node --no-warnings bench/run.ts
