# Sourced by the bench scripts: runs the steering repository's anchors in the
# same minutes as the bench, when that folder is there.
#   anchors_dir   the anchors folder (set by the caller; ANCHORS_DIR or
#                 ../shared/bench from the repository root)
#   run_anchors <out file> <script>...
#                 runs each script of anchors_dir (as root), its output shown
#                 and appended to <out file>; a missing folder, script or root
#                 is said in a "# ... SKIPPED" line, a failing script in a
#                 "# ... failed" line, and the bench goes on. Variables set
#                 before the call (RUNS=3 run_anchors ...) reach the scripts.
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
