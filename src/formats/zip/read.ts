/**
 * ZIP reading with limits against hostile archives (OOXML packages are ZIP files).
 *
 * Everything is decided from the central directory before a single byte is inflated: entry count,
 * declared inflated sizes (total and per entry), compression ratio, overlapping or out-of-range
 * entries (the "overlapping files" bomb), duplicate names (two readers could see two different
 * labels), encryption and unknown compression methods. Inflating is then capped at each entry's
 * declared size, so the actual inflated total can never exceed what was checked.
 */
import { constants as zc, crc32, createInflateRaw, inflateRawSync } from 'node:zlib';
import { LabelgateError } from '../../errors.js';
import type { FormatLimits } from '../types.js';

export interface ZipEntry {
  /** The name as stored (OOXML part names without the leading `/`). */
  name: string;
  flags: number;
  /** 0 stored, 8 deflate. */
  method: number;
  crc32: number;
  compressedSize: number;
  /** Declared inflated size. */
  size: number;
  localOffset: number;
  /** Offset of the compressed data. */
  dataOffset: number;
  /** End of the entry's local record (data and data descriptor). */
  recordEnd: number;
  /** The central directory record, copied as is when the entry is kept. */
  central: Buffer;
}

export interface ZipArchive {
  buffer: Buffer;
  entries: ZipEntry[];
  /** Lower-case name → entry (OPC part names are case-insensitive). */
  byName: Map<string, ZipEntry>;
  /** Offset of the central directory (end of the last local record). */
  centralOffset: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_DESCRIPTOR = 0x08074b50;
const U32 = 0xffffffff;

/** Entries smaller than this are never refused for their compression ratio (no bomb fits in 1 MiB). */
const RATIO_CHECK_MIN_BYTES = 1024 * 1024;

function malformed(message: string): never {
  throw new LabelgateError('FORMAT_MALFORMED', `ZIP container: ${message}`);
}

function limit(message: string): never {
  throw new LabelgateError('FORMAT_LIMIT', `ZIP container: ${message}`);
}

function findEocd(buf: Buffer): number {
  const min = Math.max(0, buf.length - 22 - 0xffff);
  for (let i = buf.length - 22; i >= min; i--) {
    if (buf.readUInt32LE(i) === SIG_EOCD && i + 22 + buf.readUInt16LE(i + 20) <= buf.length) return i;
  }
  return -1;
}

interface Zip64Fields {
  size?: number;
  compressedSize?: number;
  offset?: number;
}

/** Values from a ZIP64 extra field (id 1) for the 32-bit fields that are saturated. */
function readZip64Extra(extra: Buffer, want: { size: boolean; compressedSize: boolean; offset: boolean }): Zip64Fields {
  const out: Zip64Fields = {};
  let p = 0;
  while (p + 4 <= extra.length) {
    const id = extra.readUInt16LE(p);
    const len = extra.readUInt16LE(p + 2);
    if (p + 4 + len > extra.length) break;
    if (id === 1) {
      let q = p + 4;
      const take = () => {
        if (q + 8 > p + 4 + len) malformed('truncated ZIP64 extra field');
        const v = Number(extra.readBigUInt64LE(q));
        q += 8;
        return v;
      };
      if (want.size) out.size = take();
      if (want.compressedSize) out.compressedSize = take();
      if (want.offset) out.offset = take();
      return out;
    }
    p += 4 + len;
  }
  if (want.size || want.compressedSize || want.offset) malformed('saturated size or offset without a ZIP64 extra field');
  return out;
}

export function isZip(head: Buffer): boolean {
  return head.length >= 4 && head.readUInt32LE(0) === SIG_LOCAL;
}

/** Parse the central directory and check the archive against the limits. */
export function readZip(buffer: Buffer, limits: FormatLimits): ZipArchive {
  if (buffer.length < 22) malformed('file is too short to be a ZIP archive (truncated?)');
  const eocd = findEocd(buffer);
  if (eocd === -1) malformed('no end-of-central-directory record (the file is truncated or not a ZIP archive)');
  let count = buffer.readUInt16LE(eocd + 10);
  let cdSize = buffer.readUInt32LE(eocd + 12);
  let cdOffset = buffer.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === U32 || cdOffset === U32) {
    const loc = eocd - 20;
    if (loc < 0 || buffer.readUInt32LE(loc) !== SIG_ZIP64_LOCATOR) malformed('ZIP64 archive without a ZIP64 locator');
    const z64 = Number(buffer.readBigUInt64LE(loc + 8));
    if (z64 + 56 > buffer.length || buffer.readUInt32LE(z64) !== SIG_ZIP64_EOCD) malformed('damaged ZIP64 end-of-central-directory record');
    count = Number(buffer.readBigUInt64LE(z64 + 32));
    cdSize = Number(buffer.readBigUInt64LE(z64 + 40));
    cdOffset = Number(buffer.readBigUInt64LE(z64 + 48));
  }
  if (count > limits.maxZipEntries) limit(`${count} entries exceed the limit of ${limits.maxZipEntries}`);
  if (cdOffset + cdSize > buffer.length) malformed('central directory lies outside the file (truncated?)');

  const entries: ZipEntry[] = [];
  const byName = new Map<string, ZipEntry>();
  let declaredTotal = 0;
  let p = cdOffset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > buffer.length || buffer.readUInt32LE(p) !== SIG_CENTRAL) malformed(`central directory record ${n} is damaged`);
    const flags = buffer.readUInt16LE(p + 8);
    const method = buffer.readUInt16LE(p + 10);
    const crc = buffer.readUInt32LE(p + 16);
    let compressedSize = buffer.readUInt32LE(p + 20);
    let size = buffer.readUInt32LE(p + 24);
    const nameLen = buffer.readUInt16LE(p + 28);
    const extraLen = buffer.readUInt16LE(p + 30);
    const commentLen = buffer.readUInt16LE(p + 32);
    let localOffset = buffer.readUInt32LE(p + 42);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > buffer.length) malformed(`central directory record ${n} is truncated`);
    const nameBytes = buffer.subarray(p + 46, p + 46 + nameLen);
    const name = nameBytes.toString(flags & 0x800 ? 'utf8' : 'latin1');
    if (size === U32 || compressedSize === U32 || localOffset === U32) {
      const z = readZip64Extra(buffer.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen), {
        size: size === U32,
        compressedSize: compressedSize === U32,
        offset: localOffset === U32,
      });
      size = z.size ?? size;
      compressedSize = z.compressedSize ?? compressedSize;
      localOffset = z.offset ?? localOffset;
    }
    if (flags & 0x1) throw new LabelgateError('FORMAT_ENCRYPTED', `ZIP entry "${name}" is encrypted; an encrypted package cannot be labeled`);
    if (method !== 0 && method !== 8) {
      throw new LabelgateError('FORMAT_UNSUPPORTED', `ZIP entry "${name}" uses compression method ${method}; only stored (0) and deflate (8) are supported`);
    }
    if (method === 0 && size !== compressedSize) malformed(`stored entry "${name}" has different declared and stored sizes`);
    declaredTotal += size;
    if (declaredTotal > limits.maxInflatedBytes) limit(`declared inflated size exceeds the limit of ${limits.maxInflatedBytes} bytes (zip bomb?)`);
    if (size >= RATIO_CHECK_MIN_BYTES && (compressedSize === 0 || size / compressedSize > limits.maxCompressionRatio)) {
      limit(`entry "${name}" has a compression ratio above ${limits.maxCompressionRatio}:1 (zip bomb?)`);
    }
    const key = name.toLowerCase();
    if (byName.has(key)) malformed(`duplicate entry name "${name}"`);

    // The local header: must agree with the central record; gives the data offset.
    if (localOffset + 30 > buffer.length || buffer.readUInt32LE(localOffset) !== SIG_LOCAL) malformed(`local header of "${name}" is missing or damaged`);
    const localNameLen = buffer.readUInt16LE(localOffset + 26);
    const localExtraLen = buffer.readUInt16LE(localOffset + 28);
    if (!buffer.subarray(localOffset + 30, localOffset + 30 + localNameLen).equals(nameBytes)) malformed(`local and central names of "${name}" differ`);
    const dataOffset = localOffset + 30 + localNameLen + localExtraLen;
    let recordEnd = dataOffset + compressedSize;
    if (recordEnd > buffer.length) malformed(`data of "${name}" runs past the end of the file (truncated?)`);
    if (flags & 0x8) {
      const zip64 = buffer.readUInt32LE(localOffset + 18) === U32 || buffer.readUInt32LE(localOffset + 22) === U32 || size > U32 || compressedSize > U32;
      const sig = recordEnd + 4 <= buffer.length && buffer.readUInt32LE(recordEnd) === SIG_DESCRIPTOR ? 4 : 0;
      recordEnd += sig + 4 + (zip64 ? 16 : 8);
      if (recordEnd > buffer.length) malformed(`data descriptor of "${name}" is truncated`);
    }
    const entry: ZipEntry = { name, flags, method, crc32: crc, compressedSize, size, localOffset, dataOffset, recordEnd, central: buffer.subarray(p, end) };
    entries.push(entry);
    byName.set(key, entry);
    p = end;
  }

  // Local records must not overlap each other or the central directory.
  const sorted = [...entries].sort((a, b) => a.localOffset - b.localOffset);
  for (let i = 0; i < sorted.length; i++) {
    const next = i + 1 < sorted.length ? sorted[i + 1]!.localOffset : cdOffset;
    if (sorted[i]!.recordEnd > next) malformed(`entry "${sorted[i]!.name}" overlaps the next record (overlapping-entry zip bomb?)`);
  }
  return { buffer, entries, byName, centralOffset: cdOffset };
}

export function findEntry(zip: ZipArchive, name: string): ZipEntry | undefined {
  return zip.byName.get(name.replace(/^\//, '').toLowerCase());
}

function checkInflated(entry: ZipEntry, data: Buffer): Buffer {
  if (data.length !== entry.size) malformed(`entry "${entry.name}" inflates to ${data.length} bytes, not the declared ${entry.size}`);
  if (crc32(data) >>> 0 !== entry.crc32) malformed(`entry "${entry.name}" fails its CRC-32 check`);
  return data;
}

/** Inflate one entry, refusing anything larger than `maxBytes` or than its declared size. */
export function inflateEntry(zip: ZipArchive, entry: ZipEntry, maxBytes: number): Buffer {
  if (entry.size > maxBytes) limit(`entry "${entry.name}" (${entry.size} bytes inflated) exceeds the limit of ${maxBytes} bytes`);
  const raw = zip.buffer.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
  if (entry.method === 0) return checkInflated(entry, raw);
  let data: Buffer;
  try {
    // One byte of head-room so that "more than declared" is detected, not silently cut.
    data = inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size + 1), finishFlush: zc.Z_SYNC_FLUSH });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') malformed(`entry "${entry.name}" inflates to more than its declared ${entry.size} bytes`);
    malformed(`entry "${entry.name}" is not valid deflate data`);
  }
  return checkInflated(entry, data);
}

/** Inflate one entry as a stream of chunks (large sheet parts), with the same caps as `inflateEntry`. */
export async function* inflateEntryChunks(zip: ZipArchive, entry: ZipEntry, maxBytes: number): AsyncGenerator<Buffer> {
  if (entry.size > maxBytes) limit(`entry "${entry.name}" (${entry.size} bytes inflated) exceeds the limit of ${maxBytes} bytes`);
  const raw = zip.buffer.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
  if (entry.method === 0) {
    checkInflated(entry, raw);
    for (let i = 0; i < raw.length; i += 1 << 20) yield raw.subarray(i, Math.min(raw.length, i + (1 << 20)));
    return;
  }
  const inflater = createInflateRaw({ chunkSize: 256 * 1024, finishFlush: zc.Z_SYNC_FLUSH });
  inflater.end(raw);
  let total = 0;
  let crc = 0;
  try {
    for await (const chunk of inflater as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > entry.size) malformed(`entry "${entry.name}" inflates to more than its declared ${entry.size} bytes`);
      crc = crc32(chunk, crc);
      yield chunk;
    }
  } catch (err) {
    if (err instanceof LabelgateError) throw err;
    malformed(`entry "${entry.name}" is not valid deflate data`);
  } finally {
    inflater.destroy();
  }
  if (total !== entry.size) malformed(`entry "${entry.name}" inflates to ${total} bytes, not the declared ${entry.size}`);
  if (crc >>> 0 !== entry.crc32) malformed(`entry "${entry.name}" fails its CRC-32 check`);
}
