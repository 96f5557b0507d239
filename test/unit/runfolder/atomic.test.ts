import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { RunWriteError, describeWriteError, writeFileAtomic, writeJsonAtomic } from '../../../src/runfolder/atomic';
import { tempDir } from '../run/fixture';

test('writeFileAtomic replaces the content and leaves no temp file', async () => {
  const dir = await tempDir();
  const file = path.join(dir, 'run.json');
  await writeFileAtomic(file, 'one');
  await writeJsonAtomic(file, { a: 2 });
  assert.deepEqual(JSON.parse(await fs.readFile(file, 'utf8')), { a: 2 });
  assert.deepEqual(await fs.readdir(dir), ['run.json']);
});

test('a write that dies before the rename leaves the old file intact', async () => {
  const dir = await tempDir();
  const file = path.join(dir, 'run.json');
  await writeFileAtomic(file, 'old content');
  let tempSeen = '';
  await assert.rejects(
    writeFileAtomic(file, 'new content that never lands', {
      beforeRename: async (temp) => {
        tempSeen = temp;
        assert.equal(await fs.readFile(temp, 'utf8'), 'new content that never lands');
        throw new Error('killed between write and rename');
      },
    }),
    /cannot write .*run\.json: killed between write and rename/,
  );
  assert.equal(path.dirname(tempSeen), dir, 'temp file lives in the same folder (same file system)');
  assert.equal(await fs.readFile(file, 'utf8'), 'old content');
  assert.deepEqual(await fs.readdir(dir), ['run.json'], 'temp file removed');
});

test('a full disk is a one-line error naming the file, and the old file survives', async () => {
  const dir = await tempDir();
  const file = path.join(dir, 'latest');
  await writeFileAtomic(file, 'epoch-0001\n');
  const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  await assert.rejects(
    writeFileAtomic(file, 'epoch-0002\n', {
      beforeRename: () => {
        throw enospc;
      },
    }),
    (err: unknown) => {
      assert.ok(err instanceof RunWriteError);
      assert.equal(err.message, `disk full while writing ${file}`);
      assert.equal(err.code, 'ENOSPC');
      return true;
    },
  );
  assert.equal(await fs.readFile(file, 'utf8'), 'epoch-0001\n');
  const quota = describeWriteError(Object.assign(new Error('x'), { code: 'EDQUOT' }), '/r/run.json');
  assert.equal(quota.message, 'disk quota exceeded while writing /r/run.json');
  assert.ok(!describeWriteError(new Error('a\nb'), '/f').message.includes('\n'));
});

test('a missing folder is reported with the file name', async () => {
  const dir = await tempDir();
  const file = path.join(dir, 'nope', 'run.json');
  await assert.rejects(writeFileAtomic(file, 'x'), (err: Error) => err.message.startsWith(`cannot write ${file}:`));
});
