/**
 * Baseline classifier (to be replaced by the full catalog): credit cards (Luhn), U.S. SSNs and
 * email addresses over the whole decoded text. Implements the `api.ts` contract.
 */
import { StringDecoder } from 'node:string_decoder';
import type { ClassificationResult } from '../graph-types.js';
import type { ClassifyInput, ClassifyOptions, MatchExplanation, Scanner, ScannerOptions } from './api.js';
import { SIT } from './type-ids.js';

export type { ClassifyInput, ClassifyOptions, MatchExplanation, Scanner, ScannerOptions } from './api.js';

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

const CARD = /(?<![\d.])\d{4}(?:[ -]?\d{4}){2}[ -]?\d{1,7}(?![\d.])/g;
const SSN = /(?<![\d-])(\d{3})-(\d{2})-(\d{4})(?![\d-])/g;
const EMAIL = /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+/g;

export function createScanner(options: ScannerOptions = {}): Scanner {
  const decoder = new StringDecoder('utf8');
  let text = '';
  let scanned = 0;
  const explanations: MatchExplanation[] = [];
  return {
    get scannedChars() {
      return scanned;
    },
    write(chunk) {
      const s = typeof chunk === 'string' ? chunk : decoder.write(Buffer.from(chunk));
      text += s;
      scanned += s.length;
    },
    end() {
      text += decoder.end();
      const found = new Map<string, Set<string>>();
      const add = (id: string, value: string, offset: number) => {
        let set = found.get(id);
        if (!set) found.set(id, (set = new Set()));
        set.add(value);
        if (options.explain) explanations.push({ sensitiveTypeId: id, typeName: id, offset, confidenceLevel: 65, masked: `${value.slice(0, 2)}***` });
      };
      for (const m of text.matchAll(CARD)) {
        const digits = m[0].replace(/\D/g, '');
        if (digits.length >= 13 && digits.length <= 19 && luhn(digits)) add(SIT.creditCard, digits, m.index);
      }
      for (const m of text.matchAll(SSN)) {
        const [, area, group, serial] = m;
        if (area !== '000' && area !== '666' && !area!.startsWith('9') && group !== '00' && serial !== '0000') add(SIT.usSsn, m[0], m.index);
      }
      for (const m of text.matchAll(EMAIL)) add(SIT.email, m[0].toLowerCase(), m.index);
      return [...found].map(([sensitiveTypeId, set]) => ({ sensitiveTypeId, count: set.size, confidenceLevel: sensitiveTypeId === SIT.email ? 75 : 65 }));
    },
    explanations: () => explanations,
  };
}

function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return typeof v === 'object' && v !== null && Symbol.asyncIterator in v;
}

export async function classify(input: ClassifyInput, options: ClassifyOptions = {}): Promise<ClassificationResult[]> {
  const scanner = createScanner(options);
  if (typeof input === 'string' || input instanceof Uint8Array) scanner.write(input);
  else if (isAsyncIterable(input)) for await (const c of input) scanner.write(c as Buffer | string);
  else if (typeof (input as unknown as ReadableStream).getReader === 'function') {
    const reader = (input as unknown as ReadableStream<Uint8Array | string>).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      scanner.write(value);
    }
  } else for (const c of input as Iterable<Buffer | string>) scanner.write(c);
  return scanner.end();
}
