// npm run bench:epoch [-- --images N --backend NAME --json FILE --kmeans-only --no-kmeans]
// 1. One DeepCluster epoch with the peer's settings through the real CLI: seconds per phase, against the peer,
//    and against the official epoch re-created in PyTorch + faiss (official_epoch.py) on this machine, same
//    images, same threads: the same-machine ratio per phase. Both use the uniform-per-cluster sampler.
// 2. k-means alone on that epoch's PCA-whitened features (20 000 x 64, k = 100, 20 iterations): ours on the
//    backend, ml-kmeans, and faiss (Debian python3-faiss, 2 threads) when importable, in the same command.
import { readRunManifest } from '../runfolder/manifest';
import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { EpochMetrics } from '../protocol/events';
import { pcaWhiten } from '../trainer/cluster';
import { openDataset } from '../trainer/data';
import { defaultFullDataset } from '../trainer/data/sample';
import { initEngine } from '../trainer/engine';
import { createModel } from '../trainer/model';
import { benchKmeans } from './epoch-kmeans';
import { trainOneEpoch } from './epochRun';
import { runOfficialEpoch, sameMachineTable, type OfficialRun } from './officialEpoch';
import { PEER, PEER_EPOCH_SECONDS, PEER_FLAGS, PEER_IMAGES } from './peer';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: String(PEER_IMAGES) },
    backend: { type: 'string', default: 'auto' },
    json: { type: 'string' },
    // Skip part 1 (the epoch through the CLI): k-means against ml-kmeans and faiss alone, in about a minute.
    'kmeans-only': { type: 'boolean', default: false },
    // Skip part 2 (k-means alone against ml-kmeans and faiss).
    'no-kmeans': { type: 'boolean', default: false },
  },
});

async function main(): Promise<void> {
  const data = defaultFullDataset();
  if (!data) throw new Error("bench:epoch needs Debian's Fashion-MNIST: apt-get install dataset-fashion-mnist");
  const root = resolve(__dirname, '..', '..');
  const out = join(root, 'bench-out', `epoch-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(join(out, '..'), { recursive: true });
  const peer = PEER[0].seconds;
  let m: EpochMetrics | undefined;
  let official: OfficialRun | undefined;
  if (!values['kmeans-only']) {
    // The uniform sampler, as the official re-creation: the sampler's kind does not change the work of an epoch.
    const flags = PEER_FLAGS.map((f, i) => (PEER_FLAGS[i - 1] === '--sampler' ? 'uniform' : f));
    const args = ['--data', data, '--limit', values.images!, '--backend', values.backend!, ...flags];
    console.log(`$ node dist/trainer/cli.js train ${args.join(' ')} --epochs 1 --out ${out}`);
    m = await trainOneEpoch(join(root, 'dist', 'trainer', 'cli.js'), out, args, { echo: true });
    console.log('\n| phase | ours s | peer s (epoch 0) | ratio |\n|---|---|---|---|');
    for (const phase of ['features', 'clustering', 'training', 'epoch'] as const) {
      const ours = m.seconds[phase] ?? NaN;
      console.log(
        `| ${phase} | ${ours.toFixed(1)} | ${peer[phase].toFixed(1)} | ${(ours / peer[phase]).toFixed(2)}x |`,
      );
    }
    console.log(
      `whole epoch against the peer's mean epoch (${PEER_EPOCH_SECONDS.toFixed(1)} s): ${(m.seconds.epoch / PEER_EPOCH_SECONDS).toFixed(2)}x`,
    );
    console.log('(the peer ran on another CPU: not a same-machine ratio)');

    const threads = readRunManifest(out).engine?.threads ?? availableParallelism();
    const flag = (name: string) => Number(flags[flags.indexOf(name) + 1]);
    console.log(
      `\nThe official epoch on this machine (${values.images} images, ${threads} threads; load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}):`,
    );
    official = runOfficialEpoch(data, Number(values.images), threads, {
      k: flag('--k'),
      pca: flag('--pca'),
      batch: flag('--batch-size'),
      seed: flag('--seed'),
    });
    if (official.ok) {
      console.log(
        sameMachineTable(
          m.seconds as Record<'features' | 'clustering' | 'training' | 'epoch', number>,
          official.result,
        ),
      );
      console.log(
        `load average after: ${loadavg()
          .map((l) => l.toFixed(1))
          .join(
            ' ',
          )}; official mean training loss ${official.result.loss.toFixed(3)} (torch ${official.result.torch}, faiss ${official.result.faiss})`,
      );
    } else {
      console.log(`official epoch not run: ${official.why}`);
    }
  }
  if (values['no-kmeans']) {
    if (values.json) writeFileSync(values.json, JSON.stringify({ epochSeconds: m?.seconds, official }, null, 2));
    return;
  }

  // k-means alone, in this process, on the epoch-0 features (the freshly initialised network, seed 31).
  const engine = await initEngine(values.backend as 'auto');
  const ds = await openDataset({ path: data, inputSize: 28, limit: Number(values.images) });
  const model = createModel({ arch: 'smallvgg', inputSize: 28, inputChannels: ds.channels, sobel: true, seed: 31 });
  const f = new Float32Array(ds.size * model.featureDim);
  for (let s = 0; s < ds.size; s += 256) {
    const idx = Array.from({ length: Math.min(256, ds.size - s) }, (_, i) => s + i);
    const x = await ds.evalBatch(idx);
    const y = tf.tidy(() => model.features(x));
    f.set(await y.data(), s * model.featureDim);
    tf.dispose([x, y]);
  }
  const tPca = performance.now();
  const pca = await pcaWhiten({ data: f, n: ds.size, d: model.featureDim }, 64);
  const pcaMs = performance.now() - tPca;
  const km = await benchKmeans(pca.features, 100, 31, 20);
  console.log(`\nk-means, ${ds.size} x 64, k = 100, 20 iterations, on ${engine.backend} (each the best of 3 runs):`);
  console.log(`| solver | ms | ratio to faiss |\n|---|---|---|`);
  const ratio = (ms?: number) => (ms !== undefined && km.faissMs ? `${(ms / km.faissMs).toFixed(2)}x` : '–');
  console.log(`| ours (${engine.backend}) | ${km.oursMs.toFixed(0)} | ${ratio(km.oursMs)} |`);
  if (km.mlKmeansMs !== undefined) console.log(`| ml-kmeans | ${km.mlKmeansMs.toFixed(0)} | ${ratio(km.mlKmeansMs)} |`);
  console.log(
    `| faiss (python3-faiss, 2 threads) | ${km.faissMs?.toFixed(0) ?? 'not importable'} | ${km.faissMs ? '1.00x' : '–'} |`,
  );
  console.log(`PCA-whitening 512 -> 64 on the same features: ${pcaMs.toFixed(0)} ms`);
  if (values.json)
    writeFileSync(
      values.json,
      JSON.stringify(
        {
          engine,
          epochSeconds: m?.seconds,
          official,
          peerEpoch0: peer,
          peerMeanEpoch: PEER_EPOCH_SECONDS,
          pcaMs,
          kmeans: km,
        },
        null,
        2,
      ),
    );
}

main().catch((e) => {
  console.error(`bench:epoch: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
