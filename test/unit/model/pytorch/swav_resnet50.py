"""Writes a DeepCluster-v2 ResNet-50 checkpoint the way facebookresearch/swav's main_deepclusterv2.py leaves one
(the network of its src/resnet50.py, re-created here in our own words: input padding 1 + a 7x7 stride-2 conv with
padding 2, bottleneck blocks with the stride on the 3x3 conv, projection head Linear-BN-ReLU-Linear, L2
normalisation, several bias-free prototype sets), with random weights and BatchNorm statistics, wrapped in
DistributedDataParallel's `module.`; then the trunk's pooled features and the normalised embeddings of a random
batch in eval mode, for the TypeScript reader's parity test.

FORMAT legacy: a bare state_dict as the released deepclusterv2_*_pretrain.pth.tar; zip: the training
checkpoint {'epoch', 'state_dict', 'optimizer'}.

usage: swav_resnet50.py SIZE BATCH HIDDEN OUT PROTOTYPES(comma list) FORMAT(zip|legacy) OUT_CHECKPOINT OUT_DIR
"""
import json
import sys

import torch
import torch.nn as nn


class Bottleneck(nn.Module):
    def __init__(self, cin, width, stride):
        super().__init__()
        cout = 4 * width
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return self.relu(y + (x if self.downsample is None else self.downsample(x)))


class Prototypes(nn.Module):
    def __init__(self, dim, sizes):
        super().__init__()
        for i, k in enumerate(sizes):
            self.add_module('prototypes%d' % i, nn.Linear(dim, k, bias=False))


class DeepClusterV2ResNet50(nn.Module):
    def __init__(self, hidden, out, sizes):
        super().__init__()
        self.padding = nn.ConstantPad2d(1, 0.0)
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=2, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        cin = 64
        for i, (width, blocks) in enumerate(zip([64, 128, 256, 512], [3, 4, 6, 3])):
            layers = []
            for b in range(blocks):
                layers.append(Bottleneck(cin, width, 2 if (b == 0 and i > 0) else 1))
                cin = 4 * width
            setattr(self, 'layer%d' % (i + 1), nn.Sequential(*layers))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.projection_head = nn.Sequential(nn.Linear(2048, hidden), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True), nn.Linear(hidden, out))
        self.prototypes = Prototypes(out, sizes)

    def backbone(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(self.padding(x)))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return torch.flatten(self.avgpool(x), 1)

    def embed(self, feats):
        return nn.functional.normalize(self.projection_head(feats), dim=1, p=2)


def randomise(net):
    """Non-trivial BN statistics; the last BN of each block small, so the residual sums stay of order 1."""
    for name, m in net.named_modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            m.weight.data.normal_(0, (2.0 / m.weight[0].numel()) ** 0.5)
            if m.bias is not None:
                m.bias.data.normal_(0, 0.1)
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            last = name.endswith('bn3') or name.endswith('downsample.1')
            m.weight.data.uniform_(0.1, 0.4) if last else m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.normal_(0, 0.2)
            m.running_mean.normal_(0, 0.5)
            m.running_var.uniform_(0.5, 4.0)


def main():
    size, batch, hidden, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    sizes = [int(s) for s in sys.argv[5].split(',')]
    fmt, out_ckpt, out_dir = sys.argv[6], sys.argv[7], sys.argv[8]
    torch.manual_seed(0)
    net = DeepClusterV2ResNet50(hidden, out, sizes)
    randomise(net)
    net.eval()
    x = torch.randn(batch, 3, size, size)
    with torch.no_grad():
        feats = net.backbone(x)
        emb = net.embed(feats)
    state = type(net.state_dict())(('module.' + n, t) for n, t in net.state_dict().items())
    if fmt == 'zip':
        optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        ckpt = {'epoch': 7, 'state_dict': state, 'optimizer': optimizer.state_dict()}
    else:
        ckpt = state
    torch.save(ckpt, out_ckpt, _use_new_zipfile_serialization=(fmt == 'zip'))
    x.numpy().tofile(out_dir + '/input.bin')
    feats.numpy().tofile(out_dir + '/features.bin')
    emb.numpy().tofile(out_dir + '/embeddings.bin')
    with open(out_dir + '/meta.json', 'w') as f:
        json.dump({'input': list(x.shape), 'features': list(feats.shape), 'embeddings': list(emb.shape),
                   'params': sum(p.numel() for p in net.parameters())}, f)


main()
