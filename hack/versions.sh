# Sets every pin of hack/versions.env that the environment does not already set. Sourced, not run.
# shellcheck shell=bash
while IFS='=' read -r key value; do
  [[ $key =~ ^[A-Z][A-Z0-9_]*$ ]] || continue
  [[ -n ${!key:-} ]] || printf -v "$key" '%s' "$value"
done <"$(dirname "${BASH_SOURCE[0]}")/versions.env"
