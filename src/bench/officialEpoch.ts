// The official epoch (src/bench/official_epoch.py: PyTorch + faiss from Debian) on this machine, with the same
// images and threads as ours, so bench:epoch can print same-machine ratios per phase. Without Python, torch or
// faiss it says which is missing and no ratio is printed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pythonWith } from './python';

export interface OfficialEpoch {
  images: number;
  threads: number;
  seconds: { features: number; clustering: number; pca: number; kmeans: number; training: number; epoch: number };
  loss: number;
  torch: string;
  faiss: string;
}

export type OfficialRun = { ok: true; result: OfficialEpoch } | { ok: false; why: string };

function script(): string | undefined {
  return [
    join(__dirname, '..', '..', 'src', 'bench', 'official_epoch.py'),
    join(process.cwd(), 'src', 'bench', 'official_epoch.py'),
  ].find(existsSync);
}

export function runOfficialEpoch(
  data: string,
  images: number,
  threads: number,
  flags: { k: number; pca: number; batch: number; seed: number },
): OfficialRun {
  const python = pythonWith('torch') && pythonWith('faiss');
  if (!python) {
    const missing = ['torch', 'faiss'].filter((m) => !pythonWith(m));
    return {
      ok: false,
      why: `Python cannot import ${missing.join(' and ')} (apt-get install ${missing.map((m) => `python3-${m}`).join(' ')}): no same-machine ratio`,
    };
  }
  const file = script();
  if (!file) return { ok: false, why: 'src/bench/official_epoch.py not found: no same-machine ratio' };
  const args = [
    file,
    '--data',
    data,
    '--images',
    String(images),
    '--threads',
    String(threads),
    '--k',
    String(flags.k),
    '--pca',
    String(flags.pca),
    '--batch',
    String(flags.batch),
    '--seed',
    String(flags.seed),
  ];
  console.log(`$ ${python} ${args.join(' ')}`);
  const r = spawnSync(python, args, { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(threads) } });
  const line = r.stdout?.trim().split('\n').pop();
  if (r.status !== 0 || !line?.startsWith('{'))
    return {
      ok: false,
      why: `the official epoch failed (exit ${r.status}): ${(r.stderr || '').trim().split('\n').pop()}`,
    };
  return { ok: true, result: JSON.parse(line) as OfficialEpoch };
}

/** The per-phase table: ours, the official code on this machine, ours / official. */
export function sameMachineTable(
  ours: Record<'features' | 'clustering' | 'training' | 'epoch', number>,
  official: OfficialEpoch,
): string {
  const rows = (['features', 'clustering', 'training', 'epoch'] as const).map((p) => {
    const o = official.seconds[p];
    return `| ${p} | ${ours[p].toFixed(1)} | ${o.toFixed(1)} | ${(ours[p] / o).toFixed(2)}x |`;
  });
  return ['| phase | ours s | official (PyTorch + faiss, this machine) s | ratio |', '|---|---|---|---|', ...rows].join(
    '\n',
  );
}
