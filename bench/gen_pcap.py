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
"""
import argparse
import ipaddress
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
    a = ap.parse_args()
    if not 1 <= a.flows <= 65534 * (65536 - 1024):
        ap.error("--flows out of range")
    vip = int(ipaddress.IPv4Address(a.vip))
    # pcap global header: magic, v2.4, thiszone, sigfigs, snaplen, LINKTYPE_ETHERNET
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    rec = struct.pack("<IIII", 0, 0, FRAME_LEN, FRAME_LEN)
    for i in range(a.flows):
        saddr, sport = client(i)
        out.append(rec)
        out.append(frame(a.dst_mac, a.src_mac, saddr, vip, sport, a.port, i))
    with open(a.output, "wb") as f:
        f.write(b"".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
