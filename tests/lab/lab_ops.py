#!/usr/bin/python3
"""Operations helpers for the vipd namespace lab (tests/integration/test_ops.py,
test_reload.py, test_metrics.py).

  ops_conf()        a vipd config text for dir1: services given as dicts, optional
                    metrics_listen, small session table
  KeepAlive         one HTTP/1.1 keep-alive connection from a lab host, kept open
                    across test steps (a helper process in the namespace)
  TrafficLoop       a client in a lab namespace making a request every INTERVAL for
                    DURATION seconds, in the background; reports every failure
  ctl_request()     one line on vipd's control socket, the JSON answer back
  dpdk_telemetry()  commands through Debian's dpdk-telemetry.py -f FILE_PREFIX
  syn_frames(), udp_frames()  deterministic client packets (scapy), for exact counters
  normalize_*()     what must vary in vipctl's ipvsadm-style listings
  Golden            compare text with tests/golden/NAME (VIPD_UPDATE_GOLDEN=1 rewrites)

As a program inside a namespace:  lab_ops.py _ka ADDR PORT | _loop ADDR PORT ...
"""

import argparse
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lab as labmod  # noqa: E402

PYTHON = labmod.PYTHON
HERE = Path(__file__).resolve()
GOLDEN_DIR = labmod.REPO / "tests" / "golden"
DROP_H = labmod.REPO / "dataplane" / "drop.h"
VIP = labmod.VIP
RS_ADDR = {"rs1": "10.99.0.11", "rs2": "10.99.0.12"}


# -- configuration ------------------------------------------------------------------------

def _svc_text(s):
    rs = ",\n".join(
        "            { address = \"%s\"; port = %d; weight = %d;%s }" % (
            r["address"], r.get("port", s.get("port", 80)), r.get("weight", 1),
            (" " + r["extra"]) if r.get("extra") else "")
        for r in s.get("real_servers", []))
    lines = [
        "    {",
        f"        address = \"{s.get('address', VIP)}\";",
        f"        port = {s.get('port', 80)};",
        f"        protocol = \"{s.get('protocol', 'TCP')}\";",
        f"        scheduler = \"{s.get('scheduler', 'rr')}\";",
        f"        forwarding = \"{s.get('forwarding', 'DR')}\";",
    ]
    if s.get("persistence_timeout"):
        lines.append(f"        persistence_timeout = {s['persistence_timeout']};")
    if s.get("delay_loop"):
        lines.append(f"        delay_loop = {s['delay_loop']};")
    lines.append("        real_servers = (\n" + rs + "\n        );")
    lines.append("    }")
    return "\n".join(lines)


def web_service(port=80, scheduler="rr", rss=("rs1", "rs2"), **kw):
    """A DR service on the VIP answered by the lab's nginx real servers."""
    d = {"port": port, "scheduler": scheduler,
         "real_servers": [{"address": RS_ADDR[r], "port": port} for r in rss]}
    d.update(kw)
    return d


def ops_conf(services=(), metrics_listen=None, workers=1, sessions=65536, extra_global=""):
    """A vipd config for dir1 (port lan0, 10.99.0.2/24), no VRRP, no health checks
    unless a real server's "extra" holds one.  eal_args is only --no-pci: start_vipd
    gives the memory mode."""
    g = ['    router_id = "director1";']
    if metrics_listen:
        g.append(f'    metrics_listen = "{metrics_listen}";')
    if extra_global:
        g.append("    " + extra_global.strip())
    text = ("# vipd operations test configuration (tests/lab/lab_ops.py)\n"
            "global = {\n" + "\n".join(g) + "\n};\n"
            "dpdk = {\n"
            f"    workers = {workers};\n"
            f"    sessions = {sessions};\n"
            '    eal_args = [ "--no-pci" ];\n'
            "};\n"
            "ports = (\n"
            '    { name = "lan0"; device = "net_af_packet0,iface=lan0"; '
            'address = "10.99.0.2/24"; }\n'
            ");\n")
    if services:
        text += "virtual_servers = (\n" + ",\n".join(_svc_text(s) for s in services) + "\n);\n"
    return text


def line_of(text, needle):
    """1-based line number of the first line of text holding needle."""
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return i
    raise ValueError(f"{needle!r} not in the text")


# -- waiting ---------------------------------------------------------------------------------

def wait_for(pred, timeout, interval=0.1, what="condition"):
    """Poll pred() until it returns a true value (returned) or timeout (LabError)."""
    deadline = time.monotonic() + timeout
    err = None
    while True:
        try:
            last = pred()
            err = None
            if last:
                return last
        except (OSError, ValueError, KeyError, labmod.LabError) as e:
            err = e
        if time.monotonic() >= deadline:
            raise labmod.LabError(f"timeout ({timeout}s) waiting for {what}"
                                  f"{': ' + str(err) if err else ''}")
        time.sleep(interval)


# -- vipctl and the control socket -------------------------------------------------------

def vipctl(v, *args, timeout=15):
    """build/vipctl -p FILE_PREFIX ARGS (CompletedProcess, never raises on rc)."""
    return labmod.run([labmod.VIPCTL, "-p", v.file_prefix, *args], check=False,
                      timeout=timeout)


def vipctl_ok(v, *args, timeout=15):
    cp = vipctl(v, *args, timeout=timeout)
    if cp.returncode != 0:
        raise labmod.LabError(f"vipctl {' '.join(map(str, args))} failed "
                              f"(rc={cp.returncode}): {cp.stderr.strip()} {cp.stdout.strip()}")
    return cp


def ctl_path(v):
    return labmod.DPDK_RUN / v.file_prefix / "vipd.ctl"


def ctl_request(v, line, timeout=10):
    """Send one line to the control socket; the decoded JSON answer."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(str(ctl_path(v)))
        s.sendall(line.encode() + b"\n")
        buf = b""
        while b"\n" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
    finally:
        s.close()
    return json.loads(buf.decode().splitlines()[0])


def ctl_pipeline(v, lines, timeout=30):
    """Send every line at once on one connection (vipd reads them in one go), then
    read one JSON answer per line; fewer answers when vipd closes the connection."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    buf = b""
    try:
        s.connect(str(ctl_path(v)))
        s.sendall("".join(x + "\n" for x in lines).encode())
        while buf.count(b"\n") < len(lines):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    except (ConnectionResetError, BrokenPipeError):
        pass
    finally:
        s.close()
    return [json.loads(x) for x in buf.decode().splitlines() if x.strip()]


def rs_rows(v, service=None):
    """/vipd/realservers as a list of rows (optionally one service's)."""
    rows = list(v.counters("realservers").values())
    return [r for r in rows if service is None or r["service"] == service]


def svc_row(v, service):
    for r in v.counters("services").values():
        if r["service"] == service:
            return r
    return None


def wait_macs(v, timeout=10):
    """Until every real server's MAC is resolved (packets are then never held back)."""
    return wait_for(lambda: all(r["mac"] != "unresolved" for r in rs_rows(v)), timeout,
                    what="real server MACs resolved")


def wait_sessions(v, pred, timeout=5):
    return wait_for(lambda: pred(v.counters("stats")["sessions"]), timeout,
                    what="session count")


# -- DPDK's telemetry client ------------------------------------------------------------------

def dpdk_telemetry(file_prefix, commands, timeout=20):
    """Run dpdk-telemetry.py -f FILE_PREFIX with commands on stdin, one per line.
    Returns {command as sent: the value of its answer} (answers come in order, each
    keyed by the command without its parameters)."""
    cp = labmod.run(["dpdk-telemetry.py", "-f", file_prefix],
                    input="\n".join(commands) + "\n", timeout=timeout)
    answers = []
    for line in cp.stdout.splitlines():
        line = line.strip()
        if line.startswith("-->"):
            line = line[3:].strip()
        if line.startswith("{"):
            answers.append(json.loads(line))
    if len(answers) != len(commands):
        raise labmod.LabError(f"dpdk-telemetry.py: {len(answers)} answers to "
                              f"{len(commands)} commands:\n{cp.stdout}\n{cp.stderr}")
    out = {}
    for cmd, ans in zip(commands, answers):
        key = cmd.split(",", 1)[0]
        if key not in ans:
            raise labmod.LabError(f"dpdk-telemetry.py: answer to {cmd} is keyed {list(ans)}")
        out[cmd] = ans[key]
    return out


# -- deterministic packets --------------------------------------------------------------------

def syn_frames(lab, src, dport, sports, host="client"):
    """TCP SYNs (54 bytes each) from src (an address nobody in the lab holds, so no
    answer comes back and no RST follows) to VIP:dport."""
    from scapy.all import IP, TCP, Ether  # noqa: E402
    eth = Ether(dst=lab.mac("dir1"), src=lab.mac(host))
    return [bytes(eth / IP(src=src, dst=VIP, id=1, ttl=64) /
                  TCP(sport=sp, dport=dport, flags="S", seq=1000, window=1024))
            for sp in sports]


def udp_frames(lab, src, dport, sports, payload=b"vipd-ops", host="client"):
    from scapy.all import IP, UDP, Ether  # noqa: E402
    eth = Ether(dst=lab.mac("dir1"), src=lab.mac(host))
    return [bytes(eth / IP(src=src, dst=VIP, id=1, ttl=64) / UDP(sport=sp, dport=dport) /
                  payload) for sp in sports]


# -- normalising listings -------------------------------------------------------------------

MAC_RE = re.compile(r"\b[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}\b")


def normalize_macs(text):
    return MAC_RE.sub("XX:XX:XX:XX:XX:XX", text)


def normalize_lnc(text):
    """-lnc: the expiry counts down (replaced by MM:SS after checking its form) and the
    table is listed in its hash order (session lines sorted)."""
    lines = text.splitlines()
    head, body = lines[:2], []
    for line in lines[2:]:
        m = re.match(r"^(\S+\s+)(\d\d:\d\d)(\s.*)$", line)
        if not m:
            raise ValueError(f"-lnc line without an expiry: {line!r}")
        body.append(m.group(1) + "MM:SS" + m.group(3))
    return "\n".join(head + sorted(body)) + "\n"


def normalize_stats(text):
    """vipctl stats: the totals and port lines count ARP and the kernel's own traffic
    (timing dependent): their numbers become N, the port's drop lines go (frames the
    bridge floods count there); MAC addresses become XX."""
    out = []
    for line in text.splitlines():
        if line.startswith("  drop "):
            continue
        if line.startswith("Totals:") or re.match(r"^lan0\s", line):
            line = re.sub(r"\s+\d+", " N", line)
        out.append(line)
    return normalize_macs("\n".join(out) + "\n")


def golden(name, text):
    """Compare text with tests/golden/NAME; VIPD_UPDATE_GOLDEN=1 writes it instead.
    Returns (expected, text) for an assert with a readable diff."""
    path = GOLDEN_DIR / name
    if os.environ.get("VIPD_UPDATE_GOLDEN") == "1":
        GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return path.read_text(), text


def drop_reasons():
    """Telemetry names of every drop reason, from dataplane/drop.h."""
    return re.findall(r'^\s*X\(\w+,\s*"([a-z0-9_]+)"', DROP_H.read_text(), re.M)


# -- processes in the client namespace -------------------------------------------------------

class KeepAlive:
    """One HTTP/1.1 connection from host to addr:port, kept open between get() calls."""

    def __init__(self, lab, addr=VIP, port=80, host="client", timeout=3.0):
        self.lab = lab
        self.p = lab.popen(host, [PYTHON, HERE, "_ka", addr, str(port), "--timeout",
                                  str(timeout)],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, bufsize=1)
        hello = self._read(15)
        if not hello.get("ok"):
            self.close()
            raise labmod.LabError(f"keep-alive connection to {addr}:{port}: {hello}")
        self.sport = hello["sport"]

    def _read(self, timeout):
        r, _w, _x = select.select([self.p.stdout], [], [], timeout)
        if not r:
            return {"ok": False, "error": f"helper silent for {timeout}s"}
        line = self.p.stdout.readline()
        if not line:
            err = self.p.stderr.read() if self.p.poll() is not None else ""
            return {"ok": False, "error": f"helper exited: {err.strip()}"}
        return json.loads(line)

    def get(self, path="/"):
        """{"ok": True, "status": 200, "body": "rs1 10.99.0.10\\n"} or {"ok": False, ...}."""
        if self.p.poll() is not None:
            return {"ok": False, "error": "helper gone"}
        self.p.stdin.write(f"get {path}\n")
        self.p.stdin.flush()
        return self._read(15)

    def close(self):
        if self.p.poll() is None:
            try:
                self.p.stdin.write("quit\n")
                self.p.stdin.flush()
                self.p.wait(3)
            except (OSError, subprocess.TimeoutExpired):
                self.p.kill()
                self.p.wait(5)
        for f in (self.p.stdin, self.p.stdout, self.p.stderr):
            try:
                f.close()
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class TrafficLoop:
    """In host's namespace: a GET every interval s for duration s, each on a new
    connection (keepalive=False) or all on one (True).  result() waits for the end and
    returns {"ok": N, "failed": [{"t": s, "error": ...}], "by": {name: N}}."""

    def __init__(self, lab, addr=VIP, port=80, interval=0.02, duration=8.0, host="client",
                 keepalive=False, timeout=2.0):
        args = [PYTHON, HERE, "_loop", addr, str(port), "--interval", str(interval),
                "--duration", str(duration), "--timeout", str(timeout)]
        if keepalive:
            args.append("--keepalive")
        self.duration = duration
        self.p = lab.popen(host, args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
        line = self.p.stdout.readline()
        if line.strip() != "started":
            self.p.kill()
            raise labmod.LabError(f"traffic loop did not start: {line} {self.p.stderr.read()}")

    def result(self):
        try:
            out, err = self.p.communicate(timeout=self.duration + 30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            out, err = self.p.communicate(timeout=5)
        lines = [x for x in out.splitlines() if x.startswith("{")]
        if not lines:
            raise labmod.LabError(f"traffic loop gave no result: {out} {err}")
        return json.loads(lines[-1])

    def stop(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.communicate(timeout=5)


# -- helpers run inside a namespace -----------------------------------------------------------

def _http_get(sock, path, addr, keepalive, timeout):
    """One request; returns (status, body).  The lab's nginx answers with a short fixed
    text/plain body and Content-Length."""
    req = (f"GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: vipd-lab\r\n"
           f"Connection: {'keep-alive' if keepalive else 'close'}\r\n\r\n")
    sock.sendall(req.encode())
    buf = b""
    deadline = time.monotonic() + timeout
    while True:
        if b"\r\n\r\n" in buf:
            head, rest = buf.split(b"\r\n\r\n", 1)
            m = re.search(rb"content-length:\s*(\d+)", head, re.I)
            n = int(m.group(1)) if m else None
            if n is not None and len(rest) >= n:
                status = int(head.split(b" ", 2)[1])
                return status, rest[:n].decode(errors="replace")
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no complete answer in {timeout}s (got {len(buf)} bytes)")
        sock.settimeout(left)
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"connection closed after {len(buf)} bytes")
        buf += chunk


def _cmd_ka(a):
    try:
        s = socket.create_connection((a.addr, a.port), timeout=a.timeout)
    except OSError as e:
        print(json.dumps({"ok": False, "error": str(e)}), flush=True)
        return 1
    print(json.dumps({"ok": True, "sport": s.getsockname()[1]}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            break
        try:
            status, body = _http_get(s, words[1] if len(words) > 1 else "/", a.addr, True,
                                     a.timeout)
            print(json.dumps({"ok": status == 200, "status": status, "body": body}),
                  flush=True)
        except OSError as e:
            print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"}), flush=True)
    s.close()
    return 0


def _cmd_loop(a):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    res = {"ok": 0, "failed": [], "by": {}, "connects": 0}
    sock = None
    t0 = time.monotonic()
    print("started", flush=True)
    n = 0
    while not stop and time.monotonic() - t0 < a.duration:
        t = time.monotonic() - t0
        try:
            if sock is None:
                sock = socket.create_connection((a.addr, a.port), timeout=a.timeout)
                res["connects"] += 1
            status, body = _http_get(sock, "/", a.addr, a.keepalive, a.timeout)
            if status != 200:
                raise ValueError(f"HTTP {status}")
            name = body.split()[0] if body.split() else "?"
            res["by"][name] = res["by"].get(name, 0) + 1
            res["ok"] += 1
            if not a.keepalive:
                sock.close()
                sock = None
        except (OSError, ValueError) as e:
            res["failed"].append({"t": round(t, 3), "error": f"{type(e).__name__}: {e}"})
            if sock is not None:
                sock.close()
                sock = None
        n += 1
        nxt = t0 + n * a.interval
        delay = nxt - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    if sock is not None:
        sock.close()
    res["elapsed"] = round(time.monotonic() - t0, 3)
    print(json.dumps(res), flush=True)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description="vipd lab operations helpers")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("_ka", help="a keep-alive HTTP connection driven by stdin")
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("--timeout", type=float, default=3.0)
    p = sub.add_parser("_loop", help="requests at a fixed interval, JSON summary at the end")
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("--interval", type=float, default=0.02)
    p.add_argument("--duration", type=float, default=8.0)
    p.add_argument("--timeout", type=float, default=2.0)
    p.add_argument("--keepalive", action="store_true")
    a = ap.parse_args(argv)
    if a.cmd == "_ka":
        return _cmd_ka(a)
    return _cmd_loop(a)


if __name__ == "__main__":
    sys.exit(main())
