#!/usr/bin/env bash
# SOCKS5 through the README's local network (issue 11): the control plane in
# one process (`skywire svc local`, every port ephemeral) and three visors with
# transports visor1 - visor2 and visor2 - visor3 only (scripts/local-net.sh,
# as scripts/run-local.sh brings them up); skysocks on visor3 (and every
# visor), and two skysocks-clients reaching it:
#   1 hop : visor2's client on 127.0.0.1:$PROXY1_PORT, route visor2 -> visor3
#   2 hops: visor1's client on 127.0.0.1:$PROXY2_PORT, route visor1 -> visor2 -> visor3
# An HTTP origin on 127.0.0.1:$HTTP_PORT (nginx, 1 worker, sendfile, as the
# anchors; python3's http.server when there is no nginx) serves, from
# /dev/shm, a SIZE_MB MiB random file, a 100-byte one and a SIZE_MB/PAR MiB one.
# For each hop count, through the client with curl socks5h (as the anchors):
#   - bulk: RUNS times the big file, one connection: Gbit/s and MB/s (curl's
#     size_download / time_total), each visor's CPU (utime+stime from
#     /proc/<pid>/stat, before and after) as cores busy, and MB moved per
#     CPU-second of all three visors;
#   - parallel: PAR curls at once, each the SIZE_MB/PAR MiB file (PAR yamux
#     streams in the one route): aggregate Gbit/s;
#   - RSS: every visor's VmRSS and VmHWM (/proc/<pid>/status) idle, before
#     the hop count's runs, and under load (the largest VmRSS sampled every
#     0.1 s during bulk and parallel runs, and VmHWM after them);
#   - cold latency: NREQ sequential curl processes fetching the 100-byte file,
#     each a new SOCKS5 connection (a new yamux stream, the skysocks server's
#     new TCP connection to the origin): median and p99 of curl's time_total;
#     Each revisits one target (the origin's 127.0.0.1:$HTTP_PORT), as the
#     anchors' do: after the first, skysocks-client answers the CONNECT
#     itself (actors/apps/socks_connect.hpp);
#   - cold latency, first visits: NFIRST such requests per run, each to a
#     target the session has not seen (the origin also listens on
#     127.0.0.2 .. 127.0.0.(1 + NFIRST * RUNS)): the CONNECT goes the long way;
#   - warm latency: one curl -K with NREQ URLs on one kept-alive connection.
# With --anchors, first, in the same minutes, from the steering repository's
# shared/bench when that folder is beside the repository (../shared/bench
# from the repository root, or ANCHORS_DIR), as root: anchors_socks.sh with
# PROXIES="microsocks ssh-D" and anchors_ygg.sh (SOCKS over Yggdrasil's 2
# hops), with the same SIZE_MB/NREQ/RUNS; the summary puts their medians next
# to ours with the ratios against the issue's aims.
#
#   bash scripts/bench-socks.sh [--anchors]
#     BUILD_DIR     build tree (default build-bench); SKIP_BUILD=1 uses it as it is
#     SIZE_MB       bulk file MiB (default 1024), NREQ small GETs per latency run
#                   (default 200), NFIRST first visits per run (default 50), RUNS
#                   repetitions (default 3), PAR parallel connections (default 32)
#     HTTP_PORT, PROXY1_PORT, PROXY2_PORT  loopback ports (18180, 11191, 11192)
# Loopback only; every process it starts is stopped by PID; every wait bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
repo_root=$(pwd -P)
BUILD_DIR=${BUILD_DIR:-build-bench}
SIZE_MB=${SIZE_MB:-1024}
NREQ=${NREQ:-200}
NFIRST=${NFIRST:-50}
RUNS=${RUNS:-3}
PAR=${PAR:-32}
HTTP_PORT=${HTTP_PORT:-18180}
PROXY1_PORT=${PROXY1_PORT:-11191}
PROXY2_PORT=${PROXY2_PORT:-11192}
anchors=0
while [ $# -gt 0 ]; do
  case "$1" in
    --anchors) anchors=1; shift ;;
    *) echo "usage: $0 [--anchors]" >&2; exit 2 ;;
  esac
done
command -v curl >/dev/null || { echo "bench-socks: needs curl" >&2; exit 1; }
source scripts/bench-lib.sh
bench_build skywire
skywire=$(cd "$BUILD_DIR" && pwd -P)/skywire
anchors_dir=${ANCHORS_DIR:-$repo_root/../shared/bench}
clk=$(getconf CLK_TCK)
out=$(mktemp -d)
www=$(mktemp -d /dev/shm/skywire-bench-socks.XXXXXX 2>/dev/null || mktemp -d)
chmod 755 "$www" # nginx's worker is not root
RUN_DIR=$out/net
source scripts/local-net.sh
origin_pid=""
cleanup() {
  [ -n "$origin_pid" ] && { kill -TERM "$origin_pid" 2>/dev/null || true; wait "$origin_pid" 2>/dev/null || true; }
  ln_stop
  rm -rf "$out" "$www"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "# bench-socks $(date -u +%FT%TZ) loadavg=$(load) commit=$(git rev-parse --short HEAD 2>/dev/null || echo -) cores=$(nproc) size_mb=$SIZE_MB nreq=$NREQ runs=$RUNS par=$PAR curl=$(curl --version | awk 'NR==1{print $2}')"

# ---- anchors, in the same minutes -----------------------------------------------------------
if [ "$anchors" = 1 ]; then
  PROXIES="microsocks ssh-D" SIZE_MB=$SIZE_MB NREQ=$NREQ RUNS=$RUNS DUR=${DUR:-5} YGG_SOCKS=1 \
    QUIET_WAIT=${QUIET_WAIT:-5} run_anchors "$out/anchors.txt" anchors_socks.sh anchors_ygg.sh
fi

# ---- the origin -----------------------------------------------------------------------------
head -c $((SIZE_MB * 1048576)) /dev/urandom >"$www/big"
mid_mb=$(( SIZE_MB / PAR > 0 ? SIZE_MB / PAR : 1 ))
head -c $((mid_mb * 1048576)) "$www/big" >"$www/mid"
head -c 100 /dev/urandom >"$www/small"
mkdir -p "$out/nginx"
if command -v nginx >/dev/null; then
  cat >"$out/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $out/nginx/nginx.pid;
error_log $out/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on; tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path $out/nginx; proxy_temp_path $out/nginx; fastcgi_temp_path $out/nginx;
  uwsgi_temp_path $out/nginx; scgi_temp_path $out/nginx;
  default_type application/octet-stream;
  server { listen 127.0.0.1:$HTTP_PORT; $(for i in $(seq 2 $((1 + NFIRST * RUNS))); do printf 'listen 127.0.0.%d:%d; ' "$i" "$HTTP_PORT"; done) root $www; }
}
EOF
  nginx -c "$out/nginx/nginx.conf" &
  origin_pid=$!
  origin="nginx $(nginx -v 2>&1 | sed 's/.*\///')"
  origin_multi=1 # also on 127.0.0.2 .. for first visits
else
  python3 -m http.server --bind 127.0.0.1 --directory "$www" "$HTTP_PORT" >/dev/null 2>&1 &
  origin_pid=$!
  origin="python3 http.server (no nginx)"
fi
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/small" && break; sleep 0.1; done
[ "$(curl -s "http://127.0.0.1:$HTTP_PORT/small" | wc -c)" = 100 ] || { echo "origin did not come up" >&2; exit 1; }
echo "# origin: $origin on 127.0.0.1:$HTTP_PORT, files in $www"

# ---- the local network ----------------------------------------------------------------------
t0=$(date +%s.%N)
ln_control_plane ephemeral
ln_visor 3 --chat-addr 127.0.0.1:0
ln_visor 2 --chat-addr 127.0.0.1:0 --proxy-server "${ln_vpk[3]}" --proxy-addr "127.0.0.1:$PROXY1_PORT" --proxy-min-hops 1
ln_visor 1 --chat-addr 127.0.0.1:0 --proxy-server "${ln_vpk[3]}" --proxy-addr "127.0.0.1:$PROXY2_PORT" --proxy-min-hops 2
ln_wait_visors 3
ln_chain_transports 3 | sed 's/^/# /'
s2=$(ln_wait_app 2 skysocks-client) || { echo "visor2's skysocks-client: $s2" >&2; tail -20 "$RUN_DIR/visor2/visor.log" >&2; exit 1; }
s1=$(ln_wait_app 1 skysocks-client) || { echo "visor1's skysocks-client: $s1" >&2; tail -20 "$RUN_DIR/visor1/visor.log" >&2; exit 1; }
echo "# local network up in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s: visor1 pid ${ln_vpid[1]}, visor2 pid ${ln_vpid[2]}, visor3 pid ${ln_vpid[3]}"

# ---- helpers --------------------------------------------------------------------------------
cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat"; }
kib_of() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }   # pid VmRSS|VmHWM
cpus() { local i; for i in 1 2 3; do cpu_of "${ln_vpid[$i]}"; done | paste -sd' '; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END{if (NR) print (NR%2)? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
p99() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END{k=int(NR*0.99); if (k<1) k=1; if (NR) print a[k]}'; }
# the largest VmRSS of each visor, sampled every 0.1 s until the file $1 disappears
rss_sampler() {
  local m1=0 m2=0 m3=0 r
  while [ -e "$1" ]; do
    r=$(kib_of "${ln_vpid[1]}" VmRSS); [ "${r:-0}" -gt $m1 ] && m1=$r
    r=$(kib_of "${ln_vpid[2]}" VmRSS); [ "${r:-0}" -gt $m2 ] && m2=$r
    r=$(kib_of "${ln_vpid[3]}" VmRSS); [ "${r:-0}" -gt $m3 ] && m3=$r
    echo "$m1 $m2 $m3" >"$1.max"
    sleep 0.1
  done
}
mib() { awk -v k="$1" 'BEGIN{printf "%.1f", k/1024}'; }

# cold_runs NAME N PROXY same|first: RUNS times N sequential curl processes
# (each a new SOCKS connection) fetching the small file from the origin's
# 127.0.0.1 (same) or, request by request, from targets not seen before
# (first: 127.0.0.2 ..); one "SOCKS hops=$h NAME" line of medians and p99s
cold_runs() {
  local name=$1 n=$2 px=$3 which=$4 meds="" p99s="" fails=0 vals r i host
  for r in $(seq "$RUNS"); do
    vals=$(for i in $(seq "$n"); do
             host=127.0.0.1; [ "$which" = first ] && host=127.0.0.$((1 + (r - 1) * n + i))
             curl -s --max-time 10 -x "$px" -o /dev/null -w '%{time_total}\n' "http://$host:$HTTP_PORT/small" || echo FAIL
           done)
    fails=$((fails + $(grep -c FAIL <<<"$vals" || true)))
    vals=$(grep -v FAIL <<<"$vals" | awk '{print $1 * 1000}')
    meds="$meds $(echo $vals | median)"; p99s="$p99s $(echo $vals | p99)"
  done
  echo "SOCKS hops=$h $name ms_median=$(echo $meds | tr ' ' ',') ms_p99=$(echo $p99s | tr ' ' ',') fails=$fails"
}

# warm-latency config: NREQ URLs, one connection
: >"$out/warm.cfg"
for i in $(seq "$NREQ"); do printf 'url = "http://127.0.0.1:%s/small?%d"\noutput = "/dev/null"\n' "$HTTP_PORT" "$i" >>"$out/warm.cfg"; done

measure() { # hops port
  local h=$1 px="socks5h://127.0.0.1:$2" i r got
  got=$(curl -s --max-time 10 -x "$px" "http://127.0.0.1:$HTTP_PORT/small" | wc -c)
  [ "$got" = 100 ] || { echo "SOCKS hops=$h FAILED (sanity GET returned $got bytes)"; return 0; }
  local idle="" ; for i in 1 2 3; do idle="$idle $(mib "$(kib_of "${ln_vpid[$i]}" VmRSS)")/$(mib "$(kib_of "${ln_vpid[$i]}" VmHWM)")"; done
  touch "$out/sampling"; rss_sampler "$out/sampling" & local sampler=$!
  # bulk, one connection
  for r in $(seq "$RUNS"); do
    local c0 c1 o
    c0=($(cpus))
    o=$(curl -s --max-time 600 -x "$px" -o /dev/null -w '%{size_download} %{time_total}' "http://127.0.0.1:$HTTP_PORT/big") || true
    c1=($(cpus))
    set -- $o
    [ "${1:-0}" = $((SIZE_MB * 1048576)) ] || { echo "SOCKS hops=$h bulk run $r short transfer: $o"; continue; }
    awk -v b="$1" -v t="$2" -v h="$h" -v clk="$clk" -v load="$(load)" \
        -v a0="${c0[0]}" -v a1="${c1[0]}" -v b0="${c0[1]}" -v b1="${c1[1]}" -v d0="${c0[2]}" -v d1="${c1[2]}" 'BEGIN{
      c1 = (a1 - a0) / clk; c2 = (b1 - b0) / clk; c3 = (d1 - d0) / clk; c = c1 + c2 + c3
      printf "SOCKS hops=%d bulk gbps=%.3f mb_s=%.1f seconds=%.2f visor_cores=%.2f,%.2f,%.2f mb_per_visor_cpu_s=%.0f loadavg=%s\n",
        h, b * 8 / t / 1e9, b / t / 1e6, t, c1 / t, c2 / t, c3 / t, (c > 0 ? b / 1e6 / c : 0), substr(load, 1, index(load, " ") - 1) }'
  done
  # parallel: PAR connections at once
  for r in $(seq "$RUNS"); do
    local c0 c1 ta tb bytes
    local cpids=()
    c0=($(cpus)); ta=$(date +%s.%N)
    for i in $(seq "$PAR"); do
      curl -s --max-time 600 -x "$px" -o /dev/null -w '%{size_download}\n' "http://127.0.0.1:$HTTP_PORT/mid?$i" >"$out/par.$i" &
      cpids+=($!)
    done
    for i in "${cpids[@]}"; do wait "$i" 2>/dev/null || true; done
    tb=$(date +%s.%N); c1=($(cpus))
    bytes=$(cat "$out"/par.* | awk '{s+=$1} END{print s+0}')
    rm -f "$out"/par.*
    [ "$bytes" = $((PAR * mid_mb * 1048576)) ] || echo "SOCKS hops=$h parallel run $r: $bytes of $((PAR * mid_mb * 1048576)) bytes"
    awk -v b="$bytes" -v ta="$ta" -v tb="$tb" -v h="$h" -v clk="$clk" -v par="$PAR" \
        -v a0="${c0[0]}" -v a1="${c1[0]}" -v b0="${c0[1]}" -v b1="${c1[1]}" -v d0="${c0[2]}" -v d1="${c1[2]}" 'BEGIN{
      t = tb - ta; c1 = (a1 - a0) / clk; c2 = (b1 - b0) / clk; c3 = (d1 - d0) / clk; c = c1 + c2 + c3
      printf "SOCKS hops=%d parallel%d gbps=%.3f mb_s=%.1f seconds=%.2f visor_cores=%.2f,%.2f,%.2f mb_per_visor_cpu_s=%.0f\n",
        h, par, b * 8 / t / 1e9, b / t / 1e6, t, c1 / t, c2 / t, c3 / t, (c > 0 ? b / 1e6 / c : 0) }'
  done
  rm -f "$out/sampling"; wait "$sampler" 2>/dev/null || true
  local maxes loaded=""; read -r -a maxes <"$out/sampling.max"
  for i in 1 2 3; do loaded="$loaded $(mib "${maxes[$((i - 1))]}")/$(mib "$(kib_of "${ln_vpid[$i]}" VmHWM)")"; done
  echo "SOCKS hops=$h rss_mib idle_rss/hwm=$(echo $idle | tr ' ' ',') load_rss/hwm=$(echo $loaded | tr ' ' ',')"
  # cold latency: NREQ sequential curl processes, each a new SOCKS connection,
  # to one target; then NFIRST per run, each to a target the session has not seen
  cold_runs lat_cold "$NREQ" "$px" same
  [ -z "${origin_multi:-}" ] || cold_runs lat_cold_first "$NFIRST" "$px" first
  # warm latency: NREQ GETs on one connection
  meds=""
  for r in $(seq "$RUNS"); do
    vals=$(timeout 120 curl -s -x "$px" -K "$out/warm.cfg" -w '%{time_total}\n' | awk '{print $1 * 1000}')
    meds="$meds $(echo $vals | median)"
  done
  echo "SOCKS hops=$h lat_warm ms_median=$(echo $meds | tr ' ' ',')"
}

{
  measure 1 "$PROXY1_PORT"
  measure 2 "$PROXY2_PORT"
} 2>&1 | tee "$out/runs.txt"

# ---- the summary ----------------------------------------------------------------------------
touch "$out/anchors.txt"
awk -v anchors="$out/anchors.txt" -v runs="$out/runs.txt" '
  function get(line, key,   i, n, f) {
    n = split(line, f, " ")
    for (i = 1; i <= n; i++) if (index(f[i], key "=") == 1) return substr(f[i], length(key) + 2)
    return ""
  }
  function sortv(s, a,   n, i, j, t) {
    n = split(s, a, /[ ,\/]/)
    m = 0; for (i = 1; i <= n; i++) if (a[i] != "") b[++m] = a[i]
    for (i = 1; i <= m; i++) a[i] = b[i]
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return m
  }
  function med(s,   a, n) { n = sortv(s, a); if (!n) return ""; return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  function mmm(s,   a, n) { n = sortv(s, a); if (!n) return "-"; return n == 1 ? a[1] : a[1] "/" med(s) "/" a[n] }
  function mid(s,   r) { split(s, r, "/"); return r[2] }
  function ratio(a, b) { return (a != "" && b != "" && b + 0 > 0) ? sprintf("%.2f", a / b) : "-" }
  function f(x, d) { return x == "" ? "-" : sprintf("%." d "f", x) }
  function ok(c) { return c ? "met" : "NOT met" }
  function dash(x) { return x == "" ? "-" : x }
  BEGIN {
    while ((getline line < anchors) > 0) {
      if (line ~ /ANCHOR socks\.ssh-D\.bulk /) { ssh_g = mid(get(line, "gbps")); ssh_e = mid(get(line, "MB_per_proxy_cpu_s")) }
      if (line ~ /ANCHOR socks\.microsocks\.bulk /) { ms_g = mid(get(line, "gbps")); ms_e = mid(get(line, "MB_per_proxy_cpu_s")) }
      if (line ~ /ANCHOR socks\.ssh-D\.lat_cold /) ssh_c = mid(get(line, "ms_median"))
      if (line ~ /ANCHOR socks\.microsocks\.lat_cold /) ms_c = mid(get(line, "ms_median"))
      if (line ~ /ANCHOR ygg\.socks_2hop\.bulk /) { ygg_g = mid(get(line, "gbps")); ygg_e = mid(get(line, "MB_per_cpu_s")) }
      if (line ~ /ANCHOR ygg\.socks_2hop\.lat_cold /) ygg_c = mid(get(line, "ms_median"))
    }
    while ((getline line < runs) > 0) {
      if (line !~ /^SOCKS /) continue
      h = get(line, "hops")
      if (line ~ / bulk /) { g[h] = g[h] " " get(line, "gbps"); mb[h] = mb[h] " " get(line, "mb_s"); e[h] = e[h] " " get(line, "mb_per_visor_cpu_s")
                             split(get(line, "visor_cores"), vc, ","); c1[h] = c1[h] " " vc[1]; c2[h] = c2[h] " " vc[2]; c3[h] = c3[h] " " vc[3] }
      if (line ~ / parallel/) pg[h] = pg[h] " " get(line, "gbps")
      if (line ~ / lat_cold /) { cm[h] = get(line, "ms_median"); cp[h] = get(line, "ms_p99") }
      if (line ~ / lat_cold_first /) { fm[h] = get(line, "ms_median"); fp[h] = get(line, "ms_p99") }
      if (line ~ / lat_warm /) wm[h] = get(line, "ms_median")
      if (line ~ / rss_mib /) { ri[h] = get(line, "idle_rss/hwm"); rl[h] = get(line, "load_rss/hwm")
        n = split(rl[h], q, /[,\/]/); for (i = 1; i <= n; i++) if (q[i] + 0 > maxrss) maxrss = q[i] + 0 }
    }
    print ""
    printf "anchors (same minutes, medians): ssh -D (chacha20-poly1305) %s Gbit/s, %s MB per CPU-s, cold %s ms; microsocks %s Gbit/s, %s MB per CPU-s, cold %s ms; SOCKS over Yggdrasil 2 hops %s Gbit/s, %s MB per CPU-s (3 yggdrasil + microsocks), cold %s ms\n",
      dash(ssh_g), dash(ssh_e), dash(ssh_c), dash(ms_g), dash(ms_e), dash(ms_c), dash(ygg_g), dash(ygg_e), dash(ygg_c)
    print ""
    print "| hops | bulk Gbit/s (min/med/max) | MB/s med | vs ssh -D | vs microsocks | vs ygg SOCKS 2 hops | visor cores v1 / v2 / v3 (med) | MB per visor CPU-s | per CPU-s vs ssh -D / ygg | parallel Gbit/s | cold ms median (p99) | cold, first visit ms median (p99) | warm ms | RSS MiB idle rss/hwm v1,v2,v3 | RSS MiB under load rss/hwm v1,v2,v3 |"
    print "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    for (h = 1; h <= 2; h++) {
      gm = med(g[h])
      em = med(e[h])
      printf "| %d | %s | %s | %s | %s | %s | %s / %s / %s | %s | %s | %s | %s (%s) | %s (%s) | %s | %s | %s |\n", h, mmm(g[h]), f(med(mb[h]), 0),
        ratio(gm, ssh_g), ratio(gm, ms_g), (h == 2 ? ratio(gm, ygg_g) : "-"),
        f(med(c1[h]), 2), f(med(c2[h]), 2), f(med(c3[h]), 2), f(em, 0), (h == 1 ? ratio(em, ssh_e) : ratio(em, ygg_e)), mmm(pg[h]),
        f(med(cm[h]), 2), f(med(cp[h]), 2), f(med(fm[h]), 2), f(med(fp[h]), 2), f(med(wm[h]), 2), ri[h], rl[h]
    }
    print ""
    print "Gbit/s and ms are wall-clock: on a shared machine they are a share of it (the anchors\x27 bg_cores says how busy it was); MB per CPU-second holds on a busy machine too."
    print "aims (issue 11):"
    g1 = med(g[1]); g2 = med(g[2])
    printf "  1 hop >= 1.5x ssh -D:                 %s Gbit/s vs %s: %sx  %s  (per CPU-second: %sx)\n", f(g1, 3), (ssh_g == "" ? "- (no anchor)" : ssh_g), ratio(g1, ssh_g), (ssh_g == "" ? "" : ok(g1 >= 1.5 * ssh_g)), ratio(med(e[1]), ssh_e)
    printf "  2 hops >= 2x SOCKS over ygg 2 hops:   %s Gbit/s vs %s: %sx  %s  (per CPU-second: %sx; Go Skywire: 0.226 Gbit/s)\n", f(g2, 3), (ygg_g == "" ? "- (no anchor)" : ygg_g), ratio(g2, ygg_g), (ygg_g == "" ? "" : ok(g2 >= 2 * ygg_g)), ratio(med(e[2]), ygg_e)
    printf "  cold connect+GET <= 1 ms:             1 hop %s ms, 2 hops %s ms  %s  (Go Skywire: 4.1-4.9 ms; a target revisited, as the anchors; first visits: 1 hop %s ms, 2 hops %s ms)\n", f(med(cm[1]), 2), f(med(cm[2]), 2), ok(med(cm[1]) <= 1 && med(cm[2]) <= 1), f(med(fm[1]), 2), f(med(fm[2]), 2)
    printf "  every visor <= 24 MiB RSS under load: largest %.1f MiB  %s\n", maxrss, ok(maxrss <= 24)
  }'
echo "# done $(date -u +%FT%TZ) loadavg=$(load)"
