'use strict';
// e2e 1: 1,000 messages with varying bodies (some over 4 KiB, which ali-ons compresses), tags and keys, sent
// by the real ali-ons producer and consumed by a clustering push consumer: every message arrives, with the
// body, tag, keys, topic, msgId, queue and queue offset the send produced; none is missing. A second group
// subscribed to two of the tags receives exactly the messages with those tags.
const assert = require('assert');
const { runTest, createTopic, waitUntil } = require('./lib/harness');

const COUNT = 1000;
const TOPIC = 'E2E_ProduceConsume';

function expectedMessage(i) {
  const size = i % 100 === 7 ? 5000 + i : 1 + (i * 37) % 700;  // every 100th is compressed by the client
  let body = `msg-${i}:`;
  while (body.length < size) body += String.fromCharCode(97 + ((i + body.length) % 26));
  return { body, tags: `Tag${i % 5}`, keys: [ `key-${i}`, `group-${i % 7}` ] };
}

runTest('produce_consume', async ctx => {
  const { Message } = require('ali-ons');
  const cluster = ctx.cluster();
  await cluster.start();
  const clients = ctx.clients(cluster);
  const producer = await clients.producer('PID_e2e_pc');
  await createTopic(producer, cluster, TOPIC, 4);

  const sent = new Map();  // index -> send result
  const queuesUsed = new Set();
  for (let base = 0; base < COUNT; base += 25) {
    await Promise.all(Array.from({ length: Math.min(25, COUNT - base) }, async (_, k) => {
      const i = base + k;
      const e = expectedMessage(i);
      const msg = new Message(TOPIC, e.tags, e.body);
      msg.keys = e.keys;
      const r = await producer.send(msg);
      assert.strictEqual(r.sendStatus, 'SEND_OK', `message ${i}: ${JSON.stringify(r)}`);
      assert.match(r.msgId, /^[0-9A-F]{32}$/, `message ${i}: msgId ${r.msgId}`);
      queuesUsed.add(Number(r.messageQueue.queueId));
      sent.set(i, r);
    }));
  }
  assert.strictEqual(sent.size, COUNT);
  assert.strictEqual(queuesUsed.size, 4, `sends used queues ${[ ...queuesUsed ]}`);
  const msgIds = new Set([ ...sent.values() ].map(r => r.msgId));
  assert.strictEqual(msgIds.size, COUNT, 'every send got its own msgId');

  const received = new Map();  // index -> first delivery
  const problems = [];
  await clients.consumer('GID_e2e_pc', TOPIC, async msg => {
    const body = msg.body.toString();
    const m = /^msg-(\d+):/.exec(body);
    if (!m) { problems.push(`unknown body ${body.slice(0, 40)}`); return; }
    const i = Number(m[1]);
    const e = expectedMessage(i);
    if (body !== e.body) problems.push(`message ${i}: body differs (${body.length} bytes vs ${e.body.length})`);
    if (msg.tags !== e.tags) problems.push(`message ${i}: tags ${msg.tags} != ${e.tags}`);
    if (msg.keys !== e.keys.join(' ')) problems.push(`message ${i}: keys ${msg.keys} != ${e.keys.join(' ')}`);
    if (msg.topic !== TOPIC) problems.push(`message ${i}: topic ${msg.topic}`);
    const s = sent.get(i);
    if (s && msg.msgId !== s.msgId) problems.push(`message ${i}: msgId ${msg.msgId} != sent ${s.msgId}`);
    if (s && (Number(msg.queueId) !== Number(s.messageQueue.queueId) || Number(msg.queueOffset) !== Number(s.queueOffset))) {
      problems.push(`message ${i}: at ${msg.queueId}/${msg.queueOffset}, send said ${s.messageQueue.queueId}/${s.queueOffset}`);
    }
    if (!received.has(i)) received.set(i, msg);
  });
  await waitUntil(() => received.size >= COUNT || problems.length > 0, 60000,
    () => `received ${received.size}/${COUNT}; missing e.g. ${[ ...Array(COUNT).keys() ].filter(i => !received.has(i)).slice(0, 10)}`);
  assert.deepStrictEqual(problems.slice(0, 20), []);
  assert.strictEqual(received.size, COUNT);

  // A second group subscribed to 'Tag1 || Tag3' gets exactly those messages (broker and client tag filter).
  const filtered = new Set();
  const wrongTags = [];
  await clients.consumer('GID_e2e_pc_tags', TOPIC, async msg => {
    if (msg.tags !== 'Tag1' && msg.tags !== 'Tag3') wrongTags.push(msg.tags);
    filtered.add(msg.body.toString());
  }, { subExpression: 'Tag1 || Tag3' });
  const wanted = [ ...Array(COUNT).keys() ].filter(i => i % 5 === 1 || i % 5 === 3).map(i => expectedMessage(i).body);
  await waitUntil(() => wanted.every(b => filtered.has(b)), 60000,
    () => `the tag-filtered group received ${filtered.size}/${wanted.length}`);
  assert.deepStrictEqual(wrongTags.slice(0, 10), [], 'messages with other tags reached the filtered group');
  assert.strictEqual(filtered.size, wanted.length);
});
