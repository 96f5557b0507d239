"""PyTorch counterpart of src/bench/engine.ts: the same smallvgg / AlexNet-BN, forward (eval, up to fc7) and one
SGD training step (train mode, top layer, cross-entropy), on CPU with a fixed thread count. Prints one JSON line."""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn


def conv_block(cin, cout, k, s, p):
    return [nn.Conv2d(cin, cout, k, s, p), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


def make_model(arch, channels, size, k):
    if arch == "smallvgg":
        layers, cin = [], channels
        for v in [64, 64, "M", 128, 128, "M", 256, "M"]:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += conv_block(cin, v, 3, 1, 1)
                cin = v
        units, flat = 512, 256 * (size // 8) ** 2
    else:  # AlexNet-BN as in DeepCluster
        layers = (conv_block(channels, 96, 11, 4, 2) + [nn.MaxPool2d(3, 2)] + conv_block(96, 256, 5, 1, 2)
                  + [nn.MaxPool2d(3, 2)] + conv_block(256, 384, 3, 1, 1) + conv_block(384, 384, 3, 1, 1)
                  + conv_block(384, 256, 3, 1, 1) + [nn.MaxPool2d(3, 2)])
        units, flat = 4096, 256 * 6 * 6
    features = nn.Sequential(*layers)
    classifier = nn.Sequential(nn.Dropout(0.5), nn.Linear(flat, units), nn.ReLU(inplace=True),
                               nn.Dropout(0.5), nn.Linear(units, units))
    top = nn.Linear(units, k)
    return features, classifier, top


def median_ms(f, iters):
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        f()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--channels", type=int, required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--k", type=int, default=100)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    features, classifier, top = make_model(a.model, a.channels, a.size, a.k)
    x = torch.randn(a.batch, a.channels, a.size, a.size)
    y = torch.arange(a.batch) % a.k
    params = list(features.parameters()) + list(classifier.parameters())
    opt = torch.optim.SGD(params, lr=0.05, momentum=0.9, weight_decay=1e-5)
    opt_top = torch.optim.SGD(top.parameters(), lr=0.05, weight_decay=1e-5)
    loss_fn = nn.CrossEntropyLoss()

    def forward():
        features.eval(); classifier.eval()
        with torch.no_grad():
            classifier(torch.flatten(features(x), 1))

    def step():
        features.train(); classifier.train()
        loss = loss_fn(top(torch.relu(classifier(torch.flatten(features(x), 1)))), y)
        opt.zero_grad(); opt_top.zero_grad()
        loss.backward()
        opt.step(); opt_top.step()

    forward()
    fwd = median_ms(forward, a.iters)
    step()
    train = median_ms(step, a.iters)
    print(json.dumps({"model": a.model, "batch": a.batch, "threads": a.threads,
                      "forwardMs": round(fwd), "trainStepMs": round(train)}))


if __name__ == "__main__":
    main()
