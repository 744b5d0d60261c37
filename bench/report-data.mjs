/**
 * Deterministic generator of a realistic line-of-business CSV report (customer orders export) for
 * the classifier benchmarks. Every row has the noise real reports have (order ids, ISO timestamps,
 * millisecond epochs, amounts, SKUs, versions, coordinates) plus contact data (email, phone, client
 * IP); a minority of rows carries card numbers, IBANs and SSNs, as a payments/HR export would.
 */

/** Small deterministic PRNG (mulberry32), so every run scans the same bytes. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function luhnComplete(prefix, length, rand) {
  let digits = prefix;
  while (digits.length < length - 1) digits += String(Math.floor(rand() * 10));
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits + String((10 - (sum % 10)) % 10);
}

function ibanDE(rand) {
  let bban = '';
  for (let i = 0; i < 18; i++) bban += String(Math.floor(rand() * 10));
  const numeric = `${bban}131400`; // D=13 E=14, check digits 00
  let rem = 0;
  for (const ch of numeric) rem = (rem * 10 + (ch.charCodeAt(0) - 48)) % 97;
  const check = String(98 - rem).padStart(2, '0');
  return `DE${check}${bban}`;
}

const FIRST = ['Jane', 'John', 'Maria', 'Wei', 'Ahmed', 'Olga', 'Luis', 'Aiko', 'Peter', 'Fatima', 'Noah', 'Emma'];
const LAST = ['Doe', 'Smith', 'Garcia', 'Chen', 'Hassan', 'Ivanova', 'Lopez', 'Tanaka', 'Muller', 'Khan', 'Brown', 'Rossi'];
const STATUS = ['shipped', 'pending', 'delivered', 'refunded', 'cancelled'];
const COUNTRY = ['US', 'DE', 'GB', 'FR', 'NL', 'JP', 'IN', 'BR'];
const NOTES = [
  '',
  '',
  'Leave at the front door',
  'Customer called on 2026-11-20, ticket 4821937',
  'Gift wrap, version 2.14.3 of the app',
  'Backorder until 12/15; ref 99812-334',
  'Re-shipped after carrier loss (tracking 1Z999AA10123456784)',
];

export const HEADER =
  'order_id,created_at,updated_ms,customer_name,email,phone,country,amount,currency,status,sku,app_version,lat,lon,client_ip,card_number,iban,ssn,notes';

/**
 * One row of the report as its field values; `i` is the row index. `contact` is the share of rows that carry contact
 * data (email, phone; a client IP on half of those): 1 for a customer export, 0.05 for a report
 * where personal data is the exception (as in the ecosystem notes' measurements).
 */
export function rowFields(i, rand, contact = 1) {
  const hasContact = contact >= 1 || rand() < contact;
  const first = FIRST[Math.floor(rand() * FIRST.length)];
  const last = LAST[Math.floor(rand() * LAST.length)];
  const ms = 1763900000000 + Math.floor(rand() * 1e10);
  const iso = new Date(ms).toISOString();
  const pii = rand();
  const card = pii < 0.05 ? luhnComplete(rand() < 0.5 ? '4' : '5' + String(1 + Math.floor(rand() * 5)), 16, rand) : '';
  const iban = pii > 0.95 ? ibanDE(rand) : '';
  const ssn = pii > 0.05 && pii < 0.08 ? `${String(100 + Math.floor(rand() * 600))}-${String(10 + Math.floor(rand() * 89))}-${String(1000 + Math.floor(rand() * 8999))}` : '';
  const phone = hasContact ? `+1 ${200 + Math.floor(rand() * 700)} 555 0${String(100 + Math.floor(rand() * 899))}` : '';
  const ip = hasContact && rand() < 0.5 ? `${10 + Math.floor(rand() * 200)}.${Math.floor(rand() * 255)}.${Math.floor(rand() * 255)}.${1 + Math.floor(rand() * 250)}` : '';
  const note = NOTES[Math.floor(rand() * NOTES.length)];
  return [
    String(10_000_000 + i),
    iso,
    String(ms),
    `${first} ${last}`,
    hasContact ? `${first.toLowerCase()}.${last.toLowerCase()}${i % 997}@example.com` : '',
    phone,
    COUNTRY[Math.floor(rand() * COUNTRY.length)],
    (rand() * 5000).toFixed(2),
    'USD',
    STATUS[Math.floor(rand() * STATUS.length)],
    `SKU-${10000 + Math.floor(rand() * 89999)}-${['BL', 'RD', 'GR'][Math.floor(rand() * 3)]}`,
    `${1 + Math.floor(rand() * 3)}.${Math.floor(rand() * 20)}.${Math.floor(rand() * 10)}`,
    (rand() * 180 - 90).toFixed(6),
    (rand() * 360 - 180).toFixed(6),
    ip,
    card,
    iban,
    ssn,
    note,
  ];
}

/** One CSV line of the report (RFC 4180 quoting for the notes). */
export function row(i, rand, contact = 1) {
  return rowFields(i, rand, contact)
    .map((f) => (f.includes(',') ? `"${f}"` : f))
    .join(',');
}

/** A report of about `bytes` bytes (UTF-8), as one Buffer. */
export function generateReport(bytes, { seed = 42, contact = 1 } = {}) {
  const rand = rng(seed);
  const parts = [HEADER, '\n'];
  let size = HEADER.length + 1;
  for (let i = 0; size < bytes; i++) {
    const line = `${row(i, rand, contact)}\n`;
    parts.push(line);
    size += line.length;
  }
  return Buffer.from(parts.join(''), 'utf8');
}

/** The same report as a JSON array of objects (keys from the CSV header), about `bytes` bytes. */
export function generateJsonReport(bytes, { seed = 42, contact = 1 } = {}) {
  const rand = rng(seed);
  const keys = HEADER.split(',');
  const parts = ['['];
  let size = 1;
  for (let i = 0; size < bytes; i++) {
    const fields = rowFields(i, rand, contact);
    const obj = Object.fromEntries(keys.map((k, c) => [k, c === 0 || c === 2 ? Number(fields[c]) : fields[c]]));
    const text = `${i === 0 ? '' : ','}${JSON.stringify(obj)}`;
    parts.push(text);
    size += text.length;
  }
  parts.push(']');
  return Buffer.from(parts.join(''), 'utf8');
}
