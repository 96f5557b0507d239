// WebGPU errors are errors. Dawn reports validation and out-of-memory errors asynchronously, and tfjs-backend-webgpu
// never asks for them: a binding over the adapter's limit made "Invalid CommandBuffer", the step went on and
// returned meaningless numbers. Three layers here:
// 1. before each dispatch, every tensor the program binds is checked against maxStorageBufferBindingSize, so the
//    commonest failure stops synchronously, naming the op, the tensor and the limit;
// 2. a step runs inside validation and out-of-memory error scopes (webgpuChecked), and errors outside any scope
//    arrive through `uncapturederror`; device loss through `device.lost`;
// 3. once Dawn has reported an error, every later dispatch throws: nothing runs on an invalid command buffer.
import * as tf from '@tensorflow/tfjs-core';

/** A WebGPU failure, as one line that names the op and, where one was hit, the limit. */
export class WebgpuError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebgpuError';
  }
}

interface GpuErrorLike {
  message: string;
  constructor: { name: string };
}
export interface GuardedDevice {
  limits: { maxStorageBufferBindingSize: number; maxBufferSize: number };
  pushErrorScope(filter: 'validation' | 'out-of-memory' | 'internal'): void;
  popErrorScope(): Promise<GpuErrorLike | null>;
  addEventListener(type: 'uncapturederror', listener: (e: { error: GpuErrorLike }) => void): void;
  lost: Promise<{ reason?: string; message: string }>;
  createBindGroup(descriptor: { label?: string }): unknown;
}

interface ProgramLike {
  constructor: { name: string };
  outputShape: number[];
}
type RunProgram = (
  program: ProgramLike,
  inputs: tf.TensorInfo[],
  dtype: tf.DataType,
  ...rest: unknown[]
) => tf.TensorInfo;
interface BackendLike {
  device: GuardedDevice;
  runWebGPUProgram: RunProgram;
}

interface Guard {
  device: GuardedDevice;
  limit: number;
  /** The program being recorded: labels its bind group, so Dawn's messages name it. */
  currentOp?: string;
  /** The first error Dawn reported; sticky, because the command buffer it was in is invalid. */
  failure?: string;
}

let guard: Guard | undefined;

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** tfjs stores float32, int32 and bool as 4 bytes an element on webgpu. */
const tensorBytes = (shape: number[]) => 4 * shape.reduce((a, b) => a * b, 1);

/** Dawn's message in one line: its first sentence, plus the op from the labelled descriptor or the current op. */
export function describeGpuError(error: GpuErrorLike, currentOp: string | undefined): string {
  const text = error.message ?? String(error);
  const first = text.split('\n')[0].trim();
  const label = /\[(?:BindGroupDescriptor|BufferDescriptor|CommandEncoderDescriptor) "+([^"]+)"+\]/.exec(text)?.[1];
  const kind = /OutOfMemory/.test(error.constructor.name)
    ? 'out of GPU memory'
    : /Validation/.test(error.constructor.name)
      ? 'validation error'
      : 'error';
  const op = label ?? currentOp;
  return `webgpu ${kind}${op ? ` in ${op}` : ''}: ${first}`;
}

function fail(g: Guard, message: string): void {
  g.failure ??= message;
}

/** The op a failed dispatch was for, with its output shape: "MatMulPackedProgram -> [2,4096]". */
function opName(program: ProgramLike): string {
  return `${program.constructor.name} -> [${program.outputShape}]`;
}

/** Checks every binding of a dispatch against the adapter's limit before tfjs records it. */
export function checkBindings(program: ProgramLike, inputs: { shape: number[] }[], limit: number): void {
  const tensors = [
    { role: 'output', shape: program.outputShape },
    ...inputs.map((t, i) => ({ role: `input ${i}`, shape: t.shape })),
  ];
  for (const t of tensors) {
    const bytes = tensorBytes(t.shape);
    if (bytes > limit) {
      throw new WebgpuError(
        `webgpu: ${program.constructor.name} would bind its ${t.role} [${t.shape}] (${mib(bytes)}), over this ` +
          `adapter's maxStorageBufferBindingSize of ${mib(limit)}; use a smaller batch or input size, or --backend wasm`,
      );
    }
  }
}

/** Names a binding limit below the adapter's, so that tests can make small models split their dense layers. */
export const MAX_BINDING_ENV = 'DEEPCLUSTER_WEBGPU_MAX_BINDING_BYTES';

/** The adapter's maxStorageBufferBindingSize, lowered (never raised) by $DEEPCLUSTER_WEBGPU_MAX_BINDING_BYTES. */
export function effectiveBindingLimit(adapterLimit: number, env: NodeJS.ProcessEnv = process.env): number {
  const text = env[MAX_BINDING_ENV];
  if (text === undefined || text === '') return adapterLimit;
  const bytes = Number(text);
  if (!Number.isInteger(bytes) || bytes < 1)
    throw new Error(`${MAX_BINDING_ENV} must be a positive integer, got "${text}"`);
  return Math.min(adapterLimit, bytes);
}

/** Wraps the active webgpu backend; called once per backend instance, after tf.setBackend('webgpu'). */
const guarded = new WeakSet<object>();

export function installWebgpuGuard(backend: BackendLike): void {
  // setBackend('webgpu') again (auto measuring, then choosing it) returns the same, already guarded instance.
  if (guarded.has(backend)) return;
  guarded.add(backend);
  const device = backend.device;
  const g: Guard = { device, limit: effectiveBindingLimit(device.limits.maxStorageBufferBindingSize) };
  guard = g;
  const run = backend.runWebGPUProgram;
  backend.runWebGPUProgram = function (this: BackendLike, program, inputs, dtype, ...rest) {
    if (g.failure) throw new WebgpuError(`${g.failure} (earlier; nothing more runs on this device)`);
    checkBindings(program, inputs, g.limit);
    g.currentOp = opName(program);
    return run.call(this, program, inputs, dtype, ...rest);
  };
  const createBindGroup = device.createBindGroup.bind(device);
  device.createBindGroup = (descriptor) => createBindGroup({ ...descriptor, label: descriptor.label || g.currentOp });
  device.addEventListener('uncapturederror', (e) => fail(g, describeGpuError(e.error, g.currentOp)));
  void device.lost.then((info) => {
    // releaseWebgpu destroys the device on purpose.
    if (info.reason !== 'destroyed')
      fail(g, `webgpu device lost${g.currentOp ? ` during ${g.currentOp}` : ''}: ${info.message.split('\n')[0]}`);
  });
}

/** Forgets the guard of a backend that was released. */
export function removeWebgpuGuard(): void {
  guard = undefined;
}

/** maxStorageBufferBindingSize of the active webgpu device (or the lower override); undefined off webgpu. */
export function webgpuBindingLimit(): number | undefined {
  return guard && tf.getBackend() === 'webgpu' ? guard.limit : undefined;
}

/** The error that stopped the active webgpu device, if any. */
export function webgpuFailure(): string | undefined {
  return guard?.failure;
}

/**
 * Runs `fn` (a training step, a batch of features) inside validation and out-of-memory error scopes and throws a
 * WebgpuError naming `what` and the op when Dawn reported anything. A no-op wrapper on other backends.
 */
export async function webgpuChecked<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const g = guard;
  if (!g || tf.getBackend() !== 'webgpu') return fn();
  if (g.failure) throw new WebgpuError(`${what}: ${g.failure}`);
  g.device.pushErrorScope('out-of-memory');
  g.device.pushErrorScope('validation');
  let result: T | undefined;
  let thrown: unknown;
  try {
    result = await fn();
  } catch (err) {
    thrown = err;
  }
  // popErrorScope resolves once the device has processed everything issued inside the scope.
  const validation = await g.device.popErrorScope();
  const oom = await g.device.popErrorScope();
  const error = validation ?? oom;
  if (error) fail(g, describeGpuError(error, g.currentOp));
  if (g.failure) throw new WebgpuError(`${what}: ${g.failure}`);
  if (thrown !== undefined) throw thrown;
  return result as T;
}
