// Runs every benchmark in bench/ (files starting with "_" are helpers), one after another, after
// checking that dist/ is built. Each benchmark prints its own ratios against a baseline measured in
// the same run.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
if (!existsSync(new URL('../dist/index.js', import.meta.url))) {
  console.error('dist/ is missing: run `npm run build` first');
  process.exit(1);
}
const benches = readdirSync(here).filter((f) => f.endsWith('.mjs') && !f.startsWith('_') && f !== 'run-all.mjs').sort();
let failed = 0;
for (const file of benches) {
  console.log(`\n# ${file}`);
  const r = spawnSync(process.execPath, [`${here}${file}`], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
