/**
 * Vitest global setup (runs once, in the main process, before any test worker starts): creates the
 * Graph emulator's throwaway TLS identity and makes every worker trust it. NODE_EXTRA_CA_CERTS is
 * only read when a Node process starts, which is why this cannot happen inside a test file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSelfSignedIdentity } from './graph-emulator/tls.js';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'labelgate-emulator-'));
  const { cert, key } = createSelfSignedIdentity();
  const certPath = join(dir, 'emulator-cert.pem');
  const keyPath = join(dir, 'emulator-key.pem');
  writeFileSync(certPath, cert, { mode: 0o600 });
  writeFileSync(keyPath, key, { mode: 0o600 });
  process.env.NODE_EXTRA_CA_CERTS = certPath;
  process.env.LABELGATE_EMULATOR_CERT = certPath;
  process.env.LABELGATE_EMULATOR_KEY = keyPath;
  // Removed when the main process exits: workers still starting up during teardown read the file.
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return () => {};
}
