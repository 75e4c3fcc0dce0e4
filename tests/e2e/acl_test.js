'use strict';
// e2e acl (issue 14, Done-when 1): a broker with aclEnable=true and a plain_acl.yml, driven by the real
// ali-ons client, which signs every request when given accessKey/secretKey (lib/channel.js):
// - correct credentials produce and consume as today (a retried message comes back through
//   CONSUMER_SEND_MSG_BACK, which needs only the group);
// - a wrong secret, an unknown accessKey, and an account without PUB on the topic are refused with code 16
//   and upstream's remark, and nothing of theirs is stored (max offsets and the consumer agree);
// - an account without `admin` cannot create a topic (UPDATE_AND_CREATE_TOPIC answered 16);
// - an address in the account's whiteRemoteAddress needs no signature (a wrong secret still sends);
// - an edit of plain_acl.yml takes effect without a restart (an account gets PUB, then loses it);
// - with aclEnable=false an unsigned client produces and consumes as before.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { runTest, waitForRoute, waitUntil, sleep } = require('./lib/harness');

const TOPIC = 'E2E_Acl';
const COUNT = 40;

function aclFile({ readerMayPublish = false } = {}) {
  return `globalWhiteRemoteAddresses:
accounts:
  - accessKey: adminAccess
    secretKey: admin-secret-1
    admin: true
  - accessKey: producerAccess
    secretKey: producer-secret-1
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - ${TOPIC}=PUB
  - accessKey: consumerAccess
    secretKey: consumer-secret-1
    defaultTopicPerm: DENY
    defaultGroupPerm: DENY
    topicPerms:
      - ${TOPIC}=SUB
    groupPerms:
      - GID_e2e_acl=SUB
  - accessKey: readerAccess
    secretKey: reader-secret-1
    defaultGroupPerm: SUB
    topicPerms:
      - ${TOPIC}=${readerMayPublish ? 'PUB|SUB' : 'SUB'}
  - accessKey: officeAccess
    secretKey: office-secret-1
    whiteRemoteAddress: 127.0.0.1
    topicPerms:
      - ${TOPIC}=DENY
`;
}

// A RemotingCommand sent through ali-ons's own channel (which signs it): the raw answer, code and remark.
async function rawSend(client, brokerAddr, body) {
  const RemotingCommand = require('ali-ons/lib/protocol/command/remoting_command');
  const header = {
    a: 'PID_e2e_acl_raw', b: TOPIC, c: 'TBW102', d: 4, e: 0, f: 0, g: Date.now(), h: 0,
    i: 'TAGS\u0001raw\u0002', j: 0, k: false, m: false,
  };
  const request = RemotingCommand.createRequestCommand(310, header);
  request.body = Buffer.from(body);
  return await client._mqClient.invoke(brokerAddr, request, 5000);
}

async function totalMaxOffset(admin, cluster) {
  let sum = 0;
  for (let q = 0; q < 4; q++) sum += Number(await admin._mqClient.getMaxOffset(cluster.brokerAddr, TOPIC, q, 3000));
  return sum;
}

function creds(ak, sk, instanceName) {
  // Each set of credentials needs its own instanceName: ali-ons shares one MQClient (and its channels'
  // credentials) between clients with the same clientId.
  return { accessKey: ak, secretKey: sk, instanceName };
}

runTest('acl', async ctx => {
  const { Message } = require('ali-ons');
  // --- aclEnable=false: an unsigned client works as today -----------------------------------------------
  // (First, on a cluster of its own that stays up until runTest's clean-up: ali-ons clients keep polling
  // their name server after close().)
  const open = ctx.cluster();
  await open.start();
  const openTopicConfig = { topicName: TOPIC, readQueueNums: 4, writeQueueNums: 4, perm: 6,
    topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false };
  const openClients = ctx.clients(open);
  const plainProducer = await openClients.producer('PID_e2e_acl_off');
  await plainProducer._mqClient.createTopic(open.brokerAddr, 'TBW102', openTopicConfig, 3000);
  await waitForRoute(plainProducer, TOPIC, 4);
  for (let i = 0; i < 10; i++) {
    assert.strictEqual((await plainProducer.send(new Message(TOPIC, 'TagA', `plain-${i}`))).sendStatus, 'SEND_OK');
  }
  const plainReceived = new Set();
  await openClients.consumer('GID_e2e_acl_off', TOPIC, async msg => { plainReceived.add(msg.body.toString()); });
  await waitUntil(() => plainReceived.size === 10, 30000, () => `received ${plainReceived.size} of 10`);

  // --- aclEnable=true -----------------------------------------------------------------------------------
  const cluster = ctx.cluster();
  const aclPath = path.join(cluster.workDir, 'plain_acl.yml');
  fs.writeFileSync(aclPath, aclFile());
  cluster.brokerConfig.aclEnable = 'true';
  cluster.brokerConfig.plainAclFile = aclPath;
  cluster.brokerConfig.autoCreateTopicEnable = 'false';
  await cluster.start();
  const clients = ctx.clients(cluster);
  // Refusals this test provokes on purpose (background heartbeats of the refused clients included).
  clients.allow(/Check signature failed|No acl config for|No default permission for|Need admin permission/);

  // --- an account without admin cannot create a topic; the admin can --------------------------------
  const producer = await clients.producer('PID_e2e_acl', creds('producerAccess', 'producer-secret-1', 'acl-producer'));
  const topicConfig = { topicName: TOPIC, readQueueNums: 4, writeQueueNums: 4, perm: 6,
    topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false };
  await assert.rejects(producer._mqClient.createTopic(cluster.brokerAddr, 'TBW102', topicConfig, 3000), err => {
    assert.strictEqual(err.code, 16, `createTopic by a non-admin: ${err.code} ${err.message}`);
    assert.strictEqual(err.message, 'Need admin permission for request code=17, but accessKey=producerAccess is not');
    return true;
  });
  const admin = await clients.producer('PID_e2e_acl_admin', creds('adminAccess', 'admin-secret-1', 'acl-admin'));
  await admin._mqClient.createTopic(cluster.brokerAddr, 'TBW102', topicConfig, 3000);
  await waitForRoute(admin, TOPIC, 4);

  // --- correct credentials: produce and consume as today ------------------------------------------------
  const sent = new Set();
  for (let i = 0; i < COUNT; i++) {
    const r = await producer.send(new Message(TOPIC, 'TagA', `ok-${i}`));
    assert.strictEqual(r.sendStatus, 'SEND_OK', `send ${i}: ${JSON.stringify(r)}`);
    sent.add(`ok-${i}`);
  }

  // --- refused senders: code 16, upstream's remark, nothing stored -------------------------------------
  const before = await totalMaxOffset(admin, cluster);
  assert.strictEqual(before, COUNT, `max offsets after ${COUNT} sends`);
  const refusals = [
    [ creds('producerAccess', 'wrong-secret-9', 'acl-wrong-secret'), 'Check signature failed for accessKey=producerAccess' ],
    [ creds('nobodyAccess', 'nobody-secret-1', 'acl-unknown'), 'No acl config for nobodyAccess' ],
    [ creds('readerAccess', 'reader-secret-1', 'acl-reader'), `No default permission for topic:${TOPIC}` ],
  ];
  const readers = {};
  for (const [ options, remark ] of refusals) {
    const p = await clients.producer(`PID_e2e_acl_${options.instanceName}`, options);
    readers[options.instanceName] = p;
    const response = await rawSend(p, cluster.brokerAddr, `refused-${options.instanceName}`);
    assert.strictEqual(response.code, 16, `${options.instanceName}: code ${response.code} ${response.remark}`);
    assert.strictEqual(response.remark, remark, options.instanceName);
    // The public API fails too (ali-ons retries NO_PERMISSION, then gives up).
    await assert.rejects(p.send(new Message(TOPIC, 'TagA', `refused-api-${options.instanceName}`)), /still failed/);
  }
  assert.strictEqual(await totalMaxOffset(admin, cluster), COUNT, 'a refused send stored something');
  // ali-ons's close() unregisters first and stops half-way when the broker refuses that (16): forget the
  // broker for the two clients whose signature is refused, so that they close cleanly now.
  for (const name of [ 'acl-wrong-secret', 'acl-unknown' ]) {
    const p = readers[name];
    p._mqClient._brokerAddrTable.clear();
    await p.close();
    clients.made = clients.made.filter(c => c !== p);
  }

  // --- whiteRemoteAddress: no signature needed from 127.0.0.1 for officeAccess (its secret is wrong) ------
  const office = await clients.producer('PID_e2e_acl_office', creds('officeAccess', 'not-the-secret', 'acl-office'));
  const officeResult = await office.send(new Message(TOPIC, 'TagA', 'ok-office'));
  assert.strictEqual(officeResult.sendStatus, 'SEND_OK');
  sent.add('ok-office');

  // --- consume with the consumer account; one message is retried through CONSUMER_SEND_MSG_BACK ---------
  const { Consumer } = require('ali-ons');
  const received = new Map();
  let retried = false;
  await clients.consumer('GID_e2e_acl', TOPIC, async msg => {
    const body = msg.body.toString();
    if (body === 'ok-3' && !retried) { retried = true; return Consumer.ACTION_RETRY; }
    received.set(body, (received.get(body) || 0) + 1);
  }, creds('consumerAccess', 'consumer-secret-1', 'acl-consumer'));
  await waitUntil(() => [ ...sent ].every(b => received.has(b)), 60000,
    () => `received ${received.size} of ${sent.size}; missing ${[ ...sent ].filter(b => !received.has(b)).slice(0, 5)}`);
  assert.ok(retried, 'the retried message was delivered again after its send-back');
  for (const body of received.keys()) assert.ok(sent.has(body), `consumed a message that was refused: ${body}`);

  // --- plain_acl.yml edited: readerAccess gets PUB without a restart, then loses it again -------------
  const reader = readers['acl-reader'];
  fs.writeFileSync(aclPath, aclFile({ readerMayPublish: true }));
  let lastCode = null;
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    const r = await rawSend(reader, cluster.brokerAddr, 'ok-reader');
    lastCode = r.code;
    if (r.code === 0) break;
    await sleep(200);
  }
  assert.strictEqual(lastCode, 0, 'the edited plain_acl.yml did not take effect within 15 s');
  fs.writeFileSync(aclPath, aclFile({ readerMayPublish: false }));
  const deadline2 = Date.now() + 15000;
  while (Date.now() < deadline2) {
    const r = await rawSend(reader, cluster.brokerAddr, 'late-reader');
    lastCode = r.code;
    if (r.code === 16) break;
    await sleep(200);
  }
  assert.strictEqual(lastCode, 16, 'taking PUB away again did not take effect within 15 s');
  // A broken edit keeps the rules in force (the producer can still send, the reader still cannot).
  fs.writeFileSync(aclPath, aclFile() + '  - accessKey: broken\n    secretKey: 12345678\n    admin: perhaps\n');
  await sleep(2500);
  assert.strictEqual((await producer.send(new Message(TOPIC, 'TagA', 'ok-after-bad-edit'))).sendStatus, 'SEND_OK');
  assert.strictEqual((await rawSend(reader, cluster.brokerAddr, 'late-reader-2')).code, 16);
  const brokerLog = cluster.broker.log();
  assert.match(brokerLog, /ACL file refused, the previous rules stay in force: .*plain_acl\.yml:\d+: admin: 'perhaps'/);
  for (const secret of [ 'producer-secret-1', 'wrong-secret-9', 'admin-secret-1' ]) {
    assert.ok(!brokerLog.includes(secret), `the broker log shows a secret (${secret})`);
  }

});
