# Where each process of the local stack listens (all on 127.0.0.1). Sourced by stack.sh; the tests
# read the same values from stack.json, which `stack.sh up` writes. STACK_PORT_OFFSET moves a whole
# stack (test.sh runs its own stack beside the user's, 1000 ports up).
# shellcheck shell=bash disable=SC2034  # the variables are for the script that sources this file
OFFSET=${STACK_PORT_OFFSET:-0}
KAFKA_PORT=$((19092 + OFFSET))
KAFKA_CONTROLLER_PORT=$((19093 + OFFSET))
PG_PORT=$((55432 + OFFSET))
SCHEDULER_PORT=$((50006 + OFFSET))
SCHEDULER_ETCD_PORT=$((52379 + OFFSET))
SCHEDULER_ETCD_PEER_PORT=$((52380 + OFFSET))
SCHEDULER_HEALTH_PORT=$((58081 + OFFSET))
SCHEDULER_METRICS_PORT=$((59091 + OFFSET))
DATABASE_URL=${DATABASE_URL:-postgresql://todo@127.0.0.1:$PG_PORT/todo}

# Per function: index 0, 1, 2 in the order publish, schedule, emit.
fn_index() {
  case $1 in publish-task-event) echo 0 ;; schedule-reminder) echo 1 ;; emit-reminder) echo 2 ;; esac
}
fn_port() { echo $((18081 + OFFSET + $(fn_index "$1"))); }
dapr_http_port() { echo $((13501 + OFFSET + $(fn_index "$1"))); }
dapr_grpc_port() { echo $((15001 + OFFSET + $(fn_index "$1"))); }
dapr_internal_port() { echo $((15011 + OFFSET + $(fn_index "$1"))); }
dapr_metrics_port() { echo $((19191 + OFFSET + $(fn_index "$1"))); }
