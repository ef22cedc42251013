#!/usr/bin/env bash
# `func deploy` of each function to the Minikube registry. func builds one directory as its whole
# build context, so each function is bundled first (npm run build: shared packages inlined into
# build/index.js). `--dry-run` prints the commands.
#
#   scripts/func-deploy.sh [--dry-run] [function...]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DRY_RUN=0
if [[ ${1:-} == --dry-run ]]; then DRY_RUN=1; shift; fi
FUNCTIONS=("$@")
((${#FUNCTIONS[@]})) || FUNCTIONS=(publish-task-event schedule-reminder emit-reminder)
REGISTRY=${FUNC_REGISTRY:-localhost:5000/todo}

run() { if ((DRY_RUN)); then printf '+ %s\n' "$*"; else "$@"; fi; }

run npm --prefix "$ROOT" run build
for fn in "${FUNCTIONS[@]}"; do
  run func deploy --path "$ROOT/functions/$fn" --registry "$REGISTRY" --namespace todo --build=true
done
