/**
 * Rewrite a ZIP archive with a few entries replaced or added. Entries that do not change are
 * copied byte for byte — local header, compressed data, data descriptor — and their central
 * directory records are reused with only the offset patched, so a 10 MB workbook is relabeled
 * without inflating or deflating its sheets.
 */
import { crc32, deflateRawSync } from 'node:zlib';
import { LabelgateError } from '../../errors.js';
import type { ZipArchive, ZipEntry } from './read.js';

const U32 = 0xffffffff;

/** Parts above this size are deflated at level 1: a rewritten sheet should cost milliseconds, not seconds. */
const FAST_DEFLATE_ABOVE = 4 * 1024 * 1024;

/** DOS date/time of `d` (local fields, as ZIP tools expect). */
function dosDateTime(d: Date): { time: number; date: number } {
  const year = Math.max(1980, d.getFullYear());
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

interface NewEntry {
  name: string;
  data: Buffer;
}

/** Content that is already deflated (a part re-encoded as a stream), with its CRC and size. */
export interface DeflatedPart {
  deflated: Buffer;
  crc32: number;
  size: number;
}

function encodeEntry(entry: { name: string; data: Buffer | DeflatedPart }, offset: number, now: { time: number; date: number }): { local: Buffer; central: Buffer } {
  const name = Buffer.from(entry.name, 'utf8');
  const utf8 = /[^\x20-\x7e]/.test(entry.name) ? 0x800 : 0;
  let method: number;
  let body: Buffer;
  let crc: number;
  let size: number;
  if (Buffer.isBuffer(entry.data)) {
    const data = entry.data;
    const compressed = data.length < 64 ? undefined : deflateRawSync(data, { level: data.length > FAST_DEFLATE_ABOVE ? 1 : 6 });
    method = compressed && compressed.length < data.length ? 8 : 0;
    body = method === 8 ? compressed! : data;
    crc = crc32(data) >>> 0;
    size = data.length;
  } else {
    method = 8;
    body = entry.data.deflated;
    crc = entry.data.crc32;
    size = entry.data.size;
  }
  if (body.length >= U32 || size >= U32 || offset >= U32) {
    throw new LabelgateError('FORMAT_LIMIT', 'the rewritten package would need ZIP64 (over 4 GB); labelgate does not write ZIP64');
  }
  const local = Buffer.alloc(30 + name.length);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(utf8, 6);
  local.writeUInt16LE(method, 8);
  local.writeUInt16LE(now.time, 10);
  local.writeUInt16LE(now.date, 12);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(body.length, 18);
  local.writeUInt32LE(size, 22);
  local.writeUInt16LE(name.length, 26);
  local.writeUInt16LE(0, 28);
  name.copy(local, 30);
  const central = Buffer.alloc(46 + name.length);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(utf8, 8);
  central.writeUInt16LE(method, 10);
  central.writeUInt16LE(now.time, 12);
  central.writeUInt16LE(now.date, 14);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(body.length, 20);
  central.writeUInt32LE(size, 24);
  central.writeUInt16LE(name.length, 28);
  central.writeUInt32LE(offset, 42);
  name.copy(central, 46);
  return { local: Buffer.concat([local, body]), central };
}

/** The entry's central record with its local-header offset moved to `offset`. */
function movedCentral(entry: ZipEntry, offset: number): Buffer {
  const central = Buffer.from(entry.central);
  if (central.readUInt32LE(42) !== U32) {
    if (offset >= U32) throw new LabelgateError('FORMAT_LIMIT', 'the rewritten package would need ZIP64 (over 4 GB); labelgate does not write ZIP64');
    central.writeUInt32LE(offset, 42);
    return central;
  }
  // The offset lives in the ZIP64 extra field, after the saturated size fields.
  const nameLen = central.readUInt16LE(28);
  const extraLen = central.readUInt16LE(30);
  let p = 46 + nameLen;
  const extraEnd = p + extraLen;
  while (p + 4 <= extraEnd) {
    const id = central.readUInt16LE(p);
    const len = central.readUInt16LE(p + 2);
    if (id === 1) {
      let q = p + 4;
      if (central.readUInt32LE(24) === U32) q += 8;
      if (central.readUInt32LE(20) === U32) q += 8;
      central.writeBigUInt64LE(BigInt(offset), q);
      return central;
    }
    p += 4 + len;
  }
  return central;
}

export interface ZipChanges {
  /** Lower-case entry name → new content (or content already deflated), for entries that exist. */
  replace: Map<string, Buffer | DeflatedPart>;
  /** New entries, appended in this order. */
  add: NewEntry[];
}

export function rewriteZip(zip: ZipArchive, changes: ZipChanges, now = new Date()): Buffer {
  const stamp = dosDateTime(now);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of zip.entries) {
    const replacement = changes.replace.get(entry.name.toLowerCase());
    if (replacement) {
      const { local, central } = encodeEntry({ name: entry.name, data: replacement }, offset, stamp);
      locals.push(local);
      centrals.push(central);
      offset += local.length;
    } else {
      const record = zip.buffer.subarray(entry.localOffset, entry.recordEnd);
      locals.push(record);
      centrals.push(movedCentral(entry, offset));
      offset += record.length;
    }
  }
  for (const added of changes.add) {
    const { local, central } = encodeEntry(added, offset, stamp);
    locals.push(local);
    centrals.push(central);
    offset += local.length;
  }
  const count = centrals.length;
  const cdSize = centrals.reduce((n, c) => n + c.length, 0);
  if (count > 0xfffe || offset + cdSize >= U32) throw new LabelgateError('FORMAT_LIMIT', 'the rewritten package would need ZIP64; labelgate does not write ZIP64');
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(count, 8);
  eocd.writeUInt16LE(count, 10);
  eocd.writeUInt32LE(cdSize, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, eocd]);
}
