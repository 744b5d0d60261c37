import { afterAll, describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { Spool } from '../../src/http/spool.js';
import { MemoryPool } from '../../src/http/memory-pool.js';
import { startScanner, workerLost, type CaptureScanner } from '../../src/http/scan-offload.js';
import { SIT, isLabelgateError, type LabelgateError } from '../../src/index.js';
import { tempDir, waitFor } from './helpers.js';

const dir = tempDir();
afterAll(() => dir.cleanup());

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of it) parts.push(p);
  return Buffer.concat(parts);
}

describe('Spool', () => {
  it('keeps small bodies in memory (no file)', async () => {
    const spool = new Spool({ memoryBytes: 1024, maxBytes: 4096, tempDir: dir.path });
    spool.write(Buffer.from('hello '));
    spool.write(Buffer.from('world'));
    await spool.end();
    expect(spool.location).toBe('memory');
    expect(dir.files()).toEqual([]);
    expect((await spool.body().bytes()).toString()).toBe('hello world');
    expect((await collect(spool.read(6))).toString()).toBe('world');
    await spool.dispose();
  });

  it('spills to a 0600 temp file past the memory limit and removes it on dispose', async () => {
    const spool = new Spool({ memoryBytes: 10, maxBytes: 1 << 20, tempDir: dir.path });
    const input = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz'.repeat(1000));
    for (let i = 0; i < input.length; i += 333) spool.write(input.subarray(i, i + 333));
    await spool.end();
    expect(spool.location).toBe('file');
    const files = dir.files();
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^labelgate-\d+-[0-9a-f]{24}\.part$/);
    expect(statSync(join(dir.path, files[0]!)).mode & 0o777).toBe(0o600);
    const body = spool.body();
    expect(body.size).toBe(input.length);
    expect((await body.bytes()).equals(input)).toBe(true);
    expect((await collect(spool.read(1000))).equals(input.subarray(1000))).toBe(true);
    await spool.dispose();
    await spool.dispose();
    expect(dir.files()).toEqual([]);
  });

  it('refuses a chunk that would pass the hard maximum, without storing it', () => {
    const spool = new Spool({ memoryBytes: 10, maxBytes: 20, tempDir: dir.path });
    spool.write(Buffer.alloc(15));
    let error: LabelgateError | undefined;
    try {
      spool.write(Buffer.alloc(6));
    } catch (err) {
      if (isLabelgateError(err)) error = err;
    }
    expect(error?.code).toBe('SIZE_LIMIT');
    expect(spool.size).toBe(15);
    return spool.dispose();
  });

  it('removes the temp file when disposed while writes are pending (client abort)', async () => {
    const spool = new Spool({ memoryBytes: 1, maxBytes: 1 << 24, tempDir: dir.path });
    for (let i = 0; i < 64; i++) spool.write(Buffer.alloc(64 * 1024, 1));
    const ending = spool.end().catch((err: LabelgateError) => err.code);
    await spool.dispose();
    expect(await ending).toBe('ABORTED');
    await waitFor(() => dir.files().length === 0, 2000, 'temp file removed');
  });

  it('reports an unusable temp directory as CAPTURE_FAILED', async () => {
    const errors: string[] = [];
    const spool = new Spool({ memoryBytes: 1, maxBytes: 100, tempDir: join(dir.path, 'missing') }, (err) => errors.push(err.code));
    spool.write(Buffer.from('abc'));
    await expect(spool.end()).rejects.toMatchObject({ code: 'CAPTURE_FAILED' });
    expect(errors).toEqual(['CAPTURE_FAILED']);
    await spool.dispose();
  });

  it('classifies while capturing', async () => {
    const spool = new Spool({ memoryBytes: 8, maxBytes: 1 << 20, tempDir: dir.path, scanner: startScanner({ delimiter: ',' }, false) });
    const text = 'name,ssn\nAda,536-90-4399\nBob,234-56-7890\n';
    for (const ch of text.match(/[\s\S]{1,5}/g)!) spool.write(Buffer.from(ch));
    await spool.end();
    expect(spool.classificationResults()).toEqual([expect.objectContaining({ sensitiveTypeId: SIT.usSsn, count: 2 })]);
    await spool.dispose();
  });

  it('reads back exactly what was written, from any offset (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { maxLength: 20 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.nat(),
        async (chunks, memoryBytes, offsetSeed) => {
          const spool = new Spool({ memoryBytes, maxBytes: 1 << 20, tempDir: dir.path });
          for (const c of chunks) spool.write(Buffer.from(c));
          await spool.end();
          const all = Buffer.concat(chunks.map((c) => Buffer.from(c)));
          const offset = all.length === 0 ? 0 : offsetSeed % (all.length + 1);
          const ok = (await collect(spool.read(0))).equals(all) && (await collect(spool.read(offset))).equals(all.subarray(offset));
          await spool.dispose();
          return ok;
        },
      ),
      { numRuns: 60 },
    );
    expect(dir.files()).toEqual([]);
  });
});

describe('Spool: small writes are kept in blocks', () => {
  it('property: any mix of row-sized and large chunks reads back intact, in memory or spilled mid-block', async () => {
    const chunk = fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 0, max: 400 }) },
      { weight: 1, arbitrary: fc.integer({ min: 16 * 1024 - 2, max: 70 * 1024 }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(chunk, { minLength: 1, maxLength: 400 }), fc.integer({ min: 1, max: 600 * 1024 }), fc.nat(), async (sizes, memoryBytes, seed) => {
        const spool = new Spool({ memoryBytes, maxBytes: 1 << 26, tempDir: dir.path });
        const written: Buffer[] = [];
        let n = seed;
        for (const size of sizes) {
          const c = Buffer.alloc(size);
          for (let i = 0; i < size; i += 97) c[i] = n++ & 0xff;
          written.push(c);
          spool.write(c);
        }
        await spool.end();
        const all = Buffer.concat(written);
        const offset = seed % (all.length + 1);
        const body = spool.body();
        const ok =
          body.size === all.length &&
          (await body.bytes()).equals(all) &&
          (await collect(spool.read(offset))).equals(all.subarray(offset)) &&
          // Never more than memoryBytes in memory (a block's unused end counts, so it may spill earlier).
          (spool.location === 'file' || all.length <= memoryBytes);
        await spool.dispose();
        return ok;
      }),
      { numRuns: 40 },
    );
    expect(dir.files()).toEqual([]);
  });

  it('a body written a row at a time is held in a few blocks, not a Buffer per row', async () => {
    const spool = new Spool({ memoryBytes: 1 << 24, maxBytes: 1 << 24, tempDir: dir.path });
    const row = Buffer.from('10442,Ada Lovelace,ada@example.com,4111 1111 1111 1111\n');
    const rows = 20_000;
    for (let i = 0; i < rows; i++) spool.write(row);
    await spool.end();
    const parts: Buffer[] = [];
    for await (const p of spool.read(0)) parts.push(p);
    expect(Buffer.concat(parts).equals(Buffer.concat(Array.from({ length: rows }, () => row)))).toBe(true);
    // 1.1 MB in blocks of 1, 2, 4 … 32 and then 64 KiB: about 22 parts (one per row before).
    expect(parts.length).toBeLessThanOrEqual(6 + Math.ceil((rows * row.length) / (60 * 1024)));
    await spool.dispose();
  });
});

describe('Spool with a shared memory pool', () => {
  it('concurrent captures spill early once the pool is used up, and give their memory back', async () => {
    // Chunks of 16 KiB and more are kept as they are, and charged exactly.
    const K = 1000;
    const pool = new MemoryPool(100 * K);
    const a = new Spool({ memoryBytes: 80 * K, maxBytes: 1 << 24, tempDir: dir.path, memoryPool: pool });
    const b = new Spool({ memoryBytes: 80 * K, maxBytes: 1 << 24, tempDir: dir.path, memoryPool: pool });
    a.write(Buffer.alloc(70 * K, 'a'));
    expect(pool.inUse).toBe(70 * K);
    // b's own limit would keep 40 K in memory, but the pool has only 30 K left.
    b.write(Buffer.alloc(40 * K, 'b'));
    expect(b.location).toBe('file');
    expect(a.location).toBe('memory');
    expect(pool.inUse).toBe(70 * K);
    // a spills past its own limit: its 70 K go back to the pool.
    a.write(Buffer.alloc(20 * K, 'a'));
    expect(a.location).toBe('file');
    expect(pool.inUse).toBe(0);
    await Promise.all([a.end(), b.end()]);
    expect((await a.body().bytes()).toString()).toBe('a'.repeat(90 * K));
    expect((await b.body().bytes()).toString()).toBe('b'.repeat(40 * K));
    const c = new Spool({ memoryBytes: 80 * K, maxBytes: 1 << 24, tempDir: dir.path, memoryPool: pool });
    c.write(Buffer.alloc(50 * K, 'c'));
    expect(c.location).toBe('memory');
    expect(pool.inUse).toBe(50 * K);
    await c.end();
    await Promise.all([a.dispose(), b.dispose(), c.dispose()]);
    expect(pool.inUse).toBe(0);
    expect(dir.files()).toEqual([]);
  });

  it('small chunks are charged for the block that holds them: a tiny body takes a small block, never past memoryBytes', async () => {
    const pool = new MemoryPool(1 << 20);
    const tiny = new Spool({ memoryBytes: 1 << 20, maxBytes: 1 << 20, tempDir: dir.path, memoryPool: pool });
    tiny.write(Buffer.from('id,name\n'));
    expect(pool.inUse).toBe(1024);
    // Alternating 1-byte and 16 KiB writes share the same block instead of taking one each.
    for (let i = 0; i < 20; i++) {
      tiny.write(Buffer.from('x'));
      tiny.write(Buffer.alloc(16 * 1024, 'y'));
    }
    expect(pool.inUse).toBe(1024 + 20 * 16 * 1024);
    const capped = new Spool({ memoryBytes: 1000, maxBytes: 1 << 20, tempDir: dir.path, memoryPool: pool });
    capped.write(Buffer.from('a'));
    expect(pool.inUse).toBe(1024 + 20 * 16 * 1024 + 1000);
    await Promise.all([tiny.end(), capped.end()]);
    expect(tiny.location).toBe('memory');
    expect((await tiny.body().bytes()).toString()).toBe(`id,name\n${('x' + 'y'.repeat(16 * 1024)).repeat(20)}`);
    await Promise.all([tiny.dispose(), capped.dispose()]);
    expect(pool.inUse).toBe(0);
  });


  it('property: whatever the interleaving, the pool never exceeds its limit, every body is intact and all memory comes back', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2000 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 600 })), { minLength: 1, maxLength: 30 }),
        async (limit, writes) => {
          const pool = new MemoryPool(limit);
          const spools = Array.from({ length: 4 }, () => new Spool({ memoryBytes: 900, maxBytes: 1 << 20, tempDir: dir.path, memoryPool: pool }));
          const expected = spools.map(() => [] as Buffer[]);
          for (const [k, n] of writes) {
            const chunk = Buffer.alloc(n, 97 + k);
            spools[k]!.write(chunk);
            expected[k]!.push(chunk);
            expect(pool.inUse).toBeLessThanOrEqual(limit);
          }
          await Promise.all(spools.map((s) => s.end()));
          for (let k = 0; k < spools.length; k++) expect((await spools[k]!.body().bytes()).equals(Buffer.concat(expected[k]!))).toBe(true);
          await Promise.all(spools.map((s) => s.dispose()));
          expect(pool.inUse).toBe(0);
        },
      ),
      { numRuns: 40 },
    );
    expect(dir.files()).toEqual([]);
  });
});

describe('Spool with a shared temp-file budget', () => {
  it('takes what goes to disk (memory included, at the spill), refuses a chunk that does not fit without accepting it, gives it back on dispose', async () => {
    const disk = new MemoryPool(100_000);
    const a = new Spool({ memoryBytes: 10_000, maxBytes: 1 << 24, tempDir: dir.path, diskPool: disk });
    a.write(Buffer.alloc(8_000, 'a'));
    expect(disk.inUse).toBe(0);
    a.write(Buffer.alloc(30_000, 'a')); // spills: 8,000 from memory + 30,000
    expect(a.location).toBe('file');
    expect(disk.inUse).toBe(38_000);
    const b = new Spool({ memoryBytes: 0, maxBytes: 1 << 24, tempDir: dir.path, diskPool: disk });
    b.write(Buffer.alloc(50_000, 'b'));
    expect(disk.inUse).toBe(88_000);
    let error: LabelgateError | undefined;
    try {
      b.write(Buffer.alloc(20_000, 'b'));
    } catch (err) {
      if (isLabelgateError(err)) error = err;
    }
    expect(error).toMatchObject({ code: 'SIZE_LIMIT', detail: { totalDiskBytes: 100_000 } });
    expect(b.size).toBe(50_000);
    expect(disk.inUse).toBe(88_000);
    await Promise.all([a.end(), b.end()]);
    expect((await a.body().bytes()).equals(Buffer.alloc(38_000, 'a'))).toBe(true);
    expect((await b.body().bytes()).equals(Buffer.alloc(50_000, 'b'))).toBe(true);
    await Promise.all([a.dispose(), b.dispose()]);
    expect(disk.inUse).toBe(0);
    expect(dir.files()).toEqual([]);
  });
});

describe('Spool: a scan whose worker went away', () => {
  /** A capture scanner that fails the way a scan does when its worker thread dies or is stopped. */
  function failingScanner(err: Error): CaptureScanner {
    return { write() {}, end: () => Promise.reject(err), resultsSoFar: () => Promise.reject(err), backlog: () => 0, onceDrained: (l) => process.nextTick(l), dispose() {} };
  }

  it('has no results (the pipeline classifies the complete body inline) instead of failing the download', async () => {
    const spool = new Spool({ memoryBytes: 1024, maxBytes: 4096, tempDir: dir.path, scanner: failingScanner(workerLost('the scan worker exited with code 1')) });
    spool.write(Buffer.from('card\n4111 1111 1111 1111\n'));
    await spool.end();
    expect(spool.classificationResults()).toBeUndefined();
    await spool.dispose();
  });

  it('other scanner failures still fail (CLASSIFY_FAILED, the cause kept out of the message)', async () => {
    const spool = new Spool({ memoryBytes: 1024, maxBytes: 4096, tempDir: dir.path, scanner: failingScanner(new Error('boom 4111111111111111')) });
    spool.write(Buffer.from('x'));
    await spool.end();
    let error: unknown;
    try {
      spool.classificationResults();
    } catch (err) {
      error = err;
    }
    expect(isLabelgateError(error) && error.code).toBe('CLASSIFY_FAILED');
    expect((error as Error).message).not.toContain('4111');
    await spool.dispose();
  });
});
