'use strict';
// rmq-bench against the real broker, checked by the real client: `rmq-bench produce --create-topic` creates
// the topic (UPDATE_AND_CREATE_TOPIC, then waits for the route) and sends N messages with every send
// acknowledged; `rmq-bench consume` reads exactly those N and stores its offsets, so a second run of the same
// group finds nothing new; an ali-ons consumer of a new group receives the N bodies with the bench's tag.
const assert = require('assert');
const childProcess = require('child_process');
const path = require('path');
const { runTest, waitForRoute, waitUntil } = require('./lib/harness');

const TOPIC = 'E2E_Bench';
const COUNT = 2000;
const SIZE = 300;

function bench(binDir, args) {
  const r = childProcess.spawnSync(path.join(binDir, 'rmq-bench'), args, { encoding: 'utf8', timeout: 90000 });
  const out = `${r.stdout || ''}${r.stderr || ''}`;
  const line = (r.stdout || '').split('\n').find(l => l.startsWith('RESULT ')) || '';
  const fields = Object.fromEntries(line.split(' ').slice(2).map(kv => kv.split('=')));
  return { status: r.status, out, fields };
}

runTest('bench_smoke', async ctx => {
  const cluster = ctx.cluster();
  await cluster.start();

  const produced = bench(ctx.binDir, [ 'produce', '--namesrv', cluster.nameSrv, '--topic', TOPIC, '--size', String(SIZE),
    '--inflight', '16', '--count', String(COUNT), '--create-topic', '--queues', '4' ]);
  assert.strictEqual(produced.status, 0, `rmq-bench produce:\n${produced.out}`);
  assert.strictEqual(produced.fields.ok, String(COUNT), produced.out);

  const consumed = bench(ctx.binDir, [ 'consume', '--namesrv', cluster.nameSrv, '--topic', TOPIC, '--group', 'GID_bench',
    '--count', String(COUNT), '--timeout', '60' ]);
  assert.strictEqual(consumed.status, 0, `rmq-bench consume:\n${consumed.out}`);
  assert.strictEqual(consumed.fields.messages, String(COUNT), consumed.out);

  const again = bench(ctx.binDir, [ 'consume', '--namesrv', cluster.nameSrv, '--topic', TOPIC, '--group', 'GID_bench',
    '--duration', '2', '--poll-ms', '500' ]);
  assert.strictEqual(again.status, 0, `second rmq-bench consume:\n${again.out}`);
  assert.strictEqual(again.fields.messages, '0', `the group's stored offsets were not used:\n${again.out}`);

  const clients = ctx.clients(cluster);
  const producer = await clients.producer('PID_e2e_bench');
  await waitForRoute(producer, TOPIC, 4);
  let received = 0;
  const problems = [];
  await clients.consumer('GID_e2e_bench_check', TOPIC, async msg => {
    received++;
    if (msg.body.length !== SIZE) problems.push(`body of ${msg.body.length} bytes`);
    if (msg.tags !== 'bench') problems.push(`tags ${msg.tags}`);
  });
  await waitUntil(() => received >= COUNT, 60000, () => `ali-ons received ${received}/${COUNT}`);
  assert.deepStrictEqual(problems.slice(0, 5), []);
});
