#!/usr/bin/env bash
# Builds and runs bench/transport_bench: one stcpr and one sudph transport
# between two processes (throughput, MB per CPU-second, 32-byte round trip,
# dial-to-usable), raw TCP's round trip between two processes, single-core
# ChaCha20-Poly1305, and a real `skywire visor`'s RSS idle and with 100 idle
# transports; then min/median/max of the runs next to the anchors of the
# same minutes and the aims of the transports issue. Loopback only; every
# child is stopped by PID. One bench run takes ~30-60 s.
#
#   scripts/bench-transport.sh [--anchors] [-- bench args]
#     BUILD_DIR    build tree (default build-bench)
#     SKIP_BUILD=1 use the binaries already in BUILD_DIR
#     RUNS_TP      bench runs (default 3)
#     --anchors    first run, from the steering repository's shared/bench when
#                  that folder is beside the repository (../shared/bench from
#                  the repository root; or ANCHORS_DIR): anchors_limits.sh (raw
#                  loopback TCP, single-core AEAD) and anchors_socks.sh with
#                  PROXIES=ssh-D (ssh -D's throughput; needs sshd, ssh, nginx,
#                  curl). Each is skipped, with a line saying why, when its
#                  folder or its tools are missing; both need root.
#     ANCHOR_RUNS  runs per anchor (default 3); SOCKS_MB file size (default 1024)
#   bench args: --mib N --seconds S --rtts N --dials N --idle N --shards N
#               --types stcpr,sudph --no-visor
set -euo pipefail
cd "$(dirname "$0")/.."
repo_root=$(pwd -P)
BUILD_DIR=${BUILD_DIR:-build-bench}
RUNS_TP=${RUNS_TP:-3}
anchors=0
while [ $# -gt 0 ]; do
  case "$1" in
    --anchors) anchors=1; shift ;;
    --) shift; break ;;
    *) break ;;
  esac
done
source scripts/bench-lib.sh
bench_build skywire bench_transport_bench
echo "# bench-transport $(date -u +%FT%TZ) loadavg=$(cut -d' ' -f1-3 /proc/loadavg) commit=$(git rev-parse --short HEAD 2>/dev/null || echo -) runs=$RUNS_TP"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
touch "$out/anchors.txt"
if [ "$anchors" = 1 ]; then
  anchors_dir=${ANCHORS_DIR:-$repo_root/../shared/bench}
  if [ ! -d "$anchors_dir" ]; then
    echo "# anchors SKIPPED: no $anchors_dir (set ANCHORS_DIR to run them)"
  elif [ "$(id -u)" != 0 ]; then
    echo "# anchors SKIPPED: they need root"
  else
    if [ -f "$anchors_dir/anchors_limits.sh" ]; then
      RUNS=${ANCHOR_RUNS:-3} DUR=${DUR:-5} QUIET_WAIT=${QUIET_WAIT:-5} \
        bash "$anchors_dir/anchors_limits.sh" 2>&1 | tee -a "$out/anchors.txt" \
        || echo "# anchors_limits failed (rc=$?)"
    else
      echo "# anchors_limits SKIPPED: no $anchors_dir/anchors_limits.sh"
    fi
    missing=""
    for t in sshd ssh nginx curl; do
      command -v "$t" >/dev/null 2>&1 || [ -x "/usr/sbin/$t" ] || missing="$missing $t"
    done
    if [ ! -f "$anchors_dir/anchors_socks.sh" ]; then
      echo "# ssh -D anchor SKIPPED: no $anchors_dir/anchors_socks.sh"
    elif [ -n "$missing" ]; then
      echo "# ssh -D anchor SKIPPED: not installed:$missing"
    else
      PROXIES=ssh-D RUNS=${ANCHOR_RUNS:-3} SIZE_MB=${SOCKS_MB:-1024} NREQ=${NREQ:-50} \
        QUIET_WAIT=${QUIET_WAIT:-5} bash "$anchors_dir/anchors_socks.sh" 2>&1 \
        | tee -a "$out/anchors.txt" || echo "# anchors_socks failed (rc=$?)"
    fi
  fi
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
for i in $(seq 1 "$RUNS_TP"); do
  echo "# transport run $i/$RUNS_TP  loadavg=$(cut -d' ' -f1-3 /proc/loadavg)"
  timeout --kill-after=10 300 "$BUILD_DIR/bench_transport_bench" --skywire "$BUILD_DIR/skywire" "$@" \
    | tee "$out/run$i.txt" | grep '^TP' || echo "# run $i failed"
done
# min/median/max of the runs, next to the anchors of the same minutes
cat "$out"/run*.txt | awk -v anchors="$out/anchors.txt" '
  function get(line, key,   i, n, f) {
    n = split(line, f, " ")
    for (i = 1; i <= n; i++) if (index(f[i], key "=") == 1) return substr(f[i], length(key) + 2)
    return ""
  }
  function add(name, v) { if (v != "" && v != "nan") { vals[name] = vals[name] " " v } }
  function sorted(name, a,   n, i, j, t) {
    n = split(vals[name], a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n
  }
  function stats(name,   a, n) {
    n = sorted(name, a)
    if (n == 0) return "-"
    return a[1] "/" a[int((n + 1) / 2)] "/" a[n]
  }
  function med(name,   a, n) { n = sorted(name, a); return n == 0 ? "" : a[int((n + 1) / 2)] }
  function ratio(x, y) { return (x == "" || y == "" || y + 0 == 0) ? "-" : sprintf("%.2f", x / y) }
  function mid(s,   r) { split(s, r, "/"); return r[2] }
  /^TP start /          { add("load", substr(get($0, "loadavg"), 1, index(get($0, "loadavg"), "/") - 1)) }
  /^TP aead /           { add("aead4k", get($0, "chacha20poly1305_ietf_enc_4070_mb_s")); add("aead64k", get($0, "enc_65536_mb_s")) }
  /^TP aead_ours /      { add("ours4k", get($0, "enc_4070_mb_s")); ours_impl = get($0, "impl") }
  /^TP raw_tcp /        { add("raw_rtt", get($0, "rtt32_p50_us")) }
  /^TP (stcpr|sudph) dial_p50/ { add($2 "_dial", get($0, "dial_p50_ms")); add($2 "_dial99", get($0, "dial_p99_ms")) }
  /^TP (stcpr|sudph) rtt32_p50/ { add($2 "_rtt", get($0, "rtt32_p50_us")); add($2 "_rtt99", get($0, "rtt32_p99_us")); add($2 "_rawi", get($0, "raw_tcp_p50_us")); add($2 "_rttr", get($0, "ratio_blocks_p50")) }
  /^TP (stcpr|sudph) rtt32_two_cpus_p50/ { add($2 "_rtt2", get($0, "rtt32_two_cpus_p50_us")); add($2 "_raw2", get($0, "raw_tcp_p50_us")); add($2 "_rttr2", get($0, "ratio_blocks_p50")) }
  /^TP (stcpr|sudph) rtt32_one_cpu_p50/ { add($2 "_rtt1", get($0, "rtt32_one_cpu_p50_us")); add($2 "_raw1", get($0, "raw_tcp_p50_us")); add($2 "_rttr1", get($0, "ratio_blocks_p50")) }
  /^TP (stcpr|sudph) throughput/ { add($2 "_mib", get($0, "throughput_mib_s")); add($2 "_mbs", get($0, "mb_s")); add($2 "_eff", get($0, "mb_per_cpu_s")) }
  /^TP visor idle_rss/  { add("idle_rss", get($0, "idle_rss_kib")); add("idle_anon", get($0, "rss_anon_kib")) }
  /^TP visor rss_with/  { add("per_tp", get($0, "per_transport_kib")); add("per_tp_anon", get($0, "per_transport_anon_kib")); add("held_rss", get($0, "rss_with_idle_kib")); add("vdial", get($0, "dial_p50_ms")) }
  /^TP visor ping/      { add("vping", get($0, "ping_rtt_p50_us")) }
  END {
    ssh = ""; ssh_eff = ""; sod = ""; tcp = ""
    while ((getline line < anchors) > 0) {
      if (line ~ /socks\.ssh-D\.bulk/) { ssh = mid(get(line, "gbps")) * 1000 / 8; ssh_eff = mid(get(line, "MB_per_proxy_cpu_s")) }
      if (line ~ /limits\.sodium_ietf_enc_65536/) sod = mid(get(line, "MBps"))
      if (line ~ /limits\.tcp_loopback/) tcp = mid(get(line, "gbps")) * 1000 / 8
    }
    aead = sod != "" ? sod : med("aead64k")
    aead_src = sod != "" ? "anchors_limits sodium 64 KiB enc" : "in-bench sodium 64 KiB enc"
    print ""
    print "| figure (min/median/max of the runs) | ours | anchor (median, same minutes) | ratio | aim |"
    print "|---|---|---|---|---|"
    printf "| stcpr throughput, MB/s (MiB/s %s) | %s | ssh -D %s MB/s | %s | >= 1.5x ssh -D |\n", stats("stcpr_mib"), stats("stcpr_mbs"), (ssh == "" ? "-" : sprintf("%.0f", ssh)), ratio(med("stcpr_mbs"), ssh)
    printf "| stcpr throughput vs 1-core ChaCha20-Poly1305, MB/s | %s | %s %s MB/s | %s | >= 0.7x |\n", stats("stcpr_mbs"), aead_src, aead, ratio(med("stcpr_mbs"), aead)
    printf "| stcpr throughput vs 1-core ChaCha20-Poly1305 at the frame size (4070 B, what the protocol seals), MB/s | %s | in-bench sodium 4070 B enc %s MB/s | %s | (the aim uses the row above) |\n", stats("stcpr_mbs"), med("aead4k"), ratio(med("stcpr_mbs"), med("aead4k"))
    printf "| stcpr MB per CPU-second (both processes) | %s | ssh -D %s (both ends) | %s | |\n", stats("stcpr_eff"), (ssh_eff == "" ? "-" : ssh_eff), ratio(med("stcpr_eff"), ssh_eff)
    printf "| sudph throughput, MB/s (MiB/s %s) | %s | stcpr %s | %s | >= 0.5x stcpr |\n", stats("sudph_mib"), stats("sudph_mbs"), med("stcpr_mbs"), ratio(med("sudph_mbs"), med("stcpr_mbs"))
    printf "| sudph MB per CPU-second | %s | | | |\n", stats("sudph_eff")
    printf "| stcpr 32 B round trip p50, us (ratio: median of the interleaved blocks ratios; per run %s) | %s | raw TCP %s us (interleaved) | %s | <= 1.3x raw TCP |\n", stats("stcpr_rttr"), stats("stcpr_rtt"), med("stcpr_rawi"), med("stcpr_rttr")
    printf "| sudph 32 B round trip p50, us (ratio as above; per run %s) | %s | raw TCP %s us (interleaved) | %s | <= 1.3x raw TCP |\n", stats("sudph_rttr"), stats("sudph_rtt"), med("sudph_rawi"), med("sudph_rttr")
    printf "| stcpr / sudph 32 B round trip p99, us | %s / %s | | | |\n", stats("stcpr_rtt99"), stats("sudph_rtt99")
    printf "| stcpr / sudph 32 B round trip p50, both processes held on two CPUs (one each), us | %s / %s | raw TCP %s / %s us | %s / %s (per run %s / %s) | |\n", stats("stcpr_rtt2"), stats("sudph_rtt2"), med("stcpr_raw2"), med("sudph_raw2"), med("stcpr_rttr2"), med("sudph_rttr2"), stats("stcpr_rttr2"), stats("sudph_rttr2")
    printf "| stcpr / sudph 32 B round trip p50, both processes held on one CPU, us | %s / %s | raw TCP %s / %s us | %s / %s (per run %s / %s) | |\n", stats("stcpr_rtt1"), stats("sudph_rtt1"), med("stcpr_raw1"), med("sudph_raw1"), med("stcpr_rttr1"), med("sudph_rttr1"), stats("stcpr_rttr1"), stats("sudph_rttr1")
    printf "| stcpr dial-to-usable p50, ms (no discovery) | %s | | | <= 3 |\n", stats("stcpr_dial")
    printf "| sudph dial-to-usable p50, ms (no discovery) | %s | | | <= 3 |\n", stats("sudph_dial")
    printf "| visor (stcp) dial-to-usable p50, ms | %s | | | <= 3 |\n", stats("vdial")
    printf "| visor route-0 ping round trip p50, us | %s | raw TCP %s us | %s | |\n", stats("vping"), med("raw_rtt"), ratio(med("vping"), med("raw_rtt"))
    printf "| idle visor RSS, KiB | %s | Go 38-54 MiB | | <= 8192 |\n", stats("idle_rss")
    printf "| idle visor RssAnon (its own memory; the rest is mapped code), KiB | %s | | | |\n", stats("idle_anon")
    printf "| visor RSS with 100 idle transports, KiB | %s | | | |\n", stats("held_rss")
    printf "| RSS per idle transport (marginal, after 10 warm-up transports), KiB | %s | Go ~90 KiB | | <= 16 |\n", stats("per_tp")
    printf "| RssAnon per idle transport (marginal), KiB | %s | | | |\n", stats("per_tp_anon")
    printf "| single-core ChaCha20-Poly1305 enc, 4070 B / 64 KiB, MB/s (in-bench, libsodium) | %s / %s | | | |\n", stats("aead4k"), stats("aead64k")
    printf "| single-core ChaCha20-Poly1305 enc, 4070 B, MB/s (in-bench, ours: %s, what the transports use) | %s | libsodium %s | %s | |\n", ours_impl, stats("ours4k"), med("aead4k"), ratio(med("ours4k"), med("aead4k"))
    printf "| raw loopback TCP (iperf3), MB/s | | %s | | |\n", (tcp == "" ? "-" : sprintf("%.0f", tcp))
    printf "| load average (1 min) at each run start | %s | | | |\n", stats("load")
  }'
