#!/usr/bin/env bash
# Runs skywire locally: installs the dependencies, builds, writes a config
# into ./local-run/ (once; later runs keep its keys) and runs a visor in the
# foreground until Ctrl-C. Everything stays on loopback: the config points
# every service URL at 127.0.0.1 (`config gen --local`), and the CLI socket is
# ./local-run/local/cli.sock — query it from another terminal with
#   ./build/skywire cli visor info -c local-run/skywire-config.json
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
RUN_DIR=${RUN_DIR:-local-run}

bash scripts/install-deps.sh
BUILD_DIR="$BUILD_DIR" bash scripts/build.sh
skywire="$BUILD_DIR/skywire"

mkdir -p "$RUN_DIR"
config="$RUN_DIR/skywire-config.json"
if [ -f "$config" ]; then
  # regenerate with the same keys, so new defaults apply
  "$skywire" cli config gen --local -r -o "$config" --local-path "$RUN_DIR/local"
else
  "$skywire" cli config gen --local -o "$config" --local-path "$RUN_DIR/local"
fi

echo "visor config: $config"
echo "CLI:          $skywire cli visor info -c $config"
echo "stop with Ctrl-C"
exec "$skywire" visor -c "$config" ${LOGLVL:+-s "$LOGLVL"}
