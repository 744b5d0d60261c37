/** Shutdown of an HTTP middleware (`expressLabeling(...).close()`, `koaLabeling(...).close()`). */
import { registerScanUser } from './scan-offload.js';
import type { HttpSettings } from './options.js';

/**
 * The `close()` of one middleware: it gives up its share of the scan workers (shared by every
 * middleware of the process: they stop once the last one is closed, after their running scans)
 * and closes the labeler if the middleware created it. Idempotent.
 */
export function closerFor<Ctx>(settings: HttpSettings<Ctx>): () => Promise<void> {
  const release = registerScanUser();
  let closing: Promise<void> | undefined;
  return () =>
    (closing ??= (async () => {
      await release();
      if (settings.ownsLabeler) await settings.labeler.close();
    })());
}
