// The image order of torchvision's ImageFolder, which the official DeepCluster code indexes its clusters by:
// class = each top-level sub-folder, sorted; within a class, os.walk's folders in sorted order and each folder's
// files sorted; only torchvision's image extensions; files directly in the root are not part of it.
import { extname } from 'node:path';
import { listFiles } from '../data/folder';

/** torchvision.datasets.folder.IMG_EXTENSIONS */
export const TORCHVISION_EXTENSIONS = new Set([
  '.jpg',
  '.jpeg',
  '.png',
  '.ppm',
  '.bmp',
  '.pgm',
  '.tif',
  '.tiff',
  '.webp',
]);

export interface ImageFolderOrder {
  /** Absolute paths, index i = the official code's image i. */
  paths: string[];
  labels: Int32Array;
  classNames: string[];
}

export async function imageFolderOrder(root: string): Promise<ImageFolderOrder> {
  const { files } = await listFiles(root);
  const entries = files
    .filter((f) => f.rel.includes('/') && TORCHVISION_EXTENSIONS.has(extname(f.rel).toLowerCase()))
    .map((f) => {
      const slash = f.rel.indexOf('/');
      const last = f.rel.lastIndexOf('/');
      return { path: f.path, cls: f.rel.slice(0, slash), dir: f.rel.slice(0, last), base: f.rel.slice(last + 1) };
    });
  // Sorted by (class, folder, file): os.walk's sorted roots, then sorted file names (code-point order, as Python).
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  entries.sort((a, b) => cmp(a.cls, b.cls) || cmp(a.dir, b.dir) || cmp(a.base, b.base));
  const classNames = [...new Set(entries.map((e) => e.cls))];
  const index = new Map(classNames.map((c, i) => [c, i]));
  return { paths: entries.map((e) => e.path), labels: Int32Array.from(entries, (e) => index.get(e.cls)!), classNames };
}
