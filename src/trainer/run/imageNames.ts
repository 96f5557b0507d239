// Writes <run>/images.txt (format and reader: src/runfolder/imageNames.ts), atomically like every run file.
import { formatImageNames } from '../../runfolder/imageNames';
import { writeFileAtomic } from './atomic';

/** images.txt at `file`: the name of each of the `count` dataset images, by index. */
export async function writeImageNames(file: string, count: number, nameOf: (index: number) => string): Promise<void> {
  await writeFileAtomic(file, formatImageNames(Array.from({ length: count }, (_, i) => nameOf(i))));
}
