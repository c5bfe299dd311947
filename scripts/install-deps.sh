#!/usr/bin/env bash
# Installs what the build and the tests need on Debian 12 (idempotent).
# Only Debian packages. Never install libboost-dev (it pulls Boost 1.74, which
# conflicts with the 1.81 packages used here).
set -euo pipefail
pkgs=(g++ cmake make ninja-build pkg-config
      libcaf-dev libsodium-dev libsecp256k1-dev
      libboost1.81-dev libboost-json1.81-dev libboost-program-options1.81-dev
      doctest-dev clang libclang-rt-14-dev lld-16 ccache curl iproute2 procps
      nftables)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
