/**
 * A throwaway TLS identity for the Graph emulator: a self-signed ECDSA P-256 certificate for
 * 127.0.0.1 / localhost, built with node:crypto alone (DER by hand) so the tests need neither the
 * openssl CLI nor a committed private key.
 *
 * Why TLS at all: the Graph SDK attaches the bearer token only to `https://` URLs of Graph hosts or
 * `customHosts` (GraphRequestUtil.isValidEndpoint), so an emulator must speak HTTPS for the real
 * authentication path to run. The test processes trust this certificate through
 * NODE_EXTRA_CA_CERTS, set by test/global-setup.ts before the workers start.
 */
import { X509Certificate, createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
}

const seq = (...c: Buffer[]) => tlv(0x30, ...c);
const set = (...c: Buffer[]) => tlv(0x31, ...c);

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const out = [40 * a + b];
  for (const n of rest) {
    const chunk: number[] = [n & 0x7f];
    for (let v = n >>> 7; v > 0; v >>>= 7) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function positiveInteger(bytes: Buffer): Buffer {
  return tlv(0x02, bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

function utcTime(d: Date): Buffer {
  const s = d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  return tlv(0x17, Buffer.from(s, 'ascii'));
}

function name(cn: string): Buffer {
  return seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn, 'utf8')))));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));
}

export interface TlsIdentity {
  /** PEM certificate (also the trust anchor). */
  cert: string;
  /** PEM PKCS#8 private key. */
  key: string;
}

/** A certificate valid for https://127.0.0.1 and https://localhost for `days` days. */
export function createSelfSignedIdentity(days = 2): TlsIdentity {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ecdsaWithSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const subject = name('labelgate graph emulator');
  const now = Date.now();
  const san = seq(tlv(0x87, Buffer.from([127, 0, 0, 1])), tlv(0x82, Buffer.from('localhost', 'ascii')));
  const tbs = seq(
    tlv(0xa0, positiveInteger(Buffer.from([2]))),
    positiveInteger(randomBytes(12)),
    ecdsaWithSha256,
    subject,
    seq(utcTime(new Date(now - 60_000)), utcTime(new Date(now + days * 86_400_000))),
    subject,
    publicKey.export({ format: 'der', type: 'spki' }),
    tlv(
      0xa3,
      seq(
        extension('2.5.29.19', true, seq(tlv(0x01, Buffer.from([0xff])))), // basicConstraints CA:TRUE (self-signed anchor)
        extension('2.5.29.15', true, tlv(0x03, Buffer.from([0x02, 0x84]))), // keyUsage digitalSignature, keyCertSign
        extension('2.5.29.17', false, san),
      ),
    ),
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = seq(tbs, ecdsaWithSha256, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const cert = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').trimEnd()}\n-----END CERTIFICATE-----\n`;
  // Parse it back: a malformed encoding fails here, not deep inside a TLS handshake.
  const x509 = new X509Certificate(cert);
  if (!x509.checkIP('127.0.0.1') || !x509.verify(publicKey)) throw new Error('self-signed emulator certificate is not valid');
  const key = createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' })).export({ format: 'pem', type: 'pkcs8' }) as string;
  return { cert, key };
}
