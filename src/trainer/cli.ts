// `deepcluster` CLI main: parses the command, runs it, and turns every expected failure into one line on stderr
// (exit 2 for bad usage or input, 1 for anything unexpected).
import { parseArgs, UsageError } from './cli/args';
import { inspect } from './cli/inspect';

async function main(argv: string[]): Promise<number> {
  const cmd = parseArgs(argv);
  switch (cmd.command) {
    case 'help':
      process.stdout.write(cmd.text.endsWith('\n') ? cmd.text : cmd.text + '\n');
      return 0;
    case 'inspect':
      process.stdout.write((await inspect(cmd.path, { json: cmd.json })).replace(/\n?$/, '\n'));
      return 0;
    case 'eval': {
      const { evaluateCheckpoint, formatEvalResult } = await import('./eval/evalCommand');
      const log = (line: string) => process.stderr.write(line + '\n');
      const r = await evaluateCheckpoint({
        target: cmd.target,
        test: cmd.test,
        testLimit: cmd.testLimit,
        backend: cmd.backend,
        log,
      });
      process.stdout.write((cmd.json ? JSON.stringify(r) : formatEvalResult(r)) + '\n');
      return 0;
    }
    case 'setup-gpu': {
      const { setupGpu } = await import('./engine');
      const r = await setupGpu({ variant: cmd.cpu ? 'cpu' : undefined, log: (l) => process.stderr.write(l + '\n') });
      process.stdout.write(r.message + '\n');
      return r.ok ? 0 : 1;
    }
    case 'visualize':
    case 'thumbs': {
      const analyze = await import('./analyze');
      const io = {
        emit: (e: object) => cmd.json && process.stdout.write(JSON.stringify(e) + '\n'),
        log: (line: string) => (cmd.json ? process.stderr : process.stdout).write(line + '\n'),
      };
      if (cmd.command === 'visualize') {
        await analyze.visualize(
          {
            target: cmd.checkpoint,
            layer: cmd.layer,
            filters: cmd.filters,
            top: cmd.top,
            backend: cmd.backend,
            ascent: { ...(cmd.iterations ? { iterations: cmd.iterations } : {}), ...(cmd.lr ? { lr: cmd.lr } : {}) },
          },
          io,
        );
      } else {
        const r = await analyze.thumbs(
          {
            target: cmd.checkpoint,
            indices: cmd.indices,
            clusters: cmd.clusters,
            perCluster: cmd.perCluster,
            size: cmd.size,
            by: cmd.by,
            backend: cmd.backend,
          },
          io,
        );
        if (!cmd.json) process.stdout.write(JSON.stringify(r) + '\n');
      }
      return 0;
    }
    case 'map': {
      const { map } = await import('./map/mapCommand');
      const io = {
        emit: (e: object) => cmd.json && process.stdout.write(JSON.stringify(e) + '\n'),
        log: (line: string) => process.stderr.write(line + '\n'),
      };
      const r = await map(cmd, io);
      if (!cmd.json)
        process.stdout.write(
          `${r.cached ? 'cached' : 'wrote'} ${r.file} (${r.images} images, ${r.seconds.toFixed(1)} s)\n`,
        );
      return 0;
    }
    case 'export': {
      const { exportCurated } = await import('./curate/exportCommand');
      const io = {
        emit: (e: object) => cmd.json && process.stdout.write(JSON.stringify(e) + '\n'),
        log: (line: string) => process.stderr.write(line + '\n'),
      };
      await exportCurated(cmd, io);
      return 0;
    }
    case 'embed': {
      const { embed } = await import('./pretrained/embed');
      const log = (line: string) => process.stderr.write(line + '\n');
      const r = await embed(cmd, log);
      const line = `wrote ${r.rows} x ${r.dim} float32 to ${r.out} and ${r.imagesTxt} (${r.imagesPerSecond.toFixed(1)} images/s, ${r.model})`;
      process.stdout.write((cmd.json ? JSON.stringify(r) : line) + '\n');
      return 0;
    }
    case 'cluster': {
      const { clusterWithModel } = await import('./pretrained/cluster');
      const log = (line: string) => (cmd.json ? process.stderr : process.stdout).write(line + '\n');
      const r = await clusterWithModel(cmd, log);
      log(
        `run written to ${r.runDir}: ${r.images} images in k=${r.k} clusters (features ${r.imagesPerSecond.toFixed(1)} images/s, k-means ${r.seconds.clustering.toFixed(1)} s)`,
      );
      return 0;
    }
    case 'import-official': {
      const { importOfficial } = await import('./importOfficial/importOfficial');
      const log = (line: string) => (cmd.json ? process.stderr : process.stdout).write(line + '\n');
      const r = await importOfficial(cmd, log);
      log(
        `run written to ${r.runDir}: ${r.epochs} epochs of ${r.images} images, weights for epoch(s) ${r.withWeights.join(', ') || 'none'}`,
      );
      return 0;
    }
    case 'train':
    case 'resume': {
      const session = await import('./train/session');
      // With --json, stdout carries only the event stream; people read stderr.
      const log = (line: string) => (cmd.json ? process.stderr : process.stdout).write(line + '\n');
      if (cmd.command === 'train') await session.train(cmd.config, { json: cmd.json, log, explicit: cmd.explicit });
      else await session.resume(cmd.run, { json: cmd.json, log, backend: cmd.backend });
      return 0;
    }
  }
}

/** Errors whose message is already a complete one-line explanation for a person. */
function isExpected(e: unknown): e is Error {
  if (!(e instanceof Error)) return false;
  if (e instanceof UsageError) return true;
  // By name as well: a bundle may rename a class, not an explicit `name`.
  const known = [
    'DatasetError',
    'RunDirError',
    'RunWriteError',
    'CheckpointError',
    'BackendUnavailable',
    'ModelConfigError',
    'AnalysisError',
    'PytorchCheckpointError',
    'OfficialRunError',
    'WasmHeapExhausted',
    'WebgpuError',
    'EmbeddingMapError',
    'CurationError',
    'LayoutError',
  ];
  return known.includes(e.constructor.name) || known.includes(e.name) || /^(--|k-means|PCA)/.test(e.message);
}

// tfjs-core prints an advert for tfjs-node on stdout the first time a backend initialises; it would corrupt the
// --json stream, and we pick backends ourselves.
const warn = console.warn;
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].includes('tfjs-node')) return;
  warn(...args);
};
const log = console.log;
console.log = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && /Hi there|tfjs-node/.test(args[0])) return;
  log(...args);
};

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (isExpected(e)) {
      process.stderr.write(`deepcluster: ${e.message.split('\n')[0]}\n`);
      process.exit(2);
    }
    process.stderr.write(`deepcluster: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
