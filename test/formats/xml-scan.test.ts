import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeXmlText, escapeXmlAttr, escapeXmlText, parseAttrs, scanXml, XmlStreamScanner, type XmlEvents } from '../../src/formats/xml/scan.js';
import { isLabelgateError } from '../../src/errors.js';

function record(): { events: XmlEvents; log: string[] } {
  const log: string[] = [];
  let text = '';
  const flush = () => {
    if (text) log.push(`text:${decodeXmlText(text)}`);
    text = '';
  };
  return {
    log,
    events: {
      open(name, attrs, selfClosing) {
        flush();
        log.push(`open:${name}:${JSON.stringify([...parseAttrs(attrs)])}:${selfClosing}`);
      },
      close(name) {
        flush();
        log.push(`close:${name}`);
      },
      text(raw) {
        text += raw;
      },
    },
  };
}

const SAMPLE =
  '<?xml version="1.0" encoding="UTF-8"?>\n<w:document xmlns:w="urn:x"><!-- a > comment --><w:p a="x>y" b=\'1\'><w:t xml:space="preserve">Tom &amp; Jerry &lt;3 &#x41;&#66;</w:t><w:tab/></w:p><![CDATA[raw <b>]]></w:document>';

describe('XML scanner', () => {
  it('reports tags, attributes (with > inside values), text with entities, CDATA, and skips comments/PIs', () => {
    const { events, log } = record();
    scanXml(SAMPLE, events, 'sample');
    expect(log).toEqual([
      'text:\n',
      'open:w:document:[["xmlns:w","urn:x"]]:false',
      'open:w:p:[["a","x>y"],["b","1"]]:false',
      'open:w:t:[["xml:space","preserve"]]:false',
      'text:Tom & Jerry <3 AB',
      'close:w:t',
      'open:w:tab:[]:true',
      'close:w:tab',
      'close:w:p',
      'text:raw <b>',
      'close:w:document',
    ]);
  });

  it('gives the same events however the input is split into chunks (property)', () => {
    const whole = record();
    scanXml(SAMPLE, whole.events, 'sample');
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: SAMPLE.length - 1 }), { maxLength: 12 }), (cuts) => {
        const sorted = [...cuts].sort((a, b) => a - b);
        const chunked = record();
        const scanner = new XmlStreamScanner(chunked.events, 'sample');
        let at = 0;
        for (const cut of [...sorted, SAMPLE.length]) {
          scanner.feed(SAMPLE.slice(at, cut));
          at = cut;
        }
        scanner.end();
        expect(chunked.log).toEqual(whole.log);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses any DOCTYPE (billion laughs) with a clear error, quickly', () => {
    const laughs =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
      '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>';
    const started = Date.now();
    let error: unknown;
    try {
      scanXml(laughs, {}, 'docProps/custom.xml');
    } catch (err) {
      error = err;
    }
    expect(Date.now() - started).toBeLessThan(100);
    expect(isLabelgateError(error) && error.code).toBe('FORMAT_MALFORMED');
    expect((error as Error).message).toMatch(/docProps\/custom\.xml declares a DOCTYPE/);
  });

  it('reports unterminated markup as malformed', () => {
    expect(() => scanXml('<a><b attr="x', {}, 'part.xml')).toThrow(/not well-formed/);
    expect(() => scanXml('<a><!-- open', {}, 'part.xml')).toThrow(/not well-formed/);
  });

  it('decodes only predefined entities and character references (no expansion of anything else)', () => {
    expect(decodeXmlText('&amp;&lt;&gt;&quot;&apos;&#169;&#x1F600;&unknown;&#xD800;')).toBe(`&<>"'\u00a9\u{1F600}&unknown;&#xD800;`);
  });

  it('escapes text and attributes so they round-trip, dropping characters XML cannot carry', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        const clean = s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '');
        expect(decodeXmlText(escapeXmlText(s))).toBe(clean);
        expect(parseAttrs(`a="${escapeXmlAttr(s)}"`).get('a')).toBe(clean);
      }),
    );
  });
});
