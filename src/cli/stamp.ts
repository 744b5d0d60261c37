/**
 * `labelgate stamp FILE -o OUT` — label a file: classify, evaluate and write the label into it
 * (or apply the label given with --label), as `labeler.stamp` does.
 */
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { createLabeler } from '../labeler.js';
import { parse } from './args.js';
import { EXIT, readInput, UsageError, writeJson, type CliIo } from './io.js';
import type { CliCommand } from './commands.js';

const usage = `Usage: labelgate stamp FILE|- -o OUT|- [--label NAME|ID] [--minimum-label NAME|ID] [--policy FILE]
                       [--format ID] [--content-type TYPE]

Label a file: classify its content, evaluate the label policy and write the label into the file
(PDF: Info dictionary + XMP and page markings; Office: docProps/custom.xml + docMetadata/LabelInfo.xml
and header/footer markings). With --label the given label is applied without classification.
A file that already carries a higher or manually chosen label keeps it.
Prints a JSON summary (label, actions, classification results, metadata) on stdout, or on stderr
when the labeled file itself goes to stdout (-o -).

Options:
  -o, --output OUT        where to write the labeled file ("-" for stdout)
  --label NAME|ID         apply this label instead of classifying
  --minimum-label NAME|ID the output carries at least this label
  --policy FILE           label policy file (JSON or YAML); default: the embedded policy
  --format ID             force the format (pdf, xlsx, docx, pptx, csv, json, …) instead of detecting it
  --content-type TYPE     media type of the input, to help detection (e.g. when reading stdin)`;

export const stampCommand: CliCommand = {
  name: 'stamp',
  summary: 'write a label into a PDF, Office or text file',
  usage,
  async run(argv: string[], io: CliIo) {
    const { values, positionals } = parse(argv, {
      output: { type: 'string', short: 'o' },
      label: { type: 'string' },
      'minimum-label': { type: 'string' },
      policy: { type: 'string' },
      format: { type: 'string' },
      'content-type': { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError('stamp takes exactly one FILE (or "-" for stdin)');
    if (values.output === undefined) throw new UsageError('stamp needs -o OUT (or "-o -" for stdout)');
    const file = positionals[0]!;
    const input = await readInput(file, io);
    const labeler = createLabeler({ policy: values.policy });
    const result = await labeler.stamp(input, {
      filename: file === '-' ? undefined : basename(file),
      contentType: values['content-type'],
      format: values.format,
      label: values.label,
      minimumLabel: values['minimum-label'],
    });
    const summary = {
      format: result.format,
      change: result.change,
      label: result.label ? { id: result.label.id, name: result.label.name, sensitivity: result.label.sensitivity } : null,
      applied: result.applied,
      classificationResults: result.classificationResults,
      metadata: result.metadata,
      actions: result.actions,
    };
    if (values.output === '-') {
      io.stdout.write(result.body);
      writeJson({ ...io, stdout: io.stderr }, summary);
    } else {
      await writeFile(values.output, result.body);
      writeJson(io, { output: values.output, ...summary });
    }
    return EXIT.ok;
  },
};
