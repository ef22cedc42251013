#!/usr/bin/env bash
# Shows each function going to zero pods when idle, then measures the cold start of the first
# event: the time from the POST to its answer while publish-task-event had no pod.
#   scripts/scale-to-zero-watch.sh [--dry-run]
set -euo pipefail
DRY_RUN=0
[[ ${1:-} == --dry-run ]] && DRY_RUN=1
run() { if ((DRY_RUN)); then printf '+ %s\n' "$*"; else "$@"; fi; }
NS=todo

pods_of() { kubectl get pods -n "$NS" -l "serving.knative.dev/service=$1" --no-headers 2>/dev/null | grep -c Running || true; }
for fn in publish-task-event schedule-reminder emit-reminder; do
  echo "waiting for $fn to scale to zero (stable window 60s + grace 30s)..."
  if ((DRY_RUN)); then
    echo "+ kubectl get pods -n $NS -l serving.knative.dev/service=$fn (until none is Running)"
  else
    until [[ $(pods_of "$fn") == 0 ]]; do sleep 5; done
    echo "$fn: 0 pods"
  fi
done
id="cold-$(date +%s)"
token=$(if ((DRY_RUN)); then echo '<token>'; else kubectl get secret publish-task-event-clients -n "$NS" -o jsonpath='{.data.tokens}' | base64 -d | cut -d, -f1; fi)
run curl -sS -o /dev/null -w 'cold start: first event answered %{http_code} after %{time_total}s\n' \
  http://publish-task-event.todo.127.0.0.1.sslip.io -H @<(printf 'authorization: Bearer %s\n' "$token") \
  -H "ce-id: $id" -H 'ce-specversion: 1.0' \
  -H 'ce-source: /cold' -H 'ce-type: com.todo.task.deleted.v1' -H 'content-type: application/json' \
  -d '{"user_id":"cold","task_id":"cold"}'
run kubectl get pods -n "$NS" -l serving.knative.dev/service=publish-task-event
