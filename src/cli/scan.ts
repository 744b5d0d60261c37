/**
 * `labelgate scan FILE|-` — classify a file (streamed, any size) and print its
 * classificationResult[] JSON; `--explain` adds each match's type, offset and confidence with the
 * value masked.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { ScannerOptions } from '../classify/api.js';
import { feedScanner } from '../classify/classify.js';
import { createScanner } from '../classify/scanner.js';
import { loadPolicySync } from '../policy/load.js';
import { MAX_EXPLANATIONS } from '../classify/tally.js';
import { parse } from './args.js';
import { EXIT, UsageError, writeJson, type CliIo } from './io.js';
import type { CliCommand } from './commands.js';

const usage = `Usage: labelgate scan FILE|- [--explain] [--policy FILE] [--delimiter ,|tab|;|pipe|none] [--encoding auto|utf8|utf16le]

Classify a text file (CSV, TSV, JSON, logs, plain text; "-" reads stdin) with the built-in
sensitive information types and print the classificationResult[] JSON that
"labelgate evaluate --results -" accepts.

Options:
  --explain          print {"classificationResults": [...], "matches": [...]}: each match's type,
                     character offset, length and confidence, with the value masked
                     (4111********1111, ***-**-6789, j***@example.com); never the full value
  --policy FILE      also run the custom sensitive types of this policy (JSON or YAML)
  --delimiter D      treat the input as delimited text so column headers corroborate their
                     values: "," "tab" ";" "pipe", or "none"; default from the extension
                     (.csv → ",", .tsv/.tab → tab)
  --encoding E       auto (default: BOM / UTF-16 detection), utf8 or utf16le

Exit codes: 0 scanned (whether or not anything was found), 1 the scan failed, 2 usage error.`;

const DELIMITERS: Readonly<Record<string, ScannerOptions['delimiter'] | null>> = {
  ',': ',',
  comma: ',',
  tab: '\t',
  '\t': '\t',
  '\\t': '\t',
  ';': ';',
  semicolon: ';',
  '|': '|',
  pipe: '|',
  none: null,
};

function delimiterFor(value: string | undefined, path: string): ScannerOptions['delimiter'] {
  if (value !== undefined) {
    const d = DELIMITERS[value.toLowerCase()];
    if (d === undefined) throw new UsageError(`--delimiter must be one of , tab ; pipe none (got "${value}")`);
    return d ?? undefined;
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return ',';
  if (ext === '.tsv' || ext === '.tab') return '\t';
  return undefined;
}

export const scanCommand: CliCommand = {
  name: 'scan',
  summary: 'classify a file and print its classificationResult[] JSON',
  usage,
  async run(argv: string[], io: CliIo) {
    const { values, positionals } = parse(argv, {
      explain: { type: 'boolean' },
      policy: { type: 'string' },
      delimiter: { type: 'string' },
      encoding: { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError('scan takes exactly one FILE (or "-" for stdin)');
    const path = positionals[0]!;
    const encoding = (values.encoding ?? 'auto').toLowerCase();
    if (!['auto', 'utf8', 'utf16le'].includes(encoding)) throw new UsageError(`--encoding must be auto, utf8 or utf16le (got "${values.encoding}")`);
    const customTypes = values.policy !== undefined ? loadPolicySync(values.policy).customTypes : [];
    const scanner = createScanner({
      customTypes,
      delimiter: delimiterFor(values.delimiter, path),
      encoding: encoding as ScannerOptions['encoding'],
      explain: values.explain === true,
    });

    let input: NodeJS.ReadableStream;
    if (path === '-') input = io.stdin;
    else {
      try {
        const info = await stat(path);
        if (!info.isFile()) throw new UsageError(`not a file: ${path}`);
      } catch (err) {
        if (err instanceof UsageError) throw err;
        const code = (err as NodeJS.ErrnoException).code;
        throw new UsageError(code === 'ENOENT' ? `file not found: ${path}` : `cannot read ${path}: ${(err as Error).message}`);
      }
      input = createReadStream(path);
    }
    await feedScanner(scanner, input);
    const results = scanner.end();
    if (values.explain) {
      const matches = scanner.explanations();
      writeJson(io, { classificationResults: results, matches, ...(matches.length >= MAX_EXPLANATIONS ? { matchesTruncatedAt: MAX_EXPLANATIONS } : {}) });
    } else {
      writeJson(io, results);
    }
    return EXIT.ok;
  },
};
