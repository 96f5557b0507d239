// A configuration checked against the data it will train on, once the dataset is open.
import type { TrainConfig } from '../../protocol/config';
import { UsageError } from '../usageError';

/**
 * Checks that need the dataset (run by the loop once it is opened): an empty dataset, and --k larger than the
 * number of images. Throws UsageError.
 */
export function validateAgainstDataset(config: TrainConfig, images: number): void {
  const where = config.data ?? 'the bundled sample';
  if (images === 0)
    throw new UsageError(`${config.data ? `the dataset ${config.data}` : where} holds no readable images`);
  if (config.k > images) {
    throw new UsageError(`--k ${config.k} is larger than the number of images (${images}) in ${where}`);
  }
}
