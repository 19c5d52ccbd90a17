#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Two vipd builds against each other, at the same time: the A/B comparison
# for changes worth a few per cent, which bench/dr_bench.sh's alternating
# runs cannot resolve on a shared machine (its rate swings by 10-30 % from
# one minute to the next; see docs/PERFORMANCE.md, 2026-12-03, third round).
#
# Each round starts A and B together on the same input (net_pcap replaying
# FLOWS 64-byte UDP flows with infinite_rx -> one worker -> net_null, the
# mode's bench/vipd-MODE.conf.in, as dr_bench.sh's established benchmark),
# A's worker on one CPU and B's on the other (each process's main lcore on
# the other's worker CPU: it only sleeps in its event loop), samples both
# output ports over the same SECS seconds and prints B/A. Rounds alternate the
# CPUs, so a faster core favours neither; the result is the median of the
# rounds' B/A. Both share the L3 cache and memory, so rates are not those
# of a lone vipd; the ratio is what this is for. Not a target measurement:
# issue 3's ratios against testpmd come from dr_bench.sh.
#
#   A against itself gives the noise: on the 2026-12-03 machine, rounds
#   spread 0.93-1.05 with medians of 8 rounds within 2 %. On another host
#   (docs/PERFORMANCE.md, ninth round) it gave 0.9125, every round 0.88-0.93:
#   where each process's memory lands decides its rate for its whole life.
#   Run A against A first; if it is off 1, repeat A/B with fresh processes
#   (bench/ab_pairs.sh runs a series of them, roles in the order A B B A:
#   a single run's second process wins or loses by 7-11 % depending on
#   the run before it, docs/PERFORMANCE.md, twelfth round).
#
# --interleave: A and B each alone on the CPUs, as dr_bench.sh runs vipd,
# but both started once and taking turns (SIGSTOP/SIGCONT): each round
# measures one SECS window of each, back to back, A first in odd rounds and
# B first in even ones, 0.5 s after each is continued. Nothing shares the
# caches with the measured process; the host's load is what the two windows
# of a round share. For changes whose effect may come from the caches
# (prefetch hints, layouts), which the concurrent rounds blur.
#
# --replies (NAT): the input of dr_bench.sh --replies, each flow's frame
# and then its reply (half the packets replies); both ports' sent packets
# are counted.
#
# usage: bench/ab_bench.sh A B [--mode dr|nat|tun] [--flows N] [--rounds R]
#                              [--seconds S] [--interleave] [--replies]
#   A, B       vipd binaries (e.g. build/vipd and another build directory's)
#   --rounds   rounds (default 8, even: each CPU assignment as often)
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
PY=/usr/bin/python3
MODE=nat
FLOWS=100000
ROUNDS=8
SECS=6
WARMUP=2
INTERLEAVE=0
REPLIES=0
DST_MAC=02:70:63:61:70:00 # net_pcap's MAC for its first port

die() { echo "ab_bench: $*" >&2; exit 1; }

[ $# -ge 2 ] || { sed -n '3,42p' "$0"; exit 2; }
A=$1 B=$2
shift 2
while [ $# -gt 0 ]; do
	case $1 in
	--mode) MODE=$2; shift 2 ;;
	--flows) FLOWS=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--seconds) SECS=$2; shift 2 ;;
	--interleave) INTERLEAVE=1; shift ;;
	--replies) REPLIES=1; shift ;;
	*) die "unknown argument $1" ;;
	esac
done
case $MODE in dr|nat|tun) ;; *) die "--mode is dr, nat or tun" ;; esac
[ "$REPLIES" = 0 ] || [ "$MODE" = nat ] || die "--replies is for --mode nat"
[ -x "$A" ] && [ -x "$B" ] || die "A and B must be vipd binaries"
[[ $FLOWS =~ ^[0-9]+$ ]] && [ "$FLOWS" -ge 1 ] && [ "$FLOWS" -le 1000000 ] ||
	die "--flows must be 1..1000000"
[[ $ROUNDS =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 1 ] || die "--rounds must be a number"

WORK=$(mktemp -d /tmp/vipd-ab.XXXXXX)
PIDS=()
PREFIXES=()
HP_ORIG=""
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -CONT "$p" 2>/dev/null # --interleave: it may be stopped
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for p in "${PREFIXES[@]}"; do rm -rf "/var/run/dpdk/$p"; done
	[ -n "$HP_ORIG" ] && echo "$HP_ORIG" > /proc/sys/vm/nr_hugepages 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- input and configuration, as dr_bench.sh's established benchmark -------
need=$((FLOWS * (1 + REPLIES) + 16384))
MBUFS=1
while [ "$MBUFS" -lt "$need" ]; do MBUFS=$((MBUFS * 2 + 1)); done
REP=()
# The configuration's real servers, in rr's order.
[ "$REPLIES" = 1 ] && REP=(--replies-conf "$BENCH/vipd-nat.conf.in")
"$PY" "$BENCH/gen_pcap.py" -o "$WORK/flows.pcap" -n "$FLOWS" --dst-mac "$DST_MAC" "${REP[@]}" >/dev/null ||
	die "gen_pcap.py failed"
CONF=$WORK/vipd-$MODE.conf
B_PCAP=$WORK/flows.pcap B_MBUFS=$MBUFS B_SESSIONS=1048576 B_FILL_PORT="" "$PY" -c '
import os, sys
s = open(sys.argv[1]).read()
for k in ("PCAP", "MBUFS", "SESSIONS", "FILL_PORT"):
    s = s.replace("@%s@" % k, os.environ["B_" + k])
open(sys.argv[2], "w").write(s)' "$BENCH/vipd-$MODE.conf.in" "$CONF" || die "cannot write $CONF"
"$A" --check -f "$CONF" >/dev/null || die "$CONF does not validate"

# --- memory: two processes' worth of hugepages -----------------------------
# Each: the mbufs (~2.4 KB each), the 1M-session table (~100 MB) and ~100 MB.
need_mb=$((2 * (MBUFS * 2432 / 1048576 + 200)))
hp_kb=$(awk '/^Hugepagesize/ {print $2}' /proc/meminfo)
free_mb=$(($(awk '/^HugePages_Free/ {print $2}' /proc/meminfo) * hp_kb / 1024))
if [ "$free_mb" -lt "$need_mb" ]; then
	HP_ORIG=$(cat /proc/sys/vm/nr_hugepages)
	echo $((HP_ORIG + (need_mb - free_mb) * 1024 / hp_kb + 16)) > /proc/sys/vm/nr_hugepages ||
		die "cannot reserve hugepages"
	free_mb=$(($(awk '/^HugePages_Free/ {print $2}' /proc/meminfo) * hp_kb / 1024))
	[ "$free_mb" -ge "$need_mb" ] || die "only $free_mb MB of hugepages free, $need_mb needed"
fi
grep -q '^[^ ]* /dev/hugepages hugetlbfs' /proc/mounts || die "no hugetlbfs at /dev/hugepages"
read -r CPU0 CPU1 < <("$PY" -c 'import os; c = sorted(os.sched_getaffinity(0)); print(c[0], c[1] if len(c) > 1 else "")')
[ -n "$CPU1" ] || die "needs two CPUs"

# start BIN PREFIX MAIN_CPU WORKER_CPU: PID in PID.
start() {
	PREFIXES+=("$2")
	"$1" -f "$CONF" -- --lcores "0@$3,1@$4" --no-pci --in-memory --file-prefix="$2" \
		</dev/null >"$WORK/$2.log" 2>&1 &
	PID=$!
	PIDS+=("$PID")
}
ready() { # PID PREFIX
	for _ in $(seq 1 300); do
		kill -0 "$1" 2>/dev/null || { tail -5 "$WORK/$2.log" >&2; return 1; }
		grep -q '^vipd: ready' "$WORK/$2.log" && [ -S "/var/run/dpdk/$2/dpdk_telemetry.v2" ] &&
			return 0
		sleep 0.1
	done
	return 1
}
stop() { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; rm -rf "/var/run/dpdk/$2"; }

# pair A_JSON B_JSON: "A_Mpps B_Mpps B/A" from two tel_sample.py outputs.
pair() {
	"$PY" - "$1" "$2" <<'EOF'
import json, sys
def pps(f):
    d = json.load(open(f))
    ports = [k for k in d["t1"] if k.startswith("/ethdev/stats,")]
    return sum(d["t1"][k]["opackets"] - d["t0"][k]["opackets"] for k in ports) / d["elapsed"]
a, b = pps(sys.argv[1]), pps(sys.argv[2])
print("%.2f %.2f %.3f" % (a / 1e6, b / 1e6, b / a if a else 0))
EOF
}
sample() { # PREFIX OUT
	# Port 0's replies (--replies) leave through it; otherwise it sends nothing.
	"$PY" "$BENCH/tel_sample.py" "/var/run/dpdk/$1/dpdk_telemetry.v2" "$SECS" \
		/ethdev/stats,0 /ethdev/stats,1 >"$2"
}

ratios=()
if [ "$INTERLEAVE" = 1 ]; then
	echo "ab_bench: $MODE, $FLOWS flows, $ROUNDS interleaved rounds of ${SECS} s; A=$A B=$B"
	pa_=ab$$ai pb_=ab$$bi
	# Main lcore on the first CPU, worker on the second, as dr_bench.sh.
	start "$A" "$pa_" "$CPU0" "$CPU1"; pa=$PID
	ready "$pa" "$pa_" || die "A did not start"
	kill -STOP "$pa"
	start "$B" "$pb_" "$CPU0" "$CPU1"; pb=$PID
	ready "$pb" "$pb_" || die "B did not start"
	sleep "$WARMUP"
	kill -STOP "$pb"
	kill -CONT "$pa"
	sleep "$WARMUP"
	kill -STOP "$pa"
	# turn PID PREFIX OUT: one window of a stopped process.
	turn() { kill -CONT "$1"; sleep 0.5; sample "$2" "$3"; local rc=$?; kill -STOP "$1"; return $rc; }
	for r in $(seq 1 "$ROUNDS"); do
		if [ $((r % 2)) = 1 ]; then
			turn "$pa" "$pa_" "$WORK/a$r.json" && turn "$pb" "$pb_" "$WORK/b$r.json"
		else
			turn "$pb" "$pb_" "$WORK/b$r.json" && turn "$pa" "$pa_" "$WORK/a$r.json"
		fi || die "round $r: no sample"
		read -r ma mb ra <<<"$(pair "$WORK/a$r.json" "$WORK/b$r.json")" || die "round $r: no sample"
		echo "round $r: A $ma Mpps | B $mb Mpps | B/A $ra"
		ratios+=("$ra")
	done
	kill -CONT "$pa" "$pb"
	stop "$pa" "$pa_"
	stop "$pb" "$pb_"
else
	echo "ab_bench: $MODE, $FLOWS flows, $ROUNDS rounds of ${SECS} s; A=$A B=$B"
	for r in $(seq 1 "$ROUNDS"); do
		if [ $((r % 2)) = 1 ]; then wa=$CPU1 wb=$CPU0; else wa=$CPU0 wb=$CPU1; fi
		pa_=ab$$a$r pb_=ab$$b$r
		start "$A" "$pa_" "$wb" "$wa"; pa=$PID
		start "$B" "$pb_" "$wa" "$wb"; pb=$PID
		ready "$pa" "$pa_" && ready "$pb" "$pb_" || die "round $r: a vipd did not start"
		sleep "$WARMUP"
		# Both sampled over the same window, on one connection each.
		sample "$pa_" "$WORK/a$r.json" &
		sa=$!
		sample "$pb_" "$WORK/b$r.json" &
		sb=$!
		wait "$sa" "$sb"
		stop "$pa" "$pa_"
		stop "$pb" "$pb_"
		read -r ma mb ra <<<"$(pair "$WORK/a$r.json" "$WORK/b$r.json")" || die "round $r: no sample"
		echo "round $r: A $ma Mpps (worker cpu $wa) | B $mb Mpps (worker cpu $wb) | B/A $ra"
		ratios+=("$ra")
	done
fi
med=$(printf '%s\n' "${ratios[@]}" | sort -n |
	awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
echo "B/A: ${ratios[*]}; median $med"
