#!/usr/bin/env bash
# Host preparation: the network guard. Nothing the cluster sends may leave this machine.
#
#   guard.sh install        the rules and routes below (idempotent). Run it BEFORE dockerd starts and
#                           again once dockerd is up (the DOCKER-USER chain exists only then).
#   guard.sh check [-q]     checks them by READING rules and routes; never sends a packet. Exit 0 = ok.
#   guard.sh route NODE_IP  the cluster's service and pod ranges via the minikube node (the tests
#                           reach ClusterIPs and pod IPs from the host), replacing the blackholes
#   guard.sh unroute        the blackholes again (the node is stopped or gone)
#
# What it installs:
#   - mangle/FORWARD, first rules: a rate-limited LOG (prefix "todo-guard-drop: ") then DROP of
#     anything forwarded out of the uplink (the device of the default route), for IPv4 and IPv6.
#     mangle/FORWARD runs before filter/FORWARD, so the ACCEPT jumps Docker, CNI plugins or
#     kube-proxy add to filter cannot bypass it. Every container (the minikube node and everything
#     in it) is forwarded traffic on the host.
#   - filter/DOCKER-USER: DROP to the uplink as well (Docker's documented hook; second layer).
#   - blackhole routes for minikube's service range (10.96.0.0/12) and pod range (10.244.0.0/16),
#     so a host process never sends a ClusterIP or pod address to the default route. `route`
#     replaces them by routes via the node, which stay on the node's Docker bridge.
#   DNS: Docker's embedded DNS (127.0.0.11 in the node) forwards names it cannot answer to the
#   host's nameserver from the container's network namespace, i.e. as forwarded traffic: dropped.
set -euo pipefail
STATE=/run/todo-cluster-guard.uplink
RANGES=(10.96.0.0/12 10.244.0.0/16)
PROBES=(10.96.0.1 10.244.0.9)

default_dev() { ip "$1" route show default | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") print $(i + 1) }' | sort -u; }
uplink() {
  local dev=${GUARD_UPLINK:-}
  [[ -n $dev ]] || dev=$(cat "$STATE" 2>/dev/null || true)
  [[ -n $dev ]] || dev=$(default_dev -4 | head -n 1)
  [[ -n $dev ]] || { echo "guard: cannot tell the uplink (no default route); set GUARD_UPLINK" >&2; return 1; }
  echo "$dev"
}

install() {
  local up ipt net
  up=$(uplink)
  echo "$up" >"$STATE"
  for ipt in iptables ip6tables; do
    # The drop first, then the log rule above it: at every instant the drop is in place.
    $ipt -t mangle -C FORWARD -o "$up" -j DROP 2>/dev/null || $ipt -t mangle -I FORWARD 1 -o "$up" -j DROP
    $ipt -t mangle -C FORWARD -o "$up" -m limit --limit 6/min --limit-burst 20 -j LOG --log-prefix "todo-guard-drop: " 2>/dev/null ||
      $ipt -t mangle -I FORWARD 1 -o "$up" -m limit --limit 6/min --limit-burst 20 -j LOG --log-prefix "todo-guard-drop: "
    if $ipt -t filter -S DOCKER-USER >/dev/null 2>&1; then
      $ipt -t filter -C DOCKER-USER -o "$up" -j DROP 2>/dev/null || $ipt -t filter -I DOCKER-USER 1 -o "$up" -j DROP
    fi
  done
  # A route via the node (guard.sh route) is kept; otherwise the ranges are blackholed.
  for net in "${RANGES[@]}"; do
    ip route show "$net" | grep -q ' via ' || ip route replace blackhole "$net"
  done
  echo "guard installed on uplink $up" >&2
}

check() {
  local quiet=${1:-} up failed=0 fam dev ipt probe route pre
  say() { [[ $quiet == -q ]] || echo "$@"; }
  up=$(uplink) || return 1
  for fam in -4 -6; do
    for dev in $(default_dev "$fam"); do
      if [[ $dev == "$up" ]]; then say "ok    ip $fam default route via $dev (guarded)"; else say "FAIL  ip $fam default route via unguarded $dev"; failed=1; fi
    done
  done
  for ipt in iptables ip6tables; do
    if $ipt -t mangle -C FORWARD -o "$up" -j DROP 2>/dev/null; then
      # Nothing before the drop in mangle/FORWARD may let a packet through (only the LOG rule may precede it).
      pre=$($ipt -t mangle -S FORWARD | awk 'NR > 1' | sed -n "1,/-o $up -j DROP\$/p" | grep -v -- '-j DROP$' | grep -v -- '-j LOG' || true)
      if [[ -z $pre ]]; then say "ok    $ipt -t mangle -C FORWARD -o $up -j DROP (first terminal rule)"; else say "FAIL  $ipt mangle/FORWARD has rules before the drop: $pre"; failed=1; fi
    else
      say "FAIL  $ipt -t mangle: no FORWARD -o $up -j DROP"; failed=1
    fi
    if $ipt -t filter -S DOCKER-USER >/dev/null 2>&1; then
      if $ipt -t filter -C DOCKER-USER -o "$up" -j DROP 2>/dev/null; then say "ok    $ipt -t filter -C DOCKER-USER -o $up -j DROP"; else say "FAIL  $ipt DOCKER-USER has no drop to $up"; failed=1; fi
    elif [[ $ipt == iptables ]] && pgrep -x dockerd >/dev/null; then
      say "FAIL  dockerd runs but iptables has no DOCKER-USER chain"; failed=1
    fi
  done
  # The cluster ranges never follow the default route: blackholed (`ip route get` answers EINVAL)
  # or routed via the node on a local bridge.
  for probe in "${PROBES[@]}"; do
    route=$(ip route get "$probe" 2>&1 | head -n 1) || true
    if [[ $route == *" dev $up "* || $route == *" dev $up" ]]; then say "FAIL  ip route get $probe goes to the uplink: $route"; failed=1
    else say "ok    ip route get $probe: ${route:-no route} (not the uplink)"; fi
  done
  # Where a packet FORWARDED from a running container would go (route lookups only): to the host's
  # nameserver (what Docker's embedded DNS forwards to, from the container's namespace) and to a
  # TEST-NET address. "dev <uplink>" means forwarded to the uplink: what the mangle drop matches.
  local ns name addr cdev dst
  ns=$(awk '$1 == "nameserver" { print $2; exit }' /etc/resolv.conf)
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
    while read -r name addr; do
      [[ -n $addr ]] || continue
      cdev=$(ip -o route get "$addr" | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')
      for dst in $ns 203.0.113.1; do
        route=$(ip -o route get "$dst" from "$addr" iif "$cdev" 2>&1 | sed 's/[[:space:]]*cache.*//; s/\\//g') || true
        if [[ $route == *"dev $up"* ]]; then say "ok    container $name ($addr) -> $dst: forwarded to $up, dropped by mangle/FORWARD"
        else say "ok    container $name ($addr) -> $dst: $route (not the uplink)"; fi
      done
    done < <(docker ps -q | xargs -r docker inspect -f '{{.Name}}{{range .NetworkSettings.Networks}} {{.IPAddress}}{{end}}' | sed 's#^/##')
  fi
  return "$failed"
}

route() {
  local node=$1 dev net
  dev=$(ip -o route get "$node" | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')
  [[ -n $dev && $dev != "$(uplink)" ]] || { echo "guard: $node is not on a local bridge (dev '${dev:-none}')" >&2; return 1; }
  for net in "${RANGES[@]}"; do ip route replace "$net" via "$node" dev "$dev"; done
}

unroute() {
  local net
  for net in "${RANGES[@]}"; do ip route replace blackhole "$net"; done
}

case ${1:-} in
  install) install ;;
  check) check "${2:-}" ;;
  route) route "${2:?node IP}" ;;
  unroute) unroute ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
