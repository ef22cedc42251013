#!/usr/bin/env bash
# What lets an operator see inside the backbone, on the cluster hack/cluster/up.sh brings up (its
# step `observability`, after the backbone): Prometheus 3 (pod discovery of running pods only, the
# alert rules), Jaeger all-in-one in memory (the functions' and the daprds' spans) and the consumer
# lag exporter (packages/kafka-lag-exporter), in the namespace observability.
#
#   hack/cluster/observability.sh [--dry-run]
#
# The manifests are cluster/observability (kubectl apply -k). Where the images come from is the one
# difference (hack/cluster/artifacts.sh):
#   internet  Prometheus and Jaeger from their published images (quay.io/prometheus/prometheus,
#             docker.io/jaegertracing/all-in-one); the lag exporter, which has no published image,
#             built by Docker from packages/kafka-lag-exporter/Dockerfile and loaded into the node.
#   local     every image assembled here (hack/cluster/images.sh: Prometheus and Jaeger built from
#             their Go modules, the exporter's bundle on Node 24), through the overlay
#             hack/cluster/local/observability (those images, and Apache Kafka's address).
set -euo pipefail
[[ ${1:-} == --dry-run ]] && { export DRY_RUN=1; shift; }
# shellcheck source=artifacts.sh
source "$(dirname "$0")/artifacts.sh"
artifacts_environment
NS=observability
EXPORTER_IMAGE=dev.local/todo/kafka-lag-exporter:0.1.0
# Prometheus' Go module v0.3MM.P is Prometheus v3.MM.P.
prometheus_release() { local v=${PROMETHEUS_VERSION#v0.}; echo "v${v:0:1}.$((10#${v:1:2})).${v#*.}"; }
say() { printf '[observability] %s\n' "$*" >&2; }

# The exporter's bundle (esbuild: the exporter and its two dependencies in one file).
bundle_exporter() { run npm --prefix "$ROOT/packages/kafka-lag-exporter" run -s build >&2; }

# Prints "reloaded" when the exporter's image in the node changed (its pod must restart to run it).
images() {
  case $CLUSTER_ARTIFACTS in
    internet)
      bundle_exporter
      run docker build -t "$EXPORTER_IMAGE" "$ROOT/packages/kafka-lag-exporter" >&2
      run minikube -p "$CLUSTER_PROFILE" image load "$EXPORTER_IMAGE" >&2
      echo reloaded ;;
    local)
      # images.sh builds the exporter's bundle itself (its archive is named by the bundle's hash).
      local log
      if ((DRY_RUN)); then echo "+ hack/cluster/images.sh build prometheus jaeger kafka-lag-exporter; load" >&2; return; fi
      bash "$CLUSTER_KIT/images.sh" build "dev.local/prometheus/prometheus:$(prometheus_release)" \
        "dev.local/jaegertracing/all-in-one:${JAEGER_VERSION#v}" "$EXPORTER_IMAGE"
      log=$(bash "$CLUSTER_KIT/images.sh" load 2>&1) || { printf '%s\n' "$log" >&2; return 1; }
      printf '%s\n' "$log" >&2
      if grep -qF "minikube image load $EXPORTER_IMAGE" <<<"$log"; then echo reloaded; fi ;;
  esac
}

manifests() {
  case $CLUSTER_ARTIFACTS in
    internet) echo "$ROOT/cluster/observability" ;;
    local) echo "$CLUSTER_KIT/local/observability" ;;
  esac
}

# Knative's controllers export no metrics by default (config-observability metrics-protocol: none);
# Prometheus reads the autoscaler's and the activator's on :9090. They read it at start: restarted
# when it changes here.
knative_metrics() {
  local patch='{"data":{"metrics-protocol":"prometheus"}}' name
  if ((DRY_RUN)); then printf "+ kubectl patch configmap config-observability -n knative-serving --type merge -p '%s'\n" "$patch" >&2; return; fi
  if ! kubectl patch configmap config-observability -n knative-serving --type merge -p "$patch" | grep -q "(no change)"; then
    say "Knative's metrics on :9090 (metrics-protocol: prometheus): restarting the autoscaler and the activator"
    for name in autoscaler activator; do
      kubectl rollout restart deployment "$name" -n knative-serving >/dev/null
      kubectl rollout status deployment "$name" -n knative-serving --timeout=300s >&2
    done
  fi
}

knative_metrics
say "images ($CLUSTER_ARTIFACTS)"
reloaded=$(images)
say "kubectl apply -k $(manifests)"
run kubectl apply -k "$(manifests)" >&2
if [[ $reloaded == reloaded ]] && ((!DRY_RUN)); then kubectl rollout restart deployment kafka-lag-exporter -n "$NS" >/dev/null; fi
for name in prometheus jaeger kafka-lag-exporter; do
  run kubectl rollout status deployment "$name" -n "$NS" --timeout=300s >&2
done
