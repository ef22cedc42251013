#!/usr/bin/env bash
# Every image of the cluster here (CLUSTER_ARTIFACTS=local), built once as archives in the tools
# cache with no build container and no network: Go binaries (hack/cluster/build.sh) on a small
# scratch layer; the node, kube-proxy, Kafka, PostgreSQL and the functions on Debian 12 root
# filesystems made by debootstrap from Debian's packages. Each archive (oci-image.mjs) is at once
# an OCI layout and a Docker archive, and goes where its user reads it:
#   node   the minikube node image (our stand-in for kicbase): `docker load` into the local daemon,
#          named by a hash of what it is made of, given to `minikube start --base-image`
#   cache  the images kubeadm and minikube's addons name (registry.k8s.io/..., the storage
#          provisioner): minikube's image cache, which `minikube start --cache-images` loads
#   load   everything the platform runs (dev.local/...; Knative skips digest resolution there):
#          `minikube image load <archive>` into the running node
#
#   hack/cluster/images.sh build [image...]     archives into $TOOLS_DIR/cluster/images
#   hack/cluster/images.sh stage                node image into Docker; Kubernetes images and kubeadm,
#                                               kubelet, kubectl into minikube's caches
#   hack/cluster/images.sh load                 load images into the node (those missing or changed)
#   hack/cluster/images.sh function FN HASH     a function's image, built and loaded (at deploy time)
#   hack/cluster/images.sh node-image           the node image's name
#   hack/cluster/images.sh list                 kind, name and archive of every image
# shellcheck source=../install/common.sh
source "$(dirname "$0")/../install/common.sh"
KIT=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$KIT/../.." && pwd)

BIN_ROOT="$TOOLS_DIR/cluster/bin"
IMAGES="$TOOLS_DIR/cluster/images"
ROOTFS="$TOOLS_DIR/cluster/rootfs"
LOGS="$TOOLS_DIR/cluster/logs"
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
MINIKUBE_HOME=${MINIKUBE_HOME:-$TOOLS_DIR/minikube}
# minikube keeps its files in $MINIKUBE_HOME/.minikube, unless that path already ends in .minikube.
MINIKUBE_DIR=$MINIKUBE_HOME
[[ ${MINIKUBE_HOME##*/} == .minikube ]] || MINIKUBE_DIR=$MINIKUBE_HOME/.minikube
PROFILE=${CLUSTER_PROFILE:-minikube}
mkdir -p "$IMAGES" "$ROOTFS" "$LOGS"

KNATIVE=$KNATIVE_SERVING_VERSION TRAEFIK=$TRAEFIK_VERSION KUBERNETES=$KUBERNETES_VERSION MINIKUBE=$MINIKUBE_VERSION
ETCD=$ETCD_VERSION COREDNS=$COREDNS_VERSION PAUSE=$PAUSE_VERSION CRICTL=$CRICTL_VERSION

# The node's Debian packages: what minikube's docker driver expects in kicbase.
NODE_PACKAGES=(systemd systemd-sysv dbus openssh-server sudo containerd runc containernetworking-plugins
  conntrack socat iptables iproute2 ethtool ebtables kmod util-linux mount procps ca-certificates curl
  rsync lz4 pigz libseccomp2 netcat-openbsd iputils-ping less)

# The node image's name: a hash of what it is made of, so a change to the node's files makes a new one.
node_image() {
  local hash
  hash=$( (cat "$KIT"/node/*; declare -f node_rootfs; echo "${NODE_PACKAGES[*]} $CRICTL") | sha256sum | cut -c1-12)
  echo "local/todo-minikube-node:$hash"
}

# kind|name|archive|how: every image of the cluster.
catalogue() {
  local cmd k="go kubernetes-$KUBERNETES"
  echo "node|$(node_image)|node-$(node_image | cut -d: -f2)|node"
  for cmd in kube-apiserver kube-controller-manager kube-scheduler; do
    echo "cache|registry.k8s.io/$cmd:$KUBERNETES|$cmd-$KUBERNETES|$k/$cmd /usr/local/bin root"
  done
  echo "cache|registry.k8s.io/kube-proxy:$KUBERNETES|kube-proxy-$KUBERNETES|kube-proxy"
  echo "cache|registry.k8s.io/etcd:${ETCD#v}-0|etcd-$ETCD|go etcd-$ETCD/etcd /usr/local/bin root etcd-$ETCD/etcdctl"
  echo "cache|registry.k8s.io/pause:$PAUSE|pause-$PAUSE|pause"
  echo "cache|registry.k8s.io/coredns/coredns:$COREDNS|coredns-$COREDNS|go coredns-$COREDNS/coredns / 65532"
  echo "cache|gcr.io/k8s-minikube/storage-provisioner:v5|storage-provisioner-v5|go minikube-$MINIKUBE/storage-provisioner / root"
  for cmd in controller webhook activator autoscaler queue; do
    echo "load|dev.local/knative/$cmd:$KNATIVE|knative-$cmd-$KNATIVE|go knative-serving-$KNATIVE/$cmd / 65532"
  done
  echo "load|dev.local/traefik/traefik:$TRAEFIK|traefik-$TRAEFIK|go traefik-$TRAEFIK/traefik / 65532"
  # No placement: the chart runs none with actors off (cluster/helm/dapr-values-dev.yaml).
  for cmd in operator sentry injector scheduler daprd; do
    echo "load|dev.local/daprio/$cmd:$DAPR_VERSION|dapr-$cmd-$DAPR_VERSION|go dapr-$DAPR_VERSION/$cmd / 65532"
  done
  echo "load|dev.local/todo/cold-start-floor:1|cold-start-floor-1|floor"
  echo "load|dev.local/todo/kafka:$KAFKA_VERSION|kafka-$KAFKA_VERSION|kafka"
  echo "load|dev.local/todo/postgres:15|postgres-15|postgres"
  # The observability stack (cluster/observability, hack/cluster/observability.sh): binaries in
  # /bin as in the published images (Prometheus keeps its data in /prometheus).
  local prom=${PROMETHEUS_VERSION#v0.}
  prom="v${prom:0:1}.$((10#${prom:1:2})).${prom#*.}"
  echo "load|dev.local/prometheus/prometheus:$prom|prometheus-$prom|go prometheus-$PROMETHEUS_VERSION/prometheus /bin 65534"
  echo "load|dev.local/jaegertracing/all-in-one:${JAEGER_VERSION#v}|jaeger-all-in-one-$JAEGER_VERSION|go jaeger-$JAEGER_VERSION/jaeger-all-in-one /bin 10001"
  echo "load|dev.local/todo/kafka-lag-exporter:0.1.0|kafka-lag-exporter-$(lag_exporter_hash)|lag-exporter"
}

# The lag exporter's source identity (its archive's name): a change to it makes a new image.
lag_exporter_hash() {
  (cd "$ROOT/packages/kafka-lag-exporter" && find src package.json -type f -print0 | sort -z | xargs -0 sha256sum) |
    sha256sum | cut -c1-12
}

oci() { node "$KIT/oci-image.mjs" "$@" >&2; }

# A few files every scratch image needs: users (65532 = nonroot), CA bundle, /tmp.
scratch_layer() {
  local dir="$ROOTFS/scratch"
  if [[ -f $dir/.complete ]]; then echo "$dir"; return; fi
  rm -rf "$dir"; mkdir -p "$dir/etc/ssl/certs" "$dir/tmp"
  chmod 1777 "$dir/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$dir/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$dir/etc/group"
  printf 'hosts: files dns\n' >"$dir/etc/nsswitch.conf"
  cp /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/"
  touch "$dir/.complete"
  echo "$dir"
}

# A layer holding binaries in DIR (/ or /usr/local/bin): where the manifests that run them look.
binary_layer() {
  local into=$1 dir binary; shift
  dir="$ROOTFS/bin-$(basename "$1")"
  rm -rf "$dir"; mkdir -p "$dir$into"
  for binary in "$@"; do cp "$binary" "$dir$into/"; done
  echo "$dir"
}

need_binary() {
  local path="$BIN_ROOT/$1" component=${1%%/*}
  component=${component%-v*}; component=${component%-[0-9]*}
  [[ -x $path ]] || bash "$KIT/build.sh" "$component" >&2
  [[ -x $path ]] || die "no $path: hack/cluster/build.sh did not build it"
  echo "$path"
}

# Debian 12 (minbase) from Debian's mirror, once; each image adds its packages in a copy.
debian_rootfs() {
  local dir="$ROOTFS/debian-12"
  if [[ ! -f $dir.complete ]]; then
    command -v debootstrap >/dev/null || apt_install debootstrap
    log "debootstrap of Debian 12 (minbase) from $DEBIAN_MIRROR (first time only, a few minutes)"
    rm -rf "$dir"
    debootstrap --variant=minbase --include=ca-certificates bookworm "$dir" "$DEBIAN_MIRROR" \
      >"$LOGS/debootstrap.log" 2>&1 || die "debootstrap failed; see $LOGS/debootstrap.log"
    # Images never run apt: leave out its lists and caches.
    rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin
    touch "$dir.complete"
  fi
  echo "$dir"
}

apt_install() {
  log "installing $* from Debian's packages"
  local sudo=""; ((EUID == 0)) || sudo=sudo
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"; } >&2 \
    || die "apt-get install $* failed"
}

# A copy of the Debian root with packages installed in a chroot (/proc mounted for the postinsts;
# policy-rc.d keeps every service from starting).
debian_with() {
  local name=$1 prepare=$2; shift 2
  local dir="$ROOTFS/$name" base
  if [[ ! -f $dir.complete ]]; then
    base=$(debian_rootfs)
    rm -rf "$dir"; cp -a "$base" "$dir"
    $prepare "$dir"
    printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"; chmod +x "$dir/usr/sbin/policy-rc.d"
    mount -t proc proc "$dir/proc"
    # shellcheck disable=SC2064 # expand now: the trap must unmount this very directory
    trap "umount '$dir/proc' 2>/dev/null || true" EXIT
    { chroot "$dir" apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive chroot "$dir" apt-get install -y -qq --no-install-recommends "$@"; } \
      >"$LOGS/image-$name.log" 2>&1 || { umount "$dir/proc"; die "apt-get install $* in $name failed; see $LOGS/image-$name.log"; }
    umount "$dir/proc"; trap - EXIT
    rm -f "$dir/usr/sbin/policy-rc.d"
    rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/archives/*.deb "$dir"/var/cache/apt/*.bin \
      "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/*
    touch "$dir.complete"
  fi
  echo "$dir"
}

no_prepare() { :; }
# PostgreSQL's user and group as in the official image (999), made before the package makes its own.
prepare_postgres() {
  chroot "$1" groupadd -r -g 999 postgres
  chroot "$1" useradd -r -u 999 -g 999 -d /var/lib/postgresql -s /bin/bash postgres
  # Debian would create and start a cluster at install; the entrypoint makes one in PGDATA instead.
  mkdir -p "$1/etc/postgresql-common/createcluster.d"
  printf 'create_main_cluster = false\n' >"$1/etc/postgresql-common/createcluster.d/no-main.conf"
}
prepare_kafka() { chroot "$1" useradd -r -u 1001 -d /var/lib/kafka kafka; }

# The minikube node: Debian's packages (NODE_PACKAGES), then what minikube's docker driver expects
# of kicbase: the user `docker` (passwordless sudo, key-only ssh), CNI plugins in /opt/cni/bin,
# crictl, containerd's configuration, systemd trimmed to what a node needs, our entrypoint.
node_rootfs() {
  local stage=$1 base crictl node="$KIT/node" unit
  base=$(debian_with node no_prepare "${NODE_PACKAGES[@]}")
  crictl=$(need_binary "crictl-$CRICTL/crictl")
  rm -rf "$stage"; cp -a "$base" "$stage"
  install -m 0755 "$node/entrypoint.sh" "$stage/usr/local/bin/node-entrypoint"
  install -m 0755 "$crictl" "$stage/usr/local/bin/crictl"
  mkdir -p "$stage/etc/containerd/conf.d" "$stage/etc/containerd/certs.d"
  install -m 0644 "$node/containerd.toml" "$stage/etc/containerd/config.toml"
  install -m 0644 "$node/containerd-node.toml" "$stage/etc/containerd/conf.d/50-node.toml"
  # Debian ships the CNI plugins in /usr/lib/cni; minikube's bridge configuration looks in /opt/cni/bin.
  mkdir -p "$stage/opt/cni/bin" "$stage/etc/cni/net.d"
  for unit in "$stage"/usr/lib/cni/*; do ln -sf "/usr/lib/cni/${unit##*/}" "$stage/opt/cni/bin/${unit##*/}"; done
  chroot "$stage" groupadd -f docker
  chroot "$stage" useradd -m -s /bin/bash -g docker -G sudo docker
  chroot "$stage" usermod -p '*' docker
  install -d -m 0700 -o "$(chroot "$stage" id -u docker)" -g "$(chroot "$stage" id -g docker)" "$stage/home/docker/.ssh"
  printf '%%sudo ALL=(ALL) NOPASSWD:ALL\n' >"$stage/etc/sudoers.d/20-passwordless-sudo"
  chmod 0440 "$stage/etc/sudoers.d/20-passwordless-sudo"
  install -m 0644 "$node/sshd.conf" "$stage/etc/ssh/sshd_config.d/10-minikube.conf"
  rm -f "$stage"/etc/ssh/ssh_host_*   # made per container by the entrypoint
  # systemd in a container: only what the node needs at boot (minikube starts containerd itself).
  rm -f "$stage"/etc/systemd/system/getty.target.wants/* "$stage"/etc/systemd/system/timers.target.wants/* \
    "$stage"/etc/systemd/system/sysinit.target.wants/systemd-pstore.service \
    "$stage"/etc/systemd/system/multi-user.target.wants/{e2scrub_reap.service,remote-fs.target,containerd.service}
  for unit in systemd-binfmt.service proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount \
    getty@tty1.service console-getty.service systemd-modules-load.service; do
    ln -sf /dev/null "$stage/etc/systemd/system/$unit"
  done
  mkdir -p "$stage/etc/systemd/journald.conf.d"
  printf '[Journal]\nReadKMsg=no\nStorage=volatile\nRuntimeMaxUse=64M\n' >"$stage/etc/systemd/journald.conf.d/10-node.conf"
  mkdir -p "$stage/etc/kubernetes/manifests" "$stage/kind" "$stage/var/lib/minikube"
  : >"$stage/etc/machine-id"
  # shellcheck disable=SC2016 # dpkg-query's own format
  printf 'todo-event-backbone minikube node: Debian 12, containerd %s\n' \
    "$(chroot "$stage" dpkg-query -W -f '${Version}' containerd)" >"$stage/kic.txt"
}

build_image() {
  local name=$1 archive=$2 how=$3 out="$IMAGES/$2.tar"
  [[ -f $out ]] && return 0
  log "image $name"
  case $how in
    node)
      local stage="$ROOTFS/node-image"
      node_rootfs "$stage"
      oci --name "$name" --out "$out" --layer "$stage" --env container=docker --port 22 \
        --stop-signal SIGRTMIN+3 --entrypoint '["/usr/local/bin/node-entrypoint", "/sbin/init"]'
      rm -rf "$stage"
      find "$IMAGES" -maxdepth 1 -name 'node-*.tar' ! -name "$archive.tar" -delete ;;
    pause)
      local dir="$ROOTFS/pause" src
      src=$(bash "$ROOT/hack/install/go-module.sh" "k8s.io/kubernetes@$KUBERNETES")/build/pause/linux/pause.c
      rm -rf "$dir"; mkdir -p "$dir"
      gcc -Os -static -o "$dir/pause" "$src" -DVERSION="$PAUSE" >&2 || die "could not compile pause.c"
      oci --name "$name" --out "$out" --layer "$dir" --entrypoint '["/pause"]' --user 65535:65535 ;;
    go\ *)
      # go BINARY INTO USER [MORE BINARIES]
      local spec binaries=() binary into user
      read -r -a spec <<<"${how#go }"
      into=${spec[1]} user=${spec[2]}
      for binary in "${spec[0]}" "${spec[@]:3}"; do binaries+=("$(need_binary "$binary")"); done
      local entry="/${spec[0]##*/}"; [[ $into == / ]] || entry="$into/${spec[0]##*/}"
      local user_args=(); [[ $user == root ]] || user_args=(--user "$user:$user")
      oci --name "$name" --out "$out" --layer "$(scratch_layer)" --layer "$(binary_layer "$into" "${binaries[@]}")" \
        --env PATH=/usr/local/bin:/usr/bin:/bin --entrypoint "[\"$entry\"]" "${user_args[@]}" ;;
    kube-proxy)
      local base binary
      base=$(debian_with kube-proxy no_prepare iptables conntrack ipset kmod iproute2)
      binary=$(need_binary "kubernetes-$KUBERNETES/kube-proxy")
      oci --name "$name" --out "$out" --layer "$base" --layer "$(binary_layer /usr/local/bin "$binary")" \
        --entrypoint '["/usr/local/bin/kube-proxy"]' ;;
    floor)
      local dir="$ROOTFS/floor"
      rm -rf "$dir"; mkdir -p "$dir"
      # CGO off: net would link libc dynamically, and a scratch image has no loader.
      (cd "$ROOT/hack/cluster/cold-start-floor" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$dir/floor" .) >&2 \
        || die "could not build hack/cluster/cold-start-floor"
      oci --name "$name" --out "$out" --layer "$(scratch_layer)" --layer "$dir" \
        --entrypoint '["/floor"]' --user 65532:65532 --port 8080 ;;
    kafka)
      local base app="$ROOTFS/kafka-app" libs
      base=$(debian_with kafka-jre prepare_kafka openjdk-17-jre-headless)
      libs=$(bash "$ROOT/hack/install/kafka.sh")
      [[ -d $libs ]] || die "hack/install/kafka.sh gave '$libs'"
      rm -rf "$app"; mkdir -p "$app/opt/kafka/libs" "$app/opt/kafka/bin"
      cp "$libs"/*.jar "$app/opt/kafka/libs/"
      cp "$KIT/local/kafka-entrypoint.sh" "$app/opt/kafka/bin/entrypoint.sh"
      oci --name "$name" --out "$out" --layer "$base" --layer "$app" \
        --entrypoint '["/opt/kafka/bin/entrypoint.sh"]' --user 1001:1001 --port 9092 ;;
    postgres)
      local base app="$ROOTFS/postgres-app"
      base=$(debian_with postgres prepare_postgres postgresql-15)
      rm -rf "$app"; mkdir -p "$app/usr/local/bin" "$app/run/postgresql"
      # The socket directory pg_isready (the readiness probe) looks in, writable by postgres.
      chown 999:999 "$app/run/postgresql"; chmod 2775 "$app/run/postgresql"
      cp "$KIT/local/postgres-entrypoint.sh" "$app/usr/local/bin/docker-entrypoint.sh"
      oci --name "$name" --out "$out" --layer "$base" --layer "$app" \
        --entrypoint '["/usr/local/bin/docker-entrypoint.sh"]' --user 999:999 --port 5432 \
        --env PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin --env PGDATA=/var/lib/postgresql/data ;;
    lag-exporter)
      # Its bundle (npm run build: the exporter and its two dependencies in one file) on Node 24.
      local app="$ROOTFS/kafka-lag-exporter-app" node_dir
      node_dir=$(bash "$ROOT/hack/install/node.sh")
      (cd "$ROOT/packages/kafka-lag-exporter" && PATH="$node_dir:$PATH" npm run -s build) >&2 \
        || die "could not bundle packages/kafka-lag-exporter"
      rm -rf "$app"; mkdir -p "$app/app"
      cp "$ROOT/packages/kafka-lag-exporter/build/index.js" "$app/app/index.js"
      chmod -R a+rX "$app"
      oci --name "$name" --out "$out" --layer "$(debian_rootfs)" --layer "$(node_layer)" --layer "$app" \
        --workdir /app --user 65532:65532 --port 9308 --entrypoint '["/usr/local/bin/node", "/app/index.js"]'
      find "$IMAGES" -maxdepth 1 -name 'kafka-lag-exporter-*.tar' ! -name "$archive.tar" -delete ;;
    *) die "unknown image kind '$how'" ;;
  esac
}

# Node 24 (the binary the local stack runs) and a stand-in for the buildpacks' launcher: a layer.
node_layer() {
  local node_base="$ROOTFS/node-24" node_dir
  if [[ ! -f $node_base.complete ]]; then
    node_dir=$(bash "$ROOT/hack/install/node.sh")
    rm -rf "$node_base"; mkdir -p "$node_base/usr/local/bin" "$node_base/cnb/lifecycle"
    cp "$node_dir/node" "$node_base/usr/local/bin/node"
    # The buildpacks' launcher runs a command with the launch environment; here that is PATH alone.
    printf '#!/bin/sh\n# Stand-in for the buildpacks lifecycle launcher: runs the command as given.\nexec "$@"\n' \
      >"$node_base/cnb/lifecycle/launcher"
    chmod 0755 "$node_base/cnb/lifecycle/launcher"
    touch "$node_base.complete"
  fi
  echo "$node_base"
}

# A function's image: Node 24 on Debian, the function's bundle, its one runtime dependency
# (faas-js-runtime, installed as func's Node builder would: production only) and its compile
# cache. It follows the buildpacks' contract for other commands than the default process, as the
# image func's pack builder makes does: `/cnb/lifecycle/launcher <command> <args>` in the app's
# directory (the migration Job, cluster/migrate-job.yaml, runs one image or the other).
function_image() {
  local fn=$1 name="dev.local/todo/$1:$2" out="$IMAGES/fn-$1-$2.tar"
  if [[ ! -f $out ]]; then
    local node_base app="$ROOTFS/fn-$fn" node_dir
    node_dir=$(bash "$ROOT/hack/install/node.sh")
    node_base=$(node_layer)
    rm -rf "$app"; mkdir -p "$app/app"
    cp -r "$ROOT/functions/$fn/build" "$ROOT/functions/$fn/package.json" "$ROOT/functions/$fn/package-lock.json" "$app/app/"
    rm -f "$app/app/build/"*.map
    # The function folder's own lockfile, as func's Node builder uses it (npm ci).
    (cd "$app/app" && PATH="$node_dir:$PATH" npm ci --omit=dev --no-audit --no-fund --loglevel=error) >&2 \
      || die "npm ci of $fn's runtime dependencies failed"
    # The compile cache the function starts from (func.yaml's NODE_COMPILE_CACHE), made by the
    # image's own Node, and readable by the user the container runs as.
    (cd "$app/app" && "$node_dir/node" build/warm-compile-cache.mjs) >&2 \
      || die "warming $fn's compile cache failed"
    chmod -R a+rX "$app/app"
    oci --name "$name" --out "$out" --layer "$(debian_rootfs)" --layer "$node_base" --layer "$app" \
      --workdir /app --user 1001:1001 --port 8080 \
      --entrypoint '["/usr/local/bin/node", "/app/node_modules/faas-js-runtime/bin/cli.js", "/app/build/index.js"]'
    # Older bundles' images of this function (about 330 MB each) are never deployed again.
    find "$IMAGES" -maxdepth 1 -name "fn-$fn-*.tar" ! -name "fn-$fn-$2.tar" -delete
  fi
  load_archives "$name|$out"
  echo "$name"
}

# The manifest digest of an archive (what containerd lists for the image it imported).
archive_digest() { tar -xOf "$1" index.json | sed -n 's/.*"digest":"\(sha256:[0-9a-f]*\)".*/\1/p' | head -n 1; }

# Loads NAME|ARCHIVE pairs into the running node when the node has no image of that name at that digest.
load_archives() {
  local present pair name archive digest loaded=0
  present=$(minikube -p "$PROFILE" ssh -- sudo ctr -n k8s.io images ls 2>/dev/null | awk 'NR > 1 { print $1 " " $3 }') ||
    die "cannot list the node's images (is the cluster running?)"
  for pair in "$@"; do
    name=${pair%%|*} archive=${pair#*|}
    digest=$(archive_digest "$archive")
    if grep -qxF "$name $digest" <<<"$present"; then continue; fi
    log "minikube image load $name"
    minikube -p "$PROFILE" image load "$archive" >&2 || die "minikube image load $archive failed"
    loaded=$((loaded + 1))
  done
  # `minikube image load` reports success whatever happened in the node: check.
  if ((loaded)); then
    present=$(minikube -p "$PROFILE" ssh -- sudo ctr -n k8s.io images ls | awk 'NR > 1 { print $1 " " $3 }')
    for pair in "$@"; do
      name=${pair%%|*} archive=${pair#*|}
      grep -qxF "$name $(archive_digest "$archive")" <<<"$present" || die "$name is not in the node after minikube image load"
    done
  fi
}

stage() {
  local kind name archive _ dst
  while IFS='|' read -r kind name archive _; do
    case $kind in
      node)
        docker image inspect "$name" >/dev/null 2>&1 || { log "docker load $name"; docker load -i "$IMAGES/$archive.tar" >&2; } ;;
      cache)
        # minikube's cache path for an image: <registry>/<path>_<tag>
        dst="$MINIKUBE_DIR/cache/images/amd64/${name%:*}_${name##*:}"
        mkdir -p "$(dirname "$dst")"
        cmp -s "$IMAGES/$archive.tar" "$dst" || cp "$IMAGES/$archive.tar" "$dst" ;;
    esac
  done < <(catalogue)
  # kubeadm, kubelet and kubectl where minikube looks before it downloads them.
  local cache_bin="$MINIKUBE_DIR/cache/linux/amd64/$KUBERNETES" binary
  mkdir -p "$cache_bin"
  for binary in kubeadm kubelet kubectl; do
    cmp -s "$(need_binary "kubernetes-$KUBERNETES/$binary")" "$cache_bin/$binary" ||
      install -m 0755 "$BIN_ROOT/kubernetes-$KUBERNETES/$binary" "$cache_bin/$binary"
  done
}

case ${1:-} in
  build)
    shift
    while IFS='|' read -r _ name archive how; do
      if (($# == 0)) || [[ " $* " == *" $archive "* || " $* " == *" $name "* ]]; then build_image "$name" "$archive" "$how"; fi
    done < <(catalogue) ;;
  stage) stage ;;
  load)
    pairs=()
    while IFS='|' read -r kind name archive _; do [[ $kind == load ]] && pairs+=("$name|$IMAGES/$archive.tar"); done < <(catalogue)
    load_archives "${pairs[@]}" ;;
  function) function_image "${2:?function}" "${3:?bundle hash}" ;;
  node-image) node_image ;;
  list) while IFS='|' read -r kind name archive _; do echo "$kind $name $IMAGES/$archive.tar"; done < <(catalogue) ;;
  *) sed -n '2,21p' "$0"; exit 2 ;;
esac
