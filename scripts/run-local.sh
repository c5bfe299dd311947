#!/usr/bin/env bash
# The main job: a local Skywire deployment on loopback.
#
# Installs the dependencies, builds, then starts
#   - the embedded control plane in one process (`skywire svc local`) on
#     127.0.0.1: dmsg discovery, dmsg server, transport discovery, address
#     resolver, on the ports of $PORTS (config gen --local's defaults);
#   - ${VISORS:-3} visors whose configs (./local-run/visorN/, generated once,
#     keys kept on later runs) point every service URL at 127.0.0.1;
#   - transports visor1-visor2 and visor2-visor3 (a chain: stcpr where the
#     visors could bind at the address resolver, else dmsg);
#   - the apps: skysocks on every visor, skysocks-client on visor1 reaching
#     visor3's over the 2-hop route (SOCKS5 on 127.0.0.1:$PROXY_PORT),
#     skychat on 127.0.0.1:800<i>;
# shows each visor and its transports, and runs until Ctrl-C, which stops
# every process it started (by PID) and ends the script. Nothing leaves
# 127.0.0.1. Settings (environment): BUILD_DIR (build), RUN_DIR (local-run),
# PORTS (the control plane's; "ephemeral": the kernel picks them), VISORS (3),
# PROXY_PORT (1080), CHAT_PORT_BASE (8000; 0: the kernel picks), SKIP_BUILD=1
# (no install, no build: $BUILD_DIR/skywire as it is).
#
# From another terminal:
#   ./build/skywire cli visor info -c local-run/visor1/skywire-config.json
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
RUN_DIR=${RUN_DIR:-local-run}
PORTS=${PORTS:-dmsgd=9090,tpd=9091,rf=9092,ar=9093,ut=9096,sd=9098}
VISORS=${VISORS:-3}
PROXY_PORT=${PROXY_PORT:-1080}
CHAT_PORT_BASE=${CHAT_PORT_BASE:-8000} # skychat on 127.0.0.1:CHAT_PORT_BASE+i; 0: ports the kernel picks

if [ "${SKIP_BUILD:-}" != 1 ]; then # SKIP_BUILD=1: use $BUILD_DIR/skywire as it is
  bash scripts/install-deps.sh
  BUILD_DIR="$BUILD_DIR" BUILD_TARGET=skywire bash scripts/build.sh # the tests are test.sh's
fi
skywire="$BUILD_DIR/skywire"
mkdir -p "$RUN_DIR"

source scripts/local-net.sh
stop_all() {
  trap - EXIT INT TERM
  ln_stop
  echo "stopped"
}
# Ctrl-C or a TERM stops everything and ends the script (a trap alone would
# return to the loop below)
trap stop_all EXIT
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM

# 1. control plane
ln_control_plane "$PORTS"
echo "control plane: $(cat "$RUN_DIR/services.json")"

# 2. visors (the last one first: visor1's proxy client names visor N's key)
# apps: skychat on 127.0.0.1:800<i>; skysocks (routing port 3) on every
# visor; on visor1 (with 3 or more visors) skysocks-client on
# 127.0.0.1:$PROXY_PORT, reaching visor N's skysocks over a route of at
# least 2 hops (visor1 -> visor2 -> ... -> visorN)
for i in $(seq "$VISORS" -1 1); do
  proxy=()
  if [ "$i" -eq 1 ] && [ "$VISORS" -ge 3 ]; then
    proxy=(--proxy-server "${ln_vpk[$VISORS]}" --proxy-addr "127.0.0.1:$PROXY_PORT" --proxy-min-hops 2)
  fi
  chat_port=0; [ "$CHAT_PORT_BASE" = 0 ] || chat_port=$(( CHAT_PORT_BASE + i ))
  ln_visor "$i" --chat-addr "127.0.0.1:$chat_port" "${proxy[@]}"
done

# 3. show what runs
ln_wait_visors "$VISORS"
cfg() { ln_cfg "$1"; }
pk_of() { ln_pk "$1"; }
# 4. the chain of transports: visor i - visor i+1
ln_chain_transports "$VISORS" || true
for i in $(seq "$VISORS"); do
  echo "--- visor$i"
  "$skywire" cli visor info -c "$(cfg "$i")" || true
  "$skywire" cli visor tp ls -c "$(cfg "$i")" || true
done
echo
if [ "$VISORS" -ge 3 ]; then
  # the proxy client dials once the transports are there (it retries with
  # back-off): wait until it says Running
  state=$(ln_wait_app 1 skysocks-client || true)
  echo "skysocks-client on visor1 (${state:-no status}): a SOCKS5 proxy on 127.0.0.1:$PROXY_PORT"
  echo "over the 2-hop route visor1 -> visor2 -> visor$VISORS, whose skysocks makes the connections:"
  echo "  curl -x socks5h://127.0.0.1:$PROXY_PORT http://127.0.0.1:800$VISORS/   # visor$VISORS's chat page; any URL visor$VISORS reaches"
  echo "the proxy servers in the service discovery whose visor is online, and visor1's client:"
  echo "  $skywire cli proxy list --config $(cfg 1)"
  echo "  $skywire cli proxy status -c $(cfg 1)"
  echo "a 2-hop route's round trips:"
  echo "  $skywire cli visor ping $(pk_of "$VISORS") --min-hops 2 -c $(cfg 1)"
  echo "chat: visor<i>'s skychat on http://127.0.0.1:800<i>/, or"
  echo "  $skywire cli chat send $(pk_of "$VISORS") hello --addr 127.0.0.1:8001"
fi
echo "each visor: $skywire cli visor info|tp ls|app ls|route ls-rules -c $RUN_DIR/visor<i>/skywire-config.json"
echo "running; logs in $RUN_DIR/; Ctrl-C stops everything"
while :; do
  for p in "${ln_pids[@]}"; do
    kill -0 "$p" 2>/dev/null || { echo "process $p ended; stopping" >&2; exit 1; }
  done
  sleep 1
done
