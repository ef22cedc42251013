#!/usr/bin/env bash
# Installs the backbone itself on a cluster that already runs Knative Serving, the Dapr control
# plane and a Kafka-protocol broker: namespace, secrets, PostgreSQL and its migrations, the Dapr
# resources, a Dapr Shared daprd per function, then the functions with `func deploy`.
# Shared by the Minikube bring-up (scripts/cluster-up.sh) and the local cluster (npm run cluster:up);
# what differs between them comes in through the environment:
#   BROKER            broker address in the Dapr components  (default redpanda.redpanda:9092)
#   DAPRD_IMAGE       daprd image repository                   (default docker.io/daprio/daprd)
#   POSTGRES_IMAGE    PostgreSQL image                         (default postgres:15)
#   FUNC_DEPLOY_ARGS  extra arguments for scripts/func-deploy.sh (e.g. prebuilt images)
#
#   scripts/cluster/backbone.sh [--dry-run]
# Secrets are made here, once, and go to the cluster through stdin: never a file, a command line
# or a Helm value.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DRY_RUN=0
[[ ${1:-} == --dry-run ]] && DRY_RUN=1
NS=todo
FUNCTIONS=(publish-task-event schedule-reminder emit-reminder)
BROKER=${BROKER:-redpanda.redpanda:9092}
DAPRD_IMAGE=${DAPRD_IMAGE:-docker.io/daprio/daprd}
POSTGRES_IMAGE=${POSTGRES_IMAGE:-postgres:15}
read -r -a FUNC_DEPLOY_EXTRA <<<"${FUNC_DEPLOY_ARGS:-}"

say() { printf '[backbone] %s\n' "$*" >&2; }
run() { if ((DRY_RUN)); then printf '+ %s\n' "$*"; else "$@"; fi; }
token() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
has_secret() { ((!DRY_RUN)) && kubectl get secret "$1" -n "$NS" >/dev/null 2>&1; }
# Creates Secret NAME from key=value arguments, piping the manifest to kubectl (nothing on its
# command line); a value may name other keys' values as {key}.
make_secret() {
  local name=$1; shift
  if ((DRY_RUN)); then printf '+ kubectl apply -n %s -f - (Secret %s: %s)\n' "$NS" "$name" "${*%%=*}"; return; fi
  {
    printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\nstringData:\n' "$name"
    local pair; for pair in "$@"; do printf '  %s: "%s"\n' "${pair%%=*}" "${pair#*=}"; done
  } | kubectl apply -n "$NS" -f - >/dev/null
}
# Applies a manifest file with the broker address (or an image) of this cluster.
apply_rendered() {
  local file=$1; shift
  if ((DRY_RUN)); then printf '+ sed %s %s | kubectl apply -f -\n' "$*" "${file#"$ROOT"/}"; return; fi
  sed "$@" "$file" | kubectl apply -n "$NS" -f -
}

say "namespace $NS"
run kubectl apply -f "$ROOT/cluster/namespace.yaml"

say "secrets (made once; kept when they exist)"
if ! has_secret todo-database; then
  password=$(token)
  make_secret todo-database "password=$password" \
    "url=postgresql://todo:$password@postgres.$NS.svc.cluster.local:5432/todo"
fi
for fn in "${FUNCTIONS[@]}"; do
  has_secret "$fn-tokens" || make_secret "$fn-tokens" "dapr-api-token=$(token)" "app-api-token=$(token)"
done
has_secret publish-task-event-clients || make_secret publish-task-event-clients "tokens=$(token)"

say "Sentry's root certificate (public) for the Dapr Shared daprds"
if ((DRY_RUN)); then
  echo "+ kubectl get configmap dapr-trust-bundle -n dapr-system -> kubectl apply -n $NS -f -"
else
  kubectl get configmap dapr-trust-bundle -n dapr-system -o jsonpath='{.data.ca\.crt}' \
    | kubectl create configmap dapr-trust-bundle -n "$NS" --from-file=ca.crt=/dev/stdin --dry-run=client -o yaml \
    | kubectl apply -f -
fi

say "PostgreSQL and the migrations"
apply_rendered "$ROOT/cluster/postgres.yaml" "s#image: postgres:15#image: $POSTGRES_IMAGE#"
run kubectl rollout status statefulset/postgres -n "$NS" --timeout=300s
if ((DRY_RUN)); then
  echo "+ kubectl port-forward -n $NS svc/postgres 15432:5432 & DATABASE_URL=<from Secret todo-database> node scripts/db-migrate.mjs"
else
  kubectl port-forward -n "$NS" svc/postgres 15432:5432 >/dev/null &
  forward=$!
  trap 'kill $forward 2>/dev/null || true' EXIT
  for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/15432) 2>/dev/null && break; sleep 0.2; done
  password=$(kubectl get secret todo-database -n "$NS" -o jsonpath='{.data.password}' | base64 -d)
  DATABASE_URL="postgresql://todo:$password@127.0.0.1:15432/todo" node "$ROOT/scripts/db-migrate.mjs"
  kill "$forward" 2>/dev/null || true
fi

say "Dapr resources (broker $BROKER)"
for file in "$ROOT"/dapr/configurations/*.yaml "$ROOT"/dapr/components/*.yaml "$ROOT"/dapr/subscriptions/*.yaml "$ROOT/dapr/resiliency.yaml"; do
  apply_rendered "$file" "s/redpanda\.redpanda:9092/$BROKER/"
done

# The daprds wait for their function's cluster-local address, which exists once the function is
# deployed; the functions' readiness waits for their daprd. So: daprds first, without waiting.
say "Dapr Shared: a daprd per function"
run helm upgrade --install dapr-shared "$ROOT/cluster/charts/dapr-shared" -n "$NS" --set "image.repository=$DAPRD_IMAGE"

say "the functions"
if ((DRY_RUN)); then "$ROOT/scripts/func-deploy.sh" --dry-run "${FUNC_DEPLOY_EXTRA[@]}"; else "$ROOT/scripts/func-deploy.sh" "${FUNC_DEPLOY_EXTRA[@]}"; fi
for fn in "${FUNCTIONS[@]}"; do run kubectl rollout status deployment "$fn-dapr" -n "$NS" --timeout=300s; done
run kubectl get ksvc -n "$NS"
