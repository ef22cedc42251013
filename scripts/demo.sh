#!/usr/bin/env bash
# The main job: bring up the real local stack (installing what is missing), then run the whole
# event flow once and show the reminder firing. The stack stays up afterwards (npm run stack:down).
set -euo pipefail
# shellcheck source=setup.sh
source "$(dirname "$0")/setup.sh"
cd "$ROOT"
npm run -s build
hack/stack.sh up
node --no-warnings scripts/demo.mjs "${1:-5}"
