/**
 * `docProps/custom.xml`, the legacy label location every MIP-aware reader understands
 * (MS-OI29500 §2.1.1724; graph-mip.md §4.2): one `property` per MSIP key, fmtid
 * {D5CDD505-2E9C-101B-9397-08002B2CF9AE}, unique `pid` ≥ 2, `vt:lpwstr` values.
 * Every property we do not change is kept byte for byte, in place.
 */
import type { KeyValuePair } from '../../graph-types.js';
import { isMsipKey } from '../../evaluate/msip.js';
import { decodeXmlText, escapeXmlAttr, escapeXmlText, localName, parseAttrs, prefixForNamespace, prefixOf, scanXml } from '../xml/scan.js';

export const CUSTOM_PROPS_PART = 'docProps/custom.xml';
const NS_CUSTOM = 'http://schemas.openxmlformats.org/officeDocument/2006/custom-properties';
const NS_VT = 'http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes';
const FMTID = '{D5CDD505-2E9C-101B-9397-08002B2CF9AE}';

export interface CustomProperty {
  name: string;
  pid: number;
  /** Text of the value element (any vt type). */
  value: string;
  /** The element as written. */
  raw: string;
}

export interface CustomProps {
  properties: CustomProperty[];
  /** Root start tag as written (keeps namespace declarations), or undefined for a new part. */
  rootOpen: string | undefined;
  rootName: string;
  rootAttrs: Map<string, string>;
}

export function parseCustomProps(xml: string | undefined): CustomProps {
  const out: CustomProps = { properties: [], rootOpen: undefined, rootName: 'Properties', rootAttrs: new Map() };
  if (xml === undefined) return out;
  let depth = 0;
  let current: { name: string; pid: number; start: number; text: string } | undefined;
  scanXml(
    xml,
    {
      open(name, raw, _selfClosing, start, end) {
        depth++;
        if (depth === 1) {
          out.rootOpen = xml.slice(start, end);
          out.rootName = name;
          out.rootAttrs = parseAttrs(raw);
        } else if (depth === 2 && localName(name) === 'property') {
          const a = parseAttrs(raw);
          current = { name: a.get('name') ?? '', pid: Number(a.get('pid') ?? 0), start, text: '' };
        }
      },
      close(name, _start, end) {
        depth--;
        if (depth === 1 && current && localName(name) === 'property') {
          out.properties.push({ name: current.name, pid: current.pid, value: decodeXmlText(current.text), raw: xml.slice(current.start, end) });
          current = undefined;
        }
      },
      text(raw) {
        if (current && depth === 3) current.text += raw;
      },
    },
    CUSTOM_PROPS_PART,
  );
  return out;
}

/** The MSIP pairs custom properties carry (every MSIP-prefixed property, first spelling wins). */
export function customMsipPairs(props: CustomProps): KeyValuePair[] {
  return props.properties.filter((p) => isMsipKey(p.name)).map((p) => ({ name: p.name, value: p.value }));
}

/**
 * custom.xml carrying `pairs` as its MSIP properties: unchanged MSIP properties and all other
 * properties keep their element and pid; new values get fresh pids. `undefined` when there is
 * nothing to write and no part existed.
 */
export function buildCustomProps(props: CustomProps, pairs: readonly KeyValuePair[]): string | undefined {
  const wanted = new Map(pairs.map((p) => [p.name.toLowerCase(), p]));
  const kept: string[] = [];
  let maxPid = 1;
  for (const prop of props.properties) {
    const lower = prop.name.toLowerCase();
    if (isMsipKey(prop.name)) {
      const want = wanted.get(lower);
      if (!want || want.value !== prop.value || want.name !== prop.name) continue;
      wanted.delete(lower);
    }
    kept.push(prop.raw);
    if (Number.isFinite(prop.pid)) maxPid = Math.max(maxPid, prop.pid);
  }
  if (props.rootOpen === undefined && kept.length === 0 && wanted.size === 0) return undefined;

  let rootOpen = props.rootOpen ?? `<Properties xmlns="${NS_CUSTOM}" xmlns:vt="${NS_VT}">`;
  const rootName = props.rootOpen === undefined ? 'Properties' : props.rootName;
  const elPrefix = prefixOf(rootName);
  let vt = props.rootOpen === undefined ? 'vt' : prefixForNamespace(props.rootAttrs, NS_VT);
  if (vt === undefined || vt === '') {
    // Bind a prefix for the value types on the root (the default namespace is the part's own).
    vt = props.rootAttrs.has('xmlns:vt') ? 'lgvt' : 'vt';
    rootOpen = rootOpen.replace(/\s*(\/?)>$/, ` xmlns:${vt}="${NS_VT}"$1>`);
  }
  if (rootOpen.endsWith('/>')) rootOpen = `${rootOpen.slice(0, -2)}>`;
  const property = elPrefix ? `${elPrefix}:property` : 'property';
  const added = [...wanted.values()].map(
    (p) => `<${property} fmtid="${FMTID}" pid="${++maxPid}" name="${escapeXmlAttr(p.name)}"><${vt}:lpwstr>${escapeXmlText(p.value)}</${vt}:lpwstr></${property}>`,
  );
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n${rootOpen}${kept.join('')}${added.join('')}</${rootName}>`;
}
