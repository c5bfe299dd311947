#!/usr/bin/env bash
# The routes' bench (issue 10): a chain of four visor processes on loopback,
# visor1 - visor2 - visor3 - visor4 (stcp transports), the control plane in
# one process (`skywire svc local`); from visor1, routes of 1, 2 and 3 hops
# (to visor2, visor3, visor4):
#   - throughput: `skywire cli visor speed` (MIB MiB to the remote's speed
#     port, timed until it acknowledged the last byte), with the CPU time of
#     every visor from /proc/<pid>/stat before and after: the relay's MB per
#     CPU-second at the middle hops (bytes x (hops - 1) / the CPU-seconds of
#     every visor but the two ends); once per path count of PATHS (`--paths`:
#     2 asks for a second path, which must avoid the first one's transports:
#     visor5 then joins, visor1 - visor5 - visor3, so that 2-hop routes have
#     two; the route_paths field of each RT line says how many it got), with
#     the route's retransmissions;
#   - 32-byte round trip: `skywire cli visor ping -s 32 -n RTTS` (p50/p99);
#   - dial-to-first-byte: DIALS times `cli visor ping -n 1 -s 32`, each a new
#     route: route finder, setup node, route handshake, then one echo
#     (setup_ms + the echo's round trip);
# once with uniform cells off and once with cells of CELL_SIZE, each on a
# fresh deployment. Next to them, in the same minutes: the crypto ceiling
# from libsodium's ChaCha20-Poly1305 (sodium_bench of the anchors folder,
# 4070-byte messages, the size a Noise frame carries), and with --anchors
# the anchors (anchors_relay.sh, anchors_ygg.sh).
#
# The ceiling: every byte is sealed and opened once per transport plus once
# end to end, so h hops cost (h+1) seals and (h+1) opens per byte; on N
# cores: limit(h) = N / ((h+1) * (1/enc + 1/dec)), with sodium's rates per
# CPU-second (what the machine gives when it is quiet); per CPU-second of all
# four visors the ceiling is 1 / ((h+1) * (1/enc + 1/dec)) MB, a ratio that
# holds on a busy machine too. The relay's ceiling is the two-pass AEAD limit
# 1 / (1/enc + 1/dec) per CPU-second. The figures go
# to stdout as RT lines, then a table: min/median/max of the runs.
#
#   scripts/bench-route.sh [--anchors] [-- nothing]
#     BUILD_DIR     build tree (default build-bench)
#     SKIP_BUILD=1  use the binaries already in BUILD_DIR
#     RUNS_RT       throughput runs per hop count (default 3), MIB (default 256)
#     RTTS          32-byte echoes per round-trip run (default 500)
#     DIALS         dials for dial-to-first-byte (default 20)
#     CELLS         cell sizes to run (default "0 1024"; 0 = cells off)
#     PATHS         path counts of the throughput runs (default "1 2")
#     PROFILE       perf | strace: record a visor during the first 2-hop run
#                   of one path (perf record -g, or strace -c -f), into
#                   PROFILE_OUT (default /tmp/bench-route-visorN).{data,strace}
#     PROFILE_VISOR which visor (default 2, the relay; 1 the sender, 3 the sink)
#     --anchors     first run, from the steering repository's shared/bench when
#                   that folder is beside the repository (../shared/bench from
#                   the repository root; or ANCHORS_DIR): anchors_relay.sh and
#                   anchors_ygg.sh (root; each skipped with a line saying why)
#     ANCHORS_DIR   the anchors folder; its sodium_bench.c gives the ceiling
#                   (without it, or without cc and libsodium, no ratio)
# Loopback only; every process it starts is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
repo_root=$(pwd -P)
BUILD_DIR=${BUILD_DIR:-build-bench}
RUNS_RT=${RUNS_RT:-3}
MIB=${MIB:-256}
RTTS=${RTTS:-500}
DIALS=${DIALS:-20}
CELLS=${CELLS:-0 1024}
PATHS=${PATHS:-1 2}
PROFILE=${PROFILE:-}
PROFILE_VISOR=${PROFILE_VISOR:-2}
PROFILE_OUT=${PROFILE_OUT:-/tmp/bench-route-visor$PROFILE_VISOR}
anchors=0
while [ $# -gt 0 ]; do
  case "$1" in
    --anchors) anchors=1; shift ;;
    --) shift; break ;;
    *) echo "usage: $0 [--anchors]" >&2; exit 2 ;;
  esac
done
command -v jq >/dev/null || { echo "bench-route: needs jq" >&2; exit 1; }
source scripts/bench-lib.sh
bench_build skywire bench_crypto_bench
skywire=$(cd "$BUILD_DIR" && pwd -P)/skywire
anchors_dir=${ANCHORS_DIR:-$repo_root/../shared/bench}
ncores=$(nproc)
clk=$(getconf CLK_TCK)
out=$(mktemp -d)
pids=()
stop_all() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  pids=()
}
trap 'stop_all; rm -rf "$out"' EXIT INT TERM
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "# bench-route $(date -u +%FT%TZ) loadavg=$(load) commit=$(git rev-parse --short HEAD 2>/dev/null || echo -) cores=$ncores runs=$RUNS_RT mib=$MIB rtts=$RTTS dials=$DIALS cells=\"$CELLS\" paths=\"$PATHS\""

# ---- anchors, in the same minutes -----------------------------------------------------------
if [ "$anchors" = 1 ]; then
  RUNS=${ANCHOR_RUNS:-3} DUR=${DUR:-5} YGG_SOCKS=0 QUIET_WAIT=${QUIET_WAIT:-5} \
    run_anchors "$out/anchors.txt" anchors_relay.sh anchors_ygg.sh
fi

# ---- the crypto ceiling: libsodium ChaCha20-Poly1305 on one core ----------------------------
# sodium_bench times itself in wall time; /usr/bin/time gives its CPU share, so
# that on a busy machine the rate per CPU-second is known too (the ceilings
# use it; the wall rate is printed beside it)
enc="" dec="" enc_cpu="" dec_cpu=""
med() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
sodium() { # op -> "wall_mb_s mb_per_cpu_s"
  local r t
  r=$(/usr/bin/time -f "%e %U %S" -o "$out/time.txt" "$out/sodium_bench" 4070 1 ietf "$1" | awk '{print $4}')
  t=$(cat "$out/time.txt")
  awk -v r="$r" -v t="$t" 'BEGIN { split(t, a, " "); c = a[2] + a[3]; printf "%s %.1f\n", r, (c > 0 ? r * a[1] / c : r) }'
}
if [ -f "$anchors_dir/sodium_bench.c" ] && [ -x /usr/bin/time ] \
   && cc -O2 -o "$out/sodium_bench" "$anchors_dir/sodium_bench.c" -lsodium 2>/dev/null; then
  e="" d="" ec="" dc=""
  for _ in 1 2 3; do
    read -r w c < <(sodium enc); e="$e $w"; ec="$ec $c"
    read -r w c < <(sodium dec); d="$d $w"; dc="$dc $c"
  done
  enc=$(echo "$e" | med); dec=$(echo "$d" | med); enc_cpu=$(echo "$ec" | med); dec_cpu=$(echo "$dc" | med)
  echo "SODIUM chacha20poly1305_ietf_4070 enc_mb_s=$enc dec_mb_s=$dec enc_mb_per_cpu_s=$enc_cpu dec_mb_per_cpu_s=$dec_cpu (median of 3, 1 s each) loadavg=$(load)"
else
  echo "# crypto ceiling SKIPPED: no $anchors_dir/sodium_bench.c, or no cc/libsodium or /usr/bin/time (set ANCHORS_DIR)"
fi

# our AEAD (runtime/crypto/chachapoly: AVX-512 code where the CPU has it), the
# same two directions per CPU-second: an informational second ceiling (the
# aims use libsodium's above)
ours_enc="" ours_dec="" ours_impl=""
if [ -x "$BUILD_DIR/bench_crypto_bench" ]; then
  line=$("$BUILD_DIR/bench_crypto_bench" aead | grep '^AEAD ' || true)
  echo "$line"
  ours_enc=$(echo "$line" | tr ' ' '\n' | sed -n 's/^ours_enc_mb_per_cpu_s=//p')
  ours_dec=$(echo "$line" | tr ' ' '\n' | sed -n 's/^ours_dec_mb_per_cpu_s=//p')
  ours_impl=$(echo "$line" | tr ' ' '\n' | sed -n 's/^impl=//p')
fi

# ---- one deployment: svc local + 4 visors in a chain (+ visor5 for a second path) -------------
# a second path needs transports of its own: with a path count above 1 in
# PATHS, visor5 joins with visor1 - visor5 - visor3, so that a 2-hop route to
# visor3 has two transport-disjoint paths (1 hop has none; at 3 hops both
# share visor3 - visor4, so the route stays on one path there)
second_path=0
for np in $PATHS; do [ "$np" -gt 1 ] && second_path=1; done
visors="1 2 3 4"
[ "$second_path" = 1 ] && visors="1 2 3 4 5"
cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat"; }
wait_file() { # path, seconds
  for _ in $(seq $(($2 * 10))); do [ -s "$1" ] && return 0; sleep 0.1; done
  return 1
}
deploy() { # cell size
  local cell=$1 dir=$out/cells$1 i
  mkdir -p "$dir"
  "$skywire" svc local --ephemeral --info-file "$dir/services.json" >"$dir/services.log" 2>&1 &
  pids+=($!)
  wait_file "$dir/services.json" 30 || { echo "svc local did not come up" >&2; cat "$dir/services.log" >&2; return 1; }
  local info; info=$(cat "$dir/services.json")
  # visor4 first: each visor's stcp pk_table names the listeners it dials
  # (visor5, when deployed, beside visor2: visor1 - visor5 - visor3)
  local i order="4 3 2 1" pk_of=() port_of=()
  [ "$second_path" = 1 ] && order="4 3 5 2 1"
  for i in $order; do
    local v=$dir/visor$i
    local table="{}" t
    case $i in
      3) t=4 ;; 2|5) t=3 ;; 1) t=2 ;; *) t="" ;;
    esac
    [ -n "$t" ] && table=$(jq -n --arg pk "${pk_of[$t]}" --arg port "${port_of[$t]}" '{($pk): ("127.0.0.1:" + $port)}')
    if [ "$i" = 1 ] && [ "$second_path" = 1 ]; then
      table=$(echo "$table" | jq --arg pk "${pk_of[5]}" --arg port "${port_of[5]}" '. + {($pk): ("127.0.0.1:" + $port)}')
    fi
    mkdir -p "$v"
    "$skywire" cli config gen --local -o "$v/config.json" --local-path "$v/local" >/dev/null 2>&1
    jq --argjson info "$info" --argjson cell "$cell" --argjson table "$table" '
      .dmsg.discovery = $info.dmsg_discovery | .dmsg.sessions_count = 1 |
      .transport.discovery = $info.transport_discovery |
      .transport.address_resolver = $info.address_resolver |
      .routing.route_finder = $info.route_finder |
      .routing.route_setup_nodes = [$info.setup_node] |
      .routing.cell_size = $cell |
      .["skywire-tcp"].listening_address = "127.0.0.1:0" |
      .["skywire-tcp"].pk_table = $table
    ' "$v/config.json" >"$v/c.json" && mv "$v/c.json" "$v/config.json"
    "$skywire" visor -c "$v/config.json" >"$v/visor.log" 2>&1 &
    pids+=($!)
    echo $! >"$v/pid"
    local port=""
    for _ in $(seq 100); do
      port=$(sed -n 's/.*transport listener up.*type=stcp addr=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$v/visor.log" | head -1)
      [ -n "$port" ] && break
      sleep 0.1
    done
    [ -n "$port" ] || { echo "visor$i: no stcp listener" >&2; tail -20 "$v/visor.log" >&2; return 1; }
    pk_of[$i]=$(jq -r .pk "$v/config.json")
    port_of[$i]=$port
  done
  local edges="1-2 2-3 3-4"
  [ "$second_path" = 1 ] && edges="$edges 1-5 5-3"
  local e
  for e in $edges; do
    local a=${e%-*} b=${e#*-} ok=0
    for _ in $(seq 100); do
      if "$skywire" cli visor tp add "${pk_of[$b]}" -t stcp -c "$dir/visor$a/config.json" >/dev/null 2>&1; then
        ok=1; break
      fi
      sleep 0.2
    done
    [ $ok = 1 ] || { echo "transport visor$a-visor$b failed" >&2; return 1; }
  done
  # the route finder's graph and the setup node: a 3-hop ping answers (bounded)
  for _ in $(seq 60); do
    "$skywire" cli visor ping "$(pk 4)" -n 1 --min-hops 3 -c "$(cfg 1)" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "no 3-hop route within 30 s" >&2
  tail -20 "$dir/visor1/visor.log" >&2
  return 1
}
cfg() { echo "$out/cells$cell/visor$1/config.json"; }
pk() { jq -r .pk "$(cfg "$1")"; }
vpid() { cat "$out/cells$cell/visor$1/pid"; }

for cell in $CELLS; do
  echo "# cells=$cell: deploying  loadavg=$(load)"
  if ! deploy "$cell"; then echo "# cells=$cell: deployment failed"; stop_all; continue; fi
  for h in 1 2 3; do
    remote=$(pk $((h + 1)))
    # throughput, with the CPU of every visor
    for np in $PATHS; do
    for r in $(seq "$RUNS_RT"); do
      prof=""
      if [ -n "$PROFILE" ] && [ "$h" = 2 ] && [ "$np" = 1 ] && [ "$r" = 1 ]; then
        case "$PROFILE" in
          perf) perf record -F 999 -g -p "$(vpid "$PROFILE_VISOR")" -o "$PROFILE_OUT.data" >/dev/null 2>&1 & prof=$! ;;
          strace) strace -c -f -p "$(vpid "$PROFILE_VISOR")" -o "$PROFILE_OUT.strace" & prof=$! ;;
        esac
      fi
      c0=(); for i in $visors; do c0+=("$(cpu_of "$(vpid $i)")"); done
      if ! j=$("$skywire" cli visor speed "$remote" --mib "$MIB" --min-hops "$h" --paths "$np" --json -c "$(cfg 1)"); then
        echo "# cells=$cell hops=$h paths=$np speed run $r failed"; [ -n "$prof" ] && kill -INT "$prof"; continue
      fi
      c1=(); for i in $visors; do c1+=("$(cpu_of "$(vpid $i)")"); done
      if [ -n "$prof" ]; then kill -INT "$prof"; wait "$prof" 2>/dev/null || true; echo "# $PROFILE of visor$PROFILE_VISOR in $PROFILE_OUT.*"; fi
      cpus=""; for i in "${!c0[@]}"; do cpus="$cpus $(awk -v d=$((c1[i] - c0[i])) -v h="$clk" 'BEGIN{printf "%.3f", d/h}')"; done
      echo "$j" | jq -r --arg cell "$cell" --arg h "$h" --arg np "$np" --arg cpus "$cpus" --arg load "$(load)" '
        ($cpus | split(" ") | map(select(. != "") | tonumber)) as $c |
        "RT cells=\($cell) hops=\($h) paths=\($np) speed mb_s=\(.mb_s * 100 | round / 100) seconds=\(.seconds * 1000 | round / 1000) setup_ms=\(.setup_ms) cpu_s=\($c | map(tostring) | join(",")) relay_mb_per_cpu_s=\(($h | tonumber) as $hn | ([range(0; $c | length)] | map(select(. != 0 and . != $hn)) | map($c[.]) | add // 0) as $mid | if $hn >= 2 and $mid > 0 then (.bytes * ($hn - 1) / 1e6 / $mid | round) else "-" end) total_mb_per_cpu_s=\(.bytes / 1e6 / ($c | add) | round) route_paths=\(.paths // "-") retransmits=\(.retransmits // "-") loadavg=\($load | split(" ") | .[0])"'
    done
    done
    # 32-byte round trip
    if j=$("$skywire" cli visor ping "$remote" -n "$RTTS" -s 32 --min-hops "$h" --json -c "$(cfg 1)"); then
      echo "$j" | jq -r --arg cell "$cell" --arg h "$h" '
        (.rtt_us | sort) as $s | ($s | length) as $n |
        "RT cells=\($cell) hops=\($h) rtt32 p50_us=\($s[($n - 1) / 2 | floor]) p99_us=\($s[($n * 0.99 | floor) - 1]) n=\($n)"'
    else
      echo "# cells=$cell hops=$h ping failed"
    fi
    # dial-to-first-byte: a new route each
    d2fb=""
    for _ in $(seq "$DIALS"); do
      j=$("$skywire" cli visor ping "$remote" -n 1 -s 32 --min-hops "$h" --json -c "$(cfg 1)") || continue
      d2fb="$d2fb $(echo "$j" | jq -r '.setup_ms + .rtt_us[0] / 1000')"
    done
    echo "$d2fb" | tr ' ' '\n' | grep . | sort -g | awk -v cell="$cell" -v h="$h" '
      {a[NR]=$1} END { if (NR) printf "RT cells=%s hops=%s dial_first_byte p50_ms=%.2f min_ms=%.2f max_ms=%.2f n=%d\n", cell, h, a[int((NR+1)/2)], a[1], a[NR], NR }'
  done
  # what is left open at visor1 (each test closes its route; a closing one may linger <= 2 s)
  echo "# cells=$cell: routes open at visor1 after the runs: $("$skywire" cli visor route ls --json -c "$(cfg 1)" | jq length)"
  stop_all
done 2>&1 | tee "$out/runs.txt" | grep -v '^$'

# ---- the summary: medians next to the ceilings and the anchors ------------------------------
awk -v enc="$enc" -v dec="$dec" -v enc_cpu="$enc_cpu" -v dec_cpu="$dec_cpu" -v ours_enc="$ours_enc" -v ours_dec="$ours_dec" -v ours_impl="$ours_impl" -v cores="$ncores" -v anchors="$out/anchors.txt" -v cells="$CELLS" -v npaths="$PATHS" '
  function get(line, key,   i, n, f) {
    n = split(line, f, " ")
    for (i = 1; i <= n; i++) if (index(f[i], key "=") == 1) return substr(f[i], length(key) + 2)
    return ""
  }
  function add(name, v) { if (v != "" && v != "-") vals[name] = vals[name] " " v }
  function stats(name,   a, n, i, j, t) {
    n = split(vals[name], a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    if (n == 0) { med = ""; return "-" }
    med = a[int((n + 1) / 2)]
    return n == 1 ? a[1] : a[1] "/" med "/" a[n]
  }
  function mid(s,   r) { split(s, r, "/"); return r[2] }
  /^RT .* speed / { k = get($0, "cells") "_" get($0, "hops") "_" get($0, "paths"); add("mb_" k, get($0, "mb_s")); add("relay_" k, get($0, "relay_mb_per_cpu_s")); add("eff_" k, get($0, "total_mb_per_cpu_s")); add("rtx_" k, get($0, "retransmits")) }
  /^RT .* rtt32 / { k = get($0, "cells") "_" get($0, "hops") "_1"; add("rtt_" k, get($0, "p50_us")); add("rtt99_" k, get($0, "p99_us")) }
  /^RT .* dial_first_byte / { k = get($0, "cells") "_" get($0, "hops") "_1"; add("d2fb_" k, get($0, "p50_ms")) }
  END {
    ygg2 = ""; ygg1 = ""; relay_rtt = ""; relay_aead = ""
    while ((getline line < anchors) > 0) {
      if (line ~ /ygg\.2hop_A-B-C /) ygg2 = mid(get(line, "gbps")) * 1000 / 8
      if (line ~ /ygg\.1hop_A-B /) ygg1 = mid(get(line, "gbps")) * 1000 / 8
      if (line ~ /ygg\.1hop_A-B\.ping/) ygg1_ms = mid(get(line, "rtt_avg_ms"))
      if (line ~ /ygg\.2hop_A-B-C\.ping/) ygg2_ms = mid(get(line, "rtt_avg_ms"))
      if (line ~ /relay\.rtt32_us/) relay_rtt = mid(get(line, "p50"))
      if (line ~ /relay\.aead_mib_s/) relay_aead = mid(get(line, "mib_s")) * 1.048576
    }
    two = (enc != "" && dec != "") ? 1 / (1 / enc + 1 / dec) : ""
    two_cpu = (enc_cpu != "" && dec_cpu != "") ? 1 / (1 / enc_cpu + 1 / dec_cpu) : ""
    print ""
    if (two != "") printf "crypto: ChaCha20-Poly1305 4070 B enc %s / dec %s MB/s wall (%s / %s per CPU-s); two-pass AEAD limit %.0f MB/s wall, %.0f MB per CPU-s; %d cores\n", enc, dec, enc_cpu, dec_cpu, two, two_cpu, cores
    printf "anchors (same minutes, medians): yggdrasil 1 hop %s MB/s (ping %s ms), 2 hops %s MB/s (ping %s ms); raw relay 32 B round trip %s us, AEAD relay %s MB/s\n", (ygg1 == "" ? "-" : sprintf("%.0f", ygg1)), (ygg1_ms == "" ? "-" : ygg1_ms), (ygg2 == "" ? "-" : sprintf("%.0f", ygg2)), (ygg2_ms == "" ? "-" : ygg2_ms), (relay_rtt == "" ? "-" : relay_rtt), (relay_aead == "" ? "-" : sprintf("%.0f", relay_aead))
    print ""
    print "| cells | hops | paths | throughput MB/s (min/med/max) | crypto ceiling MB/s | ratio | vs ygg | all visors MB per CPU-s | crypto MB per CPU-s | ratio | relay MB per CPU-s (middle visors) | ratio to 2-pass AEAD | retransmissions | 32 B rtt p50 / p99 us | dial-to-first-byte p50 ms |"
    print "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    n = split(cells, cs, " ")
    np = split(npaths, ps, " ")
    for (ci = 1; ci <= n; ci++) for (h = 1; h <= 3; h++) for (pi = 1; pi <= np; pi++) {
      k = cs[ci] "_" h "_" ps[pi]
      s = stats("mb_" k); m = med
      lim = two_cpu != "" ? cores * two_cpu / (h + 1) : ""
      ratio = (lim != "" && m != "") ? sprintf("%.2f", m / lim) : "-"
      yr = (h == 2 && ygg2 != "" && m != "") ? sprintf("%.2f", m / ygg2) : (h == 1 && ygg1 != "" && m != "") ? sprintf("%.2f", m / ygg1) : "-"
      es = stats("eff_" k); em = med
      elim = two_cpu != "" ? two_cpu / (h + 1) : ""
      er = (elim != "" && em != "") ? sprintf("%.2f", em / elim) : "-"
      rs = stats("relay_" k); rm = med
      rr = (two_cpu != "" && rm != "") ? sprintf("%.2f", rm / two_cpu) : "-"
      rx = stats("rtx_" k)
      r50 = stats("rtt_" k); r99 = stats("rtt99_" k)
      d = stats("d2fb_" k)
      printf "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s |\n", (cs[ci] == 0 ? "off" : cs[ci]), h, ps[pi], s, (lim == "" ? "-" : sprintf("%.0f", lim)), ratio, yr, es, (elim == "" ? "-" : sprintf("%.0f", elim)), er, (h >= 2 ? rs : "-"), (h >= 2 ? rr : "-"), rx, r50, r99, d
    }
    ours_two = (ours_enc != "" && ours_dec != "") ? 1 / (1 / ours_enc + 1 / ours_dec) : ""
    if (ours_two != "") {
      print ""
      printf "with our AEAD (%s; enc %s / dec %s MB per CPU-s): two-pass limit %.0f MB per CPU-s; against it (informational, the aims use libsodium\047s):", ours_impl, ours_enc, ours_dec, ours_two
      for (ci = 1; ci <= n; ci++) for (h = 1; h <= 3; h++) for (pi = 1; pi <= np; pi++) {
        k = cs[ci] "_" h "_" ps[pi]
        stats("mb_" k); m = med; stats("relay_" k); rm = med
        if (m == "") continue
        printf " cells %s %d hop%s %s path%s: throughput %.2f", (cs[ci] == 0 ? "off" : cs[ci]), h, (h > 1 ? "s" : ""), ps[pi], (ps[pi] > 1 ? "s" : ""), m / (cores * ours_two / (h + 1))
        if (h >= 2 && rm != "") printf ", relay %.2f", rm / ours_two
        printf ";"
      }
      print ""
    }
    print ""
    print "aims: 2 hops >= 0.7x the crypto limit (Go: 0.226 Gbit/s = 28 MB/s); relay >= 0.8x the two-pass AEAD limit (Go: 82 MB per CPU-s); dial-to-first-byte p50 <= 10 ms (Go: 36-45 ms)"
    print "paths: the throughput runs per PATHS (cli visor speed --paths); round trips and dials on one path; a further path must avoid the others\047 transports: only 2-hop routes have one (visor1 - visor5 - visor3), route_paths shows what each run got"
  }' "$out/runs.txt"
echo "# done $(date -u +%FT%TZ) loadavg=$(load)"
