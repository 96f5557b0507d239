#!/usr/bin/env bash
# Installs the Debian packages the project needs (idempotent). Needs root or sudo.
#   --test   also what the test suite needs (lavapipe Vulkan for the webgpu backend tests, Chromium for webviews,
#            Fashion-MNIST from Debian, and the Python side for side-by-side checks).
set -euo pipefail
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
want_test=0; [ "${1:-}" = "--test" ] && want_test=1
. /etc/os-release
export DEBIAN_FRONTEND=noninteractive
pkgs=(ca-certificates)
if [ "$want_test" = 1 ]; then
  # binutils: `strip` for Dawn when the e2e packs the .vsix (scripts/package.mjs).
  pkgs+=(dataset-fashion-mnist python3-torch python3-faiss python3-sklearn python3-numpy chromium binutils)
fi
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
# Mesa's software Vulkan (lavapipe) for the webgpu backend: bookworm's 22.3 is too old for Dawn,
# bookworm-backports has a recent one.
need_mesa=0
if [ "$want_test" = 1 ]; then
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  case "$v" in ""|22.*) need_mesa=1;; esac
fi
if [ ${#missing[@]} -gt 0 ] || [ "$need_mesa" = 1 ]; then
  if [ "$need_mesa" = 1 ] && [ "${VERSION_CODENAME:-}" = bookworm ] && ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo "deb http://deb.debian.org/debian bookworm-backports main" | $SUDO tee /etc/apt/sources.list.d/backports.list >/dev/null
  fi
  $SUDO apt-get update -qq
  [ ${#missing[@]} -gt 0 ] && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  if [ "$need_mesa" = 1 ]; then
    if [ "${VERSION_CODENAME:-}" = bookworm ]; then
      $SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers libvulkan1
    else
      $SUDO apt-get install -y -qq --no-install-recommends mesa-vulkan-drivers libvulkan1
    fi
  fi
fi
