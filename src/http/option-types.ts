/**
 * The options of the HTTP adapters as users write them (Express and Koa share them): the global
 * options, a match-table entry, the route-level options of `labelRoute`, and a route's options
 * after validation and merging. Validation and the merge are in `options.ts`.
 */
import type { ContentState } from '../graph-types.js';
import type { Labeler, LabelerOptions } from '../labeler.js';
import type { CustomSensitiveType, customTypeSchema } from '../policy/schema.js';
import type { z } from 'zod';
import type { FormatScope } from './scope.js';
import type { AuditLogger } from './audit.js';

/** What happens when a download cannot be labeled. */
export type FailMode = 'closed' | 'open' | 'label';

/** A custom sensitive type as written in options (defaults are filled in). */
export type CustomSensitiveTypeInput = z.input<typeof customTypeSchema>;

/**
 * Options a route can set (globally, in the match table, or with `labelRoute`). `Ctx` is what the
 * callbacks receive: the Express `Request` or the Koa `Context`.
 */
export interface RouteLabelOptions<Ctx> {
  /** `false`: never label responses of this route (they pass through untouched). */
  enabled?: boolean | undefined;
  /**
   * Which content types are in scope: format ids (`csv`, `tsv`, `json`, `ndjson`, `text`, `pdf`,
   * `xlsx`, `docx`, `pptx`, `ooxml` = the three Office formats), media types (`application/xml`),
   * or `*` (every content type). Default `['csv', 'tsv', 'pdf', 'ooxml']`.
   */
  formats?: readonly string[] | undefined;
  /** Responses sent as `Content-Disposition: attachment` are in scope whatever their type. Default `true`. */
  attachments?: boolean | undefined;
  /** Apply this label (id or name) without classifying (`evaluateApplication`). */
  label?: string | undefined;
  /** The download carries at least this label (id or name), e.g. `Confidential` for an HR export. */
  minimumLabel?: string | undefined;
  /** Extra organization-defined sensitive types for this route. */
  customTypes?: readonly CustomSensitiveTypeInput[] | undefined;
  /** Graph `contentInfo.state`. Default `motion` (a download is data in transit). */
  state?: ContentState | undefined;
  /** The file identifier for evaluation and audit. Default: the `Content-Disposition` file name, else the URL's last segment. */
  identifier?: ((ctx: Ctx) => string | undefined) | undefined;
  /** The downloading user (UPN or id) for audit and per-user Graph policy. */
  user?: ((ctx: Ctx) => string | undefined) | undefined;
  /** Default `closed`. */
  failMode?: FailMode | undefined;
  /** The label (id or name) `failMode: 'label'` applies. */
  failSafeLabel?: string | undefined;
  /** Bytes kept in memory before the body is spilled to a temp file. Default 16 MiB (all captures together: `totalMemoryBytes`). */
  memoryBytes?: number | undefined;
  /** Hard maximum of a labeled body; larger bodies go to the fail mode. Default 256 MiB. */
  maxBytes?: number | undefined;
  /** CSV/TSV: write the label's header marking as the first line. Default `false`. */
  banner?: boolean | undefined;
  /**
   * Text downloads (CSV, TSV, JSON, NDJSON, plain text, by their declared content type): decide the
   * label as soon as the body so far settles it — the route fixes the label, or what has been
   * classified already gets the highest label the local policy could give — and stream the rest
   * as the app writes it instead of holding it. Tried from 256 KiB on; the rest is still scanned
   * for the audit. `false`: always hold the whole body until it is labeled. Default `true`.
   */
  earlyDecision?: boolean | undefined;
}

/** One entry of the match table. The first entry that matches a request wins. */
export interface RouteRule<Ctx> extends RouteLabelOptions<Ctx> {
  /**
   * A path pattern (`/reports/:id.csv`, `/exports/*`; `:name` matches one segment, `*` anything),
   * a regular expression, or a predicate. Matched against the URL path (without the query).
   */
  path: string | RegExp | ((ctx: Ctx) => boolean);
  /** HTTP methods (default: any). */
  methods?: readonly string[] | undefined;
  /** A name for the audit log (default: the pattern). */
  name?: string | undefined;
}

/** Options of `expressLabeling` / `koaLabeling`. Everything `createLabeler` takes is passed on to it. */
export interface HttpLabelingOptions<Ctx> extends LabelerOptions, RouteLabelOptions<Ctx> {
  /** A ready labeler (from `createLabeler`); otherwise one is created from these options. */
  labeler?: Labeler | undefined;
  /** The match table: per-route options by path. */
  routes?: readonly RouteRule<Ctx>[] | undefined;
  /** Only routes in the match table or with `labelRoute` are labeled. Default `false`. */
  routesOnly?: boolean | undefined;
  /** pino (or compatible) logger for the audit events. Default: the request's `req.log` (pino-http), else a pino instance. */
  logger?: AuditLogger | undefined;
  /** Where bodies are spilled (files are created 0600 and always removed). Default `os.tmpdir()`. */
  tempDir?: string | undefined;
  /** The request id for audit and problem responses. Default `req.id` (pino-http), `X-Request-Id`, or a new UUID. */
  requestId?: ((ctx: Ctx) => string | undefined) | undefined;
  /**
   * Express: remove `Range`, `If-Range`, `If-None-Match` and `If-Modified-Since` before every GET
   * handler runs (not only on routes that look like reports). Default `false`.
   */
  guardAllRequests?: boolean | undefined;
  /**
   * Classify text formats in a worker thread while they are captured (the built package on a
   * machine with more than one core), so scanning overlaps report generation. Default `true`.
   */
  scanInWorker?: boolean | undefined;
  /**
   * Memory all concurrent captures of this middleware may hold together (each still at most its
   * route's `memoryBytes`); above it, captures spill to temp files early. Default 64 MiB.
   */
  totalMemoryBytes?: number | undefined;
  /**
   * Temp-file space all concurrent captures of this middleware may use together (each still at
   * most its route's `maxBytes`); a download that would need more goes to the fail mode with
   * `SIZE_LIMIT`. Default 4 GiB.
   */
  totalDiskBytes?: number | undefined;
  /**
   * Express: how responses are hooked. `'auto'` (default): through one gated layer beneath
   * Express's response prototype when nothing else wrapped the response first (no per-response
   * property stores: cheaper for every response), else with own-property wrappers on the response
   * as `compression` does. `'per-response'`: always own-property wrappers (Express's prototypes are
   * never touched). See docs/http.md.
   */
  responseHooks?: 'auto' | 'per-response' | undefined;
}

/** Route options after validation and merging. */
export interface ResolvedRoute<Ctx> {
  enabled: boolean;
  /** In the match table or set by `labelRoute`. */
  configured: boolean;
  /** For the audit log. */
  name: string | undefined;
  formats: FormatScope;
  attachments: boolean;
  label: string | undefined;
  minimumLabel: string | undefined;
  customTypes: readonly CustomSensitiveType[];
  state: ContentState;
  identifier: ((ctx: Ctx) => string | undefined) | undefined;
  user: ((ctx: Ctx) => string | undefined) | undefined;
  failMode: FailMode;
  failSafeLabel: string | undefined;
  memoryBytes: number;
  maxBytes: number;
  banner: boolean;
  earlyDecision: boolean;
}

/** The parts of a resolved route that do not depend on the request type. */
export type RouteFacts = Omit<ResolvedRoute<unknown>, 'identifier' | 'user'>;
