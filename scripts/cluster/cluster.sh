#!/usr/bin/env bash
# The backbone on a real single-node Kubernetes built here from upstream sources: the node
# (scripts/cluster/node.sh), Knative + Traefik + Dapr + Kafka (platform.sh), then the backbone
# itself as on a user's Minikube (backbone.sh: secrets, PostgreSQL, Dapr resources, Dapr Shared,
# func deploy). First run: builds every binary and image (cached in the tools cache), about
# NN minutes on two cores; then a minute or two.
#
#   scripts/cluster/cluster.sh up       (npm run cluster:up)      idempotent
#   scripts/cluster/cluster.sh down     (npm run cluster:down)    stops the node, keeps data
#   scripts/cluster/cluster.sh status   (npm run cluster:status)
#   scripts/cluster/cluster.sh reset                              down, then forget the cluster
# shellcheck source=../install/common.sh
source "$(dirname "$0")/../install/common.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CLUSTER_DIR=${CLUSTER_DIR:-/var/lib/todo-cluster}
BIN="$TOOLS_DIR/cluster/bin"
node_sh() { bash "$ROOT/scripts/cluster/node.sh" "$@"; }

up() {
  local start=$SECONDS step
  step=$SECONDS; log "1/6 binaries (scripts/cluster/build.sh; cached after the first run)"
  bash "$ROOT/scripts/cluster/build.sh" >&2; log "    $((SECONDS - step)) s"
  step=$SECONDS; log "2/6 images (scripts/cluster/images.sh; cached after the first run)"
  bash "$ROOT/scripts/cluster/images.sh" build; log "    $((SECONDS - step)) s"
  step=$SECONDS; log "3/6 the node (network guard first)"
  node_sh up
  local archives=()
  mapfile -t archives < <(bash "$ROOT/scripts/cluster/images.sh" list | cut -d'|' -f2)
  node_sh import "${archives[@]}"; log "    $((SECONDS - step)) s"
  export KUBECONFIG PATH
  KUBECONFIG=$(node_sh kubeconfig)
  PATH="$BIN/kubernetes-v1.34.4:$BIN/helm-v3.22.0:$BIN/func-v0.50.1:$(bash "$ROOT/scripts/install/node.sh"):$PATH"
  step=$SECONDS; log "4/6 the platform: Knative, Traefik, Dapr, Kafka"
  bash "$ROOT/scripts/cluster/platform.sh"; log "    $((SECONDS - step)) s"
  step=$SECONDS; log "5/6 the backbone (scripts/cluster/backbone.sh, as on Minikube)"
  BROKER=kafka.kafka.svc.cluster.local:9092 DAPRD_IMAGE=dev.local/daprio/daprd \
    POSTGRES_IMAGE=dev.local/todo/postgres:15 FUNC_DEPLOY_ARGS=--prebuilt \
    bash "$ROOT/scripts/cluster/backbone.sh"
  log "    $((SECONDS - step)) s"
  step=$SECONDS; log "6/6 the cold-start floor and the cluster's description"
  kubectl apply -f "$ROOT/cluster/local/cold-start-floor.yaml" >/dev/null
  kubectl wait --for=condition=Ready ksvc --all -n todo --timeout=300s >&2
  write_cluster_json
  log "    $((SECONDS - step)) s"
  log "cluster up in $((SECONDS - start)) s"
  status
}

# What cluster:test reads: where the ingress, the broker and the kubeconfig are.
cluster_ip() { kubectl get service "$2" -n "$1" -o jsonpath='{.spec.clusterIP}'; }
write_cluster_json() {
  cat >"$CLUSTER_DIR/cluster.json" <<JSON
{
  "kubeconfig": "$KUBECONFIG",
  "binaries": "$BIN",
  "ingress": "http://$(cluster_ip traefik traefik)",
  "privateIngress": "http://$(cluster_ip traefik traefik-private)",
  "domain": "example.com",
  "namespace": "todo",
  "kafka": "$(cluster_ip kafka kafka):9092"
}
JSON
}

status() {
  node_sh status
  local kubeconfig
  kubeconfig=$(node_sh kubeconfig)
  if [[ -f $kubeconfig ]]; then
    KUBECONFIG=$kubeconfig "$BIN/kubernetes-v1.34.4/kubectl" get ksvc,pods -n todo 2>/dev/null || true
  fi
}

case ${1:-} in
  up) up ;;
  down) node_sh down ;;
  status) status ;;
  reset) node_sh reset ;;
  *) sed -n '2,13p' "$0"; exit 2 ;;
esac
