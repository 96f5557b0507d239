#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian machine (system packages + npm), then runs the suite:
# unit tests, then the end-to-end scenario in a real VS Code (code-server + Chromium; DEEPCLUSTER_SKIP_E2E=1 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh --test
npm ci --no-audit --no-fund
npm test
if [ "${DEEPCLUSTER_SKIP_E2E:-}" != 1 ]; then
  t=$(date +%s)
  npm run test:e2e
  echo "e2e stage: $(( $(date +%s) - t )) s"
fi
