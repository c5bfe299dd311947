# Sourced by the bench scripts (from the repository root).
#   bench_build <target>...
#                 builds the targets in BUILD_DIR (RelWithDebInfo, tests off,
#                 configured on first use) unless SKIP_BUILD=1; JOBS (default
#                 2) parallel jobs.
# Runs the steering repository's anchors in the same minutes as the bench,
# when that folder is there:
#   anchors_dir   the anchors folder (set by the caller; ANCHORS_DIR or
#                 ../shared/bench from the repository root)
#   run_anchors <out file> <script>...
#                 runs each script of anchors_dir (as root), its output shown
#                 and appended to <out file>; a missing folder, script or root
#                 is said in a "# ... SKIPPED" line, a failing script in a
#                 "# ... failed" line, and the bench goes on. Variables set
#                 before the call (RUNS=3 run_anchors ...) reach the scripts.
bench_build() {
  [ "${SKIP_BUILD:-0}" = 1 ] && return 0
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSKYWIRE_TESTS=OFF >/dev/null
  fi
  cmake --build "$BUILD_DIR" -j"${JOBS:-2}" --target "$@"
}

run_anchors() {
  local out=$1 a
  shift
  if [ ! -d "$anchors_dir" ]; then
    echo "# anchors SKIPPED: no $anchors_dir (set ANCHORS_DIR to run them)"
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "# anchors SKIPPED: they need root"
    return 0
  fi
  for a in "$@"; do
    if [ -f "$anchors_dir/$a" ]; then
      bash "$anchors_dir/$a" 2>&1 | tee -a "$out" || echo "# $a failed (rc=$?)"
    else
      echo "# $a SKIPPED: not in $anchors_dir"
    fi
  done
}
