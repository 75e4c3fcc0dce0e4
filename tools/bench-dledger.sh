#!/usr/bin/env bash
# DLedger group benchmark (issue 10, Done when 4): builds nothing, runs the binaries of ${BUILD_DIR:-build}
# on free loopback ports in a temporary directory, all in one run on this machine:
#  1. one plain-mode broker (name server + broker, ASYNC_FLUSH): rmq-bench produce, 1 KiB, 64 in flight;
#  2. a 3-node DLedger group (name server + 3 brokers, rmqctl gen-conf + rmqctl start), ASYNC_FLUSH: the
#     same produce; then rmq-bench catch-up (a follower down while BENCH_CATCHUP_MB MiB are sent, restarted,
#     MB/s until its ledger end equals the leader's); then rmq-bench failover (the leader SIGKILLed
#     BENCH_ROUNDS times: time to the first SEND_OK from any node and to the new brokerId 0 at the name server);
#  3. the same group on fresh stores with SYNC_FLUSH: the same produce.
# Prints one table (system | msgs/s | p99 | ratio to the single node) and the failover and catch-up figures.
# Nothing asserts a figure. Every process is stopped (rmqctl stop, then SIGKILL of what is left of this run's
# pid files) and the directory removed on exit.
#   BENCH_SECONDS (15) per produce run, BENCH_ROUNDS (10), BENCH_CATCHUP_MB (256), BENCH_DIR (mktemp; kept if set)
#   BENCH_PARTS (all): a comma list of single,async,catchup,failover,sync to run only those parts, e.g.
#   BENCH_PARTS=single,async for the produce ratio alone (the parts that run keep the order above).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
SECONDS_PER_RUN=${BENCH_SECONDS:-15}
ROUNDS=${BENCH_ROUNDS:-10}
CATCHUP_MB=${BENCH_CATCHUP_MB:-256}
PARTS=${BENCH_PARTS:-single,async,catchup,failover,sync}
want() { [[ ",$PARTS," == *",$1,"* ]]; }
SIZE=1024
INFLIGHT=64
TOPIC=BenchTopic
for bin in rmq-namesrv rmq-broker rmq-bench rmqctl; do
  if [ ! -x "$BUILD_DIR/$bin" ]; then
    echo "bench-dledger: $BUILD_DIR/$bin is missing; build first (tools/build.sh)" >&2
    exit 2
  fi
done
BIN=$(cd "$BUILD_DIR" && pwd)
WORK=${BENCH_DIR:-$(mktemp -d /tmp/rmq-bench-dledger.XXXXXX)}
mkdir -p "$WORK"
conf_dirs=()
cleanup() {
  for d in "${conf_dirs[@]}"; do "$BIN/rmqctl" stop --conf-dir "$d" --no-transfer --timeout 30 >/dev/null 2>&1 || true; done
  # Whatever rmqctl could not stop (a node killed and not restarted by an interrupted run): by its pid file.
  for f in $(find "$WORK" -name 'rmq-*.pid' 2>/dev/null); do
    pid=$(cat "$f" 2>/dev/null || true)
    if [ -n "$pid" ] && grep -qF "$WORK" "/proc/$pid/cmdline" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  [ -n "${BENCH_DIR:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Distinct free loopback ports, each with p-2 (VIP channel) and p+1 (HA) free as well.
free_ports() {  # count
  python3 - "$1" <<'PY'
import socket, sys
want, got = int(sys.argv[1]), []
for _ in range(2000):
    if len(got) == want: break
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close()
    if p < 1026 or any(abs(p - q) <= 3 for q in got): continue
    ok = True
    for q in (p - 2, p + 1):
        try:
            t = socket.socket(); t.bind(("127.0.0.1", q)); t.close()
        except OSError:
            ok = False
    if ok: got.append(p)
print(" ".join(map(str, got)))
PY
}
result() { grep -s '^RESULT' "$1" | tail -1 || true; }
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<< "$1"; }

# produce <label> <namesrv>: a warm-up that creates the topic, then BENCH_SECONDS of 1 KiB x 64 in flight.
produce() {
  echo "-- $1: rmq-bench produce --size $SIZE --inflight $INFLIGHT --duration $SECONDS_PER_RUN"
  "$BIN/rmq-bench" produce --namesrv "$2" --topic "$TOPIC" --size "$SIZE" --inflight "$INFLIGHT" --count 2000 \
    --create-topic --queues 8 > "$WORK/warmup-$1.out"
  "$BIN/rmq-bench" produce --namesrv "$2" --topic "$TOPIC" --size "$SIZE" --inflight "$INFLIGHT" \
    --duration "$SECONDS_PER_RUN" | tee "$WORK/produce-$1.out" || true
}

if want single; then
echo "== 1. single node, plain mode, ASYNC_FLUSH"
read -r NS1 BR1 <<<"$(free_ports 2)"
mkdir -p "$WORK/single/conf"
cat > "$WORK/single/conf/broker.conf" <<CONF
brokerClusterName=BenchSingle
brokerName=bench-single
brokerId=0
listenPort=$BR1
namesrvAddr=127.0.0.1:$NS1
storePathRootDir=$WORK/single/store
storePathCommitLog=$WORK/single/store/commitlog
flushDiskType=ASYNC_FLUSH
brokerIP1=127.0.0.1
autoCreateTopicEnable=true
CONF
conf_dirs+=("$WORK/single/conf")
"$BIN/rmqctl" start --conf-dir "$WORK/single/conf" --wait 60 > "$WORK/single-start.out"
produce single "127.0.0.1:$NS1"
"$BIN/rmqctl" stop --conf-dir "$WORK/single/conf" --timeout 60 > /dev/null
fi

# group <name> <flushDiskType>: configs for a 3-node group on fresh stores, with its own name server port.
group() {
  read -r ns p0 p1 p2 q0 q1 q2 <<<"$(free_ports 7)"
  GROUP_NS=127.0.0.1:$ns
  GROUP_CONF=$WORK/$1/conf
  "$BIN/rmqctl" gen-conf --peers "n0-127.0.0.1:$q0;n1-127.0.0.1:$q1;n2-127.0.0.1:$q2" --group "bench-$1" \
    --cluster BenchGroup --namesrv "$GROUP_NS" --store-root "$WORK/$1/store" --out "$GROUP_CONF" \
    --listen-ports "$p0,$p1,$p2" > /dev/null 2>&1
  for f in "$GROUP_CONF"/*.conf; do
    printf '\nbrokerIP1=127.0.0.1\nflushDiskType=%s\nautoCreateTopicEnable=true\n' "$2" >> "$f"
  done
  conf_dirs+=("$GROUP_CONF")
  "$BIN/rmqctl" start --conf-dir "$GROUP_CONF" --wait 60 > "$WORK/$1-start.out"
}

if want async || want catchup || want failover; then
echo
echo "== 2. 3-node DLedger group, ASYNC_FLUSH"
group async ASYNC_FLUSH
if want async; then produce group-async "$GROUP_NS"; fi
if want catchup; then
echo "-- catch-up: rmq-bench catch-up --conf-dir $GROUP_CONF --mb $CATCHUP_MB"
"$BIN/rmq-bench" catch-up --conf-dir "$GROUP_CONF" --mb "$CATCHUP_MB" | tee "$WORK/catch-up.out" || true
fi
if want failover; then
echo "-- failover: rmq-bench failover --conf-dir $GROUP_CONF --rounds $ROUNDS"
"$BIN/rmq-bench" failover --conf-dir "$GROUP_CONF" --rounds "$ROUNDS" | tee "$WORK/failover.out" || true
fi
"$BIN/rmqctl" stop --conf-dir "$GROUP_CONF" --no-transfer --timeout 60 > /dev/null
fi

if want sync; then
echo
echo "== 3. 3-node DLedger group, SYNC_FLUSH"
group sync SYNC_FLUSH
produce group-sync "$GROUP_NS"
"$BIN/rmqctl" stop --conf-dir "$GROUP_CONF" --no-transfer --timeout 60 > /dev/null
fi

single=$(result "$WORK/produce-single.out")
single_rate=$(field "$single" msgs_per_s)
echo
echo "== summary ($SIZE B bodies, $INFLIGHT in flight, $SECONDS_PER_RUN s each, $(nproc) cores)"
printf '%-34s %10s %10s %16s\n' system msgs/s p99_ms "ratio to single"
row() {  # label, output file
  local r; r=$(result "$2")
  if [ ! -e "$2" ]; then printf '%-34s %s\n' "$1" "(not run: BENCH_PARTS)"; return; fi
  if [ -z "$r" ]; then printf '%-34s %s\n' "$1" "(no result; see the output above)"; return; fi
  local rate; rate=$(field "$r" msgs_per_s)
  printf '%-34s %10s %10s %16s\n' "$1" "$rate" "$(field "$r" p99_ms)" \
    "$(python3 -c "print('%.2f' % ($rate / $single_rate))" 2>/dev/null || echo -)"
}
row "single node, plain, ASYNC_FLUSH" "$WORK/produce-single.out"
row "3-node DLedger group, ASYNC_FLUSH" "$WORK/produce-group-async.out"
row "3-node DLedger group, SYNC_FLUSH" "$WORK/produce-group-sync.out"
f=$(result "$WORK/failover.out")
if ! want failover; then
  :
elif [ -n "$f" ]; then
  echo "failover ($(field "$f" rounds) leader SIGKILLs): first SEND_OK median $(field "$f" send_ok_median_ms) ms," \
    "worst $(field "$f" send_ok_worst_ms) ms; new brokerId 0 at the name server median" \
    "$(field "$f" registered_median_ms) ms, worst $(field "$f" registered_worst_ms) ms"
else
  echo "failover: (no result; see the output above)"
fi
c=$(result "$WORK/catch-up.out")
if ! want catchup; then
  :
elif [ -n "$c" ]; then
  echo "catch-up of a restarted follower: $(field "$c" bytes) bytes, $(field "$c" mb_per_s) MB/s from its first" \
    "answer, $(field "$c" mb_per_s_from_launch) MB/s from launch (start and recovery included)"
else
  echo "catch-up: (no result; see the output above)"
fi
