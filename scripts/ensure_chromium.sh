#!/usr/bin/env bash
# Install Debian's Chromium for the end-to-end tests when it is missing and we may (root, apt).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium for the end-to-end tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
    echo "chromium is missing and cannot be installed here: end-to-end tests will skip" >&2
fi
