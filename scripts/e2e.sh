#!/usr/bin/env bash
# npm run test:e2e: install the VS Code rig once (cached in .cache/vscode-e2e), package the .vsix, run the scenario
# (test/e2e/scenario.ts) against it. Screenshots and, on failure, logs go to test/e2e/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
RIG=${DEEPCLUSTER_E2E_RIG:-.cache/vscode-e2e}
t=$(date +%s)
bash scripts/e2e-install.sh "$RIG"
echo "e2e: rig ready ($(( $(date +%s) - t )) s)"
t=$(date +%s)
npm run --silent package >/dev/null
echo "e2e: deepcluster.vsix packaged ($(( $(date +%s) - t )) s)"
# The package on its own, outside VS Code: size and file limits, threaded wasm, Dawn and --backend cpu from it.
t=$(date +%s)
node scripts/check-package.mjs deepcluster.vsix
echo "e2e: package checked ($(( $(date +%s) - t )) s)"
exec node --import tsx test/e2e/scenario.ts "$RIG" deepcluster.vsix
