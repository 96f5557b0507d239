#!/usr/bin/env node
// The `deepcluster` CLI: the bundled trainer (run `npm run build` first in a source checkout).
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const cli = join(__dirname, '..', 'dist', 'trainer', 'cli.js');
if (!existsSync(cli)) {
  console.error(`deepcluster: ${cli} is missing; run "npm run build" in ${join(__dirname, '..')} first`);
  process.exit(2);
}
require(cli);
