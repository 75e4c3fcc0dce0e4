#!/usr/bin/env bash
# The sanitizer builds (issue 13, part 3). Builds and runs, each in its own build dir:
#   ASan+UBSan (-DRMQ_SANITIZE=address,undefined): the unit tests, the Raft simulator and the integration tests
#               (whose rmq-broker / rmq-namesrv children are instrumented too);
#   TSan (-DRMQ_SANITIZE=thread): the multi-threaded store, remoting, DLedger runtime and server tests.
# Only the test binaries listed (and what they link or start) are built; benchmarks, test_cli and the
# end-to-end tests are left out (see tools/sanitizers/README.md for what and why).
#
#   tools/run-sanitizers.sh [--ci] [all|asan|tsan]
#     all (default)  both builds, the full lists below
#     --ci           the CI lists (tools/run-tests.sh runs `--ci asan`): the simulator with RMQ_SIM_SEEDS=20
#                    per scenario; TSan over the multi-threaded binaries and the DLedger integration tests
#                    only. `--ci asan` is about 13 minutes on an idle 2-core machine, `--ci tsan` about 9 more
#                    (too much for CI's 45-minute budget, see tools/sanitizers/README.md)
#   ASAN_TESTS="test_store" tools/run-sanitizers.sh asan   a subset while fixing a finding
#   An entry of ASAN_TESTS / TSAN_TESTS is a test binary, or binary=REGEX to run only its tests whose ctest
#   name (Suite.Test) matches REGEX.
#   ASAN_EXCLUDE / TSAN_EXCLUDE  ctest -E regex of tests left out of that build's run
#   SAN_ASAN_DIR / SAN_TSAN_DIR  build dirs (default build-asan / build-tsan)
#   SAN_CXX                      compiler (default clang++-14, else g++; see below)
#   JOBS                         build and ctest parallelism (default nproc)
#
# Every report from any instrumented process, including a child broker that a test SIGTERMs and never
# checks, is written to <build>/sanitizer-logs/; the step fails if that folder holds a report, and prints it.
# Every sanitizer halts the process on its first report (halt_on_error=1, UBSan -fno-sanitize-recover), so the
# test that hit it fails too. Suppressions (tools/sanitizers/*.supp) say why each entry is there.
# Exit 0 clean, 1 a test failed or a sanitizer reported something, 2 usage or a tool missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=${JOBS:-$(nproc)}
ci=0
which=all
for arg in "$@"; do
  case "$arg" in
    --ci) ci=1 ;;
    all|asan|tsan) which=$arg ;;
    *) echo "usage: $0 [--ci] [all|asan|tsan]" >&2; exit 2 ;;
  esac
done

if [ "$ci" = 1 ]; then
  # The simulator's 15 scenarios run RMQ_SIM_SEEDS seeds each (250 in the plain suite, which stays the
  # thorough run); 20 under ASan keeps it near a minute. The Bites_* / Replay cases are seed-independent.
  export RMQ_SIM_SEEDS=${RMQ_SIM_SEEDS:-20}
  ASAN_TESTS=${ASAN_TESTS:-"test_common test_store test_raft test_remoting test_migrate test_sim test_namesrv test_server test_dledger test_ctl test_acl test_integration"}
  # test_store: only the suites that start the store's threads (flush, dispatch, the DLedger store's
  # replicator side); its format, decoder and crash-point suites are single-threaded and run under ASan.
  TSAN_TESTS=${TSAN_TESTS:-"test_remoting test_dledger test_server test_store=^(PlainStore|DLedgerMessageStore|DiskSpaceGuard) test_integration=^(DLedger|Dledger)"}
  # ConnectionLimitsTest measures how fast a flood fills and drains buffers against fixed deadlines; at
  # TSan's 5-15x slowdown on two cores those deadlines fail without any report (they run in the plain suite).
  TSAN_EXCLUDE=${TSAN_EXCLUDE:-"^ConnectionLimitsTest\\."}
  # This flood test bounds the broker's resident memory (< 96 MiB over its baseline); ASan's quarantine of
  # freed blocks (256 MiB) and shadow memory are resident too (343 MiB measured), so it fails without any
  # report. It runs in the plain suite; every other test of ConnectionFloodTest runs here.
  ASAN_EXCLUDE=${ASAN_EXCLUDE:-"^ConnectionFloodTest\\.BrokerPeerNotReadingPullRepliesIsClosedAndMemoryBounded\$"}
else
  ASAN_TESTS=${ASAN_TESTS:-"test_common test_store test_raft test_remoting test_migrate test_sim test_namesrv test_server test_dledger test_ctl test_acl test_integration"}
  TSAN_TESTS=${TSAN_TESTS:-"test_store test_remoting test_dledger test_server test_integration test_namesrv"}
fi
ASAN_EXCLUDE=${ASAN_EXCLUDE:-}
TSAN_EXCLUDE=${TSAN_EXCLUDE:-}
ASAN_DIR=${SAN_ASAN_DIR:-build-asan}
TSAN_DIR=${SAN_TSAN_DIR:-build-tsan}

# clang 14 by default: it compiles the instrumented tree in about 60% of g++'s CPU time, which is what lets
# both builds fit the CI budget; this step is therefore also the proof that the tree compiles with clang.
# SAN_CXX=g++ works too (slower). lld, llvm-symbolizer-14 and the clang runtimes come from
# tools/install-deps.sh.
if [ -z "${SAN_CXX:-}" ]; then
  SAN_CXX=$(command -v clang++-14 || command -v g++ || true)
fi
if [ -z "$SAN_CXX" ] || ! command -v "$SAN_CXX" >/dev/null 2>&1; then
  echo "run-sanitizers.sh: compiler '${SAN_CXX:-clang++-14}' not found (tools/install-deps.sh installs clang-14)" >&2
  exit 2
fi
linker=()
if command -v ld.lld >/dev/null 2>&1; then
  # lld links the instrumented tests in a fraction of ld.bfd's time.
  linker=(-DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld)
fi
sym=""
if command -v llvm-symbolizer-14 >/dev/null 2>&1; then
  sym=":external_symbolizer_path=$(command -v llvm-symbolizer-14)"
fi
status=0

# cpu_now: sets CPU_NOW to the CPU seconds (user+sys) used so far by the children this shell has waited for
# (the second line of bash's `times`; it must run in this shell, not in a $(...) subshell, which has none).
cpu_file=$(mktemp)
trap 'rm -f "$cpu_file"' EXIT
cpu_now() {
  times >"$cpu_file"
  CPU_NOW=$(awk 'NR==2 { n=0; for (i=1;i<=2;i++) { split($i, p, /[ms]/); n += p[1]*60 + p[2] } printf "%d", n }' "$cpu_file")
}

abs_dir() { case "$1" in /*) echo "$1" ;; *) echo "$ROOT/$1" ;; esac; }

# run_build <dir> <sanitizers> <exclude-regex> <entries...>   (entry: binary or binary=REGEX)
run_build() {
  local dir sanitize=$2 exclude=$3
  dir=$(abs_dir "$1")
  shift 3
  local entries=("$@") targets=() e
  for e in "${entries[@]}"; do targets+=("${e%%=*}"); done
  local start=$SECONDS cpu0
  cpu_now
  cpu0=$CPU_NOW
  echo "== sanitizers: $sanitize ($SAN_CXX) in $dir: ${entries[*]}"
  # Warnings are the -Werror g++ build's job (tools/build.sh).
  cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRMQ_WERROR=OFF -DRMQ_BUILD_BENCH=OFF \
    -DCMAKE_CXX_COMPILER="$SAN_CXX" "${linker[@]}" -DRMQ_SANITIZE="$sanitize" >/dev/null
  if ! cmake --build "$dir" -j "$JOBS" --target "${targets[@]}"; then
    echo "== sanitizers: $sanitize build failed after $((SECONDS - start)) s" >&2
    status=1
    return
  fi
  local built=$SECONDS cpu1
  cpu_now
  cpu1=$CPU_NOW
  local logs="$dir/sanitizer-logs"
  rm -rf "$logs"
  mkdir -p "$logs"
  local rc=0 t0 name regex whole=()
  # The binaries run whole go to one ctest call, so that -j keeps both cores busy across binaries (one
  # binary's last long test no longer runs alone); ctest's "Label Time Summary" gives the time per binary.
  # A binary=REGEX entry gets its own call.
  for e in "${entries[@]}"; do
    [ "${e%%=*}" != "$e" ] || whole+=("$e")
  done
  run_ctest() {  # <label-regex> [-R regex]
    local args=(--output-on-failure -j "$JOBS" --timeout 600 -L "$1")
    shift
    args+=("$@")
    [ -z "$exclude" ] || args+=(-E "$exclude")
    (cd "$dir" && ctest "${args[@]}") || rc=1
  }
  if [ "${#whole[@]}" -gt 0 ]; then
    t0=$SECONDS
    run_ctest "^($(IFS='|'; echo "${whole[*]}"))\$"
    echo "== sanitizers: $sanitize ${whole[*]}: $((SECONDS - t0)) s"
  fi
  for e in "${entries[@]}"; do
    name=${e%%=*}
    [ "$name" != "$e" ] || continue
    regex=${e#*=}
    t0=$SECONDS
    run_ctest "^${name}\$" -R "$regex"
    echo "== sanitizers: $sanitize $e: $((SECONDS - t0)) s"
  done
  if compgen -G "$logs/*" >/dev/null; then
    echo "== sanitizers: $sanitize reported problems:" >&2
    for f in "$logs"/*; do
      echo "---- $f" >&2
      cat "$f" >&2
    done
    rc=1
  fi
  local cpu2
  cpu_now
  cpu2=$CPU_NOW
  echo "== sanitizers: $sanitize build $((built - start)) s (cpu $((cpu1 - cpu0)) s), tests $((SECONDS - built)) s (cpu $((cpu2 - cpu1)) s), exit $rc"
  [ "$rc" = 0 ] || status=1
}

supp="$ROOT/tools/sanitizers"
if [ "$which" = all ] || [ "$which" = asan ]; then
  logs="$(abs_dir "$ASAN_DIR")/sanitizer-logs"
  export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:strict_string_checks=1:log_path=$logs/asan:suppressions=$supp/asan.supp$sym"
  export LSAN_OPTIONS="suppressions=$supp/lsan.supp"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan:suppressions=$supp/ubsan.supp$sym"
  # shellcheck disable=SC2086
  run_build "$ASAN_DIR" address,undefined "$ASAN_EXCLUDE" $ASAN_TESTS
  unset ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS
fi
if [ "$which" = all ] || [ "$which" = tsan ]; then
  logs="$(abs_dir "$TSAN_DIR")/sanitizer-logs"
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:log_path=$logs/tsan:suppressions=$supp/tsan.supp$sym"
  # shellcheck disable=SC2086
  run_build "$TSAN_DIR" thread "$TSAN_EXCLUDE" $TSAN_TESTS
  unset TSAN_OPTIONS
fi
exit $status
