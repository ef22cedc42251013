#!/usr/bin/env bash
# Prints the bin directory of a PostgreSQL server, installing Debian's package when there is none.
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"

find_bin() { local d; for d in /usr/lib/postgresql/*/bin; do [[ -x $d/postgres ]] && { echo "$d"; return 0; }; done; return 1; }
if find_bin; then exit 0; fi
command -v apt-get >/dev/null || die "no PostgreSQL server found and no apt-get to install one; set DATABASE_URL"
log "installing PostgreSQL from Debian's packages (first time only)"
SUDO=""; ((EUID == 0)) || SUDO=sudo
if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql; } >&2; then
  die "apt-get install postgresql failed"
fi
find_bin || die "postgresql installed but no server binary found"
