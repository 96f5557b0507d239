// The PyTorch checkpoint reader on committed fixtures (made by make_fixtures.py with torch), so it runs without
// torch: both formats, float32/float16/float64, strided views, DataParallel keys, the optimizer, a pickle that
// would run a shell command, truncated and corrupt files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  parsePytorchCheckpoint,
  findStateDict,
  tensorToFloat32,
  PytorchCheckpointError,
} from '../../../../src/trainer/model/pytorch';
import { unpickle } from '../../../../src/trainer/model/pytorch/unpickler';
import { resolveTorchGlobal } from '../../../../src/trainer/model/pytorch/allowedGlobals';

const dir = join(__dirname, '..', '..', '..', 'fixtures', 'pytorch');
const oracle: Record<string, { shape: number[]; dtype: string; values: number[] }> = JSON.parse(
  readFileSync(join(dir, 'tiny.json'), 'utf8'),
);
const load = (name: string, bytes?: Uint8Array) =>
  parsePytorchCheckpoint(bytes ?? readFileSync(join(dir, name)), join(dir, name));

for (const [file, format] of [
  ['tiny-zip.pt', 'zip'],
  ['tiny-deflated.pt', 'zip'],
  ['tiny-legacy.pth', 'legacy'],
] as const) {
  test(`${file}: every tensor equals what torch.load reads, converted to float32`, () => {
    const ck = load(file);
    assert.equal(ck.format, format);
    const root = ck.root as Map<string, unknown>;
    assert.deepEqual([...root.keys()], ['epoch', 'arch', 'state_dict', 'optimizer']);
    assert.equal(root.get('epoch'), 3);
    assert.equal(root.get('arch'), 'alexnet');
    const sd = findStateDict(ck);
    assert.deepEqual([...sd.keys()], Object.keys(oracle));
    for (const [name, t] of sd) {
      const want = oracle[name]!;
      assert.deepEqual(t.shape, want.shape, name);
      assert.equal(t.storage.dtype, want.dtype, name);
      const got = tensorToFloat32(t, name);
      assert.equal(got.length, want.values.length, name);
      // float32 of the exact value (float16/float64 are converted; float32 is bit-exact)
      want.values.forEach((v, i) => assert.equal(got[i], Math.fround(v), `${name}[${i}]`));
    }
    const opt = root.get('optimizer') as Map<string, unknown>;
    const state = opt.get('state') as Map<number, Map<string, unknown>>;
    const buf = state.get(0)!.get('momentum_buffer');
    assert.deepEqual(Array.from(tensorToFloat32(buf as never)), [1, 1]);
    const groups = opt.get('param_groups') as Map<string, unknown>[];
    assert.equal(groups[0]!.get('lr'), 0.05);
  });

  test(`${file}: a truncated copy gets a one-line error at every cut`, () => {
    const bytes = readFileSync(join(dir, file));
    for (const cut of [1, 2, 10, 40, Math.floor(bytes.length / 2), bytes.length - 30, bytes.length - 1]) {
      let err: unknown;
      try {
        const ck = load(file, bytes.subarray(0, cut));
        // a cut inside the last storage's bytes only shows when that tensor is read
        for (const [name, t] of findStateDict(ck)) tensorToFloat32(t, name);
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof Error, `cut at ${cut} of ${bytes.length} was accepted`);
      assert.ok(!err.message.includes('\n'), err.message);
      assert.match(err.message, new RegExp(file.replace('.', '\\.')), `cut at ${cut}: ${err.message}`);
    }
  });
}

for (const file of ['evil-zip.pt', 'evil-legacy.pth']) {
  test(`${file}: a pickle calling os.system is refused, naming the global, and nothing runs`, () => {
    assert.throws(
      () => load(file),
      (e: Error) => {
        assert.ok(e instanceof PytorchCheckpointError);
        assert.match(e.message, /refused global posix\.system/);
        assert.ok(!e.message.includes('\n'));
        return true;
      },
    );
    assert.equal(existsSync('deepcluster-pickle-was-executed'), false);
  });
}

test('not a checkpoint, corrupt bytes and a corrupted zip get one line naming the file', () => {
  assert.throws(() => load('x.pth', new TextEncoder().encode('hello world')), /x\.pth: not a PyTorch checkpoint/);
  assert.throws(
    () => load('x.pth', new Uint8Array([0x80, 0x02, 0xff, 0x00])),
    /x\.pth: unsupported pickle opcode 0xff/,
  );
  const zip = new Uint8Array(readFileSync(join(dir, 'tiny-zip.pt')));
  zip.fill(0, zip.length - 200); // wipes the central directory
  assert.throws(() => load('tiny-zip.pt', zip), /tiny-zip\.pt: no zip end-of-central-directory record/);
  const deflated = new Uint8Array(readFileSync(join(dir, 'tiny-deflated.pt')));
  for (let i = 50; i < 70; i++) deflated[i] ^= 0x5a; // inside data.pkl's compressed stream
  assert.throws(
    () => load('tiny-deflated.pt', deflated),
    (e: Error) => /^tiny-deflated\.pt: /.test(e.message) && !e.message.includes('\n'),
  );
});

test('unpickler: GLOBAL, STACK_GLOBAL and REDUCE on anything outside the allow-list are refused', () => {
  const opts = { resolveGlobal: resolveTorchGlobal };
  // protocol 2: GLOBAL 'builtins\neval\n' (the 'c' opcode)
  const g = new Uint8Array([0x80, 0x02, 0x63, ...new TextEncoder().encode('builtins\neval\n'), 0x2e]);
  assert.throws(() => unpickle(g, 0, opts), /refused global builtins\.eval/);
  // protocol 4: SHORT_BINUNICODE 'os', SHORT_BINUNICODE 'popen', STACK_GLOBAL
  const enc = (s: string) => [0x8c, s.length, ...new TextEncoder().encode(s)];
  const sg = new Uint8Array([0x80, 0x04, ...enc('os'), ...enc('popen'), 0x93, 0x2e]);
  assert.throws(() => unpickle(sg, 0, opts), /refused global os\.popen/);
  // REDUCE on a string: a callable that did not come from the allow-list
  const r = new Uint8Array([0x80, 0x02, ...enc('x'), 0x29, 0x52, 0x2e]);
  assert.throws(() => unpickle(r, 0, opts), /REDUCE on something that is not an allowed global/);
  // protocol 2 dict of int -> float, and a bytes object via _codecs.encode
  const d = unpickle(
    new Uint8Array([0x80, 0x02, 0x7d, 0x4b, 0x07, 0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x73, 0x2e]),
    0,
    opts,
  );
  assert.deepEqual([...(d.value as Map<number, number>)], [[7, 1.5]]);
});

test('a legacy file shaped as PyTorch 0.3 on Python 2 wrote it (make_py2_fixture.py) reads as torch.load does', () => {
  const want = JSON.parse(readFileSync(join(dir, 'py2-torch03.json'), 'utf8')) as {
    epoch: number;
    arch: string;
    state_dict: typeof oracle;
    momentum: number[];
  };
  const ck = load('py2-torch03.pth.tar');
  assert.equal(ck.format, 'legacy');
  const root = ck.root as Map<string, unknown>;
  assert.equal(root.get('epoch'), want.epoch);
  assert.equal(root.get('arch'), want.arch);
  const sd = findStateDict(ck);
  assert.deepEqual([...sd.keys()], Object.keys(want.state_dict));
  for (const [name, t] of sd) {
    const w = want.state_dict[name]!;
    assert.deepEqual(t.shape, w.shape, name);
    assert.equal(t.storage.location, 'cuda:0');
    assert.deepEqual(Array.from(tensorToFloat32(t, name)), w.values.map(Math.fround), name);
  }
  const state = (root.get('optimizer') as Map<string, Map<number, Map<string, unknown>>>).get('state')!;
  assert.deepEqual([...state.keys()], [140093318372624]);
  assert.deepEqual(
    Array.from(tensorToFloat32(state.get(140093318372624)!.get('momentum_buffer') as never)),
    want.momentum,
  );
});

test('torch 0.3 tensor classes: torch.FloatTensor() then BUILD with (storage, offset, size, stride)', () => {
  const storage = {
    kind: 'storage',
    dtype: 'float32',
    key: 's',
    numel: 4,
    location: 'cpu',
    bytes: new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer),
  };
  // GLOBAL torch FloatTensor, EMPTY_TUPLE, REDUCE; MARK, pid 0 BINPERSID, 1, (2,), (1,), TUPLE; BUILD; STOP
  const program = new Uint8Array([
    0x80,
    0x02,
    0x63,
    ...new TextEncoder().encode('torch\nFloatTensor\n'),
    0x29,
    0x52,
    0x28,
    0x4b,
    0x00,
    0x51,
    0x4b,
    0x01,
    0x4b,
    0x02,
    0x85,
    0x4b,
    0x01,
    0x85,
    0x74,
    0x62,
    0x2e,
  ]);
  const { value } = unpickle(program, 0, { resolveGlobal: resolveTorchGlobal, persistentLoad: () => storage });
  assert.deepEqual(Array.from(tensorToFloat32(value as never)), [2, 3]);
  // BUILD on an OrderedDict is accepted (a state_dict's _metadata); on a list it is an error
  const list = new Uint8Array([0x80, 0x02, 0x5d, 0x7d, 0x62, 0x2e]);
  assert.throws(
    () => unpickle(list, 0, { resolveGlobal: resolveTorchGlobal }),
    /BUILD on an object that takes no state/,
  );
});
