// The yardstick: the official DeepCluster run on the first 20 000 Fashion-MNIST train images on a 2-core CPU
// (shared/reference/peer-fashion-mnist.md, seed 31). Reference data to print beside ours, not results of ours.

export interface PeerEpoch {
  epoch: number;
  loss: number;
  nmiLabels: number;
  nmiLabelsArithmetic: number;
  nmiPrev?: number;
  seconds: { features: number; clustering: number; training: number; epoch: number };
}

const rows: [number, number, number, number, number | undefined, number, number, number, number][] = [
  [0, 4.205, 0.493, 0.465, undefined, 30.3, 0.77, 84.6, 115.8],
  [1, 2.578, 0.494, 0.466, 0.611, 24.3, 0.78, 75.6, 100.8],
  [2, 1.886, 0.498, 0.469, 0.704, 24.8, 0.91, 76.1, 101.8],
  [3, 1.585, 0.5, 0.471, 0.75, 25.2, 0.82, 78.3, 104.3],
  [4, 1.479, 0.501, 0.473, 0.758, 24.6, 0.89, 76.9, 102.4],
  [5, 1.382, 0.502, 0.474, 0.767, 24.9, 0.82, 77.5, 103.2],
  [6, 1.312, 0.509, 0.48, 0.764, 24.5, 0.93, 78.7, 104.2],
  [7, 1.241, 0.511, 0.482, 0.783, 24.5, 0.74, 78.0, 103.3],
  [8, 1.216, 0.506, 0.478, 0.776, 24.9, 0.74, 79.5, 105.2],
  [9, 1.219, 0.511, 0.482, 0.788, 24.7, 0.89, 79.0, 104.6],
  [10, 1.171, 0.512, 0.483, 0.808, 24.8, 0.74, 78.1, 103.7],
  [11, 1.147, 0.516, 0.486, 0.803, 25.0, 0.91, 79.1, 105.0],
  [12, 1.116, 0.517, 0.488, 0.804, 24.9, 0.74, 78.1, 103.7],
  [13, 1.08, 0.518, 0.489, 0.805, 24.7, 0.73, 80.9, 106.3],
  [14, 1.065, 0.518, 0.489, 0.816, 24.8, 0.9, 78.6, 104.3],
];

export const PEER: PeerEpoch[] = rows.map(
  ([epoch, loss, nmiLabels, nmiLabelsArithmetic, nmiPrev, features, clustering, training, total]) => ({
    epoch,
    loss,
    nmiLabels,
    nmiLabelsArithmetic,
    nmiPrev,
    seconds: { features, clustering, training, epoch: total },
  }),
);

/** The peer's settings, as our CLI flags. */
export const PEER_FLAGS = [
  '--recipe',
  'paper',
  '--arch',
  'smallvgg',
  '--k',
  '100',
  '--pca',
  '64',
  '--batch-size',
  '256',
  '--sobel',
  '--sampler',
  'official',
  '--seed',
  '31',
  '--input-size',
  '28',
];
export const PEER_IMAGES = 20000;
/** Mean epoch time of the peer, 2 cores. */
export const PEER_EPOCH_SECONDS = PEER.reduce((s, e) => s + e.seconds.epoch, 0) / PEER.length;
