// One code-server (VS Code 1.100 web build) per e2e run: fresh user-data and extensions folders, the .vsix
// installed with its CLI, served on a free loopback port in its own process group so that teardown reaches the
// extension host, the file watcher and every trainer they spawned.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface CodeServer {
  url: string;
  pgid: number;
  /** user-data-dir: logs/ holds the server's and the extension host's logs. */
  dataDir: string;
  extDir: string;
}

/** Settings that keep VS Code quiet and offline: no welcome page, no trust prompt, no gallery, no telemetry. */
const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'workbench.colorTheme': 'Default Dark Modern',
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url + 'healthz')).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > end) throw new Error(`code-server did not answer ${url}healthz within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The trainer's files that .vscodeignore must let through: without the worker or the SIMD modules training
 *  still works, only slower, so nothing else would notice them missing. tfjs's .wasm files sit beside the
 *  bundled trainer (scripts/build.mjs). */
const TRAINER_FILES = [
  'cli.js',
  'heapWorker.js',
  'heapSimd.wasm',
  'heapSimd.unshared.wasm',
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
];

function checkInstalledTrainer(extDir: string): void {
  const ext = readdirSync(extDir).find((d) => d.startsWith('deepcluster.'));
  if (!ext) throw new Error(`the extension is not in ${extDir} after --install-extension`);
  const missing = TRAINER_FILES.filter((f) => !existsSync(join(extDir, ext, 'dist', 'trainer', f)));
  if (missing.length > 0)
    throw new Error(`the packaged .vsix lacks dist/trainer/${missing.join(', dist/trainer/')} (.vscodeignore)`);
}

export async function startCodeServer(
  rigDir: string,
  vsix: string,
  runDir: string,
  workspace: string,
): Promise<CodeServer> {
  const entry = join(rigDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  const dataDir = join(runDir, 'data');
  const extDir = join(runDir, 'ext');
  mkdirSync(join(dataDir, 'User'), { recursive: true });
  mkdirSync(extDir, { recursive: true });
  writeFileSync(join(dataDir, 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
  const port = await freePort();
  // --config always: without it code-server writes ~/.config/code-server/config.yaml with a random password.
  const config = join(runDir, 'config.yaml');
  writeFileSync(
    config,
    `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\ndisable-telemetry: true\ndisable-update-check: true\ndisable-workspace-trust: true\ndisable-getting-started-override: true\n`,
  );
  const common = ['--config', config, '--user-data-dir', dataDir, '--extensions-dir', extDir];
  const install = spawnSync(process.execPath, [entry, ...common, '--install-extension', vsix], { encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`--install-extension failed:\n${install.stdout}${install.stderr}`);
  checkInstalledTrainer(extDir);
  const log = join(runDir, 'server.log');
  const out = openSync(log, 'a');
  // detached: a new session and process group (setsid); its id is the server's pid.
  const child = spawn(process.execPath, [entry, ...common, workspace], { detached: true, stdio: ['ignore', out, out] });
  child.unref();
  const server = { url: `http://127.0.0.1:${port}/`, pgid: child.pid!, dataDir, extDir };
  try {
    await waitHealthy(server.url, 60_000);
  } catch (e) {
    stopCodeServer(server);
    throw e;
  }
  return server;
}

/** Pids of live processes whose command line mentions `needle` (Linux /proc). */
export function processesMentioning(needle: string): { pid: number; cmd: string }[] {
  const found: { pid: number; cmd: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (cmd.includes(needle) && !readFileSync(`/proc/${name}/stat`, 'utf8').includes(') Z '))
        found.push({ pid: Number(name), cmd });
    } catch {
      // exited while we looked
    }
  }
  return found;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the whole process group, SIGKILL to what is left after 3 s. Returns once the group is gone. */
export async function stopCodeServer(server: Pick<CodeServer, 'pgid'>): Promise<void> {
  try {
    process.kill(-server.pgid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  for (let i = 0; i < 30 && groupAlive(server.pgid); i++) await new Promise((r) => setTimeout(r, 100));
  if (groupAlive(server.pgid)) {
    try {
      process.kill(-server.pgid, 'SIGKILL');
    } catch {
      // raced with its exit
    }
    for (let i = 0; i < 50 && groupAlive(server.pgid); i++) await new Promise((r) => setTimeout(r, 100));
  }
}

/** Log files under the user-data dir, newest last: server, extension host, and the extension's output channel. */
export function logFiles(dataDir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let names: string[] = [];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.log')) out.push(p);
    }
  };
  walk(join(dataDir, 'logs'));
  return out;
}
