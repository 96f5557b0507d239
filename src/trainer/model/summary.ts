// Layer table of a model (what the checkpoint inspector shows), computed from the architecture data alone.
import type { LayerSummary, ModelOptions } from './types';
import { architectureSpec, checkInputSize, featureSizes } from './architectures';
import { isResNetArch, summarizeResNet } from './resnetSpec';

/** The number of channels conv1 sees: 2 Sobel gradients, or the image's own channels. */
export function conv1InputChannels(options: Pick<ModelOptions, 'sobel' | 'inputChannels'>): number {
  return options.sobel ? 2 : options.inputChannels;
}

/**
 * Rows in forward order. Output shapes are per example (no batch dimension): [h, w, c] or [units].
 * `params` counts weights and biases; a BatchNorm row counts gamma and beta (its running statistics are buffers,
 * as in PyTorch's `parameters()`). `k` > 0 adds the top layer (with the ReLU on fc7 before it).
 */
export function summarizeModel(options: ModelOptions, k = 0): LayerSummary[] {
  if (isResNetArch(options.arch)) return summarizeResNet(options, k);
  const spec = architectureSpec(options.arch);
  checkInputSize(spec, options.inputSize);
  const r = featureSizes(spec, options.inputSize);
  if (!('sizes' in r)) throw new Error('unreachable: input size was checked');
  const rows: LayerSummary[] = [];
  let channels = options.inputChannels;
  let size = options.inputSize;
  if (options.sobel) {
    channels = 2;
    rows.push({ name: 'sobel', kind: 'sobel', outputShape: [size, size, 2], params: 3 * 3 * 1 * 2, trainable: false });
  }
  spec.features.forEach((layer, i) => {
    size = r.sizes[i];
    if (layer.kind === 'maxpool') {
      rows.push({
        name: layer.name,
        kind: 'maxpool',
        outputShape: [size, size, channels],
        params: 0,
        trainable: false,
      });
      return;
    }
    const n = layer.name.slice('conv'.length);
    const shape = [size, size, layer.filters];
    const params = layer.kernel * layer.kernel * channels * layer.filters + layer.filters;
    rows.push({ name: layer.name, kind: 'conv', outputShape: shape, params, trainable: true });
    rows.push({ name: `bn${n}`, kind: 'bn', outputShape: shape, params: 2 * layer.filters, trainable: true });
    rows.push({ name: `relu${n}`, kind: 'relu', outputShape: shape, params: 0, trainable: false });
    channels = layer.filters;
  });
  let units = size * size * channels;
  rows.push({ name: 'flatten', kind: 'flatten', outputShape: [units], params: 0, trainable: false });
  for (const layer of spec.classifier) {
    if (layer.kind === 'dense') {
      rows.push({
        name: layer.name,
        kind: 'dense',
        outputShape: [layer.units],
        params: units * layer.units + layer.units,
        trainable: true,
      });
      units = layer.units;
    } else {
      rows.push({ name: layer.name, kind: layer.kind, outputShape: [units], params: 0, trainable: false });
    }
  }
  if (k > 0) {
    rows.push({ name: 'relu7', kind: 'relu', outputShape: [units], params: 0, trainable: false });
    rows.push({ name: 'top', kind: 'dense', outputShape: [k], params: units * k + k, trainable: true });
  }
  return rows;
}

/** Total parameters of the rows, optionally only those of the given kinds. */
export function countParameters(rows: LayerSummary[], kinds?: LayerSummary['kind'][]): number {
  return rows.filter((r) => !kinds || kinds.includes(r.kind)).reduce((s, r) => s + r.params, 0);
}
