/**
 * The time budget for processing one file (`limits.parseTimeoutMs`), checked between steps
 * (pages, chunks): a file that takes too long is refused instead of holding a worker.
 */
import { LabelgateError } from '../errors.js';
import type { FormatContext } from './types.js';

/** A check that throws FORMAT_LIMIT once the budget is spent, or ABORTED when the caller went away. */
export function budget(ctx: Pick<FormatContext, 'limits' | 'signal'>, what: string): () => void {
  const until = Date.now() + ctx.limits.parseTimeoutMs;
  return () => {
    if (ctx.signal?.aborted) throw new LabelgateError('ABORTED', 'labeling was aborted (client went away)');
    if (Date.now() > until) throw new LabelgateError('FORMAT_LIMIT', `${what}: processing took longer than ${ctx.limits.parseTimeoutMs} ms`);
  };
}
