/**
 * Options of the Graph engine: start-up validation, national clouds (Graph host, authority host,
 * `.default` scope), credentials built with @azure/identity, and per-user routing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClientCertificateCredential,
  ClientSecretCredential,
  DefaultAzureCredential,
  ManagedIdentityCredential,
} from '@azure/identity';
import { createLabeler } from '../../src/labeler.js';
import { GRAPH_CLOUDS } from '../../src/graph/clouds.js';
import { identityOptions, resolveCredential } from '../../src/graph/credential.js';
import { resolveGraphOptions, type GraphOptions } from '../../src/graph/options.js';
import { GraphEmulator } from '../graph-emulator/server.js';
import { USERS } from '../graph-emulator/tenant.js';
import { engineFor, staticCredential } from './helpers.js';

const SECRET = 'n0t-a-real-s3cret~value';
const APP = { tenantId: 'contoso.onmicrosoft.com', clientId: '6731de76-14a6-49ae-97bc-6eba6914391e' };

function configError(graph: unknown): string {
  try {
    createLabeler({ graph: graph as GraphOptions });
  } catch (err) {
    expect(err).toMatchObject({ code: 'GRAPH_CONFIG' });
    return (err as Error).message;
  }
  throw new Error('expected GRAPH_CONFIG');
}

describe('validation at createLabeler time', () => {
  it.each([
    [{}, 'graph.credential is required: pass your TokenCredential (e.g. new DefaultAzureCredential()) or { kind: "clientSecret", tenantId, clientId, clientSecret }'],
    [{ credential: 'secret' }, 'graph.credential: expected a TokenCredential (e.g. new DefaultAzureCredential()) or { kind: "clientSecret" | "clientCertificate" | "managedIdentity" | "default", ... }'],
    [{ credential: { kind: 'password' } }, 'graph.credential: unknown kind "password"; use "clientSecret", "clientCertificate", "managedIdentity", "default", or pass a TokenCredential'],
    [{ credential: { kind: 'clientSecret', ...APP } }, 'graph.credential: clientSecret needs clientSecret'],
    [{ credential: { kind: 'clientSecret', ...APP, clientId: 'my-app', clientSecret: SECRET } }, 'graph.credential: clientId must be the application (client) id GUID'],
    [{ credential: { kind: 'clientCertificate', ...APP } }, 'graph.credential: clientCertificate needs exactly one of certificatePath or certificate (PEM)'],
    [{ credential: staticCredential(), cloud: 'mars' }, 'graph.cloud: unknown national cloud "mars"; use one of "global", "usgovL4", "usgovL5", "china"'],
    [{ credential: staticCredential(), baseUrl: 'http://127.0.0.1:8080' }, 'graph.baseUrl: must use https (the Graph SDK only sends the access token over https)'],
    [{ credential: staticCredential(), baseUrl: 'https://graph.microsoft.com/beta' }, 'graph.baseUrl: leave the API version out (labelgate calls /beta itself)'],
    [{ credential: staticCredential(), baseUrl: 'https://graph.example/?x=1' }, 'graph.baseUrl: must not contain credentials, a query or a fragment'],
    [{ credential: staticCredential(), baseUrl: 'graph.microsoft.com' }, 'graph.baseUrl: not a URL: "graph.microsoft.com"'],
    [{ credential: staticCredential(), timeout: 100 }, 'graph.timeout: unknown option (known: credential, cloud, baseUrl, user, cache, timeoutMs, retry, circuitBreaker, logger, tenantId)'],
    [{ credential: staticCredential(), timeoutMs: 0 }, 'graph.timeoutMs: expected a number from 1 to 600000, got 0'],
    [{ credential: staticCredential(), cache: { ttl: 5 } }, 'graph.cache.ttl: unknown option (known: policyTtlMs, staleWhileRevalidateMs, staleIfErrorMs, evaluationTtlMs, maxEvaluations, maxPolicies)'],
    [{ credential: staticCredential(), retry: { maxRetries: 50 } }, 'graph.retry.maxRetries: expected a number from 0 to 10, got 50'],
    [{ credential: staticCredential(), user: 'alice' }, 'graph.user: expected true (use the per-download user as the Graph user id) or a function (user, ctx) => id'],
    [{ credential: staticCredential(), logger: console.log }, 'graph.logger: expected a pino-compatible logger (debug, info, warn, error methods)'],
    [{ credential: staticCredential(), tenantId: 'contoso.onmicrosoft.com' }, 'graph.tenantId: expected your directory (tenant) id GUID (Microsoft Entra admin center → Overview → Tenant ID)'],
  ])('%j', (graph, message) => {
    const got = configError(graph);
    expect(got).toBe(message);
    expect(got).not.toContain(SECRET);
  });

  it('"policy" and "graph" together are refused', () => {
    expect(() => createLabeler({ policy: 'labels.yaml', graph: { credential: staticCredential() } })).toThrow(
      expect.objectContaining({ code: 'GRAPH_CONFIG', message: expect.stringContaining('give either "policy"') }),
    );
  });

  it('a valid configuration builds a Graph labeler without any network call', () => {
    const labeler = createLabeler({ graph: { credential: { kind: 'clientSecret', ...APP, clientSecret: SECRET }, cloud: 'GCC High' } });
    expect(labeler.kind).toBe('graph');
    expect(labeler.policy).toBeUndefined();
    expect(labeler.engine.customTypes()).toEqual([]);
  });
});

describe('national clouds', () => {
  it('the table matches Microsoft\'s national cloud deployments', () => {
    expect(Object.values(GRAPH_CLOUDS).map((c) => [c.name, c.graphUrl, c.authorityHost, c.scope])).toEqual([
      ['global', 'https://graph.microsoft.com', 'https://login.microsoftonline.com', 'https://graph.microsoft.com/.default'],
      ['usgovL4', 'https://graph.microsoft.us', 'https://login.microsoftonline.us', 'https://graph.microsoft.us/.default'],
      ['usgovL5', 'https://dod-graph.microsoft.us', 'https://login.microsoftonline.us', 'https://dod-graph.microsoft.us/.default'],
      ['china', 'https://microsoftgraph.chinacloudapi.cn', 'https://login.chinacloudapi.cn', 'https://microsoftgraph.chinacloudapi.cn/.default'],
    ]);
  });

  it.each([
    ['global', undefined, 'https://graph.microsoft.com'],
    ['usgovL4', 'gcc-high', 'https://graph.microsoft.us'],
    ['usgovL5', 'DoD', 'https://dod-graph.microsoft.us'],
    ['china', '21Vianet', 'https://microsoftgraph.chinacloudapi.cn'],
  ])('%s: Graph host, authority host and scope change together', (name, alias, graphUrl) => {
    const o = resolveGraphOptions({ credential: staticCredential(), cloud: alias ?? name });
    expect(o.cloud.name).toBe(name);
    expect(o.baseUrl).toBe(graphUrl);
    expect(o.customHost).toBeUndefined(); // a Graph host the SDK knows: no customHosts needed
    expect(identityOptions({ kind: 'clientSecret', ...APP, clientSecret: SECRET }, o.cloud)).toEqual({ authorityHost: o.cloud.authorityHost });
    expect(identityOptions({ kind: 'default', tenantId: APP.tenantId }, o.cloud)).toEqual({ authorityHost: o.cloud.authorityHost, tenantId: APP.tenantId });
  });

  it('a custom base URL keeps the cloud\'s token scope and is added to the SDK\'s customHosts', () => {
    const o = resolveGraphOptions({ credential: staticCredential(), cloud: 'usgovL5', baseUrl: 'https://graph-proxy.contoso.example:8443/' });
    expect(o.baseUrl).toBe('https://graph-proxy.contoso.example:8443');
    expect(o.customHost).toBe('graph-proxy.contoso.example');
    expect(o.cloud.scope).toBe('https://dod-graph.microsoft.us/.default');
  });

  it('the token is requested for the cloud\'s .default scope (seen by the app\'s credential)', async () => {
    const emulator = await GraphEmulator.start();
    try {
      const credential = staticCredential();
      await engineFor(emulator, { credential, cloud: 'china' }).listLabels();
      expect(credential.scopes.length).toBeGreaterThan(0);
      expect(new Set(credential.scopes.map((s) => s.join(' ')))).toEqual(new Set(['https://microsoftgraph.chinacloudapi.cn/.default']));
    } finally {
      await emulator.close();
    }
  });
});

describe('credentials built with @azure/identity', () => {
  it.each([
    [{ kind: 'clientSecret', ...APP, clientSecret: SECRET } as const, ClientSecretCredential],
    [{ kind: 'clientCertificate', ...APP, certificatePath: '/etc/labelgate/app.pem' } as const, ClientCertificateCredential],
    [{ kind: 'clientCertificate', ...APP, certificate: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' } as const, ClientCertificateCredential],
    [{ kind: 'managedIdentity' } as const, ManagedIdentityCredential],
    [{ kind: 'managedIdentity', clientId: APP.clientId } as const, ManagedIdentityCredential],
    [{ kind: 'default' } as const, DefaultAzureCredential],
  ])('%j', async (spec, type) => {
    expect(await resolveCredential(spec, GRAPH_CLOUDS.usgovL4)).toBeInstanceOf(type);
  });

  it('the app\'s own credential is used as it is', async () => {
    const own = staticCredential();
    expect(await resolveCredential(own, GRAPH_CLOUDS.global)).toBe(own);
  });
});

describe('per-user label policies', () => {
  let emulator: GraphEmulator;
  beforeAll(async () => {
    emulator = await GraphEmulator.start();
  });
  afterAll(() => emulator.close());

  it('user: true → /users/{id}/security/informationProtection/…; no user → app-only', async () => {
    const engine = engineFor(emulator, { user: true });
    await engine.listLabels({ user: USERS.finance });
    await engine.listLabels();
    expect(emulator.requests.map((r) => r.path.replace(/\?.*$/, '')).sort()).toEqual([
      '/beta/security/informationProtection/labelPolicySettings',
      '/beta/security/informationProtection/sensitivityLabels',
      '/beta/users/fiona%40contoso.example/security/informationProtection/labelPolicySettings',
      '/beta/users/fiona%40contoso.example/security/informationProtection/sensitivityLabels',
    ]);
  });

  it('a resolver maps the app\'s user to the Graph user, or to app-only', async () => {
    emulator.resetCounts();
    const directory: Record<string, string> = { 'emp-1001': USERS.restricted };
    const engine = engineFor(emulator, { user: (u) => (u ? directory[u] : undefined) });
    expect((await engine.listLabels({ user: 'emp-1001' })).value).toHaveLength(6);
    expect((await engine.listLabels({ user: 'contractor-7' })).value).toHaveLength(7);
    expect(emulator.requests.map((r) => r.user)).toEqual(expect.arrayContaining([USERS.restricted, undefined]));
  });

  it('a failing resolver or an unusable user id is a clear error, without a Graph call', async () => {
    emulator.resetCounts();
    const failing = engineFor(emulator, {
      user: (u) => {
        // Resolver errors often echo their input: that must not reach the error message (or the audit log).
        throw new Error(`no directory entry for ${String(u)}`);
      },
    });
    const err = await failing.listLabels({ user: 'alice.secret@example.com' }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toMatchObject({ code: 'GRAPH_CONFIG' });
    expect(err!.message).toMatch(/^graph\.user: the user resolver failed/);
    expect(err!.message).not.toContain('alice.secret');
    expect(String((err!.cause as Error).message)).toContain('alice.secret');
    await expect(engineFor(emulator, { user: true }).listLabels({ user: 'bad\nuser' })).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    expect(emulator.calls()).toBe(0);
  });

  it('close() drops the caches', async () => {
    emulator.resetCounts();
    const engine = engineFor(emulator);
    await engine.listLabels();
    await engine.listLabels();
    await engine.close();
    await engine.listLabels();
    expect(emulator.calls('labelPolicySettings')).toBe(2);
  });
});
