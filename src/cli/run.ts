/**
 * `labelgate <command> …` — dispatch, help and version. Testable in-process: `runCli(argv, io)`.
 */
import { VERSION } from '../version.js';
import { COMMANDS } from './commands.js';
import { EXIT, reportError, UsageError, type CliIo } from './io.js';

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `labelgate ${VERSION} — sensitivity labels for report downloads`,
    '',
    'Usage: labelgate <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run "labelgate <command> --help" for the options of a command.',
    'Exit codes: 0 ok, 1 failure, 2 usage error (bad arguments, missing or malformed input files).',
    '',
  ].join('\n');
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(help());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) return reportError(io, new UsageError(`unknown command "${name}" (commands: ${COMMANDS.map((c) => c.name).join(', ')})`));
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.usage}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    return reportError(io, err);
  }
}
