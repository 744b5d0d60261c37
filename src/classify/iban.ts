/**
 * IBAN structure per country (ISO 13616, SWIFT IBAN registry) and the ISO 7064 MOD 97-10 check.
 *
 * Each entry is the BBAN in registry notation: `n` digits, `a` upper-case letters, `c` upper-case
 * letters or digits; the IBAN length is 4 + the BBAN length. The four countries marked
 * "experimental" publish IBANs outside the SWIFT registry (validator.js accepts them too).
 */
const BBAN_SPEC: Readonly<Record<string, string>> = {
  AD: '4n4n12c',
  AE: '3n16n',
  AL: '8n16c',
  AT: '5n11n',
  AZ: '4a20c',
  BA: '3n3n8n2n',
  BE: '3n7n2n',
  BG: '4a4n2n8c',
  BH: '4a14c',
  BI: '5n5n11n2n',
  BR: '8n5n10n1a1c',
  BY: '4c4n16c',
  CH: '5n12c',
  CR: '4n14n',
  CY: '3n5n16c',
  CZ: '4n6n10n',
  DE: '8n10n',
  DJ: '5n5n11n2n',
  DK: '4n9n1n',
  DO: '4c20n',
  EE: '2n2n11n1n',
  EG: '4n4n17n',
  ES: '4n4n1n1n10n',
  FI: '3n11n',
  FK: '2a12n',
  FO: '4n9n1n',
  FR: '5n5n11c2n',
  GB: '4a6n8n',
  GE: '2a16n',
  GI: '4a15c',
  GL: '4n9n1n',
  GR: '3n4n16c',
  GT: '4c20c',
  HR: '7n10n',
  HU: '3n4n1n15n1n',
  IE: '4a6n8n',
  IL: '3n3n13n',
  IQ: '4a3n12n',
  IS: '4n2n6n10n',
  IT: '1a5n5n12c',
  JO: '4a4n18c',
  KW: '4a22c',
  KZ: '3n13c',
  LB: '4n20c',
  LC: '4a24c',
  LI: '5n12c',
  LT: '5n11n',
  LU: '3n13c',
  LV: '4a13c',
  LY: '3n3n15n',
  MC: '5n5n11c2n',
  MD: '2c18c',
  ME: '3n13n2n',
  MK: '3n10c2n',
  MN: '4n12n',
  MR: '5n5n11n2n',
  MT: '4a5n18c',
  MU: '4a2n2n12n3n3a',
  NI: '4a20n',
  NL: '4a10n',
  NO: '4n6n1n',
  OM: '3n16c',
  PK: '4a16c',
  PL: '8n16n',
  PS: '4a21c',
  PT: '4n4n11n2n',
  QA: '4a21c',
  RO: '4a16c',
  RS: '3n13n2n',
  RU: '9n5n15c',
  SA: '2n18c',
  SC: '4a2n2n16n3a',
  SD: '2n12n',
  SE: '3n16n1n',
  SI: '5n8n2n',
  SK: '4n6n10n',
  SM: '1a5n5n12c',
  SO: '4n3n12n',
  ST: '4n4n11n2n',
  SV: '4a20n',
  TL: '3n14n2n',
  TN: '2n3n13n2n',
  TR: '5n1n16c',
  UA: '6n19c',
  VA: '3n15n',
  VG: '4a16n',
  XK: '4n10n2n',
  YE: '4a4n18c',
  // experimental (national IBANs outside the SWIFT registry)
  DZ: '22n',
  IR: '22n',
  MA: '24n',
  MZ: '21n',
};

/** Per country: character classes of the BBAN, one letter per position (`n`, `a`, `c`). */
const CLASSES = new Map<string, string>();
for (const [country, spec] of Object.entries(BBAN_SPEC)) {
  let classes = '';
  for (const m of spec.matchAll(/(\d+)([nac])/g)) classes += m[2]!.repeat(Number(m[1]));
  CLASSES.set(country, classes);
}

/** IBAN length for a country code, or `undefined`. */
export function ibanLength(country: string): number | undefined {
  const classes = CLASSES.get(country);
  return classes === undefined ? undefined : classes.length + 4;
}

function isUpper(c: number): boolean {
  return c >= 65 && c <= 90;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Validate an IBAN in electronic form (upper case, no separators) given as char codes
 * `codes[0..length)`: country format, check digits 02-98, and MOD 97-10.
 */
export function ibanValidCodes(codes: ArrayLike<number>, length: number): boolean {
  if (length < 5) return false;
  const country = String.fromCharCode(codes[0]!, codes[1]!);
  const classes = CLASSES.get(country);
  if (classes === undefined || classes.length + 4 !== length) return false;
  if (!isDigit(codes[2]!) || !isDigit(codes[3]!)) return false;
  const check = (codes[2]! - 48) * 10 + (codes[3]! - 48);
  if (check < 2 || check > 98) return false;
  for (let i = 0; i < classes.length; i++) {
    const c = codes[4 + i]!;
    const k = classes.charCodeAt(i);
    if (k === 110 /* n */ ? !isDigit(c) : k === 97 /* a */ ? !isUpper(c) : !isDigit(c) && !isUpper(c)) return false;
  }
  // MOD 97-10: BBAN, then country letters and check digits, letters as 10..35.
  let rem = 0;
  for (let j = 0; j < length; j++) {
    const c = codes[(j + 4) % length]!;
    rem = isDigit(c) ? (rem * 10 + (c - 48)) % 97 : (rem * 100 + (c - 55)) % 97;
  }
  return rem === 1;
}

/** Fill in the check digits of `country + '00' + bban` (tests and benchmarks). */
export function ibanWithCheckDigits(country: string, bban: string): string {
  const rearranged = `${bban}${country}00`;
  let rem = 0;
  for (const ch of rearranged) {
    const c = ch.charCodeAt(0);
    rem = isDigit(c) ? (rem * 10 + (c - 48)) % 97 : (rem * 100 + (c - 55)) % 97;
  }
  return `${country}${String(98 - rem).padStart(2, '0')}${bban}`;
}
