#!/usr/bin/env bash
# Configures and builds the main tree into ${BUILD_DIR:-build}; BUILD_TARGET=X
# builds only target X (run-local.sh: just the skywire binary).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
werror=OFF; [ "${CI:-}" = "true" ] && werror=ON
source scripts/compile-env.sh
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$SKYWIRE_OPT_FLAGS" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=$SKYWIRE_OPT_FLAGS" \
      -DSKYWIRE_WERROR="${SKYWIRE_WERROR:-$werror}" "$@" >/dev/null
cmake --build "$BUILD_DIR" -j"${JOBS:-$(nproc)}" ${BUILD_TARGET:+--target "$BUILD_TARGET"}
