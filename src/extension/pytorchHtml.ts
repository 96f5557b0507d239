// The page of the editor for PyTorch checkpoints (.pth, .pth.tar, .pt): what `deepcluster inspect --json` read
// from the file (arch, k, Sobel, the v2 head, epoch, optimizer state, layers, or why it is not one of ours) and a
// button into "Cluster Images with a Pretrained Model…". Pure: report in, HTML out; the one script forwards the click.
import type { PytorchReportJson } from '../protocol';
import { esc } from './checkpointHtml';

export interface PytorchPageInput {
  report?: PytorchReportJson;
  /** The trainer's one-line error when the file could not be read. */
  error?: string;
  file: string;
  nonce: string;
  cspSource: string;
  styleUri: string;
}

const num = (n: number) => n.toLocaleString('en-US');

export function renderPytorchPage(p: PytorchPageInput): string {
  const head = `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${p.cspSource}; script-src 'nonce-${p.nonce}';">
<link rel="stylesheet" href="${esc(p.styleUri)}"><title>${esc(p.file)}</title></head><body>`;
  const script = `<script nonce="${p.nonce}">const vscode = acquireVsCodeApi();
document.querySelectorAll('button[data-action]').forEach((b) => b.addEventListener('click', () => vscode.postMessage({ type: b.dataset.action })));</script>`;
  if (!p.report)
    return `${head}<h1>PyTorch checkpoint</h1><p class="error">${esc(p.error ?? 'not readable')}</p><p class="muted">${esc(p.file)}</p></body></html>`;
  const r = p.report;
  const m = r.model;
  const rows: [string, string][] = [
    [
      'file',
      `${r.path} (${(r.bytes / 1024 ** 2).toFixed(1)} MiB, ${r.format === 'zip' ? 'zip format, PyTorch ≥ 1.6' : 'legacy format, PyTorch < 1.6'})`,
    ],
  ];
  if (r.topKeys.length) rows.push(['keys', r.topKeys.join(', ')]);
  let body = '';
  if (m) {
    const o = m.options;
    rows.push([
      'architecture',
      `${o.arch}${m.archField && m.archField !== o.arch ? ` ('arch': ${m.archField})` : ''}, input ${o.inputSize} px × ${o.inputChannels} channels`,
    ]);
    rows.push(['Sobel', o.sobel ? 'yes (grayscale + Sobel front end)' : 'no']);
    const sets = m.head?.prototypes ?? [];
    rows.push([
      'k',
      sets.length
        ? `${m.k} (first of ${sets.length} prototype sets: ${sets.join(', ')})`
        : m.k
          ? String(m.k)
          : 'no top layer',
    ]);
    if (m.head)
      rows.push([
        'head',
        m.head.hiddenDim
          ? `projection 2048 → ${m.head.hiddenDim} → ${m.head.outputDim}, L2-normalised`
          : `${m.head.outputDim}-d, no projection MLP`,
      ]);
    rows.push(['epoch', m.epoch === undefined ? '–' : String(m.epoch)]);
    rows.push(['optimizer', m.optimizer ? `state present, ${m.optimizer.tensors} tensors` : 'none']);
    rows.push(['parameters', `${num(m.params)}${m.dataParallel ? ' (DataParallel keys: .module.)' : ''}`]);
    const layers = m.layers
      .map(
        (l) =>
          `<tr><td>${esc(l.name)}</td><td>${esc(l.kind)}</td><td>[${l.outputShape.join(', ')}]</td><td class="num">${l.params ? num(l.params) : ''}</td></tr>`,
      )
      .join('');
    body = `<h2>Layers</h2><table class="layers"><thead><tr><th>layer</th><th>kind</th><th>output</th><th>parameters</th></tr></thead><tbody>${layers}</tbody></table>`;
  } else {
    rows.push(['model', `not a DeepCluster AlexNet, VGG16 or ResNet-50: ${r.notOurs ?? ''}`]);
    const tensors = r.tensors
      .slice(0, 200)
      .map((t) => `<tr><td>${esc(t.name)}</td><td>[${t.shape.join(', ')}]</td><td>${esc(t.dtype)}</td></tr>`)
      .join('');
    body = `<h2>Tensors (${r.tensors.length})</h2><table class="layers"><tbody>${tensors}</tbody></table>`;
  }
  const table = rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('');
  const actions = m
    ? `<p><button data-action="cluster">Cluster Images with This Model…</button> <span class="muted">Visualize Filters opens on the run that clustering writes.</span></p>`
    : '';
  return `${head}<h1>PyTorch checkpoint</h1><table class="config">${table}</table>${actions}${body}${script}</body></html>`;
}
