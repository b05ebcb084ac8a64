#!/usr/bin/env bash
# System packages the test suite needs beyond Python:
# - Debian's Chromium and its driver, for the browser tests of the website (Playwright drives
#   this browser; it never downloads one);
# - bubblewrap (bwrap) and util-linux's setpriv, the grader's sandbox for students' notebooks.
set -euo pipefail
missing=0
for command in chromium chromedriver bwrap setpriv; do
    command -v "$command" >/dev/null 2>&1 || missing=1
done
if [ "$missing" -eq 0 ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium chromium-driver bubblewrap util-linux
