// images.txt (src/runfolder/imageNames.ts) and the file-name codec under it (src/runfolder/fileNames.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bytesOfName, displayName, fsPathOf, hasEscapedBytes, nameFromBytes } from '../../../src/runfolder/fileNames';
import {
  formatImageNames,
  IMAGE_NAMES_HEADER,
  parseImageNames,
  readImageNames,
} from '../../../src/runfolder/imageNames';

test('file names: any bytes round-trip; valid UTF-8 reads as Node reads it; only invalid bytes are escaped', () => {
  let s = 12345;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 16) & 0xff;
  for (let n = 0; n < 2000; n++) {
    const bytes = Buffer.from(Array.from({ length: 1 + (n % 24) }, rand));
    const name = nameFromBytes(bytes);
    assert.deepEqual(bytesOfName(name), bytes, `bytes ${bytes.toString('hex')}`);
  }
  for (const valid of [
    'plain.png',
    'a\nb\tc"d\'e\\.png',
    'Zürich 東京 💀 🎉.jpg',
    '\u{10ffff}\u0080\u07ff\u0800\uffff',
  ]) {
    const bytes = Buffer.from(valid, 'utf8');
    assert.equal(nameFromBytes(bytes), valid);
    assert.equal(hasEscapedBytes(valid), false, valid); // 💀 is D83D DC80: half of a pair, not an escape
    assert.equal(fsPathOf(valid), valid);
  }
  // Invalid: a lone continuation byte, Latin-1, an overlong '/', an encoded surrogate, a cut-off sequence, > U+10FFFF.
  const cases: [number[], string][] = [
    [[0x61, 0x80, 0x62], 'a\udc80b'],
    [[0x63, 0x61, 0x66, 0xe9], 'caf\udce9'],
    [[0xc0, 0xaf], '\udcc0\udcaf'],
    [[0xed, 0xa0, 0x80], '\udced\udca0\udc80'],
    [[0xe2, 0x82], '\udce2\udc82'],
    [[0xf4, 0x90, 0x80, 0x80], '\udcf4\udc90\udc80\udc80'],
  ];
  for (const [bytes, name] of cases) {
    assert.equal(nameFromBytes(Buffer.from(bytes)), name);
    assert.ok(hasEscapedBytes(name));
    assert.deepEqual(fsPathOf(name), Buffer.from(bytes));
  }
  assert.equal(displayName('a\nb\tc\udcff.png'), 'a\\nb\\tc\\xff.png');
  assert.equal(displayName('💀.png'), '💀.png');
});

const ODD = [
  '/d/plain.png',
  '/d/new\nline.png',
  '/d/tab\there.png',
  '/d/"quoted" \'single\'.png',
  '/d/back\\slash.png',
  '/d/Zürich 東京 💀.png',
  '/d/caf\udce9.png',
  '/d/#1.png',
  '',
];

test('images.txt: names with newline, tab, quotes, unicode and invalid bytes round-trip; one line per image', () => {
  const text = formatImageNames(ODD);
  const lines = text.split('\n');
  assert.equal(lines[0], IMAGE_NAMES_HEADER);
  assert.equal(lines.length, ODD.length + 2); // header, one per name, the final newline
  assert.ok(Buffer.from(text, 'utf8').toString('utf8') === text, 'the text is well-formed UTF-8');
  assert.deepEqual(parseImageNames(text), ODD);
});

test('images.txt: a format-1 file (plain lines) still reads; an unknown format or a bad line is a one-line error', () => {
  assert.deepEqual(parseImageNames('/data/a.png\n/data/b c.png\n'), ['/data/a.png', '/data/b c.png']);
  assert.deepEqual(parseImageNames('/x/t10k-images-idx3-ubyte.gz#0\n/x/t10k-images-idx3-ubyte.gz#1'), [
    '/x/t10k-images-idx3-ubyte.gz#0',
    '/x/t10k-images-idx3-ubyte.gz#1',
  ]);
  assert.throws(
    () => parseImageNames('#deepcluster-image-names 3\n"a"\n', '/r/images.txt'),
    /^Error: \/r\/images.txt: image-name format "3" is not one this version reads/,
  );
  assert.throws(
    () => parseImageNames(`${IMAGE_NAMES_HEADER}\n"a"\nnot json\n`, '/r/images.txt'),
    /\/r\/images.txt: line 3 is not a JSON string/,
  );
  assert.throws(() => parseImageNames(`${IMAGE_NAMES_HEADER}\n7\n`), /line 2 is not a JSON string/);
});

test('readImageNames: undefined without the file (older runs), the names with it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dc-names-'));
  try {
    assert.equal(readImageNames(dir), undefined);
    writeFileSync(join(dir, 'images.txt'), formatImageNames(ODD));
    assert.deepEqual(readImageNames(dir), ODD);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
