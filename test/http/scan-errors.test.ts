/**
 * A LabelgateError raised by the scanner keeps its code on the way to the client and the audit
 * log, whether the body was scanned inline or in a worker thread (the built package): the worker
 * sends {code, message, detail} across and the capture's spool passes it on unchanged, instead of
 * a generic CLASSIFY_FAILED.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import request from 'supertest';
import type { CustomSensitiveType } from '../../src/policy/schema.js';
import { builtPackage, captureLogs, tempDir, testPolicy } from './helpers.js';

const built = builtPackage();
const express = built.expressLib;

const dir = tempDir();
afterAll(() => dir.cleanup());

/** Passes the pattern-safety check (about quadratic), but is slow on long digit runs: the time budget stops it. */
const SLOW_TYPE = { id: '0b5c7a8e-2222-4333-8444-555566667777', name: 'Slow digits', pattern: '\\d{1,64}\\d{1,64}x' };
const DIGITS = `n\n${'1'.repeat(4096)}\n`.repeat(300);

type Audit = { outcome: string; error?: { code: string; message: string } };

describe.each([
  ['in a worker thread', true],
  ['inline', false],
] as const)('scanning %s', (_name, scanInWorker) => {
  it('CLASSIFY_BUDGET reaches the problem response and the audit event', async () => {
    if (scanInWorker) expect(built.express.scanWorkersAvailable()).toBe(availableParallelism() > 1);
    const logs = captureLogs();
    const a = express();
    a.use(built.express.expressLabeling({ policy: testPolicy(), logger: logs.logger, tempDir: dir.path, scanInWorker }));
    a.get('/slow.csv', built.express.labelRoute({ customTypes: [SLOW_TYPE] }), (_req, res) => {
      res.type('csv').send(DIGITS);
    });
    const res = await request(a).get('/slow.csv');
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body).toMatchObject({ code: 'CLASSIFY_BUDGET' });
    const audit = logs.events()[0]!.labelgate as Audit;
    expect(audit.outcome).toBe('blocked');
    expect(audit.error).toMatchObject({ code: 'CLASSIFY_BUDGET', message: expect.stringMatching(/"Slow digits" .* exceeded its time budget/) });
    // Never content: not one run of the digits.
    expect(logs.text()).not.toMatch(/1{20}/);
  });

  it('a custom type the scanner rejects: INPUT_INVALID, not a generic classification failure', async () => {
    /** A custom engine (public `engine` option) whose custom types the scanner cannot compile. */
    class BrokenTypesEngine extends built.index.LocalEngine {
      override customTypes(): CustomSensitiveType[] {
        return [{ id: 'not-a-guid', name: 'Broken', pattern: 'X' } as CustomSensitiveType];
      }
    }
    const logs = captureLogs();
    const a = express();
    const labeler = built.index.createLabeler({ engine: new BrokenTypesEngine(built.index.loadPolicySync(testPolicy())) });
    a.use(built.express.expressLabeling({ labeler, logger: logs.logger, tempDir: dir.path, scanInWorker }));
    a.get('/r.csv', (_req, res) => {
      res.type('csv').send('a\n1\n');
    });
    const res = await request(a).get('/r.csv');
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ code: 'INPUT_INVALID' });
    expect((logs.events()[0]!.labelgate as Audit).error).toMatchObject({ code: 'INPUT_INVALID' });
  });
});
