#!/usr/bin/env bash
# Host preparation for the cluster kit on a machine like ours (no container engine of its own, a
# VM whose capability bounding set lacks CAP_SYS_RESOURCE, and a rule that nothing may leave the
# machine). Not needed on a user's machine with Docker already running. In this order:
#   1. Debian packages: docker.io (Docker 20.10, cgroupfs), iptables, jq, conntrack, socat,
#      debootstrap; policy-rc.d keeps the package from starting dockerd before the guard exists;
#   2. the network guard (guard.sh install), BEFORE dockerd starts, and its check;
#   3. the OCI runtime wrapper runc-capfix and /etc/docker/daemon.json naming it the default runtime;
#   4. deny-proxy.py on 127.0.0.1:3129 (what minikube's own lookups of the internet are sent to);
#   5. dockerd (background), itself pointed at the deny-proxy;
#   6. the guard again (now with DOCKER-USER) and its check.
# Idempotent: on a prepared host it only re-checks. Logs: $TOOLS_DIR/cluster/logs/{apt-host,dockerd,deny-proxy}.log.
#   hack/cluster/host/prepare.sh
# shellcheck source=../../install/common.sh
source "$(dirname "$0")/../../install/common.sh"
HOST=$(cd "$(dirname "$0")" && pwd)
LOGS="$TOOLS_DIR/cluster/logs"
DENY_PROXY_PORT=3129
mkdir -p "$LOGS"
((EUID == 0)) || die "run as root (packages, iptables, routes and dockerd)"

packages=(docker.io iptables jq conntrack socat debootstrap)
missing=()
for p in "${packages[@]}"; do dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if ((${#missing[@]})); then
  # No init script may start dockerd before the guard exists.
  [[ -x /usr/sbin/policy-rc.d ]] || { printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; }
  log "apt-get install ${missing[*]} (log: $LOGS/apt-host.log)"
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"; } >>"$LOGS/apt-host.log" 2>&1 ||
    die "apt-get failed; see $LOGS/apt-host.log"
fi

bash "$HOST/guard.sh" install
bash "$HOST/guard.sh" check >&2 || die "the network guard check failed before dockerd"

install -m 0755 "$HOST/runc-capfix" /usr/local/sbin/runc-capfix
mkdir -p /etc/docker
if ! jq -e --slurpfile want "$HOST/daemon.json" '. == $want[0]' /etc/docker/daemon.json >/dev/null 2>&1; then
  pgrep -x dockerd >/dev/null && log "warning: /etc/docker/daemon.json changes; restart dockerd for it to apply"
  install -m 0644 "$HOST/daemon.json" /etc/docker/daemon.json
fi

if ! (exec 3<>"/dev/tcp/127.0.0.1/$DENY_PROXY_PORT") 2>/dev/null; then
  log "starting the deny-proxy on 127.0.0.1:$DENY_PROXY_PORT (log: $LOGS/deny-proxy.log)"
  setsid nohup python3 "$HOST/deny-proxy.py" "$DENY_PROXY_PORT" "$LOGS/deny-proxy.log" >/dev/null 2>&1 </dev/null &
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$DENY_PROXY_PORT") 2>/dev/null && break; sleep 0.1; done
fi

if ! docker info >/dev/null 2>&1; then
  log "starting dockerd (log: $LOGS/dockerd.log)"
  # Any pull dockerd might attempt goes to the deny-proxy: refused and logged, never out.
  HTTP_PROXY=http://127.0.0.1:$DENY_PROXY_PORT HTTPS_PROXY=http://127.0.0.1:$DENY_PROXY_PORT NO_PROXY=localhost,127.0.0.1 \
    setsid nohup dockerd >>"$LOGS/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || die "dockerd did not come up; see $LOGS/dockerd.log"
fi

bash "$HOST/guard.sh" install
bash "$HOST/guard.sh" check >&2 || die "the network guard check failed after dockerd"
docker info --format 'dockerd {{.ServerVersion}}, default runtime {{.DefaultRuntime}}, cgroup driver {{.CgroupDriver}} v{{.CgroupVersion}}' >&2
