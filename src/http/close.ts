/** Shutdown of an HTTP middleware (`expressLabeling(...).close()`, `koaLabeling(...).close()`). */
import { closeScanWorkers } from './scan-offload.js';
import type { HttpSettings } from './options.js';

export async function closeMiddleware<Ctx>(settings: HttpSettings<Ctx>): Promise<void> {
  await closeScanWorkers();
  if (settings.ownsLabeler) await settings.labeler.close();
}
