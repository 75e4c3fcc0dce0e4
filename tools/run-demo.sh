#!/usr/bin/env bash
# The README's main job on an embedded default: generate a sample legacy Master-Slave store pair, check the
# two commitlogs the way the upgrade guide asks (and more), and write the three DLedger broker configs.
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
echo "demo finished: files under $DEMO_DIR"
