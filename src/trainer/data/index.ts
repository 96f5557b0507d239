// The dataset layer of the trainer. What the epoch loop uses:
//
//   const ds = await openDataset({ path?, inputSize: S, limit?, cacheDir?, onProgress?, onSkip?, onWarning?, inMemory? })
//     path undefined -> the bundled sample (data/fashion-mnist, Fashion-MNIST test split, 10 000 images).
//     path: an IDX images file (.gz or raw; labels found beside it by the standard names) or a folder holding
//       one (train split preferred); a CIFAR-10/100 binary folder (data_batch_*.bin / train.bin) or .bin file;
//       else an image folder read recursively (JPEG, PNG, WebP, GIF, TIFF, AVIF through sharp).
//   ds.info: DatasetInfo (src/protocol/run.ts)   ds.size, ds.inputSize, ds.channels (1 or 3)
//   ds.labels?: Int32Array   ds.classNames?   ds.paths? (image folders)   ds.itemName(i) (path or "file#i")
//   ds.skipped: {path, reason}[]  (also reported once per open through onSkip)
//   ds.normalization: {mean[], std[], source}
//   await ds.readBatch(indices)          -> Uint8Array, indices.length x S x S x C, NHWC, centre-cropped images
//   await ds.evalBatch(indices)          -> normalised float32 NHWC tf.Tensor4D (feature pass)
//   await ds.trainBatch(indices, random) -> the same after augmentBatch (training)   [= the loop's LoopData]
//   await ds.close()
//   toTensorBatch(u8, n, S, C, normalization), augmentBatch(u8, n, S, C, random, augmentationFor(S))
//   defaultFullDataset(): Debian's Fashion-MNIST train split when installed, else undefined.
//
// Images: EXIF-rotated, alpha flattened onto white, converted to 8-bit sRGB (grey, 16-bit, CMYK, palette),
// resized so the shorter side is S, centre-cropped to S x S. Image folders are 3-channel RGB unless every image
// is grey, then 1 channel. IDX keeps its channels (1); CIFAR is RGB.
// Errors that stop an open are DatasetError with a one-line message naming the path (missing path, no
// readable image, truncated IDX/CIFAR, unwritable cache, disk full); bad image files are skipped, never fatal.
// Decoded once into a cache file (<cacheDir>/<kind>-<fingerprint>-s<S>-<n|all>.v1.u8, S*S*C bytes per image:
// 784 B at 28x28x1, 147 KiB at 224x224x3). Caches up to 256 MiB are read into memory; larger ones are read by
// positioned reads per batch, so memory is the batch, never the dataset.
// Normalisation: Fashion-MNIST 0.2860/0.3530 (the peer's), ImageNet constants for RGB folders (the official
// code's), else the exact per-channel mean/std over the cached images.
export { openDataset, detectSource } from './open';
export { defaultFullDataset, bundledSamplePath, DEBIAN_FASHION_MNIST } from './sample';
export { toTensorBatch, chooseNormalization, FASHION_MNIST, IMAGENET } from './normalize';
export { augmentBatch, augmentationFor, randomResizedCropBox, type Augmentation, type CropBox } from './augment';
export { defaultCacheDir, CACHE_VERSION } from './cache';
export { IMAGE_EXTENSIONS } from './folder';
export { DatasetError } from './source';
export type { Dataset, OpenDatasetOptions, SkippedFile, Normalization } from './types';
