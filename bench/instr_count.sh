#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Instructions per packet on the worker's packet path, counted exactly by
# valgrind's callgrind: the same binary, input and configuration give the same
# count whatever else the machine is doing, so it shows what a change to the
# path costs or saves where packet rates (bench/dr_bench.sh) are too noisy to.
# It counts work, not time: cache misses cost nothing here.
#
#   established (default): a pcap of FLOWS 64-byte UDP flows (default 10000)
#       replayed by net_pcap with infinite_rx=1 for SECS seconds: after the
#       first pass every packet belongs to an established flow.
#   --new-flows: a pcap of FLOWS distinct flows (default 300000) played once
#       (no infinite_rx): every packet is a new flow.
#   --replies (NAT): the pcap holds each flow's frame, then each flow's reply
#       from its real server (bench/gen_pcap.py --replies): half the
#       packets take the reply path. The figure is the average over both
#       halves; a reply's own is about twice it less the forward one.
#       The packets are twice the replies nat_reply() counted (one
#       instruction, MARK_REPLY), every reply's way.
#   --loop: count the whole worker loop (worker_main: the PMDs' rx and tx,
#       the tx flush, expiry steps) instead of worker_rx_burst() alone; the
#       figure to set against testpmd io's 207 a packet.
#
# vipd runs under valgrind with --no-huge -m 1024 --no-pci and the mode's
# benchmark configuration (bench/vipd-MODE.conf.in); callgrind collects only
# inside worker_rx_burst() (parse, sessions, scheduling, rewrite, tx queueing;
# not the PMDs). The packet count is the number of times fast_check() read
# the frame's length (one instruction; once per packet here, as every frame
# of these inputs is a VIP flow); with --replies, twice the replies
# (above). Prints one line:
#
#   MODE established|new-flows: N instructions/packet (P packets, I instructions)
#
# usage: bench/instr_count.sh [--mode dr|nat|tun] [--new-flows] [--replies] [--loop] [--flows N]
#                             [--seconds S] [--keep DIR]
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
VIPD=${VIPD:-$ROOT/build/vipd}
PY=/usr/bin/python3
MODE=dr
NEW=0
FLOWS=""
SECS=30
KEEP=""
SCOPE=worker_rx_burst
MARK='uint32_t len = m->data_len;'
MARK_REPLY='rc->out_pkts++;'
REPLIES=0

die() { echo "instr_count: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case $1 in
	--mode) MODE=$2; shift 2 ;;
	--new-flows) NEW=1; shift ;;
	--loop) SCOPE=worker_main; shift ;;
	--replies) REPLIES=1; shift ;;
	--flows) FLOWS=$2; shift 2 ;;
	--seconds) SECS=$2; shift 2 ;;
	--keep) KEEP=$2; shift 2 ;;
	-h|--help) sed -n '3,28p' "$0"; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done
case $MODE in dr|nat|tun) ;; *) die "--mode is dr, nat or tun" ;; esac
[ -x "$VIPD" ] || die "$VIPD missing: build first (meson setup build && ninja -C build)"
command -v valgrind >/dev/null || die "valgrind is not installed"
grep -qF "$MARK" "$ROOT/dataplane/fast.h" ||
	die "fast_check() no longer has '$MARK': update MARK"
if [ "$REPLIES" = 1 ]; then
	[ "$MODE" = nat ] && [ "$NEW" = 0 ] || die "--replies is for --mode nat, established flows"
	[ "$(grep -cF "$MARK_REPLY" "$ROOT/dataplane/worker_conn.c")" = 1 ] ||
		die "nat_reply() no longer has '$MARK_REPLY' (alone in worker_conn.c): update MARK_REPLY"
fi
[ -n "$FLOWS" ] || { [ "$NEW" = 1 ] && FLOWS=300000 || FLOWS=10000; }

WORK=$(mktemp -d /tmp/vipd-instr.XXXXXX)
PREFIX="vipd-instr-$$"
VPID=""
cleanup() {
	[ -n "$VPID" ] && kill -KILL "$VPID" 2>/dev/null
	rm -rf "/var/run/dpdk/$PREFIX"
	if [ -n "$KEEP" ]; then mkdir -p "$KEEP" && cp -r "$WORK"/. "$KEEP"/; fi
	rm -rf "$WORK"
}
trap cleanup EXIT

REP=()
[ "$REPLIES" = 1 ] && REP=(--replies-conf "$BENCH/vipd-nat.conf.in")
"$PY" "$BENCH/gen_pcap.py" -o "$WORK/flows.pcap" -n "$FLOWS" --dst-mac 02:70:63:61:70:00 "${REP[@]}" ||
	die "gen_pcap.py failed"
SESSIONS=65536
[ "$NEW" = 1 ] && SESSIONS=$((FLOWS * 2 > 65536 ? FLOWS * 2 : 65536))
# The frames infinite_rx holds (established; --new-flows plays the pcap
# once and holds none) and the rings, as 2^k - 1.
MBUFS=32767
if [ "$NEW" = 0 ]; then
	while [ "$MBUFS" -lt $((FLOWS * (1 + REPLIES) + 16384)) ]; do MBUFS=$((MBUFS * 2 + 1)); done
fi
B_PCAP=$WORK/flows.pcap B_MBUFS=$MBUFS B_SESSIONS=$SESSIONS B_FILL_PORT="" B_NEW=$NEW \
	"$PY" -c '
import os, sys
s = open(sys.argv[1]).read()
for k in ("PCAP", "MBUFS", "SESSIONS", "FILL_PORT"):
    s = s.replace("@%s@" % k, os.environ["B_" + k])
if os.environ["B_NEW"] == "1":
    s = s.replace(",infinite_rx=1", "")
open(sys.argv[2], "w").write(s)' "$BENCH/vipd-$MODE.conf.in" "$WORK/vipd.conf" ||
	die "cannot write the configuration"
"$VIPD" --check -f "$WORK/vipd.conf" >/dev/null || die "the configuration does not validate"

# Played once, the new-flow pcap is done well within the time; replayed, the
# window only has to be long enough for the first pass to be negligible.
[ "$NEW" = 1 ] && SECS=$((SECS > 60 ? SECS : 60))
timeout -s INT "$SECS" valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.out" \
	${INSTR_COUNT_VG_ARGS:-} --toggle-collect="$SCOPE" "$VIPD" -f "$WORK/vipd.conf" -- \
	--lcores 0@0,1@1 --no-pci --no-huge -m 1024 --file-prefix="$PREFIX" \
	</dev/null >"$WORK/vipd.log" 2>&1 &
VPID=$!
wait "$VPID"
VPID=""
[ -s "$WORK/callgrind.out" ] || { tail -20 "$WORK/vipd.log" >&2; die "no callgrind output"; }
callgrind_annotate --auto=yes --show-percs=no "$WORK/callgrind.out" >"$WORK/annotate.txt" 2>/dev/null ||
	die "callgrind_annotate failed"

MODE=$MODE NEW=$NEW MARK=$MARK MARK_REPLY=$MARK_REPLY SCOPE=$SCOPE REPLIES=$REPLIES \
	"$PY" - "$WORK/annotate.txt" <<'EOF'
import os, re, sys
t = open(sys.argv[1]).read()
tot = re.search(r"([\d,]+)\s+PROGRAM TOTALS", t)


def mark(name, line=os.environ["MARK"]):
    """LINE's count in the annotation of dataplane/NAME (0: never run)."""
    for sec in t.split("-- Auto-annotated source: ")[1:]:
        if sec.split("\n", 1)[0].strip().endswith("dataplane/" + name):
            m = re.search(r"^ *([\d,]+)\s+" + re.escape(line), sec, re.M)
            return int(m.group(1).replace(",", "")) if m else 0
    return 0


p = mark("fast.h")
if not tot or not p:
    sys.exit("instr_count: no totals or packet count in callgrind's annotation")
i = int(tot.group(1).replace(",", ""))
kind = "new-flows" if os.environ["NEW"] == "1" else "established"
if os.environ["REPLIES"] == "1":
    # Every reply, fast or not, goes through nat_reply() (worker_conn.c),
    # which counts it in one instruction (MARK_REPLY, an add to memory), and
    # the input holds one reply a forward frame: its count is half the
    # packets. (MARK inside fast_reply() may share its load with the length
    # test before it: not a count there.)
    r = mark("worker_conn.c", os.environ["MARK_REPLY"])
    if not r or not r <= p <= 2.01 * r:
        sys.exit("instr_count: %d replies for %d forward packets" % (r, p))
    p = 2 * r
    kind += ", half of them replies"
if os.environ["SCOPE"] == "worker_main":
    kind += ", whole worker loop"
print("%s %s: %.1f instructions/packet (%d packets, %d instructions)"
      % (os.environ["MODE"].upper(), kind, i / p, p, i))
EOF
