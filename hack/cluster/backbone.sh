#!/usr/bin/env bash
# The backbone itself, on a cluster that runs Knative Serving, Traefik, the Dapr control plane and
# a Kafka-protocol broker (hack/cluster/up.sh brings those up first). The same steps on a user's
# Minikube and here; what differs (images, the broker's address) comes from hack/cluster/artifacts.sh.
#
#   hack/cluster/backbone.sh [--dry-run]               everything, in this order:
#     namespace; secrets (made once, in the cluster, through stdin); Sentry's public root certificate;
#     PostgreSQL; the functions' images (bundled, built, in the node); the migrations as a Job from
#     schedule-reminder's image, awaited; the Dapr resources; a Dapr Shared daprd per function;
#     `func deploy` of each function with its image.
#   hack/cluster/backbone.sh [--dry-run] functions [FN...]   images, migrations and func deploy only
# Secrets never appear in a file, on a command line or in a Helm value.
set -euo pipefail
[[ ${1:-} == --dry-run ]] && { export DRY_RUN=1; shift; }
# shellcheck source=artifacts.sh
source "$(dirname "$0")/artifacts.sh"
artifacts_environment
NS=todo
FUNCTIONS=(publish-task-event schedule-reminder emit-reminder)
# The trace collector's OTLP/HTTP address (host:port), as cluster/observability deploys it.
TRACES_COLLECTOR=jaeger-collector.observability.svc.cluster.local:4318

say() { printf '[backbone] %s\n' "$*" >&2; }
token() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
has_secret() { ((!DRY_RUN)) && kubectl get secret "$1" -n "$NS" >/dev/null 2>&1; }
# Creates Secret NAME from key=value arguments, piping the manifest to kubectl (nothing on its
# command line).
make_secret() {
  local name=$1; shift
  if ((DRY_RUN)); then printf '+ kubectl apply -n %s -f - (Secret %s: %s)\n' "$NS" "$name" "${*%%=*}"; return; fi
  {
    printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\nstringData:\n' "$name"
    local pair; for pair in "$@"; do printf '  %s: "%s"\n' "${pair%%=*}" "${pair#*=}"; done
  } | kubectl apply -n "$NS" -f - >/dev/null
}

base() {
  say "namespace $NS"
  run kubectl apply -f "$ROOT/cluster/namespace.yaml"

  say "secrets (made once; kept when they exist)"
  if ! has_secret todo-database; then
    local password
    password=$(token)
    make_secret todo-database "password=$password" \
      "url=postgresql://todo:$password@postgres.$NS.svc.cluster.local:5432/todo"
  fi
  local fn
  for fn in "${FUNCTIONS[@]}"; do
    has_secret "$fn-tokens" || make_secret "$fn-tokens" "dapr-api-token=$(token)" "app-api-token=$(token)"
  done
  has_secret publish-task-event-clients || make_secret publish-task-event-clients "tokens=$(token)"

  say "Sentry's root certificate (public) for the Dapr Shared daprds"
  if ((DRY_RUN)); then
    echo "+ kubectl get configmap dapr-trust-bundle -n dapr-system -> kubectl apply -n $NS -f -"
  else
    kubectl get configmap dapr-trust-bundle -n dapr-system -o jsonpath='{.data.ca\.crt}' |
      kubectl create configmap dapr-trust-bundle -n "$NS" --from-file=ca.crt=/dev/stdin --dry-run=client -o yaml |
      kubectl apply -f - >/dev/null
  fi

  say "PostgreSQL ($POSTGRES_IMAGE)"
  apply_with_image "$ROOT/cluster/postgres.yaml" postgres "$POSTGRES_IMAGE" "$NS"
  run kubectl rollout status statefulset/postgres -n "$NS" --timeout=300s
}

# The functions: bundled (func builds one directory as its whole context), their images built and
# in the node, the migrations applied, then each deployed by func with its image.
functions() {
  local selected=("$@") fn names=()
  ((${#selected[@]})) || selected=("${FUNCTIONS[@]}")
  say "the functions' bundles (npm run build) and images ($CLUSTER_ARTIFACTS)"
  run npm --prefix "$ROOT" run -s build >&2
  declare -A built
  for fn in "${FUNCTIONS[@]}"; do
    built[$fn]=$(function_image "$fn") || { say "error: no image for $fn"; return 1; }
    names+=("$fn=${built[$fn]}")
  done
  say "images: ${names[*]}"
  migrate "${built[schedule-reminder]}"
  for fn in "${selected[@]}"; do deploy_function "$fn" "${built[$fn]}"; done
}

# The migrations as a Job from schedule-reminder's image (cluster/migrate-job.yaml), awaited:
# nothing rolls out against a schema it does not have.
migrate() {
  local image=$1 deadline status
  say "migrations: Job db-migrate from $image"
  run kubectl delete job db-migrate -n "$NS" --ignore-not-found --wait=true
  apply_with_image "$ROOT/cluster/migrate-job.yaml" IMAGE "$image" "$NS"
  if ((DRY_RUN)); then echo "+ until Job db-migrate is Complete (or Failed: its logs, and stop)"; return; fi
  deadline=$((SECONDS + 600))
  while ((SECONDS < deadline)); do
    status=$(kubectl get job db-migrate -n "$NS" -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type} {end}')
    case " $status " in
      *" Complete "*) kubectl logs job/db-migrate -n "$NS" | sed 's/^/[db-migrate] /' >&2; return 0 ;;
      *" Failed "*) break ;;
    esac
    sleep 2
  done
  kubectl logs job/db-migrate -n "$NS" --all-containers >&2 || true
  kubectl describe job db-migrate -n "$NS" | tail -n 15 >&2
  say "error: the migrations did not complete (above: the Job's logs and events); no function was rolled out"
  return 1
}

# func deploy of a prebuilt image: func makes the Knative Service from func.yaml and waits for it.
# Extra arguments go to func (e.g. -e NAME=value for a new revision).
deploy_function() {
  local fn=$1 image=$2 dir; shift 2
  say "func deploy $fn ($image)"
  if ((DRY_RUN)); then
    printf '+ func deploy --path <copy of functions/%s> --namespace %s --image %s --build=false --push=false %s\n' "$fn" "$NS" "$image" "$*"
    return
  fi
  dir=$(function_copy "$fn")
  # stdin closed: func checks whether the cluster may pull the image by asking its registry (here
  # the deny-proxy refuses), then would prompt for credentials; it only warns.
  func deploy --path "$dir" --namespace "$NS" --image "$image" --build=false --push=false "$@" </dev/null >&2 ||
    { rm -rf "$dir"; return 1; }
  rm -rf "$dir"
}

rest() {
  say "Dapr resources (broker $BROKER): kubectl apply -k ${DAPR_RESOURCES#"$ROOT"/}"
  run kubectl apply -k "$DAPR_RESOURCES" -n "$NS"
  dapr_tracing
  # Each daprd waits for its function's cluster-local address, which exists once the function is
  # deployed; the functions do not wait for their daprd. So: daprds first, without waiting.
  say "Dapr Shared: a daprd per function ($DAPRD_IMAGE)"
  run helm upgrade --install dapr-shared "$ROOT/cluster/charts/dapr-shared" -n "$NS" --set "image.repository=$DAPRD_IMAGE"
}

# Each daprd's spans go to the cluster's collector (Jaeger, cluster/observability), as the
# functions' do (OTEL_EXPORTER_OTLP_ENDPOINT in func.yaml). The Configurations in dapr/ are the
# local stack's too, which runs no collector: the cluster adds the exporter here. Sampling stays
# the Configuration's samplingRate: Dapr samples parent-based, so a trace keeps the decision of the
# function that started it (TRACES_SAMPLE_RATIO). A daprd reads its Configuration at start: one
# that changed here is restarted.
dapr_tracing() {
  local fn patch changed=()
  patch=$(printf '{"spec":{"tracing":{"otel":{"endpointAddress":"%s","isSecure":false,"protocol":"http"}}}}' "$TRACES_COLLECTOR")
  say "Dapr tracing: OTLP/HTTP to $TRACES_COLLECTOR"
  for fn in "${FUNCTIONS[@]}"; do
    if ((DRY_RUN)); then printf "+ kubectl patch configuration %s -n %s --type merge -p '%s'\n" "$fn" "$NS" "$patch"; continue; fi
    if ! kubectl patch configuration "$fn" -n "$NS" --type merge -p "$patch" | grep -q "(no change)"; then changed+=("$fn"); fi
  done
  for fn in "${changed[@]}"; do
    if kubectl get deployment "$fn-dapr" -n "$NS" >/dev/null 2>&1; then kubectl rollout restart deployment "$fn-dapr" -n "$NS" >/dev/null; fi
  done
}

case ${1:-all} in
  all)
    base
    # The daprds need the Dapr resources; the functions need the migrated database.
    rest
    functions
    local_fn=""
    for local_fn in "${FUNCTIONS[@]}"; do run kubectl rollout status deployment "$local_fn-dapr" -n "$NS" --timeout=300s; done
    run kubectl get ksvc -n "$NS"
    ;;
  functions) shift; functions "$@" ;;
  deploy) deploy_function "${2:?function}" "${3:?image}" "${@:4}" ;;
  *) sed -n '2,13p' "$0" >&2; exit 2 ;;
esac
