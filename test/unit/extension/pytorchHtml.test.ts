// The PyTorch checkpoint editor's page from `inspect --json`'s report: a DeepCluster-v2 ResNet-50 shows its arch,
// k, prototype sets and head, with the cluster button; a state_dict that is not ours lists its tensors and says
// why, with no button; an unreadable file shows the trainer's line; everything from the file is escaped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PytorchReportJson } from '../../../src/protocol';
import { renderPytorchPage } from '../../../src/extension/pytorchHtml';

const base = {
  file: '/m/x.pth.tar',
  nonce: 'N0NCE',
  cspSource: 'vscode-webview:',
  styleUri: 'vscode-webview://s/inspector.css',
};

test('a DeepCluster-v2 ResNet-50: arch, k of the first prototype set, the head, layers and the cluster button', () => {
  const report: PytorchReportJson = {
    kind: 'pytorch',
    path: '/m/deepclusterv2.pth.tar',
    format: 'legacy',
    bytes: 3 * 1024 ** 2,
    topKeys: [],
    tensors: [],
    model: {
      options: { arch: 'resnet50', inputSize: 224, inputChannels: 3, sobel: false },
      k: 3000,
      head: { hiddenDim: 2048, outputDim: 128, prototypes: [3000, 3000, 3000] },
      dataParallel: true,
      params: 25_557_032,
      layers: [{ name: 'conv1', kind: 'conv', outputShape: [112, 112, 64], params: 9472 }],
    },
  };
  const html = renderPytorchPage({ ...base, report });
  assert.match(html, /resnet50, input 224 px × 3 channels/);
  assert.match(html, /3000 \(first of 3 prototype sets: 3000, 3000, 3000\)/);
  assert.match(html, /projection 2048 → 2048 → 128/);
  assert.match(html, /25,557,032 \(DataParallel keys: \.module\.\)/);
  assert.match(html, /<td>conv1<\/td><td>conv<\/td><td>\[112, 112, 64\]<\/td>/);
  assert.match(html, /data-action="cluster"/);
  assert.match(html, /script-src 'nonce-N0NCE'/);
  assert.match(html, /<script nonce="N0NCE">/);
});

test('not one of ours: why, the tensors (escaped), no cluster button; unreadable: the one line', () => {
  const report: PytorchReportJson = {
    kind: 'pytorch',
    path: '/m/other.pt',
    format: 'zip',
    bytes: 10,
    topKeys: ['model'],
    notOurs: 'no conv1/layer4',
    tensors: [{ name: '<img src=x onerror=alert(1)>', shape: [3], dtype: 'float32' }],
  };
  const html = renderPytorchPage({ ...base, report });
  assert.match(html, /not a DeepCluster AlexNet, VGG16 or ResNet-50: no conv1\/layer4/);
  assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
  assert.ok(!html.includes('<img src=x'));
  assert.ok(!html.includes('data-action="cluster"'));
  const bad = renderPytorchPage({
    ...base,
    error: 'evil.pth: refused global posix.system: not one that PyTorch checkpoints use',
  });
  assert.match(bad, /refused global posix\.system/);
});
