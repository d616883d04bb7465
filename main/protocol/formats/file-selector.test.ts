import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  parseFileSelector,
  formatFileSelector,
  parseFileDate,
  formatFileDate,
  parseFileRange,
  formatFileRange,
  fileAttributesToSdp,
  fileAttributesFromSdp,
  formatHashHex,
  parseHashHex,
  formatRfc5322Date,
  type FileSelector,
} from './file-selector';
import { parleyOutcome, prng, throwsCode } from './testing';

// RFC 5547 s9.1 style example.
const SEL = 'name:"My cool picture.jpg" type:image/jpeg size:32349 hash:sha-1:72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E';

test('parses the RFC 5547 example selector', () => {
  const s = parseFileSelector(SEL);
  assert.equal(s.name, 'My cool picture.jpg');
  assert.equal(s.type, 'image/jpeg');
  assert.equal(s.size, 32349);
  assert.equal(s.hashes![0].algorithm, 'sha-1');
  assert.equal(formatHashHex(s.hashes![0].digest), '72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E');
  assert.equal(formatFileSelector(s), SEL);
  assert.deepEqual(parseFileSelector('type:text/plain;charset="UTF-8" size:0'), { type: 'text/plain;charset="UTF-8"', size: 0 });
});

test('file names: quotes, percent, controls and UTF-8 survive; hostile values rejected', () => {
  const name = 'a "quoted" 100% name\r\n\u0000é 😀.txt';
  const wire = formatFileSelector({ name });
  assert.equal(wire, 'name:"a %22quoted%22 100%25 name%0D%0A%00é 😀.txt"');
  assert.equal(parseFileSelector(wire).name, name);
  assert.equal(parseFileSelector('name:"50%"').name, '50%'); // lone % tolerated
  throwsCode(() => parseFileSelector('name:"%C3%28"'), 'FILE_SELECTOR_BAD_NAME');
  throwsCode(() => parseFileSelector('name:"unterminated'), 'FILE_SELECTOR_MALFORMED');
  throwsCode(() => parseFileSelector('name:unquoted'), 'FILE_SELECTOR_MALFORMED');
  throwsCode(() => parseFileSelector('size:-1'), 'FILE_SELECTOR_MALFORMED');
  throwsCode(() => parseFileSelector('size:99999999999999999'), 'FILE_SELECTOR_MALFORMED');
  throwsCode(() => parseFileSelector('type:image'), 'FILE_SELECTOR_MALFORMED');
  throwsCode(() => parseFileSelector('hash:sha-256:XY'), 'FILE_SELECTOR_BAD_HASH');
  throwsCode(() => parseFileSelector('hash:sha-256:AB:CD'), 'FILE_SELECTOR_BAD_HASH');
  assert.equal(parseFileSelector('hash:x-new:AB').hashes![0].algorithm, 'x-new'); // unknown algorithms carried
  throwsCode(() => parseFileSelector('colour:blue'), 'FILE_SELECTOR_MALFORMED');
  throwsCode(() => parseFileSelector('name:"' + 'x'.repeat(5000) + '"'), 'FILE_SELECTOR_MALFORMED');
  throwsCode(() => formatFileSelector({ name: '' }), 'FILE_SELECTOR_BAD_INPUT');
  throwsCode(() => formatFileSelector({ type: 'text/plain\r\na=evil' }), 'FILE_SELECTOR_BAD_INPUT');
  throwsCode(() => parseHashHex('ab:c'), 'FILE_SELECTOR_BAD_HASH');
});

test('file-date, file-range, and the full attribute set', () => {
  const now = new Date(Date.UTC(2026, 10, 26, 14, 0, 0));
  assert.equal(formatRfc5322Date(now), 'Thu, 26 Nov 2026 14:00:00 +0000');
  const date = { creation: 'Mon, 15 May 2006 15:01:31 +0300', modification: formatRfc5322Date(now) };
  assert.equal(formatFileDate(date), 'creation:"Mon, 15 May 2006 15:01:31 +0300" modification:"Thu, 26 Nov 2026 14:00:00 +0000"');
  assert.deepEqual(parseFileDate(formatFileDate(date)), date);
  throwsCode(() => parseFileDate('creation:"yesterday"'), 'FILE_SELECTOR_MALFORMED');
  assert.deepEqual(parseFileRange('1-*'), { start: 1, stop: '*' });
  assert.deepEqual(parseFileRange('10-20'), { start: 10, stop: 20 });
  assert.equal(formatFileRange({ start: 1, stop: 32349 }), '1-32349');
  throwsCode(() => parseFileRange('0-5'), 'FILE_SELECTOR_MALFORMED');
  throwsCode(() => parseFileRange('9-5'), 'FILE_SELECTOR_MALFORMED');
  throwsCode(() => formatFileRange({ start: 0, stop: '*' }), 'FILE_SELECTOR_BAD_INPUT');
  const attrs = {
    selector: parseFileSelector(SEL),
    transferId: 'vBnG916bdberum2fFEABR2',
    disposition: 'render',
    date,
    icon: 'cid:id2@alicepc.example.com',
    range: { start: 1, stop: '*' as const },
  };
  const sdp = fileAttributesToSdp(attrs);
  assert.deepEqual(
    sdp.map((a) => a.name),
    ['file-selector', 'file-transfer-id', 'file-disposition', 'file-date', 'file-icon', 'file-range'],
  );
  assert.deepEqual(fileAttributesFromSdp([{ name: 'path', value: 'msrp://x' }, ...sdp]), attrs);
  assert.equal(fileAttributesFromSdp([{ name: 'sendonly' }]), undefined);
  throwsCode(() => fileAttributesToSdp({ icon: 'http://evil' }), 'FILE_SELECTOR_BAD_INPUT');
  throwsCode(() => fileAttributesFromSdp([{ name: 'file-transfer-id', value: 'a b' }]), 'FILE_SELECTOR_MALFORMED');
});

test('every truncation and random mutation of the selector only raises ParleyError', () => {
  for (let i = 0; i < SEL.length; i++) parleyOutcome(() => parseFileSelector(SEL.slice(0, i)));
  const rnd = prng(17);
  const chars = ' "%:-/;=AZaz09\u00e9\r';
  for (let r = 0; r < 500; r++) {
    const a = SEL.split('');
    a.splice(Math.floor(rnd() * a.length), Math.floor(rnd() * 3), chars[Math.floor(rnd() * chars.length)]);
    parleyOutcome(() => parseFileSelector(a.join('')));
  }
});

test('property: format -> parse is identity for valid selectors', () => {
  const sel = fc
    .record({
      name: fc.option(fc.string({ minLength: 1, maxLength: 30, unit: 'grapheme' }), { nil: undefined }),
      type: fc.option(fc.constantFrom('image/jpeg', 'application/octet-stream', 'text/plain;charset=utf-8'), { nil: undefined }),
      size: fc.option(fc.maxSafeNat(), { nil: undefined }),
      hashes: fc.option(
        fc.array(
          fc.oneof(
            fc.uint8Array({ minLength: 32, maxLength: 32 }).map((digest) => ({ algorithm: 'sha-256', digest })),
            fc.uint8Array({ minLength: 1, maxLength: 8 }).map((digest) => ({ algorithm: 'x-test', digest })),
          ),
          { minLength: 1, maxLength: 2 },
        ),
        { nil: undefined },
      ),
    })
    .map((s) => Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as FileSelector);
  fc.assert(
    fc.property(sel, (s) => {
      assert.deepEqual(parseFileSelector(formatFileSelector(s)), s);
    }),
    { numRuns: 300 },
  );
});
