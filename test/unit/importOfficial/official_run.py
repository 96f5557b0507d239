"""Makes an official DeepCluster experiment folder (what facebookresearch/deepcluster's main.py leaves in --exp):
`clusters`, the Logger's pickle of a list with one entry per epoch, each k lists of image indices; and the
checkpoints, written by official_checkpoint.py's AlexNet with the 'epoch' field main.py gives them.

usage: official_run.py EXP_DIR N_IMAGES EPOCHS K
  checkpoint.pth.tar                 after the last epoch ('epoch': EPOCHS)
  checkpoints/checkpoint_0.0.pth.tar during epoch 0 ('epoch': 1), Python 3's name for iteration checkpoint 0
Cluster of image i at epoch e: (i + e) % K, listed in decreasing index order (the order must not matter).
"""
import os
import pickle
import subprocess
import sys

import torch

exp, n, epochs, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
os.makedirs(os.path.join(exp, 'checkpoints'), exist_ok=True)
log = []
for e in range(epochs):
    lists = [[] for _ in range(k)]
    for i in reversed(range(n)):
        lists[(i + e) % k].append(i)
    log.append(lists)
with open(os.path.join(exp, 'clusters'), 'wb') as f:
    pickle.dump(log, f, -1)

here = os.path.dirname(os.path.abspath(__file__))
maker = os.path.join(here, '..', 'model', 'pytorch', 'official_checkpoint.py')
for path, epoch in [(os.path.join(exp, 'checkpoint.pth.tar'), epochs), (os.path.join(exp, 'checkpoints', 'checkpoint_0.0.pth.tar'), 1)]:
    # AlexNet-BN + Sobel at 63 px (fc6 takes 256 x 1 x 1), legacy format as the 2018 code, top layer of K units
    subprocess.run([sys.executable, maker, 'alexnet', '63', '1', 'legacy', '1', '0', '0', '1', str(k), path, exp], check=True)
    ck = torch.load(path)
    ck['epoch'] = epoch
    torch.save(ck, path, _use_new_zipfile_serialization=False)
