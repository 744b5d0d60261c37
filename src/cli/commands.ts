/**
 * The command table. Each command lives in its own module and registers here.
 */
import type { CliIo } from './io.js';
import { labelsCommand } from './labels.js';
import { evaluateCommand } from './evaluate.js';
import { stampCommand } from './stamp.js';
import { inspectCommand } from './inspect.js';
import { scanCommand } from './scan.js';

export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[], io: CliIo): Promise<number>;
}

export const COMMANDS: readonly CliCommand[] = [labelsCommand, scanCommand, evaluateCommand, stampCommand, inspectCommand];
