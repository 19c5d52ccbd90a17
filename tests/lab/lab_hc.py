#!/usr/bin/python3
"""Health-check helpers for the vipd namespace lab (tests/integration/test_hc.py,
bench/hc_scale.sh).

Servers that run inside a lab namespace, each a child of the test (started through
Lab.popen, so Lab.down() kills whatever a test forgot):

  HttpZoo      one process, many ports, each port one behaviour: a good answer, a
               wrong status, a slow or silent server, garbage, chunked bodies, a
               Host-dependent answer, an SMTP server that refuses (554)
  SmtpSink     aiosmtpd on ADDR:PORT; every message it accepts is one JSON line
  Dnsmasq      dnsmasq answering A for *.vipd.test, NXDOMAIN for *.invalid
  TlsNginx     a second nginx with a self-signed certificate (openssl req), answering
               "tls <SNI name>\\n" so a digest proves the SNI went out
  sorry_host   the VIP on lo (DR) plus an HttpZoo answering "sorry" on :80
  Listeners    (bench) many listening TCP ports that accept and close

Also: checks(vipd) -> every /vipd/checks row (all pages), wait_for(), md5().

As a program (inside a namespace): lab_hc.py _zoo | _smtp | _listen ...
"""

import argparse
import hashlib
import json
import os
import random
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lab as labmod  # noqa: E402

PYTHON = labmod.PYTHON
HERE = Path(__file__).resolve()


def md5(text):
    return hashlib.md5(text.encode() if isinstance(text, str) else text).hexdigest()


# -- waiting on vipd ------------------------------------------------------------------

def checks(vipd, timeout=5):
    """Every row of /vipd/checks (all pages): {"rs<N>": {...}}."""
    rows, start = {}, 0
    while True:
        cmd = f"/vipd/checks,{start}"
        page = vipd.telemetry(cmd, timeout=timeout).get("/vipd/checks")
        if not isinstance(page, dict):
            raise labmod.LabError(f"/vipd/checks: unexpected answer {page!r}")
        nxt = page.pop("next", None)
        rows.update(page)
        if not isinstance(nxt, int) or nxt <= start:
            return rows
        start = nxt


def check_by(rows, address, port=None, service=None):
    """The row of the real server address[:port] (in service), or None."""
    for r in rows.values():
        if r["address"] == address and (port is None or r["port"] == port) and \
                (service is None or r["service"] == service):
            return r
    return None


def wait_for(pred, timeout, interval=0.2, what="condition"):
    """Poll pred() until it returns a true value (returned) or timeout (LabError)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = pred()
        except (OSError, ValueError, KeyError, labmod.LabError) as e:  # vipd busy starting
            last = None
            err = e
        else:
            err = None
            if last:
                return last
        if time.monotonic() >= deadline:
            raise labmod.LabError(f"timeout ({timeout}s) waiting for {what}"
                                  f"{': ' + str(err) if err else ''}")
        time.sleep(interval)


# -- processes in namespaces ----------------------------------------------------------------

def _start_helper(lab, host, args, what, timeout=15):
    """Start `lab_hc.py ARGS` in host's namespace; wait for its "ready" line."""
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
    if p.poll() is None:
        p.kill()
    err = ""
    try:
        _out, err = p.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    raise labmod.LabError(f"{what} in {host} did not start: {err}")


def _stop(p, timeout=5):
    if p is None or p.poll() is not None:
        return
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(5)


def _wait_port(lab, host, addr, port, proto="tcp", timeout=10):
    flag = "-ltn" if proto == "tcp" else "-lun"
    ok = {f"{addr}:{port}", f"*:{port}", f"0.0.0.0:{port}"}

    def listening():
        out = lab.ns_exec(host, ["ss", "-H", flag], check=False).stdout
        return any(len(f) > 3 and f[3] in ok for f in (x.split() for x in out.splitlines()))
    wait_for(listening, timeout, what=f"{proto} {addr}:{port} listening in {host}")


class HttpZoo:
    """Misbehaving (and well-behaved) servers on ports of addr in host's namespace.
    modes: {port: mode}; mode is one of
      ok:TEXT        200, Content-Length, body TEXT
      status:NNN     NNN with a short body
      slow:SECS      reads the request, answers 200 after SECS
      silent         accepts, reads, never answers (holds the connection 120 s)
      garbage        sends random bytes, closes
      chunked:TEXT   HTTP/1.1 200 with a chunked body TEXT (3-byte chunks)
      close:TEXT     HTTP/1.0 200 without a length: the body ends at the close
      host:NAME      200 "host ok" when the Host header is NAME, else 404
      smtp554        an SMTP server that refuses: "554 go away"
    """

    def __init__(self, lab, host, addr, modes):
        self.lab, self.host, self.addr, self.modes = lab, host, addr, dict(modes)
        self.p = None

    def start(self):
        args = ["_zoo", "--addr", self.addr]
        for port, mode in self.modes.items():
            args += ["--serve", f"{port}={mode}"]
        self.p = _start_helper(self.lab, self.host, args, "HttpZoo")
        return self

    def alive(self):
        return self.p is not None and self.p.poll() is None

    def stop(self):
        _stop(self.p)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class SmtpSink:
    """aiosmtpd on addr:port in host's namespace; messages() -> accepted emails."""

    def __init__(self, lab, host, addr, port, spool):
        self.lab, self.host, self.addr, self.port = lab, host, addr, port
        self.spool = Path(spool)
        self.p = None

    def start(self):
        self.spool.parent.mkdir(parents=True, exist_ok=True)
        self.spool.write_text("")
        self.p = _start_helper(self.lab, self.host, ["_smtp", "--addr", self.addr, "--port",
                                                     str(self.port), "--spool", str(self.spool)],
                               "aiosmtpd")
        return self

    def messages(self):
        try:
            return [json.loads(x) for x in self.spool.read_text().splitlines() if x.strip()]
        except (OSError, ValueError):
            return []

    def subjects(self):
        return [m["subject"] for m in self.messages()]

    def stop(self):
        _stop(self.p)


class Dnsmasq:
    """dnsmasq on addr:53 of host: A for *.vipd.test (-> addr), NXDOMAIN for *.invalid,
    no upstream, no /etc/hosts."""

    def __init__(self, lab, host, addr, workdir):
        self.lab, self.host, self.addr = lab, host, addr
        self.dir = Path(workdir)
        self.p = None

    def start(self):
        if shutil.which("dnsmasq") is None:
            raise labmod.LabError("dnsmasq is not installed (apt-get install dnsmasq-base)")
        self.dir.mkdir(parents=True, exist_ok=True)
        cmd = ["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
               "--no-hosts", "--no-poll", "--bind-interfaces", f"--listen-address={self.addr}",
               "--port=53", f"--address=/vipd.test/{self.addr}", "--local=/invalid/",
               "--user=root", "--group=root", f"--pid-file={self.dir / 'dnsmasq.pid'}",
               f"--log-facility={self.dir / 'dnsmasq.log'}"]
        self.p = self.lab.popen(self.host, cmd, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        try:
            _wait_port(self.lab, self.host, self.addr, 53, proto="udp")
        except labmod.LabError:
            _stop(self.p)
            err = self.p.stderr.read().decode(errors="replace") if self.p.stderr else ""
            raise labmod.LabError(f"dnsmasq did not start: {err}")
        return self

    def stop(self):
        _stop(self.p)


TLS_NGINX_CONF = """\
daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 128; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen {addr}:{port} ssl;
        ssl_certificate {d}/cert.pem;
        ssl_certificate_key {d}/key.pem;
        location / {{
            default_type text/plain;
            return 200 "tls $ssl_server_name\\n";
        }}
    }}
}}
"""


class TlsNginx:
    """nginx with a fresh self-signed certificate on addr:port of host (its own prefix,
    in the foreground: a child of the test)."""

    def __init__(self, lab, host, addr, port, workdir, cn="www.vipd.test"):
        self.lab, self.host, self.addr, self.port, self.cn = lab, host, addr, port, cn
        self.dir = Path(workdir)
        self.p = None

    def start(self):
        d = self.dir
        d.mkdir(parents=True, exist_ok=True)
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (d / sub).mkdir(exist_ok=True)
        labmod.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                    f"/CN={self.cn}", "-keyout", d / "key.pem", "-out", d / "cert.pem"])
        conf = d / "nginx.conf"
        conf.write_text(TLS_NGINX_CONF.format(d=d, addr=self.addr, port=self.port))
        self.p = self.lab.popen(self.host, ["nginx", "-p", d, "-e", d / "error.log", "-c", conf],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_port(self.lab, self.host, self.addr, self.port)
        except labmod.LabError:
            _stop(self.p)
            raise labmod.LabError("TLS nginx did not start: " +
                                  (d / "error.log").read_text(errors="replace"))
        return self

    def stop(self):
        _stop(self.p)


def sorry_host(lab, host="mail", text="sorry"):
    """Make host a DR real server (VIP on lo, no ARP for it) answering text on :80."""
    ns = lab.ns(host)
    ifname = lab.ifname(host)
    cp = lab.ns_exec(host, ["ip", "-o", "addr", "show", "dev", "lo"], check=False)
    if labmod.VIP not in cp.stdout:
        labmod.run(["ip", "-n", ns, "addr", "add", f"{labmod.VIP}/32", "dev", "lo"])
    lab._sysctl(ns, {"net.ipv4.conf.all.arp_ignore": 1, "net.ipv4.conf.all.arp_announce": 2,
                     f"net.ipv4.conf.{ifname}.arp_ignore": 1,
                     f"net.ipv4.conf.{ifname}.arp_announce": 2})
    return HttpZoo(lab, host, "0.0.0.0", {80: f"ok:{text}\n"}).start()


def sorry_host_undo(lab, host="mail"):
    labmod.run(["ip", "-n", lab.ns(host), "addr", "del", f"{labmod.VIP}/32", "dev", "lo"],
               check=False)


# -- helpers run inside a namespace ---------------------------------------------------------

def _zoo_conn(conn, mode):
    conn.settimeout(10)
    kind, _, arg = mode.partition(":")
    try:
        if kind == "smtp554":
            conn.sendall(b"554 go away\r\n")
            return
        req = b""
        while b"\r\n\r\n" not in req and len(req) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                return
            req += chunk
        if kind == "ok":
            body = arg.encode()
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                         b"Connection: close\r\n\r\n%s" % (len(body), body))
        elif kind == "status":
            body = b"status %s\n" % arg.encode()
            conn.sendall(b"HTTP/1.1 %s X\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                         % (arg.encode(), len(body), body))
        elif kind == "slow":
            time.sleep(float(arg))
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
        elif kind == "silent":
            time.sleep(120)
        elif kind == "garbage":
            rnd = random.Random(len(req))
            conn.sendall(b"\x00\x17garbage " + bytes(rnd.getrandbits(8) for _ in range(200)))
        elif kind == "chunked":
            body = arg.encode()
            out = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            for i in range(0, len(body), 3):
                part = body[i:i + 3]
                out += b"%x\r\n%s\r\n" % (len(part), part)
            conn.sendall(out + b"0\r\n\r\n")
        elif kind == "close":
            conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + arg.encode())
        elif kind == "host":
            host = b""
            for line in req.split(b"\r\n")[1:]:
                if line.lower().startswith(b"host:"):
                    host = line[5:].strip()
            code = b"200 OK" if host == arg.encode() else b"404 Not Found"
            conn.sendall(b"HTTP/1.1 %s\r\nContent-Length: 8\r\n\r\nhost ok\n" % code)
    except OSError:
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def _cmd_zoo(a):
    socks = []
    for spec in a.serve:
        port, _, mode = spec.partition("=")
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((a.addr, int(port)))
        s.listen(128)
        socks.append((s, mode))
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    print("ready", flush=True)
    fds = {s.fileno(): (s, m) for s, m in socks}
    while True:
        r, _w, _x = select.select(list(fds), [], [])
        for fd in r:
            s, mode = fds[fd]
            try:
                conn, _peer = s.accept()
            except OSError:
                continue
            threading.Thread(target=_zoo_conn, args=(conn, mode), daemon=True).start()


def _cmd_smtp(a):
    from email import message_from_bytes
    from aiosmtpd.controller import Controller

    spool = Path(a.spool)
    lock = threading.Lock()

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            msg = message_from_bytes(envelope.content)
            rec = {"helo": session.host_name, "from": envelope.mail_from,
                   "to": list(envelope.rcpt_tos), "subject": msg.get("Subject", ""),
                   "body": msg.get_payload() if not msg.is_multipart() else ""}
            with lock, spool.open("a") as f:
                f.write(json.dumps(rec) + "\n")
            return "250 2.0.0 Ok: queued"

    ctl = Controller(Handler(), hostname=a.addr, port=a.port)
    ctl.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()
    ctl.stop()


def _cmd_listen(a):
    """Listen on ports first..last of every address in --addrs (or 0.0.0.0); accept and
    close at once (for TCP_CHECK at scale: the kernel completes the handshake, this only
    keeps the accept queues empty)."""
    import resource
    n = (a.last - a.first + 1) * max(1, len(a.addrs))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, n + 1024)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    import selectors
    sel = selectors.DefaultSelector()
    for addr in (a.addrs or ["0.0.0.0"]):
        for port in range(a.first, a.last + 1):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((addr, port))
            s.listen(1024)
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    print("ready", flush=True)
    while True:
        for key, _ev in sel.select():
            s = key.fileobj
            for _ in range(64):
                try:
                    c, _peer = s.accept()
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    break
                c.close()


def main(argv=None):
    ap = argparse.ArgumentParser(description="vipd lab: health-check helpers")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("_zoo")
    p.add_argument("--addr", default="0.0.0.0")
    p.add_argument("--serve", action="append", default=[], help="PORT=MODE")
    p = sub.add_parser("_smtp")
    p.add_argument("--addr", required=True)
    p.add_argument("--port", type=int, default=25)
    p.add_argument("--spool", required=True)
    p = sub.add_parser("_listen")
    p.add_argument("--first", type=int, required=True)
    p.add_argument("--last", type=int, required=True)
    p.add_argument("--addrs", nargs="*", default=[])
    a = ap.parse_args(argv)
    return {"_zoo": _cmd_zoo, "_smtp": _cmd_smtp, "_listen": _cmd_listen}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
