#!/usr/bin/env bash
# Helm post-renderer for the dapr-shared chart: the chart does not pass the Dapr scheduler's
# address in a way daprd >= 1.17 reads, and without it job triggers never reach the function.
# Adds --scheduler-host-address, and --disable-init-endpoints so that a daprd (re)start does not
# wake the function from zero just to ask for /dapr/config and /dapr/subscribe (we declare both).
set -euo pipefail
scheduler=${DAPR_SCHEDULER_ADDRESS:-dapr-scheduler-server-0.dapr-scheduler-server.dapr-system.svc.cluster.local:50006}
sed -e "s#^\([[:space:]]*\)- --app-channel-address=\(.*\)#&\n\1- --scheduler-host-address=${scheduler}\n\1- --disable-init-endpoints=config,subscribe#"
