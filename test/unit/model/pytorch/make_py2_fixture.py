"""Writes test/fixtures/pytorch/py2-torch03.pth.tar: a legacy checkpoint shaped as PyTorch 0.3 under Python 2
wrote them (the era of the 2018 DeepCluster release), which torch >= 1.0 cannot produce any more:
  - str keys and values as Python 2 `str` (BINSTRING / SHORT_BINSTRING opcodes), not unicode;
  - tensors as torch._utils._rebuild_tensor(storage, offset, size, stride) (no requires_grad, no hooks);
  - storages saved from the GPU (torch.cuda.FloatStorage, location 'cuda:0'), one tensor on a storage *view*
    (0.3's view_metadata = (view key, offset, size) into a root storage), a float64 storage;
  - an SGD state whose keys are Python ids (large ints).
Also writes py2-torch03.json: what torch.load(..., map_location='cpu') of this version reads back (the oracle).
usage: /usr/bin/python3 make_py2_fixture.py OUT_DIR
"""
import collections
import io
import json
import os
import pickle
import struct
import sys

import torch

out = sys.argv[1]


class Py2Pickler(pickle._Pickler):
    """Protocol 2 as Python 2 wrote it: `str` as BINSTRING (Python 2's byte strings)."""
    dispatch = dict(pickle._Pickler.dispatch)

    def save_py2_str(self, obj):
        b = obj.encode('utf-8')
        if len(b) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(b)]) + b)
        else:
            self.write(pickle.BINSTRING + struct.pack('<i', len(b)) + b)
        self.memoize(obj)

    dispatch[str] = save_py2_str

    def __init__(self, f, storages=None):
        super().__init__(f, protocol=2)
        self.storages = storages

    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ('storage', torch.cuda.FloatStorage if obj.dtype == 'f' else torch.cuda.DoubleStorage, obj.root, 'cuda:0', obj.root_size, obj.view)
        return None

    def reducer_override(self, obj):
        if isinstance(obj, FakeTensor):
            return (torch._utils._rebuild_tensor, (obj.storage, obj.offset, obj.size, obj.stride))
        return NotImplemented


class Storage:
    def __init__(self, root, root_size, dtype, view=None):
        self.root, self.root_size, self.dtype, self.view = root, root_size, dtype, view


class FakeTensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride


def dump(obj, f):
    Py2Pickler(f).dump(obj)


roots = {'94017': ('f', [float(i) / 8 - 1 for i in range(20)]), '94022': ('d', [1.5, -2.25, 3.0e-7, 4.0])}
a = Storage('94017', 20, 'f')
view = Storage('94017', 20, 'f', view=('94030', 12, 6))  # elements 12..17 of the root
d = Storage('94022', 4, 'd')
sd = collections.OrderedDict()
sd['features.module.0.weight'] = FakeTensor(a, 0, (2, 3), (3, 1))
sd['features.module.0.bias'] = FakeTensor(a, 6, (3,), (1,))
sd['features.module.1.running_mean'] = FakeTensor(view, 1, (2, 2), (1, 2))  # transposed, inside the view
sd['classifier.1.weight'] = FakeTensor(d, 0, (2, 2), (2, 1))
sd['top_layer.bias'] = FakeTensor(a, 9, (3,), (1,))
ckpt = {'epoch': 500, 'arch': 'alexnet', 'state_dict': sd,
        'optimizer': {'state': {140093318372624: {'momentum_buffer': FakeTensor(a, 18, (2,), (1,))}},
                      'param_groups': [{'lr': 0.05, 'momentum': 0.9, 'weight_decay': 1e-05, 'params': [140093318372624]}]}}

buf = io.BytesIO()
dump(0x1950a86a20f9469cfc6c, buf)
dump(1001, buf)
dump({'protocol_version': 1001, 'little_endian': True, 'type_sizes': {'short': 2, 'int': 4, 'long': 8}}, buf)
dump(ckpt, buf)
keys = sorted(roots)
dump(keys, buf)
for k in keys:
    kind, values = roots[k]
    buf.write(struct.pack('<q', len(values)))
    buf.write(struct.pack('<%d%s' % (len(values), kind), *values))
path = os.path.join(out, 'py2-torch03.pth.tar')
with open(path, 'wb') as f:
    f.write(buf.getvalue())

back = torch.load(path, map_location='cpu')
with open(os.path.join(out, 'py2-torch03.json'), 'w') as f:
    json.dump({'epoch': back['epoch'], 'arch': back['arch'],
               'state_dict': {n: {'shape': list(t.shape), 'dtype': str(t.dtype).replace('torch.', ''), 'values': t.double().flatten().tolist()}
                              for n, t in back['state_dict'].items()},
               'momentum': back['optimizer']['state'][140093318372624]['momentum_buffer'].tolist()}, f, indent=1)
