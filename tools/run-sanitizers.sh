#!/usr/bin/env bash
# The sanitizer step of the test command (issue 13, part 3). Builds and runs, in their own build dirs:
#   build-asan  -DRMQ_SANITIZE=address,undefined : the unit tests, the Raft simulator and the integration tests
#               (whose rmq-broker / rmq-namesrv children are instrumented too);
#   build-tsan  -DRMQ_SANITIZE=thread : the multi-threaded store, remoting, DLedger runtime and server tests.
# Only the test binaries listed below (and what they depend on) are built; benchmarks, test_cli and the
# end-to-end tests are left out to fit the CI budget (see tools/sanitizers/README.md for what and why).
#
#   tools/run-sanitizers.sh            both builds
#   tools/run-sanitizers.sh asan|tsan  one of them
#   ASAN_TESTS="test_store" tools/run-sanitizers.sh asan   a subset while fixing a finding
#
# Every report from any instrumented process, including a child broker that a test SIGTERMs and never
# checks, is written to <build>/sanitizer-logs/; the step fails if that folder holds a report, and prints it.
# Suppressions (tools/sanitizers/*.supp) say why each entry is there. Exit 0 clean, 1 a test failed or a
# sanitizer reported something, 2 usage.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=${JOBS:-$(nproc)}
which=${1:-all}
case "$which" in all|asan|tsan) ;; *) echo "usage: $0 [all|asan|tsan]" >&2; exit 2 ;; esac

ASAN_TESTS=${ASAN_TESTS:-"test_common test_store test_raft test_remoting test_migrate test_sim test_namesrv test_server test_dledger test_ctl test_integration"}
TSAN_TESTS=${TSAN_TESTS:-"test_store test_remoting test_dledger test_server"}

# g++ by default: the -Werror build proves that g++ compiles the tree, while clang 14 rejects some C++20 that
# g++ 12 accepts (captured structured bindings, mixed initializer lists), so a clang build could break on code
# nobody here compiles with clang. SAN_CXX=clang++-14 compiles about 40% faster where it works.
# lld and llvm-symbolizer-14 come from tools/install-deps.sh.
SAN_CXX=${SAN_CXX:-g++}
sym=""
if command -v llvm-symbolizer-14 >/dev/null 2>&1; then
  sym=":external_symbolizer_path=$(command -v llvm-symbolizer-14)"
fi
status=0

# run_build <dir> <sanitizers> <tests...>
run_build() {
  local dir=$1 sanitize=$2
  shift 2
  local tests=("$@")
  local start=$SECONDS
  echo "== sanitizers: $sanitize in $dir: ${tests[*]}"
  # lld links the instrumented tests in a fraction of ld.bfd's time; warnings are the -Werror build's job.
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRMQ_WERROR=OFF -DRMQ_BUILD_BENCH=OFF \
    -DCMAKE_CXX_COMPILER="$SAN_CXX" -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld -DRMQ_SANITIZE="$sanitize" >/dev/null
  cmake --build "$dir" -j "$JOBS" --target "${tests[@]}"
  local built=$SECONDS
  local logs="$ROOT/$dir/sanitizer-logs"
  rm -rf "$logs"
  mkdir -p "$logs"
  local label_re
  label_re="^($(IFS='|'; echo "${tests[*]}"))\$"
  local rc=0
  (
    cd "$dir"
    ctest --output-on-failure -j "$JOBS" --timeout 900 -L "$label_re"
  ) || rc=$?
  if compgen -G "$logs/*" >/dev/null; then
    echo "== sanitizers: $sanitize reported problems:" >&2
    for f in "$logs"/*; do
      echo "---- $f" >&2
      cat "$f" >&2
    done
    rc=1
  fi
  echo "== sanitizers: $sanitize build $((built - start)) s, tests $((SECONDS - built)) s, exit $rc"
  [ "$rc" = 0 ] || status=1
}

supp="$ROOT/tools/sanitizers"
if [ "$which" = all ] || [ "$which" = asan ]; then
  logs="$ROOT/build-asan/sanitizer-logs"
  export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:strict_string_checks=1:log_path=$logs/asan:suppressions=$supp/asan.supp$sym"
  export LSAN_OPTIONS="suppressions=$supp/lsan.supp"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan:suppressions=$supp/ubsan.supp$sym"
  # shellcheck disable=SC2086
  run_build build-asan address,undefined $ASAN_TESTS
  unset ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS
fi
if [ "$which" = all ] || [ "$which" = tsan ]; then
  logs="$ROOT/build-tsan/sanitizer-logs"
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:log_path=$logs/tsan:suppressions=$supp/tsan.supp$sym"
  # shellcheck disable=SC2086
  run_build build-tsan thread $TSAN_TESTS
  unset TSAN_OPTIONS
fi
exit $status
