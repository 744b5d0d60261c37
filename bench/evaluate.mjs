// Micro-benchmark: local evaluation of a classification result set (embedded default policy).
// Prints µs per evaluation and, as a same-run baseline, the cost of a JSON round trip of the
// request body (what merely serializing a Graph call would cost).
// Run: npm run build && node bench/evaluate.mjs
import { createLabeler, SIT, DEFAULT_LABEL_IDS, DEFAULT_SITE_ID, buildMsipMetadata } from '../dist/index.js';

const labeler = createLabeler();
const results = [
  { sensitiveTypeId: SIT.creditCard, count: 3, confidenceLevel: 65 },
  { sensitiveTypeId: SIT.creditCard, count: 1, confidenceLevel: 85 },
  { sensitiveTypeId: SIT.usSsn, count: 2, confidenceLevel: 75 },
  { sensitiveTypeId: SIT.email, count: 40, confidenceLevel: 75 },
  { sensitiveTypeId: SIT.abaRouting, count: 4, confidenceLevel: 75 },
];
const cases = {
  'no label yet': { contentFormat: 'file', metadata: [] },
  'existing lower label': {
    contentFormat: 'file',
    metadata: buildMsipMetadata({ labelId: DEFAULT_LABEL_IDS.general, siteId: DEFAULT_SITE_ID, name: 'General', method: 'Standard', contentBits: 0 }),
  },
};

async function time(fn, n) {
  for (let i = 0; i < 2000; i++) await fn(); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  return Number(process.hrtime.bigint() - t0) / 1e3 / n; // µs per call
}

const N = 50_000;
console.log(`node ${process.version}, ${N} iterations each`);
for (const [name, contentInfo] of Object.entries(cases)) {
  const evalUs = await time(() => labeler.evaluateClassificationResults(contentInfo, results), N);
  const jsonUs = await time(() => JSON.parse(JSON.stringify({ contentInfo, classificationResults: results })), N);
  console.log(`${name.padEnd(22)} evaluate ${evalUs.toFixed(2)} µs/call  |  JSON round trip of the request ${jsonUs.toFixed(2)} µs  |  ratio ${(evalUs / jsonUs).toFixed(1)}x`);
}
