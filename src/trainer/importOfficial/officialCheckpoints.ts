// The checkpoints of an official DeepCluster experiment folder (facebookresearch/deepcluster main.py):
// checkpoint.pth.tar after each epoch (its 'epoch' field is epoch + 1) and checkpoints/checkpoint_<n>.pth.tar
// every --checkpoints iterations (saved during an epoch, with the same field; <n> is "3" from Python 2, "3.0"
// from Python 3). Which file holds the weights of epoch e: checkpoint.pth.tar when it ended epoch e, else the
// newest iteration checkpoint saved during epoch e.
import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { readPytorchCheckpoint } from '../model/pytorch';
import { OfficialRunError } from './clustersPickle';

export interface OfficialCheckpointFile {
  file: string;
  /** 0-based epoch the weights belong to ('epoch' - 1). */
  epoch: number;
  /** The end-of-epoch checkpoint.pth.tar, or an iteration one (its number). */
  iteration?: number;
}

async function epochOf(file: string): Promise<number> {
  const ck = await readPytorchCheckpoint(file);
  const root = ck.root;
  const e = root instanceof Map ? root.get('epoch') : undefined;
  if (typeof e !== 'number' || !Number.isInteger(e) || e < 1)
    throw new OfficialRunError(`${file}: no 'epoch' field as the official main.py writes it`);
  return e - 1;
}

/** Per epoch, the file its weights come from (epochs without one are absent). Reads each file once. */
export async function officialCheckpoints(exp: string): Promise<Map<number, OfficialCheckpointFile>> {
  const found: OfficialCheckpointFile[] = [];
  const latest = path.join(exp, 'checkpoint.pth.tar');
  const names = await readdir(exp).catch((e: NodeJS.ErrnoException) => {
    throw new OfficialRunError(`${exp}: ${e.code === 'ENOENT' ? 'no such folder' : e.message}`);
  });
  if (names.includes('checkpoint.pth.tar')) found.push({ file: latest, epoch: await epochOf(latest) });
  const dir = path.join(exp, 'checkpoints');
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const m = /^checkpoint_(\d+)(?:\.0)?\.pth\.tar$/.exec(name);
    if (!m) continue;
    const file = path.join(dir, name);
    found.push({ file, epoch: await epochOf(file), iteration: Number(m[1]) });
  }
  const byEpoch = new Map<number, OfficialCheckpointFile>();
  for (const f of found) {
    const have = byEpoch.get(f.epoch);
    const better =
      !have || (have.iteration !== undefined && (f.iteration === undefined || f.iteration > have.iteration));
    if (better) byEpoch.set(f.epoch, f);
  }
  return byEpoch;
}
