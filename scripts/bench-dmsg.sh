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
#     --anchors  first run the anchors of the steering repository's shared/bench
#                (anchors_relay.sh: the floor of a relayed stream, three
#                processes on raw sockets; needs root), when that folder exists
#                beside the repository (../shared/bench from the repository
#                root); skipped otherwise, with a line saying so
#     ANCHORS_DIR   the anchors folder (default <repo>/../shared/bench)
#     ANCHORS       one anchors script instead (default $ANCHORS_DIR/anchors_relay.sh)
#     ANCHORS_ALL=1 also anchors_limits.sh (raw loopback TCP and AEAD limits)
#     RUNS_DMSG  dmsg bench runs (default 3): min/median/max are printed
#   bench args: --sessions N --opens N --rtts N --mib N --seconds S --write-size B
set -euo pipefail
cd "$(dirname "$0")/.."
repo_root=$(pwd -P)
BUILD_DIR=${BUILD_DIR:-build-bench}
anchors=0
RUNS_DMSG=${RUNS_DMSG:-3}
while [ $# -gt 0 ]; do
  case "$1" in
    --anchors) anchors=1; shift ;;
    --) shift; break ;;
    *) break ;;
  esac
done
source scripts/bench-lib.sh
bench_build skywire bench_dmsg_bench
echo "# bench-dmsg $(date -u +%FT%TZ) loadavg=$(cut -d' ' -f1-3 /proc/loadavg) commit=$(git rev-parse --short HEAD 2>/dev/null || echo -) runs=$RUNS_DMSG"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if [ "$anchors" = 1 ]; then
  anchors_dir=${ANCHORS_DIR:-$repo_root/../shared/bench}
  # the floor of a relayed stream (three processes, raw sockets) and the
  # machine's raw limits, in the same minutes as the dmsg runs
  if [ -n "${ANCHORS:-}" ]; then
    list=("$ANCHORS")
  else
    list=("$anchors_dir/anchors_relay.sh")
    [ "${ANCHORS_ALL:-0}" = 1 ] && list+=("$anchors_dir/anchors_limits.sh")
  fi
  for anchors_sh in "${list[@]}"; do
    if [ -f "$anchors_sh" ]; then
      RUNS=${RUNS:-3} DUR=${DUR:-5} bash "$anchors_sh" 2>&1 | tee -a "$out/anchors.txt" || echo "# anchors failed (rc=$?)"
    else
      echo "# anchors SKIPPED: no $anchors_sh (set ANCHORS_DIR or ANCHORS to run them)"
    fi
  done
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
for i in $(seq 1 "$RUNS_DMSG"); do
  echo "# dmsg run $i/$RUNS_DMSG  loadavg=$(cut -d' ' -f1-3 /proc/loadavg)"
  timeout --kill-after=10 180 "$BUILD_DIR/bench_dmsg_bench" --skywire "$BUILD_DIR/skywire" "$@" \
    | tee "$out/run$i.txt" | grep '^DMSG' || echo "# run $i failed"
done
# min/median/max of the runs, next to the anchors of the same minutes
cat "$out"/run*.txt | awk -v anchors="$out/anchors.txt" '
  function get(line, key,   i, n, f) {
    n = split(line, f, " ")
    for (i = 1; i <= n; i++) if (index(f[i], key "=") == 1) return substr(f[i], length(key) + 2)
    return ""
  }
  function add(name, v) { if (v != "" && v != "nan") { vals[name] = vals[name] " " v; names[name] = 1 } }
  function stats(name,   a, n, i, j, t) {
    n = split(vals[name], a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    if (n == 0) return "-"
    med = a[int((n + 1) / 2)]
    return a[1] "/" med "/" a[n]
  }
  /^DMSG open_p50_ms=/      { add("open_p50_ms", get($0, "open_p50_ms")) }
  /^DMSG rtt32_p50_us=/     { add("rtt32_p50_us", get($0, "rtt32_p50_us")); add("rtt32_p99_us", get($0, "rtt32_p99_us")) }
  /^DMSG rtt32_shard_p50_us=/ { add("rtt32_shard_p50_us", get($0, "rtt32_shard_p50_us")) }
  /^DMSG throughput_mib_s=/ { add("throughput_mib_s", get($0, "throughput_mib_s")) }
  /^DMSG throughput_shard_mib_s=/ { add("throughput_shard_mib_s", get($0, "throughput_shard_mib_s")) }
  /^DMSG throughput4k_mib_s=/ { add("server_cpu_ms_per_mib_4k", get($0, "server_cpu_ms_per_mib")) }
  /^DMSG relay_per_frame/   { add("wakeups_per_frame", get($0, "wakeups")); add("allocations_per_frame", get($0, "allocations")); add("user_copies_per_byte", get($0, "user_copies")) }
  /^DMSG idle_session_kb=/  { add("idle_session_kib", get($0, "idle_session_kb")) }
  /^DMSG setups_per_s=/     { add("setups_per_server_cpu_s", get($0, "setups_per_server_cpu_s")) }
  /^DMSG setup loadavg_start=/ { add("loadavg_1m", substr(get($0, "loadavg_start"), 1, index(get($0, "loadavg_start"), "/") - 1)) }
  END {
    relay = ""; aead = ""
    while ((getline line < anchors) > 0) {
      if (line ~ /relay.rtt32_us/) { split(get(line, "p50"), r, "/"); relay = r[2] }
      if (line ~ /relay.aead_mib_s/) { split(get(line, "mib_s"), r, "/"); aead = r[2] }
    }
    print ""
    print "| figure (min/median/max of the runs) | ours | anchor (median, same minutes) | Go | aim |"
    print "|---|---|---|---|---|"
    printf "| 32 B round trip p50, us | %s | raw relay %s | 166 | <= 1.5x relay |\n", stats("rtt32_p50_us"), (relay == "" ? "-" : relay)
    printf "| 32 B round trip p99, us | %s | | 252 | |\n", stats("rtt32_p99_us")
    printf "| 32 B round trip p50, A consuming on its io thread, us | %s | raw relay %s | 166 | <= 1.5x relay |\n", stats("rtt32_shard_p50_us"), (relay == "" ? "-" : relay)
    printf "| single-stream MiB/s (64 KiB writes) | %s | AEAD relay %s | 119-147 | >= 0.8x AEAD |\n", stats("throughput_mib_s"), (aead == "" ? "-" : aead)
    printf "| single-stream MiB/s, B consuming on its io thread | %s | AEAD relay %s | 119-147 | >= 0.8x AEAD |\n", stats("throughput_shard_mib_s"), (aead == "" ? "-" : aead)
    printf "| stream open p50, ms | %s | | 6.76 | <= 1 |\n", stats("open_p50_ms")
    printf "| setups per server CPU-second | %s | | | >= 3000 |\n", stats("setups_per_server_cpu_s")
    printf "| idle session, KiB | %s | | ~60 KB | <= 6 |\n", stats("idle_session_kib")
    printf "| server CPU ms per relayed MiB, 4 KiB frames | %s | | 5-6.5 (ours before) | <= 1.5 |\n", stats("server_cpu_ms_per_mib_4k")
    printf "| server wake-ups per relayed frame | %s | | | counted |\n", stats("wakeups_per_frame")
    printf "| server allocations per relayed frame | %s | | | counted |\n", stats("allocations_per_frame")
    printf "| server user-space copies per relayed byte | %s | | | counted (+2 kernel) |\n", stats("user_copies_per_byte")
    printf "| load average (1 min) at each run start | %s | | | |\n", stats("loadavg_1m")
    split(stats("rtt32_p50_us"), m, "/"); split(stats("throughput_mib_s"), t, "/"); split(stats("rtt32_shard_p50_us"), h, "/")
    if (relay != "" && m[2] != "") printf "\nrtt32 p50 / raw relay p50 = %.2f (median; actor consumer)\n", m[2] / relay
    if (relay != "" && h[2] != "") printf "rtt32 p50 / raw relay p50 = %.2f (median; io-thread consumer)\n", h[2] / relay
    split(stats("throughput_shard_mib_s"), u, "/")
    if (aead != "" && t[2] != "") printf "throughput / AEAD relay = %.2f (median; actor consumer)\n", t[2] / aead
    if (aead != "" && u[2] != "") printf "throughput / AEAD relay = %.2f (median; io-thread consumer)\n", u[2] / aead
  }'
