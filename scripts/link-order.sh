#!/usr/bin/env bash
# Regenerates the skywire binary's layout (CMakeLists.txt, the binary's link
# with lld; docs/benchmarks.md "Idle RSS"):
#   cli/skywire.order      the functions start-up, an idle visor, transports
#                          and the data path run, laid out first in this order;
#   cli/skywire-rodata.ld  the read-only data an idle visor reads, gathered
#                          into one section before .rodata.
# Run it after large changes: stale lists cost memory, never correctness (what
# they miss is placed after what they list).
#
# It runs the skywire binary of BUILD_DIR under valgrind, on loopback:
#   1. start-up and idle (callgrind): a visor as bench-transport.sh measures it
#      (config gen --local, stcp on 127.0.0.1, no discovery), 3 s after its
#      listener came up;
#   2. transports (callgrind): bench_transport_bench's visor phase (every
#      `skywire` process through a wrapper), IDLE transports dialed to it;
#   3. data path (callgrind): scripts/bench-socks.sh's local network (control
#      plane, three visors, skysocks over 1 and 2 hops), small transfers;
#   4. read-only data (lackey): 1 again with every load traced, in a copy of the
#      binary relinked with a map of its input sections.
# The function list: what 1 ran, then what only 2 ran, then what only 3 ran
# (the functions that account for 99 % of its instructions), each by
# instructions executed (by decades, most first; by name within a decade, so
# that a rerun moves few lines).
#
#   bash scripts/link-order.sh        BUILD_DIR (default build), IDLE (20)
# Needs valgrind, python3, curl and a Ninja tree; loopback only; every process stopped by PID
# (the benchmarks' own cleanup).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
IDLE=${IDLE:-20}
command -v valgrind >/dev/null || { echo "link-order: needs valgrind" >&2; exit 1; }
real=$(cd "$BUILD_DIR" && pwd -P)/skywire
[ -x "$real" ] && [ -x "$BUILD_DIR/bench_transport_bench" ] \
  || { echo "link-order: build skywire and bench_transport_bench in $BUILD_DIR first" >&2; exit 1; }
work=$(mktemp -d)
trap '[ -n "${vpid:-}" ] && kill "$vpid" 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/idle" "$work/net"
wrap() { # DIR: a `skywire` that runs the real one under callgrind, output into DIR
  cat > "$work/bin/skywire" <<EOF
#!/bin/sh
exec valgrind -q --tool=callgrind --demangle=no --dump-instr=no \
  --callgrind-out-file="$1/cg.%p" "$real" "\$@"
EOF
  chmod +x "$work/bin/skywire"
}

echo "link-order: 1/4 an idle visor (config gen --local, stcp on 127.0.0.1, no discovery)" >&2
mkdir -p "$work/start"
"$real" cli config gen --local -o "$work/start/visor.json" --local-path "$work/start/local" >/dev/null 2>&1
python3 - "$work/start/visor.json" <<'EOF2'
import json, sys
c = json.load(open(sys.argv[1]))
c["skywire-tcp"].update(listening_address="127.0.0.1:0", pk_table=None)
c["transport"].update(discovery="", address_resolver="")
c["dmsg"]["discovery"] = ""
json.dump(c, open(sys.argv[1], "w"))
EOF2
idle_visor() { # LOG BINARY VALGRIND_OPTIONS...: the visor of $work/start under valgrind,
  # until its listener is up (at most 3 minutes: valgrind is slow); sets vpid
  local log=$1 bin=$2
  shift 2
  rm -rf "$work/start/local"
  valgrind -q "$@" "$bin" visor -c "$work/start/visor.json" > "$log" 2>&1 &
  vpid=$!
  for _ in $(seq 1800); do
    grep -q "transport listener up" "$log" && return 0
    kill -0 "$vpid" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.1
  done
  kill "$vpid"
  echo "link-order: the visor did not come up under valgrind $*" >&2
  exit 1
}
idle_visor "$work/start/visor.log" "$real" --tool=callgrind --demangle=no --dump-instr=no \
  --callgrind-out-file="$work/start/cg"
sleep 3 # idle, as the benchmark measures it
callgrind_control -d "$vpid" >/dev/null 2>&1 # start-up and idle: cg.1; the shutdown is left out
kill "$vpid"
wait "$vpid" || true
vpid=""

echo "link-order: 2/4 transports (bench_transport_bench's visor phase, $IDLE transports)" >&2
wrap "$work/idle"
"$BUILD_DIR/bench_transport_bench" --skywire "$work/bin/skywire" --types stcpr --mib 1 \
  --seconds 0.2 --rtts 10 --dials 1 --idle "$IDLE" > "$work/idle.log" 2>&1 \
  || { cat "$work/idle.log" >&2; exit 1; }

echo "link-order: 3/4 the local network (bench-socks.sh, small transfers)" >&2
wrap "$work/net"
SKIP_BUILD=1 BUILD_DIR="$work/bin" SIZE_MB=8 NREQ=5 RUNS=1 PAR=4 \
  bash scripts/bench-socks.sh > "$work/net.log" 2>&1 || { tail -30 "$work/net.log" >&2; exit 1; }
grep "^SOCKS hops=. bulk" "$work/net.log" >&2
[ "$(grep -c "^SOCKS hops=. bulk" "$work/net.log")" = 2 ] \
  || { echo "link-order: the local network's transfers failed" >&2; tail -30 "$work/net.log" >&2; exit 1; }

echo "link-order: 4/4 the read-only data an idle visor reads (lackey; the binary relinked with a map)" >&2
link=$(cd "$BUILD_DIR" && ninja -t commands skywire | tail -1)
[[ "$link" == *" -o skywire "* ]] || { echo "link-order: no link command for skywire (a Ninja tree?)" >&2; exit 1; }
(cd "$BUILD_DIR" && eval "${link/ -o skywire / -o $work/skywire -Wl,-Map=$work/skywire.map }")
idle_visor "$work/start/lackey-visor.log" "$work/skywire" --tool=lackey --trace-mem=yes \
  --log-file="$work/start/lackey"
base=$(awk -v p="$work/skywire" '$6 == p && $3 == "00000000" {print $1; exit}' "/proc/$vpid/maps")
sleep 3 # idle
kill "$vpid"
wait "$vpid" || true
vpid=""
[ -n "$base" ] || { echo "link-order: no mapping of the binary seen" >&2; exit 1; }

python3 - "$work/skywire.map" "$work/start/lackey" "${base%%-*}" cli/skywire-rodata.ld <<'EOF'
import bisect, os, re, sys
mapf, trace, base, out = sys.argv[1], sys.argv[2], int(sys.argv[3], 16), sys.argv[4]
ins, cur = [], None  # the .rodata input sections: (address, size, name)
for line in open(mapf):
    m = re.match(r"\s*([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+\s(.*)$", line)
    if not m:
        continue
    rest = m.group(3)
    indent = len(rest) - len(rest.lstrip(" "))
    if indent == 0:
        cur = rest.strip()
    elif indent == 8 and cur in (".rodata", ".rodata.hot"):
        ins.append((int(m.group(1), 16), int(m.group(2), 16), rest.strip()))
ins.sort()
starts = [i[0] for i in ins]
lo, hi = starts[0], max(a + z for a, z, _ in ins)
hit = set()
with open(trace, errors="replace") as f:
    for line in f:
        if line[:2] not in (" L", " S", " M"):
            continue
        try:
            a = int(line[3:].split(",", 1)[0], 16) - base
        except ValueError:
            continue
        if lo <= a < hi:
            i = bisect.bisect_right(starts, a) - 1
            if i >= 0 and a < ins[i][0] + ins[i][1]:
                hit.add(ins[i][2])
pats = set()
for name in hit:
    m = re.match(r"^(.*):\((\.rodata[^)]*)\)$", name)
    if not m or name.startswith("<internal>"):
        continue  # merged strings and constants: one section, not orderable
    src, sec = m.groups()
    if sec != ".rodata":
        pats.add(f"    *({sec})")  # a section of its own: an object's or a function's
        continue
    mm = re.match(r"^(?:.*/)?([^/(]+)\(([^)]+)\)$", src)  # archive(member)
    pats.add(f"    *{mm.group(1)}:{mm.group(2)}(.rodata)" if mm else f"    *{src.split('/')[-1]}(.rodata)")
if len(pats) < 10:
    sys.exit(f"link-order: only {len(pats)} read-only sections seen")
tmp = out + ".tmp"
with open(tmp, "w") as f:
    f.write("/* The read-only data an idle skywire visor reads, gathered before the rest\n"
            "   (generated by scripts/link-order.sh; lld inserts it before .rodata). */\n"
            "SECTIONS\n{\n  .rodata.hot : {\n" + "\n".join(sorted(pats)) + "\n  }\n}\nINSERT BEFORE .rodata;\n")
os.replace(tmp, out)
print(f"link-order: {len(pats)} read-only sections -> {out}", file=sys.stderr)
EOF

python3 - "$real" "$work" cli/skywire.order <<'EOF'
import collections, glob, os, re, sys
real, work, out = sys.argv[1:]
def executed(files):
    """function name -> instructions run in `real` (self cost), over callgrind files"""
    cost = collections.Counter()
    for path in files:
        obs, fns, ob, fn, after_call = {}, {}, None, None, False
        for line in open(path, errors="replace"):
            line = line.rstrip("\n")
            m = re.match(r"^(c?)(ob|fn)=\((\d+)\)(?: (.*))?$", line)
            if m:
                table = obs if m.group(2) == "ob" else fns
                if m.group(4):
                    table[m.group(3)] = m.group(4)
                if not m.group(1):
                    if m.group(2) == "ob":
                        ob = obs[m.group(3)]
                    else:
                        fn = re.sub(r"'\d+$", "", fns[m.group(3)])
                        if ob == real:
                            cost[fn] += 0
                continue
            if line.startswith("calls="):
                after_call = True
                continue
            if line[:1].isdigit() or line[:1] in "+-*":
                if not after_call and ob == real and fn:
                    parts = line.split()
                    if len(parts) >= 2 and parts[1].isdigit():
                        cost[fn] += int(parts[1])
                after_call = False
    return cost
start = executed(glob.glob(os.path.join(work, "start", "cg.1")))
idle = executed(glob.glob(os.path.join(work, "idle", "cg.*")))
net = executed(glob.glob(os.path.join(work, "net", "cg.*")))
if min(len(start), len(idle), len(net)) < 100:
    sys.exit(f"link-order: too few functions seen ({len(start)}, {len(idle)}, {len(net)})")
def by_heat(cost, names):
    """the hottest first, by decades of instructions run (then by name: a
    rerun moves few lines, the counts vary from run to run)"""
    return sorted(names, key=lambda f: (-len(str(cost[f])), f))
order = by_heat(start, start)
order += by_heat(idle, [f for f in idle if f not in start])
idle.update(start)
# the data path's functions by instructions run, until they account for
# 99 % of them: the rest ran rarely (set-up, errors) and may lie anywhere
rest = [(f, c) for f, c in net.most_common() if f not in idle]
total, acc, hot = sum(c for _, c in rest), 0, []
for f, c in rest:
    if acc >= 0.99 * total:
        break
    hot.append(f)
    acc += c
order += by_heat(net, hot)
tmp = out + ".tmp"
with open(tmp, "w") as f:
    f.write("# The skywire binary's functions in link order: generated by\n"
            "# scripts/link-order.sh (callgrind over an idle visor, transports, then the\n"
            "# local network's data path). Mangled names, one per line.\n")
    f.write("\n".join(order) + "\n")
os.replace(tmp, out)
print(f"link-order: {len(start)} functions at start-up and idle, {len(idle) - len(start)} more with "
      f"transports, {len(order) - len(idle)} more on the data path -> {out}", file=sys.stderr)
EOF
