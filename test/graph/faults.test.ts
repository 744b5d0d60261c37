/**
 * Faults between labelgate and Graph: for each, what the caller of the labeler receives and what
 * the engine's log says. Time limits are short (150-300 ms) so no test waits more than ~1 s.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SIT } from '../../src/classify/type-ids.js';
import { createLabeler, type Labeler } from '../../src/labeler.js';
import type { GraphOptions } from '../../src/graph/options.js';
import type { ContentInfo } from '../../src/graph-types.js';
import { GraphEmulator, READ_ALL } from '../graph-emulator/server.js';
import { USERS } from '../graph-emulator/tenant.js';
import { memoryLogger, staticCredential, WARN, type LogRecord } from './helpers.js';

const doc: ContentInfo = { contentFormat: 'file', identifier: 'payroll-2026.csv', metadata: [], state: 'rest' };
const cards = [{ sensitiveTypeId: SIT.creditCard, count: 3, confidenceLevel: 85 }];

let emulator: GraphEmulator;
let log: ReturnType<typeof memoryLogger>;

beforeEach(async () => {
  emulator = await GraphEmulator.start({ tokens: { 'app-token': [READ_ALL], 'token-without-role': ['User.Read.All'] } });
  log = memoryLogger();
});
afterEach(async () => {
  // Whatever happened, the log never carries document content or metadata values.
  expect(log.text()).not.toContain('payroll');
  await emulator.close();
});

function labeler(options: Partial<GraphOptions> = {}): Labeler {
  return createLabeler({
    graph: {
      credential: staticCredential('app-token'),
      baseUrl: emulator.baseUrl,
      timeoutMs: 150,
      retry: { maxRetries: 2, maxWaitMs: 1_000 },
      logger: log.logger,
      ...options,
    },
  });
}

const events = (name: string): LogRecord[] => log.records.filter((r) => r.event === name);

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string; detail: Record<string, unknown>; ms: number }> {
  const start = performance.now();
  try {
    await promise;
  } catch (err) {
    const e = err as { code: string; message: string; detail: Record<string, unknown> };
    return { code: e.code, message: e.message, detail: e.detail, ms: performance.now() - start };
  }
  throw new Error('expected the call to fail');
}

describe('timeouts', () => {
  it('a Graph that does not answer in time: retried, then GRAPH_UNAVAILABLE', async () => {
    emulator.inject({ kind: 'latency', ms: 600 }, { endpoint: 'labelPolicySettings', times: 3 });
    const f = await failure(labeler().evaluateClassificationResults(doc, cards));
    expect(f.code).toBe('GRAPH_UNAVAILABLE');
    expect(f.message).toBe('Microsoft Graph did not answer labelPolicySettings within 150 ms (3 attempts)');
    // 3 × 150 ms plus two backoffs (~200 ms, ~400 ms): bounded, whatever the load.
    expect(f.ms).toBeLessThan(2_500);
    expect(emulator.calls('labelPolicySettings')).toBe(3);
    expect(events('graph.retry').map((r) => [r.level, r.endpoint, r.failure])).toEqual([
      [WARN, 'labelPolicySettings', 'timeout'],
      [WARN, 'labelPolicySettings', 'timeout'],
    ]);
    expect(events('graph.failed')).toMatchObject([{ level: WARN, endpoint: 'labelPolicySettings', code: 'GRAPH_UNAVAILABLE', attempts: 3 }]);
  });

  it('a slow Graph within the timeout is just slow', async () => {
    emulator.inject({ kind: 'latency', ms: 60 }, { times: 10 });
    expect(await labeler().evaluateClassificationResults(doc, cards)).toHaveLength(1);
    expect(events('graph.retry')).toHaveLength(0);
  });

  it('a credential that never answers: GRAPH_UNAVAILABLE naming the authority, nothing sent to Graph', async () => {
    const hanging = { getToken: () => new Promise<never>(() => {}) };
    const f = await failure(labeler({ credential: hanging, cloud: 'usgovL4' }).listLabels());
    expect(f.code).toBe('GRAPH_UNAVAILABLE');
    expect(f.message).toBe(
      'the credential did not produce an access token for Microsoft Graph within 150 ms (is https://login.microsoftonline.us reachable?)',
    );
    expect(emulator.calls()).toBe(0);
  });
});

describe('throttling and server errors', () => {
  it('429 with Retry-After: 1 → waits that second, then succeeds', async () => {
    emulator.inject({ kind: 'status', status: 429, retryAfter: '1' }, { endpoint: 'evaluateClassificationResults' });
    const l = labeler({ retry: { maxRetries: 2, maxWaitMs: 2_000 } });
    await l.listLabels();
    const start = performance.now();
    expect(await l.evaluateClassificationResults(doc, cards)).toHaveLength(1);
    expect(performance.now() - start).toBeGreaterThanOrEqual(990);
    expect(emulator.calls('evaluateClassificationResults')).toBe(2);
    expect(events('graph.retry')).toMatchObject([{ level: WARN, endpoint: 'evaluateClassificationResults', status: 429, delayMs: 1000 }]);
  });

  it('429 with a Retry-After beyond the budget → fails at once, and no call goes out until then', async () => {
    emulator.inject({ kind: 'status', status: 429, retryAfter: '30' }, { endpoint: 'evaluateClassificationResults' });
    const l = labeler();
    await l.listLabels();
    const f = await failure(l.evaluateClassificationResults(doc, cards));
    expect(f.code).toBe('GRAPH_UNAVAILABLE');
    expect(f.message).toBe(
      'Microsoft Graph is throttling requests for evaluateClassificationResults: TooManyRequests: Injected fault.; Graph asked to retry after 30 s, beyond the retry budget (1 s left)',
    );
    expect(f.ms).toBeLessThan(500);
    expect(f.detail).toMatchObject({ status: 429, retryAfterMs: 30_000 });
    expect(events('graph.circuit')).toMatchObject([{ level: WARN, state: 'open', pauseMs: 30_000, retryAfter: true }]);
    // Graph asked everybody to stay away: the next evaluation fails without a request.
    const calls = emulator.calls();
    const next = await failure(l.evaluateClassificationResults({ ...doc, identifier: 'other.csv' }, [{ ...cards[0]!, count: 9 }]));
    expect(next.code).toBe('GRAPH_UNAVAILABLE');
    expect(next.message).toMatch(/^Microsoft Graph is unavailable: calls are paused for another (29|30) s after repeated failures or throttling \(circuit breaker open\)$/);
    expect(emulator.calls()).toBe(calls);
  });

  it('503 twice, then an answer: retried with backoff', async () => {
    emulator.inject({ kind: 'status', status: 503 }, { endpoint: 'evaluateClassificationResults', times: 2 });
    const l = labeler();
    await l.listLabels();
    expect(await l.evaluateClassificationResults(doc, cards)).toHaveLength(1);
    expect(emulator.calls('evaluateClassificationResults')).toBe(3);
    expect(events('graph.retry').map((r) => r.status)).toEqual([503, 503]);
  });

  it('504 on every attempt → GRAPH_UNAVAILABLE after 1 + maxRetries attempts', async () => {
    emulator.inject({ kind: 'status', status: 504, code: 'GatewayTimeout' }, { endpoint: 'sensitivityLabels', times: 10 });
    const f = await failure(labeler().listLabels());
    expect(f.code).toBe('GRAPH_UNAVAILABLE');
    expect(f.message).toBe('Microsoft Graph is failing (HTTP 504) for sensitivityLabels: GatewayTimeout: Injected fault. (3 attempts)');
    expect(emulator.calls('sensitivityLabels')).toBe(3);
  });

  it('500 is not retried', async () => {
    emulator.inject({ kind: 'status', status: 500, code: 'UnknownError', message: 'Something went wrong.' }, { endpoint: 'labelPolicySettings' });
    const f = await failure(labeler().policySettings());
    expect(f).toMatchObject({ code: 'GRAPH_UNAVAILABLE', message: 'Microsoft Graph is failing (HTTP 500) for labelPolicySettings: UnknownError: Something went wrong.' });
    expect(emulator.calls('labelPolicySettings')).toBe(1);
    expect(events('graph.retry')).toHaveLength(0);
  });
});

describe('authorization', () => {
  it('401: the token was rejected', async () => {
    const f = await failure(labeler({ credential: staticCredential('expired-or-foreign-token') }).listLabels());
    expect(f.code).toBe('GRAPH_AUTH');
    expect(f.message).toMatch(/^Microsoft Graph rejected the access token for (sensitivityLabels|labelPolicySettings) \(401: InvalidAuthenticationToken: Access token validation failure\. Invalid audience\.\)\. Check that the credential is for the right tenant and national cloud/);
    expect(events('graph.retry')).toHaveLength(0);
  });

  it('403: says which permission to grant', async () => {
    const f = await failure(labeler({ credential: staticCredential('token-without-role') }).evaluateClassificationResults(doc, cards));
    expect(f.code).toBe('GRAPH_AUTH');
    expect(f.message).toContain('(403: Authorization_RequestDenied: Missing role permissions on the request.');
    expect(f.message).toContain(
      'Grant the app the Microsoft Graph application permission InformationProtectionPolicy.Read.All and give admin consent (with a delegated, signed-in-user token: InformationProtectionPolicy.Read)',
    );
    expect(events('graph.failed')[0]).toMatchObject({ code: 'GRAPH_AUTH', status: 403 });
  });

  it('a credential that fails: GRAPH_AUTH with its reason, nothing sent to Graph', async () => {
    const failing = {
      async getToken(): Promise<never> {
        throw new Error('AADSTS7000215: Invalid client secret provided.');
      },
    };
    const f = await failure(labeler({ credential: failing }).listLabels());
    expect(f.code).toBe('GRAPH_AUTH');
    expect(f.message).toMatch(/^could not get an access token for Microsoft Graph from the configured credential: AADSTS7000215: Invalid client secret provided\. Check the tenant id/);
    expect(emulator.calls()).toBe(0);
  });

  it('a credential that cannot reach Entra ID: GRAPH_UNAVAILABLE, not an authorization problem', async () => {
    const offline = {
      async getToken(): Promise<never> {
        throw Object.assign(new Error('network_error: Network request failed'), { code: 'ENOTFOUND' });
      },
    };
    const f = await failure(labeler({ credential: offline, cloud: 'china' }).listLabels());
    expect(f.code).toBe('GRAPH_UNAVAILABLE');
    expect(f.message).toBe(
      'the credential could not reach Microsoft Entra ID for an access token (https://login.chinacloudapi.cn): network_error: Network request failed',
    );
  });

  it('an unknown user (per-user policies) is a clear GRAPH_RESPONSE', async () => {
    const f = await failure(labeler({ user: true }).listLabels({ user: 'nobody@contoso.example' }));
    expect(f.code).toBe('GRAPH_RESPONSE');
    expect(f.message).toMatch(
      /^Microsoft Graph refused (sensitivityLabels|labelPolicySettings) \(HTTP 404: Request_ResourceNotFound: Resource '<user>' does not exist/,
    );
    // Neither the error nor the log repeats the user name Graph quoted.
    expect(f.message).not.toContain('nobody');
    expect(log.text()).not.toContain('nobody');
    expect(events('graph.failed')[0]).toMatchObject({ status: 404, graphCode: 'Request_ResourceNotFound', msg: expect.stringMatching(/^Graph \w+ failed: GRAPH_RESPONSE$/) });
    expect((await labeler({ user: true }).listLabels({ user: USERS.finance })).length).toBe(7);
  });
});

describe('broken answers and connections', () => {
  it('malformed JSON → GRAPH_RESPONSE, not retried', async () => {
    emulator.inject({ kind: 'malformed' }, { endpoint: 'evaluateClassificationResults' });
    const l = labeler();
    await l.listLabels();
    const f = await failure(l.evaluateClassificationResults(doc, cards));
    expect(f).toMatchObject({ code: 'GRAPH_RESPONSE', message: 'Microsoft Graph answered evaluateClassificationResults with malformed JSON' });
    expect(emulator.calls('evaluateClassificationResults')).toBe(1);
    expect(events('graph.failed')).toMatchObject([{ code: 'GRAPH_RESPONSE', failure: 'malformed' }]);
  });

  it('JSON of the wrong shape → GRAPH_RESPONSE naming the path', async () => {
    emulator.inject(
      { kind: 'wrongShape', body: { value: [{ '@odata.type': '#microsoft.graph.security.metadataAction', metadataToAdd: [] }] } },
      { endpoint: 'evaluateClassificationResults' },
    );
    const l = labeler();
    await l.listLabels();
    const f = await failure(l.evaluateClassificationResults(doc, cards));
    expect(f).toMatchObject({
      code: 'GRAPH_RESPONSE',
      message: 'Microsoft Graph answered evaluateClassificationResults with an unexpected response: value[0].metadataToRemove: expected a list of strings',
    });
  });

  it('an action type this version does not know is passed through, not dropped', async () => {
    const future = { '@odata.type': '#microsoft.graph.security.addQrCodeAction', payloadUrl: 'https://contoso.example/verify', size: 3 };
    const known = { '@odata.type': '#microsoft.graph.security.protectDoNotForwardAction' };
    emulator.inject({ kind: 'wrongShape', body: { value: [known, future] } }, { endpoint: 'evaluateClassificationResults' });
    const l = labeler();
    expect(await l.evaluateClassificationResults(doc, cards)).toEqual([known, future]);
  });

  it('a connection dropped before the answer is retried', async () => {
    emulator.inject({ kind: 'drop' }, { endpoint: 'evaluateClassificationResults' });
    const l = labeler();
    await l.listLabels();
    expect(await l.evaluateClassificationResults(doc, cards)).toHaveLength(1);
    expect(emulator.requests.filter((r) => r.endpoint === 'evaluateClassificationResults').map((r) => r.status)).toEqual(['dropped', 200]);
    expect(events('graph.retry')).toMatchObject([{ endpoint: 'evaluateClassificationResults', failure: 'network' }]);
  });

  it('a connection cut in the middle of the body is retried', async () => {
    emulator.inject({ kind: 'cut' }, { endpoint: 'sensitivityLabels' });
    expect(await labeler().listLabels()).toHaveLength(7);
    expect(emulator.requests.filter((r) => r.endpoint === 'sensitivityLabels').map((r) => r.status)).toEqual(['dropped', 200]);
  });

  it('connections dropped every time → GRAPH_UNAVAILABLE', async () => {
    emulator.inject({ kind: 'drop' }, { times: 100 });
    const f = await failure(labeler().listLabels());
    expect(f.code).toBe('GRAPH_UNAVAILABLE');
    expect(f.message).toMatch(/^the connection to Microsoft Graph failed during (sensitivityLabels|labelPolicySettings) \(refused, reset or cut off\) \(3 attempts\)$/);
  });

  it('an @odata.nextLink to another host is refused: the token never leaves the Graph root', async () => {
    emulator.inject(
      { kind: 'wrongShape', body: { value: [], '@odata.nextLink': 'https://evil.example/beta/security/informationProtection/sensitivityLabels?$skiptoken=1' } },
      { endpoint: 'sensitivityLabels' },
    );
    const f = await failure(labeler().listLabels());
    expect(f.code).toBe('GRAPH_RESPONSE');
    expect(f.message).toBe(`Microsoft Graph returned an @odata.nextLink for sensitivityLabels outside ${emulator.baseUrl}/beta/`);
  });
});

describe('circuit breaker', () => {
  it('opens after repeated failures, fails fast while open, closes after a successful trial call', async () => {
    const l = labeler({ retry: { maxRetries: 0 }, circuitBreaker: { failureThreshold: 2, cooldownMs: 300 } });
    await l.listLabels();
    emulator.inject({ kind: 'status', status: 500 }, { endpoint: 'evaluateClassificationResults', times: 2 });
    for (const count of [5, 6]) {
      expect((await failure(l.evaluateClassificationResults(doc, [{ ...cards[0]!, count }]))).code).toBe('GRAPH_UNAVAILABLE');
    }
    expect(events('graph.circuit')).toMatchObject([{ level: WARN, state: 'open', consecutiveFailures: 2, pauseMs: 300 }]);
    const calls = emulator.calls();
    const fast = await failure(l.evaluateClassificationResults(doc, [{ ...cards[0]!, count: 7 }]));
    expect(fast.code).toBe('GRAPH_UNAVAILABLE');
    expect(fast.message).toContain('(circuit breaker open)');
    expect(fast.ms).toBeLessThan(100);
    expect(emulator.calls()).toBe(calls);
    // A cached answer still works while the circuit is open.
    expect(await l.listLabels()).toHaveLength(7);

    await new Promise((r) => setTimeout(r, 350));
    expect(await l.evaluateClassificationResults(doc, [{ ...cards[0]!, count: 8 }])).toHaveLength(1);
    expect(events('graph.circuit').map((r) => r.state)).toEqual(['open', 'half-open', 'closed']);
  });

  it('authorization errors do not open it (Graph answered)', async () => {
    const l = labeler({ credential: staticCredential('token-without-role'), retry: { maxRetries: 0 }, circuitBreaker: { failureThreshold: 1, cooldownMs: 10_000 } });
    for (let i = 0; i < 3; i++) expect((await failure(l.listLabels())).code).toBe('GRAPH_AUTH');
    expect(events('graph.circuit')).toHaveLength(0);
  });
});

describe('the caller gives up', () => {
  it('an aborted download stops waiting at once (ABORTED) and leaves the circuit alone', async () => {
    emulator.inject({ kind: 'latency', ms: 400 }, { times: 5 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const f = await failure(labeler({ timeoutMs: 1_000 }).listLabels({ signal: controller.signal }));
    expect(f.code).toBe('ABORTED');
    expect(f.ms).toBeLessThan(200);
    expect(events('graph.failed')).toHaveLength(0);
  });
});
