#!/usr/bin/env bash
# Installs the Debian packages the checks use when they are missing: shellcheck for the scripts,
# faketime (libfaketime) for the unit tests under a shifted clock.
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"
missing=()
command -v shellcheck >/dev/null || missing+=(shellcheck)
command -v faketime >/dev/null || missing+=(faketime)
((${#missing[@]})) || exit 0
SUDO=""; ((EUID == 0)) || SUDO=sudo
log "installing ${missing[*]} from Debian's packages"
if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"; } >&2; then
  die "apt-get install ${missing[*]} failed"
fi
