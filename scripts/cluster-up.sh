#!/usr/bin/env bash
# Brings the whole backbone up on Minikube: cluster, Knative Serving + Kourier, Dapr, Redpanda,
# PostgreSQL, the Dapr resources, a Dapr Shared daprd per function, then `func deploy` of each
# function. Written for a machine with minikube, kubectl, helm and func on PATH and internet
# access; it was NOT run in CI (no container engine there). `--dry-run` prints every command.
#
#   scripts/cluster-up.sh [--dry-run]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DRY_RUN=0
[[ ${1:-} == --dry-run ]] && DRY_RUN=1

KNATIVE_VERSION=${KNATIVE_VERSION:-v1.20.0}
DAPR_VERSION=${DAPR_VERSION:-1.18.2}
NS=todo

run() {
  if ((DRY_RUN)); then printf '+ %s\n' "$*"; else "$@"; fi
}
# A random token, kept only inside the cluster as a Secret.
token() { if ((DRY_RUN)); then echo '<random>'; else head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; fi; }

# 1. Cluster
run minikube start --cpus=2 --memory=4096 --disk-size=30g --driver=docker
run minikube addons enable registry

# 2. Knative Serving with Kourier, and our autoscaler settings
run kubectl apply -f "https://github.com/knative/serving/releases/download/knative-$KNATIVE_VERSION/serving-crds.yaml"
run kubectl apply -f "https://github.com/knative/serving/releases/download/knative-$KNATIVE_VERSION/serving-core.yaml"
run kubectl apply -f "https://github.com/knative-extensions/net-kourier/releases/download/knative-$KNATIVE_VERSION/kourier.yaml"
run kubectl patch configmap/config-network -n knative-serving --type merge \
  -p '{"data":{"ingress-class":"kourier.ingress.networking.knative.dev"}}'
run kubectl patch configmap/config-domain -n knative-serving --type merge -p '{"data":{"127.0.0.1.sslip.io":""}}'
run kubectl apply -f "$ROOT/knative/config-autoscaler.yaml"
run kubectl wait --for=condition=Available deployment --all -n knative-serving --timeout=300s

# 3. Dapr control plane
run helm repo add dapr https://dapr.github.io/helm-charts/
run helm repo add redpanda https://charts.redpanda.com
run helm repo update
run helm upgrade --install dapr dapr/dapr --version "$DAPR_VERSION" -n dapr-system --create-namespace \
  -f "$ROOT/cluster/helm/dapr-values-dev.yaml" --wait

# 4. Redpanda (one broker) and the topics
run helm upgrade --install redpanda redpanda/redpanda -n redpanda --create-namespace \
  -f "$ROOT/cluster/helm/redpanda-values-minimal.yaml" --wait --timeout 10m
run kubectl apply -f "$ROOT/cluster/topics-job.yaml"
run kubectl wait --for=condition=complete job/create-topics -n redpanda --timeout=300s

# 5. Namespace, secrets (generated here, never in a file), PostgreSQL
run kubectl apply -f "$ROOT/cluster/namespace.yaml"
db_password=$(token)
run kubectl create secret generic todo-database -n "$NS" --from-literal=password="$db_password" \
  --from-literal=url="postgresql://todo:$db_password@postgres.$NS.svc.cluster.local:5432/todo"
for fn in publish-task-event schedule-reminder emit-reminder; do
  run kubectl create secret generic "$fn-tokens" -n "$NS" --from-literal=dapr-api-token="$(token)" \
    --from-literal=app-api-token="$(token)"
done
run kubectl apply -f "$ROOT/cluster/postgres.yaml"
run kubectl rollout status statefulset/postgres -n "$NS" --timeout=300s
# Migrations from this machine through a port-forward (the same runner as locally).
if ((DRY_RUN)); then
  echo "+ kubectl port-forward -n $NS svc/postgres 15432:5432 &"
else
  kubectl port-forward -n "$NS" svc/postgres 15432:5432 >/dev/null &
  port_forward=$!
  trap 'kill $port_forward 2>/dev/null || true' EXIT
  sleep 3
fi
run env DATABASE_URL="postgresql://todo:$db_password@127.0.0.1:15432/todo" node "$ROOT/scripts/db-migrate.mjs"

# 6. Dapr resources, then a Dapr Shared daprd per function (tokens from the secrets above)
run kubectl apply -n "$NS" -f "$ROOT/dapr/configuration.yaml" -f "$ROOT/dapr/components/" \
  -f "$ROOT/dapr/subscriptions/" -f "$ROOT/dapr/resiliency.yaml"
secret_of() { kubectl get secret "$1" -n "$NS" -o "jsonpath={.data.$2}" | base64 -d; }
for fn in publish-task-event schedule-reminder emit-reminder; do
  dapr_token='<dapr-api-token>'; app_token='<app-api-token>'
  if ((!DRY_RUN)); then dapr_token=$(secret_of "$fn-tokens" dapr-api-token); app_token=$(secret_of "$fn-tokens" app-api-token); fi
  app_token_args=(--set "shared.daprd.app.token=$app_token")
  [[ $fn == publish-task-event ]] && app_token_args=()  # its callers are the chat API, not daprd
  run helm upgrade --install "$fn-dapr" dapr/dapr-shared -n "$NS" -f "$ROOT/cluster/helm/dapr-shared-$fn.yaml" \
    --set "shared.daprd.token=$dapr_token" "${app_token_args[@]}" \
    --post-renderer "$ROOT/cluster/dapr-shared-post-render.sh" --wait
done

# 7. The functions
if ((DRY_RUN)); then "$ROOT/scripts/func-deploy.sh" --dry-run; else "$ROOT/scripts/func-deploy.sh"; fi
run kubectl get ksvc -n "$NS"
