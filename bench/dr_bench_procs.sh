# SPDX-License-Identifier: BSD-3-Clause
#
# dr_bench_procs.sh: bench/dr_bench.sh's process control and measurement
# (testpmd and vipd started, sampled over their telemetry sockets, stopped;
# one testpmd/vipd pair; the report's arithmetic). Sourced by dr_bench.sh
# after its options and paths are set: the functions read its variables
# (BENCH, WORK, PY, VIPD, TESTPMD, EAL, CONF, SECS, WARMUP, ...) when called.
# Not a command of its own.
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
	for _ in $(seq 1 600); do
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
	echo "dr_bench: $name not ready after 60 s; its log:" >&2
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

# watch_tel OUT PREFIX PID OPTION... -- CMD...: tel_watch.py (on the
# control CPU) until done.
watch_tel() {
	local out=$1 prefix=$2 pid=$3 opts=()
	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	"${ON_CPU0[@]}" "$PY" "$BENCH/tel_watch.py" --pid "$pid" "${opts[@]}" \
		"/var/run/dpdk/$prefix/dpdk_telemetry.v2" "$@" > "$out" &
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
    out["new_sessions"] = v1["sessions"] - v0["sessions"]
    out["drops"] = v1["drop_total"] - v0["drop_total"]
    out["drop_reasons"] = ",".join(
        "%s=%d" % (k[5:], v1[k] - v0[k]) for k in sorted(v1)
        if k.startswith("drop_") and k != "drop_total" and v1[k] != v0[k]) or "-"
h = d["t1"].get("/eal/heap_info,0")
if h:
    out["heap_mib"] = h["Heap_size"] / 1048576
    out["heap_alloc_mib"] = h["Alloc_size"] / 1048576
print(" ".join("%s=%s" % (k, (round(v, 4) if isinstance(v, float) else v)) for k, v in out.items()))
'

# fill FILE TARGET: how long the fill took, from tel_watch.py's samples.
FILL_PY='
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
end = rows[-1] if rows and "t" not in rows[-1] else {}
rows = [r for r in rows if "t" in r]
if not rows:
    print("fill_error=%s" % end.get("error", "no-samples"))
    sys.exit(0)
s = lambda r: r["r"]["/vipd/stats"]["sessions"]
last = rows[-1]
first = next((r for r in rows if s(r) > 0), rows[0])
e = last["t"] - first["t"]
print("fill_done=%s fill_s=%.2f fill_sessions=%d fill_per_s=%.0f fill_drops=%d" % (
    "yes" if end.get("done") else "no", e, s(last),
    (s(last) - s(first)) / e if e > 0 else 0, last["r"]["/vipd/stats"]["drop_total"]))
'

# start_testpmd PREFIX LOG: testpmd io on the pcap, PID in PID.
start_testpmd() {
	start_proc testpmd "$1" "$2" 'Press enter to exit|start packet forwarding' \
		"$TESTPMD" "${EAL_CPU[@]}" --no-pci "${MEM_ARGS[@]}" --file-prefix="$1" \
		--vdev="net_pcap0,rx_pcap=$PCAP,infinite_rx=1" --vdev=net_null0,no-rx=1 -- \
		--forward-mode=io --nb-cores=1 --rxq=1 --txq=1 --burst=32 \
		--total-num-mbufs="$MBUFS" --stats-period=1
}

# run_testpmd I / run_vipd I: one measurement; RESULT gets rate_py's line.
RESULT=""
run_testpmd() {
	local i=$1 prefix="vipd-bench-$$-tp$1" log=$WORK/testpmd-$1.log
	RESULT=""
	start_testpmd "$prefix" "$log" || { stop_proc "$PID" "$prefix"; return 1; }
	local pid=$PID
	nap "$WARMUP"
	if [ "$NEW_FLOWS" = 1 ]; then
		# Sampled every 5 ms like vipd's first pass, for slice medians.
		watch_tel "$WORK/tp-$i.jsonl" "$prefix" "$pid" --interval 0.005 --for "$SECS" \
			--timeout $((SECS + 30)) -- /ethdev/stats,1 2>>"$log"
		local rc=$?
		stop_proc "$pid" "$prefix"
		[ $rc = 0 ] || return 1
		RESULT=$("$PY" "$BENCH/nf_rate.py" steady "$WORK/tp-$i.jsonl")
		[[ $RESULT != error=* ]] || return 1
		return 0
	fi
	sample "$WORK/tp-$i.json" "$prefix" /ethdev/stats,0 /ethdev/stats,1 2>>"$log"
	local rc=$?
	stop_proc "$pid" "$prefix"
	[ $rc = 0 ] || return 1
	RESULT=$("$PY" -c "$RATE_PY" "$WORK/tp-$i.json")
}

# port_mac LOG PORT: the MAC vipd logged for a port.
port_mac() {
	sed -n "s/.*port $2: dpdk port [0-9]*, mac \\([0-9A-Fa-f:]*\\),.*/\\1/p" "$1" | head -1
}
# mac_ok LOG PORT WANT: 0 if the port has the MAC the frames carry, else 2
# with RESULT=PORT=MAC.
mac_ok() {
	local mac
	mac=$(port_mac "$1" "$2")
	if [ -n "$mac" ] && [ "${mac,,}" != "${3,,}" ]; then
		RESULT="$2=$mac"
		return 2
	fi
	return 0
}

# start_vipd PREFIX LOG CONF: vipd on CONF, PID in PID.
start_vipd() {
	start_proc vipd "$1" "$2" '^vipd: ready' \
		"$VIPD" -f "$3" -- "${EAL_CPU[@]}" --no-pci "${MEM_ARGS[@]}" --file-prefix="$1"
}

# run_vipd I [CONF TAG]: one measurement of vipd on CONF (default $CONF; TAG
# names the files, default vd). TAG "full": wait until the fill port has
# played its pcap first. RESULT gets RATE_PY's line and VMEM the process's
# HugetlbPages and VmRSS (kB) during the window; 2 = a port's MAC is not the
# one its frames carry (RESULT=PORT=MAC).
VMEM=""
FILLRES=""
run_vipd() {
	local i=$1 conf=${2:-$CONF} tag=${3:-vd}
	local prefix="vipd-bench-$$-$tag$i" log=$WORK/vipd-$i.log
	[ "$tag" = vd ] || log=$WORK/vipd-$tag-$i.log
	RESULT=""
	VMEM=""
	start_vipd "$prefix" "$log" "$conf" || { stop_proc "$PID" "$prefix"; return 1; }
	local pid=$PID
	mac_ok "$log" in "$DST_MAC" || { stop_proc "$pid" "$prefix"; return 2; }
	if [ "$tag" = full ]; then
		mac_ok "$log" fill "$FILL_MAC" || { stop_proc "$pid" "$prefix"; return 2; }
		# Until the fill port has received every frame of its pcap (it plays
		# once), then until the table holds them all.
		watch_tel "$WORK/fill-$i.jsonl" "$prefix" "$pid" --interval 0.25 --timeout 180 \
			--until /ethdev/stats,2 ipackets "$FILL" -- /vipd/stats 2>>"$log"
		watch_tel "$WORK/fill2-$i.jsonl" "$prefix" "$pid" --interval 0.05 --timeout 10 \
			--until /vipd/stats sessions "$SESSIONS" -- /vipd/stats 2>>"$log"
		FILLRES=$("$PY" -c "$FILL_PY" "$WORK/fill-$i.jsonl")
	fi
	nap "$WARMUP"
	local cmds=(/ethdev/stats,0 /ethdev/stats,1 /vipd/stats)
	[ "$SESSIONS" != 0 ] && cmds+=(/eal/heap_info,0)
	sample "$WORK/$tag-$i.json" "$prefix" "${cmds[@]}" 2>>"$log"
	local rc=$?
	VMEM=$(awk '/^(HugetlbPages|VmRSS):/ { printf "%s%s=%s", s, $1, $2; s = " " }' "/proc/$pid/status" 2>/dev/null | tr -d :)
	# The operator's view of the same counters, kept with the logs.
	"$VIPCTL" -p "$prefix" stats > "$WORK/vipctl-stats-$tag$i.txt" 2>&1
	stop_proc "$pid" "$prefix"
	[ $rc = 0 ] || return 1
	RESULT=$("$PY" -c "$RATE_PY" "$WORK/$tag-$i.json")
}

# run_vipd_new I: vipd on the --new-flows pcap, watched from before its
# worker starts until the replay has wrapped; RESULT gets nf_rate.py's line.
run_vipd_new() {
	local i=$1 prefix="vipd-bench-$$-nf$1" log=$WORK/vipd-new-$1.log
	RESULT=""
	PREFIXES+=("$prefix")
	: >"$log"
	"$VIPD" -f "$CONF" -- "${EAL_CPU[@]}" --no-pci "${MEM_ARGS[@]}" \
		--file-prefix="$prefix" </dev/null >>"$log" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	# Stop 0.2 s after the table holds every flow, or once the replay has
	# clearly wrapped without that (packets dropped instead of new sessions).
	watch_tel "$WORK/new-$i.jsonl" "$prefix" "$pid" --interval 0.005 --timeout 120 --after 0.2 \
		--until /vipd/stats sessions "$FLOWS" \
		--until /vipd/stats rx_pkts $((FLOWS * 3 / 2)) \
		-- /vipd/stats /vipd/services 2>>"$log"
	local rc=$?
	mac_ok "$log" in "$DST_MAC" || { stop_proc "$pid" "$prefix"; return 2; }
	"$VIPCTL" -p "$prefix" stats > "$WORK/vipctl-stats-nf$i.txt" 2>&1
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "dr_bench: vipd exited; its log:" >&2
		tail -20 "$log" >&2
		rc=1
	fi
	stop_proc "$pid" "$prefix"
	RESULT=$("$PY" "$BENCH/nf_rate.py" newflow "$WORK/new-$i.jsonl" "$FLOWS")
	[ $rc = 0 ] || { [ -n "$RESULT" ] && echo "  $RESULT" >&2; return 1; }
	[[ $RESULT != error=* ]] || { echo "  $RESULT" >&2; return 1; }
}

field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }
mpps() { awk -v v="$1" 'BEGIN { printf "%.2f", v / 1e6 }'; }
ratio_of() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
pct() { awk -v t="$1" 'BEGIN { printf "%d", t * 100 }'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { exit !(r >= t) }' && echo met || echo "NOT met"; }

# A wrong MAC in vipd's log (RESULT=PORT=MAC): remake that port's frames.
remake_for() {
	local port=${1%%=*} mac=${1#*=}
	echo "  note: the $port port's MAC is $mac, regenerating its input for it"
	if [ "$port" = fill ]; then
		FILL_MAC=$mac
		make_fill "$FILL_MAC"
	else
		DST_MAC=$mac
		make_input "$DST_MAC"
	fi
}

# pair_run I RUN_VIPD: run_testpmd I, then RUN_VIPD I (run_vipd or
# run_vipd_new); once more after remaking the input when vipd's port has
# another MAC than the frames carry. T gets testpmd's line, RESULT vipd's.
T=""
pair_run() {
	local i=$1 fn=$2 rc
	run_testpmd "$i" || { echo "run $i: testpmd could not be measured" >&2; return 1; }
	T=$RESULT
	"$fn" "$i"
	rc=$?
	if [ $rc = 2 ]; then
		remake_for "$RESULT"
		run_testpmd "$i" || { echo "run $i: testpmd could not be measured" >&2; return 1; }
		T=$RESULT
		"$fn" "$i"
		rc=$?
	fi
	[ $rc = 0 ] || { echo "run $i: vipd could not be measured" >&2; return 1; }
}
