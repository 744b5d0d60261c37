// A generated (seeded, deterministic) customer/orders data set for the demo LOB app.
// Every sensitive value is synthetic: card numbers are Luhn-valid numbers in card-network test
// ranges, SSNs avoid real-issue patterns only as far as format rules go (they are random), IBANs
// carry valid ISO 7064 mod-97 check digits, emails use reserved example domains.

/** mulberry32: a tiny seeded PRNG, so every run serves the same data. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Margaret', 'Niklaus', 'Radia', 'Tim', 'Shafi', 'John', 'Leslie', 'Katherine'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Hamilton', 'Wirth', 'Perlman', 'Berners-Lee', 'Goldwasser', 'Backus', 'Lamport', 'Johnson'];
const CITIES = ['Berlin', 'Lisbon', 'Dublin', 'Austin', 'Toronto', 'Oslo', 'Vienna', 'Seattle'];
const PRODUCTS = ['Laptop stand', 'USB-C hub', 'Desk lamp', 'Monitor arm', 'Keyboard', 'Headset', 'Webcam', 'Docking station'];
/** Card-network test prefixes (Visa 4000 00xx, Mastercard 5555 55xx, Discover 6011 00xx). */
const CARD_PREFIXES = ['400000', '555555', '601100'];

function luhnCheckDigit(partial) {
  let sum = 0;
  for (let i = 0; i < partial.length; i++) {
    let d = partial.charCodeAt(partial.length - 1 - i) - 48;
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

function digits(rand, n) {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(rand() * 10);
  return s;
}

function cardNumber(rand) {
  const partial = CARD_PREFIXES[Math.floor(rand() * CARD_PREFIXES.length)] + digits(rand, 9);
  return partial + luhnCheckDigit(partial);
}

function ssn(rand) {
  const area = String(1 + Math.floor(rand() * 664)).padStart(3, '0');
  const group = String(1 + Math.floor(rand() * 98)).padStart(2, '0');
  const serial = String(1 + Math.floor(rand() * 9998)).padStart(4, '0');
  return `${area}-${group}-${serial}`;
}

/** IBAN check digits: ISO 7064 mod 97-10 over BBAN + country + "00". */
function iban(country, bban) {
  const rearranged = `${bban}${country}00`.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let rem = 0;
  for (const ch of rearranged) rem = (rem * 10 + Number(ch)) % 97;
  return `${country}${String(98 - rem).padStart(2, '0')}${bban}`;
}

function ibanFor(rand) {
  return rand() < 0.5 ? iban('DE', digits(rand, 18)) : iban('GB', `NWBK${digits(rand, 14)}`);
}

/**
 * The data set: `customers` (with card, SSN, IBAN, email) and `orders` (no personal data beyond a
 * customer id). Same seed, same data.
 */
export function generateDataSet({ customers = 200, orders = 600, seed = 20261123 } = {}) {
  const rand = prng(seed);
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const people = Array.from({ length: customers }, (_, i) => {
    const first = pick(FIRST);
    const last = pick(LAST);
    return {
      id: `C${String(i + 1).padStart(5, '0')}`,
      name: `${first} ${last}`,
      email: `${first}.${last}${i}@example.com`.toLowerCase().replace(/[^a-z0-9.@]/g, ''),
      city: pick(CITIES),
      card: cardNumber(rand),
      ssn: ssn(rand),
      iban: ibanFor(rand),
    };
  });
  const orderRows = Array.from({ length: orders }, (_, i) => ({
    id: `O${String(i + 1).padStart(6, '0')}`,
    customerId: people[Math.floor(rand() * people.length)].id,
    product: pick(PRODUCTS),
    quantity: 1 + Math.floor(rand() * 5),
    amount: Math.round((10 + rand() * 990) * 100) / 100,
    date: new Date(Date.UTC(2026, Math.floor(rand() * 11), 1 + Math.floor(rand() * 28))).toISOString().slice(0, 10),
  }));
  return { customers: people, orders: orderRows };
}

/** RFC 4180 field quoting. */
export function csvField(value) {
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsvLines(rows, columns) {
  return [columns.join(','), ...rows.map((r) => columns.map((c) => csvField(r[c])).join(','))].map((l) => `${l}\n`);
}
