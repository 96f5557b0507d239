// Asking Dawn for an adapter in a child process first. Without a Vulkan driver (or loader), Dawn's C++ prints
// "Warning: vkCreateInstance failed ... at CheckVkSuccessImpl (/home/runner/work/node-webgpu/...)" straight to
// file descriptor 2: a build machine's path in the user's terminal or output channel, which Node cannot
// intercept in-process. The child's stderr is captured instead, and the trainer loads Dawn itself only when it
// will use the adapter. The answer comes back in our words. DEEPCLUSTER_DEBUG_DAWN=1 lets Dawn's own text through.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AdapterDescription } from './softwareAdapter';

/**
 * dawn.node of this platform: the packaged extension's stripped copy (dist/native/, next to the bundle, written by
 * scripts/package.mjs), else the one inside the `webgpu` package (what its index.js loads).
 */
export function dawnNodePath(): string {
  const name = `${process.platform}-${process.platform === 'darwin' ? 'universal' : process.arch}.dawn.node`;
  const packaged = join(__dirname, '..', 'native', name);
  if (existsSync(packaged)) return packaged;
  return join(dirname(require.resolve('webgpu/package.json')), 'dist', name);
}

/** Vulkan loaders and Mesa want a writable runtime dir; headless machines and CI often have none. */
export function ensureRuntimeDir(): void {
  if (process.env.XDG_RUNTIME_DIR) return;
  const dir = join(tmpdir(), `deepcluster-xdg-${process.getuid?.() ?? 'user'}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  process.env.XDG_RUNTIME_DIR = dir;
}

// Runs in the child (CommonJS, `node -e`): load dawn.node, ask for the high-performance adapter (as
// tfjs-backend-webgpu does), print its info as one JSON line.
const CHILD = `
const { create, globals } = require(process.argv[1]);
Object.assign(globalThis, globals);
const say = (v) => { process.stdout.write(JSON.stringify(v) + '\\n'); process.exit(0); };
create([]).requestAdapter({ powerPreference: 'high-performance' }).then((a) => {
  if (!a) return say({ adapter: null });
  const i = a.info;
  say({ adapter: { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description,
    isFallbackAdapter: i.isFallbackAdapter ?? a.isFallbackAdapter } });
}, (e) => say({ error: String((e && e.message) || e) }));
`;

/** Why Dawn found nothing, from what it printed (kept out of the console), in words a user can act on. */
export function explainNoAdapter(dawnStderr: string): string {
  const fix = "install the GPU's Vulkan driver, or Mesa's mesa-vulkan-drivers >= 23 for the software one";
  if (/libvulkan|vulkan-1\.dll|Couldn't load Vulkan|Failed to load.*[Vv]ulkan/.test(dawnStderr)) {
    return `no WebGPU adapter: the Vulkan loader (libvulkan) is not installed; ${fix}`;
  }
  if (/Found no drivers|VK_ERROR_INCOMPATIBLE_DRIVER|no ICDs|ERROR_INITIALIZATION_FAILED/.test(dawnStderr)) {
    return `no WebGPU adapter: Vulkan is installed but has no driver for a device here; ${fix}`;
  }
  return `no WebGPU adapter: Dawn found no Vulkan/Metal/D3D12 device; ${fix}`;
}

/** The adapter Dawn offers on this machine, asked in a child process; throws a one-line reason when none. */
export async function probeDawnAdapter(timeoutMs = 60_000): Promise<AdapterDescription> {
  ensureRuntimeDir();
  const debug = process.env.DEEPCLUSTER_DEBUG_DAWN === '1';
  const child = spawn(process.execPath, ['-e', CHILD, dawnNodePath()], {
    stdio: ['ignore', 'pipe', debug ? 'inherit' : 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => {
    child.on('close', (c) => resolve(c));
    child.on('error', () => resolve(-1));
  });
  clearTimeout(timer);
  let answer: { adapter?: AdapterDescription | null; error?: string } | undefined;
  try {
    answer = JSON.parse(out.trim().split('\n').pop() ?? '');
  } catch {
    answer = undefined;
  }
  if (answer?.adapter) return answer.adapter;
  if (answer?.error) throw new Error(`no WebGPU adapter: Dawn failed to ask for one (${answer.error.split('\n')[0]})`);
  if (!answer) throw new Error(`no WebGPU adapter: loading Dawn (${dawnNodePath()}) failed (exit ${code ?? 'killed'})`);
  throw new Error(explainNoAdapter(err));
}
