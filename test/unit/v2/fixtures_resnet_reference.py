"""The v2 recipe's small ResNet and projection head written in PyTorch (torchvision's BasicBlock layout,
AdaptiveAvgPool2d(2), swav's projection head), with random weights and BatchNorm statistics. Runs an eval-mode
forward pass and writes the weights under OUR names (converted to NHWC / [in, out]), the input (NHWC), the trunk
features and the normalised embeddings, for resnetParity.test.ts.

usage: fixtures_resnet_reference.py SIZE CHANNELS BATCH OUTDIR
"""
import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.a = nn.Conv2d(cin, cout, 3, stride, 1)
        self.bn_a = nn.BatchNorm2d(cout)
        self.b = nn.Conv2d(cout, cout, 3, 1, 1)
        self.bn_b = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Conv2d(cin, cout, 1, stride, 0)
            self.bn_down = nn.BatchNorm2d(cout)

    def forward(self, x):
        h = F.relu(self.bn_a(self.a(x)))
        h = self.bn_b(self.b(h))
        s = self.bn_down(self.down(x)) if self.down is not None else x
        return F.relu(h + s)


class Net(nn.Module):
    def __init__(self, size, channels):
        super().__init__()
        self.stem = nn.Conv2d(channels, 32, 3, 2 if size >= 64 else 1, 1)
        self.bn_stem = nn.BatchNorm2d(32)
        self.blocks = nn.ModuleList([Block(32, 32, 1), Block(32, 64, 2), Block(64, 128, 2)])
        self.fc1 = nn.Linear(512, 512)
        self.bn = nn.BatchNorm1d(512)
        self.fc2 = nn.Linear(512, 128)

    def forward(self, x):
        h = F.relu(self.bn_stem(self.stem(x)))
        for b in self.blocks:
            h = b(h)
        f = F.adaptive_avg_pool2d(h, 2)  # [n, C, 2, 2]
        f = f.permute(0, 2, 3, 1).reshape(x.shape[0], -1)  # our (cell, channel) order
        z = self.fc2(F.relu(self.bn(self.fc1(f))))
        return f, F.normalize(z, dim=1)


def main():
    size, channels, batch, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    torch.manual_seed(0)
    net = Net(size, channels)
    for m in net.modules():
        if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            m.running_mean.uniform_(-0.3, 0.3)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    net.eval()
    x = torch.randn(batch, channels, size, size)
    with torch.no_grad():
        f, z = net(x)
    tensors = {}

    def conv(ours, c, bn):
        tensors[f'{ours}.weight'] = c.weight.permute(2, 3, 1, 0)
        tensors[f'{ours}.bias'] = c.bias
        bname = ('downbn' + ours[4:]) if ours.startswith('down') else ('bn' + ours[4:])
        tensors[f'{bname}.gamma'] = bn.weight
        tensors[f'{bname}.beta'] = bn.bias
        tensors[f'{bname}.runningMean'] = bn.running_mean
        tensors[f'{bname}.runningVar'] = bn.running_var

    conv('conv1', net.stem, net.bn_stem)
    n = 1
    for s, b in enumerate(net.blocks):
        conv(f'conv{n + 1}', b.a, b.bn_a)
        conv(f'conv{n + 2}', b.b, b.bn_b)
        if b.down is not None:
            conv(f'down{s + 1}', b.down, b.bn_down)
        n += 2
    tensors['head.fc1.weight'] = net.fc1.weight.t()
    tensors['head.fc1.bias'] = net.fc1.bias
    tensors['head.bn.gamma'] = net.bn.weight
    tensors['head.bn.beta'] = net.bn.bias
    tensors['head.bn.runningMean'] = net.bn.running_mean
    tensors['head.bn.runningVar'] = net.bn.running_var
    tensors['head.fc2.weight'] = net.fc2.weight.t()
    tensors['head.fc2.bias'] = net.fc2.bias
    tensors['__input__'] = x.permute(0, 2, 3, 1)
    tensors['__features__'] = f
    tensors['__embeddings__'] = z
    index, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        a = t.detach().contiguous().float().reshape(-1)
        index[name] = {'shape': list(t.shape), 'offset': offset}
        offset += a.numel()
        chunks.append(a)
    torch.cat(chunks).numpy().tofile(f'{out}/tensors.bin')
    with open(f'{out}/index.json', 'w') as fh:
        json.dump(index, fh)


main()
