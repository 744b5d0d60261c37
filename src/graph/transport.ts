/**
 * One way to Microsoft Graph: the Graph SDK client (TokenCredentialAuthenticationProvider over a
 * TokenCredential, API version beta, `User-Agent: labelgate/<version>`) wrapped in labelgate's
 * fault handling — a timeout per attempt, retries of 429/503/504, timeouts and dropped
 * connections honouring Retry-After within a total wait budget, a circuit breaker, and strict
 * parsing of every answer. The SDK's own RetryHandler is left out of the middleware chain: it
 * sleeps in whole seconds, cannot be aborted and knows no total budget.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { VERSION } from '../version.js';
import { LabelgateError } from '../errors.js';
import { resolveCredential, type TokenCredential } from './credential.js';
import {
  classifySdkError,
  isOutage,
  isRetryable,
  toLabelgateError,
  TokenAcquisitionError,
  type Failure,
} from './failures.js';
import type { ResolvedGraphOptions } from './options.js';
import { backoffDelay, CircuitBreaker, sleep, abortedError } from './resilience.js';
import { loadGraphSdk, type GraphSdkClient } from './sdk.js';
import { ShapeError } from './shapes.js';

export const USER_AGENT = `labelgate/${VERSION}`;
const API_VERSION = 'beta';
const MAX_PAGES = 100;

export type GraphEndpoint =
  | 'sensitivityLabels'
  | 'labelPolicySettings'
  | 'evaluateApplication'
  | 'evaluateClassificationResults'
  | 'evaluateRemoval'
  | 'extractContentLabel';

export interface GraphCall<T> {
  endpoint: GraphEndpoint;
  /** Path below `/beta`, e.g. `/security/informationProtection/labelPolicySettings`. */
  path: string;
  /** POST body; GET when absent. */
  body?: unknown;
  /** Turns the parsed JSON into the result; throws ShapeError when the answer is not what Graph documents. */
  parse: (json: unknown) => T;
  signal?: AbortSignal | undefined;
}

type Attempt<T> = { ok: true; value: T } | { ok: false; failure: Failure };

/** Per attempt: is the SDK still waiting for the credential? (A timeout then means "no token", not "no Graph".) */
const attemptState = new AsyncLocalStorage<{ waitingForToken: boolean }>();

/** Wraps the app's credential so a failed or slow token request is told apart from a failed connection. */
function tokenErrorsMarked(credential: TokenCredential): TokenCredential {
  return {
    async getToken(scopes, options) {
      const state = attemptState.getStore();
      if (state) state.waitingForToken = true;
      try {
        return await credential.getToken(scopes, options);
      } catch (err) {
        throw new TokenAcquisitionError((err as Error)?.message ?? String(err), { cause: err });
      } finally {
        if (state) state.waitingForToken = false;
      }
    },
  };
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

export class GraphTransport {
  private client: Promise<GraphSdkClient> | undefined;
  private readonly breaker: CircuitBreaker | undefined;

  constructor(private readonly options: ResolvedGraphOptions) {
    this.breaker = options.circuitBreaker ? new CircuitBreaker(options.circuitBreaker, options.logger) : undefined;
  }

  /** The circuit breaker's state, for diagnostics. */
  get circuit(): 'closed' | 'open' | 'half-open' | 'disabled' {
    return this.breaker?.current ?? 'disabled';
  }

  private sdkClient(): Promise<GraphSdkClient> {
    this.client ??= this.createClient().catch((err: unknown) => {
      this.client = undefined;
      throw err;
    });
    return this.client;
  }

  private async createClient(): Promise<GraphSdkClient> {
    const [sdk, credential] = await Promise.all([loadGraphSdk(), resolveCredential(this.options.credential, this.options.cloud)]);
    const provider = new sdk.TokenCredentialAuthenticationProvider(tokenErrorsMarked(credential), { scopes: [this.options.cloud.scope] });
    // The SDK's default chain minus its RetryHandler (see the module comment).
    const auth = new sdk.AuthenticationHandler(provider);
    const redirect = new sdk.RedirectHandler();
    const telemetry = new sdk.TelemetryHandler();
    auth.setNext(redirect);
    redirect.setNext(telemetry);
    telemetry.setNext(new sdk.HTTPMessageHandler());
    return sdk.Client.initWithMiddleware({
      middleware: auth,
      baseUrl: this.options.baseUrl,
      defaultVersion: API_VERSION,
      ...(this.options.customHost ? { customHosts: new Set([this.options.customHost]) } : {}),
    });
  }

  /** One Graph call with timeout, retries and the circuit breaker. Throws LabelgateError. */
  async call<T>(call: GraphCall<T>): Promise<T> {
    const client = await this.sdkClient();
    if (call.signal?.aborted) throw abortedError();
    this.breaker?.admit(call.endpoint);
    const { maxRetries, maxWaitMs } = this.options.retry;
    let attempts = 0;
    let waited = 0;
    let failure: Failure;
    let stopReason: string | undefined;
    try {
      for (;;) {
        attempts += 1;
        const result = await this.attempt(client, call);
        if (result.ok) {
          this.breaker?.succeeded();
          return result.value;
        }
        failure = result.failure;
        if (!isRetryable(failure) || attempts > maxRetries) break;
        const delay = failure.retryAfterMs ?? backoffDelay(attempts - 1);
        if (waited + delay > maxWaitMs) {
          stopReason =
            failure.retryAfterMs !== undefined
              ? `Graph asked to retry after ${seconds(delay)}, beyond the retry budget (${seconds(maxWaitMs - waited)} left)`
              : 'the retry budget is used up';
          break;
        }
        this.options.logger.warn(
          { event: 'graph.retry', endpoint: call.endpoint, attempt: attempts, failure: failure.kind, status: failure.status, delayMs: delay },
          `Graph ${call.endpoint} failed (${failure.status ?? failure.kind}); retrying in ${seconds(delay)}`,
        );
        await sleep(delay, call.signal);
        waited += delay;
      }
    } catch (err) {
      // Only an abort by the caller gets here: it says nothing about Graph.
      this.breaker?.abandoned();
      throw err;
    }
    if (failure.kind === 'token') this.breaker?.abandoned();
    else if (isOutage(failure)) this.breaker?.failed(failure.kind === 'status' ? failure.retryAfterMs : undefined);
    else this.breaker?.succeeded();
    const error = toLabelgateError(failure, {
      endpoint: call.endpoint,
      authorityHost: this.options.cloud.authorityHost,
      attempts,
      timeoutMs: this.options.timeoutMs,
      stopReason,
    });
    this.options.logger.warn(
      { event: 'graph.failed', endpoint: call.endpoint, code: error.code, failure: failure.kind, status: failure.status, graphCode: failure.graphCode, attempts },
      `Graph ${call.endpoint} failed: ${error.code}`,
    );
    throw error;
  }

  /** Every page of a collection, following `@odata.nextLink` on the same Graph root only. */
  async collect<T>(call: GraphCall<{ items: T[]; nextLink: string | undefined }>): Promise<T[]> {
    const items: T[] = [];
    const seen = new Set<string>();
    let path: string | undefined = call.path;
    for (let page = 0; path !== undefined; page++) {
      if (page >= MAX_PAGES) throw new LabelgateError('GRAPH_RESPONSE', `Microsoft Graph returned more than ${MAX_PAGES} pages for ${call.endpoint}`);
      const result: { items: T[]; nextLink: string | undefined } = await this.call({ ...call, path });
      items.push(...result.items);
      path = result.nextLink === undefined ? undefined : this.relativeNextLink(result.nextLink, call.endpoint);
      if (path !== undefined) {
        if (seen.has(path)) throw new LabelgateError('GRAPH_RESPONSE', `Microsoft Graph returned the same @odata.nextLink twice for ${call.endpoint}`);
        seen.add(path);
      }
    }
    return items;
  }

  /** A nextLink must stay on our Graph root and version: the token is never sent anywhere else. */
  private relativeNextLink(link: string, endpoint: string): string {
    const root = `${this.options.baseUrl}/${API_VERSION}/`;
    if (!link.toLowerCase().startsWith(root.toLowerCase())) {
      throw new LabelgateError('GRAPH_RESPONSE', `Microsoft Graph returned an @odata.nextLink for ${endpoint} outside ${root}`);
    }
    return `/${link.slice(root.length)}`;
  }

  private async attempt<T>(client: GraphSdkClient, call: GraphCall<T>): Promise<Attempt<T>> {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), this.options.timeoutMs);
    const signal = call.signal ? AbortSignal.any([call.signal, timeout.signal]) : timeout.signal;
    const request = client.api(call.path).version(API_VERSION).header('User-Agent', USER_AGENT).option('signal', signal);
    const state = { waitingForToken: false };
    const pending: Promise<unknown> = attemptState.run(state, () => (call.body === undefined ? request.get() : request.post(call.body)));
    // The race also bounds a credential that never answers (the SDK cannot pass it the signal).
    const stopped = new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
    try {
      const json = await Promise.race([pending, stopped]);
      try {
        return { ok: true, value: call.parse(await asJson(json)) };
      } catch (err) {
        if (err instanceof ShapeError) return { ok: false, failure: { kind: 'malformed', problem: err.message } };
        throw err;
      }
    } catch (err) {
      if (call.signal?.aborted) throw abortedError();
      if (timeout.signal.aborted) {
        return state.waitingForToken
          ? { ok: false, failure: { kind: 'token', unreachable: true, timedOut: true } }
          : { ok: false, failure: { kind: 'timeout' } };
      }
      return { ok: false, failure: classifySdkError(err) };
    } finally {
      clearTimeout(timer);
      pending.catch(() => {});
      stopped.catch(() => {});
    }
  }
}

/**
 * The SDK parses `application/json` bodies; anything else comes back as a stream or text, which
 * is never a valid Graph answer here. 204 No Content comes back as undefined.
 */
async function asJson(value: unknown): Promise<unknown> {
  if (value && typeof (value as ReadableStream).getReader === 'function') {
    await (value as ReadableStream).cancel().catch(() => {});
    throw new ShapeError('the body is not JSON (wrong Content-Type)');
  }
  if (typeof value === 'string') throw new ShapeError('the body is not JSON (wrong Content-Type)');
  return value;
}
