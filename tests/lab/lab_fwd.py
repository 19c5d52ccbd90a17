#!/usr/bin/python3
"""Lab extensions for the forwarding-mode tests (NAT, TUN); lab.py stays as it is.

* Capture: frames that arrive on one interface of a lab namespace (a raw AF_PACKET
  socket in a helper process; started and stopped by the test, which gets the frames
  as bytes).  On the switch's bridge port of a director (`p-dir1` in the switch
  namespace) this is exactly what the director puts on the wire; on a host's own
  interface it is what that host receives.
* nat_real_servers(): real servers set up for NAT as IPVS wants them: no VIP on lo,
  the director as default gateway (the lab's real servers share the client's subnet,
  so the on-link /24 route is replaced by a /32 to the director); restored on exit.
* client_addresses(): extra addresses on the client's veth (several clients).
* IpipDecap: the lab kernel has no ipip module, so a TUN real server decapsulates in
  user space: a raw IPPROTO_IPIP socket receives the tunnel packets, the inner packet
  is written to a TUN device that carries the VIP, and the local stack (nginx) answers
  the client directly.

* udp_echo(), http_files(), udp_ask(): small servers on a real server (UDP echo, a
  static HTTP server for large files) and a UDP client, for NAT end to end.

Helpers that run inside a namespace:
    python3 lab_fwd.py _capture --iface IF        (prints "ready", then, on SIGTERM,
                                                   one line "pkttype hex" per frame)
    python3 lab_fwd.py _ipipd --vip VIP --dev DEV (prints "ready", decapsulates until
                                                   SIGTERM, then prints a JSON summary)
    python3 lab_fwd.py _udpecho --port P --name N / _http --port P --dir D
                                                  (print "ready", serve until SIGTERM)
    python3 lab_fwd.py _udpask --server A --port P SRC...   (prints JSON answers)
"""

import argparse
import contextlib
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lab as labmod  # noqa: E402

PYTHON = labmod.PYTHON
HERE = Path(__file__).resolve()

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def _start_helper(lab, host, args, what, timeout=30):
    """Start `lab_fwd.py ARGS` in host's namespace; wait for its "ready" line."""
    p = lab.popen(host, [PYTHON, HERE, *args], stdout=subprocess.PIPE,
                  stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _w, _x = select.select([p.stdout], [], [], 0.2)
        if r:
            line = p.stdout.readline()
            if line.strip() == "ready":
                return p
            if line == "":
                break
        if p.poll() is not None:
            break
    err = ""
    if p.poll() is None:
        p.kill()
    try:
        _out, err = p.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    raise labmod.LabError(f"{what} in {host} did not start: {err}")


def _stop_helper(p, timeout=10):
    """SIGTERM the helper (our own child) and return its stdout."""
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate(timeout=5)
    if p.returncode not in (0, -signal.SIGTERM):
        raise labmod.LabError(f"helper exited {p.returncode}: {err}")
    return out


class Capture:
    """Frames arriving on `ifname` in host's namespace (not the ones it sends)."""

    def __init__(self, lab, host, ifname):
        self.lab = lab
        self.host = host
        self.ifname = ifname
        self.proc = None
        self.frames = []

    def start(self):
        self.proc = _start_helper(self.lab, self.host, ["_capture", "--iface", self.ifname],
                                  f"capture on {self.ifname}")
        return self

    def stop(self):
        if self.proc is None:
            return self.frames
        out = _stop_helper(self.proc)
        self.proc = None
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and int(parts[0]) != PACKET_OUTGOING:
                self.frames.append(bytes.fromhex(parts[1]))
        return self.frames

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def director_port(host="dir1"):
    """The switch namespace's bridge port that faces host."""
    return f"p-{host}"


@contextlib.contextmanager
def nat_real_servers(lab, rss, gateway=labmod.DIR1_ADDR):
    """Real servers routed through the director (IPVS NAT), restored afterwards."""
    done = []
    try:
        for rs in rss:
            ifn = lab.ifname(rs)
            done.append(rs)
            lab.ns_exec(rs, ["ip", "addr", "del", f"{labmod.VIP}/32", "dev", "lo"], check=False)
            lab.ns_exec(rs, ["ip", "route", "replace", f"{gateway}/32", "dev", ifn])
            lab.ns_exec(rs, ["ip", "route", "del", f"{labmod.SUBNET}.0/{labmod.PREFIXLEN}",
                             "dev", ifn], check=False)
            lab.ns_exec(rs, ["ip", "route", "replace", "default", "via", gateway, "dev", ifn])
            lab.ns_exec(rs, ["ip", "neigh", "flush", "dev", ifn], check=False)
        yield
    finally:
        for rs in done:
            ifn = lab.ifname(rs)
            addr = lab.addr(rs)
            lab.ns_exec(rs, ["ip", "route", "del", "default"], check=False)
            lab.ns_exec(rs, ["ip", "route", "replace", f"{labmod.SUBNET}.0/{labmod.PREFIXLEN}",
                             "dev", ifn, "proto", "kernel", "scope", "link", "src", addr],
                        check=False)
            lab.ns_exec(rs, ["ip", "route", "del", f"{gateway}/32", "dev", ifn], check=False)
            lab.ns_exec(rs, ["ip", "addr", "replace", f"{labmod.VIP}/32", "dev", "lo"],
                        check=False)
            lab.ns_exec(rs, ["ip", "neigh", "flush", "dev", ifn], check=False)


@contextlib.contextmanager
def client_addresses(lab, addrs, host="client"):
    """Extra /24 addresses on host's veth (removed afterwards)."""
    ifn = lab.ifname(host)
    added = []
    try:
        for a in addrs:
            lab.ns_exec(host, ["ip", "addr", "add", f"{a}/{labmod.PREFIXLEN}", "dev", ifn,
                               "noprefixroute"])
            added.append(a)
        yield
    finally:
        for a in added:
            lab.ns_exec(host, ["ip", "addr", "del", f"{a}/{labmod.PREFIXLEN}", "dev", ifn],
                        check=False)


class IpipDecap:
    """User-space IPIP termination on a real server (see the module doc)."""

    def __init__(self, lab, host, vip=labmod.VIP, dev="ipipd0"):
        self.lab = lab
        self.host = host
        self.vip = vip
        self.dev = dev
        self.proc = None
        self.summary = None

    def start(self):
        self.proc = _start_helper(self.lab, self.host,
                                  ["_ipipd", "--vip", self.vip, "--dev", self.dev],
                                  f"IPIP decapsulator {self.dev}")
        return self

    def stop(self):
        if self.proc is None:
            return self.summary
        out = _stop_helper(self.proc)
        self.proc = None
        lines = [x for x in out.splitlines() if x.startswith("{")]
        self.summary = json.loads(lines[-1]) if lines else {}
        return self.summary

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class Helper:
    """A lab_fwd.py helper (or any command printing "ready") in a namespace."""

    def __init__(self, lab, host, args, what):
        self.lab, self.host, self.args, self.what = lab, host, args, what
        self.proc = None
        self.output = ""

    def start(self):
        self.proc = _start_helper(self.lab, self.host, self.args, self.what)
        return self

    def stop(self):
        if self.proc is not None:
            self.output = _stop_helper(self.proc)
            self.proc = None
        return self.output

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def udp_echo(lab, host, port):
    """A UDP server on host:port answering "<host> <client addr>:<port> <data>"."""
    return Helper(lab, host, ["_udpecho", "--port", str(port), "--name", host],
                  f"UDP echo :{port}")


def http_files(lab, host, port, directory):
    """A static HTTP server (python's http.server) on host:port serving directory."""
    return Helper(lab, host, ["_http", "--port", str(port), "--dir", str(directory)],
                  f"HTTP :{port}")


def udp_ask(lab, host, server, port, sources, payload="ping", timeout=3.0):
    """From host, one datagram to server:port from each source address, on a
    connected socket (only server:port itself may answer); {source: answer or None}."""
    cp = lab.ns_exec(host, [PYTHON, HERE, "_udpask", "--server", server, "--port", str(port),
                            "--payload", payload, "--timeout", str(timeout), *sources],
                     timeout=timeout * len(sources) + 30)
    return json.loads(cp.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------
# helpers run inside a namespace

class _Stop(Exception):
    pass


def _on_term(_signum, _frame):
    raise _Stop()


def _cmd_capture(a):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((a.iface, ETH_P_ALL))
    frames = []
    signal.signal(signal.SIGTERM, _on_term)
    print("ready", flush=True)
    try:
        while True:
            data, addr = s.recvfrom(65535)
            frames.append((addr[2], data))
    except _Stop:
        pass
    # drain what is queued already
    s.setblocking(False)
    try:
        while True:
            data, addr = s.recvfrom(65535)
            frames.append((addr[2], data))
    except (BlockingIOError, InterruptedError):
        pass
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.stdout.write("".join(f"{t} {d.hex()}\n" for t, d in frames))
    sys.stdout.flush()


TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def _sh(*cmd):
    subprocess.run([str(c) for c in cmd], check=True, capture_output=True, timeout=10)


def _cmd_ipipd(a):
    import fcntl
    vip = socket.inet_aton(a.vip)
    tun = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(tun, TUNSETIFF, struct.pack("16sH", a.dev.encode(), IFF_TUN | IFF_NO_PI))
    # the inner packet's source (the client) is not routed via this device
    saved = {}
    for key in ("all", "default"):
        name = f"net.ipv4.conf.{key}.rp_filter"
        saved[name] = subprocess.run(["sysctl", "-n", name], capture_output=True, text=True,
                                     check=True).stdout.strip()
        _sh("sysctl", "-q", "-w", f"{name}=0")
    _sh("sysctl", "-q", "-w", f"net.ipv4.conf.{a.dev}.rp_filter=0")
    _sh("sysctl", "-q", "-w", f"net.ipv4.conf.{a.dev}.accept_local=1")
    _sh("ip", "addr", "replace", f"{a.vip}/32", "dev", a.dev)
    _sh("ip", "link", "set", a.dev, "up")
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_IPIP)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    stats = {"received": 0, "decapsulated": 0, "inner_bytes": 0, "other": 0, "outer": []}
    signal.signal(signal.SIGTERM, _on_term)
    print("ready", flush=True)
    try:
        while True:
            pkt = raw.recv(65535)
            stats["received"] += 1
            ohl = (pkt[0] & 0x0F) * 4
            inner = pkt[ohl:]
            if len(inner) < 20 or inner[0] >> 4 != 4 or inner[16:20] != vip:
                stats["other"] += 1
                continue
            if len(stats["outer"]) < 512:
                stats["outer"].append(pkt[:ohl + 20].hex())
            os.write(tun, inner)
            stats["decapsulated"] += 1
            stats["inner_bytes"] += len(inner)
    except _Stop:
        pass
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.close(tun)   # the device goes with its last file descriptor
    for name, val in saved.items():
        subprocess.run(["sysctl", "-q", "-w", f"{name}={val}"], capture_output=True, timeout=10)
    print(json.dumps(stats), flush=True)


def _cmd_udpecho(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", a.port))
    signal.signal(signal.SIGTERM, _on_term)
    print("ready", flush=True)
    n = 0
    try:
        while True:
            data, peer = s.recvfrom(65535)
            s.sendto(f"{a.name} {peer[0]}:{peer[1]} ".encode() + data, peer)
            n += 1
    except _Stop:
        pass
    print(json.dumps({"answered": n}), flush=True)


def _cmd_http(a):
    import functools
    import http.server
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=a.dir)
    handler.log_message = lambda *args: None
    srv = http.server.ThreadingHTTPServer(("0.0.0.0", a.port), handler)
    signal.signal(signal.SIGTERM, _on_term)
    print("ready", flush=True)
    try:
        srv.serve_forever()
    except _Stop:
        pass


def _cmd_udpask(a):
    out = {}
    for src in a.sources:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(a.timeout)
        s.bind((src, 0))
        s.connect((a.server, a.port))
        s.send(a.payload.encode())
        try:
            out[src] = s.recv(65535).decode(errors="replace")
        except (socket.timeout, ConnectionRefusedError):
            out[src] = None
        s.close()
    print(json.dumps(out))


def main(argv=None):
    ap = argparse.ArgumentParser(description="vipd lab extensions (forwarding tests)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("_capture")
    p.add_argument("--iface", required=True)
    p = sub.add_parser("_ipipd")
    p.add_argument("--vip", required=True)
    p.add_argument("--dev", required=True)
    p = sub.add_parser("_udpecho")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--name", required=True)
    p = sub.add_parser("_http")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p = sub.add_parser("_udpask")
    p.add_argument("--server", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--payload", default="ping")
    p.add_argument("--timeout", type=float, default=3.0)
    p.add_argument("sources", nargs="+")
    a = ap.parse_args(argv)
    {"_capture": _cmd_capture, "_ipipd": _cmd_ipipd, "_udpecho": _cmd_udpecho,
     "_http": _cmd_http, "_udpask": _cmd_udpask}[a.cmd](a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
