/**
 * HTTP header values that carry a label: the `Sensitivity-Label` structured field (RFC 9651
 * Dictionary) and `msip_labels` (the same MSIP pairs the file metadata carries, as in mail).
 * Every value is built so that no label name can inject a header or break the field syntax.
 */
import type { KeyValuePair, SensitivityLabel } from '../graph-types.js';
import { MSIP_KEY_PARTS, formatMsipHeader } from '../evaluate/msip.js';

const utf8 = new TextEncoder();

/**
 * An sf-string when the text is printable ASCII, else an RFC 9651 Display String (`%"…"`, UTF-8
 * percent-encoded). Control characters (CR, LF, …) are never emitted raw in either form.
 */
export function sfText(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text)) return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  let out = '%"';
  for (const byte of utf8.encode(text)) {
    if (byte === 0x25 || byte === 0x22 || byte < 0x20 || byte > 0x7e) out += `%${byte.toString(16).padStart(2, '0')}`;
    else out += String.fromCharCode(byte);
  }
  return `${out}"`;
}

export interface SensitivityLabelHeaderInput {
  label: Pick<SensitivityLabel, 'id' | 'name' | 'sensitivity'>;
  /** `standard` or `privileged` (the MSIP Method, lower case). */
  method: 'standard' | 'privileged';
}

/** `id="…", name="Confidential", sensitivity=2, method=standard` */
export function sensitivityLabelHeader({ label, method }: SensitivityLabelHeaderInput): string {
  // sf-integer: at most 15 digits. A policy (or Graph) could hand over anything.
  const sensitivity = Number.isSafeInteger(label.sensitivity) && Math.abs(label.sensitivity) <= 999_999_999_999_999 ? label.sensitivity : 0;
  const token = method === 'privileged' ? 'privileged' : 'standard';
  return `id=${sfText(String(label.id))}, name=${sfText(String(label.name))}, sensitivity=${sensitivity}, method=${token}`;
}

/**
 * The `msip_labels` header value; `undefined` when there is nothing to carry. Values are
 * percent-encoded by `formatMsipHeader`; names come from file metadata too, so only names of the
 * exact `MSIP_Label_<GUID>_<Attribute>` form (ASCII letters, digits, `_.-`) are carried.
 */
export function msipLabelsHeader(metadata: readonly KeyValuePair[]): string | undefined {
  const value = formatMsipHeader(metadata.filter((p) => typeof p.name === 'string' && MSIP_KEY_PARTS.test(p.name) && typeof p.value === 'string'));
  return value === '' ? undefined : value;
}

/** Header names, lower case (Node normalizes anyway). */
export const LABEL_HEADERS = {
  label: 'sensitivity-label',
  msip: 'msip_labels',
  status: 'sensitivity-label-status',
} as const;
