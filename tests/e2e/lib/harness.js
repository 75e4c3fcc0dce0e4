'use strict';
// End-to-end harness: runs the real rmq-namesrv and rmq-broker on free loopback ports with a temporary store,
// and gives the tests ali-ons clients configured for them (spec/clients.md 3).
//
// Clean-up is the point of this file. Every child process is recorded the moment it is spawned; it is
// stopped with SIGTERM (SIGKILL after a grace period) by Cluster.stop(), and as a last resort killed with
// SIGKILL from a process 'exit' hook, so a test that throws, times out (runTest's own deadline fires before
// ctest's) or is interrupted never leaves a broker behind. On failure the children's logs are printed.
//
// A test script is `runTest(name, async ctx => {...})`: it exits 0 when the body resolves, 1 otherwise.

const assert = require('assert');
const childProcess = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

// Fails with a clear message when `npm ci` was not run: tests must fail, not skip, without the client.
function requireAliOns() {
  try {
    return require('ali-ons');
  } catch (err) {
    throw new Error(`cannot load ali-ons (${err.message}); run \`npm ci --no-audit --no-fund\` in ${path.dirname(__dirname)}`);
  }
}

function sleep(ms) {
  return new Promise(resolve => setTimeout(resolve, ms));
}

function parseArgs(argv) {
  const args = { binDir: process.env.RMQ_BIN_DIR || '' };
  for (let i = 2; i < argv.length; i++) {
    if (argv[i] === '--bin-dir' && i + 1 < argv.length) args.binDir = argv[++i];
    else throw new Error(`unknown argument ${argv[i]} (usage: node <script> --bin-dir DIR)`);
  }
  if (!args.binDir) throw new Error('--bin-dir DIR (the build directory holding rmq-namesrv, rmq-broker) is required');
  return args;
}

// ---- processes ------------------------------------------------------------------------------------------

const liveChildren = new Set();
process.on('exit', () => {
  for (const child of liveChildren) {
    try { process.kill(child.pid, 'SIGKILL'); } catch (_) { /* already gone */ }
  }
});

function portIsFree(port) {
  return new Promise(resolve => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

// A loopback port that was free a moment ago; with `neighbours`, port+d is free too for every d listed
// (the broker also uses listenPort-2 for the VIP channel and listenPort+1 for HA).
async function freePort(neighbours = []) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = await new Promise((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const p = server.address().port;
        server.close(() => resolve(p));
      });
    });
    let ok = true;
    for (const d of neighbours) {
      const other = port + d;
      if (other < 1024 || other > 65535 || !(await portIsFree(other))) { ok = false; break; }
    }
    if (ok) return port;
  }
  throw new Error('no free loopback port found');
}

function canConnect(port) {
  return new Promise(resolve => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => { socket.destroy(); resolve(false); });
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
  });
}

// A started binary whose stdout and stderr go to `logPath`.
class ChildProcess {
  constructor(name, binary, args, logPath) {
    if (!fs.existsSync(binary)) throw new Error(`${binary} does not exist (build it first)`);
    this.name = name;
    this.logPath = logPath;
    const logFd = fs.openSync(logPath, 'a');
    this.child = childProcess.spawn(binary, args, { stdio: ['ignore', logFd, logFd] });
    fs.closeSync(logFd);
    this.exitInfo = null;
    this.exited = new Promise(resolve => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        liveChildren.delete(this.child);
        resolve(this.exitInfo);
      });
      this.child.once('error', err => {
        this.exitInfo = { code: null, signal: null, error: err.message };
        liveChildren.delete(this.child);
        resolve(this.exitInfo);
      });
    });
    liveChildren.add(this.child);
  }

  get running() { return this.exitInfo === null; }

  log() {
    try { return fs.readFileSync(this.logPath, 'utf8'); } catch (_) { return ''; }
  }

  async waitForPort(port, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) {
        throw new Error(`${this.name} exited (${JSON.stringify(this.exitInfo)}) before listening on ${port}`);
      }
      if (await canConnect(port)) return;
      await sleep(100);
    }
    throw new Error(`${this.name} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
  }

  // SIGTERM, then SIGKILL after graceMs. Resolves with how it exited.
  async stop(graceMs = 10000) {
    if (!this.running) return this.exitInfo;
    try { this.child.kill('SIGTERM'); } catch (_) { /* gone */ }
    const timer = new Promise(resolve => setTimeout(() => resolve('timeout'), graceMs));
    if (await Promise.race([this.exited, timer]) === 'timeout') {
      console.error(`${this.name} ignored SIGTERM for ${graceMs} ms; sending SIGKILL`);
      try { this.child.kill('SIGKILL'); } catch (_) { /* gone */ }
      await this.exited;
    }
    return this.exitInfo;
  }

  async kill() {
    if (!this.running) return this.exitInfo;
    this.child.kill('SIGKILL');
    return await this.exited;
  }
}

// ---- cluster --------------------------------------------------------------------------------------------

// One name server and one broker (brokerId 0). `brokerConfig` adds or overrides broker.conf keys.
class Cluster {
  constructor(binDir, options = {}) {
    this.binDir = binDir;
    this.workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rmq-e2e-'));
    this.storeRoot = options.storeRoot || path.join(this.workDir, 'store');
    this.brokerName = options.brokerName || 'broker-e2e';
    this.clusterName = options.clusterName || 'DefaultCluster';
    this.brokerConfig = Object.assign({}, options.brokerConfig || {});
    this.children = [];
    this.namesrv = null;
    this.broker = null;
    this.brokerStarts = 0;
  }

  get nameSrv() { return `127.0.0.1:${this.namesrvPort}`; }
  get brokerAddr() { return `127.0.0.1:${this.brokerPort}`; }

  async start() {
    await this.startNamesrv();
    await this.startBroker();
  }

  async startNamesrv() {
    this.namesrvPort = await freePort();
    const conf = path.join(this.workDir, 'namesrv.conf');
    fs.writeFileSync(conf, `listenPort=${this.namesrvPort}\n`);
    this.namesrv = this._spawn('rmq-namesrv', [ '-c', conf ], 'namesrv.log');
    await this.namesrv.waitForPort(this.namesrvPort, 20000);
  }

  // Starts (or restarts, on the same store and port) the broker and waits until it listens.
  async startBroker() {
    if (!this.brokerPort) this.brokerPort = await freePort([ -2, 1 ]);
    const config = Object.assign({
      brokerClusterName: this.clusterName,
      brokerName: this.brokerName,
      brokerId: 0,
      listenPort: this.brokerPort,
      namesrvAddr: this.nameSrv,
      storePathRootDir: this.storeRoot,
      storePathCommitLog: path.join(this.storeRoot, 'commitlog'),
      mappedFileSizeCommitLog: 16 * 1024 * 1024,
      flushDiskType: 'ASYNC_FLUSH',
      brokerIP1: '127.0.0.1',
      autoCreateTopicEnable: true,
      messageDelayLevel: '1s 2s 3s 4s 5s 6s 7s 8s 9s 10s 11s 12s 13s 14s 15s 16s 17s 18s',
    }, this.brokerConfig);
    const conf = path.join(this.workDir, 'broker.conf');
    fs.writeFileSync(conf, Object.entries(config).map(([ k, v ]) => `${k}=${v}`).join('\n') + '\n');
    this.brokerStarts++;
    this.broker = this._spawn('rmq-broker', [ '-c', conf ], `broker-${this.brokerStarts}.log`);
    await this.broker.waitForPort(this.brokerPort, 30000);
  }

  async killBroker() { return this.broker.kill(); }
  async stopBroker() { return this.broker.stop(); }

  // Stops every child (broker first) and removes the work dir unless `keep`.
  async stop({ keep = false } = {}) {
    for (const child of [ ...this.children ].reverse()) await child.stop();
    if (!keep) fs.rmSync(this.workDir, { recursive: true, force: true });
  }

  printLogs() {
    for (const child of this.children) {
      console.error(`----- ${child.name} log (${child.logPath}) -----`);
      const text = child.log();
      console.error(text.length > 20000 ? '...' + text.slice(-20000) : text);
    }
  }

  _spawn(binaryName, args, logName) {
    const child = new ChildProcess(logName.replace(/\.log$/, ''), path.join(this.binDir, binaryName), args,
      path.join(this.workDir, logName));
    this.children.push(child);
    return child;
  }
}

// ---- ali-ons --------------------------------------------------------------------------------------------

// Benign client errors (clients.md 3.3): no route yet for %RETRY%<group> (17, before the first heartbeat
// created it) and no stored offset for a new group (22). Everything else is recorded and fails the test,
// unless the test allow()s it (e.g. connection errors while it has killed the broker on purpose).
function isBenignError(err) {
  if (!err) return false;
  if (err.code === 22) return true;
  const text = `${err.name} ${err.message}`;
  return /%RETRY%/.test(text) && (err.code === 17 || /No topic route info/.test(text));
}

const quietLogger = {
  info() {}, debug() {},
  warn() {}, error() {},
};

function clientOptions(cluster, extra = {}) {
  return Object.assign({
    nameSrv: cluster.nameSrv,
    httpclient: {},
    logger: quietLogger,
    pollNameServerInteval: 2000,
    heartbeatBrokerInterval: 5000,
    rebalanceInterval: 2000,
    persistConsumerOffsetInterval: 1000,
  }, extra);
}

class Clients {
  constructor(cluster) {
    this.cluster = cluster;
    this.made = [];
    this.errors = [];  // non-benign 'error' events
    this.allowed = [];  // extra patterns a test expects (e.g. connection errors while it kills the broker)
  }

  // Client errors matching `pattern` are not reported as failures.
  allow(pattern) { this.allowed.push(pattern); }

  _onError(who) {
    return err => {
      if (isBenignError(err)) return;
      const text = `${err && err.name} ${err && err.message}`;
      if (this.allowed.some(p => p.test(text))) return;
      this.errors.push(`${who}: ${err && err.message}`);
    };
  }

  async producer(group, extra = {}) {
    const { Producer } = requireAliOns();
    const p = new Producer(clientOptions(this.cluster, Object.assign({ producerGroup: group }, extra)));
    p.on('error', this._onError(`producer ${group}`));
    this.made.push(p);
    await p.ready();
    return p;
  }

  // A clustering push consumer. `handler(msg)` may throw or return Consumer.ACTION_RETRY to ask for a retry.
  async consumer(group, topic, handler, extra = {}) {
    const { Consumer } = requireAliOns();
    const c = new Consumer(clientOptions(this.cluster, Object.assign({
      consumerGroup: group,
      consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
    }, extra)));
    c.on('error', this._onError(`consumer ${group}`));
    c.subscribe(topic, extra.subExpression || '*', handler);
    this.made.push(c);
    await c.ready();
    return c;
  }

  async closeAll() {
    for (const client of this.made.reverse()) {
      try {
        await withTimeout(client.close(), 10000, 'client close');
      } catch (err) {
        console.error(`closing a client: ${err.message}`);
      }
    }
    this.made = [];
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

// UPDATE_AND_CREATE_TOPIC through ali-ons's internal API (clients.md 3.3), then waits until the name server
// returns a route with the topic's queues.
async function createTopic(producer, cluster, topic, queueNums = 4) {
  await producer._mqClient.createTopic(cluster.brokerAddr, 'TBW102', {
    topicName: topic, readQueueNums: queueNums, writeQueueNums: queueNums, perm: 6,
    topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false,
  }, 3000);
  await waitForRoute(producer, topic, queueNums);
}

async function waitForRoute(client, topic, minWriteQueues = 1, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const route = await client._mqClient.getTopicRouteInfoFromNameServer(topic, 3000);
      const writable = route && route.queueDatas ?
        route.queueDatas.reduce((n, q) => n + ((q.perm & 2) ? q.writeQueueNums : 0), 0) : 0;
      if (writable >= minWriteQueues && route.brokerDatas && route.brokerDatas.length > 0) return route;
      last = `route ${JSON.stringify(route)}`;
    } catch (err) {
      last = err.message;
    }
    await sleep(200);
  }
  throw new Error(`route of ${topic} did not appear within ${timeoutMs} ms: ${last}`);
}

// Resolves once `predicate()` is true (checked every 100 ms), or rejects after timeoutMs with `describe()`.
async function waitUntil(predicate, timeoutMs, describe) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return;
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
}

// ---- test runner ----------------------------------------------------------------------------------------

// Runs `body({ binDir, cluster(options), clients(cluster) })`. Every cluster and client made through ctx is
// closed afterwards; on failure the logs are printed and the process exits 1. The whole test is bounded by
// `timeoutMs` (below ctest's TIMEOUT so clean-up still runs).
function runTest(name, body, { timeoutMs = 140000 } = {}) {
  const clusters = [];
  const clientSets = [];
  let failed = false;
  const start = Date.now();
  const ctx = {
    cluster(options) { const c = new Cluster(ctx.binDir, options); clusters.push(c); return c; },
    clients(cluster) { const c = new Clients(cluster); clientSets.push(c); return c; },
  };
  const cleanup = async () => {
    for (const set of clientSets) await set.closeAll();
    if (failed) for (const c of clusters) c.printLogs();
    for (const c of clusters) await c.stop({ keep: failed });
    if (failed) for (const c of clusters) console.error(`kept ${c.workDir} for inspection`);
  };
  let finishing = false;
  const fail = async err => {
    if (finishing) return;
    finishing = true;
    failed = true;
    console.error(`FAIL ${name}: ${err && err.stack ? err.stack : err}`);
    try { await cleanup(); } catch (e) { console.error(`clean-up: ${e.stack}`); }
    console.log(`0 passed, 1 failed`);
    process.exit(1);
  };
  const watchdog = setTimeout(() => fail(new Error(`test exceeded ${timeoutMs} ms`)), timeoutMs);
  for (const signal of [ 'SIGINT', 'SIGTERM' ]) process.on(signal, () => fail(new Error(`got ${signal}`)));
  (async () => {
    ctx.binDir = parseArgs(process.argv).binDir;
    requireAliOns();
    await body(ctx);
    for (const set of clientSets) {
      assert.deepStrictEqual(set.errors, [], `unexpected client errors:\n${set.errors.join('\n')}`);
    }
  })().then(async () => {
    if (finishing) return;
    finishing = true;
    clearTimeout(watchdog);
    await cleanup();
    console.log(`PASS ${name} (${((Date.now() - start) / 1000).toFixed(1)} s)`);
    console.log(`1 passed, 0 failed`);
    process.exit(0);
  }, err => { clearTimeout(watchdog); return fail(err); });
}

module.exports = {
  Cluster, Clients, createTopic, waitForRoute, waitUntil, runTest, sleep, withTimeout, freePort, requireAliOns,
  isBenignError,
};
