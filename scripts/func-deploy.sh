#!/usr/bin/env bash
# `func deploy` of each function. func builds one directory as its whole build context, so each
# function is bundled first (npm run build: shared packages inlined into build/index.js).
#   scripts/func-deploy.sh [--dry-run] [--prebuilt] [function...]
# Default (a user's Minikube): func builds the image (pack builder) and pushes it to FUNC_REGISTRY.
# --prebuilt (the local cluster, which has no registry and no build container): the image is
#   assembled here (scripts/cluster/images.sh: Node 24 on Debian, the bundle, faas-js-runtime),
#   imported into the node's containerd as dev.local/todo/<fn>:<bundle hash>, and func deploys it
#   with --build=false --push=false. Either way func makes the Knative Service from func.yaml.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DRY_RUN=0 PREBUILT=0
while [[ ${1:-} == --* ]]; do
  case $1 in --dry-run) DRY_RUN=1 ;; --prebuilt) PREBUILT=1 ;; *) echo "unknown option $1" >&2; exit 2 ;; esac
  shift
done
FUNCTIONS=("$@")
((${#FUNCTIONS[@]})) || FUNCTIONS=(publish-task-event schedule-reminder emit-reminder)
REGISTRY=${FUNC_REGISTRY:-localhost:5000/todo}

run() { if ((DRY_RUN)); then printf '+ %s\n' "$*"; else "$@"; fi; }

# func writes back into the func.yaml it deploys (the image it used, its own formatting, without
# our comments): it deploys a copy of the function's directory, so the repository stays as it is.
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
copy_of() {
  if ((DRY_RUN)); then echo "<copy of functions/$1>"; return; fi
  mkdir -p "$WORK/$1"
  tar -C "$ROOT/functions/$1" --exclude=node_modules -cf - . | tar -C "$WORK/$1" -xf -
  echo "$WORK/$1"
}

run npm --prefix "$ROOT" run -s build
for fn in "${FUNCTIONS[@]}"; do
  dir=$(copy_of "$fn")
  if ((PREBUILT)); then
    if ((DRY_RUN)); then
      image="dev.local/todo/$fn:<bundle hash>"
      echo "+ scripts/cluster/images.sh function $fn <bundle hash> && scripts/cluster/node.sh import <archive>"
    else
      hash=$(sha256sum "$ROOT/functions/$fn/build/index.js" | cut -c1-16)
      IFS='|' read -r image archive < <(bash "$ROOT/scripts/cluster/images.sh" function "$fn" "$hash")
      bash "$ROOT/scripts/cluster/node.sh" import "$archive"
    fi
    run func deploy --path "$dir" --namespace todo --image "$image" --build=false --push=false
  else
    run func deploy --path "$dir" --registry "$REGISTRY" --namespace todo --build=true
  fi
done
