#!/bin/bash
# PID 1 of the minikube node image built here (hack/cluster/images.sh, the stand-in for minikube's
# kicbase). Runs in the --privileged container minikube's docker driver starts, prepares what
# systemd, containerd and the kubelet need, then execs "$@" (/sbin/init: systemd).
set -uo pipefail
say() { echo "node-entrypoint: $*" >&2; }

# Mounts made by containerd and the kubelet (volumes, network namespaces, overlay roots) must
# propagate.
mount --make-rshared / || say "WARN: mount --make-rshared / failed"

# cgroups. Docker 20.10 on cgroup v1 gives the container no cgroup namespace (minikube passes no
# --cgroupns, and default-cgroupns-mode is ignored there): /proc/1/cgroup shows /docker/<id>. The
# kubelet and containerd use the paths they read there, so bind each hierarchy onto that path.
own=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/1/cgroup)
if [[ -n $own && $own != / ]]; then
  say "no cgroup namespace (memory cgroup $own): binding every hierarchy onto its own path"
  mount --make-rprivate /sys/fs/cgroup || true
  while read -r hierarchy; do
    [[ -d $hierarchy$own ]] || mkdir -p "$hierarchy$own" 2>/dev/null || true
    mountpoint -q "$hierarchy$own" || mount --bind "$hierarchy" "$hierarchy$own" || say "WARN: bind $hierarchy -> $hierarchy$own failed"
  done < <(awk '$3 == "cgroup" { print $2 }' /proc/self/mounts)
else
  say "cgroup namespace in use"
fi

# /sys read-only for the node (the cgroup mounts below it stay writable).
mount -o remount,ro /sys || say "WARN: could not remount /sys read-only"

# Persistent volumes. minikube's storage provisioner keeps volumes in /tmp/hostpath-provisioner,
# and the docker driver mounts /tmp as a tmpfs: the data would be lost at every `minikube stop`,
# and held in memory charged to the node's own 4 GB. Bind it onto /var (minikube's Docker volume).
mkdir -p /var/lib/minikube/hostpath-provisioner /tmp/hostpath-provisioner
mountpoint -q /tmp/hostpath-provisioner ||
  mount --bind /var/lib/minikube/hostpath-provisioner /tmp/hostpath-provisioner || say "WARN: volumes stay on tmpfs"

# A per-container identity: machine-id, SSH host keys, product_uuid.
rm -f /etc/machine-id
systemd-machine-id-setup >/dev/null 2>&1 || tr -d - </proc/sys/kernel/random/uuid >/etc/machine-id
ls /etc/ssh/ssh_host_*_key >/dev/null 2>&1 || ssh-keygen -A >/dev/null
mkdir -p /kind
for f in /sys/class/dmi/id/product_uuid /sys/devices/virtual/dmi/id/product_uuid; do
  if [[ -f $f ]]; then
    [[ -f /kind/product_uuid ]] || cat /proc/sys/kernel/random/uuid >/kind/product_uuid
    mount -o ro,bind /kind/product_uuid "$f" || true
  fi
done

say "ready: kernel $(uname -r), exec $*"
exec "$@"
