#!/usr/bin/env bash
# System packages the test suite needs beyond Python: Debian's Chromium and its driver, for
# the browser tests of the website (Playwright drives this browser; it never downloads one).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium chromium-driver
