/**
 * The logging interface the Graph engine writes to: any pino logger (or a child of the app's
 * audit logger) fits. Entries carry endpoint names, status codes, counts and timings — never
 * document content, metadata values or user names.
 */
export interface GraphLogger {
  debug(obj: Record<string, unknown>, msg: string): void;
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

const noop = () => {};
export const SILENT_LOGGER: GraphLogger = { debug: noop, info: noop, warn: noop, error: noop };
