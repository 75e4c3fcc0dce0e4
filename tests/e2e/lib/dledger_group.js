'use strict';
// A DLedger group for end-to-end tests: one rmq-namesrv and three rmq-broker with enableDLegerCommitLog=true
// on free loopback ports (spec/dledger-group.md, storage.md 6-7). It is built on the harness's Cluster so that
// every process is recorded the moment it is spawned and stopped (or SIGKILLed from the exit hook) by runTest's
// clean-up, also when the test fails: make it with `new DLedgerGroup(ctx.cluster())`.
//
// Also here: `rmqctl status` / `check-commitlog` wrappers, and a reader of the DLedger store written from
// storage.md 5 (entry header, blank padding, index units, checkpoint) for byte comparisons between nodes.
const assert = require('assert');
const childProcess = require('child_process');
const fs = require('fs');
const path = require('path');
const { freePort, sleep } = require('./harness');

const NODES = 3;

class DLedgerGroup {
  // `cluster`: a Cluster from ctx.cluster(); only its name server, work dir, children and clean-up are used.
  constructor(cluster, { groupName = 'RaftNode00', fileSize = 1048576, brokerConfig = {} } = {}) {
    this.cluster = cluster;
    this.binDir = cluster.binDir;
    this.groupName = groupName;
    this.fileSize = fileSize;
    this.brokerConfig = brokerConfig;
    this.nodes = [];  // { id, port, peerPort, root, conf, child, starts }
  }

  get nameSrv() { return this.cluster.nameSrv; }
  address(i) { return `127.0.0.1:${this.nodes[i].port}`; }
  nodeOf(address) { return this.nodes.findIndex((_, i) => this.address(i) === address); }
  storeRoot(i) { return this.nodes[i].root; }
  dledgerDir(i) { return path.join(this.nodes[i].root, `dledger-${this.nodes[i].id}`); }

  async start() {
    await this.cluster.startNamesrv();
    for (let i = 0; i < NODES; i++) {
      this.nodes.push({ id: `n${i}`, port: await freePort([ -2, 1 ]), peerPort: await freePort(), starts: 0 });
    }
    const peers = this.nodes.map(n => `${n.id}-127.0.0.1:${n.peerPort}`).join(';');
    for (const n of this.nodes) {
      n.root = path.join(this.cluster.workDir, `store-${n.id}`);
      n.conf = path.join(this.cluster.workDir, `broker-${n.id}.conf`);
      const config = Object.assign({
        brokerClusterName: 'RaftCluster',
        brokerName: this.groupName,
        brokerIP1: '127.0.0.1',
        listenPort: n.port,
        namesrvAddr: this.nameSrv,
        storePathRootDir: n.root,
        mappedFileSizeCommitLog: this.fileSize,
        mappedFileSizeConsumeQueue: 60000,
        flushConsumerOffsetInterval: 1000,
        enableDLegerCommitLog: true,
        dLegerGroup: this.groupName,
        dLegerPeers: peers,
        dLegerSelfId: n.id,
      }, this.brokerConfig);
      fs.writeFileSync(n.conf, Object.entries(config).map(([ k, v ]) => `${k}=${v}`).join('\n') + '\n');
    }
    for (let i = 0; i < NODES; i++) await this.startNode(i);
  }

  async startNode(i) {
    const n = this.nodes[i];
    n.starts++;
    n.child = this.cluster._spawn('rmq-broker', [ '-c', n.conf ], `broker-${n.id}-${n.starts}.log`);
    await n.child.waitForPort(n.port, 30000);
  }
  async killNode(i) { return this.nodes[i].child.kill(); }
  async stopNode(i) { return this.nodes[i].child.stop(20000); }

  // brokerId -> address of our group as the name server routes `topic` now.
  async route(client, topic) {
    try {
      const route = await client._mqClient.getTopicRouteInfoFromNameServer(topic, 3000);
      const data = route && (route.brokerDatas || []).find(b => b.brokerName === this.groupName);
      return data ? data.brokerAddrs : {};
    } catch (_) {
      return {};
    }
  }

  // Waits until the name server routes `topic` with brokerId 0 at a node other than `notNode` and `live`
  // addresses in all; returns that node's index.
  async waitForLeader(client, topic, { live = NODES, notNode = -1, timeoutMs = 30000 } = {}) {
    const deadline = Date.now() + timeoutMs;
    let last = {};
    while (Date.now() < deadline) {
      last = await this.route(client, topic);
      const leader = last['0'] ? this.nodeOf(last['0']) : -1;
      if (leader >= 0 && leader !== notNode && Object.keys(last).length === live) return leader;
      await sleep(50);
    }
    throw new Error(`no leader routed for ${topic} within ${timeoutMs} ms (last route ${JSON.stringify(last)})`);
  }

  rmqctl(args, timeoutMs = 60000) {
    const r = childProcess.spawnSync(path.join(this.binDir, 'rmqctl'), args, { encoding: 'utf8', timeout: timeoutMs });
    return { status: r.status, stdout: r.stdout || '', stderr: r.stderr || '' };
  }

  // `rmqctl status -c <each conf> -o json`, parsed (null when its output is not JSON).
  status() {
    const r = this.rmqctl([ 'status', ...this.nodes.flatMap(n => [ '-c', n.conf ]), '-o', 'json', '--timeout', '3' ]);
    try {
      return Object.assign(JSON.parse(r.stdout), { exitCode: r.status });
    } catch (_) {
      return null;
    }
  }
}

// ---- the DLedger store, read from storage.md 5 ----------------------------------------------------------

// Java-properties text (`key=value` lines) of `file`, or null when it does not exist.
function readProperties(file) {
  if (!fs.existsSync(file)) return null;
  const out = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*([^#=\s][^=]*?)\s*=\s*(.*)$/.exec(line);
    if (m) out[m[1]] = m[2].trim();
  }
  return out;
}

function numberedFiles(dir) {
  return fs.readdirSync(dir).filter(n => /^\d{20}$/.test(n)).sort().map(n => ({ start: Number(n), path: path.join(dir, n) }));
}

// Reads `length` bytes at absolute `offset` of a file space made of 20-digit-named files of `fileSize` bytes.
function readSpace(files, fileSize, offset, length) {
  const out = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const at = offset + done;
    const file = files.find(f => f.start <= at && at < f.start + fileSize);
    if (!file) throw new Error(`no file holds offset ${at}`);
    const fd = fs.openSync(file.path, 'r');
    try {
      const n = fs.readSync(fd, out, done, Math.min(length - done, file.start + fileSize - at), at - file.start);
      if (n <= 0) throw new Error(`${file.path}: short read at ${at - file.start}`);
      done += n;
    } finally {
      fs.closeSync(fd);
    }
  }
  return out;
}

const INDEX_UNIT = 32;
const ENTRY_HEADER = 48;
const DATA_MAGIC = 1;
const BLANK_MAGIC = -1;

// The DLedger store of one node (`dir` = storePathRootDir/dledger-<selfId>): walks the data files from the
// first one as storage.md 5.2/5.3 lay them out, checking every entry header (magic 1, size = 48 + bodyLen,
// pos = its absolute offset, consecutive indexes, non-decreasing terms) against its index unit (5.4), up to
// `lastIndex` (inclusive). Returns { firstStart, entries: [{index, term, pos, size}], checkpoint }.
function readDLedgerStore(dir, fileSize, lastIndex) {
  const data = numberedFiles(path.join(dir, 'data'));
  const index = numberedFiles(path.join(dir, 'index'));
  assert.ok(data.length > 0, `${dir}/data holds no data file`);
  assert.ok(index.length > 0, `${dir}/index holds no index file`);
  const indexFileSize = fs.statSync(index[0].path).size;
  const checkpoint = readProperties(path.join(dir, 'checkpoint'));
  const entries = [];
  let pos = data[0].start;
  let expectIndex = null;
  let lastTerm = -1;
  while (expectIndex === null || expectIndex <= lastIndex) {
    const fileStart = pos - ((pos - data[0].start) % fileSize);
    const fileEnd = fileStart + fileSize;
    if (fileEnd - pos < 8) { pos = fileEnd; continue; }
    const head = readSpace(data, fileSize, pos, 8);
    const magic = head.readInt32BE(0);
    const size = head.readInt32BE(4);
    const where = `${dir} data offset ${pos}`;
    if (magic === BLANK_MAGIC) {
      assert.strictEqual(size, fileEnd - pos, `${where}: blank length ${size}, the file ends ${fileEnd - pos} later`);
      pos = fileEnd;
      continue;
    }
    assert.strictEqual(magic, DATA_MAGIC, `${where}: magic ${magic}`);
    assert.ok(size > ENTRY_HEADER && pos + size <= fileEnd, `${where}: size ${size}`);
    const h = readSpace(data, fileSize, pos, ENTRY_HEADER);
    const e = {
      index: Number(h.readBigInt64BE(8)), term: Number(h.readBigInt64BE(16)), pos: Number(h.readBigInt64BE(24)), size,
    };
    assert.strictEqual(e.pos, pos, `${where}: pos field ${e.pos}`);
    assert.strictEqual(h.readInt32BE(44) + ENTRY_HEADER, size, `${where}: bodyLen + 48 != size`);
    if (expectIndex !== null) assert.strictEqual(e.index, expectIndex, `${where}: index ${e.index}`);
    assert.ok(e.term >= lastTerm, `${where}: term ${e.term} after ${lastTerm}`);
    const unit = readSpace(index, indexFileSize, e.index * INDEX_UNIT, INDEX_UNIT);
    assert.deepStrictEqual(
      { magic: unit.readInt32BE(0), pos: Number(unit.readBigInt64BE(4)), size: unit.readInt32BE(12),
        index: Number(unit.readBigInt64BE(16)), term: Number(unit.readBigInt64BE(24)) },
      { magic: DATA_MAGIC, pos: e.pos, size: e.size, index: e.index, term: e.term }, `${where}: index unit ${e.index}`);
    entries.push(e);
    lastTerm = e.term;
    expectIndex = e.index + 1;
    pos += size;
  }
  return { firstStart: data[0].start, data, entries, checkpoint };
}

module.exports = { DLedgerGroup, readDLedgerStore, readSpace, readProperties };
