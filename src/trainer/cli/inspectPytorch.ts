// `deepcluster inspect FILE.pth.tar`: what a PyTorch checkpoint holds (official DeepCluster AlexNet / VGG16,
// DeepCluster-v2's ResNet-50: arch, k, Sobel, the v2 head, layers, parameters, epoch, optimizer state), read by
// our own reader: no Python, no tensors converted. A state_dict of another model is still listed, with why it is not one of ours.
import * as path from 'node:path';
import type { LayerSummary } from '../model/types';
import {
  describeDeepClusterCheckpoint,
  findStateDict,
  readPytorchCheckpoint,
  PytorchCheckpointError,
  PYTORCH_CHECKPOINT_PATTERN,
  type PytorchModelInfo,
} from '../model/pytorch';

export interface PytorchReport {
  kind: 'pytorch';
  path: string;
  format: 'zip' | 'legacy';
  bytes: number;
  /** Our model for it; absent when the state_dict is not a DeepCluster AlexNet / VGG16 (see `notOurs`). */
  model?: Pick<
    PytorchModelInfo,
    'options' | 'k' | 'head' | 'archField' | 'epoch' | 'dataParallel' | 'optimizer' | 'params' | 'layers'
  >;
  notOurs?: string;
  topKeys: string[];
  tensors: { name: string; shape: number[]; dtype: string }[];
}

/** Files `inspect` hands to this reader rather than to the run/checkpoint-folder one. */
export function isPytorchCheckpointPath(p: string): boolean {
  return PYTORCH_CHECKPOINT_PATTERN.test(p);
}

export async function inspectPytorch(file: string): Promise<PytorchReport> {
  const ck = await readPytorchCheckpoint(file);
  const base = { kind: 'pytorch' as const, path: path.resolve(file), format: ck.format, bytes: ck.bytes };
  try {
    const info = describeDeepClusterCheckpoint(ck);
    const { options, k, head, archField, epoch, dataParallel, optimizer, params, layers, topKeys, tensors } = info;
    return {
      ...base,
      model: { options, k, head, archField, epoch, dataParallel, optimizer, params, layers },
      topKeys,
      tensors,
    };
  } catch (e) {
    if (!(e instanceof PytorchCheckpointError)) throw e;
    const root = ck.root instanceof Map ? ck.root : undefined;
    let tensors: PytorchReport['tensors'] = [];
    try {
      tensors = [...findStateDict(ck)].map(([name, t]) => ({ name, shape: t.shape, dtype: t.storage?.dtype ?? '?' }));
    } catch {
      // no state_dict at all: the keys say what it is
    }
    return {
      ...base,
      notOurs: e.message.replace(/^[^:]*: /, ''),
      topKeys: root ? [...root.keys()].map(String) : [],
      tensors,
    };
  }
}

export function formatPytorchReport(r: PytorchReport): string {
  const out: string[] = [];
  const mib = (b: number) => `${(b / 1024 ** 2).toFixed(1)} MiB`;
  out.push(`PyTorch checkpoint ${r.path}`);
  out.push(
    `  format     ${r.format === 'zip' ? 'zip (PyTorch >= 1.6)' : 'legacy (pickle + raw storages, PyTorch < 1.6)'}, ${mib(r.bytes)}`,
  );
  if (r.topKeys.length) out.push(`  keys       ${r.topKeys.join(', ')}`);
  const m = r.model;
  if (!m) {
    out.push(`  model      not a DeepCluster AlexNet, VGG16 or ResNet-50: ${r.notOurs}`);
    out.push(
      `  tensors    ${r.tensors.length}, ${r.tensors.reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0).toLocaleString('en-US')} values`,
    );
    for (const t of r.tensors.slice(0, 40)) out.push(`    ${t.name.padEnd(40)} [${t.shape.join(', ')}] ${t.dtype}`);
    if (r.tensors.length > 40) out.push(`    ... ${r.tensors.length - 40} more`);
    return out.join('\n') + '\n';
  }
  const o = m.options;
  out.push(
    `  arch       ${o.arch}${m.archField && m.archField !== o.arch ? ` ('arch': ${m.archField})` : ''}, input ${o.inputSize}px x ${o.inputChannels} channels`,
  );
  out.push(`  sobel      ${o.sobel ? 'yes (sobel.0.weight: grayscale + Sobel front end)' : 'no'}`);
  const sets = m.head?.prototypes ?? [];
  if (sets.length)
    out.push(
      `  k          ${m.k} (first of ${sets.length} prototype set${sets.length > 1 ? 's' : ''}: ${sets.join(', ')})`,
    );
  else out.push(`  k          ${m.k ? `${m.k} (${o.arch === 'resnet50' ? 'fc' : 'top_layer'})` : 'no top layer'}`);
  if (m.head) {
    const mlp = m.head.hiddenDim
      ? `projection 2048 -> ${m.head.hiddenDim} -> ${m.head.outputDim}, L2-normalised`
      : `no projection MLP, ${m.head.outputDim}-d`;
    out.push(`  head       ${mlp}${sets.length ? `; prototypes ${sets.join(' + ')}` : ''}`);
  }
  out.push(`  epoch      ${m.epoch ?? '-'}`);
  out.push(
    `  optimizer  ${m.optimizer ? `state present, ${m.optimizer.tensors} tensors (${m.optimizer.params.toLocaleString('en-US')} values)` : 'none'}`,
  );
  out.push(`  params     ${m.params.toLocaleString('en-US')}${m.dataParallel ? ' (DataParallel keys: .module.)' : ''}`);
  out.push('  layers');
  for (const l of m.layers as LayerSummary[]) {
    const row = `    ${l.name.padEnd(10)} ${l.kind.padEnd(8)} [${l.outputShape.join(', ')}]`;
    out.push(l.params ? `${row.padEnd(44)} ${l.params.toLocaleString('en-US')}` : row);
  }
  return out.join('\n') + '\n';
}
