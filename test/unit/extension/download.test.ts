// The released-model downloader against a local HTTP server on 127.0.0.1 (no test touches the internet): a whole
// file with progress; a connection cut mid-file, then a resume that asks for the rest with Range and ends with the
// same bytes; a server that ignores Range; a redirect; cancel keeps the part; offline (refused connection, a name
// that does not resolve) and HTTP errors are one plain line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadFile, DownloadError } from '../../../src/extension/download/download';
import { RELEASED_MODELS } from '../../../src/extension/download/releasedModels';

const body = randomBytes(300_000);
let server: http.Server;
let base = '';
let dir = '';
const seen: { path: string; range?: string }[] = [];
/** Per path: cut the connection after this many bytes, once. */
const cutOnce = new Map<string, number>();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dc-download-'));
  server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    seen.push({ path, range: req.headers.range });
    if (path === '/missing') return res.writeHead(404).end();
    if (path === '/moved') return res.writeHead(302, { Location: '/model.pth' }).end();
    if (path === '/slow') {
      res.writeHead(200, { 'Content-Length': body.length });
      res.write(body.subarray(0, 50_000)); // and never more: the client cancels
      return;
    }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m && path !== '/norange.pth' ? Number(m[1]) : 0;
    if (start >= body.length) return res.writeHead(416).end();
    const rest = body.subarray(start);
    res.writeHead(start ? 206 : 200, {
      'Content-Length': rest.length,
      ...(start ? { 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    const cut = cutOnce.get(path);
    if (cut !== undefined) {
      cutOnce.delete(path);
      res.write(rest.subarray(0, cut), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(rest);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the released models: the official AlexNet / VGG16 and the swav DeepCluster-v2 ResNet-50', () => {
  assert.deepEqual(
    RELEASED_MODELS.map((m) => m.url),
    [
      'https://dl.fbaipublicfiles.com/deepcluster/alexnet/checkpoint.pth.tar',
      'https://dl.fbaipublicfiles.com/deepcluster/vgg16/checkpoint.pth.tar',
      'https://dl.fbaipublicfiles.com/deepcluster/deepclusterv2_800ep_pretrain.pth.tar',
    ],
  );
  assert.ok(RELEASED_MODELS.every((m) => /\.pth\.tar$/.test(m.file)));
});

test('a whole file, with progress up to the total; no .part left', async () => {
  const dest = join(dir, 'a.pth.tar');
  const progress: [number, number | undefined][] = [];
  assert.equal(
    await downloadFile(`${base}/model.pth`, dest, { onProgress: (r, t) => progress.push([r, t]) }),
    body.length,
  );
  assert.ok(readFileSync(dest).equals(body));
  assert.ok(!existsSync(`${dest}.part`));
  assert.deepEqual(progress.at(-1), [body.length, body.length]);
});

test('a connection cut mid-file keeps the part; the next call asks for the rest with Range and completes', async () => {
  const dest = join(dir, 'b.pth.tar');
  cutOnce.set('/cut.pth', 120_000);
  await assert.rejects(
    downloadFile(`${base}/cut.pth`, dest),
    (e: Error) =>
      e instanceof DownloadError &&
      e.resumable &&
      /run the download again to resume/.test(e.message) &&
      !e.message.includes('\n'),
  );
  const kept = statSync(`${dest}.part`).size;
  assert.ok(kept > 0 && kept < body.length, `part of ${kept} bytes`);
  assert.ok(!existsSync(dest));
  seen.length = 0;
  await downloadFile(`${base}/cut.pth`, dest);
  assert.deepEqual(seen, [{ path: '/cut.pth', range: `bytes=${kept}-` }]);
  assert.ok(readFileSync(dest).equals(body));
  assert.ok(!existsSync(`${dest}.part`));
});

test('a server that ignores Range (200) restarts the file; a redirect is followed', async () => {
  const dest = join(dir, 'c.pth.tar');
  cutOnce.set('/norange.pth', 70_000);
  await assert.rejects(downloadFile(`${base}/norange.pth`, dest));
  await downloadFile(`${base}/norange.pth`, dest);
  assert.ok(readFileSync(dest).equals(body));
  const moved = join(dir, 'd.pth.tar');
  await downloadFile(`${base}/moved`, moved);
  assert.ok(readFileSync(moved).equals(body));
});

test('cancel stops the download and keeps the part for a resume', async () => {
  const dest = join(dir, 'e.pth.tar');
  const ac = new AbortController();
  const p = downloadFile(`${base}/slow`, dest, { signal: ac.signal, onProgress: (r) => r >= 50_000 && ac.abort() });
  await assert.rejects(p, /download cancelled/);
  assert.ok(existsSync(`${dest}.part`));
  assert.ok(!existsSync(dest));
});

test('offline: a refused connection and a name that does not resolve are one plain line; HTTP errors too', async () => {
  const closed = http.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  await assert.rejects(downloadFile(`http://127.0.0.1:${port}/x.pth`, join(dir, 'f')), (e: Error) => {
    assert.match(
      e.message,
      new RegExp(`^cannot connect to 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\): no network connection\\?`),
    );
    return !e.message.includes('\n');
  });
  // The DNS failure is simulated by the lookup function: nothing leaves the machine.
  const lookup = ((host: string, _o: unknown, cb: (e: NodeJS.ErrnoException) => void) => {
    const e = Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    process.nextTick(() => cb(e));
  }) as never;
  await assert.rejects(
    downloadFile('http://dl.fbaipublicfiles.invalid/x.pth', join(dir, 'g'), { lookup }),
    /^DownloadError: cannot resolve dl\.fbaipublicfiles\.invalid \(ENOTFOUND\): no network connection\?/,
  );
  await assert.rejects(
    downloadFile(`${base}/missing`, join(dir, 'h')),
    /^DownloadError: 127\.0\.0\.1:\d+ answered HTTP 404 for \/missing$/,
  );
});
