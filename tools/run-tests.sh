#!/usr/bin/env bash
# The README's test command: install what is needed, build, run the whole suite (ctest).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh
# The end-to-end tests' client (ali-ons, pinned by tests/e2e/package-lock.json); they fail without it.
(cd tests/e2e && npm ci --no-audit --no-fund)
BUILD_DIR=${BUILD_DIR:-build}
cd "$BUILD_DIR"
ctest --output-on-failure -j "$(nproc)" --timeout 900
# The libFuzzer targets (tests/fuzz), a fixed number of executions each; fails on any crash.
(cd "$OLDPWD" && tools/run-fuzz.sh)
