/**
 * MemoryPool.reserve: whole-body labeling (PDF, Office) takes turns within a byte budget. First
 * come, first served; a request larger than the pool runs alone; waiting ends with the client
 * (ABORTED) or after a timeout (SIZE_LIMIT); the queue always moves.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryPool } from '../../src/http/memory-pool.js';
import { isLabelgateError } from '../../src/index.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('MemoryPool.reserve', () => {
  it('grants at once when the bytes are free, and gives them back once', async () => {
    const pool = new MemoryPool(100);
    const release = await pool.reserve(60, undefined, 1000);
    expect(pool.inUse).toBe(60);
    release();
    release();
    expect(pool.inUse).toBe(0);
  });

  it('first come, first served: a small request does not overtake a large one waiting', async () => {
    const pool = new MemoryPool(100);
    const first = await pool.reserve(70, undefined, 1000);
    const order: string[] = [];
    const large = pool.reserve(80, undefined, 1000).then((r) => (order.push('large'), r));
    const small = pool.reserve(10, undefined, 1000).then((r) => (order.push('small'), r));
    await tick();
    expect(order).toEqual([]);
    // Captures (tryTake) do not take what a waiter waits for either.
    expect(pool.tryTake(1)).toBe(false);
    first();
    const releaseLarge = await large;
    await small;
    expect(order).toEqual(['large', 'small']);
    expect(pool.inUse).toBe(90);
    releaseLarge();
  });

  it('a request larger than the pool runs alone', async () => {
    const pool = new MemoryPool(100);
    const a = await pool.reserve(30, undefined, 1000);
    let granted = false;
    const big = pool.reserve(500, undefined, 1000).then((r) => ((granted = true), r));
    await tick();
    expect(granted).toBe(false);
    a();
    const release = await big;
    expect(pool.inUse).toBe(500);
    expect(pool.tryTake(1)).toBe(false);
    release();
    expect(pool.inUse).toBe(0);
  });

  it('an aborted wait leaves the queue (ABORTED), and the next in line moves up', async () => {
    const pool = new MemoryPool(100);
    const a = await pool.reserve(90, undefined, 1000);
    const controller = new AbortController();
    const leaving = pool.reserve(50, controller.signal, 1000);
    const after = pool.reserve(10, undefined, 1000);
    controller.abort();
    await expect(leaving).rejects.toMatchObject({ code: 'ABORTED' });
    // 90 + 10 fits: the waiter behind the one that left is served at once.
    const r = await after;
    expect(pool.inUse).toBe(100);
    expect(pool.waiting).toBe(0);
    r();
    a();
  });

  it('a wait that outlasts the timeout fails with SIZE_LIMIT', async () => {
    const pool = new MemoryPool(100);
    const a = await pool.reserve(90, undefined, 1000);
    const err = await pool.reserve(50, undefined, 20).catch((e: unknown) => e);
    expect(isLabelgateError(err) && err.code).toBe('SIZE_LIMIT');
    expect(pool.waiting).toBe(0);
    a();
    expect(pool.inUse).toBe(0);
  });

  it('property: every reservation is granted once those before it release, and the pool never holds more than its limit or one oversized request', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 250 }), { minLength: 1, maxLength: 25 }), fc.integer({ min: 1, max: 200 }), async (sizes, limit) => {
        const pool = new MemoryPool(limit);
        const held = new Set<number>();
        let peakOk = true;
        const done = sizes.map(async (n, i) => {
          const release = await pool.reserve(n, undefined, 5000);
          held.add(i);
          const total = [...held].reduce((s, k) => s + sizes[k]!, 0);
          if (!(total <= limit || held.size === 1)) peakOk = false;
          await tick();
          held.delete(i);
          release();
        });
        await Promise.all(done);
        expect(peakOk).toBe(true);
        expect(pool.inUse).toBe(0);
        expect(pool.waiting).toBe(0);
      }),
      { numRuns: 100 },
    );
  });
});
