// Hostile RFC 5547 file names (table-driven), O_EXCL unique names, executable flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { sanitizeFileName, reserveUniquePath, isExecutableType, numberedName, MAX_SAVED_NAME_BYTES } from './sanitize';
import { tempDir } from './testing';

const CASES: [string, string][] = [
  ['report.pdf', 'report.pdf'],
  ['../../etc/passwd', 'passwd'],
  ['..\\..\\Windows\\System32\\evil.dll', 'evil.dll'],
  ['/absolute/path/x.txt', 'x.txt'],
  ['C:\\Users\\bob\\a.txt', 'a.txt'],
  ['..', 'file'],
  ['.', 'file'],
  ['', 'file'],
  ['   ', 'file'],
  ['...', 'file'],
  ['CON', '_CON'],
  ['con.txt', '_con.txt'],
  ['NUL', '_NUL'],
  ['COM1.log', '_COM1.log'],
  ['lpt9', '_lpt9'],
  ['AUX.tar.gz', '_AUX.tar.gz'],
  ['console.txt', 'console.txt'],
  ['trailing. . .', 'trailing'],
  ['name.txt   ', 'name.txt'],
  ['.hidden', 'hidden'],
  ['a\u0000b.txt', 'ab.txt'],
  ['line\r\nbreak.txt', 'linebreak.txt'],
  ['tab\there', 'tabhere'],
  ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
  ['\u2066iso\u2069late.txt', 'isolate.txt'],
  ['zero\u200Bwidth.txt', 'zerowidth.txt'],
  ['bom\uFEFF.txt', 'bom.txt'],
  ['what?<>:"|*.txt', 'what_______.txt'],
  ['ünïcødé 文件.txt', 'ünïcødé 文件.txt'],
  ['e\u0301.txt', '\u00e9.txt'],
];

test('hostile names are sanitized (table)', () => {
  for (const [input, want] of CASES) assert.equal(sanitizeFileName(input), want, JSON.stringify(input));
});

test('names are limited to 200 bytes of UTF-8 without splitting characters, extension kept', () => {
  const long = '文'.repeat(300) + '.txt';
  const s = sanitizeFileName(long);
  assert.ok(Buffer.byteLength(s) <= MAX_SAVED_NAME_BYTES);
  assert.ok(s.endsWith('.txt'));
  assert.ok(!s.includes('\uFFFD'));
  assert.equal(sanitizeFileName('a'.repeat(500)).length, 200);
});

test('property: any input gives one safe, non-empty path component', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => {
      const out = sanitizeFileName(s);
      assert.ok(out.length > 0);
      assert.ok(Buffer.byteLength(out) <= MAX_SAVED_NAME_BYTES);
      assert.ok(!/[/\\\u0000-\u001f\u202a-\u202e\u2066-\u2069]/.test(out), JSON.stringify(out));
      assert.ok(out !== '.' && out !== '..' && !/[. ]$/.test(out));
      assert.ok(!/^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i.test(out));
      assert.equal(path.basename(out), out);
    }),
    { numRuns: 2000 },
  );
});

test('reserveUniquePath never overwrites: name (1).ext, name (2).ext; does not follow a planted symlink', () => {
  const { dir, cleanup } = tempDir();
  try {
    writeFileSync(path.join(dir, 'photo.jpg'), 'original');
    const a = reserveUniquePath(dir, 'photo.jpg');
    const b = reserveUniquePath(dir, '../photo.jpg');
    assert.equal(path.basename(a), 'photo (1).jpg');
    assert.equal(path.basename(b), 'photo (2).jpg');
    assert.equal(readFileSync(path.join(dir, 'photo.jpg'), 'utf8'), 'original');
    const victim = path.join(dir, 'victim');
    writeFileSync(victim, 'keep');
    symlinkSync(victim, path.join(dir, 'link.txt'));
    const c = reserveUniquePath(dir, 'link.txt');
    assert.equal(path.basename(c), 'link (1).txt');
    assert.equal(readFileSync(victim, 'utf8'), 'keep');
    assert.equal(readdirSync(dir).length, 6);
    assert.equal(numberedName('archive.tar.gz', 3), 'archive.tar (3).gz');
  } finally {
    cleanup();
  }
});

test('executable types are flagged by extension (also double extensions) and by MIME type', () => {
  for (const n of ['setup.exe', 'invoice.pdf.exe', 'run.sh', 'x.JAR', 'macro.docm', 'a.ps1', 'app.apk', 'shortcut.lnk'])
    assert.equal(isExecutableType(n), true, n);
  for (const n of ['photo.jpg', 'notes.txt', 'exe', 'archive.zip', 'doc.pdf']) assert.equal(isExecutableType(n), false, n);
  assert.equal(isExecutableType('data.bin', 'application/x-msdownload'), true);
  assert.equal(isExecutableType('data', 'application/x-sh; charset=utf-8'), true);
  assert.equal(isExecutableType('picture', 'image/png'), false);
});
