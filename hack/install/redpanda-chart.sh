#!/usr/bin/env bash
# Prints the folder of the Redpanda Helm chart pinned here (26.2.1), ready to render: a copy in the
# tools cache with its console subchart resolved (helm dependency build, offline).
# Where the chart comes from is chosen here, in this order:
#   REDPANDA_CHART_SOURCE=<dir>   a local copy laid out as the redpanda-operator repository
#                                 (<dir>/redpanda/chart and <dir>/console/chart);
#   ../shared/vendor/redpanda-helm next to the checkout, when it is there (our machines and CI);
#   otherwise the published chart: helm pull redpanda/redpanda 26.2.1 from charts.redpanda.com.
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"
VERSION=$REDPANDA_CHART_VERSION
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
helm=$(bash "$(dirname "$0")/helm.sh")
source_dir=${REDPANDA_CHART_SOURCE:-}
[[ -n $source_dir || ! -d $ROOT/../shared/vendor/redpanda-helm ]] || source_dir="$ROOT/../shared/vendor/redpanda-helm"
target="$TOOLS_DIR/redpanda-chart/$VERSION"
if [[ -n $source_dir ]]; then
  [[ -f $source_dir/redpanda/chart/Chart.yaml ]] || die "no redpanda/chart/Chart.yaml under $source_dir"
  grep -q "^version: $VERSION\$" "$source_dir/redpanda/chart/Chart.yaml" || die "$source_dir holds another version than $VERSION"
  rm -rf "$target.partial"; mkdir -p "$target.partial"
  cp -r "$source_dir/redpanda" "$source_dir/console" "$target.partial/"
  "$helm" dependency build "$target.partial/redpanda/chart" >&2 || die "helm dependency build failed"
  chart="$target/redpanda/chart"
else
  rm -rf "$target.partial"; mkdir -p "$target.partial/redpanda"
  "$helm" pull redpanda --repo https://charts.redpanda.com --version "$VERSION" --untar \
    --untardir "$target.partial/redpanda" >&2 || die "could not pull the Redpanda chart $VERSION"
  mv "$target.partial/redpanda/redpanda" "$target.partial/redpanda/chart"
  chart="$target/redpanda/chart"
fi
rm -rf "$target"; mv "$target.partial" "$target"
echo "$chart"
