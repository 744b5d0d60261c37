import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { VERSION, createLabeler } from '../src/index.js';

describe('package', () => {
  it('VERSION matches package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });

  it('works with zero configuration', async () => {
    const labeler = createLabeler();
    const labels = await labeler.listLabels();
    expect(labels.map((l) => l.name)).toEqual(['Public', 'General', 'Confidential', 'Highly Confidential']);
  });
});
