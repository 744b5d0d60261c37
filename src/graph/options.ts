/**
 * `createLabeler({ graph: GraphOptions })`: the options of the Microsoft Graph engine, checked once
 * at start-up so that a typo fails `createLabeler`, not the first download.
 */
import { LabelgateError } from '../errors.js';
import type { EvaluationContext } from '../evaluate/engine.js';
import { resolveCloud, type GraphCloud, type GraphCloudName } from './clouds.js';
import { credentialTenantId, validateCredentialOption, type GraphCredentialOption } from './credential.js';
import { normalizeGuid } from '../evaluate/msip.js';
import { SILENT_LOGGER, type GraphLogger } from './logger.js';
import type { CircuitBreakerOptions } from './resilience.js';

/**
 * Maps the per-download user (what the HTTP layer passes as `EvaluationContext.user`) to the Graph
 * user whose label policy applies: a UPN or object id, or `undefined` for an app-only call.
 */
export type GraphUserResolver = (user: string | undefined, ctx: EvaluationContext) => string | undefined | Promise<string | undefined>;

export interface GraphCacheOptions {
  /** How long the label list and policy settings are used without asking Graph again. Default 5 min. */
  policyTtlMs?: number;
  /** After the TTL, how long the old policy is still served while it is refreshed in the background. Default 1 min. */
  staleWhileRevalidateMs?: number;
  /** How long an expired policy or evaluation may still be served when Graph is down. Default 24 h. */
  staleIfErrorMs?: number;
  /** How long an evaluation result is reused for the same inputs. Default 10 min; 0 turns evaluation caching off. */
  evaluationTtlMs?: number;
  /** Most cached evaluation results (least recently used go first). Default 10,000. */
  maxEvaluations?: number;
  /** Most cached per-user label policies. Default 1,000. */
  maxPolicies?: number;
}

export interface GraphRetryOptions {
  /** Further attempts after a 429/503/504, a timeout or a dropped connection. Default 2. */
  maxRetries?: number;
  /** Upper bound on the total time spent waiting between attempts of one call. Default 5 s. */
  maxWaitMs?: number;
}

export interface GraphOptions {
  /**
   * The app's `@azure/identity` credential (any object with `getToken`), or how to build one:
   * `{ kind: 'clientSecret' | 'clientCertificate' | 'managedIdentity' | 'default', ... }`.
   */
  credential: GraphCredentialOption;
  /** National cloud: `global` (default), `usgovL4` (GCC High), `usgovL5` (DoD), `china`. */
  cloud?: GraphCloudName | string;
  /**
   * Graph root to call instead of the cloud's host, without the API version (e.g. an emulator at
   * `https://127.0.0.1:8443`). Must be https: the Graph SDK sends the token over https only.
   */
  baseUrl?: string;
  /**
   * Evaluate with each downloader's label policy (`/users/{id}/security/informationProtection/…`).
   * `true`: use `EvaluationContext.user` as the Graph user id (UPN or object id); a function maps it.
   * Omitted: app-only calls with the organization's policy.
   */
  user?: true | GraphUserResolver;
  cache?: GraphCacheOptions;
  /** Timeout of one HTTP attempt (token, request and response body). Default 5,000 ms. */
  timeoutMs?: number;
  retry?: GraphRetryOptions;
  /** Stop calling a failing Graph for a while; `false` turns the breaker off. */
  circuitBreaker?: CircuitBreakerOptions | false;
  /** pino (or compatible) logger for retries, circuit changes and cache refreshes. Never receives content. */
  logger?: GraphLogger;
  /**
   * Your directory (tenant) id GUID. Only needed for a fail-safe label applied while Graph is
   * unreachable (it is the label metadata's `SiteId`), and only when labelgate cannot tell it
   * otherwise: from Graph's own answers, or from a credential description's `tenantId` GUID.
   */
  tenantId?: string;
}

export interface ResolvedGraphOptions {
  credential: GraphCredentialOption;
  cloud: GraphCloud;
  /** Graph root without a trailing slash. */
  baseUrl: string;
  /** Hostname to list in the SDK's `customHosts` when the base URL is not a Graph host. */
  customHost: string | undefined;
  user: GraphUserResolver | undefined;
  cache: Required<GraphCacheOptions>;
  timeoutMs: number;
  retry: Required<GraphRetryOptions>;
  circuitBreaker: Required<CircuitBreakerOptions> | false;
  logger: GraphLogger;
  /** From `graph.tenantId`, else the credential description's tenant GUID (lower case). */
  tenantId: string | undefined;
}

const KNOWN_OPTIONS = new Set(['credential', 'cloud', 'baseUrl', 'user', 'cache', 'timeoutMs', 'retry', 'circuitBreaker', 'logger', 'tenantId']);
/** The Graph SDK's own list of Graph hosts (it attaches tokens to these without customHosts). */
const SDK_GRAPH_HOSTS = new Set([
  'graph.microsoft.com',
  'graph.microsoft.us',
  'dod-graph.microsoft.us',
  'graph.microsoft.de',
  'microsoftgraph.chinacloudapi.cn',
  'canary.graph.microsoft.com',
]);

function fail(message: string): never {
  throw new LabelgateError('GRAPH_CONFIG', message);
}

function number(value: unknown, path: string, def: number, min: number, max: number): number {
  if (value === undefined) return def;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    fail(`${path}: expected a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function object(value: unknown, path: string, known: readonly string[]): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${path}: expected an object`);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) fail(`${path}.${key}: unknown option (known: ${known.join(', ')})`);
  }
  return value as Record<string, unknown>;
}

function resolveBaseUrl(value: unknown, cloud: GraphCloud): { baseUrl: string; customHost: string | undefined } {
  if (value === undefined) return { baseUrl: cloud.graphUrl, customHost: undefined };
  if (typeof value !== 'string') fail('graph.baseUrl: expected a URL string such as "https://graph.microsoft.com"');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(`graph.baseUrl: not a URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:') fail('graph.baseUrl: must use https (the Graph SDK only sends the access token over https)');
  if (url.username || url.password || url.search || url.hash) fail('graph.baseUrl: must not contain credentials, a query or a fragment');
  const path = url.pathname.replace(/\/+$/, '');
  if (/\/(?:v1\.0|beta)$/i.test(path)) fail('graph.baseUrl: leave the API version out (labelgate calls /beta itself)');
  const host = url.hostname.toLowerCase();
  return { baseUrl: `${url.origin}${path}`, customHost: SDK_GRAPH_HOSTS.has(host) ? undefined : host };
}

function resolveUser(value: unknown): GraphUserResolver | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return (user) => user;
  if (typeof value === 'function') return value as GraphUserResolver;
  return fail('graph.user: expected true (use the per-download user as the Graph user id) or a function (user, ctx) => id');
}

function isLogger(value: unknown): value is GraphLogger {
  const l = value as Partial<GraphLogger> | null;
  return typeof l === 'object' && l !== null && ['debug', 'info', 'warn', 'error'].every((m) => typeof (l as Record<string, unknown>)[m] === 'function');
}

export function resolveGraphOptions(input: unknown): ResolvedGraphOptions {
  const o = object(input, 'graph', [...KNOWN_OPTIONS]);
  if (o.credential === undefined) {
    fail('graph.credential is required: pass your TokenCredential (e.g. new DefaultAzureCredential()) or { kind: "clientSecret", tenantId, clientId, clientSecret }');
  }
  const cloud = resolveCloud(o.cloud as string | undefined);
  const cache = object(o.cache, 'graph.cache', [
    'policyTtlMs',
    'staleWhileRevalidateMs',
    'staleIfErrorMs',
    'evaluationTtlMs',
    'maxEvaluations',
    'maxPolicies',
  ]);
  const retry = object(o.retry, 'graph.retry', ['maxRetries', 'maxWaitMs']);
  const DAY = 86_400_000;
  let circuitBreaker: ResolvedGraphOptions['circuitBreaker'];
  if (o.circuitBreaker === false) circuitBreaker = false;
  else {
    const cb = object(o.circuitBreaker, 'graph.circuitBreaker', ['failureThreshold', 'cooldownMs']);
    circuitBreaker = {
      failureThreshold: Math.round(number(cb.failureThreshold, 'graph.circuitBreaker.failureThreshold', 5, 1, 1000)),
      cooldownMs: number(cb.cooldownMs, 'graph.circuitBreaker.cooldownMs', 30_000, 1, DAY),
    };
  }
  if (o.logger !== undefined && !isLogger(o.logger)) fail('graph.logger: expected a pino-compatible logger (debug, info, warn, error methods)');
  let tenantId: string | undefined;
  if (o.tenantId !== undefined) {
    tenantId = typeof o.tenantId === 'string' ? normalizeGuid(o.tenantId) : undefined;
    if (!tenantId) fail('graph.tenantId: expected your directory (tenant) id GUID (Microsoft Entra admin center → Overview → Tenant ID)');
  }
  const credential = validateCredentialOption(o.credential);
  return {
    credential,
    cloud,
    ...resolveBaseUrl(o.baseUrl, cloud),
    user: resolveUser(o.user),
    cache: {
      policyTtlMs: number(cache.policyTtlMs, 'graph.cache.policyTtlMs', 5 * 60_000, 0, DAY),
      staleWhileRevalidateMs: number(cache.staleWhileRevalidateMs, 'graph.cache.staleWhileRevalidateMs', 60_000, 0, DAY),
      staleIfErrorMs: number(cache.staleIfErrorMs, 'graph.cache.staleIfErrorMs', DAY, 0, 7 * DAY),
      evaluationTtlMs: number(cache.evaluationTtlMs, 'graph.cache.evaluationTtlMs', 10 * 60_000, 0, DAY),
      maxEvaluations: Math.round(number(cache.maxEvaluations, 'graph.cache.maxEvaluations', 10_000, 1, 10_000_000)),
      maxPolicies: Math.round(number(cache.maxPolicies, 'graph.cache.maxPolicies', 1_000, 1, 1_000_000)),
    },
    timeoutMs: number(o.timeoutMs, 'graph.timeoutMs', 5_000, 1, 600_000),
    retry: {
      maxRetries: Math.round(number(retry.maxRetries, 'graph.retry.maxRetries', 2, 0, 10)),
      maxWaitMs: number(retry.maxWaitMs, 'graph.retry.maxWaitMs', 5_000, 0, 600_000),
    },
    circuitBreaker,
    logger: (o.logger as GraphLogger | undefined) ?? SILENT_LOGGER,
    tenantId: tenantId ?? credentialTenantId(credential),
  };
}

