#!/usr/bin/env bash
# The cost of ACL on the send path (issue 14, Done-when 4): msgs/s of rmq-bench produce against a broker with
# aclEnable=false and against one with aclEnable=true (rmq-bench signing every send with HmacSHA1, the broker
# checking the signature and the topic's PUB permission of a non-admin account), in the same sitting.
# Builds nothing; runs the binaries of ${BUILD_DIR:-build} in a temporary directory.
#
# Two single-node brokers (ASYNC_FLUSH), each with its own name server, store and topic, both up for the whole
# run; the runs alternate off, on, off, on, ... so that load from other processes on the machine falls on both.
# Prints each run and the mean of each side; nothing asserts a figure. Every process is stopped on exit.
#   BENCH_ROUNDS (3) pairs of runs, BENCH_SECONDS (10) per run, BENCH_SIZE (1024), BENCH_INFLIGHT (64),
#   BENCH_DIR (mktemp; kept when given).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
ROUNDS=${BENCH_ROUNDS:-3}
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
SIZE=${BENCH_SIZE:-1024}
INFLIGHT=${BENCH_INFLIGHT:-64}
for bin in rmq-namesrv rmq-broker rmq-bench; do
  if [ ! -x "$BUILD_DIR/$bin" ]; then
    echo "bench-acl: $BUILD_DIR/$bin is missing; build first (tools/build.sh)" >&2
    exit 2
  fi
done
BIN=$(cd "$BUILD_DIR" && pwd)
WORK=${BENCH_DIR:-$(mktemp -d /tmp/rmq-bench-acl.XXXXXX)}
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
    if ! kill -0 "$2" 2>/dev/null; then echo "bench-acl: process exited; log $3:" >&2; tail -20 "$3" >&2; exit 1; fi
    sleep 0.1
  done
  echo "bench-acl: nothing listens on $1 after 30 s; log $3:" >&2; tail -20 "$3" >&2; exit 1
}

# One name server per broker: rmq-bench --create-topic creates the topic on every master its name server knows.
start_namesrv() {  # name; sets NS
  local port
  port=$(free_port)
  echo "listenPort=$port" > "$WORK/namesrv-$1.conf"
  "$BIN/rmq-namesrv" -c "$WORK/namesrv-$1.conf" > "$WORK/namesrv-$1.log" 2>&1 &
  local pid=$!; pids+=("$pid")
  wait_port "$port" "$pid" "$WORK/namesrv-$1.log"
  NS=127.0.0.1:$port
}

# An admin account (creates the topic) and a producer account with PUB on the bench topic only: the send path
# checks the signature and the topic's permission, as for a real client.
cat > "$WORK/plain_acl.yml" <<'YML'
globalWhiteRemoteAddresses: []
accounts:
  - accessKey: benchAdmin
    secretKey: bench-admin-secret-1
    admin: true
  - accessKey: benchProducer
    secretKey: bench-producer-secret-1
    admin: false
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - AclOnTopic=PUB|SUB
YML
echo "bench-admin-secret-1" > "$WORK/admin.secret"
echo "bench-producer-secret-1" > "$WORK/producer.secret"

start_broker() {  # name (off|on), extra config lines
  local port
  port=$(free_port)
  mkdir -p "$WORK/store-$1"
  cat > "$WORK/broker-$1.conf" <<CONF
brokerClusterName=BenchCluster
brokerName=bench-acl-$1
brokerId=0
listenPort=$port
namesrvAddr=$NS
storePathRootDir=$WORK/store-$1
brokerIP1=127.0.0.1
autoCreateTopicEnable=false
$2
CONF
  "$BIN/rmq-broker" -c "$WORK/broker-$1.conf" > "$WORK/broker-$1.log" 2>&1 &
  local pid=$!; pids+=("$pid")
  wait_port "$port" "$pid" "$WORK/broker-$1.log"
}
start_namesrv off; NS_OFF=$NS
start_broker off "aclEnable=false"
start_namesrv on; NS_ON=$NS
# The broker registers with the (unprotected) name server with the admin's credentials.
start_broker on "aclEnable=true
plainAclFile=$WORK/plain_acl.yml
accessKey=benchAdmin
secretKey=bench-admin-secret-1"

produce() {  # topic, output file, extra args...
  local topic=$1 out=$2 ns=$NS_OFF
  [ "$topic" = AclOnTopic ] && ns=$NS_ON
  shift 2
  "$BIN/rmq-bench" produce --namesrv "$ns" --topic "$topic" --size "$SIZE" --inflight "$INFLIGHT" "$@" > "$out" 2>&1
}
# Topics (8 queues each) and a warm-up; the ACL side's topic is created by the admin account.
produce AclOffTopic "$WORK/warmup-off.out" --count 20000 --create-topic --queues 8
produce AclOnTopic "$WORK/warmup-on.out" --count 20000 --create-topic --queues 8 \
  --access-key benchAdmin --secret-key-file "$WORK/admin.secret"

field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<< "$1"; }
declare -a off_rates on_rates
printf '%-6s %-4s %12s %9s %9s %8s\n' round acl msgs/s p50_ms p99_ms failed
for round in $(seq "$ROUNDS"); do
  for side in off on; do
    out="$WORK/run-$round-$side.out"
    if [ "$side" = off ]; then
      produce AclOffTopic "$out" --duration "$SECONDS_PER_RUN" || true
    else
      produce AclOnTopic "$out" --duration "$SECONDS_PER_RUN" \
        --access-key benchProducer --secret-key-file "$WORK/producer.secret" || true
    fi
    line=$(grep '^RESULT' "$out" | tail -1 || true)
    if [ -z "$line" ]; then echo "bench-acl: run $round $side gave no result:" >&2; cat "$out" >&2; exit 1; fi
    rate=$(field "$line" msgs_per_s)
    printf '%-6s %-4s %12s %9s %9s %8s\n' "$round" "$side" "$rate" "$(field "$line" p50_ms)" \
      "$(field "$line" p99_ms)" "$(field "$line" failed)"
    if [ "$side" = off ]; then off_rates+=("$rate"); else on_rates+=("$rate"); fi
  done
done
mean() { python3 -c 'import sys; v=[float(x) for x in sys.argv[1:]]; print(round(sum(v)/len(v)))' "$@"; }
off_mean=$(mean "${off_rates[@]}")
on_mean=$(mean "${on_rates[@]}")
echo
echo "mean msgs/s: ACL off $off_mean, ACL on $on_mean ($(python3 -c "print(f'{($on_mean / $off_mean - 1) * 100:+.1f}')")% with ACL)"
echo "RESULT bench-acl off_msgs_per_s=$off_mean on_msgs_per_s=$on_mean size=$SIZE inflight=$INFLIGHT seconds=$SECONDS_PER_RUN rounds=$ROUNDS"
