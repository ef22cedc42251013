#!/usr/bin/env bash
# Builds (once) the container images of the local cluster as OCI archives in the tools cache,
# with no build container: Go binaries from scripts/cluster/build.sh on a minimal scratch layer;
# Kafka, PostgreSQL and the Node functions on a Debian 12 root filesystem made by debootstrap from
# Debian's own packages. Every image is tagged dev.local/... (Knative resolves no digest there).
#
#   scripts/cluster/images.sh build [image...]      archives into $TOOLS_DIR/cluster/images
#   scripts/cluster/images.sh list                  name and archive of every image
#   scripts/cluster/images.sh function FN BUNDLE_HASH   a function's image (at deploy time)
# shellcheck source=../install/common.sh
source "$(dirname "$0")/../install/common.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

BIN_ROOT="$TOOLS_DIR/cluster/bin"
IMAGES="$TOOLS_DIR/cluster/images"
ROOTFS="$TOOLS_DIR/cluster/rootfs"
LOGS="$TOOLS_DIR/cluster/logs"
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$IMAGES" "$ROOTFS" "$LOGS"

KNATIVE=v0.50.0 TRAEFIK=v3.6.12 COREDNS=v1.12.4 KUBERNETES=v1.34.4
# name|archive|how: every image of the cluster.
catalogue() {
  echo "dev.local/kubernetes/pause:3.10|pause-3.10|pause"
  echo "dev.local/coredns/coredns:$COREDNS|coredns-$COREDNS|go coredns-$COREDNS/coredns"
  local cmd
  for cmd in controller webhook activator autoscaler queue; do
    echo "dev.local/knative/$cmd:$KNATIVE|knative-$cmd-$KNATIVE|go knative-serving-$KNATIVE/$cmd"
  done
  echo "dev.local/traefik/traefik:$TRAEFIK|traefik-$TRAEFIK|go traefik-$TRAEFIK/traefik"
  for cmd in operator sentry injector scheduler placement daprd; do
    echo "dev.local/daprio/$cmd:$DAPR_VERSION|dapr-$cmd-$DAPR_VERSION|go dapr-$DAPR_VERSION/$cmd"
  done
  echo "dev.local/todo/cold-start-floor:1|cold-start-floor-1|floor"
  echo "dev.local/todo/kafka:$KAFKA_VERSION|kafka-$KAFKA_VERSION|kafka"
  echo "dev.local/todo/postgres:15|postgres-15|postgres"
}

oci() { node "$ROOT/scripts/cluster/oci-image.mjs" "$@" >&2; }

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

# A one-binary layer: the binary at /<name>, where the upstream charts and manifests expect it.
binary_layer() {
  local binary=$1 dir
  dir="$ROOTFS/bin-$(basename "$(dirname "$binary")")-$(basename "$binary")"
  rm -rf "$dir"; mkdir -p "$dir"
  cp "$binary" "$dir/"
  echo "$dir"
}

need_binary() {
  local path="$BIN_ROOT/$1"
  [[ -x $path ]] || bash "$ROOT/scripts/cluster/build.sh" "${1%%-*}" >&2
  [[ -x $path ]] || die "no $path: scripts/cluster/build.sh did not build it"
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

# A copy of the Debian root with packages installed (in a chroot, /proc mounted for the postinsts).
debian_with() {
  local name=$1 prepare=$2; shift 2
  local dir="$ROOTFS/$name" base
  if [[ ! -f $dir.complete ]]; then
    base=$(debian_rootfs)
    rm -rf "$dir"; cp -a "$base" "$dir"
    $prepare "$dir"
    mount -t proc proc "$dir/proc"
    # shellcheck disable=SC2064 # expand now: the trap must unmount this very directory
    trap "umount '$dir/proc' 2>/dev/null || true" EXIT
    { chroot "$dir" apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive chroot "$dir" apt-get install -y -qq --no-install-recommends "$@"; } \
      >"$LOGS/image-$name.log" 2>&1 || { umount "$dir/proc"; die "apt-get install $* in $name failed; see $LOGS/image-$name.log"; }
    umount "$dir/proc"; trap - EXIT
    rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/archives/*.deb "$dir"/var/cache/apt/*.bin
    touch "$dir.complete"
  fi
  echo "$dir"
}

# PostgreSQL's user and group as in the official image (999), made before the package makes its own.
prepare_postgres() {
  chroot "$1" groupadd -r -g 999 postgres
  chroot "$1" useradd -r -u 999 -g 999 -d /var/lib/postgresql -s /bin/bash postgres
  # Debian would create and start a cluster at install; the entrypoint makes one in PGDATA instead.
  mkdir -p "$1/etc/postgresql-common/createcluster.d"
  printf 'create_main_cluster = false\n' >"$1/etc/postgresql-common/createcluster.d/no-main.conf"
}
prepare_kafka() { chroot "$1" useradd -r -u 1001 -d /var/lib/kafka kafka; }

build_image() {
  local name=$1 archive=$2 how=$3 out="$IMAGES/$2.tar"
  [[ -f $out ]] && return 0
  log "image $name"
  case $how in
    pause)
      local dir="$ROOTFS/pause" src
      src=$(bash "$ROOT/scripts/install/go-module.sh" "k8s.io/kubernetes@$KUBERNETES")/build/pause/linux/pause.c
      rm -rf "$dir"; mkdir -p "$dir"
      gcc -Os -static -o "$dir/pause" "$src" -DVERSION=3.10 >&2 || die "could not compile pause.c"
      oci --name "$name" --out "$out" --layer "$dir" --entrypoint '["/pause"]' --user 65535:65535 ;;
    go\ *)
      local binary
      binary=$(need_binary "${how#go }")
      oci --name "$name" --out "$out" --layer "$(scratch_layer)" --layer "$(binary_layer "$binary")" \
        --entrypoint "[\"/$(basename "$binary")\"]" --user 65532:65532 ;;
    floor)
      local dir="$ROOTFS/floor"
      rm -rf "$dir"; mkdir -p "$dir"
      # CGO off: net would link libc dynamically, and a scratch image has no loader ("exec /floor: no such file").
      (cd "$ROOT/tools/cold-start-floor" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$dir/floor" .) >&2 \
        || die "could not build tools/cold-start-floor"
      oci --name "$name" --out "$out" --layer "$(scratch_layer)" --layer "$dir" \
        --entrypoint '["/floor"]' --user 65532:65532 --port 8080 ;;
    kafka)
      local base app="$ROOTFS/kafka-app" libs
      base=$(debian_with kafka-jre prepare_kafka openjdk-17-jre-headless)
      libs=$(bash "$ROOT/scripts/install/kafka.sh")
      [[ -d $libs ]] || die "scripts/install/kafka.sh gave '$libs'"
      rm -rf "$app"; mkdir -p "$app/opt/kafka/libs" "$app/opt/kafka/bin"
      cp "$libs"/*.jar "$app/opt/kafka/libs/"
      cp "$ROOT/cluster/local/kafka-entrypoint.sh" "$app/opt/kafka/bin/entrypoint.sh"
      oci --name "$name" --out "$out" --layer "$base" --layer "$app" \
        --entrypoint '["/opt/kafka/bin/entrypoint.sh"]' --user 1001:1001 --port 9092 ;;
    postgres)
      local base app="$ROOTFS/postgres-app"
      base=$(debian_with postgres prepare_postgres postgresql-15)
      rm -rf "$app"; mkdir -p "$app/usr/local/bin" "$app/run/postgresql"
      # The socket directory pg_isready (the readiness probe) looks in, writable by postgres.
      chown 999:999 "$app/run/postgresql"; chmod 2775 "$app/run/postgresql"
      cp "$ROOT/cluster/local/postgres-entrypoint.sh" "$app/usr/local/bin/docker-entrypoint.sh"
      oci --name "$name" --out "$out" --layer "$base" --layer "$app" \
        --entrypoint '["/usr/local/bin/docker-entrypoint.sh"]' --user 999:999 --port 5432 \
        --env PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin --env PGDATA=/var/lib/postgresql/data ;;
    *) die "unknown image kind '$how'" ;;
  esac
}

# A function's image: Node 24 on Debian, the function's bundle, its one runtime dependency
# (faas-js-runtime, installed as func's Node builder would: production only) and its compile cache.
function_image() {
  local fn=$1 name="dev.local/todo/$1:$2" out="$IMAGES/fn-$1-$2.tar"
  if [[ ! -f $out ]]; then
    local node_base="$ROOTFS/node-24" app="$ROOTFS/fn-$fn" node_dir
    node_dir=$(bash "$ROOT/scripts/install/node.sh")
    if [[ ! -f $node_base.complete ]]; then
      rm -rf "$node_base"; mkdir -p "$node_base/usr/local/bin"
      cp "$node_dir/node" "$node_base/usr/local/bin/node"
      touch "$node_base.complete"
    fi
    rm -rf "$app"; mkdir -p "$app/app"
    cp -r "$ROOT/functions/$fn/build" "$ROOT/functions/$fn/package.json" "$app/app/"
    rm -f "$app/app/build/"*.map
    (cd "$app/app" && PATH="$node_dir:$PATH" \
      npm install --omit=dev --no-package-lock --no-audit --no-fund --loglevel=error) >&2 \
      || die "npm install of $fn's runtime dependencies failed"
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
  echo "$name|$out"
}

case ${1:-} in
  build)
    shift
    while IFS='|' read -r name archive how; do
      if (($# == 0)) || [[ " $* " == *" $archive "* || " $* " == *" $name "* ]]; then build_image "$name" "$archive" "$how"; fi
    done < <(catalogue) ;;
  list) while IFS='|' read -r name archive _; do echo "$name|$IMAGES/$archive.tar"; done < <(catalogue) ;;
  function) function_image "${2:?function}" "${3:?bundle hash}" ;;
  *) sed -n '2,10p' "$0"; exit 2 ;;
esac
