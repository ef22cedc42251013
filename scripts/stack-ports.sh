# Where each piece of the local stack listens (all on 127.0.0.1). Sourced by stack.sh; the tests
# read the same values from .stack/stack.json, which `stack.sh up` writes.
# shellcheck shell=bash
KAFKA_PORT=${KAFKA_PORT:-19092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-19093}
PG_PORT=${PG_PORT:-55432}
SCHEDULER_PORT=${SCHEDULER_PORT:-50006}
SCHEDULER_ETCD_PORT=${SCHEDULER_ETCD_PORT:-52379}
SCHEDULER_ETCD_PEER_PORT=${SCHEDULER_ETCD_PEER_PORT:-52380}
SCHEDULER_HEALTH_PORT=${SCHEDULER_HEALTH_PORT:-58081}
SCHEDULER_METRICS_PORT=${SCHEDULER_METRICS_PORT:-59091}
DATABASE_URL=${DATABASE_URL:-postgresql://todo@127.0.0.1:$PG_PORT/todo}

# Per function: index 0, 1, 2 in the order publish, schedule, emit.
fn_index() {
  case $1 in publish-task-event) echo 0 ;; schedule-reminder) echo 1 ;; emit-reminder) echo 2 ;; esac
}
fn_port() { echo $((18081 + $(fn_index "$1"))); }
dapr_http_port() { echo $((13501 + $(fn_index "$1"))); }
dapr_grpc_port() { echo $((15001 + $(fn_index "$1"))); }
dapr_internal_port() { echo $((15011 + $(fn_index "$1"))); }
dapr_metrics_port() { echo $((19191 + $(fn_index "$1"))); }
