#!/usr/bin/env bash
# Broker benchmark: builds nothing, runs the binaries of ${BUILD_DIR:-build} in a temporary directory.
#  1. rmq-namesrv + rmq-broker (ASYNC_FLUSH): rmq-bench produce (1 KiB bodies, 64 in flight, a fixed count)
#     while rmq-bench consume reads the same topic with a new group (end-to-end latency = store -> receipt).
#  2. rmq-broker restarted on a fresh store with SYNC_FLUSH: rmq-bench fsync-rate on the store's disk (the
#     serial write+fdatasync rate), then produce for a fixed time. A broker with group commit beats the
#     fsync rate in msgs/s; one without cannot.
# Prints a summary table; nothing asserts a figure. Every process is stopped and the directory removed on exit.
#   BENCH_COUNT (200000) messages for the ASYNC_FLUSH run, BENCH_SYNC_SECONDS (10), BENCH_DIR (mktemp).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
COUNT=${BENCH_COUNT:-200000}
SYNC_SECONDS=${BENCH_SYNC_SECONDS:-10}
SIZE=1024
INFLIGHT=64
TOPIC=BenchTopic
for bin in rmq-namesrv rmq-broker rmq-bench; do
  if [ ! -x "$BUILD_DIR/$bin" ]; then
    echo "bench-broker: $BUILD_DIR/$bin is missing; build first (tools/build.sh)" >&2
    exit 2
  fi
done
BIN=$(cd "$BUILD_DIR" && pwd)
WORK=${BENCH_DIR:-$(mktemp -d /tmp/rmq-bench-broker.XXXXXX)}
mkdir -p "$WORK"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  [ -n "${BENCH_DIR:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

# A loopback port p with p-2 (VIP channel) and p+1 (HA) free as well.
free_port() {
  python3 - <<'PY'
import socket
for _ in range(200):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close()
    ok = p > 1026
    for q in (p - 2, p + 1):
        try:
            t = socket.socket(); t.bind(("127.0.0.1", q)); t.close()
        except OSError:
            ok = False
    if ok:
        print(p); break
PY
}
wait_port() {  # port, process id, log
  for _ in $(seq 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    if ! kill -0 "$2" 2>/dev/null; then echo "bench-broker: process exited; log $3:" >&2; tail -20 "$3" >&2; exit 1; fi
    sleep 0.1
  done
  echo "bench-broker: nothing listens on $1 after 30 s; log $3:" >&2; tail -20 "$3" >&2; exit 1
}
stop_pid() {
  kill -TERM "$1" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

NS_PORT=$(free_port)
echo "listenPort=$NS_PORT" > "$WORK/namesrv.conf"
"$BIN/rmq-namesrv" -c "$WORK/namesrv.conf" > "$WORK/namesrv.log" 2>&1 &
NS_PID=$!; pids+=("$NS_PID")
wait_port "$NS_PORT" "$NS_PID" "$WORK/namesrv.log"
NS=127.0.0.1:$NS_PORT

start_broker() {  # flushDiskType, store dir
  BR_PORT=$(free_port)
  mkdir -p "$2"
  cat > "$WORK/broker-$1.conf" <<CONF
brokerClusterName=BenchCluster
brokerName=bench-broker
brokerId=0
listenPort=$BR_PORT
namesrvAddr=$NS
storePathRootDir=$2
storePathCommitLog=$2/commitlog
flushDiskType=$1
brokerIP1=127.0.0.1
autoCreateTopicEnable=true
CONF
  "$BIN/rmq-broker" -c "$WORK/broker-$1.conf" > "$WORK/broker-$1.log" 2>&1 &
  BR_PID=$!; pids+=("$BR_PID")
  wait_port "$BR_PORT" "$BR_PID" "$WORK/broker-$1.log"
}
result() { grep '^RESULT' "$1" | tail -1; }
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<< "$1"; }

echo "== ASYNC_FLUSH: produce $COUNT x $SIZE B, $INFLIGHT in flight, consumed live by a new group"
start_broker ASYNC_FLUSH "$WORK/store-async"
"$BIN/rmq-bench" produce --namesrv "$NS" --topic "$TOPIC" --size "$SIZE" --inflight "$INFLIGHT" --count 1000 \
  --create-topic --queues 8 > "$WORK/warmup.out"
"$BIN/rmq-bench" consume --namesrv "$NS" --topic "$TOPIC" --group BenchConsumer --count $((COUNT + 1000)) \
  --timeout 600 > "$WORK/consume.out" 2>&1 &
CONSUME_PID=$!; pids+=("$CONSUME_PID")
"$BIN/rmq-bench" produce --namesrv "$NS" --topic "$TOPIC" --size "$SIZE" --inflight "$INFLIGHT" --count "$COUNT" \
  | tee "$WORK/produce-async.out" || true
wait "$CONSUME_PID" || true
cat "$WORK/consume.out"
stop_pid "$BR_PID"

echo "== SYNC_FLUSH: disk fsync rate, then produce for $SYNC_SECONDS s"
start_broker SYNC_FLUSH "$WORK/store-sync"
"$BIN/rmq-bench" fsync-rate --dir "$WORK/store-sync" --duration 5 | tee "$WORK/fsync.out"
"$BIN/rmq-bench" produce --namesrv "$NS" --topic "$TOPIC" --size "$SIZE" --inflight "$INFLIGHT" \
  --duration "$SYNC_SECONDS" --create-topic --queues 8 | tee "$WORK/produce-sync.out" || true
stop_pid "$BR_PID"

pa=$(result "$WORK/produce-async.out"); ca=$(result "$WORK/consume.out")
ps=$(result "$WORK/produce-sync.out"); fs=$(result "$WORK/fsync.out")
echo
echo "== summary ($SIZE B bodies, $INFLIGHT in flight, latencies in ms)"
printf '%-28s %12s %9s %9s %9s %9s %8s\n' run msgs/s MB/s p50 p99 p99.9 errors
row() {  # label, RESULT line, errors key
  if [ -z "$2" ]; then printf '%-28s %s\n' "$1" "(no result; see the output above)"; return; fi
  printf '%-28s %12s %9s %9s %9s %9s %8s\n' "$1" "$(field "$2" msgs_per_s)" "$(field "$2" mb_per_s)" \
    "$(field "$2" p50_ms)" "$(field "$2" p99_ms)" "$(field "$2" p999_ms)" "$(field "$2" "$3")"
}
row "ASYNC_FLUSH produce" "$pa" failed
row "ASYNC_FLUSH consume (e2e)" "$ca" errors
row "SYNC_FLUSH produce" "$ps" failed
if [ -n "$fs" ]; then
  printf '%-28s %12s %9s %9s %9s %9s\n' "disk: write 1 KiB+fdatasync" "$(field "$fs" fsyncs_per_s)/s" - \
    "$(field "$fs" p50_ms)" "$(field "$fs" p99_ms)" "$(field "$fs" p999_ms)"
fi
