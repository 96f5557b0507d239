// npm run bench:fidelity [-- --epochs N --images N --backend NAME --json FILE]
// Trains smallvgg with the peer's settings on the first 20 000 Fashion-MNIST train images (Debian's
// dataset-fashion-mnist) through the real CLI, and prints our per-epoch numbers beside the official
// implementation's (shared/reference/peer-fashion-mnist.md).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { EpochMetrics, TrainerEvent } from '../protocol/events';
import { defaultFullDataset } from '../trainer/data/sample';
import { PEER, PEER_FLAGS, PEER_IMAGES } from './peer';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '15' },
    images: { type: 'string', default: String(PEER_IMAGES) },
    backend: { type: 'string', default: 'auto' },
    json: { type: 'string' },
    out: { type: 'string' },
  },
});

async function main(): Promise<void> {
  const data = defaultFullDataset();
  if (!data) throw new Error("bench:fidelity needs Debian's Fashion-MNIST: apt-get install dataset-fashion-mnist");
  const root = resolve(__dirname, '..', '..');
  const out = resolve(
    values.out ?? join(root, 'bench-out', `fidelity-${new Date().toISOString().replace(/[:.]/g, '-')}`),
  );
  mkdirSync(join(out, '..'), { recursive: true });
  const args = [
    join(root, 'dist', 'trainer', 'cli.js'),
    'train',
    '--data',
    data,
    '--limit',
    values.images!,
    '--epochs',
    values.epochs!,
    '--backend',
    values.backend!,
    '--out',
    out,
    '--json',
    ...PEER_FLAGS,
  ];
  console.log(`$ node ${args.join(' ')}`);
  const epochs: EpochMetrics[] = [];
  let knn: number | undefined;
  let device = '';
  await new Promise<void>((done, fail) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    p.stdout.on('data', (chunk: Buffer) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.trim()) continue;
        const e = JSON.parse(line) as TrainerEvent;
        if (e.type === 'start') device = `${e.engine.backend} on ${e.engine.device}`;
        if (e.type === 'epoch') {
          epochs.push(e.metrics);
          printRow(e.metrics);
        }
        if (e.type === 'evaluation') knn = e.knnAccuracy;
      }
    });
    p.on('close', (code) => (code === 0 ? done() : fail(new Error(`trainer exited with ${code}`))));
  });
  console.log(`\nbackend: ${device}; run: ${out}`);
  if (knn !== undefined) console.log(`kNN-20 cosine accuracy of fc7 on a held-out 10%: ${knn.toFixed(3)}`);
  const last = epochs[epochs.length - 1];
  const peerLast = PEER[Math.min(last.epoch, PEER.length - 1)];
  console.log(
    `last epoch ${last.epoch}: NMI vs labels ${last.nmiLabels?.toFixed(3)} (peer ${peerLast.nmiLabels.toFixed(3)}, diff ${(last.nmiLabels! - peerLast.nmiLabels).toFixed(3)}),` +
      ` NMI(t,t-1) ${last.nmiPrev?.toFixed(3) ?? '-'} (peer ${peerLast.nmiPrev?.toFixed(3) ?? '-'})`,
  );
  if (values.json)
    writeFileSync(values.json, JSON.stringify({ device, run: out, knnAccuracy: knn, epochs, peer: PEER }, null, 2));
}

function printRow(m: EpochMetrics): void {
  if (m.epoch === 0) {
    console.log(
      '| epoch | loss (peer) | NMI labels geo (peer) | NMI labels arith (peer) | NMI(t,t-1) (peer) | s features | s clustering | s training | s epoch (peer) |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|');
  }
  const p = PEER[m.epoch];
  const f = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(3));
  const s = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(1));
  console.log(
    `| ${m.epoch} | ${f(m.loss)} (${f(p?.loss)}) | ${f(m.nmiLabels)} (${f(p?.nmiLabels)}) | ${f(m.nmiLabelsArithmetic)} (${f(p?.nmiLabelsArithmetic)}) |` +
      ` ${f(m.nmiPrev)} (${f(p?.nmiPrev)}) | ${s(m.seconds.features)} | ${s(m.seconds.clustering)} | ${s(m.seconds.training)} | ${s(m.seconds.epoch)} (${s(p?.seconds.epoch)}) |`,
  );
}

main().catch((e) => {
  console.error(`bench:fidelity: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
