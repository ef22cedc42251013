# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables here are read by the scripts that source this file
# Where the cluster's artifacts come from: the ONE place where a user's Minikube and this machine
# differ. Every step of hack/cluster/up.sh is the same in both; each asks this file for what it
# installs. Sourced, not run.
#
# Chosen by CLUSTER_ARTIFACTS, which `hack/cluster/up.sh --artifacts internet|local` sets:
#   internet (the default: a user's machine with Docker, minikube, kubectl, helm and func on PATH)
#     Kubernetes images from registry.k8s.io (minikube's preload), Knative's knative-v1.23.0 release
#     manifests, Traefik docker.io/traefik:v3.6.12, the Dapr 1.18.2 chart from the dapr Helm repo,
#     Redpanda (its Helm chart 26.2.1, topics by cluster/topics-job.yaml), postgres:15, and each
#     function's image built by func's pack builder (`func build`).
#   local (this machine: `npm run cluster:*`; no internet, nothing may leave it)
#     Everything built here from the Go module proxy and Debian's packages into the tools cache
#     (hack/cluster/build.sh, hack/cluster/images.sh): minikube, kubeadm/kubelet/kubectl, the node
#     image (a stand-in for minikube's kicbase), the Kubernetes images (minikube's image cache), Knative
#     Serving v0.50.0 (= Knative 1.23) with the manifests from its Go module, Traefik, Dapr's chart
#     from its Go module, Apache Kafka 3.9 standing in for Redpanda (no Redpanda can be had here; same
#     protocol), PostgreSQL 15 from Debian, the functions' images assembled here; all loaded with
#     `minikube image load`. Host preparation first (hack/cluster/host/prepare.sh), and every minikube
#     command sees HTTP(S)_PROXY = the local deny-proxy.
#
# The same in both: minikube v1.38.1 with the docker driver, containerd, the bridge CNI, Kubernetes
# v1.34.4, 2 CPUs and 4 GB; Knative 1.23; Traefik v3.6 as Knative's ingress; Dapr 1.18.2 from its
# chart with cluster/helm/dapr-values-dev.yaml; the backbone (hack/cluster/backbone.sh).
# A failure inside $(...) fails the command that uses it (the scripts run with set -e).
shopt -s inherit_errexit
: "${CLUSTER_ARTIFACTS:=internet}"
: "${CLUSTER_PROFILE:=minikube}"
: "${DRY_RUN:=0}"
# shellcheck source=../versions.sh
source "$(dirname "${BASH_SOURCE[0]}")/../versions.sh"
KNATIVE_MODULE=$KNATIVE_SERVING_VERSION # its release is KNATIVE_RELEASE (func pins the module)
DAPR_CHART_VERSION=$DAPR_VERSION
CLUSTER_KIT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$CLUSTER_KIT/../.." && pwd)
DENY_PROXY=http://127.0.0.1:3129

case $CLUSTER_ARTIFACTS in
  internet)
    TRAEFIK_IMAGE=docker.io/traefik:$TRAEFIK_VERSION
    DAPRD_IMAGE=docker.io/daprio/daprd
    POSTGRES_IMAGE=docker.io/library/postgres:15
    BROKER_KIND=redpanda
    BROKER=redpanda.redpanda:9092
    DAPR_RESOURCES=$ROOT/dapr
    MINIKUBE_IMAGE_FLAGS=()
    ;;
  local)
    # shellcheck source=../install/common.sh
    source "$ROOT/hack/install/common.sh"
    BIN="$TOOLS_DIR/cluster/bin"
    TRAEFIK_IMAGE=dev.local/traefik/traefik:$TRAEFIK_VERSION
    DAPRD_IMAGE=dev.local/daprio/daprd
    POSTGRES_IMAGE=dev.local/todo/postgres:15
    BROKER_KIND=kafka
    BROKER=kafka.kafka.svc.cluster.local:9092
    DAPR_RESOURCES=$CLUSTER_KIT/local/dapr # dapr/ with this broker's address (kustomize)
    # minikube's own files (its image cache, kubeadm/kubelet/kubectl) belong to the tools cache too:
    # an empty tools cache is a first run.
    export MINIKUBE_HOME=${MINIKUBE_HOME:-$TOOLS_DIR/minikube}
    # The node image (our kicbase stand-in) is in the local Docker daemon: given without a digest,
    # minikube uses it as it is. No preload tarball: the Kubernetes images come from minikube's image
    # cache, which hack/cluster/images.sh stage fills.
    MINIKUBE_IMAGE_FLAGS=(--preload=false --cache-images=true)
    ;;
  *) echo "CLUSTER_ARTIFACTS must be internet or local, not '$CLUSTER_ARTIFACTS'" >&2; exit 2 ;;
esac

# Prints a command (--dry-run) or runs it.
run() { if ((DRY_RUN)); then printf '+ %s\n' "$*"; else "$@"; fi; }

# Applies a manifest file (every document of it) with one image replaced by kustomize's images
# transformer (kubectl kustomize over a copy): apply_with_image FILE IMAGE_NAME NEW_IMAGE:TAG [NAMESPACE]
apply_with_image() {
  local file=$1 name=$2 image=$3 namespace=${4:-} dir
  if ((DRY_RUN)); then
    printf '+ kubectl kustomize <%s, image %s -> %s> | kubectl apply%s -f -\n' "${file#"$ROOT"/}" "$name" "$image" "${namespace:+ -n $namespace}"
    return
  fi
  dir=$(mktemp -d)
  cp "$file" "$dir/manifest.yaml"
  printf 'resources: [manifest.yaml]\nimages:\n  - name: %s\n    newName: %s\n    newTag: "%s"\n' \
    "$name" "${image%:*}" "${image##*:}" >"$dir/kustomization.yaml"
  kubectl kustomize "$dir" | kubectl apply ${namespace:+-n "$namespace"} -f - >/dev/null || { rm -rf "$dir"; return 1; }
  rm -rf "$dir"
}

# The tools on PATH. Here (local) they are the binaries built here, each behind a small wrapper
# that gives it HTTP(S)_PROXY = the local deny-proxy unless the caller set a proxy: minikube
# reaches for the internet on its own (an update check, the GCE metadata server, registry lookups
# for images it does not find in the local Docker daemon), and no tool may send a name lookup or a
# request off this machine; each such attempt is refused at once and logged (deny-proxy.py). The
# cluster's API server and the node are on NO_PROXY. The builds and npm keep their registries.
artifacts_environment() {
  [[ $CLUSTER_ARTIFACTS == local ]] || return 0
  local wrappers="$TOOLS_DIR/cluster/wrappers" no_proxy_list tool binary
  no_proxy_list=localhost,127.0.0.1,192.168.49.0/24,10.96.0.0/12,10.244.0.0/16,control-plane.minikube.internal,host.minikube.internal
  mkdir -p "$wrappers"
  for tool in minikube kubectl helm func; do
    case $tool in
      minikube) binary="$BIN/minikube-$MINIKUBE_VERSION/minikube" ;;
      kubectl) binary="$BIN/kubernetes-$KUBERNETES_VERSION/kubectl" ;;
      helm) binary="$BIN/helm-$HELM_VERSION/helm" ;;
      func) binary="$BIN/func-$FUNC_VERSION/func" ;;
    esac
    cat >"$wrappers/$tool.partial" <<WRAPPER
#!/bin/sh
# $tool built by hack/cluster/build.sh (written by hack/cluster/artifacts.sh): whatever it would
# fetch from the internet goes to the deny-proxy.
export HTTP_PROXY="\${HTTP_PROXY:-$DENY_PROXY}" HTTPS_PROXY="\${HTTPS_PROXY:-$DENY_PROXY}"
export http_proxy="\$HTTP_PROXY" https_proxy="\$HTTPS_PROXY"
export NO_PROXY="\${NO_PROXY:-$no_proxy_list}"
export no_proxy="\$NO_PROXY"
export MINIKUBE_WANTUPDATENOTIFICATION=false MINIKUBE_IN_STYLE=false MINIKUBE_HOME="\${MINIKUBE_HOME:-$MINIKUBE_HOME}"
exec "$binary" "\$@"
WRAPPER
    chmod 0755 "$wrappers/$tool.partial"
    mv "$wrappers/$tool.partial" "$wrappers/$tool"
  done
  [[ :$PATH: == *":$wrappers:"* ]] || export PATH="$wrappers:$PATH"
  export MINIKUBE_WANTUPDATENOTIFICATION=false MINIKUBE_IN_STYLE=false
}

# What must exist before `minikube start`.
#   internet: the tools, and the Helm repositories.
#   local: host preparation, every binary (hack/cluster/build.sh) and image (hack/cluster/images.sh),
#   staged where minikube looks: the node image in Docker, the Kubernetes images in its image cache,
#   kubeadm/kubelet/kubectl in its binary cache.
artifacts_prepare() {
  case $CLUSTER_ARTIFACTS in
    internet)
      local tool
      for tool in docker minikube kubectl helm func curl; do
        ((DRY_RUN)) || command -v "$tool" >/dev/null || { echo "$tool is needed on PATH" >&2; return 1; }
      done
      run helm repo add dapr https://dapr.github.io/helm-charts/ --force-update
      run helm repo add redpanda https://charts.redpanda.com --force-update
      run helm repo update dapr redpanda
      ;;
    local)
      run bash "$CLUSTER_KIT/host/prepare.sh"
      run bash "$CLUSTER_KIT/build.sh"
      run bash "$CLUSTER_KIT/images.sh" build
      run bash "$CLUSTER_KIT/images.sh" stage
      ;;
  esac
}

# `minikube start` flags that depend on the artifacts: the node image and where images come from.
minikube_artifact_flags() {
  local flags=("${MINIKUBE_IMAGE_FLAGS[@]}")
  if [[ $CLUSTER_ARTIFACTS == local ]]; then
    if ((DRY_RUN)); then flags+=(--base-image=local/todo-minikube-node:'<hash>'); else flags+=("--base-image=$(bash "$CLUSTER_KIT/images.sh" node-image)"); fi
  fi
  printf '%s\n' "${flags[@]}"
}

# After `minikube start`: the images the platform needs, in the node (local); pulled on demand (internet).
artifacts_load() {
  [[ $CLUSTER_ARTIFACTS == local ]] || return 0
  run bash "$CLUSTER_KIT/images.sh" load
}

# Knative Serving's CRDs and core, as one stream of manifests on stdout.
knative_manifests() {
  case $CLUSTER_ARTIFACTS in
    internet)
      local base=https://github.com/knative/serving/releases/download/$KNATIVE_RELEASE
      curl -fsSL "$base/serving-crds.yaml" && echo "---" && curl -fsSL "$base/serving-core.yaml"
      ;;
    local)
      # The same objects from the Go module knative.dev/serving@v0.50.0 (config/core), with what its
      # zip leaves out (symlinked files) from the networking and caching modules its go.mod names,
      # and every ko:// image moved to the local build.
      local serving networking caching file files=()
      serving=$(bash "$ROOT/hack/install/go-module.sh" "knative.dev/serving@$KNATIVE_MODULE")
      networking=$(bash "$ROOT/hack/install/go-module.sh" "knative.dev/networking@$(awk '$1 == "knative.dev/networking" { print $2 }' "$serving/go.mod")")
      caching=$(bash "$ROOT/hack/install/go-module.sh" "knative.dev/caching@$(awk '$1 == "knative.dev/caching" { print $2 }' "$serving/go.mod")")
      mapfile -t files < <(find "$serving/config/core" -name '*.yaml' ! -name '*-hpa.yaml' | sort)
      files+=("$networking/config/certificate.yaml" "$networking/config/ingress.yaml" "$networking/config/serverlessservice.yaml"
        "$networking/config/domain-claim.yaml" "$networking/config/config-network.yaml" "$caching/config/image.yaml")
      for file in "${files[@]}"; do
        echo "---"
        sed "s#ko://knative.dev/serving/cmd/\([a-z-]*\)#dev.local/knative/\1:$KNATIVE_MODULE#g" "$file"
      done
      ;;
  esac
}
knative_source() {
  case $CLUSTER_ARTIFACTS in
    internet) echo "release $KNATIVE_RELEASE (github.com/knative/serving/releases)" ;;
    local) echo "knative.dev/serving@$KNATIVE_MODULE config/core (= $KNATIVE_RELEASE), images dev.local/knative/*" ;;
  esac
}

# The Dapr chart, as `helm upgrade --install` arguments (chart, version, values).
dapr_chart() {
  case $CLUSTER_ARTIFACTS in
    internet) printf '%s\n' dapr/dapr --version "$DAPR_CHART_VERSION" -f "$ROOT/cluster/helm/dapr-values-dev.yaml" ;;
    local)
      local chart="<github.com/dapr/dapr@v$DAPR_CHART_VERSION>/charts/dapr"
      ((DRY_RUN)) || chart=$(bash "$ROOT/hack/install/go-module.sh" "github.com/dapr/dapr@v$DAPR_CHART_VERSION")/charts/dapr
      printf '%s\n' "$chart" -f "$ROOT/cluster/helm/dapr-values-dev.yaml" -f "$CLUSTER_KIT/local/dapr-values-local.yaml"
      ;;
  esac
}

# A function's image, built from its current bundle and present in the node; prints its name
# (dev.local/todo/<function>:<hash of the bundle>: Knative resolves no digest for dev.local, and
# the tag changes with the code).
#   internet: func's pack builder into the local Docker daemon, then `minikube image load`.
#   local: hack/cluster/images.sh function (Node 24 on Debian, the bundle, faas-js-runtime), loaded.
function_image() {
  local fn=$1 hash image
  hash=$(bundle_hash "$fn")
  image="dev.local/todo/$fn:$hash"
  case $CLUSTER_ARTIFACTS in
    internet)
      if ((DRY_RUN)); then
        printf '+ func build --path <copy of functions/%s> --builder pack --image %s\n+ minikube image load %s\n' "$fn" "$image" "$image" >&2
      else
        docker image inspect "$image" >/dev/null 2>&1 ||
          func build --path "$(function_copy "$fn")" --builder pack --image "$image" >&2 || return 1
        minikube -p "$CLUSTER_PROFILE" image load "$image" >&2 || return 1
      fi
      ;;
    local)
      if ((DRY_RUN)); then printf '+ hack/cluster/images.sh function %s %s\n' "$fn" "$hash" >&2
      else bash "$CLUSTER_KIT/images.sh" function "$fn" "$hash" >&2 || return 1; fi
      ;;
  esac
  echo "$image"
}

# The bundle's identity: every file func would build from (build/, package.json, package-lock.json),
# maps left out.
bundle_hash() {
  if ((DRY_RUN)); then echo "<bundle-hash>"; return; fi
  (cd "$ROOT/functions/$1" && find build package.json package-lock.json -type f ! -name '*.map' -print0 | sort -z | xargs -0 sha256sum) |
    sha256sum | cut -c1-16
}

# func writes back into the func.yaml it builds or deploys (the image, its own formatting, without
# our comments): it works on a copy of the function's directory, so the repository stays as it is.
function_copy() {
  local fn=$1 dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/func-$fn.XXXXXX")
  tar -C "$ROOT/functions/$fn" --exclude=node_modules -cf - . | tar -C "$dir" -xf -
  echo "$dir"
}
