import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PickedFiles, MAX_PICKED, isUncPath } from './picked-files';

test('assertPickedFile: picked files and files under an allowed folder pass; everything else, UNC first, is refused', () => {
  const p = new PickedFiles();
  assert.throws(() => p.assertPickedFile('/home/u/a.txt'), { code: 'FILE_NOT_PICKED' });
  p.record('/home/u/a.txt');
  assert.equal(p.assertPickedFile('/home/u/./a.txt'), '/home/u/a.txt');
  assert.throws(() => p.assertPickedFile('/home/u/a.txt/../b.txt'), { code: 'FILE_NOT_PICKED' });
  p.allowUnder('/srv/share');
  assert.equal(p.assertPickedFile('/srv/share/x/y.pdf'), '/srv/share/x/y.pdf');
  assert.throws(() => p.assertPickedFile('/srv/share/../etc/passwd'), { code: 'FILE_NOT_PICKED' });
  assert.throws(() => p.assertPickedFile('/srv/shared-not/x'), { code: 'FILE_NOT_PICKED' });
  for (const unc of ['\\\\server\\share\\f', '//server/share/f', '\\\\?\\UNC\\server\\share', '\\\\.\\PhysicalDrive0', '/\\server\\x']) {
    assert.equal(isUncPath(unc), true, unc);
    assert.throws(() => p.assertPickedFile(unc), { code: 'FILE_UNC_PATH' });
    assert.throws(() => p.record(unc), { code: 'FILE_UNC_PATH' });
  }
  assert.throws(() => p.assertPickedFile('relative/a.txt'), { code: 'FILE_NOT_PICKED' });
  assert.throws(() => p.assertPickedFile('/a\0b'), { code: 'FILE_NOT_PICKED' });
});

test('the record is bounded: the oldest pick is forgotten first', () => {
  const p = new PickedFiles();
  for (let i = 0; i <= MAX_PICKED; i++) p.record(`/f/${i}`);
  assert.throws(() => p.assertPickedFile('/f/0'), { code: 'FILE_NOT_PICKED' });
  assert.equal(p.assertPickedFile(`/f/${MAX_PICKED}`), `/f/${MAX_PICKED}`);
});
