'use strict';
// e2e 2: a handler that fails once for a message gets it again through the retry path (CONSUMER_SEND_MSG_BACK,
// %RETRY%<group>, delay level 3): the second delivery has reconsumeTimes 1, the original topic, body and
// tags, and ORIGIN_MESSAGE_ID naming the first msgId. Messages that do not fail are delivered once, with
// reconsumeTimes 0. The broker runs with short delay levels (level 3 = 3 s).
const assert = require('assert');
const { runTest, createTopic, waitUntil } = require('./lib/harness');

const TOPIC = 'E2E_Retry';

runTest('retry', async ctx => {
  const { Message } = require('ali-ons');
  const cluster = ctx.cluster();
  await cluster.start();
  const clients = ctx.clients(cluster);
  clients.allow(/planned failure/);  // ali-ons emits the handler's own error before sending the message back
  const producer = await clients.producer('PID_e2e_retry');
  await createTopic(producer, cluster, TOPIC, 2);

  const sent = [];
  for (let i = 0; i < 6; i++) {
    const msg = new Message(TOPIC, i % 2 === 0 ? 'Fail' : 'Pass', `retry-body-${i}`);
    msg.keys = [ `retry-${i}` ];
    const r = await producer.send(msg);
    assert.strictEqual(r.sendStatus, 'SEND_OK');
    sent.push(r);
  }

  const deliveries = new Map();  // body -> [{reconsumeTimes, topic, tags, msgId, origin}]
  await clients.consumer('GID_e2e_retry', TOPIC, async msg => {
    const body = msg.body.toString();
    const list = deliveries.get(body) || [];
    list.push({ at: Date.now(), reconsumeTimes: msg.reconsumeTimes, topic: msg.topic, tags: msg.tags, msgId: msg.msgId,
      origin: msg.originMessageId, keys: msg.keys });
    deliveries.set(body, list);
    if (msg.tags === 'Fail' && msg.reconsumeTimes === 0) throw new Error(`planned failure of ${body}`);
  });

  const failing = [ 0, 2, 4 ];
  await waitUntil(() => failing.every(i => (deliveries.get(`retry-body-${i}`) || []).some(d => d.reconsumeTimes === 1)),
    60000, () => `deliveries so far: ${JSON.stringify([ ...deliveries ])}`);
  for (const i of failing) {
    const list = deliveries.get(`retry-body-${i}`);
    const first = list.find(d => d.reconsumeTimes === 0);
    const retry = list.find(d => d.reconsumeTimes === 1);
    assert.ok(first, `message ${i} first delivery: ${JSON.stringify(list)}`);
    assert.strictEqual(first.msgId, sent[i].msgId);
    assert.strictEqual(retry.topic, TOPIC, `retried message ${i} topic`);
    assert.strictEqual(retry.tags, 'Fail');
    assert.strictEqual(retry.keys, `retry-${i}`);
    assert.strictEqual(retry.origin, sent[i].msgId, `retried message ${i} ORIGIN_MESSAGE_ID`);
    assert.notStrictEqual(retry.msgId, sent[i].msgId, 'the retry is a new stored message');
    // CONSUMER_SEND_MSG_BACK with delayLevel 0 means level 3 + reconsumeTimes (remoting.md 4.7) = 3 s here;
    // ali-ons's fallback (its own send to %RETRY% with no delay) would come back sooner.
    assert.ok(retry.at - first.at >= 3000, `message ${i} came back after ${retry.at - first.at} ms, before level 3 (3 s)`);
  }
  for (const i of [ 1, 3, 5 ]) {
    const list = deliveries.get(`retry-body-${i}`) || [];
    assert.ok(list.length >= 1 && list.every(d => d.reconsumeTimes === 0), `message ${i}: ${JSON.stringify(list)}`);
  }
});
