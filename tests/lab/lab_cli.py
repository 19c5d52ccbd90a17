#!/usr/bin/python3
"""The namespace lab's command line, run as `tests/lab/lab.py CMD` (up, down,
status, cleanup-stale, start-vipd, derive-conf, stop-rs, start-rs), and the
helpers lab.Lab runs inside a namespace (_arp, _send). lab.py's __main__
calls run(); the lab itself is lab.py's.
"""
import argparse
import json
import os
import signal
import socket
import sys
from pathlib import Path

from lab import Lab, LabError, cleanup_stale, derive_conf


def install_signal_handlers():
    """SIGTERM/SIGHUP -> SystemExit so that finally/atexit/fixture teardown run."""
    def handler(signum, _frame):
        raise SystemExit(128 + signum)
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, handler)


# ---------------------------------------------------------------------------------
# helpers run inside a namespace (python3 lab.py _arp / _send)

def _cmd_arp(a):
    import logging
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    from scapy.all import ARP, Ether, conf, get_if_addr, get_if_hwaddr, srp  # noqa: E402
    conf.verb = 0
    mac = get_if_hwaddr(a.iface)
    psrc = get_if_addr(a.iface)
    out = []
    for _ in range(a.tries):
        pkt = Ether(dst="ff:ff:ff:ff:ff:ff", src=mac) / ARP(op=1, hwsrc=mac, psrc=psrc,
                                                            pdst=a.target)
        ans, _unans = srp(pkt, iface=a.iface, timeout=a.timeout, multi=True, verbose=0)
        for _snd, rcv in ans:
            r = {"psrc": rcv[ARP].psrc, "hwsrc": rcv[ARP].hwsrc, "ether_src": rcv[Ether].src}
            if r not in out:
                out.append(r)
        if out:
            break
    print(json.dumps(out))


def _cmd_send(a):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    n = 0
    for line in sys.stdin:
        line = line.strip()
        if line:
            s.send(bytes.fromhex(line))
            n += 1
    s.close()
    print(n)


def main(argv=None):
    ap = argparse.ArgumentParser(description="vipd namespace lab")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("up", help="create a lab and leave it running")
    p.add_argument("--prefix", required=True)
    p.add_argument("--owner-pid", type=int, default=None,
                   help="lab is stale once this pid is gone (default: parent process)")
    p.add_argument("--no-servers", action="store_true")
    p = sub.add_parser("down", help="tear a lab down")
    p.add_argument("--prefix", required=True)
    p = sub.add_parser("status", help="show a lab")
    p.add_argument("--prefix", required=True)
    p.add_argument("--json", action="store_true")
    sub.add_parser("cleanup-stale", help="remove leftovers of dead labs (prefix vl)")
    p = sub.add_parser("start-vipd", help="start vipd in a lab namespace, wait until ready")
    p.add_argument("--prefix", required=True)
    p.add_argument("--host", default="dir1")
    p.add_argument("-f", "--conf", required=True)
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("eal", nargs="*", help="extra EAL args (after --)")
    p = sub.add_parser("derive-conf", help="copy a vipd config with substitutions")
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--scheduler")
    p.add_argument("--persistence-timeout", type=int)
    p.add_argument("--workers", type=int)
    p = sub.add_parser("stop-rs")
    p.add_argument("--prefix", required=True)
    p.add_argument("rs")
    p = sub.add_parser("start-rs")
    p.add_argument("--prefix", required=True)
    p.add_argument("rs")
    p = sub.add_parser("_arp")
    p.add_argument("--iface", required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--timeout", type=float, default=2.0)
    p.add_argument("--tries", type=int, default=2)
    p = sub.add_parser("_send")
    p.add_argument("--iface", required=True)
    a = ap.parse_args(argv)

    if a.cmd == "_arp":
        return _cmd_arp(a)
    if a.cmd == "_send":
        return _cmd_send(a)
    install_signal_handlers()
    if a.cmd == "up":
        lab = Lab(prefix=a.prefix, owner_pid=a.owner_pid or os.getppid())
        lab.up(persist=True, start_servers=not a.no_servers)
        print(json.dumps(lab.status(), indent=1))
    elif a.cmd == "down":
        Lab.attach(a.prefix).down()
    elif a.cmd == "status":
        st = Lab.attach(a.prefix).status()
        if a.json:
            print(json.dumps(st, indent=1))
        else:
            print(f"lab {st['prefix']}: {'up' if st['up'] else 'NOT (fully) up'}")
            for ns, info in st["namespaces"].items():
                if info is None:
                    print(f"  {ns}: absent")
                else:
                    print(f"  {ns}: {'; '.join(' '.join(x.split()) for x in info['addr'])}"
                          f"  procs: {' '.join(info['procs']) or '-'}")
        return 0 if st["up"] else 1
    elif a.cmd == "cleanup-stale":
        removed = cleanup_stale()
        print(f"removed {len(removed)} stale lab(s){': ' + ' '.join(removed) if removed else ''}")
    elif a.cmd == "start-vipd":
        lab = Lab.attach(a.prefix)
        if not lab._is_up:
            raise LabError(f"lab {a.prefix} is not up")
        v = lab.start_vipd(a.host, a.conf, extra_eal_args=a.eal, timeout=a.timeout, detach=True)
        # keep the lab's record of DPDK dirs for down()
        lab._save_state()
        print(json.dumps({"pid": v.pid, "sock": str(v.sock), "log": str(v.log_path),
                          "file_prefix": v.file_prefix}))
    elif a.cmd == "derive-conf":
        Path(a.dst).write_text(derive_conf(Path(a.src).read_text(), a.scheduler,
                                           a.persistence_timeout, a.workers))
    elif a.cmd == "stop-rs":
        Lab.attach(a.prefix).stop_rs(a.rs)
    elif a.cmd == "start-rs":
        Lab.attach(a.prefix).start_rs(a.rs)
    return 0


def run(argv=None):
    """main(), a LabError or a file's error reported in one line, status 1."""
    try:
        return main(argv)
    except (LabError, OSError) as e:
        print(f"lab: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(run())
