#!/usr/bin/env bash
# Configures and builds the main tree into ${BUILD_DIR:-build}; BUILD_TARGET=X
# builds only target X (run-local.sh: just the skywire binary).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
# -Werror: as SKYWIRE_WERROR says, ON under CI, else what the tree was
# configured with (OFF for a new tree), so that run-local.sh after test.sh
# (which builds with -Werror) reuses the build instead of recompiling it
werror=()
if [ -n "${SKYWIRE_WERROR:-}" ]; then werror=(-DSKYWIRE_WERROR="$SKYWIRE_WERROR")
elif [ "${CI:-}" = "true" ]; then werror=(-DSKYWIRE_WERROR=ON)
elif [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then werror=(-DSKYWIRE_WERROR=OFF)
fi
source scripts/compile-env.sh
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$SKYWIRE_OPT_FLAGS" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=$SKYWIRE_OPT_FLAGS" \
      "${werror[@]}" "$@" >/dev/null
cmake --build "$BUILD_DIR" -j"${JOBS:-$(nproc)}" ${BUILD_TARGET:+--target "$BUILD_TARGET"}
