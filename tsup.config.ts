import { defineConfig } from 'tsup';

// Library entries ship as ESM (primary) and CommonJS (Express users still `require`).
// Shared code is split into common chunks so that `labelgate` and `labelgate/express`
// loaded together share one copy of every class (instanceof keeps working).
export default defineConfig([
  {
    entry: { index: 'src/index.ts', express: 'src/http/express.ts', koa: 'src/http/koa.ts', 'scan-worker': 'src/http/scan-worker.ts' },
    format: ['esm', 'cjs'],
    target: 'node20',
    platform: 'node',
    dts: true,
    sourcemap: true,
    splitting: true,
    clean: false,
    // The CommonJS build needs import.meta.url (scan-offload.ts locates dist/scan-worker.cjs).
    shims: true,
  },
  {
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    splitting: false,
    banner: { js: '#!/usr/bin/env node' },
  },
]);
