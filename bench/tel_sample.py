#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Sample DPDK telemetry counters twice, S seconds apart, on one connection.

usage: tel_sample.py SOCKET SECONDS CMD [CMD...]

Connects to a DPDK process's telemetry socket (dpdk_telemetry.v2, the same
socket vipctl reads), sends every CMD (e.g. "/ethdev/stats,1", "/vipd/stats"),
waits SECONDS, sends them again, and prints one JSON object:

  {"elapsed": <s between the two samples, monotonic>,
   "t0": {CMD: reply, ...}, "t1": {CMD: reply, ...}}

One open connection and a monotonic clock keep the sampling overhead out of
the measured window; it works the same for testpmd and vipd (every DPDK
process serves /ethdev/stats), so both rates are read the same way.
"""
import json
import socket
import sys
import time


def query(s: socket.socket, cmd: str, bufsz: int):
    s.send(cmd.encode())
    reply = json.loads(s.recv(bufsz).decode())
    # The reply is keyed by the command without its parameters.
    return reply.get(cmd.split(",", 1)[0])


def sample(s, cmds, bufsz):
    return {c: query(s, c, bufsz) for c in cmds}


def main() -> int:
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    path, secs, cmds = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        s.connect(path)
    except OSError as e:
        print("tel_sample: %s: %s" % (path, e), file=sys.stderr)
        return 1
    hello = json.loads(s.recv(4096).decode())
    bufsz = max(int(hello.get("max_output_len", 16384)), 16384) + 1024
    # Read the first sample's time at the middle of its queries.
    a = time.monotonic()
    t0 = sample(s, cmds, bufsz)
    t0_at = (a + time.monotonic()) / 2
    time.sleep(secs)
    a = time.monotonic()
    t1 = sample(s, cmds, bufsz)
    t1_at = (a + time.monotonic()) / 2
    s.close()
    for c in cmds:
        if t0[c] is None or t1[c] is None:
            print("tel_sample: %s: no answer" % c, file=sys.stderr)
            return 1
    print(json.dumps({"elapsed": t1_at - t0_at, "t0": t0, "t1": t1}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
