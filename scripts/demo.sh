#!/usr/bin/env bash
# vipd demo: set-up and build, a namespace lab (client, director, two nginx real
# servers on one bridge), vipd on the director with docs/examples/reference.conf,
# then requests from the client to the VIP answered by both real servers in turn.
# Everything is removed on exit.
#   bash scripts/demo.sh [--hold]   (as root; --hold: keep it running until Ctrl-C)
# VIPD_SKIP_SETUP=1 skips scripts/setup.sh (already installed and built);
# VIPD_CONF=FILE uses another config than docs/examples/reference.conf.
set -euo pipefail
cd "$(dirname "$0")/.."

HOLD=0
[ "${1:-}" = "--hold" ] && HOLD=1

if [ "$(id -u)" -ne 0 ]; then
    echo "demo: must run as root: bash scripts/demo.sh from a root shell, or with sudo" >&2
    exit 1
fi

PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1
LAB=tests/lab/lab.py
PREFIX="vl$$"
CONF=${VIPD_CONF:-docs/examples/reference.conf}
VIP=10.99.0.100
CLIENT_NS="$PREFIX-client"
VIPD_LOG=""

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    echo
    echo "demo: cleaning up lab $PREFIX"
    VIPD_LAB_QUIET=1 "$PY" "$LAB" down --prefix "$PREFIX" || true
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "${VIPD_SKIP_SETUP:-0}" != 1 ]; then
    bash scripts/setup.sh
fi

if [ ! -f "$CONF" ]; then
    echo "demo: $CONF not found" >&2
    exit 1
fi
"$PY" "$LAB" cleanup-stale >/dev/null

echo "=== lab $PREFIX: client 10.99.0.10, director dir1 (vipd, 10.99.0.2), rs1 10.99.0.11, rs2 10.99.0.12, VIP $VIP"
VIPD_LAB_QUIET=1 "$PY" "$LAB" up --prefix "$PREFIX" --owner-pid $$ >/dev/null
"$PY" "$LAB" status --prefix "$PREFIX"

echo "=== starting vipd in $PREFIX-dir1 with $CONF"
build/vipd --check -f "$CONF"
# The reference scenario as it is (rr, persistence 50 s); only eal_args is
# replaced: the lab picks the memory mode (--in-memory with hugepages, else
# --no-huge) on the command line.
DEMO_CONF="/tmp/vipd-lab-$PREFIX/demo.conf"
"$PY" "$LAB" derive-conf "$CONF" "$DEMO_CONF"
if ! info=$(VIPD_LAB_QUIET=1 "$PY" "$LAB" start-vipd --prefix "$PREFIX" --host dir1 -f "$DEMO_CONF"); then
    echo "demo: vipd did not become ready" >&2
    exit 1
fi
SOCK=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["sock"])' "$info")
VIPD_LOG=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["log"])' "$info")
echo "vipd ready (log $VIPD_LOG, telemetry $SOCK)"

# Persistence pins a client address to one real server for 50 s, and rr
# spreads new clients: five client addresses, two requests each (new
# connections), show both real servers in turn and each client staying put.
CLIENTS="10.99.0.10 10.99.0.31 10.99.0.32 10.99.0.33 10.99.0.34"
for a in $CLIENTS; do
    [ "$a" = 10.99.0.10 ] || ip -n "$CLIENT_NS" addr add "$a/24" dev eth0 2>/dev/null || true
done
echo "=== 10 requests to http://$VIP/ from 5 client addresses (rr, persistence 50 s)"
ok=0
i=0
for round in 1 2; do
    for a in $CLIENTS; do
        i=$((i + 1))
        if body=$(ip netns exec "$CLIENT_NS" curl -sS --max-time 5 --interface "$a" "http://$VIP/" 2>&1); then
            ok=$((ok + 1))
            printf 'request %2d from %-11s -> %s\n' "$i" "$a" "$body"
        else
            printf 'request %2d from %-11s -> FAILED: %s\n' "$i" "$a" "$body"
        fi
    done
done
echo "=== build/vipctl -s $SOCK stats"
build/vipctl -s "$SOCK" stats || echo "demo: vipctl failed"

if [ "$ok" -ne 10 ]; then
    echo "=== vipd log (tail)"
    tail -n 40 "$VIPD_LOG" || true
fi

if [ "$HOLD" = 1 ]; then
    echo "=== lab $PREFIX kept running; try: ip netns exec $CLIENT_NS curl http://$VIP/"
    echo "    Ctrl-C to stop and clean up"
    while :; do sleep 3600 & wait $! || true; done
fi
echo "demo: $ok/10 requests answered"
[ "$ok" -eq 10 ]
