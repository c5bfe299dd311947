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
# every process it started (by PID). Nothing leaves 127.0.0.1.
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
rm -f "$RUN_DIR/services.json"
"$skywire" svc local --ports "$PORTS" --info-file "$RUN_DIR/services.json" \
  >"$RUN_DIR/services.log" 2>&1 &
pids+=($!)
wait_for "$RUN_DIR/services.json" 30 || { cat "$RUN_DIR/services.log" >&2; exit 1; }
echo "control plane: $(cat "$RUN_DIR/services.json")"
# the setup node's key (new at each start): every visor whitelists it
setup_node=$(sed -n 's/.*"setup_node":"\([0-9a-f]*\)".*/\1/p' "$RUN_DIR/services.json")

# 2. visors (the last one first: visor1's proxy client names visor N's key)
# apps: skychat on 127.0.0.1:800<i>; skysocks (routing port 3) on every
# visor; on visor1 (with 3 or more visors) skysocks-client on
# 127.0.0.1:$PROXY_PORT, reaching visor N's skysocks over a route of at
# least 2 hops (visor1 -> visor2 -> ... -> visorN)
last_pk=""
for i in $(seq "$VISORS" -1 1); do
  dir="$RUN_DIR/visor$i"
  mkdir -p "$dir"
  config="$dir/skywire-config.json"
  regen=(); [ -f "$config" ] && regen=(-r)
  proxy=()
  if [ "$i" -eq 1 ] && [ "$VISORS" -ge 3 ]; then
    proxy=(--proxy-server "$last_pk" --proxy-addr "127.0.0.1:$PROXY_PORT" --proxy-min-hops 2)
  fi
  wrote=$("$skywire" cli config gen --local --local-ports "$PORTS" "${regen[@]}" \
    ${setup_node:+--routesetup "$setup_node"} --chat-addr "127.0.0.1:$(( 8000 + i ))" \
    "${proxy[@]}" -o "$config" --local-path "$dir/local" --minsess 1 2>&1)
  [ "$i" -eq "$VISORS" ] && last_pk=$(sed -n 's/.*(pk \([0-9a-f]*\)).*/\1/p' <<<"$wrote")
  "$skywire" visor -c "$config" ${LOGLVL:+-s "$LOGLVL"} >"$dir/visor.log" 2>&1 &
  pids+=($!)
done

# 3. show what runs
for i in $(seq "$VISORS"); do
  wait_for "$RUN_DIR/visor$i/local/cli.sock" 30 || { cat "$RUN_DIR/visor$i/visor.log" >&2; exit 1; }
done
cfg() { echo "$RUN_DIR/visor$1/skywire-config.json"; }
pk_of() { "$skywire" cli visor pk -c "$(cfg "$1")"; }
# 4. the chain of transports: visor i - visor i+1
for i in $(seq $(( VISORS - 1 ))); do
  peer=$(pk_of $(( i + 1 )))
  added=""
  for t in stcpr dmsg; do
    if "$skywire" cli visor tp add "$peer" -t "$t" -c "$(cfg "$i")" >/dev/null 2>&1; then
      added=$t; break
    fi
  done
  echo "transport visor$i - visor$(( i + 1 )): ${added:-none (see $RUN_DIR/visor$i/visor.log)}"
done
for i in $(seq "$VISORS"); do
  echo "--- visor$i"
  "$skywire" cli visor info -c "$(cfg "$i")" || true
  "$skywire" cli visor tp ls -c "$(cfg "$i")" || true
done
echo
if [ "$VISORS" -ge 3 ]; then
  # the proxy client dials once the transports are there (it retries with
  # back-off): wait until it says Running
  state=""
  for _ in $(seq 60); do
    state=$("$skywire" cli visor app ls -c "$(cfg 1)" 2>/dev/null |
              awk '$1 == "skysocks-client" { print $NF }' || true)
    case "$state" in *Running*) break ;; esac
    sleep 0.5
  done
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
  for p in "${pids[@]}"; do
    kill -0 "$p" 2>/dev/null || { echo "process $p ended; stopping" >&2; exit 1; }
  done
  sleep 1
done
