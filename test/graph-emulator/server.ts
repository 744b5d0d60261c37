/**
 * A Microsoft Graph emulator for tests: an HTTPS server on 127.0.0.1 that implements Graph beta's
 * `security/informationProtection` endpoints (app-only and `/users/{id}/…`) over a fixture tenant.
 * It is the *service* in our tests, so it may compute answers with the local engine; the client
 * under test is the real Graph SDK pointed at it through `graph.baseUrl`.
 *
 * It checks the bearer token and its roles, the request shapes (400 for unknown or missing
 * properties), the HTTP method and query options; counts calls per endpoint; pages
 * `sensitivityLabels` with `@odata.nextLink`; and injects faults: latency, any status (429 with
 * Retry-After …), malformed JSON, a wrong JSON shape, a connection dropped before or during the
 * response.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { LocalEngine } from '../../src/evaluate/local-engine.js';
import { isLabelgateError } from '../../src/errors.js';
import type { LabelPolicy } from '../../src/policy/schema.js';
import { BadRequest, checkActionBody, type ActionName } from './requests.js';
import { CONTOSO_POLICY, CONTOSO_RESTRICTED_POLICY, USERS } from './tenant.js';

export const EMULATOR_TOKEN = 'emulator-app-token';
export const READ_ALL = 'InformationProtectionPolicy.Read.All';

export type Endpoint = 'sensitivityLabels' | 'labelPolicySettings' | ActionName;

export type Fault =
  | { kind: 'latency'; ms: number }
  | { kind: 'status'; status: number; retryAfter?: string; code?: string; message?: string }
  | { kind: 'malformed' }
  | { kind: 'wrongShape'; body: unknown }
  | { kind: 'drop' }
  | { kind: 'cut' };

export interface RecordedRequest {
  method: string;
  endpoint: Endpoint | undefined;
  /** Decoded user segment, or undefined for app-only calls. */
  user: string | undefined;
  path: string;
  userAgent: string | undefined;
  sdkVersion: string | undefined;
  status: number | 'dropped';
  body?: unknown;
}

export interface EmulatorOptions {
  /** The organization's policy (app-only calls). */
  policy?: LabelPolicy;
  /** Known users and their policies; any other user is 404 like Graph. */
  users?: Record<string, LabelPolicy>;
  /** Accepted bearer tokens and the app roles each carries. */
  tokens?: Record<string, string[]>;
  /** Labels per page of `sensitivityLabels`. */
  pageSize?: number;
  /**
   * `labelPolicySettings.id` ("unique identifier for the policy", Graph docs). Default: the tenant
   * id, as the local engine reports it; set another GUID to prove nothing takes it for the tenant.
   */
  settingsId?: string;
  now?: () => Date;
}

interface FaultRule {
  endpoint: Endpoint | '*';
  remaining: number;
  fault: Fault;
}

const ROUTE =
  /^\/beta(?:\/users\/([^/]+))?\/security\/informationProtection\/(sensitivityLabels|labelPolicySettings)(?:\/(?:microsoft\.graph\.security\.)?(evaluateApplication|evaluateClassificationResults|evaluateRemoval|extractContentLabel))?$/;

function graphError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({
    error: { code, message, innerError: { date: new Date().toISOString().replace(/\.\d{3}Z$/, ''), 'request-id': randomUUID(), 'client-request-id': randomUUID() } },
  });
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1_000_000) throw new BadRequest('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export class GraphEmulator {
  readonly requests: RecordedRequest[] = [];
  private faults: FaultRule[] = [];
  /** Every raw socket, so close() never waits for a client's keep-alive or a handshake in progress. */
  private readonly sockets = new Set<Socket>();
  private readonly engines = new Map<LabelPolicy, LocalEngine>();
  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
    private readonly options: Required<Omit<EmulatorOptions, 'now' | 'settingsId'>> & Pick<EmulatorOptions, 'now' | 'settingsId'>,
  ) {}

  static async start(options: EmulatorOptions = {}): Promise<GraphEmulator> {
    const cert = process.env.LABELGATE_EMULATOR_CERT;
    const key = process.env.LABELGATE_EMULATOR_KEY;
    if (!cert || !key) throw new Error('the Graph emulator needs test/global-setup.ts (run the tests with vitest)');
    let emulator: GraphEmulator | undefined;
    const server = createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
      emulator!.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) graphError(res, 500, 'InternalServerError', String((err as Error)?.message ?? err));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    server.on('connection', (socket: Socket) => {
      emulator!.sockets.add(socket);
      socket.once('close', () => emulator!.sockets.delete(socket));
    });
    emulator = new GraphEmulator(server, `https://127.0.0.1:${port}`, {
      policy: options.policy ?? CONTOSO_POLICY,
      users: options.users ?? { [USERS.finance]: CONTOSO_POLICY, [USERS.restricted]: CONTOSO_RESTRICTED_POLICY },
      tokens: options.tokens ?? { [EMULATOR_TOKEN]: [READ_ALL] },
      pageSize: options.pageSize ?? 100,
      settingsId: options.settingsId,
      now: options.now,
    });
    return emulator;
  }

  /** Inject a fault into the next `times` calls of an endpoint (or of any endpoint). */
  inject(fault: Fault, options: { endpoint?: Endpoint; times?: number } = {}): void {
    this.faults.push({ endpoint: options.endpoint ?? '*', remaining: options.times ?? 1, fault });
  }

  /** An administrator changes the organization's label policy (app-only calls see it at once). */
  setPolicy(policy: LabelPolicy): void {
    this.options.policy = policy;
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Calls received for an endpoint (all endpoints when omitted), including failed ones. */
  calls(endpoint?: Endpoint): number {
    return this.requests.filter((r) => endpoint === undefined || r.endpoint === endpoint).length;
  }

  resetCounts(): void {
    this.requests.length = 0;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private engine(policy: LabelPolicy): LocalEngine {
    let engine = this.engines.get(policy);
    if (!engine) this.engines.set(policy, (engine = new LocalEngine(policy, this.options.now ? { now: this.options.now } : {})));
    return engine;
  }

  private takeFault(endpoint: Endpoint | undefined): Fault | undefined {
    const rule = this.faults.find((r) => r.remaining > 0 && (r.endpoint === '*' || r.endpoint === endpoint));
    if (!rule) return undefined;
    rule.remaining -= 1;
    return rule.fault;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const m = ROUTE.exec(url.pathname);
    const endpoint = m ? ((m[3] ?? m[2]) as Endpoint) : undefined;
    const user = m?.[1] === undefined ? undefined : decodeURIComponent(m[1]);
    const record: RecordedRequest = {
      method: req.method ?? '',
      endpoint,
      user,
      path: url.pathname + url.search,
      userAgent: req.headers['user-agent'],
      sdkVersion: req.headers['sdkversion'] as string | undefined,
      status: 200,
    };
    this.requests.push(record);
    const reply = (status: number, code: string, message: string, headers?: Record<string, string>) => {
      record.status = status;
      graphError(res, status, code, message, headers);
    };
    const bodyText = await readBody(req).catch((err: unknown) => (err instanceof BadRequest ? err : Promise.reject(err)));
    if (bodyText instanceof BadRequest) return reply(400, 'BadRequest', bodyText.message);

    const fault = this.takeFault(endpoint);
    if (fault?.kind === 'drop') {
      record.status = 'dropped';
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'latency') await new Promise((r) => setTimeout(r, fault.ms));
    if (res.destroyed) return;

    // Authentication before anything else, like Graph.
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
    if (!token) return reply(401, 'InvalidAuthenticationToken', 'Access token is empty.');
    const roles = this.options.tokens[token];
    if (!roles) return reply(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.');
    if (!m || !endpoint) return reply(400, 'BadRequest', `Resource not found for the segment '${url.pathname.split('/').pop()}'.`);
    if (!roles.includes(READ_ALL)) {
      return reply(403, 'Authorization_RequestDenied', `Missing role permissions on the request. API requires one of '${READ_ALL}'. Roles on the request '${roles.join(',')}'.`);
    }
    if (fault?.kind === 'status') {
      return reply(fault.status, fault.code ?? (fault.status === 429 ? 'TooManyRequests' : 'ServiceUnavailable'), fault.message ?? 'Injected fault.', {
        ...(fault.retryAfter !== undefined ? { 'Retry-After': fault.retryAfter } : {}),
      });
    }

    const policy = user === undefined ? this.options.policy : this.options.users[user.toLowerCase()];
    if (!policy) return reply(404, 'Request_ResourceNotFound', `Resource '${user}' does not exist or one of its queried reference-property objects are not present.`);

    const isAction = endpoint !== 'sensitivityLabels' && endpoint !== 'labelPolicySettings';
    if (req.method !== (isAction ? 'POST' : 'GET')) return reply(405, 'Request_BadRequest', `Method ${req.method} is not allowed on ${endpoint}.`);
    for (const name of url.searchParams.keys()) {
      if (!(endpoint === 'sensitivityLabels' && name === '$skiptoken')) return reply(400, 'BadRequest', `Query option '${name}' is not allowed.`);
    }

    let payload: unknown;
    try {
      payload = isAction ? await this.evaluate(endpoint, bodyText, req, policy, user) : this.read(endpoint, url, policy);
    } catch (err) {
      if (err instanceof BadRequest) return reply(400, 'BadRequest', err.message);
      if (isLabelgateError(err)) return reply(err.code === 'LABEL_NOT_FOUND' ? 404 : 400, err.code === 'LABEL_NOT_FOUND' ? 'itemNotFound' : 'BadRequest', err.message);
      throw err;
    }
    if (payload === null) {
      record.status = 204;
      res.writeHead(204).end();
      return;
    }
    const json =
      fault?.kind === 'wrongShape' ? JSON.stringify(fault.body) : fault?.kind === 'malformed' ? '{"value": [{"@odata.type": ' : JSON.stringify(payload);
    res.writeHead(200, { 'Content-Type': 'application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8' });
    if (fault?.kind === 'cut') {
      // Headers and half the body, then the connection goes away.
      res.write(json.slice(0, Math.floor(json.length / 2)));
      record.status = 'dropped';
      setTimeout(() => res.destroy(), 5);
      return;
    }
    res.end(json);
  }

  private read(endpoint: 'sensitivityLabels' | 'labelPolicySettings', url: URL, policy: LabelPolicy): unknown {
    const engine = this.engine(policy);
    if (endpoint === 'labelPolicySettings') {
      const settings = engine.settings();
      return {
        '@odata.context': `${this.baseUrl}/beta/$metadata#security/informationProtection/labelPolicySettings/$entity`,
        ...settings,
        id: this.options.settingsId ?? settings.id,
      };
    }
    const all = engine.sensitivityLabels();
    const skip = Number(url.searchParams.get('$skiptoken') ?? '0');
    if (!Number.isInteger(skip) || skip < 0 || skip > all.length) throw new BadRequest('invalid $skiptoken');
    const page = all.slice(skip, skip + this.options.pageSize);
    const next = skip + this.options.pageSize < all.length ? `${this.baseUrl}${url.pathname}?$skiptoken=${skip + this.options.pageSize}` : undefined;
    return {
      '@odata.context': `${this.baseUrl}/beta/$metadata#security/informationProtection/sensitivityLabels(parent())`,
      ...(next ? { '@odata.nextLink': next } : {}),
      value: page.map((l) => (l.parent ? { ...l, 'parent@odata.context': `${this.baseUrl}/beta/$metadata#security/informationProtection/sensitivityLabels('${l.id}')/parent/$entity` } : l)),
    };
  }

  private async evaluate(action: ActionName, bodyText: string, req: IncomingMessage, policy: LabelPolicy, user: string | undefined): Promise<unknown> {
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) throw new BadRequest('Content-Type must be application/json');
    let body: unknown;
    try {
      body = JSON.parse(bodyText);
    } catch {
      throw new BadRequest('the request body is not valid JSON');
    }
    // Shapes were just checked against the documented parameters.
    const o = checkActionBody(action, body) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const engine = this.engine(policy);
    const ctx = { user };
    const collection = (value: unknown) => ({
      '@odata.context': `${this.baseUrl}/beta/$metadata#Collection(microsoft.graph.security.informationProtectionAction)`,
      value,
    });
    switch (action) {
      case 'evaluateClassificationResults':
        return collection((await engine.evaluateClassificationResults(o.contentInfo, o.classificationResults, ctx)).value);
      case 'evaluateApplication':
        return collection((await engine.evaluateApplication(o.contentInfo, o.labelingOptions, ctx)).value);
      case 'evaluateRemoval':
        return collection((await engine.evaluateRemoval(o.contentInfo, o.downgradeJustification)).value);
      case 'extractContentLabel': {
        const label = (await engine.extractContentLabel(o.contentInfo)).value;
        return label && { '@odata.context': `${this.baseUrl}/beta/$metadata#microsoft.graph.security.contentLabel`, ...label };
      }
    }
  }
}
