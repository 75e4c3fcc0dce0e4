#!/usr/bin/env bash
# The README's main job on an embedded default: generate a sample legacy Master-Slave store pair, check the
# two commitlogs the way the upgrade guide asks (and more), migrate into three node stores with their DLedger
# configs, and serve a copy of the old master store with rmq-namesrv and rmq-broker (plain mode).
# Everything goes under ${DEMO_DIR:-/tmp/rmqctl-demo}, which is recreated.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh
BUILD_DIR=${BUILD_DIR:-build}
DEMO_DIR=${DEMO_DIR:-/tmp/rmqctl-demo}
rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR"

echo "== 1. a sample Master-Slave pair (the slave a little behind, as after a shutdown under load)"
"$BUILD_DIR/rmq-gen-store" --out "$DEMO_DIR/old" --scenario slave-behind --seed 42

echo
echo "== 2. rmqctl check-commitlog --master $DEMO_DIR/old/master --slave $DEMO_DIR/old/slave"
set +e
"$BUILD_DIR/rmqctl" check-commitlog --master "$DEMO_DIR/old/master" --slave "$DEMO_DIR/old/slave"
rc=$?
set -e
echo "(exit code $rc: 1 = inconsistent but repairable by copying the master)"

echo
echo "== 3. the same as JSON, for scripts"
"$BUILD_DIR/rmqctl" check-commitlog --master "$DEMO_DIR/old/master" --slave "$DEMO_DIR/old/slave" -o json \
  | head -n 12 || true

echo
echo "== 4. rmqctl migrate --from master-slave: check, copy into three node stores, verify, configure"
"$BUILD_DIR/rmqctl" migrate --from master-slave \
  --master-conf "$DEMO_DIR/old/master/broker.conf" --slave-conf "$DEMO_DIR/old/slave/broker.conf" \
  --peers 'n0-127.0.0.1:40911;n1-127.0.0.1:40912;n2-127.0.0.1:40913' \
  --target-root "$DEMO_DIR/new" --yes

echo
echo "== 5. the three node stores hold the master's legacy commitlog, byte for byte"
for node in "$DEMO_DIR"/new/node*/; do
  "$BUILD_DIR/rmqctl" check-commitlog --master "$DEMO_DIR/old/master" --slave "$node" | tail -n 1
done

echo
echo "== 6. the generated configs"
for f in "$DEMO_DIR"/new/conf/*.conf; do
  echo "--- $f"
  cat "$f"
done

echo
echo "== 7. rmq-namesrv and rmq-broker (plain mode) serve a copy of the old master's store to a client"
cp -a "$DEMO_DIR/old/master" "$DEMO_DIR/served"
rm -f "$DEMO_DIR/served/lock"
NAMESRV_PORT=${DEMO_NAMESRV_PORT:-39876}
BROKER_PORT=${DEMO_BROKER_PORT:-30911}
cat > "$DEMO_DIR/served/served.conf" <<CONF
brokerClusterName=DefaultCluster
brokerName=broker-a
brokerId=0
brokerIP1=127.0.0.1
listenPort=$BROKER_PORT
namesrvAddr=127.0.0.1:$NAMESRV_PORT
storePathRootDir=$DEMO_DIR/served
mappedFileSizeCommitLog=1048576
CONF
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
wait_port() {
  for _ in $(seq 1 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2
  return 1
}
"$BUILD_DIR/rmq-namesrv" --listen-port "$NAMESRV_PORT" --kv-config-path "" > "$DEMO_DIR/namesrv.log" 2>&1 &
pids+=($!)
wait_port "$NAMESRV_PORT"
"$BUILD_DIR/rmq-broker" -c "$DEMO_DIR/served/served.conf" > "$DEMO_DIR/broker.log" 2>&1 &
broker_pid=$!
pids+=("$broker_pid")
wait_port "$BROKER_PORT"
sleep 1   # the broker registers with the name server right after it starts
echo "-- the legacy messages of TopicTest, read by a new consumer group (their latency is their age)"
"$BUILD_DIR/rmq-bench" consume --namesrv "127.0.0.1:$NAMESRV_PORT" --topic TopicTest --group demo-reader \
  --duration 3
echo "-- 1,000 new 1 KiB messages appended after them"
"$BUILD_DIR/rmq-bench" produce --namesrv "127.0.0.1:$NAMESRV_PORT" --topic TopicTest --size 1024 \
  --inflight 64 --count 1000
kill -TERM "$broker_pid"
wait "$broker_pid" || true
echo "-- the store the broker wrote is still a valid RocketMQ store"
"$BUILD_DIR/rmqctl" check-commitlog --store "$DEMO_DIR/served" | tail -n 2

echo
echo "demo finished: files under $DEMO_DIR (logs: namesrv.log, broker.log)"
