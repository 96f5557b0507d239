// The only Python globals a checkpoint may name: what torch.save writes for tensors, parameters, storages and
// state dicts (the same kind of list as torch.load(weights_only=True)). Each is reimplemented here as a pure
// data constructor; any other global (os.system, builtins.eval, a pickled nn.Module class...) is refused.
import { UnpickleError, type Buildable, type PickleGlobal } from './unpickler';
import { STORAGE_DTYPES, contiguousStride, type TorchDtype, type TorchStorage, type TorchTensor } from './tensor';

/** A storage class named in a persistent id: carries its dtype, cannot be called. */
export interface StorageType extends PickleGlobal {
  readonly dtype: TorchDtype;
}

export function isStorageType(x: unknown): x is StorageType {
  return (
    typeof x === 'object' &&
    x !== null &&
    (x as StorageType).kind === 'global' &&
    typeof (x as StorageType).dtype === 'string'
  );
}

function fn(name: string, call: (args: unknown[]) => unknown): PickleGlobal {
  return { kind: 'global', name, call };
}

function notCallable(name: string): (args: unknown[]) => never {
  return () => {
    throw new UnpickleError(`${name} is not callable in a checkpoint`);
  };
}

function intList(x: unknown, what: string): number[] {
  if (!Array.isArray(x) || !x.every((v) => typeof v === 'number' && Number.isSafeInteger(v))) {
    throw new UnpickleError(`${what} is not a tuple of integers`);
  }
  return x as number[];
}

function int(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x)) throw new UnpickleError(`${what} is not an integer`);
  return x;
}

function isStorage(x: unknown): x is TorchStorage {
  return typeof x === 'object' && x !== null && (x as TorchStorage).kind === 'storage';
}

function makeTensor(name: string, storage: unknown, offset: unknown, size: unknown, stride: unknown): TorchTensor {
  if (!isStorage(storage)) throw new UnpickleError(`${name}: first argument is not a storage`);
  const shape = intList(size, `${name}: size`);
  // torch 0.3's __setstate__ may give no stride for a contiguous tensor.
  const strides =
    stride === null || stride === undefined ? contiguousStride(shape) : intList(stride, `${name}: stride`);
  if (strides.length !== shape.length)
    throw new UnpickleError(`${name}: ${shape.length} sizes but ${strides.length} strides`);
  return { kind: 'tensor', storage, offset: int(offset, `${name}: storage offset`), shape, stride: strides };
}

/** torch 0.3 pickled a tensor as its class, called with (), then BUILD with (storage, offset, size, stride). */
function legacyTensorClass(name: string): PickleGlobal {
  return fn(name, (args) => {
    if (args.length) throw new UnpickleError(`${name}() with arguments`);
    const pending: Buildable & Partial<TorchTensor> & { kind: 'tensor' } = {
      kind: 'tensor',
      setState(state: unknown) {
        if (!Array.isArray(state) || state.length < 3)
          throw new UnpickleError(`${name}: state is not (storage, offset, size, stride)`);
        Object.assign(pending, makeTensor(name, state[0], state[1], state[2], state[3]));
      },
    };
    return pending;
  });
}

const TORCH_DTYPE_NAMES = [
  'float32',
  'float64',
  'float16',
  'bfloat16',
  'int64',
  'int32',
  'int16',
  'int8',
  'uint8',
  'bool',
  'float',
  'double',
  'half',
  'long',
  'int',
];

function buildRegistry(): Map<string, PickleGlobal> {
  const r = new Map<string, PickleGlobal>();
  const add = (g: PickleGlobal) => r.set(g.name, g);
  const dict = (args: unknown[]) => {
    const m = new Map<unknown, unknown>();
    if (args.length === 1 && Array.isArray(args[0])) {
      for (const pair of args[0]) if (Array.isArray(pair) && pair.length === 2) m.set(pair[0], pair[1]);
    } else if (args.length) throw new UnpickleError('OrderedDict with unexpected arguments');
    return m;
  };
  add(fn('collections.OrderedDict', dict));
  add(fn('torch._utils._rebuild_tensor', (a) => makeTensor('_rebuild_tensor', a[0], a[1], a[2], a[3])));
  add(fn('torch._utils._rebuild_tensor_v2', (a) => makeTensor('_rebuild_tensor_v2', a[0], a[1], a[2], a[3])));
  const parameter = (a: unknown[]) => {
    if (!a.length || typeof a[0] !== 'object' || (a[0] as TorchTensor).kind !== 'tensor')
      throw new UnpickleError('_rebuild_parameter: data is not a tensor');
    return a[0];
  };
  add(fn('torch._utils._rebuild_parameter', parameter));
  add(fn('torch._utils._rebuild_parameter_with_state', parameter));
  add(fn('torch.Size', (a) => intList(a[0] ?? [], 'torch.Size')));
  add(fn('torch.device', (a) => a.map(String).join(':')));
  for (const set of ['builtins.set', '__builtin__.set', 'builtins.frozenset', '__builtin__.frozenset']) {
    add(fn(set, (a) => new Set(Array.isArray(a[0]) ? a[0] : [])));
  }
  // Protocol 2 from Python 3 writes `bytes` as _codecs.encode(text, 'latin1').
  add(
    fn('_codecs.encode', (a) => {
      if (typeof a[0] !== 'string' || !/^latin-?1$/i.test(String(a[1])))
        throw new UnpickleError('_codecs.encode other than (str, "latin1")');
      return Uint8Array.from(a[0], (c) => c.charCodeAt(0) & 0xff);
    }),
  );
  for (const [cls, dtype] of Object.entries(STORAGE_DTYPES)) {
    for (const mod of ['torch', 'torch.cuda']) {
      const name = `${mod}.${cls}`;
      r.set(name, { kind: 'global', name, dtype, call: notCallable(name) } as StorageType);
      if (cls !== 'UntypedStorage') add(legacyTensorClass(`${mod}.${cls.replace('Storage', 'Tensor')}`));
    }
  }
  for (const d of TORCH_DTYPE_NAMES) add({ kind: 'global', name: `torch.${d}`, call: notCallable(`torch.${d}`) });
  return r;
}

const REGISTRY = buildRegistry();

export function resolveTorchGlobal(fullName: string): PickleGlobal | undefined {
  return REGISTRY.get(fullName);
}

/** The names allowed, for the README and tests. */
export function allowedGlobalNames(): string[] {
  return [...REGISTRY.keys()];
}
