#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Poll DPDK telemetry commands at a short interval and record every answer.

usage: tel_watch.py [--interval S] [--timeout S] [--until CMD KEY VALUE]...
                    [--after S] [--for S] [--pid PID] SOCKET CMD [CMD...]

Waits for SOCKET (dpdk_telemetry.v2) to appear and accept a connection, then
sends every CMD (e.g. "/vipd/stats", "/vipd/services") every INTERVAL seconds
(default 0.005) on one connection and prints one JSON line per round:

  {"t": <s since the first answered round, monotonic, middle of the round>,
   "r": {CMD: reply, ...}}

A round in which some command has no answer yet (vipd registers its commands
after the EAL is up, i.e. after the socket appears) is not printed. It stops
--after seconds (default 0) after an --until is met (CMD's reply has KEY >=
VALUE; KEY may be "sum:FIELD", the sum of FIELD over a dict of dicts, e.g.
--until /vipd/services sum:conns 1000; several --until: any of them),
--for seconds after the first answered round, at --timeout (default 60 s),
or when the process --pid is gone (exit status 3 for these two). The last line is {"done": true|false, "elapsed": S}.

bench/dr_bench.sh --new-flows runs it from before vipd's workers start, so
that it sees the session count climb during the first pass through the pcap.
"""
import argparse
import json
import os
import socket
import sys
import time


def query(s, cmd, bufsz):
    s.send(cmd.encode())
    reply = json.loads(s.recv(bufsz).decode())
    return reply.get(cmd.split(",", 1)[0])


def value(reply, key):
    if reply is None:
        return None
    if key.startswith("sum:"):
        f = key[4:]
        return sum(v.get(f, 0) for v in reply.values() if isinstance(v, dict))
    return reply.get(key)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--interval", type=float, default=0.005)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--until", nargs=3, metavar=("CMD", "KEY", "VALUE"), action="append",
                    default=[], help="stop when any --until holds")
    ap.add_argument("--pid", type=int, default=0, help="give up when this process is gone")
    ap.add_argument("--for", dest="duration", type=float, default=0.0,
                    help="stop (done) this long after the first answered round")
    ap.add_argument("--after", type=float, default=0.0)
    ap.add_argument("socket")
    ap.add_argument("cmds", nargs="+")
    a = ap.parse_args()
    until = [(c, k, float(v)) for c, k, v in a.until]
    for c, _, _ in until:
        if c not in a.cmds:
            a.cmds.append(c)
    start = time.monotonic()
    deadline = start + a.timeout
    s = None
    while s is None:
        if a.pid and not os.path.exists("/proc/%d" % a.pid):
            print(json.dumps({"done": False, "elapsed": time.monotonic() - start,
                              "error": "process %d is gone" % a.pid}))
            return 3
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            s.connect(a.socket)
        except OSError:
            s.close()
            s = None
            if time.monotonic() > deadline:
                print(json.dumps({"done": False, "elapsed": time.monotonic() - start,
                                  "error": "no telemetry socket"}))
                return 3
            time.sleep(0.002)
    hello = json.loads(s.recv(4096).decode())
    bufsz = max(int(hello.get("max_output_len", 16384)), 16384) + 1024
    t0 = None
    met_at = None
    out = sys.stdout
    while True:
        a0 = time.monotonic()
        try:
            r = {c: query(s, c, bufsz) for c in a.cmds}
        except (OSError, ValueError) as e:
            print(json.dumps({"done": False, "elapsed": time.monotonic() - start,
                              "error": "telemetry: %s" % e}))
            return 3
        now = time.monotonic()
        if all(v is not None for v in r.values()):
            t = (a0 + now) / 2
            if t0 is None:
                t0 = t
            out.write(json.dumps({"t": t - t0, "r": r}) + "\n")
            if met_at is None:
                for c, k, want in until:
                    v = value(r[c], k)
                    if v is not None and v >= want:
                        met_at = now
        if a.duration and t0 is not None and now - t0 >= a.duration:
            print(json.dumps({"done": True, "elapsed": now - start}))
            return 0
        if met_at is not None and now - met_at >= a.after:
            print(json.dumps({"done": True, "elapsed": now - start}))
            return 0
        if now > deadline:
            print(json.dumps({"done": False, "elapsed": now - start, "error": "timeout"}))
            return 3
        # Fixed period from the round's start: a slow answer shortens the sleep.
        time.sleep(max(0.0, a.interval - (time.monotonic() - a0)))


if __name__ == "__main__":
    sys.exit(main())
