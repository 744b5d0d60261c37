/**
 * `labelgate inspect FILE` — the label a file carries: the Graph `contentLabel` (as
 * extractContentLabel returns it for the policy's tenant), the effective MSIP pairs, and what
 * each location inside the file holds.
 */
import { basename } from 'node:path';
import type { ContentInfo } from '../graph-types.js';
import { LabelgateError } from '../errors.js';
import { createLabeler } from '../labeler.js';
import { bufferBody, headOf } from '../formats/body.js';
import { detectFormat, handlerById } from '../formats/registry.js';
import { DEFAULT_FORMAT_LIMITS } from '../formats/types.js';
import { parse } from './args.js';
import { EXIT, readInput, UsageError, writeJson, type CliIo } from './io.js';
import type { CliCommand } from './commands.js';

const usage = `Usage: labelgate inspect FILE|- [--policy FILE] [--format ID] [--content-type TYPE]

Print the label a file carries as JSON:
  contentLabel  Graph contentLabel for the policy's tenant (null when the file has none)
  metadata      the MSIP_Label_* pairs in effect (after the format's precedence rules)
  locations     every place in the file that carries label metadata, with what it holds
  format        the detected format

Options:
  --policy FILE           label policy file (JSON or YAML); default: the embedded policy
  --format ID             force the format instead of detecting it
  --content-type TYPE     media type of the input, to help detection`;

export const inspectCommand: CliCommand = {
  name: 'inspect',
  summary: 'show the label a file carries',
  usage,
  async run(argv: string[], io: CliIo) {
    const { values, positionals } = parse(argv, {
      policy: { type: 'string' },
      format: { type: 'string' },
      'content-type': { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError('inspect takes exactly one FILE (or "-" for stdin)');
    const file = positionals[0]!;
    const body = bufferBody(await readInput(file, io));
    const filename = file === '-' ? undefined : basename(file);
    const handler = values.format
      ? handlerById(values.format)
      : detectFormat({ contentType: values['content-type'], filename, head: await headOf(body) });
    if (!handler) {
      throw new LabelgateError('FORMAT_UNSUPPORTED', values.format ? `unknown format "${values.format}"` : `cannot tell the format of ${file}; pass --format or --content-type`);
    }
    const labeler = createLabeler({ policy: values.policy });
    const ctx = { filename, contentType: values['content-type'], limits: DEFAULT_FORMAT_LIMITS };
    const metadata = await handler.readLabel(body, ctx);
    const locations = handler.readLabelLocations ? await handler.readLabelLocations(body, ctx) : [];
    const contentInfo: ContentInfo = {
      '@odata.type': '#microsoft.graph.security.contentInfo',
      contentFormat: 'file',
      identifier: filename ?? null,
      state: 'rest',
      metadata,
    };
    const contentLabel = await labeler.extractContentLabel(contentInfo);
    writeJson(io, { contentLabel, metadata, locations, format: handler.id });
    return EXIT.ok;
  },
};
