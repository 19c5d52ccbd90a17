#!/usr/bin/python3
"""VRRP extensions of the vipd namespace lab (tests/lab/lab.py).

- vrrp_conf(): a director's vipd config from docs/examples/reference.conf or
  reference-backup.conf with the VRRP instance changed (version, advert_int,
  priority, state, preempt, notify, ...).
- add_vrrp_scripts(), file_script(), add_vrrp_instance(), add_sync_group(),
  add_dr_service(), rs_vip(): track_script / vrrp_sync_group set-ups on top
  of vrrp_conf() (a second instance with its own VIP and DR service).
- Keepalived: Debian's keepalived as the peer director in a lab namespace
  (VRRP only, -P), its state from a notify script writing a file.
- Probe: a client loop in the client namespace measuring the service gap:
  an HTTP request on a new connection every 50 ms and an ICMP echo to the VIP
  every 10 ms, with their longest outage.
- sniff(): VRRP frames captured on a host's interface; advert frames built
  with scapy (explicit Ethernet src and type).

Helpers run inside namespaces as `python3 lab_vrrp.py _probe|_sniff ...`.
"""

import argparse
import json
import os
import re
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

REPO = labmod.REPO
REFERENCE = REPO / "docs" / "examples" / "reference.conf"
REFERENCE_BACKUP = REPO / "docs" / "examples" / "reference-backup.conf"
VRRP_GROUP = "224.0.0.18"
VRRP_MAC = "01:00:5e:00:00:12"
VRID = 51
AUTH_PASS = "vipd1234"
KEEPALIVED = "/usr/sbin/keepalived"
PYTHON = labmod.PYTHON
HERE = Path(__file__).resolve()


# ---------------------------------------------------------------------------
# vipd configs

def vrrp_conf(director="dir1", version=None, advert_int=None, priority=None, state=None,
              preempt=None, preempt_delay=None, notify=None, extra=(), unicast_peer=None,
              workers=None, smtp_alert=False):
    """Config text for director dir1 (reference.conf) or dir2 (reference-backup.conf),
    eal_args reduced to --no-pci (the lab adds the memory mode), VRRP changed as asked.
    version 3 drops the authentication group (RFC 5798 has none). smtp_alert=False
    drops the reference's email alerts (tests that do not read them run faster without
    an SMTP exchange at every transition and shutdown)."""
    src = REFERENCE if director == "dir1" else REFERENCE_BACKUP
    text = labmod.derive_conf(src.read_text(), workers=workers)
    start = text.index("vrrp_instances")
    end = text.index("virtual_servers")
    block = text[start:end]
    if version == 3:
        block = re.sub(r"\n\s*authentication\s*=\s*\{[^}]*\};", "", block)
    if not smtp_alert:
        block = re.sub(r"\n\s*smtp_alert\s*=\s*true;", "", block)
    if advert_int is not None:
        block = re.sub(r"(\badvert_int\s*=\s*)[0-9.]+", rf"\g<1>{advert_int}", block)
    if priority is not None:
        block = re.sub(r"(\bpriority\s*=\s*)\d+", rf"\g<1>{priority}", block)
    if state is not None:
        block = re.sub(r'(\bstate\s*=\s*)"[A-Z]+"', rf'\g<1>"{state}"', block)
    adds = []
    if version is not None:
        adds.append(f"version = {version};")
    if preempt is not None:
        adds.append(f"preempt = {'true' if preempt else 'false'};")
    if preempt_delay is not None:
        adds.append(f"preempt_delay = {preempt_delay};")
    if notify is not None:
        adds.append(f'notify = "{notify}";')
    if unicast_peer is not None:
        adds.append("unicast_peer = [ " + ", ".join(f'"{p}"' for p in unicast_peer) + " ];")
    adds += list(extra)
    if adds:
        block = re.sub(r"(\bvirtual_router_id\s*=\s*\d+;)",
                       lambda m: m.group(1) + "".join("\n\t\t" + a for a in adds), block)
    return text[:start] + block + text[end:]


NOTIFY_SCRIPT = """#!/bin/sh
# $1=INSTANCE|GROUP $2=name $3=STATE $4=priority (keepalived's generic notify)
echo "$1 $2 $3 $4" >> "{log}"
echo "$3" > "{state}"
"""


def write_notify_script(path, log, state):
    Path(path).write_text(NOTIFY_SCRIPT.format(log=log, state=state))
    os.chmod(path, 0o755)
    return str(path)


# ---------------------------------------------------------------------------
# keepalived as a peer

KEEPALIVED_CONF = """\
global_defs {{
    router_id {router_id}
    script_user root
    enable_script_security
    vrrp_garp_master_delay 1
}}
vrrp_instance VI_1 {{
    state {state}
    interface {ifname}
    virtual_router_id {vrid}
    priority {priority}
    advert_int {advert_int}
    version {version}
{auth}{nopreempt}    virtual_ipaddress {{
        {vip}/24 dev {ifname}
    }}
    notify "{notify}"
}}
"""


class Keepalived:
    """keepalived -P (VRRP only) in a lab host's namespace, on its veth."""

    def __init__(self, lab, host, version=2, advert_int=1, priority=99, state="BACKUP",
                 preempt=True, addr=None):
        self.lab = lab
        self.host = host
        self.ifname = lab.ifname(host)
        self.addr = addr or labmod.DIRECTOR_ADDR.get(host)
        self.dir = lab.tmpdir / f"keepalived-{host}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.state_file = self.dir / "state"
        self.notify_log = self.dir / "notify.log"
        self.log_path = self.dir / "keepalived.log"
        notify = write_notify_script(self.dir / "notify.sh", self.notify_log, self.state_file)
        auth = (f"    authentication {{\n        auth_type PASS\n        auth_pass {AUTH_PASS}\n"
                f"    }}\n") if version == 2 else ""
        self.conf = self.dir / "keepalived.conf"
        self.conf.write_text(KEEPALIVED_CONF.format(
            router_id=f"ka-{host}", state=state, ifname=self.ifname, vrid=VRID,
            priority=priority, advert_int=advert_int, version=version, auth=auth,
            nopreempt="" if preempt else "    nopreempt\n", vip=labmod.VIP, notify=notify))
        self.proc = None

    def start(self):
        for f in (self.state_file, self.notify_log):
            if f.exists():
                f.unlink()
        # the director host has no address of its own: keepalived needs one; and a
        # vipd that ran here set arp_ignore=8 (the kernel would never answer for the VIP)
        self.lab.ns_exec(self.host, ["ip", "addr", "replace", f"{self.addr}/{labmod.PREFIXLEN}",
                                     "dev", self.ifname])
        self.lab.ns_exec(self.host, ["sysctl", "-q", "-w",
                                     f"net.ipv4.conf.{self.ifname}.arp_ignore=0"])
        cmd = [KEEPALIVED, "-n", "-l", "-D", "-P", "-f", self.conf,
               "-p", self.dir / "keepalived.pid", "-r", self.dir / "vrrp.pid",
               "-c", self.dir / "checkers.pid"]
        self.logf = open(self.log_path, "a")
        self.proc = self.lab.popen(self.host, cmd, stdout=self.logf, stderr=subprocess.STDOUT)
        return self

    def state(self):
        try:
            return self.state_file.read_text().strip()
        except OSError:
            return None

    def wait_state(self, want, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.state() == want:
                return True
            if self.proc and self.proc.poll() is not None:
                break
            time.sleep(0.02)
        return False

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def pids(self):
        out = []
        for f in ("keepalived.pid", "vrrp.pid"):
            try:
                out.append(int((self.dir / f).read_text().strip()))
            except (OSError, ValueError):
                pass
        return [p for p in out if labmod.pid_alive(p)]

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """SIGTERM: keepalived's VRRP process sends priority 0 and removes the VIP."""
        if self.proc and self.proc.poll() is None:
            if sig == signal.SIGKILL:
                for p in self.pids():
                    try:
                        os.kill(p, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        labmod.kill_pids(self.pids(), timeout=3)
        if getattr(self, "logf", None):
            self.logf.close()
            self.logf = None

    def cleanup(self):
        self.stop()
        # a killed keepalived leaves the VIP and the address on the interface
        self.lab.ns_exec(self.host, ["ip", "addr", "flush", "dev", self.ifname], check=False)


# ---------------------------------------------------------------------------
# the client loop

class Probe:
    """`lab_vrrp.py _probe` in the client namespace; stop() returns its results."""

    def __init__(self, lab, host="client", target=labmod.VIP, http_interval=0.05,
                 icmp_interval=0.01, http=True, icmp=True, timeout=1.0):
        self.lab = lab
        cmd = [PYTHON, HERE, "_probe", "--target", target, "--http-interval", http_interval,
               "--icmp-interval", icmp_interval, "--timeout", timeout]
        if not http:
            cmd.append("--no-http")
        if not icmp:
            cmd.append("--no-icmp")
        self.proc = lab.popen(host, cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
        self.result = None
        # it says "ready" once its sockets are open; then a healthy baseline
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            raise labmod.LabError(f"probe did not start: {line!r} {self.proc.stderr.read()}")
        time.sleep(0.3)

    def stop(self):
        """Stops new probes, waits for the ones in flight (up to the timeout)."""
        if self.result is None:
            self.proc.send_signal(signal.SIGTERM)
            out, err = self.proc.communicate(timeout=20)
            if not out.strip():
                raise labmod.LabError(f"probe printed nothing: {err}")
            self.result = json.loads(out.strip().splitlines()[-1])
        return self.result


def longest_gap(samples, interval):
    """samples: [(t_start, ok)] in start order. The longest outage: time between the
    starts of the last success before and the first success after a failure run, less
    one interval (a healthy series gives 0). Returns (gap_s, failures)."""
    best = 0.0
    last_ok = None
    fails = 0
    run_fail = False
    for t, ok in samples:
        if ok:
            if last_ok is not None and run_fail:
                best = max(best, t - last_ok - interval)
            last_ok = t
            run_fail = False
        else:
            fails += 1
            run_fail = True
    if run_fail and last_ok is not None and samples:
        best = max(best, samples[-1][0] - last_ok)
    return max(best, 0.0), fails


def gaps(result):
    """{'http': (gap, failures, total), 'icmp': (...)} from Probe.stop()."""
    out = {}
    for k in ("http", "icmp"):
        s = result.get(k) or []
        g, f = longest_gap(s, result[f"{k}_interval"])
        out[k] = (round(g, 3), f, len(s))
    return out


def _cmd_probe(a):
    """HTTP on a new connection every http_interval, ICMP echo every icmp_interval;
    each fails after timeout. Prints JSON on SIGTERM."""
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    t0 = time.monotonic()
    http, icmp = [], {}
    pending = {}          # fd -> [sock, t_start, phase, data]
    poll = select.poll()
    ident = os.getpid() & 0xffff
    isock = None
    if a.icmp:
        isock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        isock.setblocking(False)
        poll.register(isock.fileno(), select.POLLIN)
    seq = 0
    print("ready", flush=True)
    t0 = time.monotonic()
    next_http = next_icmp = t0
    req = f"GET / HTTP/1.0\r\nHost: {a.target}\r\n\r\n".encode()

    def csum(b):
        if len(b) % 2:
            b += b"\0"
        s = sum(struct.unpack(f"!{len(b) // 2}H", b))
        s = (s >> 16) + (s & 0xffff)
        s += s >> 16
        return ~s & 0xffff

    def finish(fd, ok):
        sk, ts, _ph, _d = pending.pop(fd)
        poll.unregister(fd)
        sk.close()
        http.append((ts - t0, ok))

    t_stop = None
    while True:
        now = time.monotonic()
        if stop and t_stop is None:
            t_stop = now
        if t_stop is not None and (not pending and now - t_stop >= 0.3 or
                                   now - t_stop > a.timeout + 0.5):
            break
        if t_stop is None and a.http and now >= next_http:
            next_http += a.http_interval
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.connect_ex((a.target, 80))
            pending[s.fileno()] = [s, now, "connect", b""]
            poll.register(s.fileno(), select.POLLOUT)
        if t_stop is None and a.icmp and now >= next_icmp:
            next_icmp += a.icmp_interval
            seq = (seq + 1) & 0xffff
            hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"vipd-vrrp-probe!"
            pkt = hdr[:2] + struct.pack("!H", csum(hdr)) + hdr[4:]
            try:
                isock.sendto(pkt, (a.target, 0))
            except OSError:
                pass
            icmp[seq] = [now - t0, False]
        for fd, sk in list(pending.items()):
            if now - sk[1] > a.timeout:
                finish(fd, False)
        wait = min(next_http if a.http else 1e18, next_icmp if a.icmp else 1e18) - time.monotonic()
        if t_stop is not None:
            wait = 0.02
        for fd, ev in poll.poll(max(0, wait) * 1000):
            if isock is not None and fd == isock.fileno():
                while True:
                    try:
                        d = isock.recv(2048)
                    except BlockingIOError:
                        break
                    ihl = (d[0] & 15) * 4
                    t, _c, _s, i, sq = struct.unpack("!BBHHH", d[ihl:ihl + 8])
                    if t == 0 and i == ident and sq in icmp:
                        icmp[sq][1] = True
                continue
            ent = pending.get(fd)
            if ent is None:
                continue
            sk = ent[0]
            if ent[2] == "connect":
                if sk.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                    finish(fd, False)
                    continue
                try:
                    sk.send(req)
                except OSError:
                    finish(fd, False)
                    continue
                ent[2] = "read"
                poll.modify(fd, select.POLLIN)
            else:
                try:
                    d = sk.recv(4096)
                except OSError:
                    finish(fd, False)
                    continue
                ent[3] += d
                if not d:
                    finish(fd, ent[3].startswith(b"HTTP/1.1 200") and b"rs" in ent[3])
    for fd in list(pending):
        finish(fd, False)
    # echoes sent in the last 0.3 s before the stop may still be on their way
    cut = (t_stop or time.monotonic()) - t0 - 0.3
    res = {"http_interval": a.http_interval, "icmp_interval": a.icmp_interval,
           "http": sorted(http),
           "icmp": sorted(tuple(v) for v in icmp.values() if v[1] or v[0] <= cut)}
    print(json.dumps(res))


# ---------------------------------------------------------------------------
# frames

def sniff(lab, host, count=1, timeout=5.0, ifname=None, proto=112):
    """Up to count IPv4 frames of IP protocol proto seen on host's interface (bytes)."""
    cp = lab.ns_exec(host, [PYTHON, HERE, "_sniff", "--iface", ifname or lab.ifname(host),
                            "--count", count, "--timeout", timeout, "--proto", proto],
                     timeout=timeout + 30)
    return [bytes.fromhex(x) for x in cp.stdout.split()]


def sniff_start(lab, host, ethertype=0x0806, timeout=7.0, count=1000, ifname=None):
    """Background capture of one ethertype on host's interface; sniff_result() reads it."""
    p = lab.popen(host, [PYTHON, HERE, "_sniff", "--iface", ifname or lab.ifname(host),
                         "--count", count, "--timeout", timeout, "--ethertype", ethertype,
                         "--times"], stdout=subprocess.PIPE, text=True)
    if p.stdout.readline().strip() != "ready":
        raise labmod.LabError("sniffer did not start")
    return p


def sniff_result(p, timeout=30):
    """[(seconds since capture start, frame bytes)] of sniff_start()."""
    out, _ = p.communicate(timeout=timeout)
    res = []
    for tok in out.split():
        t, h = tok.split(",")
        res.append((float(t), bytes.fromhex(h)))
    return res


def _cmd_sniff(a):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(a.ethertype))
    s.bind((a.iface, 0))
    s.settimeout(0.2)
    if a.times:
        print("ready", flush=True)
    out = []
    t0 = time.monotonic()
    end = t0 + a.timeout
    while len(out) < a.count and time.monotonic() < end:
        try:
            d, addr = s.recvfrom(65535)
        except socket.timeout:
            continue
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        if a.ethertype != 0x0800 or (len(d) >= 34 and d[23] == a.proto):
            out.append(f"{time.monotonic() - t0:.4f},{d.hex()}" if a.times else d.hex())
    print(" ".join(out))


def advert(src_mac, src_ip, version=2, vrid=VRID, priority=100, adv=None, vips=(labmod.VIP,),
           auth=AUTH_PASS, authtype=None, ttl=255, dst_ip=VRRP_GROUP, dst_mac=VRRP_MAC,
           chksum=None, ipcount=None, vtype=1):
    """A VRRP advert frame (bytes) built with scapy; checksum right unless given."""
    import logging
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    from scapy.all import IP, Ether, raw
    from scapy.layers.vrrp import VRRP, VRRPv3
    if version == 2:
        a = b"" if auth is None else auth.encode().ljust(8, b"\0")[:8]
        v = VRRP(type=vtype, vrid=vrid, priority=priority, adv=1 if adv is None else adv,
                 authtype=(1 if auth else 0) if authtype is None else authtype,
                 addrlist=list(vips), ipcount=ipcount,
                 auth1=int.from_bytes(a[:4].ljust(4, b"\0"), "big"),
                 auth2=int.from_bytes(a[4:8].ljust(4, b"\0"), "big"), chksum=chksum)
    else:
        v = VRRPv3(type=vtype, vrid=vrid, priority=priority, adv=10 if adv is None else adv,
                   addrlist=list(vips), ipcount=ipcount, chksum=chksum)
    p = (Ether(src=src_mac, dst=dst_mac, type=0x0800) /
         IP(src=src_ip, dst=dst_ip, ttl=ttl, proto=112, tos=0xc0) / v)
    return raw(p)


def short_frame(src_mac, src_ip, dst_ip=VRRP_GROUP, dst_mac=VRRP_MAC):
    """An IPv4 packet of protocol 112 carrying 4 bytes: too short for a VRRP header."""
    import logging
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    from scapy.all import IP, Ether, Raw, raw
    return raw(Ether(src=src_mac, dst=dst_mac, type=0x0800) /
               IP(src=src_ip, dst=dst_ip, ttl=255, proto=112) / Raw(b"\x21\x33\xfe\x01"))


def _group_end(text, start):
    """Index just past the '};' closing the group whose '{' is the first after start."""
    i = text.index("{", start)
    depth = 0
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                k = j + 1
                while k < len(text) and text[k] in " \t":
                    k += 1
                return k + 1 if k < len(text) and text[k] == ";" else j + 1
    raise ValueError("unbalanced braces")


def with_checks(text, port, delay=0.3):
    """Every real server's HTTP_GET replaced by a fast TCP_CHECK of port (a closed
    port makes this director alone see its real servers dead)."""
    check = (f"TCP_CHECK = {{ connect_port = {port}; connect_timeout = {delay}; retry = 0; "
             f"delay_before_retry = {delay}; delay_loop = {delay}; warmup = 0; }};")
    while True:
        m = re.search(r"\bHTTP_GET\s*=", text)
        if not m:
            return text
        text = text[:m.start()] + check + text[_group_end(text, m.start()):]



# ---------------------------------------------------------------------------
# tracked scripts, more instances, sync groups

def file_script(name, path, interval=0.5, weight=0, rise=1, fall=1, timeout=None):
    """A vrrp_script (dict for add_vrrp_scripts) that is OK while path exists."""
    d = {"name": name, "script": f"/usr/bin/test -f {path}", "interval": interval,
         "weight": weight, "rise": rise, "fall": fall}
    if timeout is not None:
        d["timeout"] = timeout
    return d


def _lc(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    return str(v)


def add_vrrp_scripts(text, scripts):
    """text with `vrrp_scripts = ( ... );` (dicts of key: value) before vrrp_instances."""
    groups = ["\t{ " + " ".join(f"{k} = {_lc(v)};" for k, v in sc.items()) + " }"
              for sc in scripts]
    block = "vrrp_scripts = (\n" + ",\n".join(groups) + "\n);\n\n"
    i = text.index("vrrp_instances")
    return text[:i] + block + text[i:]


def track_scripts(*names):
    """The `extra` entry of vrrp_conf() / add_vrrp_instance() tracking these scripts."""
    return "track_script = [ " + ", ".join(json.dumps(n) for n in names) + " ];"


def add_vrrp_instance(text, name, vrid, vip, extra=(), drop_track=True):
    """text with a copy of its first VRRP instance (as vrrp_conf() made it: state,
    priority, version, ...) named name, on vrid, holding vip; its track_script is
    dropped (drop_track) and extra keys are added."""
    start = text.index("vrrp_instances")
    g0 = text.index("{", start)
    g1 = _group_end(text, start)
    inst = text[g0:g1].rstrip().rstrip(";")
    inst = re.sub(r'(\bname\s*=\s*)"[^"]*"', rf'\g<1>"{name}"', inst, count=1)
    inst = re.sub(r"(\bvirtual_router_id\s*=\s*)\d+", rf"\g<1>{vrid}", inst)
    inst = re.sub(r"(\bvirtual_ipaddress\s*=\s*)\[[^\]]*\]", rf'\g<1>[ "{vip}" ]', inst)
    if drop_track:
        inst = re.sub(r"\n\s*track_script\s*=\s*\[[^\]]*\];", "", inst)
    if extra:
        inst = re.sub(r"(\bvirtual_router_id\s*=\s*\d+;)",
                      lambda m: m.group(1) + "".join("\n\t\t" + a for a in extra), inst)
    end = text.index(")", g1) if text[g1:].lstrip().startswith(")") else g1
    return text[:end].rstrip() + ",\n\t" + inst + "\n" + text[end:]


def add_sync_group(text, name, members, notify=None, notify_master=None,
                   notify_backup=None, notify_fault=None, smtp_alert=None):
    """text with `vrrp_sync_groups = ( { name; group; notify... } );` after the
    vrrp_instances list."""
    keys = [f"name = {json.dumps(name)};",
            "group = [ " + ", ".join(json.dumps(m) for m in members) + " ];"]
    for k, v in (("notify", notify), ("notify_master", notify_master),
                 ("notify_backup", notify_backup), ("notify_fault", notify_fault),
                 ("smtp_alert", smtp_alert)):
        if v is not None:
            keys.append(f"{k} = {_lc(v)};")
    block = "vrrp_sync_groups = (\n\t{\n" + "".join(f"\t\t{k}\n" for k in keys) + "\t}\n);\n\n"
    i = text.index("virtual_servers")
    return text[:i] + block + text[i:]


def add_dr_service(text, vip):
    """text with a copy of its first virtual server on address vip."""
    start = text.index("virtual_servers")
    g0 = text.index("{", start)
    g1 = _group_end(text, start)
    vs = text[g0:g1].rstrip().rstrip(";")
    vs = re.sub(r'(\baddress\s*=\s*)"[^"]*"', rf'\g<1>"{vip}"', vs, count=1)
    return text[:g1].rstrip() + ",\n\t" + vs + "\n" + text[g1:]


def rs_vip(lab, vip, add=True):
    """DR: the real servers hold vip on their loopback too (add=False removes it)."""
    for rs in labmod.REAL_SERVERS:
        lab.ns_exec(rs, ["ip", "addr", "replace" if add else "del", f"{vip}/32", "dev", "lo"],
                    check=add)


def _cmd_smtp(a):
    """A minimal SMTP sink: every message as one JSON line {"from", "to", "data"}."""
    import socketserver
    import threading

    lock = threading.Lock()

    class H(socketserver.StreamRequestHandler):
        def handle(self):
            def say(x):
                self.wfile.write(x.encode() + b"\r\n")
            say("220 lab-mail ESMTP")
            mail_from, rcpt = "", []
            while True:
                line = self.rfile.readline()
                if not line:
                    return
                cmd = line.decode(errors="replace").strip()
                up = cmd.upper()
                if up.startswith(("HELO", "EHLO")):
                    say("250 lab-mail")
                elif up.startswith("MAIL FROM:"):
                    mail_from, rcpt = cmd[10:].strip(), []
                    say("250 ok")
                elif up.startswith("RCPT TO:"):
                    rcpt.append(cmd[8:].strip())
                    say("250 ok")
                elif up == "DATA":
                    say("354 go ahead")
                    data = []
                    while True:
                        d = self.rfile.readline()
                        if not d or d in (b".\r\n", b".\n"):
                            break
                        data.append(d.decode(errors="replace"))
                    with lock, open(a.out, "a") as f:
                        f.write(json.dumps({"from": mail_from, "to": rcpt,
                                            "data": "".join(data)}) + "\n")
                    say("250 queued")
                elif up == "QUIT":
                    say("221 bye")
                    return
                else:
                    say("250 ok")

    class S(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True

    srv = S((a.listen, a.port), H)
    print("ready", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=srv.shutdown).start())
    srv.serve_forever()


class SmtpSink:
    """_cmd_smtp on a lab host (the mail host, 10.99.0.20:25)."""

    def __init__(self, lab, host="mail", port=25):
        self.out = lab.tmpdir / f"smtp-{host}.jsonl"
        if self.out.exists():
            self.out.unlink()
        self.proc = lab.popen(host, [PYTHON, HERE, "_smtp", "--listen", lab.addr(host),
                                     "--port", port, "--out", self.out],
                              stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            raise labmod.LabError("SMTP sink did not start")

    def messages(self):
        try:
            return [json.loads(x) for x in self.out.read_text().splitlines() if x.strip()]
        except OSError:
            return []

    def subjects(self):
        out = []
        for m in self.messages():
            for line in m["data"].splitlines():
                if line.lower().startswith("subject:"):
                    out.append(line.split(":", 1)[1].strip())
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("_probe")
    p.add_argument("--target", default=labmod.VIP)
    p.add_argument("--http-interval", type=float, default=0.05)
    p.add_argument("--icmp-interval", type=float, default=0.01)
    p.add_argument("--timeout", type=float, default=1.0)
    p.add_argument("--no-http", dest="http", action="store_false")
    p.add_argument("--no-icmp", dest="icmp", action="store_false")
    p = sub.add_parser("_sniff")
    p.add_argument("--iface", required=True)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--timeout", type=float, default=5.0)
    p.add_argument("--proto", type=int, default=112)
    p.add_argument("--ethertype", type=lambda x: int(x, 0), default=0x0800)
    p.add_argument("--times", action="store_true")
    p = sub.add_parser("_smtp")
    p.add_argument("--listen", required=True)
    p.add_argument("--port", type=int, default=25)
    p.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    if a.cmd == "_smtp":
        return _cmd_smtp(a)
    if a.cmd == "_probe":
        return _cmd_probe(a)
    if a.cmd == "_sniff":
        return _cmd_sniff(a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
