#!/usr/bin/env bash
# The README's main job, the whole upgrade on an embedded default (everything on this machine): generate a
# sample legacy Master-Slave store pair, check the two commitlogs, migrate into three node stores and start the
# DLedger group (`rmqctl migrate --start`: rmqctl starts the name server too), read the old messages and write
# new ones with rmq-bench, SIGKILL the leader while rmq-bench sends, restart the killed node, show the status
# table, stop everything (`rmqctl stop`), and check that nothing is left running.
# Everything goes under ${DEMO_DIR:-/tmp/rmqctl-demo}, which is recreated. Ports: DEMO_NAMESRV_PORT (39876),
# DEMO_BROKER_PORT (30911, +10, +20 for the three nodes), DEMO_PEER_PORT (40911, +1, +2).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DEMO_NO_BUILD:-}" ]; then
  tools/install-deps.sh
  tools/build.sh
fi
BUILD_DIR=${BUILD_DIR:-build}
DEMO_DIR=${DEMO_DIR:-/tmp/rmqctl-demo}
NAMESRV_PORT=${DEMO_NAMESRV_PORT:-39876}
BROKER_PORT=${DEMO_BROKER_PORT:-30911}
PEER_PORT=${DEMO_PEER_PORT:-40911}
NAMESRV=127.0.0.1:$NAMESRV_PORT
RMQCTL="$BUILD_DIR/rmqctl"
BENCH="$BUILD_DIR/rmq-bench"
rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR"
CONF_DIR="$DEMO_DIR/new/conf"

# Whatever happens, leave nothing running: rmqctl stop (SIGTERM to the processes it started).
finish() {
  if [ -d "$CONF_DIR" ]; then "$RMQCTL" stop --conf-dir "$CONF_DIR" --timeout 30 >/dev/null 2>&1 || true; fi
}
trap finish EXIT

# The id and pid of the current leader, from `rmqctl status -o json` ("" when there is none).
leader() {
  "$RMQCTL" status --conf-dir "$CONF_DIR" -o json 2>/dev/null | python3 -c \
    'import json,sys; d=json.load(sys.stdin); l=[n for n in d["nodes"] if n["id"]==d["leader"]]; print(l[0]["id"], l[0]["pid"]) if l else print("")' \
    || true
}

echo "== 1. a sample Master-Slave pair (the slave a little behind, as after a shutdown under load)"
"$BUILD_DIR/rmq-gen-store" --out "$DEMO_DIR/old" --scenario slave-behind --seed 42
# The old brokers' name server and port, on this machine.
sed -i "s/^namesrvAddr=.*/namesrvAddr=$NAMESRV/; s/^listenPort=.*/listenPort=$BROKER_PORT/" \
  "$DEMO_DIR/old/master/broker.conf" "$DEMO_DIR/old/slave/broker.conf"

echo
echo "== 2. rmqctl check-commitlog --master $DEMO_DIR/old/master --slave $DEMO_DIR/old/slave"
set +e
"$RMQCTL" check-commitlog --master "$DEMO_DIR/old/master" --slave "$DEMO_DIR/old/slave"
rc=$?
set -e
echo "(exit code $rc: 1 = inconsistent but repairable by copying the master)"

echo
echo "== 3. rmqctl migrate --from master-slave --start: check, copy, verify, configure, start the group"
PEERS="n0-127.0.0.1:$PEER_PORT;n1-127.0.0.1:$((PEER_PORT + 1));n2-127.0.0.1:$((PEER_PORT + 2))"
"$RMQCTL" migrate --from master-slave \
  --master-conf "$DEMO_DIR/old/master/broker.conf" --slave-conf "$DEMO_DIR/old/slave/broker.conf" \
  --peers "$PEERS" --target-root "$DEMO_DIR/new" --yes --start --start-wait 60 | tail -n 6

echo
echo "== 4. a new consumer group reads the legacy messages of TopicTest from the group"
"$BENCH" consume --namesrv "$NAMESRV" --topic TopicTest --group demo-reader --duration 3
echo "-- 1,000 new 1 KiB messages appended after them"
"$BENCH" produce --namesrv "$NAMESRV" --topic TopicTest --size 1024 --inflight 64 --count 1000

echo
read -r LEADER LEADER_PID <<<"$(leader)"
echo "== 5. SIGKILL of the leader $LEADER (pid $LEADER_PID) while rmq-bench sends for 10 s"
"$BENCH" produce --namesrv "$NAMESRV" --topic TopicTest --size 1024 --inflight 16 --duration 10 \
  > "$DEMO_DIR/produce-during-failover.txt" 2>&1 &
bench_pid=$!
sleep 2
kill -KILL "$LEADER_PID"
wait "$bench_pid" || true
cat "$DEMO_DIR/produce-during-failover.txt"
echo "(rmq-bench ends when its connection to the killed leader closes; the sends it had in flight failed)"
for _ in $(seq 1 50); do
  read -r NEW_LEADER _ <<<"$(leader)"
  [ -n "$NEW_LEADER" ] && [ "$NEW_LEADER" != "$LEADER" ] && break
  sleep 0.2
done
echo "-- $NEW_LEADER leads now; traffic goes on: 1,000 more messages"
"$BENCH" produce --namesrv "$NAMESRV" --topic TopicTest --size 1024 --inflight 64 --count 1000
echo "-- the group without $LEADER (exit 1: a node is down)"
"$RMQCTL" status --conf-dir "$CONF_DIR" || true

echo
echo "== 6. rmqctl start --node $LEADER: the killed node rejoins and catches up"
"$RMQCTL" start --conf-dir "$CONF_DIR" --node "$LEADER" --wait 60

echo
echo "== 7. rmqctl status"
"$RMQCTL" status --conf-dir "$CONF_DIR"

echo
echo "== 8. rmqctl stop"
"$RMQCTL" stop --conf-dir "$CONF_DIR" --timeout 60
left=$(pgrep -f -- "$DEMO_DIR/" || true)
if [ -n "$left" ]; then
  echo "still running: $left" >&2
  exit 1
fi
echo "nothing left running"
echo
echo "demo finished: files under $DEMO_DIR (each node's log: $DEMO_DIR/new/nodeNN/rmq-broker.log)"
