#!/usr/bin/env bash
# Brings the whole backbone up on Minikube: cluster, Knative Serving + Kourier, Dapr, Redpanda,
# then the backbone itself (scripts/cluster/backbone.sh, shared with the local cluster):
# PostgreSQL, the Dapr resources, a Dapr Shared daprd per function, `func deploy` of each function.
# For a machine with minikube, kubectl, helm and func on PATH and internet access.
# `--dry-run` prints every command.
#
#   scripts/cluster-up.sh [--dry-run]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DRY_RUN=0
[[ ${1:-} == --dry-run ]] && DRY_RUN=1

KNATIVE_VERSION=${KNATIVE_VERSION:-v1.20.0}
DAPR_VERSION=${DAPR_VERSION:-1.18.2}

run() {
  if ((DRY_RUN)); then printf '+ %s\n' "$*"; else "$@"; fi
}

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

# 5. The backbone: namespace, secrets (made in the cluster, never on a command line), PostgreSQL +
#    migrations, Dapr resources, Dapr Shared (cluster/charts/dapr-shared), func deploy
if ((DRY_RUN)); then "$ROOT/scripts/cluster/backbone.sh" --dry-run; else "$ROOT/scripts/cluster/backbone.sh"; fi
