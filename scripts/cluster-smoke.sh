#!/usr/bin/env bash
# Smoke test through the cluster: post one TaskCreated CloudEvent to publish-task-event (through
# Kourier), expect 202, and read the event back from Redpanda's task-events topic with rpk.
#   scripts/cluster-smoke.sh [--dry-run]
set -euo pipefail
DRY_RUN=0
[[ ${1:-} == --dry-run ]] && DRY_RUN=1
run() { if ((DRY_RUN)); then printf '+ %s\n' "$*"; else "$@"; fi; }

id="smoke-$(date +%s)"
url=http://publish-task-event.todo.127.0.0.1.sslip.io
body="{\"user_id\":\"smoke\",\"task\":{\"id\":\"$id\",\"title\":\"smoke test\",\"description\":null,\"completed\":false,\"priority\":\"low\",\"tags\":[],\"due_date\":null,\"reminder_time\":null,\"created_at\":\"2026-01-01T00:00:00Z\",\"updated_at\":\"2026-01-01T00:00:00Z\"}}"
run minikube tunnel --cleanup=true &>/dev/null &
# The chat API's bearer token, from its Secret: through a file descriptor, never on curl's command line.
token=$(if ((DRY_RUN)); then echo '<token>'; else kubectl get secret publish-task-event-clients -n todo -o jsonpath='{.data.tokens}' | base64 -d | cut -d, -f1; fi)
run curl -fsS -i "$url" -H @<(printf 'authorization: Bearer %s\n' "$token") -H "ce-id: $id" -H 'ce-specversion: 1.0' \
  -H 'ce-source: /smoke' -H 'ce-type: com.todo.task.created.v1' -H 'content-type: application/json' -d "$body"
run kubectl exec -n redpanda redpanda-0 -c redpanda -- \
  rpk topic consume task-events --offset start --format '%k %v\n' --num 1000 --timeout 10s
