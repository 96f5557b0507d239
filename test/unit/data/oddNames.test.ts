// A folder whose file names hold a newline, a tab, quotes, unicode and bytes that are not UTF-8: every image is
// read (none skipped), images.txt names each image's own file, and so do the grid's and the tree's exports.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { readCheckpoint } from '../../../src/extension/checkpointData';
import { toCsv, toJson } from '../../../src/extension/exportAssignments';
import { GridModel } from '../../../src/extension/panels/gridModel';
import { bytesOfName, fsPathOf, nameFromBytes } from '../../../src/runfolder/fileNames';
import { readImageNames } from '../../../src/runfolder/imageNames';
import { openDataset } from '../../../src/trainer/data';
import { writeImageNames } from '../../../src/runfolder/imageNames';
import { writeFixtureRun } from '../../webview/fixture';
import { tempDir } from './fixtures';

// File names as bytes (Linux allows anything but '/' and NUL). Each file is a flat colour of its own.
const NAMES: Buffer[] = [
  Buffer.from('plain.png'),
  Buffer.from('new\nline.png'),
  Buffer.from('tab\there.png'),
  Buffer.from('"double" \'single\', comma.png'),
  Buffer.from('Zürich 東京 💀.png'),
  Buffer.concat([Buffer.from('latin1-caf'), Buffer.of(0xe9), Buffer.from('.png')]),
  Buffer.concat([Buffer.from('bad-'), Buffer.of(0xff, 0xfe, 0x0a, 0x80), Buffer.from('.png')]),
  Buffer.from('line\r\nend.png'),
];
const colourOf = (i: number) => [(i * 37 + 20) % 256, (i * 91 + 60) % 256, (i * 53 + 120) % 256];

/** The colour of the file at this run-name (a string with escaped bytes), read straight from disk. */
async function colourAt(name: string): Promise<number[]> {
  const { data } = await sharp(readFileSync(fsPathOf(name)))
    .raw()
    .toBuffer({ resolveWithObject: true });
  return [data[0]!, data[1]!, data[2]!];
}

/** A CSV read as bytes: the field of every row in the given column, as the name strings the run uses. */
function csvColumn(bytes: Buffer, column: number): string[] {
  const text = bytes.toString('latin1'); // one char per byte, so each field gives back its exact bytes
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && !(text[i] === '"' && text[i + 1] !== '"'); i++)
        field += text[i] === '"' ? (i++, '"') : text[i];
    } else if (c === ',') row.push(field), (field = '');
    else if (c === '\n') row.push(field), rows.push(row), (row = []), (field = '');
    else field += c;
  }
  return rows.slice(1).map((r) => nameFromBytes(Buffer.from(r[column]!, 'latin1')));
}

test('odd file names: read, listed in images.txt, and the grid and tree exports name each image its own file', async () => {
  const root = await tempDir('odd');
  try {
    const dir = Buffer.from(join(root, 'images'));
    mkdirSync(dir);
    for (const [i, name] of NAMES.entries()) {
      const [r, g, b] = colourOf(i);
      const png = await sharp({ create: { width: 12, height: 12, channels: 3, background: { r, g, b } } })
        .png()
        .toBuffer();
      writeFileSync(Buffer.concat([dir, Buffer.from('/'), name]), png);
    }
    const skipped: string[] = [];
    const ds = await openDataset({
      path: dir.toString(),
      inputSize: 8,
      cacheDir: join(root, 'cache'),
      onSkip: (s) => skipped.push(`${s.path}: ${s.reason}`),
    });
    assert.deepEqual(skipped, []);
    assert.equal(ds.size, NAMES.length);

    // The run writes images.txt from the dataset; the reader gives one name per image, each naming that image's file.
    const run = join(root, 'run');
    await writeFixtureRun(run, { images: ds.size, k: 3, epochs: 1, thumbs: 0 });
    await writeImageNames(run, ds.size, (i) => ds.itemName(i));
    const names = readImageNames(run)!;
    assert.equal(names.length, ds.size);
    const onDisk = new Set(NAMES.map((n) => Buffer.concat([dir, Buffer.from('/'), n]).toString('hex')));
    assert.deepEqual(
      new Set(names.map((n) => bytesOfName(n).toString('hex'))),
      onDisk,
      'every file named once, byte for byte',
    );
    for (let i = 0; i < ds.size; i++) {
      const cached = await ds.readBatch([i]);
      assert.deepEqual(
        await colourAt(names[i]!),
        [cached[0], cached[1], cached[2]],
        `image ${i} is the file ${JSON.stringify(names[i])}`,
      );
    }

    // The grid's export (CSV carries the names' bytes, JSON escapes them) and the tree's export of a checkpoint.
    const saves: (string | Buffer)[] = [];
    const grid = new GridModel({
      runDir: run,
      webviewUri: (d) => d,
      save: async (_n, content) => (saves.push(content), 'x'),
      makeThumbs: async () => undefined,
    });
    await grid.handle(
      { type: 'export', requestId: 1, epoch: 0, clusters: [0, 1, 2], format: 'csv' } as never,
      () => undefined,
    );
    await grid.handle(
      { type: 'export', requestId: 2, epoch: 0, clusters: [0, 1, 2], format: 'json' } as never,
      () => undefined,
    );
    const csvRows = csvColumn(saves[0] as Buffer, 2);
    const csvIndex = csvColumn(saves[0] as Buffer, 1).map(Number);
    assert.equal(csvRows.length, ds.size);
    const json = JSON.parse(saves[1] as string) as { clusters: { members: { index: number; path: string }[] }[] };
    const jsonRows = json.clusters.flatMap((c) => c.members);
    assert.equal(jsonRows.length, ds.size);
    const view = readCheckpoint(join(run, 'checkpoints', 'epoch-0000', 'checkpoint.json'))!;
    const treeCsv = csvColumn(bytesOfName(toCsv(view, names)), 2);
    const treeJson = (JSON.parse(toJson(view, names)) as { paths: string[] }).paths;
    for (let i = 0; i < ds.size; i++) {
      const want = await colourAt(names[i]!);
      assert.deepEqual(await colourAt(csvRows[i]!), await colourAt(names[csvIndex[i]!]!), `grid CSV row ${i}`);
      assert.equal(csvRows[i], names[csvIndex[i]!]);
      assert.equal(jsonRows[i]!.path, names[jsonRows[i]!.index]);
      assert.deepEqual(await colourAt(treeCsv[i]!), want, `tree CSV row ${i}`);
      assert.deepEqual(await colourAt(treeJson[i]!), want, `tree JSON row ${i}`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
