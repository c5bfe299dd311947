#!/usr/bin/env bash
# The skywire binary is laid out as cli/skywire.order and cli/skywire-rodata.ld
# say (CMakeLists.txt, the lld link; scripts/link-order.sh):
#   - the read-only data an idle visor reads is gathered: a .rodata.hot section
#     of at least 16 KiB (the linker script's patterns still match);
#   - the listed functions exist: at least 90 % of the names (fewer means the
#     list is stale: rerun scripts/link-order.sh);
#   - they lie together at the start of .text, in the list's order: their span
#     is at most 1.25 times their size (plus 64 KiB), and at least 85 % of
#     consecutive listed functions follow each other upwards (not all: the
#     archives built without -ffunction-sections move a whole object's code
#     with its first listed function, and aliases share an address).
# usage: check_layout.sh BINARY ORDER_FILE
# Exit 77 (skipped) when the binary was not linked by lld with the layout and
# CI is not "true"; under CI=true that is a failure.
set -euo pipefail
bin=$1
order=$2
hot=$(readelf -SW "$bin" | awk '$2 == ".rodata.hot" {print $6}')
if [ -z "$hot" ]; then
  msg="check_layout: $bin has no .rodata.hot: not linked by lld >= 15 with cli/skywire-rodata.ld (install lld-16)"
  if [ "${CI:-}" = "true" ]; then echo "$msg" >&2; exit 1; fi
  echo "SKIPPED: $msg" >&2
  exit 77
fi
hot_bytes=$((16#$hot))
[ "$hot_bytes" -ge 16384 ] || { echo "check_layout: .rodata.hot is only $hot_bytes bytes" >&2; exit 1; }
text_start=$(readelf -SW "$bin" | awk '$2 == ".text" {print $4}')
nm -S --defined-only "$bin" | awk '$3 ~ /^[tTwW]$/ && NF == 4 {print $4, $1, $2}' > "${TMPDIR:-/tmp}/layout.$$"
trap 'rm -f "${TMPDIR:-/tmp}/layout.$$"' EXIT
grep -v '^#' "$order" | awk -v syms="${TMPDIR:-/tmp}/layout.$$" -v tstart="$text_start" '
  function hex(s,   i, c, v) { v = 0; s = tolower(s)
    for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)) - 1; v = v * 16 + c }
    return v }
  BEGIN { while ((getline line < syms) > 0) { split(line, f, " "); if (!(f[1] in addr)) { addr[f[1]] = hex(f[2]); size[f[1]] = hex(f[3]) } } }
  NF == 0 { next }
  { listed++
    if (!($1 in addr)) next
    found++; a = addr[$1]
    if (!(a in seen)) { seen[a] = 1; total += size[$1] }
    if (found == 1 || a < lo) lo = a
    if (a + size[$1] > hi) hi = a + size[$1]
    if (found > 1) { pairs++; if (a > prev) up++ }
    prev = a }
  END {
    t0 = hex(tstart); span = hi - lo
    printf "check_layout: %d of %d listed functions present, %d KiB of code over a span of %d KiB starting %d KiB into .text; %d of %d consecutive pairs in order\n", found, listed, total / 1024, span / 1024, (lo - t0) / 1024, up, pairs
    bad = 0
    if (found < 0.9 * listed) { print "check_layout: the list is stale: rerun scripts/link-order.sh"; bad = 1 }
    if (span > 1.25 * total + 65536) { print "check_layout: the listed functions are not together"; bad = 1 }
    if (lo - t0 > 65536) { print "check_layout: the listed functions do not start .text"; bad = 1 }
    if (up < 0.85 * pairs) { print "check_layout: the listed functions are not in the list order"; bad = 1 }
    exit bad }'
