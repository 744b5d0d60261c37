/**
 * `labelgate evaluate` — run the evaluation engine on classification results (or an explicit
 * label, or a removal) and print the informationProtectionAction JSON Graph would return.
 */
import type { ClassificationResult, ContentInfo, KeyValuePair } from '../graph-types.js';
import { createLabeler, findLabel } from '../labeler.js';
import { parseMsipHeader } from '../evaluate/msip.js';
import { parse } from './args.js';
import { EXIT, readInput, readJsonInput, UsageError, writeJson, type CliIo } from './io.js';
import type { CliCommand } from './commands.js';

const usage = `Usage: labelgate evaluate --results FILE|- [--metadata FILE] [--policy FILE]
       labelgate evaluate --label NAME|ID [--privileged] [--justification TEXT] [--metadata FILE]
       labelgate evaluate --remove [--justification TEXT] --metadata FILE

Print the informationProtectionAction[] JSON for a document, as Graph's evaluateClassificationResults,
evaluateApplication (--label) or evaluateRemoval (--remove) would return it.

Options:
  --results FILE|-      classificationResult[] JSON (or {"classificationResults": [...]}, e.g. the
                        output of "labelgate scan"); "-" reads stdin
  --metadata FILE       existing label metadata: keyValuePair[] JSON, a {"name": "value"} object, or an
                        msip_labels header line
  --label NAME|ID       apply this label explicitly instead of classifying
  --privileged          the label is a user's choice (assignmentMethod privileged)
  --justification TEXT  downgrade/removal justification
  --remove              evaluate removing the existing label
  --format file|email   contentInfo.contentFormat (default file)
  --identifier TEXT     contentInfo.identifier (e.g. the file name)
  --policy FILE         label policy file (JSON or YAML); default: the embedded policy`;

function asResults(value: unknown): ClassificationResult[] {
  const list = Array.isArray(value) ? value : (value as { classificationResults?: unknown } | null)?.classificationResults;
  if (!Array.isArray(list)) throw new UsageError('--results must hold a JSON array of {sensitiveTypeId, count, confidenceLevel}');
  return list as ClassificationResult[];
}

async function readMetadata(path: string, io: CliIo): Promise<KeyValuePair[]> {
  const text = (await readInput(path, io)).toString('utf8').trim();
  if (!text.startsWith('[') && !text.startsWith('{')) {
    return parseMsipHeader(text.replace(/^msip_labels:\s*/i, ''));
  }
  const json = await readJsonInput(path, io, '--metadata');
  if (Array.isArray(json)) return json as KeyValuePair[];
  const meta = (json as { metadata?: unknown }).metadata;
  if (Array.isArray(meta)) return meta as KeyValuePair[];
  return Object.entries(json as Record<string, unknown>).map(([name, value]) => ({ name, value: String(value) }));
}

export const evaluateCommand: CliCommand = {
  name: 'evaluate',
  summary: 'print the label actions for classification results, a label, or a removal',
  usage,
  async run(argv: string[], io: CliIo) {
    const { values, positionals } = parse(argv, {
      results: { type: 'string' },
      metadata: { type: 'string' },
      policy: { type: 'string' },
      label: { type: 'string' },
      privileged: { type: 'boolean' },
      justification: { type: 'string' },
      remove: { type: 'boolean' },
      format: { type: 'string' },
      identifier: { type: 'string' },
    });
    if (positionals.length > 0) throw new UsageError(`evaluate takes no positional arguments (got "${positionals[0]}")`);
    const modes = [values.results !== undefined, values.label !== undefined, values.remove === true].filter(Boolean).length;
    if (modes !== 1) throw new UsageError('give exactly one of --results, --label or --remove');
    if (values.format && !['file', 'email'].includes(values.format.toLowerCase())) throw new UsageError('--format must be file or email');
    if (values.metadata === '-' && values.results === '-') throw new UsageError('--results and --metadata cannot both read stdin');

    const labeler = createLabeler({ policy: values.policy });
    const contentInfo: ContentInfo = {
      '@odata.type': '#microsoft.graph.security.contentInfo',
      contentFormat: (values.format ?? 'file').toLowerCase(),
      identifier: values.identifier ?? null,
      state: 'rest',
      metadata: values.metadata ? await readMetadata(values.metadata, io) : [],
    };
    const justification = values.justification !== undefined ? { isDowngradeJustified: true, justificationMessage: values.justification } : undefined;

    let actions;
    if (values.results !== undefined) {
      const results = asResults(await readJsonInput(values.results, io, '--results'));
      actions = await labeler.evaluateClassificationResults(contentInfo, results);
    } else if (values.label !== undefined) {
      const label = findLabel(await labeler.listLabels(), values.label);
      if (!label) throw new UsageError(`no label "${values.label}" in the policy (see "labelgate labels")`);
      actions = await labeler.evaluateApplication(contentInfo, {
        labelId: label.id,
        assignmentMethod: values.privileged ? 'privileged' : 'standard',
        ...(justification ? { downgradeJustification: justification } : {}),
      });
    } else {
      actions = await labeler.evaluateRemoval(contentInfo, justification ?? { isDowngradeJustified: false });
    }
    writeJson(io, { value: actions });
    return EXIT.ok;
  },
};
