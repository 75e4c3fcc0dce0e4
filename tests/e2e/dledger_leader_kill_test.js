'use strict';
// e2e 6 (issue 10, Done-when 1, bullet 2): a DLedger group (name server + three rmq-broker) takes sends from
// the real ali-ons producer, 8 senders at once, while its leader is SIGKILLed. Then:
// - every message whose send() resolved SEND_OK is consumed by a new consumer group (zero loss asserted; the
//   failed sends and the duplicates consumed are printed, duplicates are allowed: at-least-once);
// - the killed node restarts, catches up (rmqctl status: its ledger end and committed index equal the
//   leader's; the time is printed);
// - after the group is stopped, every node's DLedger data files are byte-identical from the first data file
//   up to the end of the entry at the common committed index, and their entries and index units agree with
//   storage.md 5.2-5.4 (read here by lib/dledger_group.js, not by our C++ code);
// - every node's store passes `rmqctl check-commitlog --store` (exit 0).
const assert = require('assert');
const path = require('path');
const { runTest, waitForRoute, waitUntil, sleep } = require('./lib/harness');
const { DLedgerGroup, readDLedgerStore, readProperties, readSpace } = require('./lib/dledger_group');

const TOPIC = 'E2E_DLedger_Kill';
const SENDERS = 8;
const FILE_SIZE = 1048576;  // small data files: the copy crosses file ends (blank padding, storage.md 5.3)

runTest('dledger_leader_kill', async ctx => {
  const { Message } = require('ali-ons');
  const group = new DLedgerGroup(ctx.cluster(), { fileSize: FILE_SIZE });
  await group.start();
  const clients = ctx.clients(group.cluster);
  // While the leader is dead and the route is stale: connection errors, timeouts, 14 from followers.
  clients.allow(/ECONNREFUSED|ECONNRESET|EPIPE|socket|closed|close|timeout|connect|broker|No topic route info|service not available|busy/i);
  const producer = await clients.producer('PID_e2e_dledger_kill', { sendMsgTimeout: 3000 });

  const leader = await group.waitForLeader(producer, 'TBW102');
  await producer._mqClient.createTopic(group.address(leader), 'TBW102', {
    topicName: TOPIC, readQueueNums: 4, writeQueueNums: 4, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0,
    order: false,
  }, 3000);
  await waitForRoute(producer, TOPIC, 4);
  const topicCreatedAt = Date.now();
  console.log(`leader n${leader}; topic created`);

  const acked = new Map();  // body -> msgId
  const failures = [];
  let phase = 'before';
  let stop = false;
  let seq = 0;
  const count = p => [ ...acked.keys() ].filter(b => b.startsWith(p)).length;
  const sender = async worker => {
    while (!stop) {
      const body = `${phase}-${worker}-${seq++}`;
      try {
        const r = await producer.send(new Message(TOPIC, 'Kill', body));
        if (r.sendStatus === 'SEND_OK') acked.set(body, r.msgId);
        else failures.push(`${body}: ${r.sendStatus}`);
      } catch (err) {
        failures.push(`${body}: ${err.message}`);
        await sleep(50);
      }
    }
  };
  const senders = Array.from({ length: SENDERS }, (_, w) => sender(w));

  // The followers copy the topic from the leader (follower sync); give it time before the kill.
  await waitUntil(() => acked.size >= 1500 && Date.now() - topicCreatedAt > 4000, 30000,
    () => `only ${acked.size} acks before the kill; failures: ${failures.slice(-5).join(' | ')}`);
  phase = 'during';
  const killedAt = Date.now();
  const ackedBeforeKill = acked.size;
  await group.killNode(leader);
  console.log(`SIGKILLed leader n${leader} after ${ackedBeforeKill} acks`);
  const newLeader = await group.waitForLeader(producer, TOPIC, { live: 2, notNode: leader });
  console.log(`n${newLeader} routed as brokerId 0 ${Date.now() - killedAt} ms after the kill`);
  phase = 'after';
  await waitUntil(() => count('after-') >= 1000, 40000,
    () => `only ${count('after-')} acks after the failover; failures: ${failures.slice(-5).join(' | ')}`);
  const failedBeforeRestart = failures.length;

  // The killed node restarts while sends go on.
  phase = 'rejoin';
  const restartAt = Date.now();
  await group.startNode(leader);
  await waitUntil(() => count('rejoin-') >= 1000, 40000,
    () => `only ${count('rejoin-')} acks after the restart; failures: ${failures.slice(-5).join(' | ')}`);
  stop = true;
  await Promise.all(senders);
  const sendsFailed = failures.length;
  console.log(`${acked.size} acked sends (${ackedBeforeKill} before the kill), ${sendsFailed} failed sends ` +
    `(${failedBeforeRestart} before the restart)${sendsFailed ? `, e.g. ${failures.slice(0, 3).join(' | ')}` : ''}`);

  // Catch-up: every node's ledger end and committed index equal the leader's (rmqctl status).
  let last = null;
  const caughtUp = () => {
    last = group.status();
    if (!last || !Array.isArray(last.nodes) || last.nodes.length !== 3) return false;
    const l = last.nodes.find(n => n.role === 'LEADER');
    return !!l && last.nodes.every(n => n.reachable && n.ledgerEndIndex === l.ledgerEndIndex &&
      n.committedIndex === l.committedIndex && n.committedIndex === n.ledgerEndIndex);
  };
  await waitUntil(caughtUp, 30000, () => `not caught up: ${JSON.stringify(last && last.nodes)}`);
  console.log(`restarted n${leader} caught up ${Date.now() - restartAt} ms after its restart ` +
    `(ledger end ${last.nodes[0].ledgerEndIndex})`);
  clients.allowed = [];  // from here on the group is whole: every client error counts again

  // Zero loss: a new group consumes every acknowledged message.
  const received = new Map();  // body -> times
  await clients.consumer('GID_e2e_dledger_kill', TOPIC, async msg => {
    const body = msg.body.toString();
    received.set(body, (received.get(body) || 0) + 1);
  });
  const missing = () => [ ...acked.keys() ].filter(b => !received.has(b));
  await waitUntil(() => missing().length === 0, 60000,
    () => `${missing().length} of ${acked.size} acknowledged messages not consumed, e.g. ${missing().slice(0, 10).join(', ')}`);
  await sleep(1000);  // late redeliveries count as duplicates too
  const duplicates = [ ...received.values() ].reduce((n, t) => n + t - 1, 0);
  const unacked = [ ...received.keys() ].filter(b => !acked.has(b)).length;
  console.log(`consumed ${received.size} distinct messages: 0 of ${acked.size} acknowledged missing, ` +
    `${duplicates} duplicates, ${unacked} whose send did not report SEND_OK`);
  await clients.closeAll();

  // Stop the brokers (SIGTERM), then compare the stores.
  for (let i = 0; i < 3; i++) {
    const exit = await group.stopNode(i);
    assert.strictEqual(exit.code, 0, `n${i} exited ${JSON.stringify(exit)} on SIGTERM`);
  }
  const checkpoints = [ 0, 1, 2 ].map(i => readProperties(path.join(group.dledgerDir(i), 'checkpoint')));
  const commonCommitted = Math.min(...checkpoints.map((c, i) => {
    assert.ok(c && c.committedIndex !== undefined, `n${i}: no committedIndex in its checkpoint`);
    return Number(c.committedIndex);
  }));
  assert.ok(commonCommitted >= ackedBeforeKill, `common committed index ${commonCommitted}`);
  const stores = [ 0, 1, 2 ].map(i => readDLedgerStore(group.dledgerDir(i), FILE_SIZE, commonCommitted));
  const end = stores[0].entries[stores[0].entries.length - 1];
  const endPos = end.pos + end.size;
  for (let i = 0; i < 3; i++) {
    assert.strictEqual(stores[i].firstStart, stores[0].firstStart, `n${i}: first data file`);
    assert.deepStrictEqual(stores[i].entries[stores[i].entries.length - 1], end, `n${i}: entry ${commonCommitted}`);
  }
  const terms = new Set(stores[0].entries.map(e => e.term));
  const region = [ 0, 1, 2 ].map(i => readSpace(stores[i].data, FILE_SIZE, stores[i].firstStart, endPos - stores[i].firstStart));
  for (let i = 1; i < 3; i++) {
    if (!region[i].equals(region[0])) {
      let at = 0;
      while (at < region[0].length && region[i][at] === region[0][at]) at++;
      assert.fail(`n${i}'s DLedger data differs from n0's at absolute offset ${stores[0].firstStart + at}`);
    }
  }
  console.log(`DLedger data byte-identical on the 3 nodes up to the common committed index ${commonCommitted} ` +
    `(${endPos - stores[0].firstStart} bytes, ${stores[0].entries.length} entries, terms ${[ ...terms ].join(',')})`);

  for (let i = 0; i < 3; i++) {
    const r = group.rmqctl([ 'check-commitlog', '--store', group.storeRoot(i) ]);
    assert.strictEqual(r.status, 0, `check-commitlog --store n${i} exited ${r.status}:\n${r.stdout}${r.stderr}`);
  }
  console.log('check-commitlog --store: exit 0 on every node');
  assert.strictEqual(missing().length, 0);
}, { timeoutMs: 150000 });
