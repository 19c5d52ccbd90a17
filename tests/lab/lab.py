#!/usr/bin/python3
"""vipd namespace lab.

One L2 segment: a Linux bridge inside its own "switch" network namespace and one
veth pair per host (host end inside the host's namespace, the other end
enslaved to the bridge).  Every namespace name carries a per-lab prefix, so
several labs (two test runs, a demo) can exist at once.  Nothing is created in
the root namespace and all traffic stays inside the lab.

    client 10.99.0.10   eth0
    dir1   (no address) lan0   vipd opens it with af_packet; its TAP vipd-lan0
                               carries 10.99.0.2/24
    dir2   (no address) lan0   (10.99.0.3 later)
    rs1    10.99.0.11   eth0   nginx, VIP 10.99.0.100/32 on lo, ARP suppressed
    rs2    10.99.0.12   eth0   idem
    mail   10.99.0.20   eth0   (SMTP, later issues)

Usable as a module (pytest) and as a command for scripts:

    /usr/bin/python3 tests/lab/lab.py up --prefix P
    /usr/bin/python3 tests/lab/lab.py start-vipd --prefix P --host dir1 -f CONF
    /usr/bin/python3 tests/lab/lab.py status --prefix P
    /usr/bin/python3 tests/lab/lab.py down --prefix P
    /usr/bin/python3 tests/lab/lab.py cleanup-stale
"""

import atexit
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("VIPD_BUILD_DIR", REPO / "build"))
VIPD = BUILD / "vipd"
VIPCTL = BUILD / "vipctl"
PYTHON = "/usr/bin/python3"          # Debian's interpreter: scapy, pytest
STATE_DIR = Path("/run/vipd-lab")
TMP_ROOT = Path("/tmp")
DPDK_RUN = Path("/var/run/dpdk")
STALE_PREFIX_RE = re.compile(r"^(vl\d+(?:n\d+)?)-([a-z0-9]+)$")

SUBNET = "10.99.0"
PREFIXLEN = 24
VIP = "10.99.0.100"
DIR1_ADDR = "10.99.0.2"
DIR2_ADDR = "10.99.0.3"
MAIL_ADDR = "10.99.0.20"

# name -> (role, interface name in the host namespace, address or None)
HOSTS = {
    "client": ("client", "eth0", "10.99.0.10"),
    "dir1": ("director", "lan0", None),
    "dir2": ("director", "lan0", None),
    "rs1": ("rs", "eth0", "10.99.0.11"),
    "rs2": ("rs", "eth0", "10.99.0.12"),
    "mail": ("mail", "eth0", MAIL_ADDR),
}
REAL_SERVERS = ("rs1", "rs2")
DIRECTOR_ADDR = {"dir1": DIR1_ADDR, "dir2": DIR2_ADDR}
SWITCH = "sw"
BRIDGE = "br0"

NGINX_CONF = """\
daemon on;
master_process on;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    keepalive_requests 10000;
    keepalive_timeout 65;
    server {{
        listen 80 default_server;
        location / {{
            default_type text/plain;
            return 200 "{name} $remote_addr\\n";
        }}
    }}
}}
"""


class LabError(RuntimeError):
    pass


def log(msg):
    if os.environ.get("VIPD_LAB_QUIET") != "1":
        print(f"lab: {msg}", file=sys.stderr, flush=True)


def run(cmd, check=True, timeout=30, input=None):
    """Run a command (list, or string for sh -c); return CompletedProcess (text)."""
    if isinstance(cmd, str):
        cmd = ["sh", "-c", cmd]
    cmd = [str(c) for c in cmd]
    try:
        cp = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                            input=input, stdin=None if input is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise LabError(f"timeout after {timeout}s: {shlex.join(cmd)}") from e
    if check and cp.returncode != 0:
        raise LabError(f"command failed (rc={cp.returncode}): {shlex.join(cmd)}\n"
                       f"stdout: {cp.stdout.strip()}\nstderr: {cp.stderr.strip()}")
    return cp


def pid_alive(pid):
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # zombies count as dead
    try:
        with open(f"/proc/{int(pid)}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def netns_list():
    cp = run(["ip", "netns", "list"], check=False)
    return [line.split()[0] for line in cp.stdout.splitlines() if line.strip()]


def netns_pids(ns):
    cp = run(["ip", "netns", "pids", ns], check=False)
    return [int(p) for p in cp.stdout.split() if p.isdigit()]


def kill_pids(pids, timeout=5.0):
    """SIGTERM, then SIGKILL after timeout; waits for them to be gone (zombies count
    as gone: our own Popen children are reaped by their Popen objects)."""
    pids = [p for p in pids if p != os.getpid()]
    for p in pids:
        try:
            os.kill(p, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(pid_alive(p) for p in pids):
            return
        time.sleep(0.05)
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(pid_alive(p) for p in pids):
        time.sleep(0.05)


_lab_counter = 0


def new_prefix():
    global _lab_counter
    _lab_counter += 1
    p = f"vl{os.getpid()}"
    return p if _lab_counter == 1 else f"{p}n{_lab_counter}"


def hugepages_free():
    try:
        with open("/proc/meminfo") as f:
            info = dict(line.split(":", 1) for line in f)
        return int(info["HugePages_Free"].split()[0]), int(info["Hugepagesize"].split()[0])
    except (OSError, KeyError, ValueError):
        return 0, 0


def default_eal_memory_args():
    """--in-memory when enough hugepages are free, else --no-huge -m 512.

    (--no-huge and --in-memory are incompatible in DPDK 22.11.)  Override with
    VIPD_LAB_HUGE=0 (never hugepages) or VIPD_LAB_HUGE=1 (always)."""
    mode = os.environ.get("VIPD_LAB_HUGE", "auto")
    free, size_kb = hugepages_free()
    use_huge = mode == "1" or (mode == "auto" and free * size_kb >= 768 * 1024)
    if use_huge:
        return ["--in-memory"]
    return ["--no-huge", "-m", "512"]


def derive_conf(text, scheduler=None, persistence_timeout=None, workers=None,
                eal_args=("--no-pci",)):
    """A vipd config text derived from another (e.g. docs/examples/reference.conf):
    scheduler, persistence_timeout and workers substituted where given; eal_args set
    to eal_args (default just --no-pci: the memory mode, --in-memory or --no-huge,
    comes from the command line that start_vipd() builds, and the two must not
    conflict)."""
    if scheduler is not None:
        text = re.sub(r'(\bscheduler\s*=\s*)"[^"]*"', rf'\g<1>"{scheduler}"', text)
    if persistence_timeout is not None:
        text = re.sub(r"(\bpersistence_timeout\s*=\s*)\d+", rf"\g<1>{int(persistence_timeout)}",
                      text)
    if workers is not None:
        text = re.sub(r"(\bworkers\s*=\s*)\d+", rf"\g<1>{int(workers)}", text)
    if eal_args is not None:
        arr = "[ " + ", ".join(json.dumps(a) for a in eal_args) + " ]"
        text = re.sub(r"(\beal_args\s*=\s*)\[[^\]]*\]", lambda m: m.group(1) + arr, text)
    return text


class Vipd:
    """A running vipd started by Lab.start_vipd()."""

    def __init__(self, lab, host, conf, file_prefix, log_path, proc, tap):
        self.lab = lab
        self.host = host
        self.ns = lab.ns(host)
        self.conf = Path(conf)
        self.file_prefix = file_prefix
        self.log_path = Path(log_path)
        self.proc = proc
        self.pid = proc.pid
        self.tap = tap
        self.returncode = None
        self.sock = DPDK_RUN / file_prefix / "dpdk_telemetry.v2"

    def __repr__(self):
        return f"<vipd {self.host} pid={self.pid} prefix={self.file_prefix}>"

    def alive(self):
        return self.proc.poll() is None

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines=60):
        return "\n".join(self.log().splitlines()[-lines:])

    def tap_up(self):
        cp = run(["ip", "-n", self.ns, "-o", "link", "show", "dev", self.tap], check=False)
        if cp.returncode != 0:
            return False
        m = re.search(r"<([^>]*)>", cp.stdout)
        return bool(m and "UP" in m.group(1).split(","))

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                self.returncode = self.proc.returncode
                raise LabError(f"vipd on {self.host} exited with {self.returncode} before "
                               f"ready; log {self.log_path}:\n{self.log_tail()}")
            if "vipd: ready" in self.log() and self.tap_up():
                return self
            time.sleep(0.1)
        raise LabError(f"vipd on {self.host} not ready after {timeout}s (need 'vipd: ready' "
                       f"in its log and {self.tap} up in {self.ns}); log:\n{self.log_tail()}")

    def stop(self, timeout=10):
        """SIGTERM, SIGKILL after timeout; returns the exit code (negative = signal)."""
        if self.alive():
            try:
                self.proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log(f"vipd on {self.host} ignored SIGTERM for {timeout}s: SIGKILL")
                self.proc.kill()
                self.proc.wait(10)
        self.returncode = self.proc.returncode
        shutil.rmtree(DPDK_RUN / self.file_prefix, ignore_errors=True)
        if self in self.lab.vipds:
            self.lab.vipds.remove(self)
        return self.returncode

    # -- telemetry ---------------------------------------------------------
    def telemetry(self, cmd, timeout=5):
        """One DPDK telemetry v2 command; returns the decoded reply (whole dict)."""
        return telemetry_query(self.sock, cmd, timeout)

    def counters(self, what="stats"):
        """/vipd/<what> payload (the dict under the command's key)."""
        cmd = f"/vipd/{what}"
        reply = self.telemetry(cmd)
        return reply.get(cmd, reply)

    def vipctl(self, *args, check=True, timeout=15):
        return run([VIPCTL, "-s", self.sock, *args], check=check, timeout=timeout)


def telemetry_query(sock_path, cmd, timeout=5):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(timeout)
    try:
        s.connect(str(sock_path))
        greeting = json.loads(s.recv(1 << 16).decode())
        bufsz = int(greeting.get("max_output_len", 1 << 16)) + 1024
        s.send(cmd.encode())
        data = s.recv(max(bufsz, 1 << 20))
        return json.loads(data.decode())
    finally:
        s.close()


class Lab:
    def __init__(self, prefix=None, hosts=None, owner_pid=None):
        self.prefix = prefix or new_prefix()
        self.hosts = list(hosts or HOSTS)
        self.owner_pid = owner_pid or os.getpid()
        self.tmpdir = TMP_ROOT / f"vipd-lab-{self.prefix}"
        self.state_file = STATE_DIR / f"{self.prefix}.json"
        self.procs = []
        self.vipds = []
        self._vipd_seq = 0
        self._is_up = False
        self._atexit = False

    # -- names ---------------------------------------------------------------
    def ns(self, host):
        return f"{self.prefix}-{host}"

    @property
    def namespaces(self):
        return [self.ns(SWITCH)] + [self.ns(h) for h in self.hosts]

    @staticmethod
    def ifname(host):
        return HOSTS[host][1]

    @staticmethod
    def addr(host):
        return HOSTS[host][2] or DIRECTOR_ADDR.get(host)

    # -- state ----------------------------------------------------------------
    def _save_state(self, **extra):
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        st = {"prefix": self.prefix, "owner_pid": self.owner_pid, "tmpdir": str(self.tmpdir),
              "hosts": self.hosts, "file_prefixes": self._file_prefixes()}
        if self.state_file.exists():
            try:
                old = json.loads(self.state_file.read_text())
                st["file_prefixes"] = sorted(set(old.get("file_prefixes", [])) |
                                             set(st["file_prefixes"]))
            except (OSError, ValueError):
                pass
        st.update(extra)
        self.state_file.write_text(json.dumps(st, indent=1))

    def _file_prefixes(self):
        return [v.file_prefix for v in self.vipds]

    @classmethod
    def attach(cls, prefix):
        """A Lab object for an existing lab (made by `lab.py up`)."""
        sf = STATE_DIR / f"{prefix}.json"
        hosts = None
        owner = None
        if sf.exists():
            try:
                st = json.loads(sf.read_text())
                hosts, owner = st.get("hosts"), st.get("owner_pid")
            except (OSError, ValueError):
                pass
        lab = cls(prefix=prefix, hosts=hosts, owner_pid=owner)
        lab._is_up = all(n in netns_list() for n in lab.namespaces)
        lab._vipd_seq = 100 + int(time.time()) % 1000
        return lab

    # -- commands in namespaces ---------------------------------------------
    def _nscmd(self, host, cmd):
        if isinstance(cmd, str):
            cmd = ["sh", "-c", cmd]
        return ["ip", "netns", "exec", self.ns(host)] + [str(c) for c in cmd]

    def ns_exec(self, host, cmd, check=True, timeout=30, input=None):
        """Run cmd (list, or string for sh -c) in host's namespace; CompletedProcess."""
        return run(self._nscmd(host, cmd), check=check, timeout=timeout, input=input)

    def quiet_tcp(self):
        """Abort every connected TCP socket of the lab's hosts (listeners stay): a
        test that counts packets must not see an earlier test's late segments."""
        for host in self.hosts:
            self.ns_exec(host, ["ss", "-K", "-t", "state", "connected"], check=False)

    def popen(self, host, cmd, **kw):
        """Start cmd in host's namespace in the background (killed by down())."""
        kw.setdefault("stdin", subprocess.DEVNULL)
        p = subprocess.Popen(self._nscmd(host, cmd), **kw)
        self.procs.append(p)
        return p

    def curl(self, host, url, max_time=5, extra=(), check=False):
        return self.ns_exec(host, ["curl", "-sS", "--max-time", max_time, *extra, url],
                            check=check, timeout=max_time + 10)

    def mac(self, host, ifname=None):
        ifname = ifname or self.ifname(host)
        cp = self.ns_exec(host, ["ip", "-j", "link", "show", "dev", ifname])
        return json.loads(cp.stdout)[0]["address"]

    # -- set-up -----------------------------------------------------------------
    def up(self, persist=False, start_servers=True):
        """Create the lab.  persist=False: torn down automatically at exit."""
        if self._is_up:
            return self
        existing = set(netns_list())
        clash = [n for n in self.namespaces if n in existing]
        if clash:
            raise LabError(f"namespaces already exist: {clash} (lab.py down --prefix {self.prefix})")
        if not persist and not self._atexit:
            atexit.register(self.down)
            self._atexit = True
        try:
            self._build(start_servers)
        except BaseException:
            log(f"set-up of lab {self.prefix} failed: tearing it down")
            self.down()
            raise
        self._is_up = True
        return self

    def _build(self, start_servers):
        shutil.rmtree(self.tmpdir, ignore_errors=True)
        self.tmpdir.mkdir(parents=True)
        self._save_state()
        sw = self.ns(SWITCH)
        for ns in self.namespaces:
            run(["ip", "netns", "add", ns])
            self._sysctl(ns, {"net.ipv6.conf.all.disable_ipv6": 1,
                              "net.ipv6.conf.default.disable_ipv6": 1})
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
        self.bridge_nf_off()
        run(["ip", "-n", sw, "link", "add", BRIDGE, "type", "bridge", "stp_state", "0",
             "forward_delay", "0", "mcast_snooping", "0"])
        run(["ip", "-n", sw, "link", "set", BRIDGE, "up"])
        for h in self.hosts:
            role, ifname, addr = HOSTS[h]
            port = f"p-{h}"
            ns = self.ns(h)
            run(["ip", "-n", sw, "link", "add", port, "type", "veth",
                 "peer", "name", ifname, "netns", ns])
            run(["ip", "-n", sw, "link", "set", port, "master", BRIDGE])
            self._offload_off(sw, port)
            self._offload_off(ns, ifname)
            run(["ip", "-n", sw, "link", "set", port, "up"])
            if role == "rs":
                run(["ip", "-n", ns, "addr", "add", f"{VIP}/32", "dev", "lo"])
                self._sysctl(ns, {"net.ipv4.conf.all.arp_ignore": 1,
                                  "net.ipv4.conf.all.arp_announce": 2,
                                  f"net.ipv4.conf.{ifname}.arp_ignore": 1,
                                  f"net.ipv4.conf.{ifname}.arp_announce": 2,
                                  "net.ipv4.conf.lo.arp_ignore": 1,
                                  "net.ipv4.conf.lo.arp_announce": 2})
            if addr:
                run(["ip", "-n", ns, "addr", "add", f"{addr}/{PREFIXLEN}", "dev", ifname])
            run(["ip", "-n", ns, "link", "set", ifname, "up"])
        if start_servers:
            for h in self.hosts:
                if HOSTS[h][0] == "rs":
                    self.start_rs(h)
        log(f"lab {self.prefix} up: namespaces {', '.join(self.namespaces)}")

    def bridge_nf_off(self):
        """br_netfilter (if loaded) would validate IPv4 on the bridge and silently drop
        malformed packets before they reach a director: switch it off in the switch ns
        (these sysctls are per namespace)."""
        sw = self.ns(SWITCH)
        for k in ("iptables", "ip6tables", "arptables"):
            key = f"net.bridge.bridge-nf-call-{k}"
            cp = run(["ip", "netns", "exec", sw, "sysctl", "-n", key], check=False)
            if cp.returncode == 0 and cp.stdout.strip() != "0":
                run(["ip", "netns", "exec", sw, "sysctl", "-q", "-w", f"{key}=0"])

    def _sysctl(self, ns, kv):
        args = []
        for k, v in kv.items():
            args += [f"{k}={v}"]
        run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", *args])

    def _offload_off(self, ns, ifname):
        # trap 1: checksums left for "hardware" arrive wrong through af_packet
        run(["ip", "netns", "exec", ns, "ethtool", "-K", ifname,
             "tx", "off", "tso", "off", "gso", "off", "gro", "off"])

    # -- real servers -----------------------------------------------------------
    def rs_dir(self, rs):
        return self.tmpdir / rs

    def rs_pid(self, rs):
        try:
            pid = int((self.rs_dir(rs) / "nginx.pid").read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if pid_alive(pid) else None

    def rs_running(self, rs):
        return self.rs_pid(rs) is not None

    def start_rs(self, rs):
        """Start the real server's nginx (no-op if it runs)."""
        if self.rs_running(rs):
            return
        d = self.rs_dir(rs)
        d.mkdir(parents=True, exist_ok=True)
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (d / sub).mkdir(exist_ok=True)
        conf = d / "nginx.conf"
        conf.write_text(NGINX_CONF.format(d=d, name=rs))
        # daemon on: returns once the master has bound :80 and forked
        self.ns_exec(rs, ["nginx", "-p", d, "-e", d / "error.log", "-c", conf], timeout=20)
        deadline = time.monotonic() + 10
        while not self.rs_running(rs):
            if time.monotonic() > deadline:
                raise LabError(f"nginx on {rs} did not start: "
                               f"{(d / 'error.log').read_text(errors='replace')}")
            time.sleep(0.05)

    def stop_rs(self, rs):
        """Stop the real server's nginx (every process of its namespace)."""
        pid = self.rs_pid(rs)
        if pid:
            kill_pids([pid], timeout=5)
        kill_pids(netns_pids(self.ns(rs)), timeout=5)
        try:
            (self.rs_dir(rs) / "nginx.pid").unlink()
        except OSError:
            pass

    # -- vipd ---------------------------------------------------------------------
    def start_vipd(self, host, conf_path, extra_eal_args=(), wait=True, timeout=60,
                   tap=None, vipd_args=(), detach=False, mem_args=None):
        """Start build/vipd in host's namespace; returns a Vipd handle (ready)."""
        if not VIPD.exists():
            raise LabError(f"{VIPD} does not exist (build first)")
        self._vipd_seq += 1
        fp = f"{self.prefix}-{host}-{self._vipd_seq}"
        log_path = self.tmpdir / f"vipd-{host}-{self._vipd_seq}.log"
        self.tmpdir.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(DPDK_RUN / fp, ignore_errors=True)
        if mem_args is None:
            mem_args = default_eal_memory_args()
        cmd = [VIPD, "-f", conf_path, *vipd_args, "--", "--no-pci", f"--file-prefix={fp}",
               *mem_args, *extra_eal_args]
        with open(log_path, "w") as logf:
            logf.write(f"# {shlex.join(self._nscmd(host, cmd))}\n")
            logf.flush()
            proc = self.popen(host, cmd, stdout=logf, stderr=subprocess.STDOUT,
                              start_new_session=detach)
        v = Vipd(self, host, conf_path, fp, log_path, proc,
                 tap or f"vipd-{self.ifname(host)}")
        self.vipds.append(v)
        self._save_state()
        if wait:
            try:
                v.wait_ready(timeout)
            except BaseException:
                v.stop()
                raise
        return v

    # -- tear-down -----------------------------------------------------------------
    def down(self):
        """Kill every process of the lab's namespaces, delete them, remove temp files."""
        for v in list(self.vipds):
            try:
                v.stop(timeout=5)
            except Exception as e:  # noqa: BLE001 - keep tearing down
                log(f"stopping {v}: {e}")
        present = set(netns_list())
        mine = [n for n in self.namespaces if n in present]
        pids = []
        for ns in mine:
            pids += netns_pids(ns)
        for p in self.procs:
            if p.poll() is None:
                pids.append(p.pid)
        if pids:
            kill_pids(sorted(set(pids)))
        for p in self.procs:
            try:
                p.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
        self.procs = []
        for ns in mine:
            run(["ip", "netns", "del", ns], check=False)
        fps = set(self._file_prefixes())
        if self.state_file.exists():
            try:
                fps |= set(json.loads(self.state_file.read_text()).get("file_prefixes", []))
            except (OSError, ValueError):
                pass
        for fp in fps:
            shutil.rmtree(DPDK_RUN / fp, ignore_errors=True)
        if DPDK_RUN.is_dir():
            for d in DPDK_RUN.glob(f"{self.prefix}-*"):
                shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(self.tmpdir, ignore_errors=True)
        try:
            self.state_file.unlink()
        except OSError:
            pass
        left = [n for n in self.namespaces if n in set(netns_list())]
        if left:
            log(f"warning: namespaces still present after down: {left}")
        if self._is_up or mine:
            log(f"lab {self.prefix} down")
        self._is_up = False
        self.vipds = []

    def __enter__(self):
        return self.up()

    def __exit__(self, *exc):
        self.down()

    # -- status --------------------------------------------------------------------
    def status(self):
        present = set(netns_list())
        st = {"prefix": self.prefix, "tmpdir": str(self.tmpdir), "namespaces": {}}
        for h in [SWITCH] + self.hosts:
            ns = self.ns(h)
            if ns not in present:
                st["namespaces"][ns] = None
                continue
            cp = run(["ip", "-n", ns, "-br", "addr"], check=False)
            pids = netns_pids(ns)
            procs = []
            for p in pids:
                try:
                    procs.append(f"{p}:{Path(f'/proc/{p}/comm').read_text().strip()}")
                except OSError:
                    pass
            st["namespaces"][ns] = {"addr": cp.stdout.strip().splitlines(), "procs": procs}
        st["up"] = all(st["namespaces"][n] is not None for n in self.namespaces)
        return st

    # -- packets (scapy / raw sockets run inside the namespace) ----------------------
    def arp_probe(self, host, target, timeout=2.0, tries=2):
        """ARP who-has target from host's veth; returns [{psrc, hwsrc, ether_src}...]."""
        cp = self.ns_exec(host, [PYTHON, __file__, "_arp", "--iface", self.ifname(host),
                                 "--target", target, "--timeout", timeout, "--tries", tries],
                          timeout=timeout * tries + 30)
        return json.loads(cp.stdout.strip().splitlines()[-1])

    def send_frames(self, host, frames, ifname=None):
        """Send raw Ethernet frames (bytes) from host's veth."""
        data = "\n".join(f.hex() for f in frames) + "\n"
        cp = self.ns_exec(host, [PYTHON, __file__, "_send", "--iface",
                                 ifname or self.ifname(host)], input=data, timeout=60)
        return int(cp.stdout.strip() or 0)


def cleanup_stale(verbose=True):
    """Remove leftovers of dead labs (prefix vl<pid>...): namespaces, files, DPDK dirs."""
    groups = {}
    for ns in netns_list():
        m = STALE_PREFIX_RE.match(ns)
        if m:
            groups.setdefault(m.group(1), []).append(ns)
    if STATE_DIR.is_dir():
        for sf in STATE_DIR.glob("vl*.json"):
            groups.setdefault(sf.stem, [])
    for d in TMP_ROOT.glob("vipd-lab-vl*"):
        groups.setdefault(d.name[len("vipd-lab-"):], [])
    removed = []
    for prefix, nss in sorted(groups.items()):
        owner = None
        sf = STATE_DIR / f"{prefix}.json"
        if sf.exists():
            try:
                owner = json.loads(sf.read_text()).get("owner_pid")
            except (OSError, ValueError):
                pass
        if owner is None:
            m = re.match(r"vl(\d+)", prefix)
            owner = int(m.group(1)) if m else None
        if owner is not None and pid_alive(owner):
            continue
        lab = Lab(prefix=prefix)
        # also catch namespaces of hosts not in the default list
        extra = [n[len(prefix) + 1:] for n in nss if n[len(prefix) + 1:] not in lab.hosts + [SWITCH]]
        lab.hosts += [h for h in extra if h in HOSTS]
        if verbose:
            log(f"removing stale lab {prefix} (owner {owner} gone): {nss}")
        for n in nss:
            if n not in lab.namespaces:
                kill_pids(netns_pids(n))
                run(["ip", "netns", "del", n], check=False)
        lab.down()
        removed.append(prefix)
    return removed


if __name__ == "__main__":
    # The command line (scripts, and the helpers arp_probe() and
    # send_frames() run inside a namespace) is lab_cli's; this path stays
    # its entry point.
    import lab_cli
    sys.exit(lab_cli.run())
