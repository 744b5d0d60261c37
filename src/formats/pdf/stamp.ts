/**
 * Carry out a plan on a PDF as one incremental update: markings on every page (taking off the
 * ones the plan removes or replaces), then the Info dictionary and XMP packet.
 */
import { planChangesContent, type AppliedMarkings, type StampPlan } from '../../evaluate/plan.js';
import { budget } from '../budget.js';
import { changeLabelPairs } from '../label-metadata.js';
import type { ApplyOptions, ApplyResult } from '../types.js';
import type { PdfDocument, PdfPage } from './document.js';
import {
  alphaDict,
  ALPHA_RESOURCE,
  encodeLines,
  FONT_RESOURCE,
  fontDict,
  helvetica,
  MARKING_KEY,
  markingContent,
  markingStreamDict,
  pageFrame,
  WRAPPER_KEY,
  wrapperStreamDict,
  type Marking,
} from './markings.js';
import { pdfLabelPairs, writeInfo, writeXmp } from './metadata.js';
import { PdfDict, PdfRef, PdfStream, PdfString, type PdfObject } from './objects.js';
import { IncrementalUpdate } from './update.js';

type StreamKind = { marking: string } | { wrapper: true } | { original: true };

class PageMarker {
  private font: PdfRef | undefined;
  private alpha: PdfRef | undefined;
  private wrappers: [PdfRef, PdfRef] | undefined;
  private readonly streams = new Map<string, PdfRef>();
  private readonly knowsOurs: boolean;

  constructor(
    private readonly doc: PdfDocument,
    private readonly update: IncrementalUpdate,
  ) {
    // Both keys start with "Labelgate": one scan tells whether any page can carry our streams.
    this.knowsOurs = doc.bytes.includes('/Labelgate');
  }

  private kindOf(ref: PdfRef): StreamKind {
    if (!this.knowsOurs) return { original: true };
    const d = this.doc.dict(ref);
    const name = d?.get(MARKING_KEY);
    if (name instanceof PdfString) return { marking: name.text() };
    if (d?.has(WRAPPER_KEY)) return { wrapper: true };
    return { original: true };
  }

  private contents(page: PdfPage): PdfRef[] {
    const c = page.dict.get('Contents');
    if (c instanceof PdfRef) {
      if (!this.doc.isArray(c.num)) return [c];
      return (this.doc.resolve(c) as PdfObject[]).filter((x): x is PdfRef => x instanceof PdfRef);
    }
    return Array.isArray(c) ? c.filter((x): x is PdfRef => x instanceof PdfRef) : [];
  }

  /** Add the font (and transparency) to a resource dictionary; undefined when it already has them. */
  private withResources(res: PdfDict | undefined, alpha: boolean): PdfDict | undefined {
    let changed = false;
    const out = res?.clone() ?? new PdfDict();
    const ensure = (category: string, name: string, make: () => PdfRef) => {
      const cur = out.get(category);
      if (cur instanceof PdfRef) {
        const target = this.update.current(cur.num);
        if (target instanceof PdfDict) {
          if (!target.has(name)) this.update.replace(cur.num, target.clone().set(name, make()));
          return;
        }
      }
      const dict = cur instanceof PdfDict ? cur : new PdfDict();
      if (dict.has(name)) return;
      out.set(category, dict.clone().set(name, make()));
      changed = true;
    };
    ensure('Font', FONT_RESOURCE, () => (this.font ??= this.update.add(fontDict())));
    if (alpha) ensure('ExtGState', ALPHA_RESOURCE, () => (this.alpha ??= this.update.add(alphaDict())));
    return changed ? out : undefined;
  }

  /** The page dictionary with resources for our markings, or undefined when nothing changes. */
  private pageResources(page: PdfPage, dict: PdfDict, alpha: boolean): boolean {
    const own = page.dict.get('Resources');
    const source = own ?? page.resources;
    if (source instanceof PdfRef) {
      const target = this.update.current(source.num);
      if (target instanceof PdfDict) {
        const edited = this.withResources(target, alpha);
        if (edited) this.update.replace(source.num, edited);
        return false;
      }
    }
    const edited = this.withResources(source instanceof PdfDict ? source : undefined, alpha);
    if (!edited && own !== undefined) return false;
    dict.set('Resources', edited ?? (source instanceof PdfDict ? source : new PdfDict()));
    return true;
  }

  private stream(key: string, make: () => PdfStream): PdfRef {
    let ref = this.streams.get(key);
    if (!ref) this.streams.set(key, (ref = this.update.add(make())));
    return ref;
  }

  /** Re-plan one page's content streams (and resources); writes the page only when it changes. */
  mark(page: PdfPage, add: Array<{ marking: Marking; lines: Buffer[] }>, remove: ReadonlySet<string>, font: Awaited<ReturnType<typeof helvetica>> | undefined): void {
    const before = this.contents(page);
    const originals: PdfRef[] = [];
    const kept: PdfRef[] = [];
    for (const ref of before) {
      const kind = this.kindOf(ref);
      if ('original' in kind) originals.push(ref);
      else if ('marking' in kind && !remove.has(kind.marking)) kept.push(ref);
    }
    const frame = pageFrame(page);
    const frameKey = add.length > 0 ? `${frame.w}|${frame.h}|${frame.matrix.join(',')}` : '';
    const added = add.map(({ marking, lines }) =>
      this.stream(`${marking.kind}|${frameKey}`, () =>
        new PdfStream(markingStreamDict(marking.action.uiElementName ?? marking.kind), markingContent(marking, lines, frame, font!)),
      ),
    );
    const markings = [...kept, ...added];
    let after = originals;
    if (markings.length > 0) {
      this.wrappers ??= [
        this.update.add(new PdfStream(wrapperStreamDict('open'), Buffer.from('q\n'))),
        this.update.add(new PdfStream(wrapperStreamDict('close'), Buffer.from('\nQ\n'))),
      ];
      after = [this.wrappers[0], ...originals, this.wrappers[1], ...markings];
    }
    const dict = (this.update.current(page.ref.num) as PdfDict).clone();
    let changed = after.length !== before.length || after.some((r, i) => r.num !== before[i]!.num);
    if (changed) dict.set('Contents', after as PdfObject[]);
    if (added.length > 0) changed = this.pageResources(page, dict, add.some((a) => a.marking.kind === 'watermark')) || changed;
    if (changed) this.update.replace(page.ref.num, dict);
  }
}

function plannedMarkings(plan: StampPlan): Marking[] {
  const out: Marking[] = [];
  if (plan.header) out.push({ kind: 'header', action: plan.header });
  if (plan.footer) out.push({ kind: 'footer', action: plan.footer });
  if (plan.watermark) out.push({ kind: 'watermark', action: plan.watermark });
  return out;
}

export async function stampPdf(doc: PdfDocument, plan: StampPlan, options: ApplyOptions): Promise<ApplyResult> {
  const check = budget(options, 'PDF');
  const base = pdfLabelPairs(doc);
  const applied: AppliedMarkings = { header: false, footer: false, watermark: false, encryption: options.protectionPending === true };
  if (!planChangesContent(plan)) return { body: { kind: 'unchanged' }, applied, metadata: base };

  const update = new IncrementalUpdate(doc);
  const wanted = plannedMarkings(plan);
  const remove = new Set([...plan.removeHeader, ...plan.removeFooter, ...plan.removeWatermark, ...wanted.map((m) => m.action.uiElementName ?? m.kind)]);
  if (wanted.length > 0 || remove.size > 0) {
    const font = wanted.length > 0 ? await helvetica() : undefined;
    const add = wanted.flatMap((marking) => {
      const lines = encodeLines(marking.action.text ?? '', font!);
      return lines && lines.length > 0 ? [{ marking, lines }] : [];
    });
    const pages = doc.pages(check);
    const marker = new PageMarker(doc, update);
    for (const page of pages) {
      check();
      marker.mark(page, add, remove, font);
    }
    for (const { marking } of add) applied[marking.kind] = pages.length > 0;
  }
  const pairs = changeLabelPairs(base, plan, applied);
  const info = writeInfo(doc, update, pairs);
  writeXmp(doc, update, pairs);
  check();
  return { body: { kind: 'replaced', bytes: update.build({ info }) }, applied, metadata: pairs };
}
