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

test('issue 12: default-ignorable and format characters are stripped (ALM, soft hyphen, Hangul fillers, tags, joiners)', () => {
  const cases: [string, string][] = [
    ['a\u061Cb.txt', 'ab.txt'], // ARABIC LETTER MARK (bidi)
    ['in\u00ADvoice.txt', 'invoice.txt'], // SOFT HYPHEN
    ['\u3164.txt', 'txt'], // HANGUL FILLER only: nothing visible before the dot, which is then leading
    ['x\u115F\u1160\uFFA0y.txt', 'xy.txt'], // Hangul choseong/jungseong fillers, halfwidth filler
    ['tag\u{E0001}\u{E0041}\u{E007F}s.txt', 'tags.txt'], // LANGUAGE TAG, TAG LATIN CAPITAL A, CANCEL TAG
    ['w\u2060o\u2061r\u2064d\u206A\u206F.txt', 'word.txt'], // word joiner, invisible operators, deprecated format chars
    ['c\u034Fg\u180Ej.txt', 'cgj.txt'], // combining grapheme joiner, Mongolian vowel separator
    ['v\uFE0Fs\u{E0100}.txt', 'vs.txt'], // variation selectors
    ['\u{1D173}music.txt', 'music.txt'], // musical symbol format char
    ['lone\uD800surrogate.txt', 'lonesurrogate.txt'],
  ];
  for (const [input, want] of cases) assert.equal(sanitizeFileName(input), want, JSON.stringify(input));
});

test('issue 12: the dangerous-type flag is decided from the name the file is saved under', () => {
  for (const n of [
    'invoice.exe.', // saved as invoice.exe
    'invoice.exe   ',
    'invoice.exe\u200B',
    'invoice.ex\u00ADe',
    'invoice.e\u061Cxe',
    'invoice.exe\u{E0020}',
    'invoice\u202Efdp.exe',
    'report.pdf\u2066.exe',
    'a'.repeat(196) + '.exe' + 'b'.repeat(20), // truncation to 200 bytes leaves .exe
  ]) {
    const saved = sanitizeFileName(n);
    assert.match(saved, /\.exe$/, `${JSON.stringify(n)} saves as ${saved}`);
    assert.equal(isExecutableType(n), true, JSON.stringify(n));
  }
});

test('issue 12: the other types users are warned about are flagged (web pages, SVG, help files, shortcuts, installers...)', () => {
  for (const ext of [
    'html',
    'htm',
    'xhtml',
    'shtml',
    'mht',
    'mhtml',
    'svg',
    'svgz',
    'xml',
    'xsl',
    'chm',
    'hlp',
    'lnk',
    'url',
    'website',
    'desktop',
    'scr',
    'msi',
    'msu',
    'jar',
    'jnlp',
    'ps1',
    'vbs',
    'hta',
    'appimage',
    'settingcontent-ms',
    'library-ms',
    'search-ms',
    'appref-ms',
    'iqy',
    'slk',
    'xll',
    'webloc',
    'inetloc',
    'fileloc',
    'mobileconfig',
    'terminal',
    'tool',
  ])
    assert.equal(isExecutableType(`x.${ext}`), true, ext);
  for (const t of ['text/html', 'image/svg+xml', 'application/xhtml+xml', 'application/x-ms-shortcut', 'application/x-desktop'])
    assert.equal(isExecutableType('data', t), true, t);
  for (const n of ['photo.jpg', 'notes.txt', 'song.mp3', 'clip.mp4', 'doc.pdf', 'sheet.xlsx', 'archive.zip', 'html', 'svg'])
    assert.equal(isExecutableType(n), false, n);
});

test('property: sanitizing is idempotent and the flag is the same for a name and the name it is saved under', () => {
  const names = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc
      .tuple(
        fc.string({ maxLength: 10 }),
        fc.constantFrom('exe', 'html', 'svg', 'lnk', 'txt', 'jpg'),
        fc.string({ unit: 'binary', maxLength: 4 }),
      )
      .map(([a, e, b]) => `${a}.${e}${b}`),
  );
  fc.assert(
    fc.property(names, (n) => {
      const saved = sanitizeFileName(n);
      assert.equal(sanitizeFileName(saved), saved);
      assert.equal(isExecutableType(n), isExecutableType(saved));
      assert.equal(isExecutableType(numberedName(saved, 3)), isExecutableType(saved));
      assert.ok(!/[\p{Cf}\p{Cc}\p{Cs}\p{Default_Ignorable_Code_Point}]/u.test(saved), JSON.stringify(saved));
    }),
    { numRuns: 3000 },
  );
});
