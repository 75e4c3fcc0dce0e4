#!/usr/bin/env bash
# Benchmark: `rmqctl check-commitlog` against `md5sum` over the same four files, in one run.
#
# Makes a consistent Master-Slave pair of two 1 GiB commitlog files per side (BENCH_FILE_SIZE overrides), warms
# the page cache with one untimed read so both tools see the same cache state, then times:
#   1. md5sum over the four files one after another (what the runbook has the operator do),
#   2. rmqctl check-commitlog (MD5 of both sides concurrently, then the record scan and the comparison).
# Prints the figures; nothing asserts a time. Target: rmqctl's MD5 phase under 0.6 of md5sum's time; the
# record scan at 1 GB/s or more per core.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
BENCH_DIR=${BENCH_DIR:-/tmp/rmqctl-bench}
FILE_SIZE=${BENCH_FILE_SIZE:-1073741824}
[ -x "$BUILD_DIR/rmqctl" ] || tools/build.sh >/dev/null

if [ ! -f "$BENCH_DIR/.ready-$FILE_SIZE" ]; then
  rm -rf "$BENCH_DIR"
  mkdir -p "$BENCH_DIR"
  body=4096
  # Enough records to fill about 1.9 files, so both are full of data.
  messages=$(( FILE_SIZE * 19 / 10 / (body + 200) ))
  "$BUILD_DIR/rmq-gen-store" --out "$BENCH_DIR/pair" --scenario consistent --file-size "$FILE_SIZE" \
    --messages "$messages" --body-size "$body" --seed 7 >/dev/null
  touch "$BENCH_DIR/.ready-$FILE_SIZE"
fi
M="$BENCH_DIR/pair/master/commitlog"
S="$BENCH_DIR/pair/slave/commitlog"
files=("$M"/000* "$S"/000*)
echo "files: ${#files[@]} x $(du -h --apparent-size "${files[0]}" | cut -f1)"
cat "${files[@]}" > /dev/null   # warm the page cache for both contenders

t0=$(date +%s.%N)
md5sum "${files[@]}" > /dev/null
t1=$(date +%s.%N)
json=$("$BUILD_DIR/rmqctl" check-commitlog --master "$M" --slave "$S" -o json || true)
t2=$(date +%s.%N)

python3 - "$t0" "$t1" "$t2" "$json" <<'PY'
import json, sys
t0, t1, t2 = map(float, sys.argv[1:4])
r = json.loads(sys.argv[4])
t = r["timings"]
md5sum_s = t1 - t0
print(f"verdict                         {r['verdict']}")
print(f"md5sum, 4 files sequentially    {md5sum_s:7.2f} s  ({t['md5_bytes']/md5sum_s/1e6:7.0f} MB/s)")
print(f"rmqctl md5 phase (2 sides)      {t['md5_seconds']:7.2f} s  ({t['md5_bytes']/t['md5_seconds']/1e6:7.0f} MB/s)  ratio {t['md5_seconds']/md5sum_s:.2f} of md5sum (target < 0.6)")
print(f"rmqctl record scan (2 sides)    {t['scan_seconds']:7.2f} s  ({t['scan_bytes']/t['scan_seconds']/1e6:7.0f} MB/s total, {t['scan_bytes']/2/t['scan_seconds']/1e6:.0f} MB/s per side/core; target >= 1000)")
print(f"rmqctl compare                  {t['compare_seconds']:7.2f} s")
print(f"rmqctl check-commitlog total    {t2 - t1:7.2f} s (wall, process)")
PY
