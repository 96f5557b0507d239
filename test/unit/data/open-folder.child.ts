// Run by folder.test.ts as an unprivileged user: open a folder, print size and skipped files as JSON.
import { openDataset } from '../../../src/trainer/data';

openDataset({ path: process.argv[2], inputSize: 16, cacheDir: process.argv[3] }).then(
  (ds) => console.log(JSON.stringify({ size: ds.size, skipped: ds.skipped })),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
