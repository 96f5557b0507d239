// Help text of `deepcluster` and each command. Defaults are printed from defaults.ts so they never drift.
import { ARCHS, BACKENDS, CLUSTERINGS, SAMPLERS } from '../../protocol/config';
import { DEFAULT_ASCENT } from '../analyze/ascentParams';
import { FEATURE_DIM, defaultsFor } from '../train/defaults';

export const COMMANDS = [
  'train',
  'resume',
  'inspect',
  'eval',
  'setup-gpu',
  'visualize',
  'thumbs',
  'embed',
  'cluster',
  'import-official',
  'map',
  'export',
] as const;
export type CommandName = (typeof COMMANDS)[number];

const small = defaultsFor('smallvgg');
const big = defaultsFor('alexnet');

const TEXT: Record<CommandName | 'main', string> = {
  main: `deepcluster: DeepCluster (Caron et al., ECCV 2018) training and inspection

Usage:
  deepcluster train [flags]          train on a dataset (no --data: the bundled Fashion-MNIST sample)
  deepcluster resume RUN             continue a stopped or killed run where its last checkpoint left it
  deepcluster inspect CHECKPOINT|RUN summarise a run, one checkpoint or a PyTorch .pth.tar (--json for the machine form)
  deepcluster eval CHECKPOINT|RUN    what training bought: kNN, k-means NMI and a linear probe for pixels,
                                     the untrained and the trained network (labelled data; --test DATA)
  deepcluster setup-gpu [--cpu]      install and verify @tensorflow/tfjs-node-gpu (or tfjs-node with --cpu)
  deepcluster visualize CHECKPOINT --layer conv3   filter images by gradient ascent and top-9 dataset images
  deepcluster thumbs CHECKPOINT --clusters 0-9     thumbnails of typical cluster images (or --indices 1,2,3)
  deepcluster embed --model CKPT|RUN --data DIR --out FILE.npy   features of every image as a NumPy array
  deepcluster cluster --model CKPT|RUN --data DIR [--k N]   cluster images with a trained network, no training
  deepcluster import-official EXP_DIR --data DIR   a run of the official PyTorch code as one of our runs
  deepcluster map CHECKPOINT|RUN     2-D map (UMAP) of every image's embedding, cached in the run
  deepcluster export RUN --out PATH  the curated clusters (names, merges, junk) as a labelled ImageFolder or CSV
  deepcluster help COMMAND           help for one command (also: deepcluster COMMAND --help)
`,
  'import-official': `Usage: deepcluster import-official EXP_DIR --data IMAGEFOLDER [--out DIR] [--json]

Reads a run of facebookresearch/deepcluster's main.py (trained anywhere, e.g. with PyTorch on a GPU cluster):
EXP_DIR/clusters (per epoch, k lists of image indices in torchvision ImageFolder order), EXP_DIR/checkpoint.pth.tar
and EXP_DIR/checkpoints/checkpoint_*.pth.tar, and writes one of our run folders: per epoch a checkpoint with the
assignments, label histograms (from IMAGEFOLDER's class folders) and metrics (NMI(t, t-1), NMI/ARI/accuracy against
the labels), and the network's weights for the epochs the folder holds weights of. IMAGEFOLDER must be the folder the
run was trained on. Nothing is executed from the pickles (see inspect).
  --out DIR     run folder; must be new or empty (default: ./runs/<timestamp>-imported)
  --json        stream events as JSON lines on stdout
`,
  train: `Usage: deepcluster train [flags]

Recipe:
  --recipe NAME        v2: DeepCluster-v2 adapted to small data (projection head, memory bank, spherical k-means
                       into frozen prototypes, multi-crop; learns on a few thousand images). paper: the exact
                       2018 method (the official main.py loop; the fidelity reference). (default v2)
                       Not given on the command line, batch size, k and (v2) epochs follow the dataset's size:
                       v2 batch N/100 and paper N/40 (a power of two in 32-256), v2 k = N/40 per prototype set,
                       v2 epochs 30000/N in 10-50. run.json records what was used.
Data and output:
  --data PATH          IDX file (.gz or raw), CIFAR binary folder, or image folder (class subfolders = labels).
                       Default: the bundled Fashion-MNIST test split.
  --limit N            use only the first N images
  --out DIR            run folder; must be new or empty. Default: ./runs/<timestamp>-<arch>
  --cache DIR          folder for the decoded-image cache
Model:
  --arch NAME          ${ARCHS.join(' | ')} (default: resnet for v2, smallvgg for paper)
  --input-size N       square input in pixels (default: smallvgg ${small.inputSize} or the IDX data's size;
                       alexnet/vgg16 ${big.inputSize})
  --sobel, --no-sobel  frozen grayscale+Sobel layer before conv1 (default on)
  --init CKPT          start from pretrained weights: a PyTorch .pth/.pth.tar/.pt (DeepCluster AlexNet/VGG16,
                       DeepCluster-v2 ResNet-50) or one of our runs/checkpoints. It sets --arch and --sobel (and
                       AlexNet/VGG16's input size); the top layer / prototypes are re-created for --k
Clustering:
  --clustering NAME    ${CLUSTERINGS.join(' | ')} (default ${small.clustering})
  --k N                clusters, at least 2 (default smallvgg ${small.k}, alexnet/vgg16 ${big.k})
  --pca N              PCA-whitening dimensions, at most the feature size (smallvgg ${FEATURE_DIM.smallvgg},
                       resnet50 ${FEATURE_DIM.resnet50}, alexnet/vgg16 ${FEATURE_DIM.alexnet}) (default smallvgg ${small.pca}, alexnet/vgg16 ${big.pca})
  --sampler NAME       ${SAMPLERS.join(' | ')}: uniform over clusters as the paper intends, or the official
                       code's sampler with its index bug (default ${small.sampler})
Training:
  --epochs N           (default smallvgg ${small.epochs}, alexnet/vgg16 ${big.epochs})
  --batch-size N       (default ${small.batchSize})
  --micro-batch N      largest batch sent to the backend at once; gradients accumulate (default: batch size)
  --lr X               learning rate (default ${small.lr}; momentum ${small.momentum}, weight decay ${small.weightDecay})
  --seed N             (default ${small.seed})
  --backend NAME       ${BACKENDS.join(' | ')} (default auto)
Output:
  --keep-checkpoints N keep only the newest N checkpoints, deleting older epochs' (default: keep all; an
                       AlexNet checkpoint is ~470 MB, a smallvgg one ~15 MB)
  --json               stream events as JSON lines on stdout (what the VS Code extension reads)
`,
  eval: `Usage: deepcluster eval CHECKPOINT|RUN [--test DATA [--test-limit N]] [--backend NAME] [--json]

Measures what training bought, side by side for raw pixels, the untrained network (same architecture and seed)
and the checkpoint's network (a run: its newest complete checkpoint):
  kNN-20 (cosine) accuracy of held-out images against the training images;
  k-means at the number of classes on the training images (PCA-whitening + L2 as DeepCluster), NMI against the
    labels, mean and spread of 5 seeds;
  a linear probe: logistic regression on the frozen features, held-out accuracy.
The held-out images are --test DATA (labelled, read at the run's input size) or a seeded 10% of the run's data.
Labels are never used in training; without them eval says so and shows NMI(t, t-1), cluster sizes and the
clustering objective. The report is written to <run>/evaluations/<checkpoint>.json.
`,
  resume: `Usage: deepcluster resume RUN [--json] [--backend NAME]

Continues RUN from its newest complete checkpoint with the same schedule (seeds included) an uninterrupted
run would have followed. --backend runs the rest on another backend (${BACKENDS.join(' | ')}).
`,
  inspect: `Usage: deepcluster inspect CHECKPOINT|RUN|FILE.pth.tar [--json]

Summarises a run folder (config, dataset, engine, status, per-epoch metrics, checkpoints) or one checkpoint
folder (contents and sizes, cluster sizes, metrics). Reads only what is on disk. --json prints the machine form.
A PyTorch checkpoint (.pth, .pth.tar, .pt; e.g. facebookresearch/deepcluster's released AlexNet / VGG16) shows
its arch, k, Sobel, layers, parameters, epoch and optimizer state; it is read without Python, and a pickle that
names anything but PyTorch's tensor and container types is refused.
`,
  'setup-gpu': `Usage: deepcluster setup-gpu [--cpu]

Installs @tensorflow/tfjs-node-gpu (CUDA) next to the trainer and checks that it loads; --cpu installs
@tensorflow/tfjs-node instead. Both download libtensorflow at install time, so they need that download to work.
`,
  visualize: `Usage: deepcluster visualize CHECKPOINT --layer NAME [--filters 0-15] [--top 9] [--json]

For one conv layer of a checkpoint (or a run folder: its newest complete checkpoint), writes into
<run>/analysis/<checkpoint>/<layer>/:
  filter-NNNN.png/.json  the input that maximises the filter's mean activation, by gradient ascent as the
                         official visu/gradient_ascent.py (normalised steps, blur every 5 steps, weight decay)
  top.json               every filter's top images of the run's dataset by mean post-ReLU activation
Filters already made with the same settings are reused. Read-only on the checkpoint: safe while training.
  --layer NAME         conv1, conv2, ... (see deepcluster inspect CHECKPOINT)
  --filters LIST       filters, e.g. 0-15 or 1,4,9 (default: every filter of the layer)
  --top N              images per filter in top.json (default 9)
  --iterations N       gradient-ascent iterations (default ${DEFAULT_ASCENT.iterations})
  --lr X               step length in the official units, for a 224x224x3 image (default ${DEFAULT_ASCENT.lr}; scaled to
                       the input's pixel count so each pixel moves as far per step as in the official code)
  --backend NAME       ${BACKENDS.join(' | ')} (default auto)
  --json               progress and results as JSON lines on stdout
`,
  thumbs: `Usage: deepcluster thumbs CHECKPOINT (--indices LIST | --clusters LIST) [--per-cluster 16] [--size 64]
                         [--by centroid|activation] [--json]

Writes PNG thumbnails of dataset images to <run>/thumbs/s<size>/<index>.png (made once, then reused).
  --indices LIST       these dataset images, e.g. 1,2,3 or 0-99
  --clusters LIST      the most typical images of these clusters; the index of every cluster's typical
                       images goes to <run>/analysis/<checkpoint>/typical-<by>.json
  --per-cluster N      images per cluster (default 16)
  --by centroid        nearest the cluster's centroid in the clustering space (default)
  --by activation      highest logit of the cluster's unit in the top layer (one pass over the dataset)
  --size N             thumbnail side in pixels (default 64)
  --backend NAME       ${BACKENDS.join(' | ')} (default auto)
  --json               progress and the index as JSON lines on stdout
`,
  map: `Usage: deepcluster map CHECKPOINT|RUN [--method umap|pca] [--force] [--json]

Lays out every image of the run on a 2-D map from the checkpoint's features (eval mode, the centre view):
PCA to 32 dimensions, approximate 15-nearest neighbours, UMAP (umap-js). Cached in
<run>/maps/epoch-NNNN-<method>.json (with each image's cluster and label) for the map panel; a second call
returns the cached map unless --force.
  --method umap        UMAP (default)
  --method pca         the first two principal components (seconds, a coarse view)
  --epochs N           UMAP optimisation epochs (default: 200 up to 10 000 images, 120 up to 30 000, then 80)
  --neighbors N        neighbours per image, 2-100 (default 15)
  --seed N             seed of the layout (default 0)
  --force              recompute even when the map is cached
  --backend NAME       ${BACKENDS.join(' | ')} (default auto)
  --json               progress and the result as JSON lines on stdout
`,
  export: `Usage: deepcluster export RUN --out PATH [--format imagefolder|csv] [--mode symlink|copy] [--epoch N]

Exports the run's clusters as curated in VS Code (<run>/curation.json: cluster names, merges, junk marks and
images moved between clusters; without it, every cluster is named cluster-<id>). Junk clusters are left out.
Decisions made on an older checkpoint follow each cluster to the exported one by largest overlap.
  --out PATH           imagefolder: a new or empty folder; csv: the file (columns index, path, cluster, label)
  --format imagefolder one folder per name, <index>-<file> inside (default); \`deepcluster train --data\` reads
                       the folders as labels. Images inside IDX/CIFAR files are written as PNG.
  --format csv         one row per image
  --mode symlink       link to the original files (default)
  --mode copy          copy them
  --epoch N            the checkpoint to export (default: the newest)
  --json               progress and the result as JSON lines on stdout
`,
  embed: `Usage: deepcluster embed --model CKPT|RUN --data PATH --out FILE.npy [--batch-size 32] [--limit N]

Writes every image's clustering features (fc7 before its ReLU, eval mode) as a float32 N x D NumPy .npy, rows
in the dataset's order, and images.txt beside it naming each row's image (np.load(FILE) reads it).
  --model CKPT|RUN     a PyTorch checkpoint (.pth, .pth.tar, .pt) of facebookresearch/deepcluster's AlexNet or
                       VGG16 (ImageNet normalisation, its input size), or one of our runs or checkpoint folders
  --data PATH          image folder, IDX file or CIFAR folder (grey images are repeated into RGB when needed)
  --out FILE.npy       the array; images.txt goes in the same folder
  --batch-size N       images per forward pass (default 32)
  --limit N            only the first N images
  --cache DIR          folder for the decoded-image cache
  --backend NAME       ${BACKENDS.join(' | ')} (default auto)
  --json               the result as one JSON line on stdout (progress goes to stderr)
`,
  cluster: `Usage: deepcluster cluster --model CKPT|RUN --data PATH [--k N] [--pca N] [--out DIR]

Clusters a collection with a trained network and no training: features (fc7 before its ReLU), PCA-whitening
+ L2, k-means, as one DeepCluster epoch. Writes a normal run folder with one checkpoint (the network's weights
without its old top layer, the assignments, centroids and exemplars), so the tree, the cluster grid, the
exports, inspect, thumbs and visualize all open it.
  --model CKPT|RUN     a PyTorch checkpoint (.pth, .pth.tar, .pt) of facebookresearch/deepcluster's AlexNet or
                       VGG16 (ImageNet normalisation, its input size), or one of our runs or checkpoint folders
  --data PATH          image folder (class subfolders = labels, used only for the metrics), IDX or CIFAR
  --k N                clusters (default: one per 10 images, at most 100)
  --pca N              PCA-whitening dimensions (default 256 for alexnet/vgg16, at most a quarter of the images)
  --out DIR            run folder; must be new or empty. Default: ./runs/<timestamp>-pretrained
  --batch-size N       images per forward pass (default 32)
  --limit N            only the first N images
  --seed N             k-means seed (default 31)
  --cache DIR          folder for the decoded-image cache
  --backend NAME       ${BACKENDS.join(' | ')} (default auto)
  --json               stream events as JSON lines on stdout, as train does
`,
};

export function helpText(topic?: CommandName): string {
  return TEXT[topic ?? 'main'];
}
