#!/usr/bin/env bash
# Installs the dependencies, builds, and runs every test: the doctest suites
# (unit, simulation, end-to-end) and then each libFuzzer target for a bounded
# time under ASan/UBSan (a separate clang build tree).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
SKYWIRE_WERROR=ON bash scripts/build.sh
ctest --test-dir build --output-on-failure -j"${JOBS:-$(nproc)}" --timeout 600
# fuzz targets: clang, ASan + UBSan + libFuzzer
source scripts/compile-env.sh
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$SKYWIRE_OPT_FLAGS" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=$SKYWIRE_OPT_FLAGS" \
  -DSKYWIRE_FUZZ=ON -DSKYWIRE_WERROR=ON -DSKYWIRE_FUZZ_SECONDS="${FUZZ_SECONDS:-20}" >/dev/null
cmake --build build-fuzz -j"${JOBS:-$(nproc)}"
ctest --test-dir build-fuzz --output-on-failure -j"${JOBS:-$(nproc)}" -L fuzz
