#!/usr/bin/env bash
# The main job: a local Skywire deployment on loopback.
#
# Installs the dependencies, builds, then starts
#   - the embedded control plane: a dmsg discovery (test mode) and a dmsg
#     server in one process (`skywire dmsg local`) on 127.0.0.1;
#   - ${VISORS:-2} visors whose configs (./local-run/visorN/, generated once,
#     keys kept on later runs) point every service URL at 127.0.0.1;
# shows each visor's dmsg sessions, and runs until Ctrl-C, which stops every
# process it started (by PID). Nothing leaves 127.0.0.1.
#
# From another terminal:
#   ./build/skywire cli visor info -c local-run/visor1/skywire-config.json
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
RUN_DIR=${RUN_DIR:-local-run}
DISC_PORT=${DISC_PORT:-9090}
VISORS=${VISORS:-2}

bash scripts/install-deps.sh
BUILD_DIR="$BUILD_DIR" bash scripts/build.sh
skywire="$BUILD_DIR/skywire"
mkdir -p "$RUN_DIR"

pids=()
stop_all() {
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  echo "stopped"
}
trap stop_all EXIT INT TERM

wait_for() { # path, seconds
  for _ in $(seq $(( $2 * 10 ))); do [ -s "$1" ] || [ -S "$1" ] && return 0; sleep 0.1; done
  echo "timed out waiting for $1" >&2; return 1
}

# 1. control plane
rm -f "$RUN_DIR/dmsg-local.json"
"$skywire" dmsg local --disc-port "$DISC_PORT" --info-file "$RUN_DIR/dmsg-local.json" \
  >"$RUN_DIR/dmsg-local.log" 2>&1 &
pids+=($!)
wait_for "$RUN_DIR/dmsg-local.json" 30 || { cat "$RUN_DIR/dmsg-local.log" >&2; exit 1; }
echo "control plane: $(cat "$RUN_DIR/dmsg-local.json")"

# 2. visors
for i in $(seq "$VISORS"); do
  dir="$RUN_DIR/visor$i"
  mkdir -p "$dir"
  config="$dir/skywire-config.json"
  regen=(); [ -f "$config" ] && regen=(-r)
  "$skywire" cli config gen --local --local-ports "dmsgd=$DISC_PORT" "${regen[@]}" \
    -o "$config" --local-path "$dir/local" --minsess 1 >/dev/null
  "$skywire" visor -c "$config" ${LOGLVL:+-s "$LOGLVL"} >"$dir/visor.log" 2>&1 &
  pids+=($!)
done

# 3. show what runs
for i in $(seq "$VISORS"); do
  wait_for "$RUN_DIR/visor$i/local/cli.sock" 30 || { cat "$RUN_DIR/visor$i/visor.log" >&2; exit 1; }
done
sleep 2 # let the dmsg sessions come up
for i in $(seq "$VISORS"); do
  echo "--- visor$i"
  "$skywire" cli visor info -c "$RUN_DIR/visor$i/skywire-config.json" || true
done
echo
echo "running; logs in $RUN_DIR/; Ctrl-C stops everything"
while :; do
  for p in "${pids[@]}"; do
    kill -0 "$p" 2>/dev/null || { echo "process $p ended; stopping" >&2; exit 1; }
  done
  sleep 1
done
