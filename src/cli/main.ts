/**
 * The `labelgate` executable.
 */
import { runCli } from './run.js';

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`labelgate: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
