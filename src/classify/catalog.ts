/**
 * The built-in catalog: which types exist, under which ids they are reported, and the confidence
 * each kind of evidence earns, following Microsoft's definitions (85 high / 75 medium / 65 low,
 * corroborating keywords within 300 characters).
 */
import { CARD_EVIDENCE, KW } from './keywords.js';
import { SIT, SIT_NAMES } from './type-ids.js';

/** Built-in types by scanner index (custom types follow from `BUILTIN_COUNT`). */
export const T = {
  creditCard: 0,
  euDebitCard: 1,
  usSsn: 2,
  iban: 3,
  abaRouting: 4,
  usBankAccount: 5,
  usUkPassport: 6,
  ukNino: 7,
  ipAddress: 8,
  ipv4Address: 9,
  ipv6Address: 10,
  email: 11,
  phone: 12,
} as const;
export type TypeIndex = number;

export const BUILTIN_IDS: readonly string[] = [
  SIT.creditCard,
  SIT.euDebitCard,
  SIT.usSsn,
  SIT.iban,
  SIT.abaRouting,
  SIT.usBankAccount,
  SIT.usUkPassport,
  SIT.ukNino,
  SIT.ipAddress,
  SIT.ipv4Address,
  SIT.ipv6Address,
  SIT.email,
  SIT.phone,
];
export const BUILTIN_COUNT = BUILTIN_IDS.length;

/** How a match is shown in `--explain` output: how many leading/trailing characters stay visible. */
export interface MaskStyle {
  keepStart: number;
  keepEnd: number;
}

export const MASK_STYLE: readonly MaskStyle[] = [
  { keepStart: 4, keepEnd: 4 }, // card: 4111********1111
  { keepStart: 4, keepEnd: 4 },
  { keepStart: 0, keepEnd: 4 }, // SSN: ***-**-6789
  { keepStart: 4, keepEnd: 4 }, // IBAN: DE89**************3000
  { keepStart: 0, keepEnd: 2 },
  { keepStart: 0, keepEnd: 2 },
  { keepStart: 1, keepEnd: 2 },
  { keepStart: 2, keepEnd: 1 },
  { keepStart: 3, keepEnd: 0 }, // IP: 192.***.*.**
  { keepStart: 3, keepEnd: 0 },
  { keepStart: 4, keepEnd: 0 },
  { keepStart: 1, keepEnd: 0 }, // email: special-cased (j***@example.com)
  { keepStart: 0, keepEnd: 4 }, // phone: +* *** *** 0132
];

/** One confidence level: every mask in `all` must be corroborated (by a keyword of any of its groups). */
export interface Level {
  confidence: number;
  all: readonly number[];
}

/** A pattern of a type and its levels, highest first; no satisfied level means "not reported". */
export interface Rule {
  type: TypeIndex;
  /** The rule is about a bare number: anti-labels and anti-columns suppress it. */
  numeric: boolean;
  /** Every keyword group any level refers to. */
  groups: number;
  /** Confidence of the first (highest) level. */
  top: number;
  /** Every level needs a keyword (nothing is reported without one). */
  keywordRequired: boolean;
  levels: readonly Level[];
}

const level = (confidence: number, ...all: number[]): Level => ({ confidence, all });
const rule = (type: TypeIndex, numeric: boolean, ...levels: Level[]): Rule => ({
  type,
  numeric,
  groups: levels.reduce((m, l) => l.all.reduce((n, g) => n | g, m), 0),
  top: levels[0]!.confidence,
  keywordRequired: levels.every((l) => l.all.length > 0),
  levels,
});

export const RULES = {
  /** Func_credit_card: 85 with a card keyword/expiry date, 65 alone. */
  card: rule(T.creditCard, true, level(85, CARD_EVIDENCE), level(65)),
  /** Func_eu_debit_card: 85 with a card/debit keyword or expiry date, 65 alone. */
  euDebit: rule(T.euDebitCard, true, level(85, CARD_EVIDENCE), level(65)),
  /** Func_ssn (formatted, pre-2011 ranges) + Keyword_ssn. */
  ssnFormatted: rule(T.usSsn, true, level(85, KW.ssn)),
  /** Func_unformatted_ssn + Keyword_ssn. */
  ssnUnformatted: rule(T.usSsn, true, level(75, KW.ssn)),
  /** Func_randomized_formatted_ssn + Keyword_ssn. */
  ssnRandomizedFormatted: rule(T.usSsn, true, level(65, KW.ssn)),
  /** Func_randomized_unformatted_ssn + Keyword_ssn. */
  ssnRandomizedUnformatted: rule(T.usSsn, true, level(55, KW.ssn)),
  /** Func_aba_routing: 75 with Keyword_ABA_Routing, 65 alone. */
  aba: rule(T.abaRouting, true, level(75, KW.aba), level(65)),
  /** Regex_usa_bank_account_number + Keyword_usa_Bank_Account (required). */
  bank: rule(T.usBankAccount, true, level(75, KW.bank)),
  /** Func_usa_uk_passport: 85 with number + date keywords, 75 with a number keyword. */
  passport: rule(T.usUkPassport, true, level(85, KW.passportNumber, KW.passportDate), level(75, KW.passportNumber)),
  /** Func_uk_nino: 85 with Keyword_uk_nino, 75 alone. */
  nino: rule(T.ukNino, false, level(85, KW.nino), level(75)),
  /** Func_iban: pattern + checksum, 85. */
  iban: rule(T.iban, false, level(85)),
  /** "IP Address" for an IPv4 address: 95 with Keyword_ipaddress only. */
  ipAddressV4: rule(T.ipAddress, true, level(95, KW.ip)),
  /** "IP Address v4": 85 with a keyword, 75 alone. */
  ipv4: rule(T.ipv4Address, true, level(85, KW.ip), level(75)),
  /** "IP Address" for an IPv6 address: 95 with a keyword, 85 alone. */
  ipAddressV6: rule(T.ipAddress, false, level(95, KW.ip), level(85)),
  /** "IP Address v6" (levels assumed as for v4; Microsoft's definition is not published). */
  ipv6: rule(T.ipv6Address, false, level(85, KW.ip), level(75)),
  /** labelgate email: 85 with an email keyword (or an email column), 75 alone. */
  email: rule(T.email, false, level(85, KW.email), level(75)),
  /** labelgate phone, international (+cc) or North American formatted: 85 with a keyword, 75 alone. */
  phone: rule(T.phone, true, level(85, KW.phone), level(75)),
  /** labelgate phone, national format with trunk prefix 0: 75 with a keyword, 65 alone. */
  phoneNational: rule(T.phone, true, level(75, KW.phone), level(65)),
  /** labelgate phone, unformatted 10-11 digits: only with a keyword, 65. */
  phoneBare: rule(T.phone, true, level(65, KW.phone)),
} satisfies Record<string, Rule>;

/** Documentation table of the catalog (README / docs / `labelgate scan --help`). */
export interface CatalogEntry {
  id: string;
  name: string;
  pattern: string;
  validation: string;
  confidence: string;
}

export const CATALOG: readonly CatalogEntry[] = [
  {
    id: SIT.creditCard,
    name: SIT_NAMES[SIT.creditCard]!,
    pattern: '13-19 digits, plain or grouped 4-4-4-4(-3) / 4-6-5 / 4-6-4 with spaces or hyphens',
    validation: 'issuer range and length (Visa, Mastercard 51-55 and 2221-2720, Amex, Diners, JCB, Discover, UnionPay, Maestro, Mir, RuPay, UATP, Troy) + Luhn',
    confidence: '85 with a card keyword or expiry date within 300 chars (or a card column); 65 alone',
  },
  {
    id: SIT.euDebitCard,
    name: SIT_NAMES[SIT.euDebitCard]!,
    pattern: '16-19-digit Visa / Mastercard / Maestro numbers',
    validation: 'issuer range + Luhn',
    confidence: '85 with a card/debit keyword or expiry date; 65 alone',
  },
  {
    id: SIT.usSsn,
    name: SIT_NAMES[SIT.usSsn]!,
    pattern: 'ddd-dd-dddd, ddd dd dddd, or 9 digits',
    validation: 'area not 000/666/9xx, group not 00, serial not 0000, no known fake (078-05-1120, 219-09-9999, 123-45-6789) or repeated digit',
    confidence: 'keyword required: 85 formatted, 75 unformatted (areas up to 772); 65 / 55 for randomized areas 773-899',
  },
  {
    id: SIT.iban,
    name: SIT_NAMES[SIT.iban]!,
    pattern: 'country code + 2 check digits + BBAN, plain or in groups of 4 (spaces or hyphens), upper case',
    validation: 'per-country length and BBAN format (88 SWIFT-registry countries + 4 experimental) + ISO 7064 MOD 97-10',
    confidence: '85',
  },
  {
    id: SIT.abaRouting,
    name: SIT_NAMES[SIT.abaRouting]!,
    pattern: '9 digits or dddd-dddd-d',
    validation: 'prefix 00-12, 21-32, 61-72, 80 + 3-7-1 checksum',
    confidence: '75 with a routing keyword; 65 alone',
  },
  {
    id: SIT.usBankAccount,
    name: SIT_NAMES[SIT.usBankAccount]!,
    pattern: '6-17 digits',
    validation: 'none',
    confidence: 'keyword required (checking/savings/bank/debit account…): 75',
  },
  {
    id: SIT.usUkPassport,
    name: SIT_NAMES[SIT.usUkPassport]!,
    pattern: '9 digits, or a letter + 8 digits',
    validation: 'none',
    confidence: 'keyword required: 85 with passport number + date keywords, 75 with a passport keyword',
  },
  {
    id: SIT.ukNino,
    name: SIT_NAMES[SIT.ukNino]!,
    pattern: 'two letters + 6 digits + A-D (AB123456C, AB 12 34 56 C)',
    validation: 'allowed prefix letters (not D F I Q U V; second not O; not BG GB KN NK NT TN ZZ)',
    confidence: '85 with a NINO keyword; 75 alone',
  },
  {
    id: SIT.ipAddress,
    name: SIT_NAMES[SIT.ipAddress]!,
    pattern: 'IPv4 or IPv6 address',
    validation: 'octets 0-255; IPv6 groups, one "::", embedded IPv4, zone id',
    confidence: 'IPv6: 95 with an IP keyword, 85 alone; IPv4: 95 with an IP keyword only',
  },
  {
    id: SIT.ipv4Address,
    name: SIT_NAMES[SIT.ipv4Address]!,
    pattern: 'dotted IPv4 address',
    validation: 'octets 0-255, not part of a longer dotted number',
    confidence: '85 with an IP keyword; 75 alone',
  },
  {
    id: SIT.ipv6Address,
    name: SIT_NAMES[SIT.ipv6Address]!,
    pattern: 'IPv6 address',
    validation: 'as IP Address',
    confidence: '85 with an IP keyword; 75 alone (assumed; Microsoft does not publish this definition)',
  },
  {
    id: SIT.email,
    name: SIT_NAMES[SIT.email]!,
    pattern: 'local@domain.tld (RFC 5321 sizes; IDN letters allowed)',
    validation: 'no leading/trailing/double dots, labels ≤ 63, domain ≤ 253, alphabetic or punycode TLD',
    confidence: '85 with an email keyword or column; 75 alone',
  },
  {
    id: SIT.phone,
    name: SIT_NAMES[SIT.phone]!,
    pattern: '+country code numbers, North American (NXX) NXX-XXXX, national numbers with trunk prefix 0, bare 10-11 digits',
    validation: 'E.164 length 8-15; NANP area/exchange codes 2-9',
    confidence: 'international/NANP: 85 with a phone keyword, 75 alone; national: 75 / 65; bare digits: 65 with a keyword only',
  },
];
