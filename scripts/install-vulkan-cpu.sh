#!/usr/bin/env bash
# Installs Mesa's lavapipe (Vulkan on the CPU) from bookworm-backports so Dawn finds a WebGPU adapter
# on machines without a GPU. bookworm's own Mesa 22.3 is too old for Dawn
# ("shaderUniform*ArrayDynamicIndexing required"), hence backports.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then echo "install-vulkan-cpu: must run as root (apt-get)" >&2; exit 1; fi
src=/etc/apt/sources.list.d/debian.sources
if [ -f "$src" ] && ! grep -q 'bookworm-backports' "$src" /etc/apt/sources.list.d/*.sources 2>/dev/null; then
  uri=$(awk '/^URIs:/{print $2; exit}' "$src")
  cat > /etc/apt/sources.list.d/bookworm-backports.sources <<SRC
Types: deb
URIs: ${uri:-http://deb.debian.org/debian}
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
elif [ ! -f "$src" ] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  uri=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list)
  echo "deb ${uri:-http://deb.debian.org/debian} bookworm-backports main" > /etc/apt/sources.list.d/bookworm-backports.list
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq libvulkan1 >/dev/null
apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers >/dev/null
echo "install-vulkan-cpu: lavapipe installed"
