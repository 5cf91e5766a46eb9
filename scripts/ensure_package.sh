#!/usr/bin/env bash
# Install a Debian package when its program is missing and we may (root, apt):
#   scripts/ensure_package.sh PACKAGE PROGRAM WHAT
# PROGRAM is a command or a path pattern (PostgreSQL's live in /usr/lib/postgresql/*/bin);
# WHAT says what needs it, in the messages.
set -euo pipefail
package=$1 program=$2 what=$3
if command -v "$program" >/dev/null 2>&1 || compgen -G "$program" >/dev/null; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing $package for $what"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
else
    echo "$package is missing and cannot be installed here: $what will skip" >&2
fi
