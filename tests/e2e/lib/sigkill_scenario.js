'use strict';
// e2e 4 (shared by the ASYNC_FLUSH and SYNC_FLUSH scripts): producers send continuously; the broker is killed
// with SIGKILL mid-run and restarted on the same store and port; sending goes on after the restart. Then a
// new consumer group reads the topic from the first offset: every message whose send() resolved SEND_OK
// must be there (an acknowledged message is never lost, the ack's meaning per DESIGN.md rule 4: with
// ASYNC_FLUSH the page cache survives a process kill, with SYNC_FLUSH the data was on disk).
// Sends that failed or timed out while the broker was down may or may not have been stored; they are not
// checked. Duplicates are allowed (at-least-once).
const assert = require('assert');
const { runTest, createTopic, waitUntil, sleep } = require('./harness');

function sigkillScenario(name, flushDiskType) {
  const TOPIC = `E2E_Kill_${flushDiskType}`;
  runTest(name, async ctx => {
    const { Message } = require('ali-ons');
    const cluster = ctx.cluster({ brokerConfig: { flushDiskType } });
    await cluster.start();
    const clients = ctx.clients(cluster);
    // Connection failures, send timeouts and a missing route (the name server drops a broker whose connection
    // closed) are expected while the broker is down.
    clients.allow(/ECONNREFUSED|ECONNRESET|EPIPE|socket|closed|close|timeout|connect|broker|No topic route info/i);
    const producer = await clients.producer(`PID_e2e_kill_${flushDiskType}`, { sendMsgTimeout: 3000 });
    await createTopic(producer, cluster, TOPIC, 4);

    const acked = new Map();  // body -> msgId
    const failures = [];
    let phase = 'before';
    const ackedAfterRestart = () => [ ...acked.keys() ].filter(b => b.startsWith('after-')).length;
    let stop = false;
    let seq = 0;
    const sender = async worker => {
      while (!stop) {
        const body = `${phase}-${worker}-${seq++}`;
        try {
          const r = await producer.send(new Message(TOPIC, 'Kill', body));
          if (r.sendStatus === 'SEND_OK') acked.set(body, r.msgId);
          else failures.push(`${body}: ${r.sendStatus}`);
        } catch (err) {
          failures.push(`${body}: ${err.message}`);
          await sleep(100);
        }
      }
    };
    const senders = Array.from({ length: 16 }, (_, w) => sender(w));

    await waitUntil(() => acked.size >= 1000, 30000, () => `only ${acked.size} acks before the kill`);
    phase = 'during';
    const killed = await cluster.killBroker();
    console.log(`SIGKILLed the broker after ${acked.size} acks (${JSON.stringify(killed)})`);
    await sleep(1000);
    await cluster.startBroker();
    phase = 'after';
    await waitUntil(() => ackedAfterRestart() >= 200, 60000,
      () => `only ${ackedAfterRestart()} acks after the restart; last failures: ${failures.slice(-5).join(' | ')}`);
    stop = true;
    await Promise.all(senders);
    console.log(`${acked.size} acked sends, ${failures.length} failed sends`);
    clients.allowed = [];  // from here on the broker is up: every client error counts again

    const received = new Set();
    await clients.consumer(`GID_e2e_kill_${flushDiskType}`, TOPIC, async msg => {
      received.add(msg.body.toString());
    });
    const missing = () => [ ...acked.keys() ].filter(b => !received.has(b));
    await waitUntil(() => missing().length === 0, 60000,
      () => `${missing().length} of ${acked.size} acknowledged messages not consumed, e.g. ${missing().slice(0, 10).join(', ')}`);
    assert.strictEqual(missing().length, 0);
  });
}

module.exports = { sigkillScenario };
