/**
 * Corroborating keywords of the built-in types, grouped the way Microsoft's definitions group them
 * (Keyword_cc_name, Keyword_ssn, Keyword_ABA_Routing, …), plus the "anti-labels" that mark a number
 * as something else (an order number, a SKU, a version).
 *
 * Keywords are matched case-insensitively on word boundaries; a space in a keyword also matches
 * `_`, `-` or nothing, so CSV headers such as `card_number` or `cardNumber` match "card number".
 * The scanner searches raw UTF-8 bytes viewed as Latin-1, so each keyword is compiled in that form.
 */

/** Keyword groups (bit flags). */
export const KW = {
  card: 1 << 0,
  ssn: 1 << 1,
  aba: 1 << 2,
  bank: 1 << 3,
  passportNumber: 1 << 4,
  passportDate: 1 << 5,
  nino: 1 << 6,
  ip: 1 << 7,
  email: 1 << 8,
  phone: 1 << 9,
  /** Func_expiration_date: an expiry such as 12/26 (corroborates cards like a card keyword). */
  cardExpiry: 1 << 10,
} as const;
export type KeywordGroup = (typeof KW)[keyof typeof KW];

export const KEYWORD_GROUPS: readonly KeywordGroup[] = Object.values(KW);

/** Card evidence: a card keyword or an expiry date. */
export const CARD_EVIDENCE = KW.card | KW.cardExpiry;

/**
 * Keyword lists (after Microsoft's Keyword_* dictionaries, abridged to the terms that occur in
 * reports; lower case). Card terms merge Keyword_cc_verification, Keyword_cc_name,
 * Keyword_card_terms_dict and the EU debit card terms, since both card types accept any of them.
 */
export const KEYWORDS: Readonly<Record<KeywordGroup, readonly string[]>> = {
  [KW.card]: [
    // Keyword_cc_verification
    'card verification', 'card identification number', 'cvn', 'cid', 'cvc', 'cvc2', 'cvv', 'cvv2', 'cvv code', 'pin block',
    'security code', 'security number', 'security no', 'issue number', 'issue no', 'cryptogramme', 'numéro de sécurité',
    'numero de securite', 'kreditkartenprüfnummer', 'prüfziffer', 'código de seguridad', 'codigo de seguridad',
    // Keyword_cc_name
    'amex', 'american express', 'americanexpress', 'visa', 'mastercard', 'master card', 'mastercards', 'diners club',
    'dinersclub', 'discover', 'discover card', 'jcb', 'japanese card bureau', 'carte blanche', 'carteblanche', 'unionpay',
    'union pay', 'maestro', 'credit card', 'credit cards', 'creditcard', 'cc#', 'cc #', 'cc number', 'ccn', 'card number',
    'card numbers', 'card no', 'card num', 'card #', 'card holder', 'cardholder', 'card holders', 'card type', 'card account',
    'pan', 'payment card', 'kreditkarte', 'kreditkartennummer', 'carte de crédit', 'carte de credit', 'numéro de carte',
    'numero de carte', 'tarjeta de crédito', 'tarjeta de credito', 'número de tarjeta', 'numero de tarjeta', 'carta di credito',
    'cartão de crédito', 'cartao de credito',
    // EU debit card and card terms
    'debit card', 'debitcard', 'debit cards', 'carte bancaire', 'carte bleue', 'debitkarte', 'ec karte', 'ec-karte',
    'girocard', 'bankkaart', 'betaalpas', 'pinpas', 'carta di debito', 'bancomat', 'tarjeta de débito', 'tarjeta de debito',
    'cartão de débito', 'cartao de debito', 'multibanco', 'karta debetowa', 'betalkort', 'bankkort', 'dankort', 'pankkikortti',
    // Keyword_card_expiration_terms_dict (Func_expiration_date is group cardExpiry)
    'expiration', 'expiration date', 'expiry', 'expiry date', 'exp date', 'expires', 'valid thru', 'valid through',
    'good thru', 'good through', 'date d\'expiration', 'ablaufdatum', 'gültig bis', 'fecha de vencimiento', 'scadenza',
  ],
  [KW.ssn]: [
    'social security', 'social security number', 'social security no', 'social security #', 'social security#', 'soc sec',
    'ssn', 'ssns', 'ssn#', 'ss#', 'ssid', 'social sec',
  ],
  [KW.aba]: [
    'aba', 'aba number', 'aba#', 'aba routing', 'aba routing number', 'abarouting', 'american bank association routing',
    'bank routing', 'routing', 'routing number', 'routing no', 'routing #', 'routingnumber', 'routing transit number', 'rtn',
    'transit number',
  ],
  [KW.bank]: [
    'checking account', 'checking account number', 'checking acct', 'checking acct number', 'checking account no',
    'savings account', 'savings account number', 'savings acct', 'savings acct number', 'bank account', 'bank account number',
    'bank acct', 'bank acct number', 'bank account no', 'debit account', 'debit account number', 'debit acct', 'account number',
    'acct number', 'acct no', 'acct #', 'acct#', 'account no', 'account #', 'account#',
  ],
  [KW.passportNumber]: [
    'passport', 'passport number', 'passport no', 'passport #', 'passport#', 'passportnumber', 'passport id', 'passports',
    'passport book', 'passeport', 'numéro de passeport', 'reisepass', 'reisepassnummer', 'pasaporte', 'passaporto',
  ],
  [KW.passportDate]: [
    'date of issue', 'date of expiry', 'date of expiration', 'issue date', 'issued', 'issued on', 'expiry date',
    'expiration date', 'expires', 'expires on', 'valid until', 'date de délivrance', 'date d\'expiration', 'ausstellungsdatum',
    'gültig bis',
  ],
  [KW.nino]: [
    'national insurance', 'national insurance number', 'national insurance no', 'national insurance contributions',
    'insurance number', 'insurance no', 'nino', 'ni number', 'ni no', 'ni #', 'nic number', 'nationalinsurancenumber',
  ],
  [KW.ip]: ['ip address', 'ip addresses', 'ip addr', 'internet protocol', 'ipv4', 'ipv6', 'ip', 'remote addr', 'client ip'],
  [KW.email]: ['email', 'e-mail', 'email address', 'e-mail address', 'mail', 'mail address', 'courriel', 'correo', 'e-post'],
  [KW.cardExpiry]: [],
  [KW.phone]: [
    'phone', 'phone number', 'telephone', 'telephone number', 'tel', 'tel.', 'mobile', 'mobile number', 'cell', 'cell phone',
    'cellphone', 'fax', 'msisdn', 'contact number', 'téléphone', 'telefon', 'teléfono', 'telefono', 'handy',
  ],
};

/**
 * Words that, as the label right before a number (or as its CSV column header), say the number is
 * an identifier of something else. Peer tools flag such numbers as cards/SSNs; we do not, unless a
 * corroborating keyword of the type is part of the same label.
 */
export const ANTI_LABELS: readonly string[] = [
  'order', 'order id', 'order no', 'order number', 'invoice', 'inv', 'ref', 'reference', 'tracking', 'tracking number',
  'track', 'sku', 'serial', 'serial number', 'sn', 's/n', 'part', 'part number', 'pn', 'item', 'product', 'model', 'ticket',
  'case', 'confirmation', 'transaction', 'txn', 'tx', 'batch', 'lot', 'isbn', 'ean', 'upc', 'gtin', 'imei', 'version', 'ver',
  'build', 'release', 'id', 'ids', 'uuid', 'guid', 'hash', 'checksum', 'timestamp', 'ts', 'epoch', 'ms', 'millis', 'created',
  'updated', 'modified', 'date', 'time', 'shipment', 'parcel', 'awb', 'po', 'receipt', 'barcode', 'asin', 'mpn', 'quantity',
  'qty', 'count', 'amount', 'price', 'total', 'lat', 'lon', 'lng', 'latitude', 'longitude', 'zip', 'postcode', 'row',
  'session', 'request', 'trace',
];

/** UTF-8 bytes of `s` as a Latin-1 string (how the scanner sees non-ASCII text). */
function asLatin1Bytes(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\\/]/g, '\\$&');
}

/**
 * Regex source for one keyword over Latin-1-viewed UTF-8: ASCII letters rely on the `i` flag;
 * non-ASCII letters list both case forms' byte sequences; a space matches `[ _-]?`.
 */
function keywordSource(keyword: string): string {
  let out = '';
  for (const ch of keyword) {
    if (ch === ' ') out += '[ _\\-]?';
    else if (ch.charCodeAt(0) < 128) out += escapeRe(ch);
    else {
      const forms = new Set([asLatin1Bytes(ch.toLowerCase()), asLatin1Bytes(ch.toUpperCase())]);
      out += `(?:${[...forms].map(escapeRe).join('|')})`;
    }
  }
  return out;
}

/**
 * Word-boundary alternation. Letters and digits (and UTF-8 bytes ≥ 0x80) on either side prevent a
 * match, so "ip" does not match inside "zip" and "cell" not inside "cancelled". The left side is
 * `\\b` (every keyword starts with an ASCII letter), which keeps V8's fast scanning for the first
 * letters; a UTF-8 byte before the keyword is rejected by `acceptKeywordHit`.
 */
function alternation(keywords: readonly string[]): string {
  const sorted = [...new Set(keywords)].sort((a, b) => b.length - a.length);
  return `\\b(?:${sorted.map(keywordSource).join('|')})(?![A-Za-z0-9\\x80-\\xff])`;
}

/** Func_expiration_date: an expiry such as 12/26, 12/2026 or 12-26 (month first). */
const EXPIRY_DATE_SOURCE = '(?<![0-9/.\\-])(?:0?[1-9]|1[0-2])[/\\-](?:20)?[0-9]{2}(?![0-9/.\\-])';

/** Per group: a global, case-insensitive regex over Latin-1-viewed UTF-8. */
export const GROUP_REGEX: ReadonlyMap<KeywordGroup, RegExp> = new Map(
  KEYWORD_GROUPS.map((g) => {
    // Expiry dates start with digits, which would slow the card keywords' scan on numeric text.
    const source = g === KW.cardExpiry ? EXPIRY_DATE_SOURCE : alternation(KEYWORDS[g]!);
    return [g, new RegExp(source, 'gi')] as const;
  }),
);

/**
 * Substrings every keyword of a group contains (in lower, upper or capitalized form), for the
 * keyword-required groups: a window without any of them cannot corroborate, so its candidates
 * skip the regex search. Checked against the keyword lists by a test.
 */
export const GROUP_ANCHORS: ReadonlyMap<KeywordGroup, readonly string[]> = new Map([
  [KW.bank, ['acc']],
  [KW.ssn, ['ssn', 'ss#', 'ssid', 'soc']],
  [KW.passportNumber, ['pass', 'pasaporte']],
]);

/** Per anchored group, one case-insensitive regex of its anchors (a cheap presence test). */
export const GROUP_PRESENCE: ReadonlyMap<KeywordGroup, RegExp> = new Map(
  [...GROUP_ANCHORS].map(([group, anchors]) => [group, new RegExp(anchors.map(escapeRe).join('|'), 'i')]),
);

/** The anchored groups as one mask. */
export const ANCHORED_GROUPS: number = [...GROUP_ANCHORS.keys()].reduce((m, g) => m | g, 0);

/** Per anchored group (by bit index), its anchors as byte arrays (lower case). */
const ANCHOR_BYTES: readonly (readonly Uint8Array[])[] = KEYWORD_GROUPS.map((g) =>
  (GROUP_ANCHORS.get(g) ?? []).map((a) => Uint8Array.from(Buffer.from(a.toLowerCase(), 'latin1'))),
);

/**
 * Does `b[from..to)` hold an anchor of the anchored `group`, in any case (as GROUP_PRESENCE
 * tests a Latin-1 string, without making one)? ASCII letters compare case-insensitively, other
 * bytes exactly; no Latin-1 character case-folds to an ASCII letter, so the answers agree.
 */
export function anchorIn(b: Uint8Array, from: number, to: number, group: KeywordGroup): boolean {
  const anchors = ANCHOR_BYTES[31 - Math.clz32(group)]!;
  for (let a = 0; a < anchors.length; a++) {
    const anchor = anchors[a]!;
    const first = anchor[0]!;
    const last = to - anchor.length;
    for (let p = from; p <= last; p++) {
      if (!sameFolded(b[p]!, first)) continue;
      let j = 1;
      while (j < anchor.length && sameFolded(b[p + j]!, anchor[j]!)) j++;
      if (j === anchor.length) return true;
    }
  }
  return false;
}

/** Byte `c` equals the lower-case anchor byte `a`, ignoring ASCII letter case. */
function sameFolded(c: number, a: number): boolean {
  return a >= 97 && a <= 122 ? (c | 0x20) === a : c === a;
}

/**
 * Post-checks of a keyword hit at `index` of `text` (Latin-1 view): not preceded by a UTF-8 byte
 * (part of a non-ASCII word), and the bare word "ip" only in capitals ("IP"), as in Microsoft's
 * Keyword_ipaddress.
 */
export function acceptKeywordHit(group: KeywordGroup, text: string, index: number, hit: string): boolean {
  if (index > 0 && text.charCodeAt(index - 1) >= 0x80 && hit.charCodeAt(0) >= 65) return false;
  if (group === KW.ip && hit.length === 2) return hit === 'IP';
  return true;
}

// ------------------------------------------------------------------------------------------------
// Labels and column headers
// ------------------------------------------------------------------------------------------------

const HEADER_KEYWORDS_EXTRA: Readonly<Record<number, readonly string[]>> = {
  [KW.card]: ['card', 'cc', 'cc no', 'pan number', 'card pan'],
  [KW.ip]: ['ip', 'ip addr', 'remote ip', 'source ip', 'src ip', 'dst ip', 'host ip', 'remote address', 'client address'],
  [KW.email]: ['mail', 'email addr', 'e mail'],
  [KW.phone]: ['tel', 'phone no', 'mobile no', 'telephone no', 'contact phone'],
  [KW.ssn]: ['social', 'ss number', 'ss no'],
  [KW.nino]: ['ni', 'nin'],
};

/** Header / label normalization: camelCase split, separators to spaces, lower case. */
export function normalizeLabel(text: string): string {
  return text
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[_\-.:/\\]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

/** Groups whose keywords occur in a label or column header (case-insensitive, even "ip"). */
export function groupsInLabel(label: string): number {
  const text = normalizeLabel(label);
  if (text === '') return 0;
  const latin = asLatin1Bytes(text);
  let mask = 0;
  for (const [group, re] of GROUP_REGEX) {
    re.lastIndex = 0;
    if (re.test(latin)) mask |= group;
  }
  for (const [group, re] of HEADER_EXTRA_RE) if (re.test(text)) mask |= group;
  return mask;
}

const HEADER_EXTRA_RE: ReadonlyArray<readonly [number, RegExp]> = Object.entries(HEADER_KEYWORDS_EXTRA).map(
  ([group, words]) => [Number(group), new RegExp(`(?:^| )(?:${words.map(escapeRe).join('|')})(?: |$)`)] as const,
);

const ANTI_HEADER_RE = new RegExp(`(?:^| )(?:${ANTI_LABELS.map(escapeRe).join('|')})(?: |$)`);

/** Does a column header name an identifier that is not sensitive data (order id, timestamp, …)? */
export function isAntiHeader(header: string): boolean {
  return ANTI_HEADER_RE.test(normalizeLabel(header));
}

/** Single words of the anti-labels ("order", "sku", "tracking"…), for the label check. */
const ANTI_WORDS: ReadonlySet<string> = new Set(ANTI_LABELS.filter((l) => !l.includes(' ')).map((l) => l.replace('/', '')));
/** Words that may follow an anti-label word: "Order no.", "Tracking number", "SKU #". */
const LABEL_SUFFIXES: ReadonlySet<string> = new Set(['no', 'nr', 'num', 'number', 'id', 'code']);

/**
 * Is `before` (the text preceding a number on its line) an anti-label — its last word, or the word
 * before a trailing "no/number/id", names something else ("Order #", "SKU:", "Tracking no.") —
 * with no keyword of `groups` in it?
 */
export function endsWithAntiLabel(before: string, groups: number): boolean {
  const words = before.toLowerCase().match(/[a-z/]+/g);
  if (!words) return false;
  const last = words[words.length - 1]!.replace('/', '');
  let anti = ANTI_WORDS.has(last);
  if (!anti && LABEL_SUFFIXES.has(last) && words.length >= 2) anti = ANTI_WORDS.has(words[words.length - 2]!.replace('/', ''));
  if (!anti) return false;
  for (const [group, re] of GROUP_REGEX) {
    if ((groups & group) === 0) continue;
    re.lastIndex = 0;
    if (re.test(before)) return false;
  }
  return true;
}

/** FNV-1a of a word's lower-case letters read backwards ("/" skipped), as `wordBefore` computes it. */
function reversedWordHash(word: string): number {
  let h = 0x811c9dc5;
  for (let i = word.length - 1; i >= 0; i--) {
    const c = word.charCodeAt(i);
    if (c !== 47) h = Math.imul(h ^ c, 0x01000193);
  }
  return h;
}
const ANTI_WORD_HASHES: ReadonlySet<number> = new Set([...ANTI_WORDS].map(reversedWordHash));
const SUFFIX_HASHES: ReadonlySet<number> = new Set([...LABEL_SUFFIXES].map(reversedWordHash));

/** Result of `wordBefore`: the hash and start of the word. */
const WORD = { hash: 0, start: 0 };

function isLetterOrSlash(c: number): boolean {
  return ((c | 0x20) >= 97 && (c | 0x20) <= 122) || c === 47;
}

/** The word (letters and "/") ending just before `end`, skipping separators; false if none. */
function wordBefore(b: Uint8Array, end: number, stop: number): boolean {
  let p = end - 1;
  while (p >= stop) {
    const c = b[p]!;
    if (c === 32 || c === 9 || c === 35 || c === 58 || c === 61 || c === 46 || c === 45 || c === 95 || c === 40) p--;
    else break;
  }
  if (p < stop || !isLetterOrSlash(b[p]!)) return false;
  let h = 0x811c9dc5;
  while (p >= stop && isLetterOrSlash(b[p]!)) {
    const c = b[p]!;
    if (c !== 47) h = Math.imul(h ^ (c | 0x20), 0x01000193);
    p--;
  }
  // A word glued to a digit ("v2") is not a label.
  if (p >= stop && b[p]! >= 48 && b[p]! <= 57) return false;
  WORD.hash = h;
  WORD.start = p + 1;
  return true;
}

/**
 * Allocation-free form of the anti-label check on raw bytes: is the word before `start` (or the
 * word before a trailing "no/number/id") an anti-label? `stop` bounds the search (line start).
 * Keywords of the type inside the label are checked by the caller.
 */
export function antiLabelAt(b: Uint8Array, start: number, stop: number): boolean {
  if (!wordBefore(b, start, stop)) return false;
  if (ANTI_WORD_HASHES.has(WORD.hash)) return true;
  if (!SUFFIX_HASHES.has(WORD.hash)) return false;
  return wordBefore(b, WORD.start, stop) && ANTI_WORD_HASHES.has(WORD.hash);
}

/** Does `label` (Latin-1 view of bytes) hold a keyword of one of `groups`? */
export function labelHasKeyword(label: string, groups: number): boolean {
  for (const [group, re] of GROUP_REGEX) {
    if ((groups & group) === 0) continue;
    re.lastIndex = 0;
    if (re.test(label)) return true;
  }
  return false;
}
