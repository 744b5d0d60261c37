/**
 * The middleware on a Microsoft 365 tenant (the Graph emulator): the `graph` option passes through
 * to createLabeler, the downloading user reaches Graph (per-user policy), the audit event says where
 * each decision came from (graph, then cache), and a Graph outage goes to the fail mode.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import express from 'express';
import request from 'supertest';
import { expressLabeling } from '../../src/http/express.js';
import { GraphEmulator } from '../graph-emulator/server.js';
import { LABEL, USERS } from '../graph-emulator/tenant.js';
import { staticCredential } from '../graph/helpers.js';
import { captureLogs, parseSensitivityLabel, tempDir } from './helpers.js';

let emulator: GraphEmulator;
const dir = tempDir();
beforeEach(async () => {
  emulator = await GraphEmulator.start();
});
afterEach(() => emulator.close());

function app(options: Parameters<typeof expressLabeling>[0] = {}) {
  const logs = captureLogs();
  const a = express();
  const labeling = expressLabeling({
    graph: { credential: staticCredential(), baseUrl: emulator.baseUrl, user: true, timeoutMs: 1000, retry: { maxRetries: 1, maxWaitMs: 200 } },
    logger: logs.logger,
    tempDir: dir.path,
    user: (req) => req.headers['x-user'] as string | undefined,
    ...options,
  });
  a.use(labeling);
  a.get('/r/:n', (req, res) => {
    res.attachment(`report-${req.params.n}.csv`).send(`id,card\n${req.params.n},4111 1111 1111 1111\n`);
  });
  return { a, logs, labeling };
}

describe('Express on a Graph tenant', () => {
  it('labels with the tenant policy for the downloading user; later decisions come from the cache', async () => {
    const { a, logs, labeling } = app();
    try {
      const first = await request(a).get('/r/1').set('x-user', USERS.finance);
      expect(parseSensitivityLabel(first.headers['sensitivity-label'] as string)).toMatchObject({ id: LABEL.confidentialFinance, name: 'Confidential - Finance' });
      const second = await request(a).get('/r/2').set('x-user', USERS.finance);
      expect(parseSensitivityLabel(second.headers['sensitivity-label'] as string).id).toBe(LABEL.confidentialFinance);
      const events = logs.events().map((e) => e.labelgate as Record<string, unknown>);
      expect(events.map((e) => e.decisionSource)).toEqual(['graph', 'cache']);
      expect(events[0]).toMatchObject({ user: USERS.finance, labelName: 'Confidential - Finance' });
      expect(emulator.requests.filter((r) => r.endpoint === 'evaluateClassificationResults').map((r) => r.user)).toEqual([USERS.finance]);
    } finally {
      await labeling.labeler.close();
    }
  });

  it('a Graph outage fails closed (503 problem, no bytes)', async () => {
    const { a, logs, labeling } = app();
    try {
      emulator.inject({ kind: 'status', status: 503 }, { times: 50 });
      const res = await request(a).get('/r/3').set('x-user', USERS.finance);
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ code: 'GRAPH_UNAVAILABLE' });
      expect(res.text).not.toContain('4111');
      expect(logs.events()[0]!.labelgate).toMatchObject({ outcome: 'blocked', error: { code: 'GRAPH_UNAVAILABLE' } });
    } finally {
      await labeling.labeler.close();
    }
  });
});
