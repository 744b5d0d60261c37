import { describe, expect, it } from 'vitest';
import { crc32, deflateRawSync } from 'node:zlib';
import JSZip from 'jszip';
import { findEntry, inflateEntry, readZip } from '../../src/formats/zip/read.js';
import { rewriteZip } from '../../src/formats/zip/write.js';
import { DEFAULT_FORMAT_LIMITS, type FormatLimits } from '../../src/formats/types.js';
import { isLabelgateError } from '../../src/errors.js';
import { xlsxShared } from '../helpers/documents.js';
import { runTool, tempFiles } from '../helpers/tools.js';

const limits: FormatLimits = { ...DEFAULT_FORMAT_LIMITS };

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (isLabelgateError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected an error');
}

interface RawEntry {
  name: string;
  data: Buffer;
  /** Lie about the inflated size in the headers. */
  declaredSize?: number;
  method?: 0 | 8;
}

/** A hand-built archive, for shapes no well-behaved writer produces. */
function buildZip(entries: RawEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const method = e.method ?? 8;
    const body = method === 8 ? deflateRawSync(e.data) : e.data;
    const name = Buffer.from(e.name);
    const size = e.declaredSize ?? e.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc32(e.data) >>> 0, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc32(e.data) >>> 0, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

describe('ZIP reading and rewriting', () => {
  it('copies unchanged entries byte for byte (no recompression) and the result passes unzip -t', async () => {
    const original = await xlsxShared([['a', 'b'], ['c', 1]]);
    const zip = readZip(original, limits);
    const out = rewriteZip(zip, { replace: new Map([['xl/styles.xml', Buffer.from('<styleSheet/>')]]), add: [{ name: 'docProps/custom.xml', data: Buffer.from('<Properties/>') }] });
    const again = readZip(out, limits);
    for (const entry of zip.entries) {
      if (entry.name === 'xl/styles.xml') continue;
      const copy = findEntry(again, entry.name)!;
      // Same compressed bytes, same CRC: the entry was copied, not inflated and deflated again.
      expect(out.subarray(copy.dataOffset, copy.dataOffset + copy.compressedSize).equals(original.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize))).toBe(true);
      expect(copy.crc32).toBe(entry.crc32);
    }
    expect(inflateEntry(again, findEntry(again, 'xl/styles.xml')!, 1e6).toString()).toBe('<styleSheet/>');
    expect(inflateEntry(again, findEntry(again, 'docProps/custom.xml')!, 1e6).toString()).toBe('<Properties/>');
    const files = tempFiles();
    try {
      const r = runTool('unzip', ['-t', files.write('out.xlsx', out)]);
      expect(r.stdout).toMatch(/No errors detected/);
    } finally {
      files.cleanup();
    }
  });

  it('keeps entries written with data descriptors (jszip streaming) intact', async () => {
    const zip = new JSZip();
    zip.file('[Content_Types].xml', '<Types/>');
    zip.file('big.xml', 'x'.repeat(100_000));
    const bytes = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', streamFiles: true });
    const parsed = readZip(bytes, limits);
    expect(parsed.entries.every((e) => (e.flags & 0x8) !== 0)).toBe(true);
    const out = rewriteZip(parsed, { replace: new Map([['[content_types].xml', Buffer.from('<Types></Types>')]]), add: [] });
    const reread = await JSZip.loadAsync(out, { checkCRC32: true });
    expect(await reread.file('big.xml')!.async('string')).toHaveLength(100_000);
    expect(await reread.file('[Content_Types].xml')!.async('string')).toBe('<Types></Types>');
  });

  it('refuses a zip bomb by its declared ratio before inflating anything, in bounded time and memory', () => {
    // 32 MB of zeros deflate to ~32 KB: a 1000:1 entry (real bombs nest this to petabytes).
    const zeros = Buffer.alloc(32 * 1024 * 1024);
    const bomb = buildZip([{ name: 'xl/worksheets/sheet1.xml', data: zeros }]);
    const rssBefore = process.memoryUsage().rss;
    const started = Date.now();
    const err = errorOf(() => readZip(bomb, limits));
    expect(Date.now() - started).toBeLessThan(200);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 * 1024);
    expect(err.code).toBe('FORMAT_LIMIT');
    expect(err.message).toMatch(/compression ratio above 200:1 \(zip bomb\?\)/);
  });

  it('caps actual inflation at the declared size (an entry that lies about its size)', () => {
    const lying = buildZip([{ name: 'docProps/custom.xml', data: Buffer.alloc(5 * 1024 * 1024, 0x61), declaredSize: 1000 }]);
    const zip = readZip(lying, limits);
    const started = Date.now();
    const err = errorOf(() => inflateEntry(zip, zip.entries[0]!, limits.maxXmlBytes));
    expect(Date.now() - started).toBeLessThan(200);
    expect(err.code).toBe('FORMAT_MALFORMED');
    expect(err.message).toMatch(/inflates to more than its declared 1000 bytes/);
  });

  it('refuses too many entries, too much declared data, and oversized XML parts', () => {
    const many = buildZip(Array.from({ length: 20 }, (_, i) => ({ name: `f${i}.xml`, data: Buffer.from('x') })));
    expect(errorOf(() => readZip(many, { ...limits, maxZipEntries: 10 }))).toMatchObject({ code: 'FORMAT_LIMIT', message: expect.stringMatching(/20 entries exceed the limit of 10/) });
    const big = buildZip([{ name: 'a.xml', data: Buffer.alloc(3000, 0x20) }, { name: 'b.xml', data: Buffer.alloc(3000, 0x20) }]);
    expect(errorOf(() => readZip(big, { ...limits, maxInflatedBytes: 5000 })).code).toBe('FORMAT_LIMIT');
    const zip = readZip(big, limits);
    expect(errorOf(() => inflateEntry(zip, zip.entries[0]!, 1000))).toMatchObject({ code: 'FORMAT_LIMIT', message: expect.stringMatching(/exceeds the limit of 1000 bytes/) });
  });

  it('refuses overlapping entries (the overlapping-file bomb), duplicate names and truncation', () => {
    const good = buildZip([{ name: 'a.xml', data: Buffer.from('<a/>') }, { name: 'b.xml', data: Buffer.from('<b/>') }]);
    const overlap = Buffer.from(good);
    // Point the second central record at the first local header.
    const cd = overlap.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    const second = overlap.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), cd + 4);
    overlap.writeUInt32LE(0, second + 42);
    expect(errorOf(() => readZip(overlap, limits)).code).toBe('FORMAT_MALFORMED');

    const dup = buildZip([{ name: 'a.xml', data: Buffer.from('1') }, { name: 'A.XML', data: Buffer.from('2') }]);
    expect(errorOf(() => readZip(dup, limits)).message).toMatch(/duplicate entry name/);

    for (const cut of [10, good.length / 2, good.length - 5]) {
      const err = errorOf(() => readZip(good.subarray(0, Math.floor(cut)), limits));
      expect(err.code).toBe('FORMAT_MALFORMED');
    }
  });

  it('refuses encrypted entries and unknown compression methods with their own codes', () => {
    const enc = buildZip([{ name: 'a.xml', data: Buffer.from('x') }]);
    enc.writeUInt16LE(1, enc.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 8);
    expect(errorOf(() => readZip(enc, limits)).code).toBe('FORMAT_ENCRYPTED');
    const bz = buildZip([{ name: 'a.xml', data: Buffer.from('x'), method: 0 }]);
    bz.writeUInt16LE(12, bz.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 10);
    expect(errorOf(() => readZip(bz, limits))).toMatchObject({ code: 'FORMAT_UNSUPPORTED', message: expect.stringMatching(/method 12/) });
  });

  it('detects corrupted data by its CRC', () => {
    const bytes = buildZip([{ name: 'a.xml', data: Buffer.from('hello world, hello world'), method: 0 }]);
    const zip = readZip(bytes, limits);
    const at = zip.entries[0]!.dataOffset;
    bytes.writeUInt8(bytes[at]! ^ 0xff, at);
    expect(errorOf(() => inflateEntry(zip, zip.entries[0]!, 1000)).message).toMatch(/CRC-32/);
  });
});
