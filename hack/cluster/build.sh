#!/usr/bin/env bash
# Builds (once) and caches every Go binary the cluster kit needs on a machine with no internet
# (CLUSTER_ARTIFACTS=local, hack/cluster/artifacts.sh), from the Go module proxy: minikube and its
# storage provisioner, Kubernetes (with kubeadm), etcd, CoreDNS, crictl - what the minikube node and
# its images hold - then Knative Serving, Traefik, the Dapr control plane, Helm and func.
#   hack/cluster/build.sh [component...]     (no argument: all of them)
# Each component becomes $TOOLS_DIR/cluster/bin/<component>-<version>/ with a `.complete` marker;
# a component whose directory is complete is not built again (a second run takes seconds).
# Build logs: $TOOLS_DIR/cluster/logs/build-<component>.log. Progress goes to stderr; stdout
# gets only the final summary, one line per component.
# Most of these modules cannot be `go install`ed (their go.mod has replace directives, or
# Kubernetes' local staging replaces), so each is built from a generated wrapper module that
# requires the release and repeats its replace/exclude/godebug lines (as hack/install/dapr.sh).
# Binaries are static (CGO_ENABLED=0): they go into FROM-scratch images.
# shellcheck source=../install/common.sh
source "$(dirname "$0")/../install/common.sh"
KIT=$(cd "$(dirname "$0")" && pwd)

# The versions (hack/versions.env) come from common.sh. Dapr 1.18.3 does not build from the proxy.
# Served release standing in for the ECR credential helper pseudo-version func requires (refused).
FUNC_ECR_LOGIN_STANDIN="${FUNC_ECR_LOGIN_STANDIN:-v0.12.0}"
# Optional: the upstream commit of the Kubernetes release, for `kubectl version`/`/version`
# (the module proxy does not tell it).
KUBERNETES_GIT_COMMIT="${KUBERNETES_GIT_COMMIT:-}"

COMPONENTS=(minikube kubernetes etcd coredns crictl knative-serving traefik dapr helm func prometheus jaeger)
# The CoreDNS plugins compiled in: what kubeadm's and minikube's Corefile use, except `forward`
# (and `loop`, which only guards forwarding): no DNS query may leave the machine. up.sh takes those
# two out of the Corefile.
COREDNS_PLUGINS=(kubernetes cache errors health ready loadbalance log reload hosts prometheus)

CLUSTER_DIR="$TOOLS_DIR/cluster"
BIN_ROOT="$CLUSTER_DIR/bin" LOG_DIR="$CLUSTER_DIR/logs" SRC_ROOT="$CLUSTER_DIR/src"
export CGO_ENABLED=0
# Never fetch another Go toolchain behind our back; a release needing a newer Go fails clearly.
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
BUILD_DATE=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%dT%H:%M:%SZ)

usage() {
  echo "usage: ${0##*/} [component...]   components: ${COMPONENTS[*]} (default: all)"
}

component_version() {
  case $1 in
    minikube) echo "$MINIKUBE_VERSION" ;;
    kubernetes) echo "$KUBERNETES_VERSION" ;;
    etcd) echo "$ETCD_VERSION" ;;
    crictl) echo "$CRICTL_VERSION" ;;
    coredns) echo "$COREDNS_VERSION" ;;
    knative-serving) echo "$KNATIVE_SERVING_VERSION" ;;
    traefik) echo "$TRAEFIK_VERSION" ;;
    dapr) echo "$DAPR_VERSION" ;;
    helm) echo "$HELM_VERSION" ;;
    func) echo "$FUNC_VERSION" ;;
    prometheus) echo "$PROMETHEUS_VERSION" ;;
    jaeger) echo "$JAEGER_VERSION" ;;
    *) return 1 ;;
  esac
}

component_binaries() {
  case $1 in
    minikube) echo minikube storage-provisioner ;;
    kubernetes) echo kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl kubeadm ;;
    etcd) echo etcd etcdctl ;;
    crictl) echo crictl ;;
    coredns) echo coredns ;;
    knative-serving) echo controller webhook activator autoscaler queue ;;
    traefik) echo traefik ;;
    dapr) echo operator sentry injector scheduler placement daprd ;;
    helm) echo helm ;;
    func) echo func ;;
    prometheus) echo prometheus ;;
    jaeger) echo jaeger-all-in-one ;;
  esac
}

# --- helpers used inside a component's build (cwd: its wrapper module; output: its log) ---

# Progress to the terminal's stderr (fd 3) from inside a build whose stderr is its log.
progress() { printf '[%s] %s\n' "${0##*/}" "$*" >&3; echo "== $*"; }

run() { printf '+'; printf ' %q' "$@"; echo; "$@"; }

# Prints the replace (non-local targets only), exclude and godebug directives of go.mod files, one
# per line. Local replaces (=> ./dir, ../dir) point into the upstream repository, not the module.
go_mod_directives() {
  awk '
    function emit(kind, body,  target) {
      sub(/[[:space:]]*\/\/.*$/, "", body); gsub(/^[[:space:]]+|[[:space:]]+$/, "", body)
      if (body == "") return
      if (kind == "replace") { target = body; sub(/^.*=>[[:space:]]*/, "", target); if (target ~ /^[.\/]/) return }
      print kind " " body
    }
    blk != "" { if ($0 ~ /^[[:space:]]*\)/) blk = ""; else emit(blk, $0); next }
    /^(replace|exclude|godebug)[[:space:]]*\(/ { blk = $0; sub(/[[:space:]]*\(.*$/, "", blk); next }
    /^(replace|exclude|godebug)[[:space:]]/ { body = $0; sub(/^[a-z]+[[:space:]]+/, "", body); emit($1, body) }
  ' "$@"
}

# write_wrapper NAME MODULE@VERSION...: writes ./go.mod requiring those releases, with the highest
# of their `go` lines and their replace/exclude/godebug directives.
write_wrapper() {
  local name=$1 mv gomod go_version
  shift
  local gomods=()
  for mv in "$@"; do
    gomod=$(go_module_field "$mv" GoMod)
    gomods+=("$gomod")
  done
  go_version=$(awk '$1 == "go" { print $2 }' "${gomods[@]}" | sort -V | tail -n 1)
  {
    printf 'module local/%s\n\ngo %s\n\n' "$name" "$go_version"
    for mv in "$@"; do printf 'require %s %s\n' "${mv%@*}" "${mv#*@}"; done
    echo
    go_mod_directives "${gomods[@]}" | sort -u
  } >go.mod
  echo "-- generated go.mod:"; cat go.mod
}

# gobuild LDFLAGS ARGS...: static, trimmed build; dependencies resolved through the wrapper go.mod.
gobuild() {
  local ldflags=$1
  shift
  run go build -p 2 -mod=mod -trimpath -ldflags "-s -w $ldflags" "$@"
}

# expect_output WHAT PATTERN COMMAND...: runs COMMAND, logs its output, checks it has PATTERN and
# adds the matching line to CHECK (recorded in the .complete marker).
expect_output() {
  local what=$1 pattern=$2 out
  shift 2
  out=$(timeout 20 "$@" 2>&1) || true
  printf '%s\n' "$out"
  grep -qE -- "$pattern" <<<"$out" || die "$what: \`$*\` printed no /$pattern/"
  CHECK+="${CHECK:+; }$what: $(grep -m1 -E -- "$pattern" <<<"$out" | sed 's/^[[:space:]]*//')"
}

# --- one function per component: build_X OUT (into OUT/), then check_X OUT ---

build_kubernetes() {
  local out=$1 v=$KUBERNETES_VERSION staging gomod major minor pkg ldflags="" replaces=()
  write_wrapper kubernetes "k8s.io/kubernetes@$v"
  # k8s.io/kubernetes requires its staging modules at v0.0.0, replaced by ./staging/src/...: the
  # same code is published as k8s.io/<name> v0.<minor>.<patch>.
  gomod=$(go_module_field "k8s.io/kubernetes@$v" GoMod)
  staging=$(sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\)[[:space:]]*=>[[:space:]]*\./staging/src/\1[[:space:]]*$#\1#p' "$gomod")
  [[ -n $staging ]] || die "no staging replace lines found in $gomod"
  for pkg in $staging; do replaces+=("-replace=$pkg=$pkg@v0.${v#v1.}"); done
  run go mod edit "${replaces[@]}"
  major=${v#v}; major=${major%%.*}; minor=${v#v*.}; minor=${minor%%.*}
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$BUILD_DATE -X $pkg.gitCommit=$KUBERNETES_GIT_COMMIT"
  done
  local bins=()
  for pkg in $(component_binaries kubernetes); do bins+=("k8s.io/kubernetes/cmd/$pkg"); done
  gobuild "$ldflags" -o "$out/" "${bins[@]}"
}
check_kubernetes() {
  local out=$1 bin
  for bin in $(component_binaries kubernetes); do
    [[ $bin == kubectl || $bin == kubeadm ]] && continue
    expect_output "$bin" "^Kubernetes ${KUBERNETES_VERSION//./\\.}\$" "$out/$bin" --version
  done
  expect_output kubectl "Client Version: ${KUBERNETES_VERSION//./\\.}\$" "$out/kubectl" version --client
  expect_output kubeadm "^${KUBERNETES_VERSION//./\\.}\$" "$out/kubeadm" version -o short
}

build_minikube() {
  local out=$1 v=$MINIKUBE_VERSION
  # `go install k8s.io/minikube/cmd/minikube@v...` is refused by the proxy (403 on the version list
  # go install reads); a wrapper module builds it. CGO on: its in-tree KVM driver's libvirt bindings
  # need cgo even with libvirt_dlopen (the result links glibc only).
  write_wrapper minikube "k8s.io/minikube@$v"
  CGO_ENABLED=1 gobuild "-X k8s.io/minikube/pkg/version.version=$v -X k8s.io/minikube/pkg/version.storageProvisionerVersion=v5" \
    -tags libvirt_dlopen -o "$out/minikube" k8s.io/minikube/cmd/minikube
  # The storage provisioner: our main around minikube's own hostPath provisioner (see its comment).
  mkdir -p storageprovisioner
  cp "$KIT/storage-provisioner/main.go" storageprovisioner/
  gobuild "" -o "$out/storage-provisioner" ./storageprovisioner
}
check_minikube() {
  local tmp
  tmp=$(mktemp -d)
  expect_output minikube "^${MINIKUBE_VERSION//./\\.}\$" env MINIKUBE_HOME="$tmp" "$1/minikube" version --short
  rm -rf "$tmp"
  expect_output storage-provisioner "pv-dir" "$1/storage-provisioner" --help
}

build_crictl() {
  local v=$CRICTL_VERSION
  write_wrapper crictl "sigs.k8s.io/cri-tools@$v"
  gobuild "-X sigs.k8s.io/cri-tools/pkg/version.Version=$v" -o "$1/crictl" sigs.k8s.io/cri-tools/cmd/crictl
}
check_crictl() {
  expect_output crictl "${CRICTL_VERSION//./\\.}" "$1/crictl" --version
}

build_etcd() {
  local out=$1 v=$ETCD_VERSION
  write_wrapper etcd "go.etcd.io/etcd/server/v3@$v" "go.etcd.io/etcd/etcdctl/v3@$v"
  gobuild "" -o "$out/etcd" go.etcd.io/etcd/server/v3
  gobuild "" -o "$out/etcdctl" go.etcd.io/etcd/etcdctl/v3
}
check_etcd() {
  expect_output etcd "^etcd Version: ${ETCD_VERSION#v}\$" "$1/etcd" --version
  expect_output etcdctl "^etcdctl version: ${ETCD_VERSION#v}\$" "$1/etcdctl" version
}

build_coredns() {
  local out=$1 v=$COREDNS_VERSION dir name pkg directives="" imports=""
  write_wrapper coredns "github.com/coredns/coredns@$v"
  dir=$(go_module_field "github.com/coredns/coredns@$v" Dir)
  # plugin.cfg (name:package, in chain order) gives the order and the package of each plugin kept.
  while IFS=: read -r name pkg; do
    [[ -n $name && $name != \#* ]] || continue
    [[ " ${COREDNS_PLUGINS[*]} " == *" $name "* ]] || continue
    [[ $pkg == */* ]] || pkg="github.com/coredns/coredns/plugin/$pkg"
    directives+=$'\t\t'"\"$name\","$'\n'
    imports+=$'\t'"_ \"$pkg\""$'\n'
  done <"$dir/plugin.cfg"
  [[ $(grep -c . <<<"$directives") -eq ${#COREDNS_PLUGINS[@]} ]] \
    || die "not every plugin of (${COREDNS_PLUGINS[*]}) is in $dir/plugin.cfg"
  cat >main.go <<GO
// CoreDNS with only the plugins the cluster here needs (generated by hack/cluster/build.sh).
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

${imports})

func init() {
	dnsserver.Directives = []string{
${directives}	}
}

func main() { coremain.Run() }
GO
  echo "-- main.go:"; cat main.go
  gobuild "" -o "$out/coredns" .
}
check_coredns() {
  local out plugin extra="" corefile
  expect_output coredns "^CoreDNS-${COREDNS_VERSION#v}\$" "$1/coredns" -version
  out=$("$1/coredns" -plugins 2>&1) || die "coredns -plugins failed: $out"
  printf '%s\n' "$out"
  for plugin in "${COREDNS_PLUGINS[@]}"; do
    grep -qx "[[:space:]]*$plugin" <<<"$out" || die "coredns -plugins does not list $plugin"
  done
  ! grep -qx '[[:space:]]*forward' <<<"$out" || die "coredns has the forward plugin"
  # The kubernetes plugin imports metadata, prometheus (metrics) and transfer, whose packages
  # register themselves; they are not in the directive list, so a Corefile cannot use them.
  for plugin in $out; do
    [[ " ${COREDNS_PLUGINS[*]} " == *" $plugin "* ]] || extra+=" $plugin"
  done
  CHECK+="; directives: ${COREDNS_PLUGINS[*]} (also registered, not usable:${extra:- none})"
  corefile=$(mktemp)
  printf '.:15353 {\n  forward . 127.0.0.1:53\n}\n' >"$corefile"
  expect_output "a Corefile with forward" "Unknown directive 'forward'" "$1/coredns" -conf "$corefile"
  rm -f "$corefile"
}

build_knative-serving() {
  local out=$1 bin pkgs=()
  write_wrapper knative-serving "knative.dev/serving@$KNATIVE_SERVING_VERSION"
  for bin in $(component_binaries knative-serving); do pkgs+=("knative.dev/serving/cmd/$bin"); done
  gobuild "" -o "$out/" "${pkgs[@]}"
}
check_knative-serving() {
  # These commands have no version flag: check the module version recorded in each binary.
  local bin
  for bin in $(component_binaries knative-serving); do
    expect_output "$bin" "(mod|dep)[[:space:]]+knative\.dev/serving[[:space:]]+${KNATIVE_SERVING_VERSION//./\\.}" \
      go version -m "$1/$bin"
    # ... and that it runs: flag usage, or (queue, webhook) a complaint about its missing env.
    expect_output "$bin -h" "Usage of|required key|WEBHOOK_NAME" "$1/$bin" -h
  done
  CHECK="knative.dev/serving $KNATIVE_SERVING_VERSION recorded in all $(component_binaries knative-serving | wc -w) binaries"
}

build_traefik() {
  local out=$1 v=$TRAEFIK_VERSION pkg=github.com/traefik/traefik/v3/pkg/version
  write_wrapper traefik "github.com/traefik/traefik/v3@$v"
  gobuild "-X $pkg.Version=$v -X $pkg.BuildDate=$BUILD_DATE" -o "$out/traefik" github.com/traefik/traefik/v3/cmd/traefik
}
check_traefik() {
  expect_output traefik "^Version:[[:space:]]+${TRAEFIK_VERSION//./\\.}\$" "$1/traefik" version
}

build_dapr() {
  local out=$1 bin pkgs=()
  write_wrapper dapr "github.com/dapr/dapr@v$DAPR_VERSION"
  for bin in $(component_binaries dapr); do pkgs+=("github.com/dapr/dapr/cmd/$bin"); done
  # stablecomponents: daprd registers the stable components only; the other commands ignore it.
  gobuild "-X github.com/dapr/dapr/pkg/buildinfo.version=$DAPR_VERSION" -tags stablecomponents -o "$out/" "${pkgs[@]}"
}
check_dapr() {
  local bin
  expect_output daprd "^${DAPR_VERSION//./\\.}\$" "$1/daprd" --version
  # The control-plane commands have no version flag (they log it on start): check they run.
  for bin in $(component_binaries dapr); do
    [[ $bin == daprd ]] || expect_output "$bin --help" "^Usage of" "$1/$bin" --help
  done
}

build_helm() {
  local out=$1 v=$HELM_VERSION gomod client_go k8s_minor pkg=helm.sh/helm/v3 ldflags
  write_wrapper helm "helm.sh/helm/v3@$v"
  # The Kubernetes version helm lints and templates against, as helm's Makefile derives it.
  gomod=$(go_module_field "helm.sh/helm/v3@$v" GoMod)
  client_go=$(awk '$1 == "k8s.io/client-go" { print $2; exit }' "$gomod")
  k8s_minor=${client_go#v0.}; k8s_minor=${k8s_minor%%.*}
  ldflags="-X $pkg/internal/version.version=$v -X $pkg/internal/version.gitTreeState=clean"
  ldflags+=" -X $pkg/pkg/lint/rules.k8sVersionMajor=1 -X $pkg/pkg/lint/rules.k8sVersionMinor=$k8s_minor"
  ldflags+=" -X $pkg/pkg/chartutil.k8sVersionMajor=1 -X $pkg/pkg/chartutil.k8sVersionMinor=$k8s_minor"
  gobuild "$ldflags" -o "$out/helm" "$pkg/cmd/helm"
}
check_helm() {
  expect_output helm "^${HELM_VERSION//./\\.}\$" "$1/helm" version --short
}

build_func() {
  local out=$1 v=$FUNC_VERSION gomod module version standins=()
  write_wrapper func "knative.dev/func@$v"
  gomod=$(go_module_field "knative.dev/func@$v" GoMod)
  # Two of func v0.50.1's requirements are refused by the module proxy (403 Forbidden): the ECR
  # credential helper at a pseudo-version, and github.com/functions-dev/func-operator (no version
  # at all). Neither matters for `func deploy --build=false --push=false --image <ref>`, so while
  # the proxy refuses them, local stand-ins are used (a proxy that serves them gets them used).
  module=github.com/awslabs/amazon-ecr-credential-helper/ecr-login
  version=$(awk -v m="$module" '$1 == m { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$gomod")
  if [[ -n $version ]] && ! go mod download "$module@$version"; then
    # The newest release served, plus the one option func uses that it lacks (a no-op here: the
    # ECR keychain only matters when pushing to AWS ECR).
    cp -r "$(go_module_field "$module@$FUNC_ECR_LOGIN_STANDIN" Dir)" standin-ecr-login
    chmod -R u+w standin-ecr-login
    cat >standin-ecr-login/with_context.go <<'GO'
package ecr

import "context"

// WithContext is accepted and ignored (stand-in added by hack/cluster/build.sh).
func WithContext(context.Context) Option { return func(*ECRHelper) {} }
GO
    run go mod edit "-replace=$module=./standin-ecr-login"
    standins+=("$module $version -> $FUNC_ECR_LOGIN_STANDIN + WithContext no-op")
  fi
  module=github.com/functions-dev/func-operator
  version=$(awk -v m="$module" '$1 == m { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$gomod")
  if [[ -n $version ]] && ! go mod download "$module@$version"; then
    # func's pkg/operator syncs a Function custom resource after a deploy when the func-operator's
    # API group is served by the cluster; this stand-in names a group no cluster serves (.invalid),
    # so that sync is always skipped. Only the identifiers func's code uses are defined.
    mkdir -p standin-func-operator/api/v1alpha1
    printf 'module %s\n\ngo 1.24\n' "$module" >standin-func-operator/go.mod
    cat >standin-func-operator/api/v1alpha1/types.go <<'GO'
// Package v1alpha1 is a stand-in (hack/cluster/build.sh) for the func-operator API, which the
// module proxy does not serve: a group no cluster serves, so func never syncs a Function CR.
package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var GroupVersion = schema.GroupVersion{Group: "func-operator-not-built.invalid", Version: "v1alpha1"}

type FunctionSpecRepository struct{ URL, Branch, Path string }

type FunctionSpecRegistry struct{ AuthSecretRef *corev1.LocalObjectReference }

type FunctionSpec struct {
	Repository FunctionSpecRepository
	Registry   FunctionSpecRegistry
}

type FunctionStatus struct{ Name string }

type Function struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              FunctionSpec
	Status            FunctionStatus
}

type FunctionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Function
}

func (f *Function) DeepCopyObject() runtime.Object     { c := *f; return &c }
func (l *FunctionList) DeepCopyObject() runtime.Object { c := *l; return &c }

func AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &Function{}, &FunctionList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
GO
    run go mod edit "-replace=$module=./standin-func-operator"
    standins+=("$module $version -> API stub, Function CR sync disabled")
  fi
  ((${#standins[@]} == 0)) || printf '%s\n' "${standins[@]}" >standins.txt
  gobuild "-X knative.dev/func/pkg/version.Vers=$v" -o "$out/func" knative.dev/func/cmd/func
}
check_func() {
  # func keeps its config under $XDG_CONFIG_HOME: point that at a scratch directory.
  local tmp
  tmp=$(mktemp -d)
  expect_output func "^${FUNC_VERSION//./\\.}\$" env HOME="$tmp" XDG_CONFIG_HOME="$tmp" "$1/func" version
  expect_output "func deploy" "--build=false --push=false" env HOME="$tmp" XDG_CONFIG_HOME="$tmp" "$1/func" deploy --help
  rm -rf "$tmp"
  [[ ! -f standins.txt ]] || CHECK+="; stand-ins: $(paste -sd ';' standins.txt)"
}

# Prometheus 3 (cluster/observability): its Go module v0.3MM.P is Prometheus v3.MM.P. The web UI's
# compiled assets are not in the module (the builtinassets tag needs them): the API and the rule
# engine are all the cluster uses.
build_prometheus() {
  local v=${PROMETHEUS_VERSION#v0.} release pkg=github.com/prometheus/common/version
  release="${v:0:1}.$((10#${v:1:2})).${v#*.}"
  write_wrapper prometheus "github.com/prometheus/prometheus@$PROMETHEUS_VERSION"
  gobuild "-X $pkg.Version=$release -X $pkg.Branch=release -X $pkg.BuildUser=hack/cluster/build.sh -X $pkg.BuildDate=$BUILD_DATE" \
    -o "$1/prometheus" github.com/prometheus/prometheus/cmd/prometheus
}
check_prometheus() {
  local v=${PROMETHEUS_VERSION#v0.}
  expect_output prometheus "^prometheus, version ${v:0:1}\.$((10#${v:1:2}))\.${v#*.} " "$1/prometheus" --version
}

# Jaeger v1 all-in-one (collector, in-memory storage and query in one process).
build_jaeger() {
  local pkg=github.com/jaegertracing/jaeger/internal/version
  write_wrapper jaeger "github.com/jaegertracing/jaeger@$JAEGER_VERSION"
  gobuild "-X $pkg.latestVersion=$JAEGER_VERSION -X $pkg.date=$BUILD_DATE" \
    -o "$1/jaeger-all-in-one" github.com/jaegertracing/jaeger/cmd/all-in-one
}
check_jaeger() {
  expect_output jaeger-all-in-one "\"gitVersion\":\"${JAEGER_VERSION//./\\.}\"" "$1/jaeger-all-in-one" version
}

# --- driver ---

SUMMARY=()

# build_component NAME: skips a complete cached build, else builds, checks and installs it.
build_component() {
  local name=$1 version bins dir partial logf work start seconds rc bin
  version=$(component_version "$name")
  bins=$(component_binaries "$name")
  dir="$BIN_ROOT/$name-$version"
  if [[ -f $dir/.complete ]] && all_present "$dir" "$bins"; then
    seconds=$(sed -n 's/^seconds=//p' "$dir/.complete")
    SUMMARY+=("$(printf '%-16s %-9s cached %5ss  %s  (first built in %ss)' "$name" "$version" 0 "$dir" "${seconds:-?}")")
    return
  fi
  logf="$LOG_DIR/build-$name.log" work="$SRC_ROOT/$name-$version" partial="$dir.partial"
  rm -rf "$work" "$partial"; mkdir -p "$work" "$partial" "$LOG_DIR"
  log "$name $version: building $bins (log: $logf)"
  start=$SECONDS
  set +e
  (
    set -euo pipefail
    cd "$work"
    echo "== $name $version, $(date -u), $(go version), CGO_ENABLED=$CGO_ENABLED GOTOOLCHAIN=$GOTOOLCHAIN"
    "build_$name" "$partial"
    for bin in $bins; do [[ -x $partial/$bin ]] || die "$name: $bin was not built"; done
    CHECK=""
    progress "$name $version: built in $((SECONDS - start))s, checking"
    "check_$name" "$partial"
    printf 'check=%s\n' "$CHECK" >"$partial/.check"
  ) 3>&2 >"$logf" 2>&1
  rc=$?
  set -e
  seconds=$((SECONDS - start))
  if ((rc != 0)); then
    log "last lines of $logf:"; tail -n 25 "$logf" >&2
    die "$name $version failed (exit $rc after ${seconds}s); full log: $logf"
  fi
  {
    printf 'component=%s\nversion=%s\nbuilt=%s\nseconds=%s\ngo=%s\n' \
      "$name" "$version" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$seconds" "$(go env GOVERSION)"
    cat "$partial/.check"
  } >"$partial/.complete"
  rm -f "$partial/.check"
  rm -rf "$dir"; mv "$partial" "$dir"
  log "$name $version: done in ${seconds}s ($(sed -n 's/^check=//p' "$dir/.complete"))"
  SUMMARY+=("$(printf '%-16s %-9s built  %5ss  %s' "$name" "$version" "$seconds" "$dir")")
}

all_present() {
  local dir=$1 bin
  for bin in $2; do [[ -x $dir/$bin ]] || return 1; done
}

main() {
  local name selected=() total_start=$SECONDS
  for name in "$@"; do
    case $name in
      -h | --help) usage; exit 0 ;;
      knative) name=knative-serving ;; # also accepted: the name's first word
      *) component_version "$name" >/dev/null || { usage >&2; die "unknown component: $name"; } ;;
    esac
    selected+=("$name")
  done
  ((${#selected[@]})) || selected=("${COMPONENTS[@]}")
  command -v go >/dev/null || die "Go is needed to build the cluster binaries (none on PATH)"
  mkdir -p "$BIN_ROOT" "$LOG_DIR" "$SRC_ROOT"
  # One build at a time: two runs would share wrapper directories (and there are only 2 cores).
  exec 9>"$CLUSTER_DIR/.build.lock"
  if ! flock -n 9; then
    log "another ${0##*/} is running; waiting for it"
    flock 9
  fi
  for name in "${selected[@]}"; do build_component "$name"; done
  printf '%s\n' "${SUMMARY[@]}"
  printf 'total %ss; binaries under %s\n' "$((SECONDS - total_start))" "$BIN_ROOT"
}

main "$@"
