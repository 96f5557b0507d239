// Panel hosts: message validation, the path-escape guard (a crafted message cannot make the host read outside
// the extension, the run and the dataset folders), the page's CSP, the serializer, and the cluster maths.
import Module from 'node:module';
import { join } from 'node:path';
const stubPath = join(__dirname, 'stub', 'panelsVscode.ts');
const m = Module as unknown as { _resolveFilename: (req: string, ...rest: unknown[]) => string };
const original = m._resolveFilename;
m._resolveFilename = function (request: string, ...rest: unknown[]) {
  return request === 'vscode' ? stubPath : original.call(this, request, ...rest);
};

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs, { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { dispatch } from '../../../src/extension/panels/dispatch';
import { GridModel } from '../../../src/extension/panels/gridModel';
import { FiltersModel } from '../../../src/extension/panels/filtersModel';
import { contentSecurityPolicy, embedJson, panelHtml } from '../../../src/extension/panels/html';
import { guardPath, isInside, PathEscapeError } from '../../../src/extension/panels/runPaths';
import { validateMessage } from '../../../src/extension/panels/validate';
import { bestOverlap, followCluster } from '../../../src/extension/panels/clusterData';
import { INITIAL_STATE_ID, type HostMessage } from '../../../src/protocol/webview';
import { writeFixtureRun } from '../../webview/fixture';
import { tempDir } from './helpers';

test('validate: only known, exactly typed, bounded messages pass; names cannot carry paths', () => {
  assert.deepEqual(
    validateMessage('clusterGrid', {
      type: 'members',
      requestId: 3,
      epoch: 1,
      cluster: 2,
      offset: 0,
      limit: 120,
      extra: '/etc/passwd',
    }),
    { type: 'members', requestId: 3, epoch: 1, cluster: 2, offset: 0, limit: 120 },
  );
  const bad: [Parameters<typeof validateMessage>[0], unknown][] = [
    ['clusterGrid', null],
    ['clusterGrid', 'loadEpoch'],
    ['clusterGrid', { type: 'loadEpoch', requestId: 1, epoch: '1' }],
    ['clusterGrid', { type: 'loadEpoch', requestId: 1, epoch: -1 }],
    ['clusterGrid', { type: 'loadEpoch', requestId: 1, epoch: 1.5 }],
    ['clusterGrid', { type: 'members', requestId: 1, epoch: 0, cluster: 0, offset: 0, limit: 1e9 }],
    ['clusterGrid', { type: 'export', requestId: 1, epoch: 0, clusters: ['../x'], format: 'csv' }],
    ['clusterGrid', { type: 'export', requestId: 1, epoch: 0, clusters: [1], format: 'sh' }],
    ['clusterGrid', { type: 'readFile', requestId: 1, path: '/etc/passwd' }],
    ['clusterGrid', { type: 'visualize', requestId: 1, epoch: 0, layer: 'conv1', from: 0, to: 1 }],
    ['filters', { type: 'visualize', requestId: 1, epoch: 0, layer: '../../../etc', from: 0, to: 1 }],
    ['filters', { type: 'visualize', requestId: 1, epoch: 0, layer: 'conv1/../../x', from: 0, to: 1 }],
    ['filters', { type: 'visualize', requestId: 1, epoch: 0, layer: '/etc/passwd', from: 0, to: 1 }],
    ['filters', { type: 'visualize', requestId: 1, epoch: 0, layer: 'conv1', from: 5, to: 1 }],
    ['filters', { type: 'visualize', requestId: 1, epoch: 0, layer: 'conv1', from: 0, to: 100000 }],
    ['curves', { type: 'exportPng', requestId: 1, png: 'file:///etc/passwd' }],
    ['curves', { type: 'removeRun', requestId: 1, runId: '..' }],
    ['curves', { type: 'addRun' }],
    ['embeddingMap', { type: 'compute', requestId: 1, epoch: 0, method: 'tsne' }],
    ['embeddingMap', { type: 'thumbs', requestId: 1, epoch: 0, indices: Array.from({ length: 501 }, (_, i) => i) }],
    ['embeddingMap', { type: 'names', requestId: 1, indices: [] }],
    ['embeddingMap', { type: 'exportSelection', requestId: 1, epoch: 0, indices: ['/etc/passwd'] }],
    ['embeddingMap', { type: 'members', requestId: 1, epoch: 0, cluster: 0, offset: 0, limit: 1 }],
    ['clusterGrid', { type: 'curate', requestId: 1, epoch: 0, edit: { action: 'rename', cluster: 0, name: 'a\nb' } }],
    ['clusterGrid', { type: 'curate', requestId: 1, epoch: 0, edit: { action: 'junk', cluster: 0, junk: 'yes' } }],
    ['clusterGrid', { type: 'curate', requestId: 1, epoch: 0, edit: { action: 'merge', clusters: [], into: 1 } }],
    ['clusterGrid', { type: 'curate', requestId: 1, epoch: 0, edit: { action: 'delete', cluster: 0 } }],
    ['clusterGrid', { type: 'exportCurated', requestId: 1, epoch: 0, format: 'zip' }],
  ];
  for (const [panel, msg] of bad) assert.throws(() => validateMessage(panel, msg), Error, JSON.stringify(msg));
  assert.deepEqual(
    validateMessage('clusterGrid', {
      type: 'curate',
      requestId: 2,
      epoch: 1,
      edit: { action: 'move', indices: [4, 5], cluster: 3, path: '/x' },
    }),
    { type: 'curate', requestId: 2, epoch: 1, edit: { action: 'move', indices: [4, 5], cluster: 3 } },
  );
  assert.deepEqual(validateMessage('embeddingMap', { type: 'compute', requestId: 2, epoch: 1, method: 'pca' }), {
    type: 'compute',
    requestId: 2,
    epoch: 1,
    method: 'pca',
  });
});

test('path guard: .., absolute paths and symlinks out of the roots are refused', (t) => {
  const root = tempDir(t);
  const run = join(root, 'run');
  const outside = join(root, 'outside');
  mkdirSync(run);
  mkdirSync(outside);
  symlinkSync(outside, join(run, 'link'));
  assert.ok(isInside(run, join(run, 'a', 'b.json')));
  assert.ok(!isInside(run, join(run, '..', 'outside', 'x')));
  assert.ok(!isInside(run, '/etc/passwd'));
  assert.throws(() => guardPath([run], join(run, 'link', 'secret.txt')), PathEscapeError);
  assert.throws(() => guardPath([run], `${run}/x\0`), PathEscapeError);
  assert.equal(guardPath([outside, run], join(run, 'ok.json')), join(run, 'ok.json'));
});

test('crafted messages cannot make the host read a file outside the extension, run and dataset folders', async (t) => {
  const root = realpathSync(tempDir(t));
  const run = join(root, 'run');
  await writeFixtureRun(run, { images: 60, k: 6, epochs: 2, thumbs: 0 });
  const secretDir = join(root, 'secret');
  mkdirSync(secretDir);
  writeFileSync(
    join(secretDir, 'checkpoint.json'),
    JSON.stringify({ version: 1, epoch: 9, k: 2, images: 2, files: [], arch: 'smallvgg', created: 'SECRET' }),
  );
  writeFileSync(join(secretDir, 'top.json'), '{"SECRET": true}');
  // Traps: a checkpoint folder and an analysis folder inside the run that are symlinks to the secret folder.
  symlinkSync(secretDir, join(run, 'checkpoints', 'epoch-0009'));
  mkdirSync(join(run, 'analysis', 'epoch-0001'), { recursive: true });
  symlinkSync(secretDir, join(run, 'analysis', 'epoch-0001', 'conv1'));
  symlinkSync(secretDir, join(run, 'analysis', 'epoch-0000'));
  const extension = join(root, 'extension');
  mkdirSync(extension);
  const roots = [extension, run];

  const reads: string[] = [];
  const realRead = fs.readFileSync;
  t.mock.method(fs, 'readFileSync', ((p: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
    if (typeof p === 'string') reads.push(p);
    return (realRead as (...a: unknown[]) => unknown).call(fs, p, ...rest);
  }) as typeof fs.readFileSync);
  const grid = new GridModel({
    runDir: run,
    webviewUri: (d) => d,
    save: async () => undefined,
    makeThumbs: async () => undefined,
  });
  const filters = new FiltersModel({
    runDir: run,
    webviewUri: (d) => d,
    visualize: async () => undefined,
    cancel: () => false,
    makeThumbs: async () => undefined,
  });
  const crafted: ['clusterGrid' | 'filters', unknown][] = [
    ['clusterGrid', { type: 'loadEpoch', requestId: 1, epoch: 9 }],
    ['clusterGrid', { type: 'members', requestId: 2, epoch: 9, cluster: 0, offset: 0, limit: 10 }],
    ['clusterGrid', { type: 'follow', requestId: 3, epoch: 9, cluster: 0 }],
    ['clusterGrid', { type: 'loadEpoch', requestId: 4, epoch: 0 }],
    ['clusterGrid', { type: 'thumbs', requestId: 5, epoch: 0, view: 'activation' }],
    ['clusterGrid', { type: 'loadEpoch', requestId: 6, path: '/etc/passwd', epoch: '../../../etc' }],
    ['filters', { type: 'layers', requestId: 7, epoch: 9 }],
    ['filters', { type: 'visualize', requestId: 8, epoch: 1, layer: 'conv1', from: 0, to: 3 }],
    ['filters', { type: 'visualize', requestId: 9, epoch: 1, layer: '../../secret', from: 0, to: 3 }],
    ['filters', { type: 'visualize', requestId: 10, epoch: 1, layer: 'conv9', from: 0, to: 3 }],
  ];
  const replies: HostMessage[] = [];
  for (const [kind, msg] of crafted) {
    const handle =
      kind === 'clusterGrid'
        ? (req: never, progress: (d: number, t: number, m?: string) => void) => grid.handle(req, progress)
        : (req: never, progress: (d: number, t: number, m?: string) => void) => filters.handle(req, progress);
    await dispatch(kind, msg, (req, progress) => handle(req as never, progress), { post: (r) => replies.push(r) });
  }
  assert.ok(reads.length > 0, 'the handlers did read the run');
  for (const p of reads)
    assert.ok(
      roots.some((r) => isInside(r, p)),
      `read outside the roots: ${p}`,
    );
  assert.ok(!JSON.stringify(replies).includes('SECRET'));
  const byId = new Map(
    replies.filter((r) => r.type === 'response').map((r) => [(r as { requestId: number }).requestId, r]),
  );
  for (const id of [1, 2, 3, 6, 7, 8, 9, 10])
    assert.equal((byId.get(id) as { ok: boolean }).ok, false, `request ${id} must fail`);
  assert.equal((byId.get(4) as { ok: boolean }).ok, true, 'a legitimate request still works');
});

test('page: nonce-only CSP, no inline or eval, initial state cannot break out of its script element', () => {
  const csp = contentSecurityPolicy('https://x.vscode-cdn.net', 'N0nce');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'nonce-N0nce'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  const html = panelHtml({
    title: 't',
    cspSource: 'https://x',
    scriptUri: 'https://x/a.js',
    styleUri: 'https://x/a.css',
    initial: { evil: '</script><script>alert(1)</script>' },
    nonce: 'N0nce',
  });
  assert.equal(html.match(/<script/g)!.length, 2);
  assert.ok(html.includes(`id="${INITIAL_STATE_ID}" nonce="N0nce"`));
  assert.ok(html.includes('<script nonce="N0nce" src="https://x/a.js">'));
  assert.equal(JSON.parse(embedJson({ a: '</script>&<!--' })).a, '</script>&<!--');
});

test('serializer: a reloaded grid comes back on its run and epoch with narrow roots; a bad state opens nothing', async (t) => {
  const stub = (await import('./stub/panelsVscode')) as typeof import('./stub/panelsVscode');
  const { registerPanels } = await import('../../../src/extension/panels/panels');
  const root = realpathSync(tempDir(t));
  const run = join(root, 'run');
  await writeFixtureRun(run, { images: 60, k: 6, epochs: 3, thumbs: 0 });
  mkdirSync(join(run, 'dataset'));
  const ext = join(root, 'ext');
  const context = { extensionUri: stub.Uri.file(ext), subscriptions: [] as unknown[] };
  const manager = { onEvent: () => () => undefined, isActive: () => false };
  registerPanels(
    context as never,
    {
      launch: { nodePath: 'node', cliPath: 'x' },
      manager: manager as never,
      output: { debug: () => undefined } as never,
      pickRun: async () => undefined,
    },
    async () => undefined,
  );
  assert.deepEqual([...stub.recorded.commands.keys()].sort(), [
    'deepcluster.showClusterGrid',
    'deepcluster.showCurves',
    'deepcluster.showEmbeddingMap',
    'deepcluster.visualizeFilters',
  ]);
  const panel = stub.fakePanel();
  await stub.recorded.serializers
    .get('deepcluster.clusterGrid')!
    .deserializeWebviewPanel(panel, { runDir: run, epoch: 1, ui: { sort: 'id' } });
  assert.deepEqual(
    panel.webview.options.localResourceRoots!.map((u) => u.fsPath),
    [ext, run, join(run, 'dataset')],
  );
  const init = JSON.parse(/<script type="application\/json"[^>]*>(.*?)<\/script>/s.exec(panel.webview.html)![1]!);
  assert.equal(init.epoch, 1);
  assert.equal(init.k, 6);
  assert.deepEqual(init.checkpoints, [0, 1, 2]);
  assert.equal(init.ui.sort, 'id');
  // A crafted message through the real listener gets an error response, nothing else.
  await panel.receive({ type: 'follow', requestId: 41, epoch: 1, cluster: 0, path: '/etc/passwd' });
  await panel.receive({ type: 'members', requestId: 42, epoch: '../../', cluster: 0, offset: 0, limit: 5 });
  assert.equal(panel.posted.find((p) => p.requestId === 41).ok, true);
  assert.equal(panel.posted.find((p) => p.requestId === 42).ok, false);
  const bad = stub.fakePanel();
  await stub.recorded.serializers.get('deepcluster.filters')!.deserializeWebviewPanel(bad, { runDir: '/etc', ui: {} });
  assert.match(bad.webview.html, /no longer available/);
  assert.equal(bad.webview.options.localResourceRoots, undefined);
});

test('follow: a cluster is matched to the one it overlaps most, with the Jaccard index', () => {
  // 8 images; epoch 0: {0..3}, {4..7}; epoch 1 renumbers and moves image 3: {4..7,3} as 0, {0,1,2} as 1.
  const e0 = Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1]);
  const e1 = Int32Array.from([1, 1, 1, 0, 0, 0, 0, 0]);
  assert.deepEqual(bestOverlap([0, 1, 2, 3], e1, 2), { cluster: 1, size: 3, jaccard: 3 / 4 });
  const track = followCluster([0, 1], (e) => ({ assignments: e === 0 ? e0 : e1, k: 2 }), 0, 1);
  assert.deepEqual(track.steps, [
    { epoch: 0, cluster: 1, size: 4, jaccard: 1 },
    { epoch: 1, cluster: 0, size: 5, jaccard: 4 / 5 },
  ]);
});
