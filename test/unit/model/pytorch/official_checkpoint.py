"""Writes a checkpoint the way facebookresearch/deepcluster's main.py does ({'epoch', 'arch', 'state_dict',
'optimizer'}, `features` wrapped in DataParallel), from its AlexNet / VGG16 definitions (models/alexnet.py,
models/vgg16.py, re-created here with the fc6 width following the input size), with random weights and
BatchNorm statistics; then the clustering features (classifier without its last ReLU, as compute_features) of a
random batch, for the TypeScript reader's parity test.

usage: official_checkpoint.py ARCH SIZE SOBEL(0|1) FORMAT(zip|legacy) DATAPARALLEL(0|1) NBT(0|1) MOMENTUM(0|1)
                              BATCH K OUT_CHECKPOINT OUT_DIR
"""
import json
import math
import sys

import torch
import torch.nn as nn

ALEXNET_CFG = [(96, 11, 4, 2), 'M', (256, 5, 1, 2), 'M', (384, 3, 1, 1), (384, 3, 1, 1), (256, 3, 1, 1), 'M']
VGG_CFG = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M']


def sobel_layer(channels):
    grayscale = nn.Conv2d(channels, 1, kernel_size=1, stride=1, padding=0)
    grayscale.weight.data.fill_(1.0 / channels)
    grayscale.bias.data.zero_()
    sobel_filter = nn.Conv2d(1, 2, kernel_size=3, stride=1, padding=1)
    sobel_filter.weight.data[0, 0].copy_(torch.FloatTensor([[1, 0, -1], [2, 0, -2], [1, 0, -1]]))
    sobel_filter.weight.data[1, 0].copy_(torch.FloatTensor([[1, 2, 1], [0, 0, 0], [-1, -2, -1]]))
    sobel_filter.bias.data.zero_()
    s = nn.Sequential(grayscale, sobel_filter)
    for p in s.parameters():
        p.requires_grad = False
    return s


def alexnet_features(input_dim):
    layers, c = [], input_dim
    for v in ALEXNET_CFG:
        if v == 'M':
            layers += [nn.MaxPool2d(kernel_size=3, stride=2)]
        else:
            layers += [nn.Conv2d(c, v[0], kernel_size=v[1], stride=v[2], padding=v[3]), nn.BatchNorm2d(v[0]), nn.ReLU(inplace=True)]
            c = v[0]
    return nn.Sequential(*layers)


def vgg_features(input_dim):
    layers, c = [], input_dim
    for v in VGG_CFG:
        if v == 'M':
            layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
        else:
            layers += [nn.Conv2d(c, v, kernel_size=3, padding=1), nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
            c = v
    return nn.Sequential(*layers)


class Official(nn.Module):
    def __init__(self, arch, size, sobel, k):
        super().__init__()
        dim = 2 if sobel else 3
        self.features = alexnet_features(dim) if arch == 'alexnet' else vgg_features(dim)
        with torch.no_grad():
            flat = self.features(torch.zeros(1, dim, size, size)).numel()
        if arch == 'alexnet':
            self.classifier = nn.Sequential(nn.Dropout(0.5), nn.Linear(flat, 4096), nn.ReLU(inplace=True),
                                            nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(inplace=True))
        else:
            self.classifier = nn.Sequential(nn.Linear(flat, 4096), nn.ReLU(True), nn.Dropout(0.5),
                                            nn.Linear(4096, 4096), nn.ReLU(True))
        self.top_layer = nn.Linear(4096, k)
        self.sobel = sobel_layer(3) if sobel else None

    def compute_features(self, x):
        if self.sobel is not None:
            x = self.sobel(x)
        x = self.features(x)
        x = x.view(x.size(0), -1)
        return nn.Sequential(*list(self.classifier.children())[:-1])(x)

    def forward(self, x):
        return self.top_layer(self.classifier(self.features(self.sobel(x) if self.sobel is not None else x).flatten(1)))


def randomise(net):
    """Order-1 outputs (so 1e-4 is a meaningful tolerance) and non-trivial BN statistics."""
    sob = list(net.sobel) if net.sobel is not None else []
    for m in net.modules():
        if m in sob:
            continue
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            m.weight.data.normal_(0, math.sqrt(2.0 / m.weight[0].numel()))
            m.bias.data.normal_(0, 0.1)
        elif isinstance(m, nn.BatchNorm2d):
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.normal_(0, 0.2)
            m.running_mean.normal_(0, 0.5)
            m.running_var.uniform_(0.5, 4.0)


def main():
    arch, size, sobel, fmt, dp, nbt, momentum = sys.argv[1], int(sys.argv[2]), sys.argv[3] == '1', sys.argv[4], sys.argv[5] == '1', sys.argv[6] == '1', sys.argv[7] == '1'
    batch, k, out_ckpt, out_dir = int(sys.argv[8]), int(sys.argv[9]), sys.argv[10], sys.argv[11]
    torch.manual_seed(0)
    net = Official(arch, size, sobel, k)
    randomise(net)
    net.eval()
    x = torch.randn(batch, 3, size, size)
    with torch.no_grad():
        feats = net.compute_features(x)
    optimizer = torch.optim.SGD(filter(lambda p: p.requires_grad, net.parameters()), lr=0.05, momentum=0.9 if momentum else 0, weight_decay=1e-5)
    if momentum:  # one step so the momentum buffers exist; the saved weights are the ones the features came from
        saved = {n: t.clone() for n, t in net.state_dict().items()}
        net.train()
        net(x).sum().backward()
        optimizer.step()
        net.load_state_dict(saved)
    if dp:
        net.features = nn.DataParallel(net.features)
    state = net.state_dict()
    if not nbt:
        state = type(state)((n, t) for n, t in state.items() if not n.endswith('num_batches_tracked'))
    ckpt = {'epoch': 42, 'arch': arch, 'state_dict': state, 'optimizer': optimizer.state_dict()}
    torch.save(ckpt, out_ckpt, _use_new_zipfile_serialization=(fmt == 'zip'))
    x.numpy().tofile(out_dir + '/input.bin')
    feats.numpy().tofile(out_dir + '/features.bin')
    with open(out_dir + '/meta.json', 'w') as f:
        json.dump({'input': list(x.shape), 'features': list(feats.shape),
                   'params': sum(p.numel() for n, p in net.named_parameters() if not n.startswith('sobel'))}, f)


main()
