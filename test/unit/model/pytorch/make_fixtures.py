"""Writes the small committed fixtures of the PyTorch reader's tests (test/fixtures/pytorch/), so the reader is
tested without torch. Re-run with Debian's python3-torch: /usr/bin/python3 make_fixtures.py OUT_DIR

  tiny-zip.pt, tiny-legacy.pth  {'epoch', 'arch', 'state_dict', 'optimizer'}: float32, float16, float64 (a
                                transposed view), a DataParallel key, num_batches_tracked, a shared storage
  tiny.json                     the values torch reads back from tiny-legacy.pth (the test's oracle)
  tiny-deflated.pt              tiny-zip.pt re-zipped with every entry deflated
  evil-zip.pt, evil-legacy.pth  a pickle whose __reduce__ would run a shell command in Python
"""
import collections
import json
import os
import sys

import torch

out = sys.argv[1]
torch.manual_seed(1)
base = torch.randn(3, 4)
sd = collections.OrderedDict()
sd['features.module.0.weight'] = base
sd['features.module.0.bias'] = torch.randn(3).half()
sd['features.module.1.running_var'] = torch.rand(2, 2).double().t()  # non-contiguous strides
sd['features.module.1.num_batches_tracked'] = torch.tensor(7)
sd['classifier.1.weight'] = base[1:, 2:]  # a view into another tensor's storage, at an offset
sd['top_layer.bias'] = torch.zeros(5)
opt = {'state': {0: {'momentum_buffer': torch.ones(2)}}, 'param_groups': [{'lr': 0.05, 'momentum': 0.9, 'params': [0]}]}
ckpt = {'epoch': 3, 'arch': 'alexnet', 'state_dict': sd, 'optimizer': opt}
torch.save(ckpt, os.path.join(out, 'tiny-zip.pt'))
torch.save(ckpt, os.path.join(out, 'tiny-legacy.pth'), _use_new_zipfile_serialization=False)
back = torch.load(os.path.join(out, 'tiny-legacy.pth'))
with open(os.path.join(out, 'tiny.json'), 'w') as f:
    json.dump({n: {'shape': list(t.shape), 'dtype': str(t.dtype).replace('torch.', ''), 'values': t.double().flatten().tolist()}
               for n, t in back['state_dict'].items()}, f, indent=1)


class Evil:
    def __reduce__(self):
        return (os.system, ('touch deepcluster-pickle-was-executed',))


torch.save({'state_dict': Evil()}, os.path.join(out, 'evil-zip.pt'))
torch.save({'state_dict': Evil()}, os.path.join(out, 'evil-legacy.pth'), _use_new_zipfile_serialization=False)

# The same archive with every entry deflated (torch stores them; other zip tools may not).
import zipfile
with zipfile.ZipFile(os.path.join(out, 'tiny-zip.pt')) as src, \
        zipfile.ZipFile(os.path.join(out, 'tiny-deflated.pt'), 'w', compression=zipfile.ZIP_DEFLATED) as dst:
    for name in src.namelist():
        dst.writestr(name, src.read(name))
