#!/usr/bin/env bash
# What the backbone runs on, one part per call (hack/cluster/up.sh calls them in this order); the
# artifacts each part installs come from hack/cluster/artifacts.sh. Idempotent.
#
#   hack/cluster/platform.sh knative    Knative Serving (Knative 1.23), Traefik's ingress class, the
#                                       domain <node IP>.sslip.io, our autoscaler settings
#   hack/cluster/platform.sh ingress    Traefik v3.6 as Knative's ingress (cluster/traefik.yaml); its
#                                       public entry point answers on the node's IP, port 80
#   hack/cluster/platform.sh dapr       the Dapr 1.18.2 control plane from its Helm chart
#   hack/cluster/platform.sh broker     the Kafka-protocol broker and the topics: Redpanda (internet)
#                                       or Apache Kafka 3.9 (local)
# DRY_RUN=1 prints the commands instead.
set -euo pipefail
# shellcheck source=artifacts.sh
source "$(dirname "$0")/artifacts.sh"
artifacts_environment
LOGS=${CLUSTER_LOGS:-${TMPDIR:-/tmp}}
MK=(minikube -p "$CLUSTER_PROFILE")
say() { printf '[platform] %s\n' "$*" >&2; }

# Waits for a rollout; on failure names the workload and shows why its pods are not ready.
rollout() {
  local ns=$1 kind=$2 name=$3
  ((DRY_RUN)) && { printf '+ kubectl rollout status -n %s %s/%s\n' "$ns" "$kind" "$name"; return; }
  kubectl rollout status -n "$ns" "$kind/$name" --timeout=300s >&2 && return 0
  kubectl get pods -n "$ns" -o wide >&2
  kubectl describe "$kind/$name" -n "$ns" | tail -n 20 >&2
  say "error: $kind/$name in $ns did not become ready (above: its pods and events)"
  return 1
}

node_ip() { if ((DRY_RUN)); then echo '<node IP>'; else "${MK[@]}" ip; fi; }

knative() {
  say "Knative Serving: $(knative_source)"
  if ((DRY_RUN)); then
    echo "+ kubectl apply -f - <<< Knative Serving CRDs + core ($(knative_source)), until the webhook takes them"
  else
    local manifest attempt
    manifest=$(knative_manifests) || { say "error: could not get Knative's manifests"; return 1; }
    # The first apply meets a webhook that is not up yet: apply until it takes (Knative's own advice).
    for attempt in 1 2 3 4 5 6 7 8; do
      kubectl apply -f - <<<"$manifest" >"$LOGS/knative-apply.log" 2>&1 && break
      ((attempt < 8)) || { say "error: Knative's manifests not accepted; see $LOGS/knative-apply.log"; return 1; }
      sleep 5
    done
  fi
  run kubectl patch configmap config-network -n knative-serving --type merge \
    -p '{"data":{"ingress-class":"traefik.ingress.networking.knative.dev"}}'
  # Public Services are http://<service>.<namespace>.<node IP>.sslip.io: sslip.io answers any name
  # ending in an IP with that IP, so func, curl and browsers reach the ingress on a user's machine.
  run kubectl patch configmap config-domain -n knative-serving --type merge -p "{\"data\":{\"$(node_ip).sslip.io\":\"\"}}"
  run kubectl apply -f "$ROOT/knative/config-autoscaler.yaml"
  # A node of 2 CPUs fits pods by their CPU requests, and kubeadm's control plane alone asks for
  # 850m. Knative's defaults (activator 300m, the others 100m each, 25m per queue-proxy, and HPAs
  # that add activators and webhooks by CPU) would leave room for one function pod. One of each,
  # asking for what they use idle here; the functions keep their own requests.
  run kubectl delete hpa --all -n knative-serving --ignore-not-found
  run kubectl set resources deployment activator -n knative-serving -c activator --requests=cpu=50m
  for name in controller webhook autoscaler; do
    run kubectl set resources deployment "$name" -n knative-serving -c "$name" --requests=cpu=20m
  done
  run kubectl patch configmap config-deployment -n knative-serving --type merge -p '{"data":{"queue-sidecar-cpu-request":"10m"}}'
  local name
  for name in controller webhook activator autoscaler; do rollout knative-serving deployment "$name"; done
}

ingress() {
  say "Traefik $TRAEFIK_VERSION ($TRAEFIK_IMAGE) as Knative's ingress"
  apply_with_image "$ROOT/cluster/traefik.yaml" docker.io/traefik "$TRAEFIK_IMAGE"
  # The public entry point on the node's own address, port 80 (kube-proxy forwards it to Traefik):
  # the address a public Service's URL names, reachable from the host without a tunnel.
  run kubectl patch service traefik -n traefik --type merge -p "{\"spec\":{\"externalIPs\":[\"$(node_ip)\"]}}"
  rollout traefik deployment traefik
}

dapr() {
  local chart=()
  mapfile -t chart < <(dapr_chart)
  say "Dapr $DAPR_CHART_VERSION control plane (chart ${chart[0]#"$ROOT/"})"
  run helm upgrade --install dapr "${chart[@]}" -n dapr-system --create-namespace --wait --timeout 10m
}

broker() {
  case $BROKER_KIND in
    redpanda)
      say "Redpanda (chart $REDPANDA_CHART_VERSION, one broker) and the topics"
      run helm upgrade --install redpanda redpanda/redpanda --version "$REDPANDA_CHART_VERSION" -n redpanda --create-namespace \
        -f "$ROOT/cluster/helm/redpanda-values-minimal.yaml" --wait --timeout 10m
      # A Job's template cannot change: the previous run's Job goes first.
      run kubectl delete job create-topics -n redpanda --ignore-not-found
      run kubectl apply -f "$ROOT/cluster/topics-job.yaml"
      run kubectl wait --for=condition=complete job/create-topics -n redpanda --timeout=300s
      ;;
    kafka)
      say "Apache Kafka $KAFKA_VERSION (standing in for Redpanda, which cannot be had here) and the topics"
      run kubectl apply -f "$CLUSTER_KIT/local/kafka.yaml"
      rollout kafka statefulset kafka
      # The topics as packages/shared defines them, from the host (the route to the service range).
      if ((DRY_RUN)); then echo "+ node scripts/create-topics.ts <kafka ClusterIP>:9092"
      else node --no-warnings "$ROOT/scripts/create-topics.ts" "$(kubectl get service kafka -n kafka -o jsonpath='{.spec.clusterIP}'):9092" >&2; fi
      ;;
  esac
}

case ${1:-} in
  knative | ingress | dapr | broker) "$1" ;;
  *) sed -n '2,14p' "$0" >&2; exit 2 ;;
esac
