/**
 * Is a document's label already certain from part of its content?
 *
 * With monotone auto-labeling rules (every condition a minimum count at a minimum confidence), more
 * content can only satisfy more rules, and the engine picks the highest label among the satisfied
 * ones: the label of a growing document only ever rises. The engine's `ceilingResults` satisfy
 * every rule, so their label is the highest the document could ever get. When the results so far
 * already get that same label, every continuation of the document gets it too: the label is
 * settled, and the rest need not be read to decide it (it is still read for the audit's counts).
 */
import type { ClassificationResult, ContentInfo } from '../graph-types.js';
import type { EvaluationContext, EvaluationEngine } from '../evaluate/engine.js';
import { planActions } from '../evaluate/plan.js';

/**
 * The label the engine's evaluation gives the document (its id, or null for none) when the
 * results so far settle it; undefined when more content could still change it.
 */
export async function settledLabel(
  engine: EvaluationEngine,
  contentInfo: ContentInfo,
  resultsSoFar: readonly ClassificationResult[],
  ctx?: EvaluationContext,
): Promise<{ labelId: string | null } | undefined> {
  const ceiling = engine.ceilingResults?.();
  if (!ceiling) return undefined;
  const [now, highest] = await Promise.all([
    engine.evaluateClassificationResults(contentInfo, resultsSoFar, ctx),
    engine.evaluateClassificationResults(contentInfo, ceiling, ctx),
  ]);
  const a = planActions(now.value);
  const b = planActions(highest.value);
  return a.labelId === b.labelId && a.actionSource === b.actionSource ? { labelId: a.labelId } : undefined;
}
