/**
 * Options of the HTTP adapters (Express and Koa share them): the global options, the match table,
 * the route-level options of `labelRoute`, their validation at start-up, and the per-request merge
 * (global ← match-table entry ← `labelRoute`).
 */
import { MemoryPool } from './memory-pool.js';
import { tmpdir } from 'node:os';
import type { ContentState } from '../graph-types.js';
import { LabelgateError } from '../errors.js';
import { createLabeler, type Labeler } from '../labeler.js';
import { customTypeSchema, type CustomSensitiveType } from '../policy/schema.js';
import { checkCustomPattern } from '../classify/pattern-safety.js';
import { formatPath } from '../policy/validate.js';
import { compileFormatScope } from './scope.js';
import type { AuditLogger } from './audit.js';
import { findUnknownLabel, knownLabels } from './label-names.js';

export type { CustomSensitiveTypeInput, FailMode, HttpLabelingOptions, ResolvedRoute, RouteFacts, RouteLabelOptions, RouteRule } from './option-types.js';
import type { CustomSensitiveTypeInput, FailMode, HttpLabelingOptions, ResolvedRoute, RouteFacts, RouteLabelOptions } from './option-types.js';

export const DEFAULT_FORMATS: readonly string[] = Object.freeze(['csv', 'tsv', 'pdf', 'ooxml']);
export const DEFAULT_MEMORY_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
export const DEFAULT_TOTAL_MEMORY_BYTES = 64 * 1024 * 1024;
export const DEFAULT_TOTAL_DISK_BYTES = 4 * 1024 * 1024 * 1024;

const FAIL_MODES: readonly FailMode[] = ['closed', 'open', 'label'];
const STATES: readonly ContentState[] = ['rest', 'motion', 'use'];

function invalid(where: string, message: string): never {
  throw new LabelgateError('INPUT_INVALID', `${where}: ${message}`);
}

function positiveInteger(value: number | undefined, where: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value <= 0) invalid(where, 'expected a positive integer number of bytes');
  return value;
}

function normalizeCustomTypes(input: readonly CustomSensitiveTypeInput[] | undefined, where: string): CustomSensitiveType[] | undefined {
  if (input === undefined) return undefined;
  if (!Array.isArray(input)) invalid(`${where}.customTypes`, 'expected a list of custom sensitive types');
  return input.map((raw, i) => {
    const parsed = customTypeSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      invalid(`${where}.customTypes[${i}].${formatPath(issue.path)}`, issue.message);
    }
    const type = { ...parsed.data, id: parsed.data.id.replace(/[{}]/g, '').toLowerCase() };
    const problem = checkCustomPattern(type.pattern, type.caseSensitive);
    if (problem) invalid(`${where}.customTypes[${i}].pattern`, problem);
    return type;
  });
}

/** Route options with every given field checked; unset fields stay unset (for merging). */
export type CompiledRouteOptions<Ctx> = Partial<Omit<ResolvedRoute<Ctx>, 'configured'>>;

/** Validate route options (at start-up, so a typo fails fast). */
export function compileRouteOptions<Ctx>(options: RouteLabelOptions<Ctx>, where: string): CompiledRouteOptions<Ctx> {
  if (typeof options !== 'object' || options === null) invalid(where, 'expected an options object');
  const out: CompiledRouteOptions<Ctx> = {};
  if (options.enabled !== undefined) out.enabled = options.enabled !== false;
  if (options.formats !== undefined) out.formats = compileFormatScope(options.formats, `${where}.formats`);
  if (options.attachments !== undefined) out.attachments = options.attachments !== false;
  for (const key of ['label', 'minimumLabel', 'failSafeLabel'] as const) {
    const v = options[key];
    if (v !== undefined && (typeof v !== 'string' || v.trim() === '')) invalid(`${where}.${key}`, 'expected a label id or name');
    if (v !== undefined) out[key] = v;
  }
  const customTypes = normalizeCustomTypes(options.customTypes, where);
  if (customTypes) out.customTypes = customTypes;
  if (options.state !== undefined) {
    if (!STATES.includes(options.state)) invalid(`${where}.state`, `expected one of ${STATES.join(', ')}`);
    out.state = options.state;
  }
  for (const key of ['identifier', 'user'] as const) {
    const fn = options[key];
    if (fn !== undefined && typeof fn !== 'function') invalid(`${where}.${key}`, 'expected a function (request) => string | undefined');
    if (fn) out[key] = fn;
  }
  if (options.failMode !== undefined) {
    if (!FAIL_MODES.includes(options.failMode)) invalid(`${where}.failMode`, `expected one of ${FAIL_MODES.join(', ')}`);
    out.failMode = options.failMode;
  }
  const memoryBytes = positiveInteger(options.memoryBytes, `${where}.memoryBytes`);
  if (memoryBytes !== undefined) out.memoryBytes = memoryBytes;
  const maxBytes = positiveInteger(options.maxBytes, `${where}.maxBytes`);
  if (maxBytes !== undefined) out.maxBytes = maxBytes;
  if (options.banner !== undefined) out.banner = options.banner === true;
  if (options.earlyDecision !== undefined) out.earlyDecision = options.earlyDecision !== false;
  return out;
}

function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Merge compiled layers (later wins) onto the defaults, and check the combination. */
export function resolveRoute<Ctx>(layers: readonly (CompiledRouteOptions<Ctx> | undefined)[], configured: boolean): ResolvedRoute<Ctx> {
  const merged: ResolvedRoute<Ctx> = {
    enabled: true,
    configured,
    name: undefined,
    formats: DEFAULT_FORMAT_SCOPE,
    attachments: true,
    label: undefined,
    minimumLabel: undefined,
    customTypes: [],
    state: 'motion',
    identifier: undefined,
    user: undefined,
    failMode: 'closed',
    failSafeLabel: undefined,
    memoryBytes: DEFAULT_MEMORY_BYTES,
    maxBytes: DEFAULT_MAX_BYTES,
    banner: false,
    earlyDecision: true,
  };
  for (const layer of layers) if (layer) Object.assign(merged, defined(layer));
  if (merged.memoryBytes > merged.maxBytes) merged.memoryBytes = merged.maxBytes;
  return merged;
}

const DEFAULT_FORMAT_SCOPE = compileFormatScope(DEFAULT_FORMATS, 'formats');

/** Checks that need the whole merged picture (run once per layer combination at start-up). */
export function checkResolved(route: RouteFacts, where: string): void {
  if (route.failMode === 'label' && !route.failSafeLabel) invalid(where, 'failMode "label" needs failSafeLabel (the label to apply when labeling fails)');
}

interface CompiledRule<Ctx> {
  name: string;
  methods: ReadonlySet<string> | undefined;
  test: (path: string, ctx: Ctx) => boolean;
  options: CompiledRouteOptions<Ctx>;
  /** Global options + this rule, merged once (shared: never mutated). */
  resolved: ResolvedRoute<Ctx>;
}

/** `/reports/:id.csv` → /^\/reports\/[^/]+\.csv$/ ; `*` matches anything (also `/`). */
export function compilePathPattern(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') source += '.*';
    else if (ch === ':' && /[A-Za-z_]/.test(pattern[i + 1] ?? '')) {
      while (/[A-Za-z0-9_]/.test(pattern[i + 1] ?? '')) i++;
      source += '[^/]+';
    } else source += ch.replace(/[.+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** Everything the adapters need, prepared once per middleware instance. */
export interface HttpSettings<Ctx> {
  labeler: Labeler;
  /** The labeler was created here (the app may close it through the middleware). */
  ownsLabeler: boolean;
  global: CompiledRouteOptions<Ctx>;
  /** The global options merged onto the defaults (shared: never mutated). */
  globalRoute: ResolvedRoute<Ctx>;
  rules: CompiledRule<Ctx>[];
  routesOnly: boolean;
  logger: AuditLogger | undefined;
  tempDir: string;
  requestId: ((ctx: Ctx) => string | undefined) | undefined;
  guardAllRequests: boolean;
  scanInWorker: boolean;
  /** `responseHooks: 'per-response'`. */
  perResponseHooks: boolean;
  /** The memory shared by all captures (`totalMemoryBytes`). */
  memoryPool: MemoryPool;
  /** The temp-file space shared by all captures (`totalDiskBytes`). */
  diskPool: MemoryPool;
  /** Memory for PDF and Office files read whole to be labeled (another `totalMemoryBytes`, taken in turn). */
  wholeBodyPool: MemoryPool;
  /** `labelRoute` options compiled and checked against this labeler's policy, by options object. */
  routeCache: WeakMap<object, { compiled: CompiledRouteOptions<Ctx> } | { error: LabelgateError }>;
}

export function compileSettings<Ctx>(options: HttpLabelingOptions<Ctx> = {}, where = 'options'): HttpSettings<Ctx> {
  if (typeof options !== 'object' || options === null) invalid(where, 'expected an options object');
  const global = compileRouteOptions(options, where);
  const rules = (options.routes ?? []).map((rule, i): CompiledRule<Ctx> => {
    const at = `${where}.routes[${i}]`;
    if (typeof rule !== 'object' || rule === null) invalid(at, 'expected a route rule { path, ...options }');
    const { path, methods, name, ...rest } = rule;
    let test: CompiledRule<Ctx>['test'];
    if (typeof path === 'string') {
      const re = compilePathPattern(path);
      test = (p) => re.test(p);
    } else if (path instanceof RegExp) {
      const re = new RegExp(path.source, path.flags.replace(/[gy]/g, ''));
      test = (p) => re.test(p);
    } else if (typeof path === 'function') {
      test = (_p, ctx) => path(ctx) === true;
    } else invalid(`${at}.path`, 'expected a path pattern, a RegExp or a function');
    if (methods !== undefined && (!Array.isArray(methods) || methods.some((m) => typeof m !== 'string'))) invalid(`${at}.methods`, 'expected a list of HTTP methods');
    const ruleName = name ?? (typeof path === 'function' ? `routes[${i}]` : String(path));
    const ruleOptions = compileRouteOptions(rest, at);
    const resolved = Object.freeze({ ...resolveRoute([global, ruleOptions], true), name: ruleName });
    checkResolved(resolved, at);
    return {
      name: ruleName,
      methods: methods ? new Set(methods.map((m) => m.toUpperCase())) : undefined,
      test,
      options: ruleOptions,
      resolved,
    };
  });
  const globalRoute = Object.freeze(resolveRoute([global], false));
  checkResolved(globalRoute, where);
  if (options.logger !== undefined && (typeof options.logger?.info !== 'function' || typeof options.logger?.error !== 'function')) {
    invalid(`${where}.logger`, 'expected a pino (or compatible) logger with info/warn/error methods');
  }
  if (options.tempDir !== undefined && (typeof options.tempDir !== 'string' || options.tempDir === '')) invalid(`${where}.tempDir`, 'expected a directory path');
  const total = options.totalMemoryBytes;
  if (total !== undefined && !(Number.isSafeInteger(total) && total >= 0)) invalid(`${where}.totalMemoryBytes`, 'expected a non-negative integer (bytes)');
  const disk = options.totalDiskBytes;
  if (disk !== undefined && !(Number.isSafeInteger(disk) && disk >= 0)) invalid(`${where}.totalDiskBytes`, 'expected a non-negative integer (bytes)');
  const hooks = options.responseHooks;
  if (hooks !== undefined && hooks !== 'auto' && hooks !== 'per-response') invalid(`${where}.responseHooks`, "expected 'auto' or 'per-response'");
  if (options.labeler !== undefined && typeof options.labeler?.labelDocument !== 'function') {
    invalid(`${where}.labeler`, 'expected a labeler from createLabeler()');
  }
  const labeler = options.labeler ?? createLabeler(options);
  // A local policy is known now: a misspelled label fails at start-up, not on the first download.
  const policyLabels = knownLabels(labeler);
  if (policyLabels) {
    const check = (layer: CompiledRouteOptions<Ctx>, at: string) => {
      const unknown = findUnknownLabel(layer, policyLabels);
      if (unknown) invalid(`${at}.${unknown.key}`, unknown.message);
    };
    check(global, where);
    rules.forEach((r, i) => check(r.options, `${where}.routes[${i}]`));
  }
  return {
    labeler,
    ownsLabeler: options.labeler === undefined,
    global,
    globalRoute,
    rules,
    routesOnly: options.routesOnly === true,
    logger: options.logger,
    tempDir: options.tempDir ?? tmpdir(),
    requestId: options.requestId,
    guardAllRequests: options.guardAllRequests === true,
    scanInWorker: options.scanInWorker !== false,
    perResponseHooks: hooks === 'per-response',
    memoryPool: new MemoryPool(total ?? DEFAULT_TOTAL_MEMORY_BYTES),
    diskPool: new MemoryPool(disk ?? DEFAULT_TOTAL_DISK_BYTES),
    wholeBodyPool: new MemoryPool(total ?? DEFAULT_TOTAL_MEMORY_BYTES),
    routeCache: new WeakMap(),
  };
}

/** The first match-table entry for a request, if any. */
export function matchRule<Ctx>(settings: HttpSettings<Ctx>, method: string, path: string, ctx: Ctx): CompiledRule<Ctx> | undefined {
  for (const rule of settings.rules) {
    if (rule.methods && !rule.methods.has(method)) continue;
    if (rule.test(path, ctx)) return rule;
  }
  return undefined;
}

/** The effective options of one response. */
export function routeFor<Ctx>(
  settings: HttpSettings<Ctx>,
  rule: CompiledRule<Ctx> | undefined,
  override: CompiledRouteOptions<Ctx> | undefined,
): ResolvedRoute<Ctx> {
  // Most responses (every pass-through) take a precomputed object; only labelRoute merges.
  if (!override) return rule ? rule.resolved : settings.globalRoute;
  const route = resolveRoute([settings.global, rule?.options, override], true);
  if (route.name === undefined && rule) route.name = rule.name;
  return route;
}

/** Best-effort user id from common auth middleware shapes (passport `req.user`, Koa `ctx.state.user`). */
export function userFromObject(user: unknown): string | undefined {
  if (typeof user === 'string') return user;
  if (typeof user !== 'object' || user === null) return undefined;
  const u = user as Record<string, unknown>;
  for (const key of ['upn', 'preferred_username', 'email', 'username', 'id', 'sub', 'oid']) {
    const v = u[key];
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number') return String(v);
  }
  return undefined;
}

/** A request id that is safe to log and echo (printable ASCII, bounded). */
export function cleanRequestId(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string' || value === '' || value.length > 200 || !/^[\x21-\x7e]+$/.test(value)) return undefined;
  return value;
}

/** Call an app callback; a throwing callback must not break the download. */
export function safeCall<Ctx>(fn: ((ctx: Ctx) => string | undefined) | undefined, ctx: Ctx): string | undefined {
  if (!fn) return undefined;
  try {
    const v = fn(ctx);
    return typeof v === 'string' && v !== '' ? v : undefined;
  } catch {
    return undefined;
  }
}
