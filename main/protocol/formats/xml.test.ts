import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseXml, xmlToString, escapeXmlText, escapeXmlAttr, attr, textOf, elements, XML_NS } from './xml';
import { bytes, everyTruncation, fuzzMutations, throwsCode } from './testing';

const DOC = `<?xml version="1.0" encoding="UTF-8"?>
<!-- leading comment -->
<r:root xmlns:r="urn:r" xmlns="urn:d" a='1 &amp; 2' r:b="x&#x9;y" xml:lang="fr">
  <child>t&lt;e&#233;xt<![CDATA[ <raw> & ]]><?pi ignored?><!-- c --></child>
  <other xmlns="">plain</other>
</r:root>
`;

test('resolves namespaces, decodes entities, CDATA, char refs; comments and PIs skipped', () => {
  const r = parseXml(DOC);
  assert.equal(r.ns, 'urn:r');
  assert.equal(r.name, 'root');
  assert.equal(attr(r, 'a'), '1 & 2');
  assert.equal(attr(r, 'b', 'urn:r'), 'x\ty');
  assert.equal(attr(r, 'lang', XML_NS), 'fr');
  const [c] = elements(r, 'urn:d', 'child');
  assert.equal(textOf(c), 't<eéxt <raw> & ');
  assert.equal(elements(r, '', 'other').length, 1);
});

test('rejects DOCTYPE, ENTITY, undefined entities, unbound prefixes, mismatched tags, duplicates', () => {
  throwsCode(() => parseXml('<!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>'), 'XML_DOCTYPE_FORBIDDEN');
  throwsCode(() => parseXml('<r><!ENTITY x "y"></r>'), 'XML_DOCTYPE_FORBIDDEN');
  throwsCode(() => parseXml('<r><!doctype x></r>'), 'XML_DOCTYPE_FORBIDDEN');
  throwsCode(() => parseXml('<r>&x;</r>'), 'XML_ENTITY_FORBIDDEN');
  throwsCode(() => parseXml('<r a="&x;"/>'), 'XML_ENTITY_FORBIDDEN');
  throwsCode(() => parseXml('<r>&#0;</r>'), 'XML_MALFORMED');
  throwsCode(() => parseXml('<r>&amp</r>'), 'XML_MALFORMED');
  throwsCode(() => parseXml('<p:r/>'), 'XML_UNBOUND_PREFIX');
  throwsCode(() => parseXml('<r p:a="1"/>'), 'XML_UNBOUND_PREFIX');
  throwsCode(() => parseXml('<r><a></b></r>'), 'XML_MALFORMED');
  throwsCode(() => parseXml('<r a="1" a="2"/>'), 'XML_MALFORMED');
  throwsCode(() => parseXml('<r xmlns:p="u" xmlns:q="u" p:a="1" q:a="2"/>'), 'XML_MALFORMED');
  throwsCode(() => parseXml('<r/><r/>'), 'XML_MALFORMED');
  throwsCode(() => parseXml('text'), 'XML_MALFORMED');
  throwsCode(() => parseXml('<r>\u0001</r>'), 'XML_MALFORMED');
  throwsCode(() => parseXml('<r a="<"/>'), 'XML_MALFORMED');
  throwsCode(() => parseXml('<r>]]></r>'), 'XML_MALFORMED');
  throwsCode(() => parseXml(Uint8Array.from([0x3c, 0x72, 0x3e, 0xc3, 0x28, 0x3c, 0x2f, 0x72, 0x3e])), 'XML_BAD_ENCODING');
  throwsCode(() => parseXml('<r>' + 'x'.repeat(100) + '</r>', { maxBytes: 50 }), 'XML_TOO_LARGE');
  throwsCode(() => parseXml('<a>'.repeat(40) + '</a>'.repeat(40)), 'XML_TOO_DEEP');
  throwsCode(() => parseXml('<r>' + '<a/>'.repeat(20) + '</r>', { maxElements: 10 }), 'XML_TOO_MANY_ELEMENTS');
  throwsCode(
    () => parseXml('<r ' + Array.from({ length: 10 }, (_, i) => `a${i}="1"`).join(' ') + '/>', { maxAttributes: 5 }),
    'XML_TOO_MANY_ATTRIBUTES',
  );
});

test('strict XML 1.0 + Namespaces (saxes): bad XML declarations, "--" in a comment, a local name not an NCName', () => {
  throwsCode(() => parseXml('<?xml version="2.0"?><r/>'), 'XML_MALFORMED');
  throwsCode(() => parseXml('<?xml encoding="UTF-8"?><r/>'), 'XML_MALFORMED');
  throwsCode(() => parseXml('<?xml version="1.0" encodng="UTF-8"?><r/>'), 'XML_MALFORMED');
  throwsCode(() => parseXml('<r><!-- a -- b --></r>'), 'XML_MALFORMED');
  throwsCode(() => parseXml('<x:1a xmlns:x="urn:x"/>'), 'XML_MALFORMED');
  throwsCode(() => parseXml('<r xmlns:x="urn:x" x:-a="1"/>'), 'XML_MALFORMED');
  throwsCode(() => parseXml('<r xmlns:p="urn:p"><p:a:b/></r>'), 'XML_MALFORMED');
  assert.equal(parseXml('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><r/>').name, 'r');
});

test('limits stop the parser where they are crossed (no tree is built past them)', () => {
  let attrs = '';
  for (let i = 0; i < 70; i++) attrs += ` a${i}="${i}"`;
  throwsCode(() => parseXml(`<r${attrs}/>`), 'XML_TOO_MANY_ATTRIBUTES');
  throwsCode(() => parseXml(`<r>${'<a/>'.repeat(100)}</r>`, { maxElements: 50 }), 'XML_TOO_MANY_ELEMENTS');
  throwsCode(() => parseXml('<r>' + '<a>'.repeat(9) + '</a>'.repeat(9) + '</r>', { maxDepth: 9 }), 'XML_TOO_DEEP');
  assert.equal(parseXml('<r>' + '<a>'.repeat(8) + '</a>'.repeat(8) + '</r>', { maxDepth: 9 }).name, 'r');
});

test('deep nesting beyond the limit fails fast without stack overflow', () => {
  throwsCode(() => parseXml('<a>'.repeat(50_000)), 'XML_TOO_DEEP');
});

test('every truncation of the fixture is rejected; mutations only raise ParleyError', () => {
  const b = bytes(DOC.trimEnd());
  // prefixes ending after the root's end tag are valid documents; everything before must fail
  const lastGt = b.lastIndexOf(0x3e);
  assert.equal(
    everyTruncation(b.subarray(0, lastGt + 1), (x) => parseXml(x)),
    lastGt + 1,
  );
  fuzzMutations(b, (x) => parseXml(x), 600, 3);
});

test('escaping: CR, tabs and newlines in attributes survive; invalid characters are refused', () => {
  assert.equal(escapeXmlText('a<&>\r'), 'a&lt;&amp;&gt;&#xD;');
  assert.equal(escapeXmlAttr('"\t\n'), '&quot;&#x9;&#xA;');
  throwsCode(() => escapeXmlText('\u0000'), 'XML_INVALID_CHAR');
  throwsCode(() => escapeXmlAttr('\uffff'), 'XML_INVALID_CHAR');
  const valid = fc.string({ unit: 'binary', maxLength: 40 }).filter((s) =>
    [...s].every((ch) => {
      const cp = ch.codePointAt(0)!;
      return cp === 9 || cp === 10 || cp === 13 || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000;
    }),
  );
  fc.assert(
    fc.property(valid, valid, (t, a) => {
      const r = parseXml(xmlToString({ name: 'r', attrs: { a }, children: [t] }));
      assert.equal(attr(r, 'a'), a);
      assert.equal(textOf(r), t);
    }),
    { numRuns: 500 },
  );
});
