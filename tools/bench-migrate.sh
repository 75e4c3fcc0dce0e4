#!/usr/bin/env bash
# Benchmark: `rmqctl migrate` copy + verify of a 2 GiB source into three nodes, against `cp -r` of the same
# files to three targets followed by `md5sum` of the copies, in one run, page cache warmed before each.
# Prints the figures; nothing asserts a time. Target: rmqctl's copy + verify at most 1.2 of the baseline.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
BENCH_DIR=${BENCH_DIR:-/tmp/rmqctl-bench-migrate}
FILE_SIZE=${BENCH_FILE_SIZE:-1073741824}
[ -x "$BUILD_DIR/rmqctl" ] || tools/build.sh >/dev/null
if [ ! -f "$BENCH_DIR/.ready-$FILE_SIZE" ]; then
  rm -rf "$BENCH_DIR"
  mkdir -p "$BENCH_DIR"
  body=4096
  "$BUILD_DIR/rmq-gen-store" --out "$BENCH_DIR/pair" --scenario consistent --file-size "$FILE_SIZE" \
    --messages $(( FILE_SIZE * 19 / 10 / (body + 200) )) --body-size "$body" --seed 7 >/dev/null
  touch "$BENCH_DIR/.ready-$FILE_SIZE"
fi
S="$BENCH_DIR/pair/master"
warm() { find "$S/commitlog" "$S/config" "$S/consumequeue" -type f -exec cat {} + >/dev/null; }

rm -rf "$BENCH_DIR/cp" "$BENCH_DIR/new"; sync; warm
t0=$(date +%s.%N)
for n in 0 1 2; do
  mkdir -p "$BENCH_DIR/cp/n$n"
  cp -r "$S/commitlog" "$S/config" "$S/consumequeue" "$BENCH_DIR/cp/n$n/"
done
find "$BENCH_DIR/cp" -type f -print0 | xargs -0 md5sum >/dev/null
sync
t1=$(date +%s.%N)
rm -rf "$BENCH_DIR/cp"; sync; warm
out=$("$BUILD_DIR/rmqctl" migrate --from master-slave --master-conf "$S/broker.conf" \
  --slave-conf "$BENCH_DIR/pair/slave/broker.conf" --peers 'n0-127.0.0.1:40911;n1-127.0.0.1:40912;n2-127.0.0.1:40913' \
  --target-root "$BENCH_DIR/new" --yes -o json 2>/dev/null)
python3 - "$t0" "$t1" "$out" <<'PY'
import json, sys
t0, t1, out = float(sys.argv[1]), float(sys.argv[2]), json.loads(sys.argv[3])
ph = {p["name"]: p["seconds"] for p in out["phases"]}
base = t1 - t0
cv = ph["copy"] + ph["verify"]
print(f"baseline cp -r x3 + md5sum of the copies  {base:6.1f} s")
print(f"rmqctl copy + verify                      {cv:6.1f} s  (copy {ph['copy']:.1f} + verify {ph['verify']:.1f}; ratio {cv/base:.2f}, target <= 1.2)")
print(f"rmqctl check phase (not in the baseline)  {ph['check']:6.1f} s")
print(f"rmqctl whole command                      {sum(v for v in ph.values() if v):6.1f} s")
PY
rm -rf "$BENCH_DIR/new"
