# The README's local network, as functions: source this file, do not run it.
# Used by scripts/run-local.sh (the interactive deployment) and
# scripts/bench-socks.sh (the SOCKS5 bench through it).
#
#   ln_control_plane PORTS   `skywire svc local` on 127.0.0.1 (dmsg discovery,
#                            dmsg server, transport discovery, address resolver,
#                            route finder, setup node, service discovery, uptime
#                            tracker); PORTS as config gen's --local-ports, or
#                            "ephemeral" (every port chosen by the kernel: the
#                            ports are then read back from the info file)
#   ln_visor I [GEN_ARGS...] generate visor I's config in $RUN_DIR/visorI (keys
#                            kept on later runs), start it; GEN_ARGS go to
#                            `cli config gen` (e.g. the proxy client's flags)
#   ln_wait_visors N         wait until visors 1..N answer on their CLI socket
#   ln_chain_transports N    transports visor i - visor i+1 (stcpr, else dmsg)
#   ln_wait_app I APP        wait (bounded) until visor I's app APP is Running
#   ln_stop                  stop every process started here, by PID
# Needs: $skywire (the binary), $RUN_DIR. Sets: ln_pids (all processes),
# ln_vpid[I] (visor I's PID), ln_vpk[I] (its key), ln_svc_pid, ln_ports, ln_setup_node.
# Nothing leaves 127.0.0.1.

ln_pids=()
declare -A ln_vpid=() ln_vpk=()
ln_svc_pid=""
ln_ports=""
ln_setup_node=""

ln_stop_pids() { # PIDs: SIGTERM to all, then each gets 5 s to end before SIGKILL
  local p
  for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "$@"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
}

ln_stop() {
  # the visors first, while the control plane still answers their goodbyes
  # (transport and service discovery entries deleted, dmsg sessions closed),
  # then the control plane
  local p visors=()
  for p in "${ln_pids[@]}"; do [ "$p" = "$ln_svc_pid" ] || visors+=("$p"); done
  ln_stop_pids "${visors[@]}"
  [ -z "$ln_svc_pid" ] || ln_stop_pids "$ln_svc_pid"
  ln_pids=()
  ln_svc_pid=""
}

ln_wait_for() { # path, seconds: until the file is non-empty or a socket
  for _ in $(seq $(( $2 * 10 ))); do [ -s "$1" ] || [ -S "$1" ] && return 0; sleep 0.1; done
  echo "timed out waiting for $1" >&2; return 1
}

ln_cfg() { echo "$RUN_DIR/visor$1/skywire-config.json"; }
ln_pk() { "$skywire" cli visor pk -c "$(ln_cfg "$1")"; }

ln_control_plane() { # PORTS|ephemeral
  local info="$RUN_DIR/services.json" ports=()
  mkdir -p "$RUN_DIR"
  rm -f "$info"
  if [ "$1" = ephemeral ]; then ports=(--ephemeral); else ports=(--ports "$1"); fi
  # each process in a session of its own: a Ctrl-C in the terminal reaches
  # only the script, whose ln_stop then signals each once (a second signal
  # would make a visor skip its clean shutdown)
  setsid "$skywire" svc local "${ports[@]}" --info-file "$info" >"$RUN_DIR/services.log" 2>&1 &
  ln_svc_pid=$!
  ln_pids+=("$ln_svc_pid")
  ln_wait_for "$info" 30 || { cat "$RUN_DIR/services.log" >&2; return 1; }
  # the setup node's key (new at each start): every visor whitelists it
  ln_setup_node=$(sed -n 's/.*"setup_node":"\([0-9a-f]*\)".*/\1/p' "$info")
  if [ "$1" = ephemeral ]; then
    # the ports the kernel gave, in config gen's --local-ports form
    local name key port list=""
    for name in dmsgd:dmsg_discovery tpd:transport_discovery rf:route_finder ar:address_resolver \
                ut:uptime_tracker sd:service_discovery; do
      key=${name#*:}
      port=$(sed -n "s/.*\"$key\":\"[a-z]*:\/\/127\.0\.0\.1:\([0-9]*\)\".*/\1/p" "$info")
      [ -n "$port" ] && list="$list${list:+,}${name%%:*}=$port"
    done
    ln_ports=$list
  else
    ln_ports=$1
  fi
}

ln_visor() { # I [GEN_ARGS...]
  local i=$1; shift
  local dir="$RUN_DIR/visor$i" config regen=()
  config=$(ln_cfg "$i")
  mkdir -p "$dir"
  [ -f "$config" ] && regen=(-r)
  local wrote
  wrote=$("$skywire" cli config gen --local --local-ports "$ln_ports" --stcp 127.0.0.1:0 "${regen[@]}" \
    ${ln_setup_node:+--routesetup "$ln_setup_node"} "$@" \
    -o "$config" --local-path "$dir/local" --minsess 1 2>&1) ||
    { echo "visor$i: config gen failed: $wrote" >&2; return 1; }
  ln_vpk[$i]=$(sed -n 's/.*(pk \([0-9a-f]*\)).*/\1/p' <<<"$wrote")
  setsid "$skywire" visor -c "$config" ${LOGLVL:+-s "$LOGLVL"} >"$dir/visor.log" 2>&1 &
  ln_vpid[$i]=$!
  ln_pids+=("$!")
}

ln_wait_visors() { # N
  local i
  for i in $(seq "$1"); do
    ln_wait_for "$RUN_DIR/visor$i/local/cli.sock" 30 || { cat "$RUN_DIR/visor$i/visor.log" >&2; return 1; }
  done
}

ln_chain_transports() { # N; prints one line per transport
  local i t peer added
  for i in $(seq $(( $1 - 1 ))); do
    peer=$(ln_pk $(( i + 1 )))
    added=""
    for t in stcpr dmsg; do
      if "$skywire" cli visor tp add "$peer" -t "$t" -c "$(ln_cfg "$i")" >/dev/null 2>&1; then
        added=$t; break
      fi
    done
    echo "transport visor$i - visor$(( i + 1 )): ${added:-none (see $RUN_DIR/visor$i/visor.log)}"
    [ -n "$added" ] || return 1
  done
}

ln_app_state() { # I APP
  "$skywire" cli visor app ls -c "$(ln_cfg "$1")" 2>/dev/null | awk -v a="$2" '$1 == a { print $NF }' || true
}

ln_wait_app() { # I APP: until Running (the client dials once the transports are up, with back-off)
  local state=""
  for _ in $(seq 60); do
    state=$(ln_app_state "$1" "$2")
    case "$state" in *Running*) echo "$state"; return 0 ;; esac
    sleep 0.5
  done
  echo "${state:-no status}"
  return 1
}
