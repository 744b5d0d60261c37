/**
 * Independent readers (Debian packages installed by .ci/run) run on files written to a temp dir.
 * A missing tool fails the test with a message saying what to install — never a silent skip.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PACKAGES: Record<string, string> = {
  exiftool: 'libimage-exiftool-perl',
  pdfinfo: 'poppler-utils',
  pdftotext: 'poppler-utils',
  qpdf: 'qpdf',
  unzip: 'unzip',
};

export function requireTool(tool: string): void {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  if (found.status !== 0) {
    throw new Error(`${tool} is not installed: install the Debian package "${PACKAGES[tool] ?? tool}" (.ci/run does this in CI)`);
  }
}

export interface ToolResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function runTool(tool: string, args: string[]): ToolResult {
  requireTool(tool);
  const r = spawnSync(tool, args, { encoding: 'utf8', timeout: 15_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A temp dir for one test file; `write` puts bytes there and returns the path. */
export function tempFiles(): { write(name: string, bytes: Buffer): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'labelgate-test-'));
  return {
    write(name, bytes) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** `exiftool -j -G1` as an object of "Group:Tag" → value. */
export function exiftool(path: string): Record<string, unknown> {
  requireTool('exiftool');
  const out = execFileSync('exiftool', ['-j', '-G1', path], { encoding: 'utf8' });
  return (JSON.parse(out) as Array<Record<string, unknown>>)[0]!;
}
