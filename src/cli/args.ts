/**
 * Argument parsing on top of node:util `parseArgs`, turning its errors into usage errors.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './io.js';

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'] & object;

export function parse<T extends Options>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
