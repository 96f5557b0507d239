#!/usr/bin/env bash
# Installs what the trainer needs on a fresh Debian machine, then runs a short DeepCluster training on the
# bundled sample (Fashion-MNIST test split) and prints per-epoch NMI and where the run was written.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
npm ci --no-audit --no-fund
npm start
