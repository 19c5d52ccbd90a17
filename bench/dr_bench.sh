#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# DR forwarding benchmark: vipd on one worker lcore against dpdk-testpmd io
# forwarding, on the same input, in the same run.
#
#   input  net_pcap0,rx_pcap=FLOWS.pcap,infinite_rx=1  (64-byte UDP frames, one
#          per flow, replayed forever from memory: no network traffic at all)
#   output net_null0,no-rx=1                            (frees what it is sent)
#
# Each run starts testpmd, then vipd (bench/vipd-dr.conf.in), each alone on
# the first two CPUs this shell may use (main/control lcore on the first, the
# one forwarding lcore on the second), waits WARMUP seconds, then reads the output port's
# transmitted packets through the process's DPDK telemetry socket twice,
# SECONDS apart (bench/tel_sample.py). vipd's rate is its own /vipd/stats
# tx_pkts, cross-checked with the null port's opackets. Runs alternate
# testpmd, vipd, testpmd, vipd...; the result is the median of the per-run
# vipd/testpmd ratios.
#
# Builds nothing: it needs build/vipd and build/vipctl (meson setup build &&
# ninja -C build). Exits non-zero only when it could not measure, never for a
# missed target. About 30 s per run with the defaults (3 runs: ~90 s).
#
# usage: bench/dr_bench.sh [--flows N] [--seconds S] [--runs R] [--warmup W]
#                          [--dst-mac MAC] [--no-huge] [--keep DIR]
#   --flows N    distinct flows = frames in the pcap (default 100000)
#   --seconds S  measured window per process and run (default 10)
#   --runs R     testpmd/vipd pairs (default 3); --warmup W seconds (default 3)
#   --dst-mac    the frames' Ethernet destination (default: net_pcap's MAC)
#   --no-huge    use --no-huge -m 2048 even when hugepages are available
#   --keep DIR   copy the logs, pcap, config and telemetry samples to DIR
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
VIPD=${VIPD:-$ROOT/build/vipd}
VIPCTL=${VIPCTL:-$ROOT/build/vipctl}
TESTPMD=${TESTPMD:-dpdk-testpmd}
PY=/usr/bin/python3
FLOWS=100000
SECS=10
RUNS=3
WARMUP=3
# net_pcap's MAC in DPDK 22.11 is fixed: 02:70:63:61:70 ("\x02pcap") and the
# pcap device's index (0). vipd's log line for the port confirms it each run.
DST_MAC=02:70:63:61:70:00
KEEP=""
NO_HUGE=0
TARGET=0.50

die() { echo "dr_bench: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case "$1" in
	--flows) FLOWS=$2; shift 2 ;;
	--seconds) SECS=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--warmup) WARMUP=$2; shift 2 ;;
	--dst-mac) DST_MAC=$2; shift 2 ;;
	--keep) KEEP=$2; shift 2 ;;
	--no-huge) NO_HUGE=1; shift ;;
	-h|--help) sed -n '3,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done
[[ $FLOWS =~ ^[0-9]+$ ]] && [ "$FLOWS" -ge 1 ] && [ "$FLOWS" -le 1000000 ] ||
	die "--flows must be 1..1000000 (the config holds 1048576 sessions)"
[[ $SECS =~ ^[0-9]+$ ]] && [ "$SECS" -ge 1 ] || die "--seconds must be a positive integer"
[[ $RUNS =~ ^[0-9]+$ ]] && [ "$RUNS" -ge 1 ] || die "--runs must be a positive integer"
[[ $WARMUP =~ ^[0-9]+$ ]] || die "--warmup must be an integer"
[ "$(id -u)" = 0 ] || die "needs root (DPDK, hugepages)"
[ -x "$VIPD" ] && [ -x "$VIPCTL" ] ||
	die "$VIPD or $VIPCTL missing: build first (meson setup build && ninja -C build)"
command -v "$TESTPMD" >/dev/null || die "dpdk-testpmd missing (Debian package 'dpdk')"
[ -x "$PY" ] || die "$PY missing"

WORK=$(mktemp -d /tmp/vipd-bench.XXXXXX)
PREFIXES=()
PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		if kill -0 "$p" 2>/dev/null; then
			kill -TERM "$p" 2>/dev/null
			for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
			kill -KILL "$p" 2>/dev/null
			wait "$p" 2>/dev/null
		fi
	done
	for p in "${PREFIXES[@]}"; do rm -rf "/var/run/dpdk/$p"; done
	if [ -n "$KEEP" ]; then
		mkdir -p "$KEEP" && cp -a "$WORK"/. "$KEEP"/
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- memory: hugepages if they can be had, else --no-huge -------------------
# Pool size: the frames net_pcap's infinite_rx holds (one mbuf each) plus the
# rings, caches and bursts in flight, as 2^k - 1 (the mempool's best size).
need=$((FLOWS + 16384))
MBUFS=1
while [ "$MBUFS" -lt "$need" ]; do MBUFS=$((MBUFS * 2 + 1)); done
# Each mbuf takes ~2.3 KB with its headers; vipd adds ~60 MB of session table.
need_mb=$((MBUFS * 2304 / 1048576 + 160))

MEM_ARGS=()
MEM_NOTE=""
if [ "$(cat /proc/sys/vm/nr_hugepages)" = 0 ]; then
	echo 512 > /proc/sys/vm/nr_hugepages 2>/dev/null
fi
if ! grep -q '^[^ ]* /dev/hugepages hugetlbfs' /proc/mounts; then
	mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null
fi
hp_free=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
hp_size_kb=$(awk '/^Hugepagesize/ {print $2}' /proc/meminfo)
hp_free_mb=$((hp_free * hp_size_kb / 1024))
if [ "$NO_HUGE" = 0 ] && [ "$hp_free_mb" -ge "$need_mb" ]; then
	MEM_ARGS=(--in-memory)
	MEM_NOTE="hugepages: ${hp_free} x ${hp_size_kb} kB free, --in-memory (each process needs ~${need_mb} MB)"
else
	MEM_ARGS=(--no-huge -m 2048)
	MEM_NOTE="NO HUGEPAGES (${hp_free_mb} MB free, ~${need_mb} MB needed$([ "$NO_HUGE" = 1 ] && echo ', --no-huge asked')): --no-huge -m 2048 (4 KB pages): not comparable with hugepage runs"
fi
# The first two CPUs this shell may use: lcore 0 (main/control) on the first,
# lcore 1 (the forwarding lcore) on the second, for both processes alike.
read -r CPU0 CPU1 < <("$PY" -c 'import os; c = sorted(os.sched_getaffinity(0)); print(c[0], c[1] if len(c) > 1 else "")')
[ -n "$CPU1" ] || die "needs two CPUs (one for the forwarding lcore, one for the rest)"
EAL_CPU=(--lcores "0@$CPU0,1@$CPU1")

# --- input ---------------------------------------------------------------
PCAP=$WORK/flows.pcap
CONF=$WORK/vipd-dr.conf
make_input() {
	"$PY" "$BENCH/gen_pcap.py" -o "$PCAP" -n "$FLOWS" --dst-mac "$1" ||
		die "gen_pcap.py failed"
	sed -e "s|@PCAP@|$PCAP|" -e "s|@MBUFS@|$MBUFS|" "$BENCH/vipd-dr.conf.in" > "$CONF"
	"$VIPD" --check -f "$CONF" >/dev/null || die "$CONF does not validate"
}
make_input "$DST_MAC"

# --- process control -------------------------------------------------------
# Everything runs in this shell (no command substitution around a process),
# so that the EXIT trap knows every PID; long waits are 'CMD & wait' so that
# a signal is handled at once rather than after the wait.
nap() { sleep "$1" & wait $!; }

# start_proc NAME PREFIX LOG READY-REGEX CMD...: starts CMD in the background,
# waits until LOG matches READY-REGEX and the telemetry socket is there.
PID=""
start_proc() {
	local name=$1 prefix=$2 log=$3 ready=$4
	shift 4
	PREFIXES+=("$prefix")
	: >"$log"
	"$@" </dev/null >>"$log" 2>&1 &
	PID=$!
	PIDS+=("$PID")
	local sock=/var/run/dpdk/$prefix/dpdk_telemetry.v2
	for _ in $(seq 1 300); do
		if ! kill -0 "$PID" 2>/dev/null; then
			echo "dr_bench: $name exited during start-up; its log:" >&2
			tail -20 "$log" >&2
			return 1
		fi
		if grep -qE "$ready" "$log" && [ -S "$sock" ]; then
			return 0
		fi
		nap 0.1
	done
	echo "dr_bench: $name not ready after 30 s; its log:" >&2
	tail -20 "$log" >&2
	return 1
}

stop_proc() {
	local pid=$1 prefix=$2
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; nap 0.1; done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -rf "/var/run/dpdk/$prefix"
}

# sample OUT PREFIX CMD...: tel_sample.py over the measured window.
sample() {
	local out=$1 prefix=$2
	shift 2
	"$PY" "$BENCH/tel_sample.py" "/var/run/dpdk/$prefix/dpdk_telemetry.v2" "$SECS" "$@" \
		> "$out" &
	PIDS+=("$!")
	wait $!
}

# rate FILE: packets/s sent on all ports, from tel_sample.py's JSON
# (/ethdev/stats,0 and ,1: the pcap port sends nothing, the null port all).
RATE_PY='
import json, sys
d = json.load(open(sys.argv[1]))
e = d["elapsed"]
def sent(t):
    return sum(v["opackets"] for k, v in t.items() if k.startswith("/ethdev/stats"))
out = {"eth_pps": (sent(d["t1"]) - sent(d["t0"])) / e, "elapsed": e}
v0, v1 = d["t0"].get("/vipd/stats"), d["t1"].get("/vipd/stats")
if v0 and v1:
    out["vipd_pps"] = (v1["tx_pkts"] - v0["tx_pkts"]) / e
    out["rx_pps"] = (v1["rx_pkts"] - v0["rx_pkts"]) / e
    out["sessions"] = v1["sessions"]
    out["drops"] = v1["drop_total"] - v0["drop_total"]
    out["drop_reasons"] = ",".join(
        "%s=%d" % (k[5:], v1[k] - v0[k]) for k in sorted(v1)
        if k.startswith("drop_") and k != "drop_total" and v1[k] != v0[k]) or "-"
print(" ".join("%s=%s" % (k, (round(v, 4) if isinstance(v, float) else v)) for k, v in out.items()))
'

# run_testpmd I / run_vipd I: one measurement; RESULT gets rate_py's line.
RESULT=""
run_testpmd() {
	local i=$1 prefix="vipd-bench-$$-tp$1" log=$WORK/testpmd-$1.log
	RESULT=""
	start_proc testpmd "$prefix" "$log" 'Press enter to exit|start packet forwarding' \
		"$TESTPMD" "${EAL_CPU[@]}" --no-pci "${MEM_ARGS[@]}" --file-prefix="$prefix" \
		--vdev="net_pcap0,rx_pcap=$PCAP,infinite_rx=1" --vdev=net_null0,no-rx=1 -- \
		--forward-mode=io --nb-cores=1 --rxq=1 --txq=1 --burst=32 \
		--total-num-mbufs="$MBUFS" --stats-period=1 || { stop_proc "$PID" "$prefix"; return 1; }
	local pid=$PID
	nap "$WARMUP"
	sample "$WORK/tp-$i.json" "$prefix" /ethdev/stats,0 /ethdev/stats,1 2>>"$log"
	local rc=$?
	stop_proc "$pid" "$prefix"
	[ $rc = 0 ] || return 1
	RESULT=$("$PY" -c "$RATE_PY" "$WORK/tp-$i.json")
}

run_vipd() {
	local i=$1 prefix="vipd-bench-$$-vd$1" log=$WORK/vipd-$1.log
	RESULT=""
	start_proc vipd "$prefix" "$log" '^vipd: ready' \
		"$VIPD" -f "$CONF" -- "${EAL_CPU[@]}" --no-pci "${MEM_ARGS[@]}" \
		--file-prefix="$prefix" || { stop_proc "$PID" "$prefix"; return 1; }
	local pid=$PID
	local mac
	mac=$(sed -n 's/.*port in: dpdk port [0-9]*, mac \([0-9A-Fa-f:]*\),.*/\1/p' "$log" | head -1)
	if [ -n "$mac" ] && [ "${mac,,}" != "${DST_MAC,,}" ]; then
		RESULT=$mac
		stop_proc "$pid" "$prefix"
		return 2
	fi
	nap "$WARMUP"
	sample "$WORK/vd-$i.json" "$prefix" /ethdev/stats,0 /ethdev/stats,1 /vipd/stats 2>>"$log"
	local rc=$?
	# The operator's view of the same counters, kept with the logs.
	"$VIPCTL" -p "$prefix" stats > "$WORK/vipctl-stats-$i.txt" 2>&1
	stop_proc "$pid" "$prefix"
	[ $rc = 0 ] || return 1
	RESULT=$("$PY" -c "$RATE_PY" "$WORK/vd-$i.json")
}

field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }
mpps() { awk -v v="$1" 'BEGIN { printf "%.2f", v / 1e6 }'; }

# --- report header ---------------------------------------------------------
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
dpdkv=$(pkg-config --modversion libdpdk 2>/dev/null || dpkg-query -W -f '${Version}' dpdk 2>/dev/null)
echo "vipd DR benchmark: $FLOWS flows of 64-byte UDP to 10.0.0.100:53"
echo "  net_pcap (infinite_rx) -> one forwarding lcore -> net_null; $RUNS runs x ${SECS} s after ${WARMUP} s warm-up"
echo "  cpu: $cpu, $(nproc) cpus (shared): main/control lcore on cpu $CPU0, forwarding lcore on cpu $CPU1; DPDK $dpdkv"
echo "  $MEM_NOTE; mbufs $MBUFS"

# --- runs ------------------------------------------------------------------
ratios=()
tps=()
vps=()
bad=0
for i in $(seq 1 "$RUNS"); do
	run_testpmd "$i" || { echo "run $i: testpmd could not be measured" >&2; bad=1; continue; }
	t=$RESULT
	run_vipd "$i"
	rc=$?
	if [ $rc = 2 ]; then
		# The port's MAC is not the one the frames carry: remake them and retry.
		DST_MAC=$RESULT
		echo "  note: the pcap port's MAC is $DST_MAC, regenerating the input for it"
		make_input "$DST_MAC"
		run_testpmd "$i" || { echo "run $i: testpmd could not be measured" >&2; bad=1; continue; }
		t=$RESULT
		run_vipd "$i"
		rc=$?
	fi
	[ $rc = 0 ] || { echo "run $i: vipd could not be measured" >&2; bad=1; continue; }
	v=$RESULT
	tp=$(field eth_pps "$t")
	vp=$(field vipd_pps "$v")
	ve=$(field eth_pps "$v")
	sess=$(field sessions "$v")
	drops=$(field drops "$v")
	reasons=$(field drop_reasons "$v")
	ratio=$(awk -v a="$vp" -v b="$tp" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
	ratios+=("$ratio")
	tps+=("$tp")
	vps+=("$vp")
	printf 'run %d: testpmd io %7s Mpps | vipd DR %7s Mpps (null port %s Mpps) | ratio %s | sessions %s | drops %s (%s)\n' \
		"$i" "$(mpps "$tp")" "$(mpps "$vp")" "$(mpps "$ve")" "$ratio" "$sess" "$drops" "$reasons"
	[ "$sess" = "$FLOWS" ] || echo "  warning: $sess live sessions, expected $FLOWS"
	[ "$drops" = 0 ] || echo "  warning: vipd dropped packets during the window"
done

[ ${#ratios[@]} -gt 0 ] || die "no run could be measured (logs: rerun with --keep DIR)"

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
mr=$(median "${ratios[@]}")
mt=$(median "${tps[@]}")
mv=$(median "${vps[@]}")
echo "median of ${#ratios[@]}: testpmd io $(mpps "$mt") Mpps, vipd DR $(mpps "$mv") Mpps, ratio vipd/testpmd $mr"
if awk -v r="$mr" -v t="$TARGET" 'BEGIN { exit !(r >= t) }'; then
	verdict="met"
else
	verdict="NOT met"
fi
echo "target (issue 2): vipd DR >= $(awk -v t="$TARGET" 'BEGIN { printf "%d", t * 100 }')% of testpmd io with $FLOWS active flows: $verdict"
[ $bad = 0 ] || echo "warning: some runs could not be measured (see above)"
exit 0
