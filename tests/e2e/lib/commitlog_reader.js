'use strict';
// Reads a legacy commitlog directory straight from the format in spec/remoting.md 2.3 (storage.md 1), so the
// legacy-store test knows which messages exist without trusting rmq-gen-store's or the broker's code.
// Files are the 20-digit names in offset order; a file ends at a blank record (magic 0xCBD43194) or at
// TOTALSIZE 0. Any other malformed record throws with the file and offset.
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const MAGIC_V1 = 0xDAA320A7 | 0;
const MAGIC_V2 = 0xDAA320AB | 0;
const BLANK_MAGIC = 0xCBD43194 | 0;

function parseProperties(text) {
  const out = {};
  for (const pair of text.split('\x02')) {
    const i = pair.indexOf('\x01');
    if (pair.length < 3 || i <= 0 || i >= pair.length - 1) continue;
    out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}

function readCommitlog(dir) {
  const files = fs.readdirSync(dir).filter(n => /^\d{20}$/.test(n)).sort();
  const messages = [];
  for (const name of files) {
    const buf = fs.readFileSync(path.join(dir, name));
    const base = Number(name);
    let pos = 0;
    while (pos + 8 <= buf.length) {
      const totalSize = buf.readInt32BE(pos);
      const magic = buf.readInt32BE(pos + 4);
      if (totalSize === 0 && magic === 0) break;
      if (magic === BLANK_MAGIC) break;
      const where = `${name} offset ${pos}`;
      if ((magic !== MAGIC_V1 && magic !== MAGIC_V2) || totalSize < 91 || pos + totalSize > buf.length) {
        throw new Error(`${where}: bad record (size ${totalSize}, magic ${magic})`);
      }
      let p = pos + 12;
      const queueId = buf.readInt32BE(p); p += 4;
      p += 4;  // flag
      const queueOffset = Number(buf.readBigInt64BE(p)); p += 8;
      const physicalOffset = Number(buf.readBigInt64BE(p)); p += 8;
      const sysFlag = buf.readInt32BE(p); p += 4;
      p += 8;  // born timestamp
      p += (sysFlag & 0x10) ? 20 : 8;
      p += 8;  // store timestamp
      p += (sysFlag & 0x20) ? 20 : 8;
      const reconsumeTimes = buf.readInt32BE(p); p += 4;
      p += 8;  // prepared transaction offset
      const bodyLength = buf.readInt32BE(p); p += 4;
      if (bodyLength < 0 || p + bodyLength > pos + totalSize) throw new Error(`${where}: body length ${bodyLength}`);
      let body = buf.subarray(p, p + bodyLength); p += bodyLength;
      if (sysFlag & 0x1) body = zlib.inflateSync(body);
      const topicLength = magic === MAGIC_V1 ? buf.readUInt8(p) : buf.readUInt16BE(p);
      p += magic === MAGIC_V1 ? 1 : 2;
      const topic = buf.toString('utf8', p, p + topicLength); p += topicLength;
      const propertiesLength = buf.readUInt16BE(p); p += 2;
      const properties = parseProperties(buf.toString('utf8', p, p + propertiesLength)); p += propertiesLength;
      if (p !== pos + totalSize) throw new Error(`${where}: fields add up to ${p - pos}, TOTALSIZE ${totalSize}`);
      if (physicalOffset !== base + pos) throw new Error(`${where}: PHYSICALOFFSET ${physicalOffset}`);
      messages.push({ topic, queueId, queueOffset, physicalOffset, body, properties, reconsumeTimes });
      pos += totalSize;
    }
  }
  return messages;
}

module.exports = { readCommitlog, parseProperties };
