#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang 14, ASan+UBSan) in ${FUZZ_BUILD_DIR:-build-fuzz} and runs
# each over its seed corpus (tests/fuzz/corpus/<target>/). Fails (exit 1) when any target crashes, hits a
# sanitizer finding or a FUZZ_CHECK; the input is saved as build-fuzz/fuzz-artifacts/<target>/crash-<sha1>
# and replays with `build-fuzz/tests/fuzz/<target>_fuzz <file>`.
#
#   tools/run-fuzz.sh                         the test command's run: a fixed number of executions per target
#                                             (--runs 25000, seed 1), about a minute in all on 2 cores
#   tools/run-fuzz.sh --runs N                N executions per target
#   tools/run-fuzz.sh --seconds-per-target N  N seconds per target (a soak: e.g. 600)
#   tools/run-fuzz.sh --soak                  = --seconds-per-target 600 with a random seed
#   options: --seed S, --target NAME (repeatable: only these, e.g. --target journal), --no-build
#
# New inputs that add coverage go to build-fuzz/fuzz-corpus/<target>/ (not the repo); to keep some, minimize
# them into the repo with `<target>_fuzz -merge=1 tests/fuzz/corpus/<target> build-fuzz/fuzz-corpus/<target>`.
# RMQ_BUILD_LOCK=/path: the build runs under flock on that file (a shared machine).
set -euo pipefail
cd "$(dirname "$0")/.."

runs=25000
seconds=""
seed=1
build=1
targets=()
usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=${2:?}; seconds=""; shift 2 ;;
    --seconds-per-target) seconds=${2:?}; shift 2 ;;
    --soak) seconds=600; seed=0; shift ;;
    --seed) seed=${2:?}; shift 2 ;;
    --target) targets+=("${2:?}"); shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) usage ;;
    *) echo "run-fuzz.sh: unknown argument '$1'" >&2; usage ;;
  esac
done

BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
CXX_CLANG=$(command -v clang++-14 || command -v clang++ || true)
if [ -z "$CXX_CLANG" ]; then
  echo "run-fuzz.sh: clang++-14 not found (tools/install-deps.sh installs it)" >&2
  exit 2
fi

if [ "$build" = 1 ]; then
  lock=()
  if [ -n "${RMQ_BUILD_LOCK:-}" ]; then lock=(flock "$RMQ_BUILD_LOCK"); fi
  # -O1 and line tables only: the instrumented build is what costs time on two cores.
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_CXX_COMPILER="$CXX_CLANG" -DCMAKE_BUILD_TYPE=None \
    "-DCMAKE_CXX_FLAGS=-O1 -gline-tables-only" -DRMQ_FUZZ=ON -DRMQ_BUILD_TESTS=OFF -DRMQ_BUILD_BENCH=OFF >/dev/null
  "${lock[@]}" cmake --build "$BUILD_DIR" --target fuzz -j "$(nproc)"
fi

if [ "${#targets[@]}" -eq 0 ]; then
  for dir in tests/fuzz/corpus/*/; do targets+=("$(basename "$dir")"); done
fi

# halt_on_error: a UBSan finding is fatal (a crash with its input saved); the suppressions cover only
# third-party headers (see the file).
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$PWD/tests/fuzz/ubsan.supp"
failed=()
total_start=$(date +%s)
for t in "${targets[@]}"; do
  bin="$BUILD_DIR/tests/fuzz/${t}_fuzz"
  if [ ! -x "$bin" ]; then echo "run-fuzz.sh: no fuzz target $bin" >&2; exit 2; fi
  work="$BUILD_DIR/fuzz-corpus/$t"
  artifacts="$BUILD_DIR/fuzz-artifacts/$t"
  mkdir -p "$work" "$artifacts"
  limit=(-runs="$runs")
  if [ -n "$seconds" ]; then limit=(-max_total_time="$seconds"); fi
  log="$BUILD_DIR/fuzz-artifacts/$t.log"
  start=$(date +%s)
  if "$bin" "${limit[@]}" -seed="$seed" -max_len=8192 -timeout=20 -rss_limit_mb=2048 \
      -artifact_prefix="$artifacts/" -print_final_stats=1 "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "fuzz $t: ok, ${execs:-?} executions in $(( $(date +%s) - start )) s"
  else
    echo "fuzz $t: FAILED (log: $log)"
    grep -a -m3 -E 'FUZZ_CHECK|runtime error|ERROR: |SUMMARY' "$log" || true
    ls "$artifacts" 2>/dev/null | sed "s|^|  input: $artifacts/|"
    failed+=("$t")
  fi
done
echo "fuzz: ${#targets[@]} targets in $(( $(date +%s) - total_start )) s"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
