// Downloads one file over HTTP(S) into `dest` with progress and cancel, without vscode (node:test tests it against
// a local server). Bytes go to `dest.part`; a later call resumes from its size with an HTTP Range request (a
// server that answers 200 instead of 206 restarts it), and only a complete file is renamed to `dest`. Failures are
// one plain line: offline / name not found / refused, an HTTP status, a cut connection (resumable).
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { LookupFunction } from 'node:net';

export class DownloadError extends Error {
  override name = 'DownloadError';
  /** The partial file was kept: calling again resumes. */
  constructor(
    message: string,
    readonly resumable = false,
  ) {
    super(message);
  }
}

export interface DownloadOptions {
  /** Bytes received so far (resumed bytes included) and the total when the server says. */
  onProgress?: (received: number, total: number | undefined) => void;
  signal?: AbortSignal;
  /** Name resolution (tests simulate a failing DNS). */
  lookup?: LookupFunction;
  maxRedirects?: number;
}

const OFFLINE_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'ETIMEDOUT',
]);

function describeNetworkError(url: URL, e: NodeJS.ErrnoException): string {
  if (e.code && OFFLINE_CODES.has(e.code)) {
    const what =
      e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN'
        ? `cannot resolve ${url.hostname}`
        : `cannot connect to ${url.host}`;
    return `${what} (${e.code}): no network connection? Try again when online; a partial download resumes.`;
  }
  return `download from ${url.host} failed: ${e.message}`;
}

function request(url: URL, headers: Record<string, string>, o: DownloadOptions): Promise<http.IncomingMessage> {
  const get = url.protocol === 'https:' ? https.get : url.protocol === 'http:' ? http.get : undefined;
  if (!get) return Promise.reject(new DownloadError(`unsupported URL ${url.href}`));
  return new Promise((resolve, reject) => {
    const req = get(url, { headers, lookup: o.lookup, signal: o.signal }, resolve);
    req.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        o.signal?.aborted
          ? new DownloadError('download cancelled', true)
          : new DownloadError(describeNetworkError(url, e), true),
      ),
    );
  });
}

/** Downloads `url` to `dest` (resuming `dest.part`); resolves with the file's size. */
export async function downloadFile(urlText: string, dest: string, o: DownloadOptions = {}): Promise<number> {
  const part = `${dest}.part`;
  let url = new URL(urlText);
  for (let redirects = 0; ; redirects++) {
    const have = fs.existsSync(part) ? fs.statSync(part).size : 0;
    const res = await request(url, have > 0 ? { Range: `bytes=${have}-` } : {}, o);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      if (redirects >= (o.maxRedirects ?? 5)) throw new DownloadError(`too many redirects from ${urlText}`);
      url = new URL(res.headers.location, url);
      continue;
    }
    if (status === 416 && have > 0) {
      // The part is as long as (or longer than) the file: start over rather than guess.
      res.resume();
      fs.rmSync(part, { force: true });
      continue;
    }
    if (status !== 200 && status !== 206) {
      res.resume();
      throw new DownloadError(`${url.host} answered HTTP ${status} for ${url.pathname}`);
    }
    const resumed = status === 206 ? have : 0;
    const length = Number(res.headers['content-length']);
    const total = Number.isFinite(length) ? resumed + length : undefined;
    return await receive(res, part, dest, resumed, total, o);
  }
}

function receive(
  res: http.IncomingMessage,
  part: string,
  dest: string,
  resumed: number,
  total: number | undefined,
  o: DownloadOptions,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const out = fs.createWriteStream(part, { flags: resumed > 0 ? 'a' : 'w' });
    let received = resumed;
    let failed: Error | undefined;
    o.onProgress?.(received, total);
    res.on('data', (chunk: Buffer) => {
      received += chunk.length;
      o.onProgress?.(received, total);
    });
    const fail = (e: Error) => {
      failed ??= e;
      res.unpipe(out);
      out.end();
    };
    const cut = () => (o.signal?.aborted ? new DownloadError('download cancelled', true) : undefined);
    res.on('aborted', () =>
      fail(
        cut() ??
          new DownloadError(`the connection closed after ${received} bytes; run the download again to resume`, true),
      ),
    );
    res.on('error', (e) =>
      fail(
        cut() ??
          new DownloadError(
            `the connection failed after ${received} bytes (${e.message}); run the download again to resume`,
            true,
          ),
      ),
    );
    out.on('error', (e) => reject(new DownloadError(`cannot write ${part}: ${e.message}`)));
    out.on('close', () => {
      if (failed) return reject(failed);
      if (o.signal?.aborted) return reject(new DownloadError('download cancelled', true));
      if (total !== undefined && received !== total) {
        return reject(
          new DownloadError(
            `the connection closed after ${received} of ${total} bytes; run the download again to resume`,
            true,
          ),
        );
      }
      fs.renameSync(part, dest);
      resolve(received);
    });
    res.pipe(out);
  });
}
