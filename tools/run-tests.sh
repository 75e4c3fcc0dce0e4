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
# The ASan+UBSan build of the unit, simulator and integration tests (tools/sanitizers/README.md); fails on any
# test failure or sanitizer report, including one from a broker or name server child. About 17 minutes (build
# 13, tests 4) on an idle 2-core machine, the whole run about 42; the TSan build (`tools/run-sanitizers.sh --ci tsan`, ~9 more) does not fit the
# 45-minute budget of the whole run and is run by hand.
(cd "$OLDPWD" && tools/run-sanitizers.sh --ci asan)
