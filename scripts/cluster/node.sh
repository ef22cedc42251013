#!/usr/bin/env bash
# The local node kit: one Kubernetes node on this machine from the binaries scripts/cluster/build.sh
# made, with no systemd and no network beyond this machine.
#
#   scripts/cluster/node.sh up             network guard, containerd, etcd, API server, controller
#                                          manager, scheduler, kubelet, kube-proxy, CoreDNS (idempotent)
#   scripts/cluster/node.sh down           stops every process it started and every container; keeps data
#   scripts/cluster/node.sh status         each process up/down with its log; the node
#   scripts/cluster/node.sh guard-check    checks the network guard (reads rules and routes only)
#   scripts/cluster/node.sh import ARCHIVE...   OCI archives into the node's containerd (k8s.io)
#   scripts/cluster/node.sh kubeconfig     prints the admin kubeconfig's path
#   scripts/cluster/node.sh reset          down, then removes the node's state (images cache kept)
#
# State lives in CLUSTER_DIR (default /var/lib/todo-cluster): root-owned 0755 and outside any home,
# because pods run as non-root users and their hostPath volumes live there. Logs: $CLUSTER_DIR/logs.
# shellcheck source=../install/common.sh
source "$(dirname "$0")/../install/common.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

CLUSTER_DIR=${CLUSTER_DIR:-/var/lib/todo-cluster}
NODE_NAME=todo-node
BRIDGE=todo0
NODE_IP=10.244.0.1             # the bridge's address: API server, kubelet and the pods' gateway
NODE_POD_CIDR=10.244.0.0/24    # this node's pods (CNI host-local range)
CLUSTER_CIDR=10.244.0.0/16     # all pods of the cluster; blackholed except the node's /24
SERVICE_CIDR=10.96.0.0/16
API_SERVICE_IP=10.96.0.1
DNS_SERVICE_IP=10.96.0.10
KUBERNETES_VERSION=v1.34.4 ETCD_VERSION=v3.6.16
PAUSE_IMAGE=dev.local/kubernetes/pause:3.10
COREDNS_IMAGE=dev.local/coredns/coredns:v1.12.4

K8S_BIN="$TOOLS_DIR/cluster/bin/kubernetes-$KUBERNETES_VERSION"
ETCD_BIN="$TOOLS_DIR/cluster/bin/etcd-$ETCD_VERSION"
PKI=$CLUSTER_DIR/pki
KUBECONFIGS=$CLUSTER_DIR/kubeconfig
CONF=$CLUSTER_DIR/config
LOGS=$CLUSTER_DIR/logs
RUN=$CLUSTER_DIR/run
CTRD=$CLUSTER_DIR/containerd
SOCK=$CTRD/containerd.sock
ADMIN_KUBECONFIG=$KUBECONFIGS/admin.conf
API_URL=https://$NODE_IP:6443
# Start order (`down` stops the kubelet first, then the containers, then the rest: see cmd_down).
PROCESSES=(containerd etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)

kubectl() { "$K8S_BIN/kubectl" --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }
ctr() { command ctr --address "$SOCK" --namespace k8s.io "$@"; }
need_root() { ((EUID == 0)) || die "run as root (the node needs bridges, routes, iptables and mounts)"; }

# --- timing -------------------------------------------------------------------------------------
STEP_NAME="" STEP_START=""
now() { echo "${EPOCHREALTIME/,/.}"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
step() {
  step_done
  STEP_NAME=$1 STEP_START=$(now)
  log "-> $STEP_NAME"
}
step_done() {
  if [[ -n $STEP_NAME ]]; then log "   $STEP_NAME: $(elapsed "$STEP_START") s"; fi
  STEP_NAME=""
}

# --- the network guard --------------------------------------------------------------------------
# Nothing a pod sends may leave the machine, and a service or pod address must never fall through to
# the default route (seen: a ClusterIP with no endpoints yet was routed out and answered from
# outside). So, before any cluster process exists: the service range goes to the bridge, the rest of
# the pod range is blackholed, and pod traffic forwarded to the uplink is dropped in mangle (the CNI
# firewall plugin and kube-proxy put ACCEPT jumps at the top of filter/FORWARD; mangle runs first).
uplink() {
  local dev=${TODO_UPLINK:-}
  [[ -n $dev ]] || dev=$(ip -4 route show default | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')
  [[ -n $dev ]] || die "no default route: cannot tell the uplink (set TODO_UPLINK)"
  echo "$dev"
}
guard_rule() { echo "FORWARD -s $CLUSTER_CIDR -o $(uplink) -j DROP"; }

network_up() {
  local rule
  ip link show "$BRIDGE" >/dev/null 2>&1 || ip link add "$BRIDGE" type bridge
  ip addr replace "$NODE_IP/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  ip route replace "$SERVICE_CIDR" dev "$BRIDGE" src "$NODE_IP"
  ip route replace blackhole "$CLUSTER_CIDR"
  read -r -a rule <<<"$(guard_rule)"
  iptables -t mangle -C "${rule[@]}" 2>/dev/null || iptables -t mangle -I "${rule[0]}" 1 "${rule[@]:1}"
}

# Reads rules and routes only: never proves anything by sending a packet.
guard_check() {
  local rule failed=0 route
  read -r -a rule <<<"$(guard_rule)"
  if iptables -t mangle -C "${rule[@]}" 2>/dev/null; then
    echo "ok    iptables -t mangle -C ${rule[*]}"
  else
    echo "FAIL  iptables -t mangle: no rule ${rule[*]}"; failed=1
  fi
  route=$(ip route get "$API_SERVICE_IP" 2>&1 | head -n 1) || true
  if [[ " $route " == *" dev $BRIDGE "* ]]; then
    echo "ok    ip route get $API_SERVICE_IP: $route"
  else
    echo "FAIL  ip route get $API_SERVICE_IP does not go to $BRIDGE: $route"; failed=1
  fi
  # The kernel answers `ip route get` into a blackhole route with EINVAL ("Invalid argument").
  route=$(ip route get 10.244.9.9 2>&1 | head -n 1) || true
  if [[ $route == *blackhole* || $route == *unreachable* ||
    ($route == *"Invalid argument"* && -n $(ip route show type blackhole "$CLUSTER_CIDR")) ]]; then
    echo "ok    ip route get 10.244.9.9: $route (blackhole $CLUSTER_CIDR)"
  else
    echo "FAIL  ip route get 10.244.9.9 is routable: $route"; failed=1
  fi
  return "$failed"
}

# --- packages -----------------------------------------------------------------------------------
ensure_packages() {
  local pkg missing=()
  for pkg in containerd runc containernetworking-plugins iptables conntrack openssl curl; do
    dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return
  log "installing ${missing[*]} from Debian (log: $LOGS/apt.log)"
  # Debian's containerd package starts no daemon without systemd; ours has its own socket anyway.
  { DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" ||
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"; }; } \
    >>"$LOGS/apt.log" 2>&1 || die "apt-get install ${missing[*]} failed; see $LOGS/apt.log"
}

# --- certificates and kubeconfigs ---------------------------------------------------------------
# ECDSA P-256 everywhere (quick to make); ten years, since this node is for local work only.
new_key() { [[ -f $1 ]] || (umask 077 && openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null); }

make_ca() {
  local name=$1 cn=$2
  [[ -f $PKI/$name.crt ]] && return
  new_key "$PKI/$name.key"
  openssl req -x509 -new -sha256 -days 3650 -key "$PKI/$name.key" -subj "/CN=$cn" -out "$PKI/$name.crt" \
    -config <(printf '[req]\ndistinguished_name = dn\nx509_extensions = ca\n[dn]\n[ca]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, digitalSignature, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\n') \
    2>/dev/null || die "openssl could not make CA $name"
}

# make_cert NAME CA SUBJECT serverAuth|clientAuth [SAN,...]
make_cert() {
  local name=$1 ca=$2 subject=$3 usage=$4 sans=${5:-} ext
  [[ -f $PKI/$name.crt ]] && return
  new_key "$PKI/$name.key"
  ext="basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature, keyEncipherment\nextendedKeyUsage = $usage\n"
  [[ -n $sans ]] && ext+="subjectAltName = $sans\n"
  # shellcheck disable=SC2059 # ext is our own format string
  openssl x509 -req -sha256 -days 3650 -set_serial "0x$(openssl rand -hex 16)" \
    -in <(openssl req -new -key "$PKI/$name.key" -subj "$subject" -config <(printf '[req]\ndistinguished_name = dn\n[dn]\n')) \
    -CA "$PKI/$ca.crt" -CAkey "$PKI/$ca.key" -extfile <(printf "$ext") -out "$PKI/$name.crt" 2>/dev/null \
    || die "openssl could not make certificate $name"
}

make_pki() {
  mkdir -p "$PKI"
  make_ca ca todo-cluster-ca
  make_ca front-proxy-ca todo-cluster-front-proxy-ca
  make_cert apiserver ca /CN=kube-apiserver serverAuth \
    "IP:$API_SERVICE_IP,IP:$NODE_IP,IP:127.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:$NODE_NAME"
  make_cert apiserver-kubelet-client ca "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
  make_cert admin ca "/O=system:masters/CN=kubernetes-admin" clientAuth
  make_cert kubelet ca "/O=system:nodes/CN=system:node:$NODE_NAME" clientAuth
  make_cert controller-manager ca /CN=system:kube-controller-manager clientAuth
  make_cert scheduler ca /CN=system:kube-scheduler clientAuth
  make_cert kube-proxy ca /CN=system:kube-proxy clientAuth
  make_cert front-proxy-client front-proxy-ca /CN=front-proxy-client clientAuth
  new_key "$PKI/sa.key"
  [[ -f $PKI/sa.pub ]] || openssl ec -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
}

make_kubeconfig() {
  local name=$1 user=$2 file="$KUBECONFIGS/$1.conf"
  [[ -f $file ]] && return
  local k=("$K8S_BIN/kubectl" config --kubeconfig "$file.partial")
  (umask 077
    "${k[@]}" set-cluster todo --server "$API_URL" --certificate-authority "$PKI/ca.crt" --embed-certs
    "${k[@]}" set-credentials "$user" --client-certificate "$PKI/$name.crt" --client-key "$PKI/$name.key" --embed-certs
    "${k[@]}" set-context todo --cluster todo --user "$user"
    "${k[@]}" use-context todo) >/dev/null
  mv "$file.partial" "$file"
}

make_kubeconfigs() {
  mkdir -p "$KUBECONFIGS"
  make_kubeconfig admin kubernetes-admin
  make_kubeconfig kubelet "system:node:$NODE_NAME"
  make_kubeconfig controller-manager system:kube-controller-manager
  make_kubeconfig scheduler system:kube-scheduler
  make_kubeconfig kube-proxy system:kube-proxy
}

# --- configuration files (rewritten on every up: they only hold paths and fixed settings) --------
# Replaces FILE with stdin only when it changed, in one rename: containerd watches the CNI directory
# and would otherwise read a half-written file.
put() {
  cat >"$1.partial"
  if cmp -s "$1.partial" "$1"; then rm -f "$1.partial"; else mv "$1.partial" "$1"; fi
}

write_configs() {
  mkdir -p "$CONF" "$CLUSTER_DIR/cni/net.d" "$CLUSTER_DIR/cni/ipam" "$CTRD"
  # Pods get no upstream nameserver: the kubelet's resolv.conf for them is this empty file.
  put "$CONF/resolv.conf" </dev/null

  # Our own containerd: never the system one's config, root, state or socket.
  put "$CONF/containerd.toml" <<EOF
version = 2
root = "$CTRD/root"
state = "$CTRD/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]

[grpc]
  address = "$SOCK"

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$CTRD/opt"

[plugins."io.containerd.grpc.v1.cri"]
  # Built locally (pause.c); there is nothing to pull it from.
  sandbox_image = "$PAUSE_IMAGE"
  # No CAP_SYS_RESOURCE needed: containers never get a lower oom_score_adj than containerd.
  restrict_oom_score_adj = true
  # Network namespaces under our state directory, not /var/run/netns.
  netns_mounts_under_state_dir = true
  disable_apparmor = true
  enable_selinux = false

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        # PID 1 is not systemd: the kubelet and runc both use cgroupfs.
        SystemdCgroup = false

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$CLUSTER_DIR/cni/net.d"

  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$CONF/registries"
EOF
  # Every image of this node is imported from local archives; no pull may leave the machine (func
  # deploy, for one, starts a helper pod from ghcr.io). Every registry is this closed local port, so
  # a pull fails at once, without even a name lookup.
  mkdir -p "$CONF/registries/_default"
  put "$CONF/registries/_default/hosts.toml" <<'EOF'
server = "http://127.0.0.1:9"

[host."http://127.0.0.1:9"]
  capabilities = ["pull", "resolve"]
EOF

  # The bridge is ours (made by network_up); ipMasq false: pod traffic is never NATed out of the
  # machine. The firewall plugin opens FORWARD for pod addresses where a policy drops it (Docker).
  put "$CLUSTER_DIR/cni/net.d/10-todo.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "todo",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$NODE_POD_CIDR", "gateway": "$NODE_IP" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$CLUSTER_DIR/cni/ipam"
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } },
    { "type": "firewall" }
  ]
}
EOF

  # cgroupfs and cgroup v1 allowed (no systemd); oomScoreAdj 0 and no swap check (no privileges to
  # change either here); image GC and eviction nearly off: the images cannot be pulled back.
  put "$CONF/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: $PKI/ca.crt }
authorization:
  mode: Webhook
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
oomScoreAdj: 0
clusterDNS: [$DNS_SERVICE_IP]
clusterDomain: cluster.local
resolvConf: $CONF/resolv.conf
containerRuntimeEndpoint: unix://$SOCK
serverTLSBootstrap: false
rotateCertificates: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  nodefs.inodesFree: 1%
  imagefs.available: 1%
  imagefs.inodesFree: 1%
EOF

  # No sysctl writes: conntrack sizes and timeouts left as the kernel has them (0 = keep).
  put "$CONF/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
hostnameOverride: $NODE_NAME
clusterCIDR: $CLUSTER_CIDR
clientConnection:
  kubeconfig: $KUBECONFIGS/kube-proxy.conf
oomScoreAdj: 0
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
  udpTimeout: 0s
  udpStreamTimeout: 0s
iptables:
  # true would set route_localnet (a sysctl) for NodePorts on 127.0.0.1, which nothing here needs.
  localhostNodePorts: false
# NodePorts only on the node address (the bridge), never on the uplink.
nodePortAddresses: [primary]
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
EOF
}

# The command line of each process.
command_of() {
  case $1 in
    containerd) CMD=(containerd --config "$CONF/containerd.toml") ;;
    etcd) CMD=("$ETCD_BIN/etcd" --name "$NODE_NAME" --data-dir "$CLUSTER_DIR/etcd"
      --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379
      --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380
      --initial-cluster "$NODE_NAME=http://127.0.0.1:2380" --listen-metrics-urls http://127.0.0.1:2381
      --log-level warn) ;;
    kube-apiserver) CMD=("$K8S_BIN/kube-apiserver"
      # On the bridge: pods reach it through kubernetes.default without leaving the bridge.
      --bind-address "$NODE_IP" --advertise-address "$NODE_IP" --secure-port 6443
      --etcd-servers http://127.0.0.1:2379
      --authorization-mode "Node,RBAC" --enable-admission-plugins NodeRestriction --allow-privileged=true
      --client-ca-file "$PKI/ca.crt" --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key"
      --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" --kubelet-client-key "$PKI/apiserver-kubelet-client.key"
      --kubelet-preferred-address-types InternalIP
      --service-account-issuer https://kubernetes.default.svc.cluster.local
      --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key"
      --service-cluster-ip-range "$SERVICE_CIDR"
      # Front proxy (requestheader) for aggregated APIs such as Knative's or metrics.
      --requestheader-client-ca-file "$PKI/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client
      --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group
      --requestheader-extra-headers-prefix X-Remote-Extra-
      --proxy-client-cert-file "$PKI/front-proxy-client.crt" --proxy-client-key-file "$PKI/front-proxy-client.key") ;;
    kube-controller-manager) CMD=("$K8S_BIN/kube-controller-manager"
      --kubeconfig "$KUBECONFIGS/controller-manager.conf"
      --authentication-kubeconfig "$KUBECONFIGS/controller-manager.conf"
      --authorization-kubeconfig "$KUBECONFIGS/controller-manager.conf"
      --bind-address 127.0.0.1 --leader-elect=false
      --client-ca-file "$PKI/ca.crt" --requestheader-client-ca-file "$PKI/front-proxy-ca.crt"
      # The cluster CA signs CSRs (kubelet serving certificates and anything else that asks).
      --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key"
      --root-ca-file "$PKI/ca.crt" --service-account-private-key-file "$PKI/sa.key"
      --use-service-account-credentials=true
      --allocate-node-cidrs=true --cluster-cidr "$CLUSTER_CIDR" --node-cidr-mask-size 24
      --service-cluster-ip-range "$SERVICE_CIDR") ;;
    kube-scheduler) CMD=("$K8S_BIN/kube-scheduler"
      --kubeconfig "$KUBECONFIGS/scheduler.conf"
      --authentication-kubeconfig "$KUBECONFIGS/scheduler.conf"
      --authorization-kubeconfig "$KUBECONFIGS/scheduler.conf"
      --bind-address 127.0.0.1 --leader-elect=false) ;;
    kubelet) CMD=("$K8S_BIN/kubelet" --config "$CONF/kubelet.yaml"
      --kubeconfig "$KUBECONFIGS/kubelet.conf" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP"
      # --cert-dir defaults to /var/lib/kubelet/pki whatever --root-dir says.
      --root-dir "$CLUSTER_DIR/kubelet" --cert-dir "$CLUSTER_DIR/kubelet/pki") ;;
    kube-proxy) CMD=("$K8S_BIN/kube-proxy" --config "$CONF/kube-proxy.yaml") ;;
    *) die "unknown process $1" ;;
  esac
}

# --- supervision (PID 1 is not systemd) -----------------------------------------------------------
# Each process runs under a small bash loop in its own session: the loop's pid is the session and
# process group id, recorded in $RUN/<name>.pid; the loop restarts the process when it dies (backoff
# 1 s doubling to 30 s, back to 1 s after a run of a minute) and stops it on SIGTERM.
# shellcheck disable=SC2016 # expanded by the supervisor's bash, not here
SUPERVISOR='
name=$1 log=$2 run=$3; shift 3
echo "$$" >"$run/$name.pid.partial" && mv "$run/$name.pid.partial" "$run/$name.pid"
child=""
stop() {
  if [[ -n $child ]]; then kill -TERM "$child" 2>/dev/null; wait "$child"; fi
  rm -f "$run/$name.child"
  exit 0
}
trap stop TERM INT
delay=1
while :; do
  started=$SECONDS
  printf "[supervisor %(%FT%T)T] starting: %s\n" -1 "$*" >>"$log"
  "$@" >>"$log" 2>&1 </dev/null &
  child=$!
  echo "$child" >"$run/$name.child"
  wait "$child" && rc=0 || rc=$?
  child=""
  if ((SECONDS - started >= 60)); then delay=1; fi
  printf "[supervisor %(%FT%T)T] %s exited (status %s); restarting in %ss\n" -1 "$name" "$rc" "$delay" >>"$log"
  sleep "$delay" & wait $!
  ((delay = delay * 2 > 30 ? 30 : delay * 2))
done'

supervisor_pid() {
  local pid
  pid=$(cat "$RUN/$1.pid" 2>/dev/null) || return 1
  [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "todo-node:$1 " && echo "$pid"
}
restarts() {
  if [[ -f $LOGS/$1.log ]]; then grep -c "^\[supervisor .*\] $1 exited" "$LOGS/$1.log" || true; else echo 0; fi
}

start_proc() {
  local name=$1 pid child
  if pid=$(supervisor_pid "$name"); then log "   $name already running (pid $pid)"; return; fi
  # A process whose supervisor was killed outright still holds its ports: end it first.
  child=$(cat "$RUN/$name.child" 2>/dev/null) || true
  command_of "$name"
  if [[ -n $child && -r /proc/$child/cmdline ]] && [[ $(tr '\0' ' ' <"/proc/$child/cmdline") == "${CMD[0]}"* ]]; then
    log "   ending $name's orphaned process $child"
    kill -TERM "$child" 2>/dev/null || true
    for _ in $(seq 100); do [[ -d /proc/$child ]] || break; sleep 0.1; done
    kill -KILL "$child" 2>/dev/null || true
  fi
  rm -f "$RUN/$name.pid" "$RUN/$name.child"
  # fd 9 (the lock of this script) closed: a supervisor must not hold it after we exit.
  setsid bash -c "$SUPERVISOR" "todo-node:$name" "$name" "$LOGS/$name.log" "$RUN" "${CMD[@]}" \
    </dev/null >/dev/null 2>&1 9>&- &
  for _ in $(seq 50); do [[ -f $RUN/$name.pid ]] && break; sleep 0.1; done
  supervisor_pid "$name" >/dev/null || die "could not start $name's supervisor"
}

stop_proc() {
  local name=$1 timeout=${2:-30} pid
  pid=$(supervisor_pid "$name") || { rm -f "$RUN/$name.pid" "$RUN/$name.child"; return 0; }
  local started
  started=$(now)
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq $((timeout * 10))); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 -- "-$pid" 2>/dev/null; then
    log "   $name did not stop in ${timeout}s: SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || true
    sleep 0.5
  fi
  log "   stopped $name (pid $pid) in $(elapsed "$started") s"
  rm -f "$RUN/$name.pid" "$RUN/$name.child"
}

fail_with_log() {
  local name=$1; shift
  log "error: $name: $*"
  log "last lines of $LOGS/$name.log:"
  tail -n 25 "$LOGS/$name.log" >&2 2>/dev/null || true
  exit 1
}

# wait_for NAME SECONDS COMMAND...: polls until COMMAND succeeds; fails naming NAME with its log
# when time runs out or the process keeps dying.
wait_for() {
  local name=$1 seconds=$2 deadline before; shift 2
  before=$(restarts "$name")
  deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then fail_with_log "$name" "not ready after ${seconds}s"; fi
    if [[ -f $LOGS/$name.log ]] && (($(restarts "$name") - before >= 2)); then fail_with_log "$name" "keeps exiting"; fi
    sleep 0.5
  done
}

# --- health checks ------------------------------------------------------------------------------
containerd_ready() { ctr version; }
etcd_ready() { curl -sf --max-time 2 http://127.0.0.1:2379/health | grep -q '"health":"true"'; }
apiserver_ready() { kubectl get --raw /readyz --request-timeout 3s; }
https_healthz() { curl -skf --max-time 2 "https://127.0.0.1:$1/healthz"; }
http_healthz() { curl -sf --max-time 2 "http://127.0.0.1:$1/healthz"; }
# Ready, and the node's lease renewed by this kubelet: after a down/up within the node monitor's
# grace period the API still shows the previous kubelet's Ready.
KUBELET_SINCE=0
node_ready() {
  local renewed
  [[ $(kubectl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' --request-timeout 3s) == True ]] || return 1
  renewed=$(kubectl get lease -n kube-node-lease "$NODE_NAME" -o jsonpath='{.spec.renewTime}' --request-timeout 3s)
  [[ -n $renewed ]] && (($(date -d "$renewed" +%s) >= KUBELET_SINCE))
}
# Ready as the API says, and answering at its current address (after a restart the API still shows
# the previous pod as Ready for a while).
coredns_ready() {
  local ip
  for ip in $(kubectl get pods -n kube-system -l k8s-app=kube-dns --request-timeout 3s \
    -o jsonpath='{range .items[*]}{.status.podIP}{" "}{end}'); do
    curl -sf --max-time 2 "http://$ip:8181/ready" && return 0
  done
  return 1
}

# --- images -------------------------------------------------------------------------------------
# An OCI archive (scripts/cluster/oci-image.mjs) names its image in index.json; it is skipped when
# containerd has that name at that digest already.
import_archive() {
  local archive=$1 index name digest
  [[ -f $archive ]] || die "no archive $archive"
  index=$(tar -xOf "$archive" --occurrence=1 index.json 2>/dev/null) || index=""
  name=$(grep -o '"io.containerd.image.name":"[^"]*"' <<<"$index" | head -n 1 | cut -d '"' -f 4) || true
  digest=$(grep -o '"digest":"sha256:[0-9a-f]*"' <<<"$index" | head -n 1 | cut -d '"' -f 4) || true
  if [[ -n $name && -n $digest ]] &&
    ctr images ls | awk -v n="$name" -v d="$digest" '$1 == n && $3 == d { found = 1 } END { exit !found }'; then
    log "   $name: already imported"
    return
  fi
  log "   importing ${name:-$archive}"
  ctr images import "$archive" >>"$LOGS/images.log" 2>&1 || die "ctr import of $archive failed; see $LOGS/images.log"
}

# The node's own images (pause, CoreDNS) are built when missing and imported now; every other
# archive built so far (the node can pull nothing) is imported in the background, and `up` waits
# for that at its end: large images need not hold up the control plane.
OTHER_IMPORTS=""
ensure_images() {
  local images="$ROOT/scripts/cluster/images.sh" name archive
  local -A archives=()
  while IFS='|' read -r name archive; do archives[$name]=$archive; done < <(bash "$images" list)
  if [[ ! -f ${archives[$PAUSE_IMAGE]} || ! -f ${archives[$COREDNS_IMAGE]} ]]; then
    log "   building $PAUSE_IMAGE and $COREDNS_IMAGE (log: $LOGS/images.log)"
    PATH="$(bash "$ROOT/scripts/install/node.sh"):$PATH" bash "$images" build "$PAUSE_IMAGE" "$COREDNS_IMAGE" \
      >>"$LOGS/images.log" 2>&1 || die "scripts/cluster/images.sh build failed; see $LOGS/images.log"
  fi
  import_archive "${archives[$PAUSE_IMAGE]}"
  import_archive "${archives[$COREDNS_IMAGE]}"
  unset "archives[$PAUSE_IMAGE]" "archives[$COREDNS_IMAGE]"
  (for name in "${!archives[@]}"; do
    if [[ -f ${archives[$name]} ]]; then import_archive "${archives[$name]}"; fi
  done) &
  OTHER_IMPORTS=$!
}

# --- commands -----------------------------------------------------------------------------------
check_binaries() {
  local b
  for b in "$K8S_BIN"/{kube-apiserver,kube-controller-manager,kube-scheduler,kubelet,kube-proxy,kubectl} "$ETCD_BIN/etcd"; do
    [[ -x $b ]] || die "no $b: run scripts/cluster/build.sh first"
  done
}

cmd_up() {
  need_root; check_binaries
  local total
  total=$(now)
  install -d -m 0755 "$CLUSTER_DIR"
  mkdir -p "$LOGS" "$RUN"

  step "packages"
  ensure_packages

  step "network guard"
  network_up
  guard_check >&2 || die "the network guard is not in place: refusing to start anything"

  step "certificates and configuration"
  make_pki
  make_kubeconfigs
  write_configs

  step "containerd and etcd"
  start_proc containerd
  start_proc etcd
  wait_for containerd 60 containerd_ready
  wait_for etcd 60 etcd_ready

  step "kube-apiserver (the node's images imported meanwhile)"
  start_proc kube-apiserver
  ensure_images
  wait_for kube-apiserver 180 apiserver_ready

  step "controller-manager, scheduler, kubelet, kube-proxy"
  start_proc kube-controller-manager
  start_proc kube-scheduler
  supervisor_pid kubelet >/dev/null || KUBELET_SINCE=$(date +%s)
  start_proc kubelet
  start_proc kube-proxy
  wait_for kube-controller-manager 90 https_healthz 10257
  wait_for kube-scheduler 90 https_healthz 10259
  wait_for kubelet 90 http_healthz 10248
  wait_for kube-proxy 90 http_healthz 10256
  wait_for kubelet 120 node_ready

  step "CoreDNS"
  kubectl apply -f "$ROOT/cluster/local/coredns.yaml" >>"$LOGS/coredns-apply.log" 2>&1 \
    || { tail -n 20 "$LOGS/coredns-apply.log" >&2; die "kubectl apply of cluster/local/coredns.yaml failed"; }
  if ! wait_until 180 coredns_ready; then
    kubectl get pods -n kube-system -l k8s-app=kube-dns -o wide >&2 || true
    kubectl describe pods -n kube-system -l k8s-app=kube-dns 2>&1 | tail -n 25 >&2 || true
    die "CoreDNS is not ready after 180s"
  fi
  step "the other images"
  wait "$OTHER_IMPORTS" || die "importing the image archives failed (see above)"
  step_done
  log "node $NODE_NAME is up in $(elapsed "$total") s; KUBECONFIG=$ADMIN_KUBECONFIG"
}

wait_until() {
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do ((SECONDS < deadline)) || return 1; sleep 0.5; done
}

# Containers outlive the kubelet and containerd (each has its own shim): end them through
# containerd, politely first, then wait for their shims to go.
stop_containers() {
  local ids pid
  [[ -S $SOCK ]] && supervisor_pid containerd >/dev/null || return 0
  mapfile -t ids < <(ctr tasks ls -q 2>/dev/null)
  if ((${#ids[@]})); then
    log "   stopping ${#ids[@]} containers"
    for id in "${ids[@]}"; do ctr tasks kill -s SIGTERM "$id" >/dev/null 2>&1 || true; done
    wait_until 10 no_tasks || true
    mapfile -t ids < <(ctr tasks ls -q 2>/dev/null)
    for id in "${ids[@]}"; do ctr tasks kill -a -s SIGKILL "$id" >/dev/null 2>&1 || true; done
    # The CRI plugin deletes exited tasks itself; what is left after 10 s goes by hand.
    wait_until 10 no_tasks || true
    mapfile -t ids < <(ctr tasks ls -q 2>/dev/null)
    for id in "${ids[@]}"; do ctr tasks delete -f "$id" >/dev/null 2>&1 || true; done
  fi
  # A shim whose task is gone exits by itself; one that does not is ended by its recorded pid.
  wait_until 10 shims_gone || true
  for pid in $(our_shims); do log "   ending shim $pid"; kill -KILL "$pid" 2>/dev/null || true; done
}
no_tasks() { [[ -z $(ctr tasks ls -q 2>/dev/null) ]]; }
# Pids of live shims of this node's containerd: a shim's command line names the containerd socket
# it serves (`-address $SOCK`), and that socket is ours alone (a system containerd's shims differ).
our_shims() {
  local cmdline pid
  for cmdline in /proc/[0-9]*/cmdline; do
    pid=${cmdline#/proc/}; pid=${pid%/cmdline}
    [[ $(tr '\0' ' ' 2>/dev/null <"$cmdline") == *containerd-shim*" -address $SOCK "* ]] && echo "$pid"
  done
  return 0
}
shims_gone() { [[ -z $(our_shims) ]]; }

cmd_down() {
  need_root
  local total name
  total=$(now)
  # The kubelet first, so that nothing restarts the containers; then the containers, containerd
  # and the control plane from the top down.
  step "kubelet and kube-proxy"
  stop_proc kubelet & stop_proc kube-proxy & wait
  step "containers"
  stop_containers
  step "containerd and the control plane"
  stop_proc containerd & stop_proc kube-scheduler & stop_proc kube-controller-manager & wait
  stop_proc kube-apiserver
  stop_proc etcd
  step_done
  for name in "${PROCESSES[@]}"; do
    if supervisor_pid "$name" >/dev/null; then die "$name is still running"; fi
  done
  shims_gone || die "container shims are still running"
  log "node down in $(elapsed "$total") s (data kept in $CLUSTER_DIR)"
}

cmd_status() {
  local name pid state
  for name in "${PROCESSES[@]}"; do
    if pid=$(supervisor_pid "$name"); then
      state="up    pid $(cat "$RUN/$name.child" 2>/dev/null || echo "?")"
    else
      state="down"; pid=""
    fi
    printf '%-24s %-18s restarts %-3s %s\n' "$name" "$state" "$(restarts "$name")" "$LOGS/$name.log"
  done
  if supervisor_pid kube-apiserver >/dev/null && apiserver_ready >/dev/null 2>&1; then
    kubectl get nodes -o wide
  else
    echo "API server not answering"
  fi
}

# Removes everything of the node but the network guard and the image archives: a next `up` starts
# from nothing (new certificates, empty etcd, images imported again).
cmd_reset() {
  need_root
  [[ $CLUSTER_DIR == /var/lib/* || -n ${TODO_RESET_ANYWHERE:-} ]] || die "refusing to remove $CLUSTER_DIR"
  cmd_down
  local mount
  # Kubelet volumes and network namespaces stay mounted after the processes end.
  while read -r mount; do umount -l "$mount" 2>/dev/null || true; done \
    < <(awk -v d="$CLUSTER_DIR/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r)
  rm -rf --one-file-system "$CLUSTER_DIR"
  log "removed $CLUSTER_DIR"
}

# One up/down/import/reset at a time.
lock() {
  need_root
  install -d -m 0755 "$CLUSTER_DIR"
  exec 9>"$CLUSTER_DIR/.lock"
  flock -n 9 || die "another node.sh up/down/import/reset is running"
}

case ${1:-} in
  up | down | import | reset) lock ;;
esac
case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  guard-check) need_root; guard_check ;;
  import)
    shift; need_root
    (($#)) || die "usage: node.sh import ARCHIVE..."
    if ! supervisor_pid containerd >/dev/null || ! containerd_ready >/dev/null 2>&1; then
      die "the node's containerd is not running: node.sh up first"
    fi
    mkdir -p "$LOGS"
    for archive in "$@"; do import_archive "$archive"; done ;;
  kubeconfig) echo "$ADMIN_KUBECONFIG" ;;
  reset) cmd_reset ;;
  *) sed -n '2,15p' "$0" >&2; exit 2 ;;
esac
