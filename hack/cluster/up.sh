#!/usr/bin/env bash
# The backbone on Minikube: one bring-up for a user's machine and for ours. The steps are the same;
# where their artifacts come from is chosen in one place, hack/cluster/artifacts.sh (--artifacts).
#
#   hack/cluster/up.sh [--artifacts internet|local] [--dry-run] [up]   every step below, idempotent
#   hack/cluster/up.sh [...] start      start the stopped node again (minikube start, DNS, routes)
#   hack/cluster/up.sh [...] down       minikube stop (data kept)
#   hack/cluster/up.sh [...] delete     minikube delete (everything of the cluster goes)
#   hack/cluster/up.sh [...] status     minikube status, the node, every Knative Service and pod
#
# internet (default): a user's machine with Docker, minikube, kubectl, helm, func and internet access.
# local: this machine (npm run cluster:up|down|status); host preparation included.
#
# up, in order (each step timed; the table goes to the log directory):
#   setup      Node 24 and the npm packages (scripts/setup.sh: the bundles and the topic tool need them)
#   artifacts  internet: the Helm repositories. local: host preparation, binaries, images (cached)
#   node       minikube start --driver=docker --container-runtime=containerd --cni=bridge
#              --kubernetes-version=v1.34.4 --cpus=2 --memory=4096 (the node container's cgroup
#              enforces both), then every kube-system pod Ready
#   reach      local: the service and pod ranges routed from the host via the node (the tests)
#   images     local: the platform's images into the node (minikube image load)
#   knative    Knative Serving 1.23, domain <node IP>.sslip.io, our autoscaler settings
#   ingress    Traefik v3.6 (Knative provider) on the node's IP, port 80
#   dapr       Dapr 1.18.2 control plane (Helm chart)
#   broker     Redpanda (internet) | Apache Kafka 3.9 (local), and the topics
#   backbone   hack/cluster/backbone.sh: secrets, PostgreSQL, images, migrations Job, Dapr resources,
#              Dapr Shared, func deploy
#   observability  hack/cluster/observability.sh: Prometheus 3, Jaeger (in memory) and the consumer
#              lag exporter in the namespace observability (cluster/observability)
#   extras     local: the cold-start floor the tests compare with, and the cluster's description
#              for npm run cluster:test
set -euo pipefail
KIT=$(cd "$(dirname "$0")" && pwd)
export DRY_RUN=0
while [[ ${1:-} == --* ]]; do
  case $1 in
    --artifacts) export CLUSTER_ARTIFACTS=${2:?internet or local}; shift ;;
    --artifacts=*) export CLUSTER_ARTIFACTS=${1#*=} ;;
    --dry-run) DRY_RUN=1 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
COMMAND=${1:-up}
# shellcheck source=artifacts.sh
source "$KIT/artifacts.sh"
if [[ $CLUSTER_ARTIFACTS == local ]]; then CLUSTER_LOGS=$TOOLS_DIR/cluster/logs; else CLUSTER_LOGS=${TMPDIR:-/tmp}/todo-cluster-logs; fi
export CLUSTER_LOGS
mkdir -p "$CLUSTER_LOGS"
MK=(minikube -p "$CLUSTER_PROFILE")
say() { printf '[up] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# Each step runs with errexit in force (not under `||`, which would switch it off inside the step's
# functions); a failing command ends the bring-up, and the EXIT trap names the step.
TIMES=() CURRENT_STEP=""
on_exit() {
  local code=$?
  if ((code != 0)) && [[ -n $CURRENT_STEP ]]; then say "error: step $CURRENT_STEP failed (exit $code); logs: $CLUSTER_LOGS"; fi
}
trap on_exit EXIT
step() {
  local name=$1 started=$SECONDS; shift
  say "== $name"
  CURRENT_STEP=$name
  "$@"
  CURRENT_STEP=""
  TIMES+=("$(printf '%-13s %5s s' "$name" "$((SECONDS - started))")")
  say "   $name: $((SECONDS - started)) s"
}

guard_check() {
  [[ $CLUSTER_ARTIFACTS == local ]] || return 0
  if ((DRY_RUN)); then echo "+ hack/cluster/host/guard.sh check"; return; fi
  bash "$KIT/host/guard.sh" check -q || { bash "$KIT/host/guard.sh" check >&2 || true; die "the network guard is not in place: refusing to go on"; }
}

setup() {
  if ((DRY_RUN)); then echo "+ source scripts/setup.sh   (Node 24, npm ci)"; return; fi
  # shellcheck source=../../scripts/setup.sh
  source "$ROOT/scripts/setup.sh"
}

node_start() {
  guard_check
  artifacts_environment
  # --wait: every wait but "extra" (every system pod Ready): wait_kube_system does that one, after
  # the cluster DNS is in order.
  local waits=apiserver,system_pods,default_sa,apps_running,node_ready,kubelet
  local flags=(--driver=docker --container-runtime=containerd --cni=bridge
    --kubernetes-version="$KUBERNETES_VERSION" --cpus=2 --memory=4096 --interactive=false "--wait=$waits")
  ((EUID != 0)) || flags+=(--force) # the docker driver refuses root without it
  mapfile -t -O "${#flags[@]}" flags < <(minikube_artifact_flags)
  if [[ $CLUSTER_ARTIFACTS == local ]]; then
    # minikube v1.38.1 looks for CNI plugins in /opt/cni/bin on the machine it runs on.
    ((DRY_RUN)) || mkdir -p /opt/cni/bin
  fi
  if ((DRY_RUN)); then run "${MK[@]}" start "${flags[@]}"; else
    local logf
    logf="$CLUSTER_LOGS/minikube-start-$(date +%Y%m%d-%H%M%S).log"
    say "minikube start (log: $logf)"
    "${MK[@]}" start "${flags[@]}" --alsologtostderr -v=2 >"$logf" 2>&1 ||
      { grep -vE '^[IWE][0-9]{4} ' "$logf" | tail -n 30 >&2; die "minikube start failed; see $logf"; }
    grep -vE '^[IWE][0-9]{4} ' "$logf" | grep -v '^\s*$' >&2 || true
  fi
  guard_check
  cluster_dns
  wait_kube_system
}

# Our node image's resolv.conf names Docker's DNS at 127.0.0.11, which in a pod's network namespace
# is the pod itself: CoreDNS's `forward . /etc/resolv.conf` would loop. And nothing may leave this
# machine. So here CoreDNS is built without the forward (and loop) plugin, and its Corefile drops
# them: cluster names resolve, other names get SERVFAIL, no query goes anywhere. (local only: a
# user's kicbase points resolv.conf at the network's gateway, and pods there may resolve the world.)
cluster_dns() {
  [[ $CLUSTER_ARTIFACTS == local ]] || return 0
  if ((DRY_RUN)); then echo "+ kubectl -n kube-system: Corefile without forward and loop, rollout restart coredns"; return; fi
  local current new
  current=$(kubectl -n kube-system get configmap coredns -o jsonpath='{.data.Corefile}')
  new=$(awk '
    /^[[:space:]]*forward[[:space:]]/ { skip = ($0 ~ /\{[[:space:]]*$/); next }
    skip { if ($0 ~ /^[[:space:]]*\}[[:space:]]*$/) skip = 0; next }
    /^[[:space:]]*loop[[:space:]]*$/ { next }
    { print }' <<<"$current")
  if grep -qE '^[[:space:]]*(forward|loop)([[:space:]]|$)' <<<"$new"; then die "could not take forward/loop out of the Corefile"; fi
  if [[ $current != "$new" ]]; then
    say "CoreDNS: Corefile without forward and loop"
    kubectl -n kube-system patch configmap coredns --type merge -p "$(jq -n --arg c "$new" '{data: {Corefile: $c}}')" >/dev/null
    kubectl -n kube-system rollout restart deployment coredns >/dev/null
  fi
  kubectl -n kube-system rollout status deployment coredns --timeout=180s >&2
}

# Every kube-system pod Running and Ready (pods being deleted by a rollout do not count).
wait_kube_system() {
  if ((DRY_RUN)); then echo "+ until every kube-system pod is Ready"; return; fi
  local waiting="" _
  for _ in $(seq 90); do
    waiting=$(kubectl -n kube-system get pods -o json | jq -r '.items[] | select(.metadata.deletionTimestamp == null)
      | select(.status.phase != "Running" or ([.status.conditions[]? | select(.type == "Ready" and .status == "True")] | length) == 0)
      | .metadata.name')
    [[ -z $waiting ]] && return 0
    sleep 2
  done
  kubectl -n kube-system get pods >&2
  die "kube-system not Ready after 180 s: $waiting"
}

# The tests reach ClusterIPs (the broker, the private ingress) and pod IPs (the broker advertises
# its pod's) from the host: routes via the node, on its Docker bridge, in place of the guard's
# blackholes. Nothing of it leaves this machine (guard.sh check reads it back).
reach() {
  [[ $CLUSTER_ARTIFACTS == local ]] || return 0
  if ((DRY_RUN)); then echo "+ hack/cluster/host/guard.sh route <node IP>"; return; fi
  bash "$KIT/host/guard.sh" route "$("${MK[@]}" ip)"
  guard_check
}

platform() { bash "$KIT/platform.sh" "$1"; }
backbone() { bash "$KIT/backbone.sh" "$([[ $DRY_RUN == 1 ]] && echo --dry-run || echo all)"; }
observability() { if ((DRY_RUN)); then bash "$KIT/observability.sh" --dry-run; else bash "$KIT/observability.sh"; fi; }

extras() {
  [[ $CLUSTER_ARTIFACTS == local ]] || return 0
  run kubectl apply -f "$KIT/local/cold-start-floor.yaml"
  run kubectl wait --for=condition=Ready ksvc --all -n todo --timeout=300s
  ((DRY_RUN)) || write_cluster_json
}

# What npm run cluster:test reads: where the node, the ingress, the broker and the tools are.
write_cluster_json() {
  local ip
  ip=$("${MK[@]}" ip)
  jq -n --arg kubeconfig "${KUBECONFIG:-$HOME/.kube/config}" --arg context "$CLUSTER_PROFILE" \
    --arg path "$PATH" --arg minikubeHome "$MINIKUBE_HOME" --arg node "$CLUSTER_PROFILE" --arg nodeIp "$ip" \
    --arg ingress "http://$ip" --arg privateIngress "http://$(kubectl get service traefik-private -n traefik -o jsonpath='{.spec.clusterIP}')" \
    --arg domain "$ip.sslip.io" --arg kafka "$(kubectl get service kafka -n kafka -o jsonpath='{.spec.clusterIP}'):9092" \
    --arg denyProxy "$DENY_PROXY" \
    '{kubeconfig: $kubeconfig, context: $context, path: $path, minikubeHome: $minikubeHome, profile: $context,
      node: $node, nodeIp: $nodeIp, ingress: $ingress, privateIngress: $privateIngress, domain: $domain,
      namespace: "todo", kafka: $kafka, denyProxy: $denyProxy}' >"$TOOLS_DIR/cluster/cluster.json"
  say "cluster description: $TOOLS_DIR/cluster/cluster.json"
}

up() {
  local started=$SECONDS
  step setup setup
  step artifacts artifacts_prepare
  artifacts_environment
  step node node_start
  step reach reach
  step images artifacts_load
  step knative platform knative
  step ingress platform ingress
  step dapr platform dapr
  step broker platform broker
  step backbone backbone
  step observability observability
  step extras extras
  TIMES+=("$(printf '%-13s %5s s' total "$((SECONDS - started))")")
  if ((!DRY_RUN)); then
    printf '%s\n' "# hack/cluster/up.sh --artifacts $CLUSTER_ARTIFACTS up, $(date -u +%FT%TZ), TOOLS_DIR=${TOOLS_DIR:-}" "${TIMES[@]}" \
      >"$CLUSTER_LOGS/up-times-$(date +%Y%m%d-%H%M%S).txt"
  fi
  say "step times:"; printf '  %s\n' "${TIMES[@]}" >&2
  ((DRY_RUN)) || status
}

start() {
  local started=$SECONDS
  step node node_start
  step reach reach
  TIMES+=("$(printf '%-13s %5s s' total "$((SECONDS - started))")")
  say "step times:"; printf '  %s\n' "${TIMES[@]}" >&2
}

down() {
  artifacts_environment
  run "${MK[@]}" stop
  [[ $CLUSTER_ARTIFACTS != local ]] || run bash "$KIT/host/guard.sh" unroute
}

delete() {
  artifacts_environment
  run "${MK[@]}" delete
  [[ $CLUSTER_ARTIFACTS != local ]] || run bash "$KIT/host/guard.sh" unroute
}

status() {
  artifacts_environment
  "${MK[@]}" status || true
  kubectl get nodes -o wide 2>/dev/null || true
  kubectl get ksvc,pods -A 2>/dev/null || true
}

case $COMMAND in
  up | start | down | delete | status) "$COMMAND" ;;
  *) sed -n '2,31p' "$0" >&2; exit 2 ;;
esac
