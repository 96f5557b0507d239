#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian machine (system packages + npm), then runs the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh --test
npm ci --no-audit --no-fund
npm test
