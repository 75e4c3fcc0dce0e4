'use strict';
// e2e 5: a legacy store written by `rmq-gen-store --scenario master-only` (a stopped Java-format broker's
// store: commitlog, consumequeue, config/*.json) is opened by rmq-broker with storePathRootDir = DIR/master
// and the generator's broker name, cluster and file size. A consumer with a NEW group and
// CONSUME_FROM_FIRST_OFFSET receives every old message of TopicTest: the expected set is read from the
// commitlog files here, by a reader written from the spec (lib/commitlog_reader.js), and compared by queue,
// queue offset, body and tags. New messages sent afterwards continue each queue's offsets.
const assert = require('assert');
const childProcess = require('child_process');
const fs = require('fs');
const path = require('path');
const { runTest, waitForRoute, waitUntil } = require('./lib/harness');
const { readCommitlog } = require('./lib/commitlog_reader');

const TOPIC = 'TopicTest';

function readProperties(file) {
  const out = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*([^#=\s][^=]*?)\s*=\s*(.*)$/.exec(line);
    if (m) out[m[1]] = m[2].trim();
  }
  return out;
}

runTest('legacy_store', async ctx => {
  const { Message } = require('ali-ons');
  const cluster = ctx.cluster();  // its work dir holds the generated store, kept when the test fails
  const genDir = path.join(cluster.workDir, 'gen');
  {
    const gen = childProcess.spawnSync(path.join(ctx.binDir, 'rmq-gen-store'),
      [ '--out', genDir, '--scenario', 'master-only', '--file-size', '1048576' ], { encoding: 'utf8' });
    assert.strictEqual(gen.status, 0, `rmq-gen-store failed: ${gen.stderr}`);
    const master = path.join(genDir, 'master');
    const conf = readProperties(path.join(master, 'broker.conf'));
    const old = readCommitlog(path.join(master, 'commitlog')).filter(m => m.topic === TOPIC);
    assert.ok(old.length > 100, `the generated store has only ${old.length} ${TOPIC} messages`);
    const maxOffsetByQueue = new Map();
    for (const m of old) maxOffsetByQueue.set(m.queueId, Math.max(maxOffsetByQueue.get(m.queueId) ?? -1, m.queueOffset));
    console.log(`${old.length} old ${TOPIC} messages in queues ${JSON.stringify([ ...maxOffsetByQueue ])}`);

    cluster.storeRoot = master;
    cluster.brokerName = conf.brokerName;
    cluster.clusterName = conf.brokerClusterName;
    cluster.brokerConfig = {
      storePathCommitLog: conf.storePathCommitLog || path.join(master, 'commitlog'),
      mappedFileSizeCommitLog: conf.mappedFileSizeCommitLog,
    };
    await cluster.start();
    const clients = ctx.clients(cluster);
    const producer = await clients.producer('PID_e2e_legacy');
    await waitForRoute(producer, TOPIC, 1);

    const received = new Map();  // "queue/offset" -> {body, tags}
    await clients.consumer('GID_e2e_legacy_new', TOPIC, async msg => {
      received.set(`${msg.queueId}/${Number(msg.queueOffset)}`, { body: msg.body, tags: msg.tags, keys: msg.keys });
    });
    const missingOld = () => old.filter(m => !received.has(`${m.queueId}/${m.queueOffset}`));
    await waitUntil(() => missingOld().length === 0, 60000,
      () => `${missingOld().length} of ${old.length} old messages not received, e.g. ` +
        missingOld().slice(0, 5).map(m => `${m.queueId}/${m.queueOffset}`).join(', '));
    for (const m of old) {
      const r = received.get(`${m.queueId}/${m.queueOffset}`);
      assert.ok(r.body.equals(m.body), `old message ${m.queueId}/${m.queueOffset}: body differs`);
      // ali-ons gives null for an absent property, the reader undefined.
      assert.strictEqual(r.tags ?? null, m.properties.TAGS ?? null, `old message ${m.queueId}/${m.queueOffset}: tags`);
      assert.strictEqual(r.keys ?? null, m.properties.KEYS ?? null, `old message ${m.queueId}/${m.queueOffset}: keys`);
    }

    // The broker appends after the legacy data: new sends continue the queues' offsets and are consumed too.
    const fresh = [];
    for (let i = 0; i < 8; i++) {
      const r = await producer.send(new Message(TOPIC, 'New', `new-after-legacy-${i}`));
      assert.strictEqual(r.sendStatus, 'SEND_OK');
      const q = Number(r.messageQueue.queueId);
      assert.ok(Number(r.queueOffset) > (maxOffsetByQueue.get(q) ?? -1),
        `new message in queue ${q} got offset ${r.queueOffset}, legacy max ${maxOffsetByQueue.get(q)}`);
      fresh.push(`${q}/${Number(r.queueOffset)}`);
    }
    await waitUntil(() => fresh.every(k => received.has(k)), 30000,
      () => `new messages not received: ${fresh.filter(k => !received.has(k))}`);
  }
});
