#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Forwarding benchmark: vipd on one worker lcore against dpdk-testpmd io
# forwarding, on the same input, in the same run (named for its first mode, DR).
#
#   input  net_pcap0,rx_pcap=FLOWS.pcap,infinite_rx=1  (64-byte UDP frames, one
#          per flow, replayed forever from memory: no network traffic at all)
#   output net_null0,no-rx=1                            (frees what it is sent)
#
# Each run starts testpmd, then vipd (bench/vipd-MODE.conf.in), each alone on
# the first two CPUs this shell may use (main/control lcore on the first, the
# one forwarding lcore on the second), waits WARMUP seconds, then reads the output port's
# transmitted packets through the process's DPDK telemetry socket twice,
# SECONDS apart (bench/tel_sample.py). vipd's rate is its own /vipd/stats
# tx_pkts, cross-checked with the null port's opackets. Runs alternate
# testpmd, vipd, testpmd, vipd...; the result is the median of the per-run
# vipd/testpmd ratios.
#
# --new-flows: every packet of vipd's first pass through the pcap is a new
# flow (default 2,000,000 frames). vipd is watched from before its worker
# starts (bench/tel_watch.py, every 5 ms): the new-session rate is the slope of
# /vipd/stats sessions (and /vipd/services conns) between 10 % and 90 % of the
# first pass, before the replay wraps. testpmd io on the same pcap, read
# every 5 ms too; both rates are medians over 25 ms slices (bench/nf_rate.py).
#
# --sessions N: packet rate with N live sessions against the rate with FLOWS,
# vipd only (no testpmd). Each run: (b) the mode's config as above, FLOWS
# sessions in the default 1M table; (e) a table of capacity >= N, FLOWS
# sessions; (f) the same table filled first with N - FLOWS other flows, played
# once through a third port (net_pcap1,rx_pcap= without infinite_rx), then
# measured on the same FLOWS-flow input. Ratios f/e and f/b; memory from
# sess_mem_size() (bench/sess_mem.c) and the process's HugetlbPages.
#
# --replies (NAT): the packet rate as above, on a pcap of each flow's frame
# and then each flow's reply from its real server (bench/gen_pcap.py
# --replies: the four servers of bench/vipd-nat.conf.in in rr order), 2 x
# FLOWS frames: half the packets go through the reply path (the source
# rewritten back to the VIP's, the frame sent out of the port its client's
# came in on: here the pcap port itself, whose tx drops them, where the
# forward half goes to net_null). testpmd io on the same pcap.
#
# --interleave: the packet rate as above, but testpmd and vipd both stay
# started and take turns (SIGSTOP/SIGCONT): each of R rounds measures one
# window of each, back to back, testpmd first in odd rounds and vipd first in
# even ones; the result is the median of the rounds' ratios. The host's
# other load changes testpmd io's rate by up to 2x from one minute to the
# next (vipd's much less): with both measured within seconds of each other,
# a round's ratio compares them under the same conditions. Both processes'
# memory stays allocated (hugepages for two); each window starts 0.5 s
# after its process is continued.
#
# Builds nothing but bench/sess_mem.c (--sessions) and, with --aged,
# build-aged/vipd; needs build/vipd and
# build/vipctl (meson setup build && ninja -C build). Exits non-zero only when
# it could not measure, never for a missed target. About 30 s per run with
# the defaults (3 runs: ~90 s); --new-flows ~40 s, --sessions ~60 s per run.
# Hugepages: reserves more (nr_hugepages) when a run needs more than are
# free, and puts the old count back at exit.
#
# usage: bench/dr_bench.sh [--mode dr|nat|tun] [--new-flows | --sessions N]
#                          [--flows N] [--seconds S] [--runs R] [--warmup W]
#                          [--dst-mac MAC] [--no-huge] [--aged] [--interleave]
#                          [--vipd-first] [--table N] [--replies] [--keep DIR]
#   --mode M     forwarding method: dr (default), nat (real servers on another
#                port), tun (IPIP); config bench/vipd-M.conf.in
#   --new-flows  new sessions per second (see above); --flows is then the
#                number of frames, all distinct flows (default 2000000)
#   --sessions N live sessions in the table during the measurement (10000000
#                for issue 3); N - FLOWS of them come from the fill pcap
#   --flows N    distinct flows = frames in the pcap (default 100000)
#   --seconds S  measured window per process and run (default 10)
#   --runs R     testpmd/vipd pairs (default 3); --warmup W seconds (default 3)
#   --interleave both processes at once, taking turns (see above): R rounds
#                of S seconds each (e.g. --runs 10 --seconds 3)
#   --vipd-first with --interleave: start vipd before testpmd (testpmd is
#                started first otherwise). Which of two processes started
#                one after the other runs faster can depend on the order
#                (docs/PERFORMANCE.md, twelfth round): series in both orders
#                show whether it does for this pair.
#   --dst-mac    the frames' Ethernet destination (default: net_pcap's MAC)
#   --no-huge    use --no-huge -m 2048 (or more) even when hugepages are available
#   --aged       vipd's free session slots in random order, as in a director
#                that has run for a while (a fresh table hands out slots in
#                address order, which flatters it): uses build-aged/vipd,
#                built with -DSESS_SHUFFLE_FREE (meson and ninja, first time)
#   --table N    the session table's capacity (default 1048576; --new-flows:
#                the frames' count, rounded up to whole MiB of sessions)
#   --replies    NAT: half the frames are the flows' replies (see above)
#   --keep DIR   copy the logs, pcap, config and telemetry samples to DIR
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
VIPD=${VIPD:-$ROOT/build/vipd}
VIPCTL=${VIPCTL:-$ROOT/build/vipctl}
TESTPMD=${TESTPMD:-dpdk-testpmd}
PY=/usr/bin/python3
FLOWS=""
SECS=10
RUNS=3
WARMUP=3
# net_pcap's MAC in DPDK 22.11 is fixed: 02:70:63:61:70 ("\x02pcap") and the
# pcap device's index (0). vipd's log line for the port confirms it each run.
DST_MAC=02:70:63:61:70:00
# --sessions: the fill port is the process's second pcap device.
FILL_MAC=02:70:63:61:70:01
KEEP=""
NO_HUGE=0
AGED=0
MODE=dr
NEW_FLOWS=0
SESSIONS=0
INTERLEAVE=0
VIPD_FIRST=0
TABLE=""
REPLIES=0
TARGET=0.50

die() { echo "dr_bench: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case "$1" in
	--mode) MODE=${2,,}; shift 2 ;;
	--new-flows) NEW_FLOWS=1; shift ;;
	--sessions) SESSIONS=$2; shift 2 ;;
	--flows) FLOWS=$2; shift 2 ;;
	--seconds) SECS=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--warmup) WARMUP=$2; shift 2 ;;
	--dst-mac) DST_MAC=$2; shift 2 ;;
	--keep) KEEP=$2; shift 2 ;;
	--no-huge) NO_HUGE=1; shift ;;
	--aged) AGED=1; shift ;;
	--interleave) INTERLEAVE=1; shift ;;
	--vipd-first) VIPD_FIRST=1; shift ;;
	--table) TABLE=$2; shift 2 ;;
	--replies) REPLIES=1; shift ;;
	-h|--help) awk 'NR >= 3 && /^#/ { sub(/^# ?/, ""); print; next } NR >= 3 { exit }' "$0"; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done
case "$MODE" in
dr|nat|tun) ;;
*) die "--mode must be dr, nat or tun" ;;
esac
MODE_UC=${MODE^^}
[ -f "$BENCH/vipd-$MODE.conf.in" ] || die "$BENCH/vipd-$MODE.conf.in missing"
[[ $SESSIONS =~ ^[0-9]+$ ]] || die "--sessions must be a number"
if [ "$REPLIES" = 1 ]; then
	[ "$MODE" = nat ] || die "--replies is for --mode nat"
	[ "$NEW_FLOWS" = 0 ] && [ "$SESSIONS" = 0 ] || die "--replies is for the packet rate only"
fi
[ "$NEW_FLOWS" = 1 ] && [ "$SESSIONS" != 0 ] && die "--new-flows and --sessions are separate benchmarks"
[ "$VIPD_FIRST" = 1 ] && [ "$INTERLEAVE" = 0 ] && die "--vipd-first is for --interleave"
[ "$INTERLEAVE" = 1 ] && { [ "$NEW_FLOWS" = 1 ] || [ "$SESSIONS" != 0 ]; } &&
	die "--interleave is for the packet rate only (not --new-flows or --sessions)"
if [ -z "$FLOWS" ]; then
	FLOWS=100000
	[ "$NEW_FLOWS" = 1 ] && FLOWS=2000000
fi
[[ $FLOWS =~ ^[0-9]+$ ]] || die "--flows must be a number"
if [ "$NEW_FLOWS" = 1 ]; then
	[ "$FLOWS" -ge 100000 ] && [ "$FLOWS" -le 8000000 ] ||
		die "--flows must be 100000..8000000 with --new-flows (each frame holds an mbuf: ~2.4 KB)"
else
	[ "$FLOWS" -ge 1 ] && [ "$FLOWS" -le 1000000 ] ||
		die "--flows must be 1..1000000 (the config holds 1048576 sessions)"
fi
if [ "$SESSIONS" != 0 ]; then
	[ "$SESSIONS" -gt "$FLOWS" ] && [ "$SESSIONS" -le 100000000 ] ||
		die "--sessions must be more than --flows ($FLOWS) and at most 100000000"
fi
[[ $SECS =~ ^[0-9]+$ ]] && [ "$SECS" -ge 1 ] || die "--seconds must be a positive integer"
[[ $RUNS =~ ^[0-9]+$ ]] && [ "$RUNS" -ge 1 ] || die "--runs must be a positive integer"
[[ $WARMUP =~ ^[0-9]+$ ]] || die "--warmup must be an integer"
[ "$(id -u)" = 0 ] || die "needs root (DPDK, hugepages)"
if [ "$AGED" = 1 ]; then
	# A build whose free session slots start in random order (sess.c,
	# SESS_SHUFFLE_FREE), as a long-running director's is; made once.
	if [ ! -f "$ROOT/build-aged/build.ninja" ]; then
		meson setup "$ROOT/build-aged" "$ROOT" --buildtype=debugoptimized \
			-Dc_args=-DSESS_SHUFFLE_FREE=1 >/dev/null || die "meson setup build-aged failed"
	fi
	ninja -C "$ROOT/build-aged" vipd >/dev/null || die "ninja -C build-aged failed"
	VIPD=$ROOT/build-aged/vipd
fi
[ -x "$VIPD" ] && [ -x "$VIPCTL" ] ||
	die "$VIPD or $VIPCTL missing: build first (meson setup build && ninja -C build)"
if [ "$SESSIONS" = 0 ]; then
	command -v "$TESTPMD" >/dev/null || die "dpdk-testpmd missing (Debian package 'dpdk')"
fi
[ -x "$PY" ] || die "$PY missing"

WORK=$(mktemp -d /tmp/vipd-bench.XXXXXX)
PREFIXES=()
PIDS=()
HP_ORIG=""
HP_SET=""

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		if kill -0 "$p" 2>/dev/null; then
			kill -CONT "$p" 2>/dev/null # --interleave: it may be stopped
			kill -TERM "$p" 2>/dev/null
			for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
			kill -KILL "$p" 2>/dev/null
			wait "$p" 2>/dev/null
		fi
	done
	for p in "${PREFIXES[@]}"; do
		rm -rf "/var/run/dpdk/$p"
		# --in-memory leaves no hugepage files; a run without it would.
		rm -f /dev/hugepages/"$p"map_* 2>/dev/null
	done
	# Give back the hugepages this run reserved, unless someone changed the
	# count since (pages still in use stay as surplus until freed).
	if [ -n "$HP_ORIG" ] && [ "$(cat /proc/sys/vm/nr_hugepages)" = "$HP_SET" ]; then
		echo "$HP_ORIG" > /proc/sys/vm/nr_hugepages 2>/dev/null
	fi
	if [ -n "$KEEP" ]; then
		mkdir -p "$KEEP" && cp -a "$WORK"/. "$KEEP"/
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- session table sizes ----------------------------------------------------
# --new-flows: room for every frame's session; --sessions: for N. Whole MiB of
# sessions with at least 3 % to spare (10M -> 10485760).
round_cap() {
	local want=$(($1 + $1 / 32)) c=1048576
	while [ "$c" -lt "$want" ]; do c=$((c + 1048576)); done
	echo "$c"
}
CAP=1048576
[ "$NEW_FLOWS" = 1 ] && CAP=$(round_cap "$FLOWS")
if [ -n "$TABLE" ]; then
	[[ $TABLE =~ ^[0-9]+$ ]] && [ "$TABLE" -ge 1024 ] || die "--table must be a number >= 1024"
	[ "$SESSIONS" = 0 ] || die "--table is for the packet rate and --new-flows (--sessions sizes its own)"
	CAP=$TABLE
fi
BIGCAP=0
SESS_MEM=""
if [ "$SESSIONS" != 0 ]; then
	BIGCAP=$(round_cap "$SESSIONS")
	command -v cc >/dev/null || die "cc missing (bench/sess_mem.c)"
	cc -std=gnu11 -O2 -I"$ROOT" -o "$WORK/sess_mem" "$BENCH/sess_mem.c" \
		"$ROOT/dataplane/sess.c" || die "bench/sess_mem.c does not build"
	SESS_MEM=$("$WORK/sess_mem" "$BIGCAP" "$SESSIONS") || die "sess_mem failed"
fi
# Bytes of a table of $1 sessions (sess_mem_size when it is at hand, else the
# layout of dataplane/sess.h: 56-byte sessions, 64-byte buckets of 8).
table_mb() {
	if [ -x "$WORK/sess_mem" ]; then
		"$WORK/sess_mem" "$1" | sed -n 's/.*\bbytes=\([0-9]*\).*/\1/p' |
			awk '{ printf "%d", $1 / 1048576 + 1 }'
	else
		awk -v c="$1" 'BEGIN { b = 1; while (b < c * 3 / 8) b *= 2; printf "%d", (c * 56 + b * 64) / 1048576 + 1 }'
	fi
}

# --- memory: hugepages if they can be had, else --no-huge -------------------
# Pool size: the frames net_pcap's infinite_rx holds (one mbuf each) plus the
# rings, caches and bursts in flight, as 2^k - 1 (the mempool's best size),
# unless that would double a pool of millions (--new-flows): then exactly.
need=$((FLOWS * (1 + REPLIES) + 16384))
MBUFS=1
while [ "$MBUFS" -lt "$need" ]; do MBUFS=$((MBUFS * 2 + 1)); done
[ "$MBUFS" -gt $((need + need / 2)) ] && MBUFS=$need
# Each mbuf takes ~2.3 KB with its headers (2.4 to be safe); vipd adds its
# session table and ~100 MB of the rest.
cap_mb=$(table_mb "$CAP")
[ "$BIGCAP" != 0 ] && cap_mb=$(table_mb "$BIGCAP")
need_mb=$((MBUFS * 2432 / 1048576 + cap_mb + 100))
# --interleave: testpmd's pool is allocated beside vipd's.
[ "$INTERLEAVE" = 1 ] && need_mb=$((need_mb + MBUFS * 2432 / 1048576 + 100))

if [ "$(cat /proc/sys/vm/nr_hugepages)" = 0 ]; then
	echo 512 > /proc/sys/vm/nr_hugepages 2>/dev/null
fi
if ! grep -q '^[^ ]* /dev/hugepages hugetlbfs' /proc/mounts; then
	mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null
fi
hp_size_kb=$(awk '/^Hugepagesize/ {print $2}' /proc/meminfo)
hp_free() { awk '/^HugePages_Free/ {print $2}' /proc/meminfo; }
# Too few free: reserve the difference (and 32 pages more) while at least 20 %
# of the available memory would stay free; cleanup() puts the count back.
HP_NOTE=""
if [ "$NO_HUGE" = 0 ]; then
	need_pages=$(((need_mb * 1024 + hp_size_kb - 1) / hp_size_kb))
	free_pages=$(hp_free)
	if [ "$free_pages" -lt "$need_pages" ]; then
		total=$(cat /proc/sys/vm/nr_hugepages)
		want=$((total + need_pages - free_pages + 32))
		avail_kb=$(awk '/^MemAvailable/ {print $2}' /proc/meminfo)
		if [ $(((want - total) * hp_size_kb)) -lt $((avail_kb * 8 / 10)) ]; then
			HP_ORIG=$total
			echo "$want" > /proc/sys/vm/nr_hugepages 2>/dev/null
			HP_SET=$(cat /proc/sys/vm/nr_hugepages)
			HP_NOTE=" (nr_hugepages raised $total -> $HP_SET for this run, restored at exit)"
		fi
	fi
fi
hp_free_n=$(hp_free)
hp_free_mb=$((hp_free_n * hp_size_kb / 1024))
MEM_ARGS=()
MEM_NOTE=""
if [ "$NO_HUGE" = 0 ] && [ "$hp_free_mb" -ge "$need_mb" ]; then
	MEM_ARGS=(--in-memory)
	MEM_NOTE="hugepages: ${hp_free_n} x ${hp_size_kb} kB free, --in-memory (each process needs ~${need_mb} MB)$HP_NOTE"
else
	m=2048
	[ "$need_mb" -gt 1792 ] && m=$((need_mb + 256))
	MEM_ARGS=(--no-huge -m "$m")
	MEM_NOTE="NO HUGEPAGES (${hp_free_mb} MB free, ~${need_mb} MB needed$([ "$NO_HUGE" = 1 ] && echo ', --no-huge asked')): --no-huge -m $m (4 KB pages): not comparable with hugepage runs"
fi
# The first two CPUs this shell may use: lcore 0 (main/control) on the first,
# lcore 1 (the forwarding lcore) on the second, for both processes alike.
read -r CPU0 CPU1 < <("$PY" -c 'import os; c = sorted(os.sched_getaffinity(0)); print(c[0], c[1] if len(c) > 1 else "")')
[ -n "$CPU1" ] || die "needs two CPUs (one for the forwarding lcore, one for the rest)"
EAL_CPU=(--lcores "0@$CPU0,1@$CPU1")
# The telemetry watcher (--new-flows, every 5 ms) stays off the worker's CPU.
ON_CPU0=()
command -v taskset >/dev/null && ON_CPU0=(taskset -c "$CPU0")

# --- input ---------------------------------------------------------------
PCAP=$WORK/flows.pcap
CONF=$WORK/vipd-$MODE.conf
FILL_PCAP=$WORK/fill.pcap
EMPTY_PCAP=$WORK/empty.pcap
CONF_EMPTY=$WORK/vipd-$MODE-cap-empty.conf
CONF_FULL=$WORK/vipd-$MODE-cap-full.conf
FILL=$((SESSIONS > FLOWS ? SESSIONS - FLOWS : 0))

SUBST_PY='
import os, sys
s = open(sys.argv[1]).read()
for k in ("PCAP", "MBUFS", "SESSIONS", "FILL_PORT"):
    s = s.replace("@%s@" % k, os.environ["B_" + k])
open(sys.argv[2], "w").write(s)
'
# make_conf OUT SESSIONS [FILL_PCAP]: the mode's template, filled in.
make_conf() {
	local out=$1 sessions=$2 fill=${3:-} port=""
	[ -n "$fill" ] && port=$(printf ',\n\t{\n\t\tname = "fill";\n\t\tdevice = "net_pcap1,rx_pcap=%s";\n\t\taddress = "10.2.0.1/24";\n\t\tkernel = false;\n\t}' "$fill")
	B_PCAP=$PCAP B_MBUFS=$MBUFS B_SESSIONS=$sessions B_FILL_PORT=$port \
		"$PY" -c "$SUBST_PY" "$BENCH/vipd-$MODE.conf.in" "$out" || die "cannot write $out"
	"$VIPD" --check -f "$out" >/dev/null || die "$out does not validate"
}
make_input() {
	local rep=()
	# The configuration's real servers, in its order (rr's).
	[ "$REPLIES" = 1 ] && rep=(--replies-conf "$BENCH/vipd-$MODE.conf.in")
	"$PY" "$BENCH/gen_pcap.py" -o "$PCAP" -n "$FLOWS" --dst-mac "$1" "${rep[@]}" ||
		die "gen_pcap.py failed"
	make_conf "$CONF" "$CAP"
	if [ "$SESSIONS" != 0 ]; then
		make_conf "$CONF_EMPTY" "$BIGCAP" "$EMPTY_PCAP"
		make_conf "$CONF_FULL" "$BIGCAP" "$FILL_PCAP"
	fi
}
# The fill flows are FLOWS .. SESSIONS - 1: none of them is one of the FLOWS
# flows of the measured input, so the table holds SESSIONS sessions in all.
make_fill() {
	"$PY" "$BENCH/gen_pcap.py" -o "$FILL_PCAP" -n "$FILL" --first "$FLOWS" --dst-mac "$1" ||
		die "gen_pcap.py (fill) failed"
	"$PY" "$BENCH/gen_pcap.py" -o "$EMPTY_PCAP" -n 0 --dst-mac "$1" ||
		die "gen_pcap.py (empty) failed"
}
[ "$SESSIONS" != 0 ] && make_fill "$FILL_MAC"
make_input "$DST_MAC"

REPLY_NOTE=""
[ "$REPLIES" = 1 ] && REPLY_NOTE=", then each flow's reply from its real server (2 x $FLOWS frames)"

# --- process control: bench/dr_bench_procs.sh -------------------------------
# shellcheck source=bench/dr_bench_procs.sh
. "$BENCH/dr_bench_procs.sh"

# --- report header ---------------------------------------------------------
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
dpdkv=$(pkg-config --modversion libdpdk 2>/dev/null || dpkg-query -W -f '${Version}' dpdk 2>/dev/null)
if [ "$NEW_FLOWS" = 1 ]; then
	echo "vipd $MODE_UC new-flow benchmark: $FLOWS frames of 64-byte UDP to 10.0.0.100:53, every one a distinct flow"
	echo "  net_pcap (infinite_rx) -> one forwarding lcore -> net_null; $RUNS runs: testpmd io ${SECS} s after ${WARMUP} s warm-up,"
	echo "  vipd: new sessions/s over 10-90 % of its first pass through the pcap; both read every 5 ms, rates = medians of 25 ms slices; table of $CAP sessions"
elif [ "$SESSIONS" != 0 ]; then
	echo "vipd $MODE_UC benchmark with $SESSIONS live sessions: $FLOWS flows of 64-byte UDP to 10.0.0.100:53 measured"
	echo "  net_pcap (infinite_rx) -> one forwarding lcore -> net_null; $RUNS runs x 3 vipd processes x ${SECS} s after ${WARMUP} s warm-up"
	echo "  (b) default table of $CAP sessions; (e) table of $BIGCAP, $FLOWS sessions; (f) table of $BIGCAP filled first with $FILL other flows (net_pcap1 plays them once)"
elif [ "$INTERLEAVE" = 1 ]; then
	echo "vipd $MODE_UC benchmark: $FLOWS flows of 64-byte UDP to 10.0.0.100:53$REPLY_NOTE"
	echo "  net_pcap (infinite_rx) -> one forwarding lcore -> net_null; testpmd and vipd both started, taking turns"
	echo "  (SIGSTOP/SIGCONT): $RUNS rounds of one ${SECS} s window each, 0.5 s after each is continued, testpmd first in odd rounds"
else
	echo "vipd $MODE_UC benchmark: $FLOWS flows of 64-byte UDP to 10.0.0.100:53$REPLY_NOTE"
	echo "  net_pcap (infinite_rx) -> one forwarding lcore -> net_null; $RUNS runs x ${SECS} s after ${WARMUP} s warm-up"
fi
echo "  cpu: $cpu, $(nproc) cpus (shared): main/control lcore on cpu $CPU0, forwarding lcore on cpu $CPU1; DPDK $dpdkv"
[ "$AGED" = 1 ] && echo "  aged session table: the free slots in random order ($VIPD, -DSESS_SHUFFLE_FREE)"
[ -n "$TABLE" ] && echo "  session table of $CAP sessions (--table; not the default 1048576)"
echo "  $MEM_NOTE; mbufs $MBUFS"
# The memory as a random lookup sees it (bench/cache_lap.c, 2 MB pages): on
# a guest whose host backs it with small pages, the latency of cached lines
# grows with their span whatever the guest's page size. That costs vipd's
# table lookups and not testpmd io (docs/PERFORMANCE.md, sixth round).
LAP=$ROOT/build/bench/cache_lap
if [ -x "$LAP" ]; then
	lap16() { "$LAP" --lines 20000 --span "$1" --steps 200000 2>/dev/null | awk '$1 == 16 {print $3}'; }
	near=$(lap16 4) far=$(lap16 256)
	[ -n "$near" ] && [ -n "$far" ] &&
		echo "  memory: 20k cached random lines, 16 loads in flight: $near ns each in a 4 MB span, $far ns in 256 MB (bench/cache_lap; about equal where the 2 MB pages reach the TLB)"
fi

ISSUE="issue 3"
[ "$MODE" = dr ] && ISSUE="issue 2"
bad=0

# --- --new-flows -------------------------------------------------------------
if [ "$NEW_FLOWS" = 1 ]; then
	TARGET=0.25
	ratios=()
	tps=()
	nps=()
	for i in $(seq 1 "$RUNS"); do
		pair_run "$i" run_vipd_new || { bad=1; continue; }
		t=$T
		v=$RESULT
		# Slice medians on both sides (bench/nf_rate.py); the window means
		# are printed beside them.
		tp=$(field eth_pps_med "$t")
		np=$(field new_per_s_med "$v")
		ratio=$(ratio_of "$np" "$tp")
		mratio=$(ratio_of "$(field new_per_s "$v")" "$(field eth_pps "$t")")
		ratios+=("$ratio")
		tps+=("$tp")
		nps+=("$np")
		printf 'run %d: testpmd io %5s Mpps (mean %s) | vipd %s new sessions %5s M/s (mean %s; conns %s M/s, rx %s Mpps, tx %s Mpps; %s s, %s sessions, %s slices) | ratio %s (means %s) | drops %s (%s)\n' \
			"$i" "$(mpps "$tp")" "$(mpps "$(field eth_pps "$t")")" "$MODE_UC" "$(mpps "$np")" \
			"$(mpps "$(field new_per_s "$v")")" "$(mpps "$(field conns_per_s "$v")")" \
			"$(mpps "$(field rx_pps "$v")")" "$(mpps "$(field tx_pps "$v")")" \
			"$(field window "$v")" "$(field window_sessions "$v")" "$(field slices "$v")" \
			"$ratio" "$mratio" "$(field drops "$v")" "$(field drop_reasons "$v")"
		# Packets received in the window that made neither a session nor a
		# drop: 0 give or take what the worker did while one telemetry answer
		# was being summed (rx_pkts is read before sessions); a replay that
		# wrapped inside the window would make it hundreds of thousands.
		old=$(field old_flow_pkts "$v")
		[ "${old#-}" -le 256 ] ||
			echo "  warning: $old packets in the window were not new sessions"
		[ "$(field slices "$v")" -ge 3 ] ||
			echo "  warning: the first pass was too short for 25 ms slices (window mean used): use more --flows"
		[ "$(field final_sessions "$v")" = "$FLOWS" ] ||
			echo "  warning: the table ended with $(field final_sessions "$v") sessions, expected $FLOWS"
	done
	[ ${#ratios[@]} -gt 0 ] || die "no run could be measured (logs: rerun with --keep DIR)"
	mr=$(median "${ratios[@]}")
	echo "median of ${#ratios[@]}: testpmd io $(mpps "$(median "${tps[@]}")") Mpps, vipd $MODE_UC $(mpps "$(median "${nps[@]}")") M new sessions/s, ratio vipd/testpmd $mr"
	echo "target (issue 3): new sessions/s on one worker >= $(pct "$TARGET")% of testpmd io: $(verdict "$mr" "$TARGET")"
	[ $bad = 0 ] || echo "warning: some runs could not be measured (see above)"
	exit 0
fi

# --- --sessions N ------------------------------------------------------------
if [ "$SESSIONS" != 0 ]; then
	TARGET=0.60
	echo "  session table (sess_mem_size, bench/sess_mem.c): $SESS_MEM"
	echo "  default table: $("$WORK/sess_mem" "$CAP" "$FLOWS")"
	rfe=()
	rfb=()
	rbs=()
	res=()
	rfs=()
	mems=()
	memb=()
	for i in $(seq 1 "$RUNS"); do
		ok=1
		for tag in base empty full; do
			case $tag in
			base) c=$CONF ;;
			empty) c=$CONF_EMPTY ;;
			full) c=$CONF_FULL ;;
			esac
			run_vipd "$i" "$c" "$tag"
			rc=$?
			if [ $rc = 2 ]; then
				remake_for "$RESULT"
				run_vipd "$i" "$c" "$tag"
				rc=$?
			fi
			[ $rc = 0 ] || { echo "run $i: vipd ($tag) could not be measured" >&2; ok=0; bad=1; break; }
			eval "R_$tag=\$RESULT; M_$tag=\$VMEM"
		done
		[ $ok = 1 ] || continue
		pb=$(field vipd_pps "$R_base")
		pe=$(field vipd_pps "$R_empty")
		pf=$(field vipd_pps "$R_full")
		a=$(ratio_of "$pf" "$pe")
		b=$(ratio_of "$pf" "$pb")
		rfe+=("$a")
		rfb+=("$b")
		rbs+=("$pb")
		res+=("$pe")
		rfs+=("$pf")
		hf=$(field HugetlbPages "$M_full")
		hf=${hf:-0}
		he=$(field HugetlbPages "$M_empty")
		he=${he:-0}
		hb=$(field HugetlbPages "$M_base")
		hb=${hb:-0}
		rss=$(field VmRSS "$M_full")
		rss=${rss:-0}
		mems+=("$hf")
		memb+=("$hb")
		printf 'run %d: (b) %s sessions, %s table %6s Mpps | (e) %s sessions, %s table %6s Mpps | (f) %s sessions %6s Mpps | f/e %s | f/b %s\n' \
			"$i" "$(field sessions "$R_base")" "$CAP" "$(mpps "$pb")" \
			"$(field sessions "$R_empty")" "$BIGCAP" "$(mpps "$pe")" \
			"$(field sessions "$R_full")" "$(mpps "$pf")" "$a" "$b"
		printf '  fill: %s | (f) drops %s (%s), new sessions in the window %s | hugepages of the process: (f) %s MiB, (e) %s MiB, (b) %s MiB; EAL heap (f) %s MiB, %s MiB allocated; VmRSS (f) %s MiB\n' \
			"$FILLRES" "$(field drops "$R_full")" "$(field drop_reasons "$R_full")" \
			"$(field new_sessions "$R_full")" \
			$((hf / 1024)) $((he / 1024)) $((hb / 1024)) \
			"$(awk -v v="$(field heap_mib "$R_full")" 'BEGIN { printf "%.0f", v }')" \
			"$(awk -v v="$(field heap_alloc_mib "$R_full")" 'BEGIN { printf "%.0f", v }')" \
			$((rss / 1024))
		[ "$(field sessions "$R_full")" -ge "$SESSIONS" ] 2>/dev/null ||
			echo "  warning: (f) had $(field sessions "$R_full") live sessions, expected $SESSIONS"
		fs=$(field fill_s "$FILLRES")
		awk -v f="${fs:-0}" -v w="$WARMUP" -v s="$SECS" 'BEGIN { exit !(f + w + s > 40) }' &&
			echo "  warning: the window ended > 40 s after the fill began: the timer wheel's first visit of the filled sessions (44 s after, with udp_timeout 300) may be in it"
	done
	[ ${#rfe[@]} -gt 0 ] || die "no run could be measured (logs: rerun with --keep DIR)"
	me=$(median "${rfe[@]}")
	mb=$(median "${rfb[@]}")
	echo "median of ${#rfe[@]}: (b) $(mpps "$(median "${rbs[@]}")") Mpps, (e) $(mpps "$(median "${res[@]}")") Mpps, (f) $(mpps "$(median "${rfs[@]}")") Mpps; ratio f/e $me, f/b $mb"
	lo=$(printf '%s\n' "$me" "$mb" | sort -g | head -1)
	echo "target (issue 3): rate with $SESSIONS sessions >= $(pct "$TARGET")% of the rate with $FLOWS: $(verdict "$lo" "$TARGET") (f/e $me, f/b $mb)"
	tb=$(field bytes "$SESS_MEM")
	pl=$(field per_live "$SESS_MEM")
	hm=$(median "${mems[@]}")
	hbm=$(median "${memb[@]}")
	m1=$(awk -v b="$tb" 'BEGIN { exit !(b < 1.5 * 1073741824) }' && echo met || echo "NOT met")
	m2=$(awk -v p="$pl" 'BEGIN { exit !(p <= 128) }' && echo met || echo "NOT met")
	echo "memory: session table for $BIGCAP sessions $(awk -v b="$tb" 'BEGIN { printf "%.1f MiB = %.3f GiB", b / 1048576, b / 1073741824 }') = $(field per_live "$SESS_MEM") bytes per live session ($(field per_slot "$SESS_MEM") per slot) with the index;"
	echo "  the process's hugepages (median): $((hm / 1024)) MiB with that table, $((hbm / 1024)) MiB with the default one (+$(((hm - hbm) / 1024)) MiB; the rest is the mbuf pool of $MBUFS and vipd's other tables)"
	note=""
	[ "$SESSIONS" -ge 10000000 ] || note=" (issue 3 sets them for 10000000 sessions)"
	echo "target (issue 3): $SESSIONS sessions in under 1.5 GiB: $m1; <= 128 bytes per session including the index: $m2$note"
	[ $bad = 0 ] || echo "warning: some runs could not be measured (see above)"
	exit 0
fi

# --- packet rate (default) ------------------------------------------------
ratios=()
tps=()
vps=()
# record_run I T V: one pair's line, from testpmd's and vipd's RATE_PY lines.
record_run() {
	local i=$1 t=$2 v=$3
	local tp vp ve sess drops reasons ratio
	tp=$(field eth_pps "$t")
	vp=$(field vipd_pps "$v")
	ve=$(field eth_pps "$v")
	sess=$(field sessions "$v")
	drops=$(field drops "$v")
	reasons=$(field drop_reasons "$v")
	ratio=$(ratio_of "$vp" "$tp")
	ratios+=("$ratio")
	tps+=("$tp")
	vps+=("$vp")
	printf '%s %d: testpmd io %7s Mpps | vipd %s %7s Mpps (null port %s Mpps) | ratio %s | sessions %s | drops %s (%s)\n' \
		"$([ "$INTERLEAVE" = 1 ] && echo round || echo run)" "$i" "$(mpps "$tp")" "$MODE_UC" \
		"$(mpps "$vp")" "$(mpps "$ve")" "$ratio" "$sess" "$drops" "$reasons"
	[ "$sess" = "$FLOWS" ] || echo "  warning: $sess live sessions, expected $FLOWS"
	[ "$drops" = 0 ] || echo "  warning: vipd dropped packets during the window"
}

# window PID PREFIX OUT CMD...: continue a stopped process, sample it over
# SECS, stop it again.
window() {
	local pid=$1 prefix=$2 out=$3
	shift 3
	kill -CONT "$pid" || return 1
	nap 0.5
	sample "$out" "$prefix" "$@" 2>>"$WORK/interleave.log"
	local rc=$?
	kill -STOP "$pid"
	return $rc
}

if [ "$INTERLEAVE" = 1 ]; then
	tpre="vipd-bench-$$-tpi" vpre="vipd-bench-$$-vdi"
	start_i_vipd() {
		start_vipd "$vpre" "$WORK/vipd-i.log" "$CONF" || die "vipd did not start"
		vpid=$PID
	}
	for attempt in 1 2; do
		# testpmd is left stopped, vipd running (its first pass comes next).
		[ "$VIPD_FIRST" = 1 ] && { start_i_vipd; kill -STOP "$vpid"; }
		start_testpmd "$tpre" "$WORK/testpmd-i.log" || die "testpmd did not start"
		tpid=$PID
		kill -STOP "$tpid"
		if [ "$VIPD_FIRST" = 1 ]; then kill -CONT "$vpid"; else start_i_vipd; fi
		mac_ok "$WORK/vipd-i.log" in "$DST_MAC" && break
		[ "$attempt" = 1 ] || die "the in port's MAC is still not the frames' ($RESULT)"
		kill -CONT "$tpid"
		stop_proc "$tpid" "$tpre"
		stop_proc "$vpid" "$vpre"
		remake_for "$RESULT"
	done
	nap "$WARMUP" # vipd's first pass through the pcap makes its sessions
	kill -STOP "$vpid"
	for i in $(seq 1 "$RUNS"); do
		tw=(window "$tpid" "$tpre" "$WORK/tp-$i.json" /ethdev/stats,0 /ethdev/stats,1)
		vw=(window "$vpid" "$vpre" "$WORK/vd-$i.json" /ethdev/stats,0 /ethdev/stats,1 /vipd/stats)
		if [ $((i % 2)) = 1 ]; then
			"${tw[@]}" && "${vw[@]}"
		else
			"${vw[@]}" && "${tw[@]}"
		fi || { echo "round $i: could not be measured" >&2; bad=1; continue; }
		record_run "$i" "$("$PY" -c "$RATE_PY" "$WORK/tp-$i.json")" \
			"$("$PY" -c "$RATE_PY" "$WORK/vd-$i.json")"
	done
	kill -CONT "$tpid" "$vpid"
	"$VIPCTL" -p "$vpre" stats > "$WORK/vipctl-stats-i.txt" 2>&1
	stop_proc "$tpid" "$tpre"
	stop_proc "$vpid" "$vpre"
else
	for i in $(seq 1 "$RUNS"); do
		pair_run "$i" run_vipd || { bad=1; continue; }
		record_run "$i" "$T" "$RESULT"
	done
fi

[ ${#ratios[@]} -gt 0 ] || die "no run could be measured (logs: rerun with --keep DIR)"

mr=$(median "${ratios[@]}")
mt=$(median "${tps[@]}")
mv=$(median "${vps[@]}")
how=""
[ "$INTERLEAVE" = 1 ] && how=" (interleaved rounds)"
echo "median of ${#ratios[@]}$how: testpmd io $(mpps "$mt") Mpps, vipd $MODE_UC $(mpps "$mv") Mpps, ratio vipd/testpmd $mr"
echo "target ($ISSUE): vipd $MODE_UC >= $(pct "$TARGET")% of testpmd io with $FLOWS active flows: $(verdict "$mr" "$TARGET")"
[ $bad = 0 ] || echo "warning: some runs could not be measured (see above)"
exit 0
