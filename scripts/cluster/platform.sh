#!/usr/bin/env bash
# Installs what the backbone runs on, onto the local node (scripts/cluster/node.sh): volumes,
# Knative Serving v0.50 from its Go module's own manifests, Traefik as Knative's ingress (Envoy is
# not obtainable here), the Dapr control plane from the Helm chart inside the Dapr module, and a
# Kafka broker standing in for Redpanda, with its topics. Every image is a local dev.local/ one
# (scripts/cluster/images.sh). Idempotent.
#
#   scripts/cluster/platform.sh
# shellcheck source=../install/common.sh
source "$(dirname "$0")/../install/common.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CLUSTER_DIR=${CLUSTER_DIR:-/var/lib/todo-cluster}
KNATIVE=v0.50.0
KUBECONFIG=$(bash "$ROOT/scripts/cluster/node.sh" kubeconfig)
export KUBECONFIG
BIN="$TOOLS_DIR/cluster/bin"
PATH="$BIN/kubernetes-v1.34.4:$BIN/helm-v3.22.0:$PATH"
MODULES=$(bash "$ROOT/scripts/install/go-module.sh" "knative.dev/serving@$KNATIVE")
module() { bash "$ROOT/scripts/install/go-module.sh" "$1"; }

step() { STEP_START=$SECONDS; log "$*"; }
done_step() { log "  done in $((SECONDS - STEP_START)) s"; }

# Waits for a rollout; on failure names the workload and shows why its pods are not ready.
rollout() {
  local ns=$1 kind=$2 name=$3
  kubectl rollout status -n "$ns" "$kind/$name" --timeout=300s >&2 && return 0
  kubectl get pods -n "$ns" -o wide >&2
  kubectl describe "$kind/$name" -n "$ns" | tail -n 20 >&2
  die "$kind/$name in $ns did not become ready (above: its pods and events)"
}

# Static hostPath volumes, bound ahead to the claims that will use them (no provisioner here;
# Minikube's storage class does this there). Mode 1777: the pods run as their own non-root users.
volumes() {
  step "volumes"
  local claim ns name size dir
  while read -r ns claim size; do
    name="local-${ns}-${claim}"
    dir="$CLUSTER_DIR/volumes/$ns/$claim"
    mkdir -p "$dir"; chmod 1777 "$dir"
    kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: PersistentVolume
metadata: { name: $name }
spec:
  capacity: { storage: $size }
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  claimRef: { namespace: $ns, name: $claim }
  hostPath: { path: $dir, type: Directory }
EOF
  done <<'VOLUMES'
todo data-postgres-0 2Gi
kafka data-kafka-0 5Gi
dapr-system dapr-scheduler-data-dir-dapr-scheduler-server-0 1Gi
dapr-system dapr-scheduler-data-dir-dapr-scheduler-server-1 1Gi
dapr-system dapr-scheduler-data-dir-dapr-scheduler-server-2 1Gi
VOLUMES
  done_step
}

# Knative Serving's core manifests as its module ships them; what the module zip leaves out
# (symlinked files) comes from the networking and caching modules its go.mod names.
knative() {
  step "Knative Serving $KNATIVE"
  local networking caching files=()
  networking=$(module "knative.dev/networking@$(awk '$1 == "knative.dev/networking" {print $2}' "$MODULES/go.mod")")
  caching=$(module "knative.dev/caching@$(awk '$1 == "knative.dev/caching" {print $2}' "$MODULES/go.mod")")
  mapfile -t files < <(find "$MODULES/config/core" -name '*.yaml' ! -name '*-hpa.yaml' | sort)
  files+=("$networking/config/certificate.yaml" "$networking/config/ingress.yaml" "$networking/config/serverlessservice.yaml"
    "$networking/config/domain-claim.yaml" "$networking/config/config-network.yaml" "$caching/config/image.yaml")
  local manifest
  manifest=$(for file in "${files[@]}"; do echo "---"; sed "s#ko://knative.dev/serving/cmd/\([a-z]*\)#dev.local/knative/\1:$KNATIVE#g" "$file"; done)
  # The first apply meets a webhook that is not up yet; apply until it takes (the usual advice).
  for attempt in 1 2 3 4 5 6; do
    if kubectl apply -f - <<<"$manifest" >"$CLUSTER_DIR/logs/knative-apply.log" 2>&1; then break; fi
    ((attempt < 6)) || die "Knative manifests not accepted; see $CLUSTER_DIR/logs/knative-apply.log"
    sleep 5
  done
  kubectl patch configmap config-network -n knative-serving --type merge \
    -p '{"data":{"ingress-class":"traefik.ingress.networking.knative.dev"}}' >/dev/null
  kubectl patch configmap config-domain -n knative-serving --type merge -p '{"data":{"example.com":""}}' >/dev/null
  kubectl apply -f "$ROOT/knative/config-autoscaler.yaml" >/dev/null
  local name
  for name in controller webhook activator autoscaler; do rollout knative-serving deployment "$name"; done
  done_step
}

traefik() {
  step "Traefik (Knative's ingress)"
  kubectl apply -f "$ROOT/cluster/local/traefik.yaml" >/dev/null
  rollout traefik deployment traefik
  done_step
}

# The Dapr chart from the Dapr release's own Go module, every image moved to its local tag.
dapr() {
  step "Dapr $DAPR_VERSION control plane"
  local chart
  chart=$(module "github.com/dapr/dapr@v$DAPR_VERSION")/charts/dapr
  helm upgrade --install dapr "$chart" -n dapr-system --create-namespace \
    -f "$ROOT/cluster/helm/dapr-values-dev.yaml" -f "$ROOT/cluster/local/dapr-values-local.yaml" \
    --wait --timeout 10m >"$CLUSTER_DIR/logs/dapr-install.log" 2>&1 \
    || { kubectl get pods -n dapr-system >&2; die "helm install of Dapr failed; see $CLUSTER_DIR/logs/dapr-install.log"; }
  done_step
}

kafka() {
  step "Kafka $KAFKA_VERSION (standing in for Redpanda) and the topics"
  kubectl apply -f "$ROOT/cluster/local/kafka.yaml" >/dev/null
  rollout kafka statefulset kafka
  local address
  address=$(kubectl get service kafka -n kafka -o jsonpath='{.spec.clusterIP}'):9092
  PATH="$(bash "$ROOT/scripts/install/node.sh"):$PATH" node --no-warnings "$ROOT/scripts/create-topics.ts" "$address" >&2 \
    || die "could not create the topics at $address"
  done_step
}

start=$SECONDS
volumes
knative
traefik
dapr
kafka
log "platform ready in $((SECONDS - start)) s"
