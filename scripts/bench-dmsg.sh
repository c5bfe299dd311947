#!/usr/bin/env bash
# Builds and runs bench/dmsg_bench: dmsg stream open latency, 32-byte round
# trip, single-stream throughput, server RSS per idle session and session
# setups/s, next to the Go reference figures (dmsg-protocol.md §8).
# The dmsg server runs as its own process (`skywire dmsg local`), started and
# stopped by PID by the bench; loopback only; bounded (~30-90 s).
#
#   scripts/bench-dmsg.sh [--anchors] [-- bench args]
#     BUILD_DIR  build tree (default build-bench)
#     SKIP_BUILD=1  use the binaries already in BUILD_DIR
#     --anchors  also run the anchors of the steering repository's shared/bench
#                first (raw loopback TCP and AEAD limits of this machine; needs
#                root), when that folder exists beside the repository
#                (../shared/bench from the repository root); skipped otherwise
#     ANCHORS_DIR   the anchors folder (default <repo>/../shared/bench)
#     ANCHORS       the anchors script (default $ANCHORS_DIR/anchors_limits.sh)
#   bench args: --sessions N --opens N --rtts N --mib N --seconds S --skywire PATH
set -euo pipefail
cd "$(dirname "$0")/.."
repo_root=$(pwd -P)
BUILD_DIR=${BUILD_DIR:-build-bench}
anchors=0
while [ $# -gt 0 ]; do
  case "$1" in
    --anchors) anchors=1; shift ;;
    --) shift; break ;;
    *) break ;;
  esac
done
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSKYWIRE_TESTS=OFF >/dev/null
  fi
  cmake --build "$BUILD_DIR" -j"${JOBS:-2}" --target skywire bench_dmsg_bench
fi
echo "# bench-dmsg $(date -u +%FT%TZ) loadavg=$(cut -d' ' -f1-3 /proc/loadavg) commit=$(git rev-parse --short HEAD 2>/dev/null || echo -)"
if [ "$anchors" = 1 ]; then
  anchors_dir=${ANCHORS_DIR:-$repo_root/../shared/bench}
  anchors_sh=${ANCHORS:-$anchors_dir/anchors_limits.sh}
  if [ -f "$anchors_sh" ]; then
    RUNS=${RUNS:-1} DUR=${DUR:-5} bash "$anchors_sh" || echo "# anchors failed (rc=$?)"
  else
    echo "# anchors SKIPPED: no $anchors_sh (set ANCHORS_DIR or ANCHORS to run them)"
  fi
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec timeout --kill-after=10 180 "$BUILD_DIR/bench_dmsg_bench" --skywire "$BUILD_DIR/skywire" "$@"
