// The bundled sample and Debian's full Fashion-MNIST. The repository holds the Fashion-MNIST test split
// (data/fashion-mnist, 10 000 images); a packaged extension holds its first 1 000 images (dist/sample/, written by
// scripts/package.mjs) to keep the .vsix small.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const SAMPLE_FILE = join('data', 'fashion-mnist', 't10k-images-idx3-ubyte.gz');
const PACKAGED_SAMPLE_FILE = join('dist', 'sample', 'fashion-mnist', 't10k-images-idx3-ubyte.gz');
/** Debian's dataset-fashion-mnist package. */
export const DEBIAN_FASHION_MNIST = '/usr/share/datasets/fashion-mnist';

/**
 * The bundled sample's images file. Found by walking up from this module, which works from the sources (tsx),
 * from the esbuild bundle in dist/ and from an installed extension alike.
 */
export function bundledSamplePath(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    // At each level the repository's full split first: a package built from this checkout leaves dist/sample.
    for (const file of [SAMPLE_FILE, PACKAGED_SAMPLE_FILE]) {
      const candidate = join(dir, file);
      if (existsSync(candidate)) return candidate;
    }
    if (dirname(dir) === dir) throw new Error(`bundled sample ${SAMPLE_FILE} not found above ${__dirname}`);
  }
}

/** The full Fashion-MNIST train split (60 000 images) when Debian's package is installed, else undefined. */
export function defaultFullDataset(): string | undefined {
  const file = join(DEBIAN_FASHION_MNIST, 'train-images-idx3-ubyte.gz');
  return existsSync(file) ? file : undefined;
}
