"""One epoch of the official DeepCluster (main.py's loop, as shared/reference/deepcluster.md describes it), adapted
to the peer's Fashion-MNIST setting so that bench:epoch can time it beside ours on the same machine, data and
threads: feature pass (eval, fc7 before its ReLU), PCA-whitening (faiss PCAMatrix, eigen_power -0.5), L2
normalisation, faiss k-means (20 iterations, no subsampling, seed drawn from numpy), assignment by a flat L2 index,
the uniform-per-cluster sampler, a fresh top layer with its own momentum-free SGD, one pass of training.

Written for this project from the reference description, not copied from facebookresearch/deepcluster.
Adaptations: CPU faiss (the official code needs a GPU index), the smallvgg network of the peer run, and the
augmentation (random crop 28 with padding 2, horizontal flip) as tensor operations per image, because Debian has
no torchvision; the official PIL pipeline costs more, so this side's data time is, if anything, optimistic.
Prints one JSON line: seconds per phase and the mean training loss.
"""
import argparse
import gzip
import json
import time

import faiss
import numpy as np
import torch
import torch.nn as nn

MEAN, STD = 0.2860, 0.3530  # Fashion-MNIST, as the peer run


def read_idx_images(path, limit):
    with (gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")) as f:
        data = f.read()
    n, rows, cols = (int.from_bytes(data[i:i + 4], "big") for i in (4, 8, 12))
    n = min(n, limit)
    images = np.frombuffer(data, dtype=np.uint8, count=n * rows * cols, offset=16).reshape(n, 1, rows, cols)
    return torch.from_numpy(images.astype(np.float32) / 255.0)


class SmallVGG(nn.Module):
    """Sobel (grey input: the two fixed kernels), conv blocks 64 64 M 128 128 M 256 M with BN, then the AlexNet
    classifier shape with 512 units; the top layer is attached per epoch."""

    def __init__(self, size):
        super().__init__()
        self.sobel = nn.Conv2d(1, 2, 3, padding=1)
        gx = torch.tensor([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
        self.sobel.weight.data.copy_(torch.stack([gx, gx.t()]).unsqueeze(1))
        self.sobel.bias.data.zero_()
        for p in self.sobel.parameters():
            p.requires_grad = False
        layers, cin = [], 2
        for v in [64, 64, "M", 128, 128, "M", 256, "M"]:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(cin, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
                cin = v
        self.features = nn.Sequential(*layers)
        flat = 256 * (size // 8) ** 2
        self.classifier = nn.Sequential(nn.Dropout(0.5), nn.Linear(flat, 512), nn.ReLU(inplace=True),
                                        nn.Dropout(0.5), nn.Linear(512, 512), nn.ReLU(inplace=True))
        self.top_layer = None
        for m in self.modules():  # the official initialisation: He fan-out convs, N(0, 0.01) linears, zero biases
            if isinstance(m, nn.Conv2d) and m is not self.sobel:
                nn.init.normal_(m.weight, 0, (2.0 / (m.kernel_size[0] * m.kernel_size[1] * m.out_channels)) ** 0.5)
                m.bias.data.zero_()
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                m.bias.data.zero_()

    def forward(self, x):
        x = torch.flatten(self.features(self.sobel(x)), 1)
        x = self.classifier(x)
        return self.top_layer(x) if self.top_layer is not None else x


def augment(image, generator):
    """RandomCrop(28, padding=2) and RandomHorizontalFlip on one [1, H, W] image, then normalisation."""
    size = image.shape[-1]
    padded = nn.functional.pad(image, (2, 2, 2, 2))
    i, j = torch.randint(0, 5, (2,), generator=generator).tolist()
    crop = padded[:, i:i + size, j:j + size]
    if torch.rand(1, generator=generator).item() < 0.5:
        crop = crop.flip(-1)
    return (crop - MEAN) / STD


class PseudoLabelled(torch.utils.data.Dataset):
    """Dataset index -> (augmented image, pseudo-label): the sampler yields dataset indices (paper-faithful)."""

    def __init__(self, images, labels, seed):
        self.images, self.labels = images, labels
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return augment(self.images[i], self.generator), int(self.labels[i])


def compute_features(model, images, batch):
    model.eval()
    out = np.zeros((len(images), 512), dtype=np.float32)
    with torch.no_grad():
        for s in range(0, len(images), batch):
            out[s:s + batch] = model((images[s:s + batch] - MEAN) / STD).numpy()
    return out


def cluster(features, k, pca):
    t = time.perf_counter()
    mat = faiss.PCAMatrix(features.shape[1], pca, eigen_power=-0.5)
    mat.train(features)
    x = mat.apply_py(features)
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    t_pca = time.perf_counter() - t
    t = time.perf_counter()
    clus = faiss.Clustering(pca, k)
    clus.seed = np.random.randint(1234)
    clus.niter = 20
    clus.max_points_per_centroid = 10000000
    index = faiss.IndexFlatL2(pca)
    clus.train(x, index)
    _, assignment = index.search(x, 1)
    return assignment[:, 0], t_pca, time.perf_counter() - t


def uniform_sampler(assignment, k, n):
    """UnifLabelSampler as intended: spp = n // m + 1 draws from each of the m non-empty clusters, with replacement
    iff the cluster is no larger than spp, shuffled, the first n kept."""
    lists = [np.flatnonzero(assignment == c) for c in range(k)]
    lists = [members for members in lists if len(members) > 0]
    spp = n // len(lists) + 1
    drawn = np.concatenate([np.random.choice(m, spp, replace=len(m) <= spp) for m in lists])
    np.random.shuffle(drawn)
    return drawn[:n].tolist()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="IDX images file (gzipped or raw)")
    ap.add_argument("--images", type=int, default=20000)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--k", type=int, default=100)
    ap.add_argument("--pca", type=int, default=64)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--seed", type=int, default=31)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    faiss.omp_set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)

    images = read_idx_images(a.data, a.images)
    model = SmallVGG(images.shape[-1])
    body = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.05, momentum=0.9, weight_decay=1e-5)
    criterion = nn.CrossEntropyLoss()
    start = time.perf_counter()

    # 1. Features: fc7 before its ReLU, eval mode, fixed order.
    model.top_layer = None
    model.classifier = nn.Sequential(*list(model.classifier.children())[:-1])
    t = time.perf_counter()
    features = compute_features(model, images, a.batch)
    t_features = time.perf_counter() - t

    # 2. Clustering: PCA-whitening, L2, k-means; then the sampler.
    t = time.perf_counter()
    assignment, t_pca, t_kmeans = cluster(features, a.k, a.pca)
    order = uniform_sampler(assignment, a.k, len(images))
    t_clustering = time.perf_counter() - t

    # 3. Training: the ReLU back, a fresh top layer with its own momentum-free SGD, one pass.
    t = time.perf_counter()
    model.classifier = nn.Sequential(*list(model.classifier.children()), nn.ReLU(inplace=True))
    model.top_layer = nn.Linear(512, a.k)
    model.top_layer.weight.data.normal_(0, 0.01)
    model.top_layer.bias.data.zero_()
    top = torch.optim.SGD(model.top_layer.parameters(), lr=0.05, weight_decay=1e-5)
    loader = torch.utils.data.DataLoader(PseudoLabelled(images, assignment, a.seed), batch_size=a.batch,
                                         sampler=order, num_workers=0)
    model.train()
    losses = []
    for x, y in loader:
        loss = criterion(model(x), y)
        body.zero_grad()
        top.zero_grad()
        loss.backward()
        body.step()
        top.step()
        losses.append(loss.item())
    t_training = time.perf_counter() - t

    print(json.dumps({
        "images": len(images), "threads": a.threads, "k": a.k, "pca": a.pca, "batch": a.batch,
        "seconds": {"features": t_features, "clustering": t_clustering, "pca": t_pca, "kmeans": t_kmeans,
                    "training": t_training, "epoch": time.perf_counter() - start},
        "loss": float(np.mean(losses)), "torch": torch.__version__, "faiss": faiss.__version__,
    }))


if __name__ == "__main__":
    main()
