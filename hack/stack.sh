#!/usr/bin/env bash
# The real local stack on 127.0.0.1: Kafka (KRaft), PostgreSQL, the Dapr scheduler, and for each
# function its faas-js-runtime process plus its own daprd. Installs on first use, then caches.
#
#   hack/stack.sh up                 start everything (safe to re-run; a function whose
#                                       bundle changed since it started is restarted)
#   hack/stack.sh down               stop everything (data stays)
#   hack/stack.sh status             what runs, where it listens, where it logs
#   hack/stack.sh start|stop|kill PROCESS   one process (kafka, postgres, scheduler,
#                                       <function>, <function>-dapr); used by the fault tests
#   hack/stack.sh reset              down, then forget all data
#   hack/stack.sh function-env FN    FN's environment as the stack gives it (for the benchmark)
#
# STACK_DIR (default .stack) holds one stack's state and STACK_PORT_OFFSET moves its ports:
# test.sh runs its own stack that way, and never touches the one `demo.sh` left running.
# Secrets and settings are exported inside subshells on purpose: they reach one process only.
# shellcheck disable=SC2030,SC2031
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# An existing database given by DATABASE_URL is used as it is: no local PostgreSQL then.
EXTERNAL_DATABASE=${DATABASE_URL:+1}
# shellcheck source=install/common.sh
source "$ROOT/hack/install/common.sh"
# shellcheck source=stack-ports.sh
source "$ROOT/hack/stack-ports.sh"

STATE="${STACK_DIR:-$ROOT/.stack}"
LOGS="$STATE/logs"
RUN="$STATE/run"
FUNCTIONS=(publish-task-event schedule-reminder emit-reminder)
mkdir -p "$LOGS" "$RUN"

pidfile() { echo "$RUN/$1.pid"; }
running() { local f; f=$(pidfile "$1"); [[ -f $f ]] && kill -0 "$(cat "$f")" 2>/dev/null; }

# Starts a command in its own session, logging to $LOGS/NAME.log, and records its pid. Secrets
# reach a process through its environment (exported in a subshell by the caller), never its
# command line, which anyone on the machine can read in `ps`.
spawn() {
  local name=$1; shift
  setsid "$@" >>"$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! >"$(pidfile "$name")"
}

# Waits until CHECK succeeds; on timeout names the process and its log, then fails. The check must be
# answered by our process: one that died (the port taken by another) fails, even if something answers.
wait_for() {
  local name=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1 && running "$name"; do
    if ! running "$name"; then
      die "$name exited during start-up; see $LOGS/$name.log:$(printf '\n'; tail -n 15 "$LOGS/$name.log" 2>/dev/null)"
    fi
    ((SECONDS < deadline)) || die "$name not healthy after ${seconds}s; see $LOGS/$name.log"
    sleep 0.2
  done
}

# A process's port taken by a process that is not ours (another checkout's stack, say) would answer
# its health check: refuse to start instead, and say who holds it.
port_free() {
  local port=$1 process=$2
  if port_open "$port"; then
    die "$process: port $port is in use by another process ($(ss -ltnpH "sport = :$port" 2>/dev/null | grep -o 'users:.*' | head -n 1)); stop it, or move this stack with STACK_PORT_OFFSET"
  fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
http_ok() { curl -fsS -o /dev/null --max-time 2 "$1"; }

# The directory an install script provides. It prints only that path on stdout; whatever else a
# tool might leak there would end up in a classpath or PATH, so the answer is checked.
tool_dir() {
  local dir
  dir=$(bash "$ROOT/hack/install/$1") || die "hack/install/$1 failed (its message above)"
  [[ -d $dir ]] || die "hack/install/$1 printed '$dir', which is not a directory"
  echo "$dir"
}
node_bin() { tool_dir node.sh; }

# --- Kafka -------------------------------------------------------------------------------------
start_kafka() {
  local libs dir="$STATE/kafka"
  libs=$(tool_dir kafka.sh)
  mkdir -p "$dir"
  cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
  cat >"$dir/log4j.properties" <<'EOF'
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
EOF
  # The broker's heap (KAFKA_HEAP to change it). Measured (bench levers): -Xmx256m keeps 15-45 MB
  # less resident but costs the broker 25-160 % more CPU per event in GC; -Xmx128m does not start
  # (the log cleaner's 128 MB dedupe buffer lives in the heap).
  local heap
  read -r -a heap <<<"${KAFKA_HEAP:--Xms256m -Xmx512m}"
  local java=(java "${heap[@]}" -XX:+UseG1GC "-Dlog4j.configuration=file:$dir/log4j.properties" -cp "$libs/*")
  if [[ ! -f "$dir/data/meta.properties" ]]; then
    "${java[@]}" kafka.tools.StorageTool format -t dG9kby1ldmVudHMtbG9jYQ \
      -c "$dir/server.properties" >>"$LOGS/kafka.log" 2>&1 || die "kafka storage format failed; see $LOGS/kafka.log"
  fi
  spawn kafka "${java[@]}" kafka.Kafka "$dir/server.properties"
  wait_for kafka 60 port_open "$KAFKA_PORT"
  PATH="$(node_bin):$PATH" node --no-warnings "$ROOT/scripts/create-topics.ts" "127.0.0.1:$KAFKA_PORT" >>"$LOGS/kafka.log" 2>&1 \
    || die "could not create the topics; see $LOGS/kafka.log"
}

# --- PostgreSQL --------------------------------------------------------------------------------
pg_bin() { tool_dir postgres.sh; }
# PostgreSQL refuses to run as root: as root, its commands run as the postgres user (setpriv
# execs in place, so a recorded pid is the server's own), from /, which that user may enter.
as_pg() { if ((EUID == 0)); then (cd / && setpriv --reuid=postgres --regid=postgres --init-groups "$@"); else "$@"; fi; }

# As root the server runs as the postgres user, who cannot enter a checkout under a private
# (0700) folder such as root's home or a `mktemp -d`: its files then live where that user can
# reach them, one folder per stack. Otherwise they stay in the stack's own folder.
pg_dir() {
  if ((EUID == 0)); then
    echo "/var/lib/postgresql/todo-event-backbone/$(printf '%s' "$STATE" | sha256sum | cut -c1-16)"
  else
    echo "$STATE/postgres"
  fi
}

start_postgres() {
  local bin dir
  bin=$(pg_bin)
  dir=$(pg_dir)
  mkdir -p "$dir"
  ((EUID == 0)) && chown postgres "$dir"
  if [[ ! -f $dir/data/PG_VERSION ]]; then
    as_pg "$bin/initdb" -D "$dir/data" -U todo --auth=trust >>"$LOGS/postgres.log" 2>&1 \
      || die "initdb failed; see $LOGS/postgres.log"
  fi
  # The server's output goes to a log this shell opens, so the log stays in the stack's folder.
  local as_postgres=()
  ((EUID == 0)) && as_postgres=(setpriv --reuid=postgres --regid=postgres --init-groups)
  (cd / && spawn postgres "${as_postgres[@]}" "$bin/postgres" -D "$dir/data" -p "$PG_PORT" \
    -c listen_addresses=127.0.0.1 -k "$dir" -c fsync=on)
  wait_for postgres 60 as_pg "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"
  as_pg "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U todo -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'todo'" | grep -q 1 \
    || as_pg "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U todo todo
}

migrate() {
  DATABASE_URL="$DATABASE_URL" PATH="$(node_bin):$PATH" node "$ROOT/scripts/db-migrate.mjs" >>"$LOGS/migrate.log" 2>&1 \
    || die "database migration failed; see $LOGS/migrate.log"
}

# --- Dapr --------------------------------------------------------------------------------------
dapr_bin() { tool_dir dapr.sh; }

start_scheduler() {
  local bin
  bin=$(dapr_bin)
  mkdir -p "$STATE/scheduler"
  (export DAPR_HOST_IP=127.0.0.1 && spawn scheduler "$bin/scheduler" \
    --port "$SCHEDULER_PORT" --listen-address 127.0.0.1 \
    --override-broadcast-host-port "127.0.0.1:$SCHEDULER_PORT" \
    --etcd-data-dir "$STATE/scheduler/etcd" --etcd-client-port "$SCHEDULER_ETCD_PORT" \
    --etcd-client-listen-address 127.0.0.1 \
    --etcd-initial-cluster "dapr-scheduler-server-0=http://127.0.0.1:$SCHEDULER_ETCD_PEER_PORT" \
    --healthz-listen-address 127.0.0.1 --healthz-port "$SCHEDULER_HEALTH_PORT" \
    --metrics-listen-address 127.0.0.1 --metrics-port "$SCHEDULER_METRICS_PORT" \
    --log-as-json)
  wait_for scheduler 60 http_ok "http://127.0.0.1:$SCHEDULER_HEALTH_PORT/healthz"
}

# The cluster's Dapr resources, with the broker address the local stack has. daprd hot-reloads
# this directory, so files are only written when their content changes (a rewrite of an unchanged
# component would make every running daprd drop and re-create it).
render_dapr_resources() {
  local out="$STATE/dapr/resources" file target rendered
  mkdir -p "$out"
  for file in "$ROOT"/dapr/components/*.yaml "$ROOT"/dapr/subscriptions/*.yaml "$ROOT"/dapr/resiliency.yaml; do
    [[ -f $file ]] || continue
    target="$out/$(basename "$file")"
    rendered=$(sed -e "s/redpanda\.redpanda:9092/127.0.0.1:$KAFKA_PORT/" "$file")
    if [[ ! -f $target || "$(cat "$target")" != "$rendered" ]]; then printf '%s\n' "$rendered" >"$target"; fi
  done
  echo "$out"
}

# Per function: the token its daprd's API requires (dapr), the token that daprd sends to the
# function (app), and for publish-task-event the bearer token its clients send (clients). Made
# once per stack, kept in $STATE/tokens/ (mode 600).
token_of() {
  local file="$STATE/tokens/$1-$2"
  if [[ ! -s $file ]]; then
    mkdir -p "$STATE/tokens"
    (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$file")
  fi
  cat "$file"
}

start_daprd() {
  local fn=$1 bin resources
  bin=$(dapr_bin)
  resources=$(render_dapr_resources)
  (
    export DAPR_HOST_IP=127.0.0.1
    DAPR_API_TOKEN=$(token_of "$fn" dapr) APP_API_TOKEN=$(token_of "$fn" app)
    export DAPR_API_TOKEN APP_API_TOKEN
    spawn "$fn-dapr" "$bin/daprd" \
      --app-id "$fn" --app-port "$(fn_port "$fn")" --app-protocol http --app-channel-address 127.0.0.1 \
      --dapr-listen-addresses 127.0.0.1 \
      --dapr-http-port "$(dapr_http_port "$fn")" --dapr-grpc-port "$(dapr_grpc_port "$fn")" \
      --dapr-internal-grpc-port "$(dapr_internal_port "$fn")" --metrics-port "$(dapr_metrics_port "$fn")" \
      --metrics-listen-address 127.0.0.1 --dapr-internal-grpc-listen-address 127.0.0.1 \
      --resources-path "$resources" --config "$ROOT/dapr/configurations/$fn.yaml" \
      --scheduler-host-address "127.0.0.1:$SCHEDULER_PORT" --placement-host-address "" \
      --disable-init-endpoints config,subscribe \
      --log-as-json
  )
  wait_for "$fn-dapr" 60 http_ok "http://127.0.0.1:$(dapr_http_port "$fn")/v1.0/healthz/outbound"
}

# --- Functions ---------------------------------------------------------------------------------
bundle_of() { echo "$ROOT/functions/$1/build/index.js"; }
bundle_hash() { sha256sum "$(bundle_of "$1")" | cut -c1-16; }

# Each function's configuration as its Knative Service gives it: the plain settings of its
# func.yaml (NODE_OPTIONS, FUNC_BODY_LIMIT, ...), then the local addresses; the secrets come from
# $STATE/tokens and stay off every command line.
function_env() {
  local fn=$1 emit_dapr name value
  # The install scripts' cache locations are the scripts' business, not the function's.
  export -n GOPATH GOMODCACHE GOCACHE npm_config_cache
  while IFS='=' read -r name value; do export "$name=$value"; done \
    < <(node "$ROOT/scripts/function-settings.mjs" "$fn")
  emit_dapr="http://127.0.0.1:$(dapr_http_port emit-reminder)"
  export FUNC_PORT FUNC_LOG_LEVEL=warn DAPR_HTTP_ENDPOINT DAPR_API_TOKEN
  FUNC_PORT=$(fn_port "$fn")
  DAPR_HTTP_ENDPOINT="http://127.0.0.1:$(dapr_http_port "$fn")"
  DAPR_API_TOKEN=$(token_of "$fn" dapr)
  case $fn in
    publish-task-event)
      export PUBLISH_API_TOKENS
      PUBLISH_API_TOKENS=$(token_of "$fn" clients) ;;
    schedule-reminder)
      export DATABASE_URL APP_API_TOKEN REMINDER_JOBS_DAPR_ENDPOINT="$emit_dapr" REMINDER_JOBS_DAPR_API_TOKEN
      APP_API_TOKEN=$(token_of "$fn" app)
      REMINDER_JOBS_DAPR_API_TOKEN=$(token_of emit-reminder dapr) ;;
    emit-reminder)
      export DATABASE_URL APP_API_TOKEN
      APP_API_TOKEN=$(token_of "$fn" app) ;;
  esac
}

start_function() {
  local fn=$1 dir="$ROOT/functions/$1" node
  node=$(node_bin)
  [[ -f $(bundle_of "$fn") ]] || (cd "$dir" && PATH="$node:$PATH" npm run --silent build)
  (
    cd "$dir"
    export PATH="$node:$PATH"
    function_env "$fn"
    spawn "$fn" "$ROOT/node_modules/.bin/faas-js-runtime" ./build/index.js
  )
  bundle_hash "$fn" >"$RUN/$fn.bundle"
  wait_for "$fn" 30 http_ok "http://127.0.0.1:$(fn_port "$fn")/health/liveness"
}

# --- Processes ------------------------------------------------------------------------------------
is_function() { [[ " ${FUNCTIONS[*]} " == *" $1 "* ]]; }

start_process() {
  local process=$1
  if running "$process"; then
    # A function keeps running only on the bundle it started with: never test a stale build.
    if is_function "$process" && [[ "$(cat "$RUN/$process.bundle" 2>/dev/null)" != "$(bundle_hash "$process")" ]]; then
      log "$process: its bundle changed since it started; restarting it"
      stop_process "$process"
    else
      return 0
    fi
  fi
  case $process in
    kafka) port_free "$KAFKA_PORT" kafka; start_kafka ;;
    postgres) [[ -n ${EXTERNAL_DATABASE:-} ]] || { port_free "$PG_PORT" postgres; start_postgres; }; migrate ;;
    scheduler) port_free "$SCHEDULER_PORT" scheduler; start_scheduler ;;
    *-dapr) port_free "$(dapr_http_port "${process%-dapr}")" "$process"; start_daprd "${process%-dapr}" ;;
    *) is_function "$process" || die "unknown process '$process'"; port_free "$(fn_port "$process")" "$process"; start_function "$process" ;;
  esac
}

stop_process() {
  local process=$1 signal=${2:-TERM} f pid
  f=$(pidfile "$process")
  [[ -f $f ]] || return 0
  pid=$(cat "$f")
  # PostgreSQL's fast shutdown is SIGINT (SIGTERM waits for every client to disconnect).
  [[ $process == postgres && $signal == TERM ]] && signal=INT
  # Processes run in their own session: signal the whole group (java, node, postgres and children).
  kill "-$signal" -- "-$pid" 2>/dev/null || kill "-$signal" "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$f" "$RUN/$process.bundle"
}

# Order matters: infrastructure, then each function before its sidecar (daprd probes the app).
ALL_PROCESSES=(kafka postgres scheduler)
for fn in "${FUNCTIONS[@]}"; do ALL_PROCESSES+=("$fn" "$fn-dapr"); done

status() {
  printf '%-26s %-8s %-28s %s\n' PROCESS STATE LISTENS LOG
  local process
  for process in "${ALL_PROCESSES[@]}"; do
    printf '%-26s %-8s %-28s %s\n' "$process" "$(running "$process" && echo up || echo down)" \
      "$(listens "$process")" "$LOGS/$process.log"
  done
  echo "DATABASE_URL=$DATABASE_URL"
}

listens() {
  case $1 in
    kafka) echo "127.0.0.1:$KAFKA_PORT" ;;
    postgres) echo "127.0.0.1:$PG_PORT" ;;
    scheduler) echo "127.0.0.1:$SCHEDULER_PORT" ;;
    *-dapr) echo "http 127.0.0.1:$(dapr_http_port "${1%-dapr}")" ;;
    *) echo "http 127.0.0.1:$(fn_port "$1")" ;;
  esac
}

# What the tests, the demo and the benchmark read to find the stack.
write_stack_json() {
  local fn entries=() limits=() node
  node=$(node_bin)
  for fn in "${FUNCTIONS[@]}"; do
    entries+=("\"$fn\": {\"url\": \"http://127.0.0.1:$(fn_port "$fn")\", \"dapr\": \"http://127.0.0.1:$(dapr_http_port "$fn")\", \"daprMetrics\": \"http://127.0.0.1:$(dapr_metrics_port "$fn")\"}")
    limits+=("\"$fn\": $(PATH="$node:$PATH" node "$ROOT/scripts/function-settings.mjs" "$fn" --memory-limit-mb)")
  done
  local IFS=,
  cat >"$STATE/stack.json" <<EOF
{
  "kafka": "127.0.0.1:$KAFKA_PORT",
  "databaseUrl": "$DATABASE_URL",
  "scheduler": "127.0.0.1:$SCHEDULER_PORT",
  "stackScript": "$ROOT/hack/stack.sh",
  "stackDir": "$STATE",
  "portOffset": $OFFSET,
  "logs": "$LOGS",
  "run": "$RUN",
  "tokens": "$STATE/tokens",
  "memoryLimitsMb": {${limits[*]}},
  "functions": {${entries[*]}}
}
EOF
}

case ${1:-} in
  up)
    for process in "${ALL_PROCESSES[@]}"; do start_process "$process"; done
    write_stack_json
    status ;;
  down)
    for ((i = ${#ALL_PROCESSES[@]} - 1; i >= 0; i--)); do stop_process "${ALL_PROCESSES[i]}"; done ;;
  status) status ;;
  start) start_process "${2:?process}" ;;
  stop) stop_process "${2:?process}" TERM ;;
  kill) stop_process "${2:?process}" KILL ;;
  reset) "$0" down; rm -rf "$STATE" "$(pg_dir)" ;;
  # A function's whole environment (secrets included) as NAME=value lines, for the benchmark to
  # start extra instances exactly as the stack does. To a pipe, never a file or a log.
  function-env) (PATH="$(node_bin):$PATH"; function_env "${2:?function}"; env) ;;
  *) sed -n '2,17p' "$0"; exit 2 ;;
esac
