'use strict';
// e2e 3: messages with delayTimeLevel arrive after their level's delay and not before. The broker runs with
// messageDelayLevel "1s 2s 3s ..." so level 2 is 2 s and level 4 is 4 s; the delay is measured from just
// before send() (the broker cannot have stored the message earlier). A message without delay sent at the
// same time arrives first, which shows the consumer was already pulling.
const assert = require('assert');
const { runTest, createTopic, waitUntil, sleep } = require('./lib/harness');

const TOPIC = 'E2E_Delay';

runTest('delay', async ctx => {
  const { Message } = require('ali-ons');
  const cluster = ctx.cluster();
  await cluster.start();
  const clients = ctx.clients(cluster);
  const producer = await clients.producer('PID_e2e_delay');
  await createTopic(producer, cluster, TOPIC, 2);

  const arrivals = new Map();  // body -> { at, msg }
  await clients.consumer('GID_e2e_delay', TOPIC, async msg => {
    const body = msg.body.toString();
    if (!arrivals.has(body)) arrivals.set(body, { at: Date.now(), topic: msg.topic, tags: msg.tags, reconsumeTimes: msg.reconsumeTimes });
  });
  // Make sure the consumer owns its queues and is pulling before timing anything.
  const warm = await producer.send(new Message(TOPIC, 'Warm', 'warm-up'));
  assert.strictEqual(warm.sendStatus, 'SEND_OK');
  await waitUntil(() => arrivals.has('warm-up'), 30000, () => 'the warm-up message never arrived');
  await sleep(500);

  const cases = [ { level: 2, delayMs: 2000 }, { level: 4, delayMs: 4000 } ];
  const sentAt = new Map();
  await Promise.all([
    ...cases.map(async c => {
      const msg = new Message(TOPIC, `Level${c.level}`, `delayed-level-${c.level}`);
      msg.delayTimeLevel = c.level;
      sentAt.set(c.level, Date.now());
      const r = await producer.send(msg);
      assert.strictEqual(r.sendStatus, 'SEND_OK');
    }),
    (async () => {
      const r = await producer.send(new Message(TOPIC, 'Now', 'not-delayed'));
      assert.strictEqual(r.sendStatus, 'SEND_OK');
    })(),
  ]);
  await waitUntil(() => cases.every(c => arrivals.has(`delayed-level-${c.level}`)) && arrivals.has('not-delayed'),
    40000, () => `arrivals: ${JSON.stringify([ ...arrivals ])}`);

  const plain = arrivals.get('not-delayed');
  for (const c of cases) {
    const a = arrivals.get(`delayed-level-${c.level}`);
    const waited = a.at - sentAt.get(c.level);
    console.log(`level ${c.level}: arrived after ${waited} ms (delay ${c.delayMs} ms)`);
    assert.ok(waited >= c.delayMs, `level ${c.level} arrived after ${waited} ms, before its ${c.delayMs} ms delay`);
    assert.strictEqual(a.topic, TOPIC, 'delivered under the real topic');
    assert.strictEqual(a.tags, `Level${c.level}`);
    assert.strictEqual(a.reconsumeTimes, 0);
    assert.ok(plain.at < a.at, 'the undelayed message arrived first');
  }
  assert.ok(arrivals.get('delayed-level-2').at < arrivals.get('delayed-level-4').at, 'level 2 before level 4');
});
