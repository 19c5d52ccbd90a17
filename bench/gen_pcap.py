#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the benchmark's input: a pcap of N distinct 64-byte UDP frames.

Each frame is Ethernet + IPv4 + UDP, padded to 60 bytes (64 on the wire with
the FCS, which a pcap does not hold), with a valid IPv4 header checksum and a
valid UDP checksum. Frame i belongs to flow i: N distinct client
(address, source port) pairs, all to the VIP (default 10.0.0.100) UDP port 53.
Consecutive frames are different flows, so a replay cycles through all N
sessions (the worst case for the session table's cache footprint).

Client addresses are 172.16.0.0/12 hosts, 65534 per source port, source port
from 1024 up; the Ethernet destination is the director port's MAC (--dst-mac)
and the source a fixed locally administered MAC.

Raw pcap writing with struct (no scapy): 100k frames take well under a second.
With numpy (Debian python3-numpy) the frames are built in vectors of 1M, the
same bytes with incremental checksums: 10M frames take a few seconds, where
the per-frame loop (the fallback, or --no-numpy) takes about 40 s.

--first K makes the file's frames flows K .. K+N-1, disjoint from flows
0 .. K-1 (bench/dr_bench.sh --sessions: a second file of other flows).

--replies ADDR:PORT,... or --replies-conf FILE (NAT, bench/dr_bench.sh
--replies; FILE: the benchmark's vipd configuration, whose real servers are
taken in order with their ports): after the N
frames, N more, flow i's reply from the real server a round-robin scheduler
gave it in a fresh table (the list's (i mod R)-th: vipd's rr takes a
service's real servers in their configured order, starting at the first)
to the client's address and port, with --rs-mac as its source. Each frame
of the replay is then a forward or a reply packet of an established NAT
session, half each, in two blocks of N (a reply port's bursts are all
replies, as on a director whose real servers sit behind another port).
"""
import argparse
import ipaddress
import re
import struct
import sys

ETH_P_IP = 0x0800
FRAME_LEN = 60  # 64-byte class without the FCS
PAYLOAD = b"vipd-bench-64B-frm"  # 18 bytes: 14 + 20 + 8 + 18 = 60


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def parse_mac(s: str) -> bytes:
    parts = s.split(":")
    if len(parts) != 6:
        raise argparse.ArgumentTypeError("MAC must be xx:xx:xx:xx:xx:xx: %r" % s)
    try:
        return bytes(int(p, 16) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError("bad MAC %r" % s)


def client(i: int) -> tuple:
    """Flow i's (address, source port): 65534 hosts of 172.16/12 per port."""
    base = int(ipaddress.IPv4Address("172.16.0.0"))
    host = i % 65534 + 1
    port = 1024 + i // 65534
    return base + host, port


def frame(dst_mac: bytes, src_mac: bytes, saddr: int, daddr: int, sport: int,
          dport: int, ident: int) -> bytes:
    udp_len = 8 + len(PAYLOAD)
    ip_len = 20 + udp_len
    ip = struct.pack("!BBHHHBBHII", 0x45, 0, ip_len, ident & 0xFFFF, 0, 64, 17, 0,
                     saddr, daddr)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    pseudo = struct.pack("!IIBBH", saddr, daddr, 0, 17, udp_len)
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + PAYLOAD
    uc = csum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", uc) + udp[8:]
    f = dst_mac + src_mac + struct.pack("!H", ETH_P_IP) + ip + udp
    assert len(f) == FRAME_LEN, len(f)
    return f


def write_records(out, frames):
    """Each frame as a pcap record, written in chunks."""
    rec = struct.pack("<IIII", 0, 0, FRAME_LEN, FRAME_LEN)
    chunk = []
    for f in frames:
        chunk.append(rec)
        chunk.append(f)
        if len(chunk) >= 1 << 17:
            out.write(b"".join(chunk))
            chunk = []
    out.write(b"".join(chunk))


def client_frame(dst_mac, src_mac, vip, port, i):
    """Flow i's frame: its client -> the VIP."""
    saddr, sport = client(i)
    return frame(dst_mac, src_mac, saddr, vip, sport, port, i)


def frames_loop(out, dst_mac, src_mac, vip, port, first, n):
    write_records(out, (client_frame(dst_mac, src_mac, vip, port, i)
                        for i in range(first, first + n)))


def frames_numpy(np, out, dst_mac, src_mac, vip, port, first, n):
    """The same bytes as frames_loop: the fields that vary are patched into
    copies of one template record, with the checksums' sums carried over."""
    rec = struct.pack("<IIII", 0, 0, FRAME_LEN, FRAME_LEN)
    tmpl = rec + frame(dst_mac, src_mac, 0, vip, 0, port, 0)
    R = len(tmpl)  # 76: 16 record header + 60 frame
    E = 16 + 14  # IPv4 header offset in a record
    U = E + 20  # UDP header offset
    udp_len = 8 + len(PAYLOAD)
    # One's-complement sums of everything that does not vary (the varying
    # fields and the checksums as zero).
    ip0 = bytearray(tmpl[E:E + 20])
    ip0[4:6] = b"\0\0"  # identification
    ip0[10:12] = b"\0\0"  # checksum
    ip0[12:16] = b"\0" * 4  # source address
    ip_sum0 = sum(struct.unpack("!10H", bytes(ip0)))
    udp0 = bytearray(tmpl[U:U + udp_len])
    udp0[0:2] = b"\0\0"  # source port
    udp0[6:8] = b"\0\0"  # checksum
    pseudo0 = struct.pack("!IIBBH", 0, vip, 0, 17, udp_len)
    data = bytes(udp0) + (b"\0" if udp_len % 2 else b"")
    udp_sum0 = sum(struct.unpack("!%dH" % (len(data) // 2), data)) + \
        sum(struct.unpack("!6H", pseudo0))
    base = int(ipaddress.IPv4Address("172.16.0.0"))
    row = np.frombuffer(tmpl, dtype=np.uint8)

    def fold(s):
        s = (s & 0xFFFF) + (s >> 16)
        s = (s & 0xFFFF) + (s >> 16)
        return (~s) & 0xFFFF

    def put16(buf, off, v):
        buf[:, off] = (v >> 8).astype(np.uint8)
        buf[:, off + 1] = (v & 0xFF).astype(np.uint8)

    step = 1 << 20
    for lo in range(first, first + n, step):
        i = np.arange(lo, min(lo + step, first + n), dtype=np.int64)
        saddr = base + i % 65534 + 1
        sport = 1024 + i // 65534
        ident = i & 0xFFFF
        a_hi, a_lo = saddr >> 16, saddr & 0xFFFF
        ipc = fold(ip_sum0 + ident + a_hi + a_lo)
        uc = fold(udp_sum0 + a_hi + a_lo + sport)
        uc = np.where(uc == 0, 0xFFFF, uc)
        buf = np.empty((len(i), R), dtype=np.uint8)
        buf[:] = row
        put16(buf, E + 4, ident)
        put16(buf, E + 10, ipc)
        put16(buf, E + 12, a_hi)
        put16(buf, E + 14, a_lo)
        put16(buf, U, sport)
        put16(buf, U + 6, uc)
        out.write(buf.tobytes())


def reply_frame(dst_mac, src_mac, servers, i):
    """Flow i's reply: servers[i % len(servers)] -> the client."""
    caddr, cport = client(i)
    raddr, rport = servers[i % len(servers)]
    return frame(dst_mac, src_mac, raddr, caddr, rport, cport, i)


def frames_replies(out, dst_mac, src_mac, servers, first, n):
    write_records(out, (reply_frame(dst_mac, src_mac, servers, i)
                        for i in range(first, first + n)))


def parse_servers(s: str) -> list:
    out = []
    for item in s.split(","):
        try:
            a, p = item.rsplit(":", 1)
            out.append((int(ipaddress.IPv4Address(a)), int(p)))
        except ValueError:
            raise argparse.ArgumentTypeError("real servers are ADDR:PORT,...: %r" % item)
        if not 0 < out[-1][1] < 65536:
            raise argparse.ArgumentTypeError("port out of range: %r" % item)
    return out


def servers_of_conf(path: str) -> list:
    """The real servers (address, port) of a benchmark configuration, in order.

    bench/vipd-nat.conf.in writes each as { address = "A"; port = P; ... }."""
    text = open(path).read()
    at = text.find("real_servers")
    found = re.findall(r'\{[ \t]*address[ \t]*=[ \t]*"([\d.]+)";[ \t]*port[ \t]*=[ \t]*(\d+);',
                       text[at:] if at >= 0 else "")
    if not found:
        raise SystemExit("gen_pcap.py: no real servers with a port in %s" % path)
    return parse_servers(",".join("%s:%s" % f for f in found))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--output", required=True, help="pcap file to write")
    ap.add_argument("-n", "--flows", type=int, default=100000,
                    help="distinct flows = frames (default 100000)")
    ap.add_argument("--dst-mac", type=parse_mac, required=True,
                    help="Ethernet destination: the director port's MAC")
    ap.add_argument("--src-mac", type=parse_mac, default=parse_mac("02:00:00:00:00:01"))
    ap.add_argument("--vip", default="10.0.0.100")
    ap.add_argument("--port", type=int, default=53, help="VIP UDP port (default 53)")
    ap.add_argument("--first", type=int, default=0,
                    help="index of the first flow (default 0): flows FIRST..FIRST+N-1")
    ap.add_argument("--no-numpy", action="store_true", help="the per-frame loop only")
    ap.add_argument("--replies", type=parse_servers, default=None, metavar="ADDR:PORT,...",
                    help="append each flow's NAT reply from these real servers (round robin)")
    ap.add_argument("--replies-conf", default=None, metavar="FILE",
                    help="--replies with the real servers of this vipd configuration")
    ap.add_argument("--rs-mac", type=parse_mac, default=parse_mac("02:00:00:00:00:0b"),
                    help="the replies' Ethernet source")
    a = ap.parse_args()
    if not 0 <= a.flows or a.first < 0 or a.first + a.flows > 65534 * (65536 - 1024):
        ap.error("--flows/--first out of range")
    if a.replies_conf:
        a.replies = servers_of_conf(a.replies_conf)
    vip = int(ipaddress.IPv4Address(a.vip))
    np = None
    if not a.no_numpy and a.flows >= 4096:
        try:
            import numpy as np
        except ImportError:
            np = None
    with open(a.output, "wb") as f:
        # pcap global header: magic, v2.4, thiszone, sigfigs, snaplen, LINKTYPE_ETHERNET
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        if np is not None:
            frames_numpy(np, f, a.dst_mac, a.src_mac, vip, a.port, a.first, a.flows)
        else:
            frames_loop(f, a.dst_mac, a.src_mac, vip, a.port, a.first, a.flows)
        if a.replies:
            frames_replies(f, a.dst_mac, a.rs_mac, a.replies, a.first, a.flows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
