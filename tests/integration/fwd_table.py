"""The frame table of test_fwd_packets.py: the lab's services, the expected rewrites.

The configuration (one service per forwarding mode, real servers with static MACs
that nobody holds), the functions that build the frame the director must send for
an input (dataplane/xmit.h, dataplane/icmp.h, IPVS's rules), and the rows: each an
input frame and its expected output or drop reason.  test_fwd_packets.py sends them
and compares.
"""

import struct
from dataclasses import dataclass
from typing import Callable, Optional

from socket import inet_aton

import lab as labmod

from scapy.all import (ICMP, IP, TCP, UDP, Ether, IPOption_EOL,  # noqa: E402
                       IPOption_NOP, Padding, Raw, checksum)


DIR = labmod.DIR1_ADDR
VIP_NAT = "10.99.0.100"     # TCP 80 -> RS_NAT:8080, UDP 53 -> RS_NAT:5353
VIP_DR = "10.99.0.101"      # TCP 80 -> RS_DR
VIP_TUN = "10.99.0.102"     # TCP 80, UDP 53 -> RS_TUN
VIP_MIX = "10.99.0.103"     # service DR, its real server NAT (port 8081)
VIP_MIX2 = "10.99.0.104"    # service NAT, its real server TUN
RS_NAT, RS_NAT_MAC = "10.99.0.51", "02:00:00:00:00:51"
RS_DR, RS_DR_MAC = "10.99.0.52", "02:00:00:00:00:52"
RS_TUN, RS_TUN_MAC = "10.99.0.53", "02:00:00:00:00:53"
RS_MIX, RS_MIX_MAC = "10.99.0.54", "02:00:00:00:00:54"
RS_MIX2, RS_MIX2_MAC = "10.99.0.55", "02:00:00:00:00:55"
ROUTER_MAC = "02:00:00:00:cc:01"   # a client-side next hop other than the client's veth
OTHER_MAC = "02:00:00:00:ee:01"    # nobody's: the bridge floods it
CLIENTS = [f"10.99.0.{60 + i}" for i in range(12)]
RELATED = {VIP_NAT, VIP_DR, VIP_TUN, VIP_MIX, VIP_MIX2, RS_NAT, RS_DR, RS_TUN, RS_MIX,
           RS_MIX2, DIR, *CLIENTS}

CONF = """\
# tests/integration/test_fwd_packets.py: one service per forwarding mode
global = {{ router_id = "fwd-packets"; }};
dpdk = {{ workers = {workers}; sessions = 65536; eal_args = [ "--no-pci" ]; }};
ports = ( {{ name = "lan0"; device = "net_af_packet0,iface=lan0"; address = "10.99.0.2/24"; }} );
virtual_servers = (
  {{ address = "{VIP_NAT}"; port = 80; protocol = "TCP"; scheduler = "rr"; forwarding = "NAT";
     real_servers = ( {{ address = "{RS_NAT}"; port = 8080; mac = "{RS_NAT_MAC}"; }} ); }},
  {{ address = "{VIP_NAT}"; port = 53; protocol = "UDP"; scheduler = "rr"; forwarding = "NAT";
     real_servers = ( {{ address = "{RS_NAT}"; port = 5353; mac = "{RS_NAT_MAC}"; }} ); }},
  {{ address = "{VIP_DR}"; port = 80; protocol = "TCP"; scheduler = "rr"; forwarding = "DR";
     real_servers = ( {{ address = "{RS_DR}"; mac = "{RS_DR_MAC}"; }} ); }},
  {{ address = "{VIP_TUN}"; port = 80; protocol = "TCP"; scheduler = "rr"; forwarding = "TUN";
     real_servers = ( {{ address = "{RS_TUN}"; mac = "{RS_TUN_MAC}"; }} ); }},
  {{ address = "{VIP_TUN}"; port = 53; protocol = "UDP"; scheduler = "rr"; forwarding = "TUN";
     real_servers = ( {{ address = "{RS_TUN}"; mac = "{RS_TUN_MAC}"; }} ); }},
  {{ address = "{VIP_MIX}"; port = 80; protocol = "TCP"; scheduler = "rr"; forwarding = "DR";
     real_servers = ( {{ address = "{RS_MIX}"; port = 8081; forwarding = "NAT";
                        mac = "{RS_MIX_MAC}"; }} ); }},
  {{ address = "{VIP_MIX2}"; port = 80; protocol = "TCP"; scheduler = "rr"; forwarding = "NAT";
     real_servers = ( {{ address = "{RS_MIX2}"; forwarding = "TUN"; mac = "{RS_MIX2_MAC}"; }} ); }}
);
"""


def fwd_conf(workers):
    g = dict(globals())
    return CONF.format(workers=workers, **{k: g[k] for k in g if k.isupper()})


# ---------------------------------------------------------------------------------
# the environment rows are built against

@dataclass
class Env:
    dmac: str       # the director's port MAC
    cmac: str       # the client veth's MAC
    mtu: int        # the director port's MTU


def eth(env, src=None, dst=None):
    return Ether(dst=dst or env.dmac, src=src or env.cmac, type=0x0800)


# ---------------------------------------------------------------------------------
# expected outputs: the documented rewrites, applied with scapy to the input

def _parsed(frame):
    return Ether(bytes(frame))


def _strip_padding(p):
    """The IP packet without Ethernet padding (a bytes copy is re-parsed)."""
    ip = p[IP]
    return bytes(ip)[:ip.len]


def exp_dr(env, inp, rs_mac):
    p = _parsed(inp)
    p[Ether].src, p[Ether].dst = env.dmac, rs_mac
    return p


def _l4(p):
    return p[TCP] if TCP in p else p[UDP]


def exp_nat(env, inp, rs, rs_port, rs_mac):
    """Client to NAT real server: daddr/dport rewritten, checksums fixed, TTL kept."""
    p = _parsed(inp)
    p[Ether].src, p[Ether].dst = env.dmac, rs_mac
    ip, l4 = p[IP], _l4(p)
    ip.dst = rs
    l4.dport = rs_port
    ip.chksum = None
    if UDP in p and inp[UDP].chksum == 0:
        l4.chksum = 0           # no checksum stays no checksum
    else:
        l4.chksum = None
    return _parsed(p)


def exp_nat_reply(env, inp, vip, vport, client_mac):
    """NAT real server to client: saddr/sport back to the VIP, TTL - 1, to the MAC the
    client's packets came from."""
    p = _parsed(inp)
    p[Ether].src, p[Ether].dst = env.dmac, client_mac
    ip, l4 = p[IP], _l4(p)
    ip.src = vip
    l4.sport = vport
    ip.ttl -= 1
    ip.chksum = None
    if UDP in p and inp[UDP].chksum == 0:
        l4.chksum = 0
    else:
        l4.chksum = None
    return _parsed(p)


def exp_tun(env, inp, rs, rs_mac):
    """IPIP: outer src the director's address, dst the real server; TOS, TTL, ID and DF
    copied from the inner header; the inner packet unchanged (no Ethernet padding)."""
    p = _parsed(inp)
    inner = _strip_padding(p)
    iip = p[IP]
    outer = IP(version=4, ihl=5, tos=iip.tos, len=len(inner) + 20, id=iip.id,
               flags="DF" if iip.flags.DF else 0, frag=0, ttl=iip.ttl, proto=4,
               src=DIR, dst=rs)
    return _parsed(Ether(dst=rs_mac, src=env.dmac, type=0x0800) / outer / Raw(inner))


def exp_frag_needed(env, inp, got=None):
    """ICMP 3/4 back to the client, from the director's own address, next-hop MTU =
    port MTU - 20, quoting the inner IP header and 8 bytes of its payload.  TOS, TTL and
    IP ID of the error are vipd's choice (taken from `got`)."""
    p = _parsed(inp)
    iip = p[IP]
    quote = bytes(iip)[:iip.ihl * 4 + 8]
    icmp = bytearray(struct.pack("!BBHHH", 3, 4, 0, 0, env.mtu - 20) + quote)
    icmp[2:4] = struct.pack("!H", checksum(bytes(icmp)))
    gip = got[IP] if got is not None and IP in got else None
    ip = IP(version=4, ihl=5, tos=gip.tos if gip else 0xc0, id=gip.id if gip else 0,
            flags=0, frag=0, ttl=gip.ttl if gip else 64, proto=1, src=DIR, dst=iip.src)
    return _parsed(Ether(dst=p[Ether].src, src=env.dmac, type=0x0800) / ip / Raw(bytes(icmp)))


def icmp_error(type_, code, quoted, rest=0):
    """ICMP error bytes (checksum filled) quoting `quoted`."""
    b = bytearray(struct.pack("!BBHI", type_, code, 0, rest) + quoted)
    b[2:4] = struct.pack("!H", checksum(bytes(b)))
    return bytes(b)


def quote_of(frame, n=8):
    """What an ICMP error quotes of a frame: its IP header and n bytes after it."""
    ip = bytes(_parsed(frame)[IP])
    return ip[:(ip[0] & 0x0F) * 4 + n]


def nat_quote(quoted, src=None, dst=None, sport=None, dport=None):
    """A quoted header translated as IPVS's ip_vs_nat_icmp() does: address and port
    rewritten, the quoted IP checksum recomputed, the quoted L4 checksum left alone."""
    q = bytearray(quoted)
    ihl = (q[0] & 0x0F) * 4
    if src:
        q[12:16] = inet_aton(src)
    if dst:
        q[16:20] = inet_aton(dst)
    if sport is not None:
        q[ihl:ihl + 2] = struct.pack("!H", sport)
    if dport is not None:
        q[ihl + 2:ihl + 4] = struct.pack("!H", dport)
    q[10:12] = b"\0\0"
    q[10:12] = struct.pack("!H", checksum(bytes(q[:ihl])))
    return bytes(q)


def row_input(env, name):
    r = ROW_BY_NAME[name]
    return r.build(env, r.rid)


def as_seen_by_rs(env, name):
    """A table row's request as its NAT real server received it (the row's expected
    output)."""
    return ROW_BY_NAME[name].expect(env, _parsed(row_input(env, name)), None)


def as_seen_by_client(env, name):
    """A table row's NAT reply as the client received it."""
    return ROW_BY_NAME[name].expect(env, _parsed(row_input(env, name)), None)


def exp_icmp_nat(env, inp, eth_dst, out_src=None, out_dst=None, q_src=None, q_dst=None,
                 q_sport=None, q_dport=None, ttl_dec=0):
    """An ICMP error translated as IPVS's ip_vs_nat_icmp(): outer address, the quote's
    opposite address and port, the quote's IP checksum and the ICMP checksum
    recomputed; the outer TTL decremented when it is forwarded (real server to client)."""
    p = _parsed(inp)
    ip = p[IP]
    raw = bytes(ip)[:ip.len]
    icmp = raw[ip.ihl * 4:]
    type_, code, _ck, rest = struct.unpack("!BBHI", icmp[:8])
    q = nat_quote(icmp[8:], src=q_src, dst=q_dst, sport=q_sport, dport=q_dport)
    outer = IP(version=4, ihl=ip.ihl, tos=ip.tos, id=ip.id, flags=ip.flags, frag=ip.frag,
               ttl=ip.ttl - ttl_dec, proto=1, src=out_src or ip.src, dst=out_dst or ip.dst,
               options=ip.options)
    return _parsed(Ether(dst=eth_dst, src=env.dmac, type=0x0800) / outer /
                   Raw(icmp_error(type_, code, q, rest)))


# ---------------------------------------------------------------------------------
# the table

@dataclass
class Row:
    name: str
    build: Callable          # env, rid -> input frame (scapy)
    expect: Optional[Callable] = None   # env, inp, got -> expected frame; None: a drop
    drop: Optional[str] = None          # the drop_<reason> counter that must rise
    phase: int = 1                      # 1: from the client, 2: from a NAT real server
    sender: str = "client"
    to_client: bool = False             # the output must also arrive at the client
    notes: str = ""
    rid: int = 0                        # unique IP ID (set below)
    xfail: Optional[str] = None         # a known vipd bug: the reason
    today_drop: Optional[str] = None    # xfail rows: the counter vipd bumps meanwhile


def tcp(sport, dport, flags="S", seq=1000, ack=0, payload=b"", **kw):
    t = TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=64240, **kw)
    return t / Raw(payload) if payload else t


def udp(sport, dport, payload=b"q", chksum=None):
    u = UDP(sport=sport, dport=dport) / Raw(payload)
    if chksum is not None:
        u[UDP].chksum = chksum
    return u


def udp_payload_for_ffff(src, dst, sport, dport, tail=b"vipd"):
    """A UDP payload whose checksum, once the packet is NATed to (dst, dport), is
    0xffff: the computed 0 that must go out as 0xffff, never as 0 ("no checksum")."""
    probe = IP(src=src, dst=dst) / UDP(sport=sport, dport=dport) / Raw(b"\0\0" + tail)
    c = IP(bytes(probe))[UDP].chksum   # ~sum with the word 0
    if c == 0xFFFF:                      # sum already 0 -> tail alone decides
        c = 0
    return struct.pack("!H", c) + tail


C = CLIENTS
MSS = [("MSS", 1460), ("SAckOK", b""), ("NOP", None), ("WScale", 7)]
OPTS4 = [IPOption_NOP(), IPOption_NOP(), IPOption_NOP(), IPOption_EOL()]


def big(n_ip, hdr_len=40):
    """Payload that makes the IP total length n_ip (with a 20-byte IP + 20 TCP)."""
    return b"B" * (n_ip - hdr_len)


ROWS = [
    # --- DR: only the MACs change ---------------------------------------------------
    Row("dr_tcp_syn",
        lambda e, r: eth(e) / IP(src=C[0], dst=VIP_DR, id=r, ttl=64, flags="DF") /
        tcp(31001, 80, options=MSS),
        lambda e, i, g: exp_dr(e, i, RS_DR_MAC)),
    Row("dr_tcp_data_same_flow",
        lambda e, r: eth(e) / IP(src=C[0], dst=VIP_DR, id=r, ttl=64, flags="DF") /
        tcp(31001, 80, "PA", seq=1001, ack=5, payload=b"GET / HTTP/1.0\r\n\r\n"),
        lambda e, i, g: exp_dr(e, i, RS_DR_MAC)),
    # --- NAT TCP, VIP:80 -> RS:8080 --------------------------------------------------
    Row("nat_tcp_syn",
        lambda e, r: eth(e) / IP(src=C[1], dst=VIP_NAT, id=r, ttl=64, flags="DF") /
        tcp(31002, 80, options=MSS),
        lambda e, i, g: exp_nat(e, i, RS_NAT, 8080, RS_NAT_MAC)),
    Row("nat_tcp_data_odd_length",
        lambda e, r: eth(e) / IP(src=C[1], dst=VIP_NAT, id=r, ttl=64, flags="DF") /
        tcp(31002, 80, "PA", seq=1001, ack=77, payload=b"GET /odd HTTP/1.0\r\n\r\n!"),
        lambda e, i, g: exp_nat(e, i, RS_NAT, 8080, RS_NAT_MAC)),
    Row("nat_tcp_ttl2_tos_not_decremented",
        lambda e, r: eth(e) / IP(src=C[2], dst=VIP_NAT, id=r, ttl=2, tos=0x28) /
        tcp(31003, 80),
        lambda e, i, g: exp_nat(e, i, RS_NAT, 8080, RS_NAT_MAC)),
    Row("nat_tcp_ip_options",
        lambda e, r: eth(e) / IP(src=C[3], dst=VIP_NAT, id=r, ttl=64, options=OPTS4) /
        tcp(31004, 80, options=MSS),
        lambda e, i, g: exp_nat(e, i, RS_NAT, 8080, RS_NAT_MAC)),
    Row("nat_tcp_syn_via_router_mac",
        lambda e, r: eth(e, src=ROUTER_MAC) / IP(src=C[4], dst=VIP_NAT, id=r, ttl=61) /
        tcp(31005, 80),
        lambda e, i, g: exp_nat(e, i, RS_NAT, 8080, RS_NAT_MAC)),
    Row("nat_tcp_high_ports_csum",
        lambda e, r: eth(e) / IP(src=C[5], dst=VIP_NAT, id=r, ttl=255, flags="DF") /
        tcp(65535, 80, seq=0xFFFFFFFF, options=MSS),
        lambda e, i, g: exp_nat(e, i, RS_NAT, 8080, RS_NAT_MAC)),
    # --- NAT UDP, VIP:53 -> RS:5353 ---------------------------------------------------
    Row("nat_udp",
        lambda e, r: eth(e) / IP(src=C[1], dst=VIP_NAT, id=r, ttl=64) /
        udp(32001, 53, b"\x12\x34\x01\x00query"),
        lambda e, i, g: exp_nat(e, i, RS_NAT, 5353, RS_NAT_MAC)),
    Row("nat_udp_zero_checksum_stays_zero",
        lambda e, r: eth(e) / IP(src=C[2], dst=VIP_NAT, id=r, ttl=64) /
        udp(32002, 53, b"no checksum", chksum=0),
        lambda e, i, g: exp_nat(e, i, RS_NAT, 5353, RS_NAT_MAC)),
    Row("nat_udp_checksum_computes_to_ffff",
        lambda e, r: eth(e) / IP(src=C[3], dst=VIP_NAT, id=r, ttl=64) /
        udp(32003, 53, udp_payload_for_ffff(C[3], RS_NAT, 32003, 5353)),
        lambda e, i, g: exp_nat(e, i, RS_NAT, 5353, RS_NAT_MAC),
        notes="the translated checksum is 0xffff: a computed 0 must not go out as 0"),
    Row("nat_udp_input_checksum_ffff",
        lambda e, r: eth(e) / IP(src=C[10], dst=VIP_NAT, id=r, ttl=64) /
        udp(32006, 53, udp_payload_for_ffff(C[10], VIP_NAT, 32006, 53, b"in")),
        lambda e, i, g: exp_nat(e, i, RS_NAT, 5353, RS_NAT_MAC),
        notes="the input's checksum is 0xffff (a computed 0): -0 in the incremental update"),
    Row("nat_udp_empty_payload",
        lambda e, r: eth(e) / IP(src=C[7], dst=VIP_NAT, id=r, ttl=64) / UDP(sport=32005, dport=53),
        lambda e, i, g: exp_nat(e, i, RS_NAT, 5353, RS_NAT_MAC)),
    Row("nat_udp_ethernet_padding",
        lambda e, r: eth(e) / IP(src=C[6], dst=VIP_NAT, id=r, ttl=64) /
        udp(32004, 53, b"x") / Padding(b"\0" * 17),
        lambda e, i, g: exp_nat(e, i, RS_NAT, 5353, RS_NAT_MAC)),
    # --- TUN --------------------------------------------------------------------------
    Row("tun_tcp_syn_df_tos",
        lambda e, r: eth(e) / IP(src=C[0], dst=VIP_TUN, id=r, ttl=64, tos=0xb8,
                                 flags="DF") / tcp(33001, 80, options=MSS),
        lambda e, i, g: exp_tun(e, i, RS_TUN, RS_TUN_MAC)),
    Row("tun_udp_no_df_ttl9",
        lambda e, r: eth(e) / IP(src=C[1], dst=VIP_TUN, id=r, ttl=9) /
        udp(33002, 53, b"tunnel me"),
        lambda e, i, g: exp_tun(e, i, RS_TUN, RS_TUN_MAC)),
    Row("tun_udp_padding_not_tunnelled",
        lambda e, r: eth(e) / IP(src=C[2], dst=VIP_TUN, id=r, ttl=64) /
        udp(33003, 53, b"p") / Padding(b"\xaa" * 17),
        lambda e, i, g: exp_tun(e, i, RS_TUN, RS_TUN_MAC)),
    Row("tun_inner_ip_options",
        lambda e, r: eth(e) / IP(src=C[3], dst=VIP_TUN, id=r, ttl=64, flags="DF",
                                 options=OPTS4) / tcp(33004, 80),
        lambda e, i, g: exp_tun(e, i, RS_TUN, RS_TUN_MAC)),
    Row("tun_exactly_mtu",
        lambda e, r: eth(e) / IP(src=C[4], dst=VIP_TUN, id=r, ttl=64, flags="DF") /
        tcp(33005, 80, payload=big(e.mtu - 20)),
        lambda e, i, g: exp_tun(e, i, RS_TUN, RS_TUN_MAC),
        notes="inner length + 20 == MTU: still fits"),
    Row("tun_too_big_df_icmp_frag_needed",
        lambda e, r: eth(e) / IP(src=C[5], dst=VIP_TUN, id=r, ttl=64, flags="DF") /
        tcp(33006, 80, payload=big(e.mtu - 19)),
        lambda e, i, g: exp_frag_needed(e, i, g), drop="tun_frag_needed", to_client=True),
    Row("tun_too_big_df_ip_options_quote",
        lambda e, r: eth(e) / IP(src=C[6], dst=VIP_TUN, id=r, ttl=64, flags="DF",
                                 options=OPTS4) / tcp(33007, 80, payload=big(e.mtu, 44)),
        lambda e, i, g: exp_frag_needed(e, i, g), drop="tun_frag_needed", to_client=True),
    Row("tun_too_big_df_ihl15_quote",
        lambda e, r: eth(e) / IP(src=C[11], dst=VIP_TUN, id=r, ttl=64, flags="DF",
                                 options=[IPOption_NOP()] * 39 + [IPOption_EOL()]) /
        udp(33009, 53, b"Q" * (e.mtu - 60 - 8 - 10)),
        lambda e, i, g: exp_frag_needed(e, i, g), drop="tun_frag_needed", to_client=True,
        notes="a 60-byte header: the quote is 68 bytes"),
    # A new UDP flow takes the lean path (vip_fast()), with its own MTU test:
    # its boundary, one byte each side.
    Row("tun_udp_exactly_mtu",
        lambda e, r: eth(e) / IP(src=C[8], dst=VIP_TUN, id=r, ttl=64, flags="DF") /
        udp(33010, 53, b"E" * (e.mtu - 20 - 28)),
        lambda e, i, g: exp_tun(e, i, RS_TUN, RS_TUN_MAC),
        notes="inner length + 20 == MTU: still fits"),
    Row("tun_udp_one_over_mtu_df",
        lambda e, r: eth(e) / IP(src=C[8], dst=VIP_TUN, id=r, ttl=64, flags="DF") /
        udp(33011, 53, b"O" * (e.mtu - 20 - 28 + 1)),
        lambda e, i, g: exp_frag_needed(e, i, g), drop="tun_frag_needed", to_client=True),
    Row("tun_too_big_no_df_dropped",
        lambda e, r: eth(e) / IP(src=C[7], dst=VIP_TUN, id=r, ttl=64) /
        udp(33008, 53, b"U" * (e.mtu - 28)),
        drop="tun_frag_needed"),
    # --- forwarding per real server ----------------------------------------------------
    Row("mixed_dr_service_nat_real_server",
        lambda e, r: eth(e) / IP(src=C[8], dst=VIP_MIX, id=r, ttl=64) / tcp(34001, 80),
        lambda e, i, g: exp_nat(e, i, RS_MIX, 8081, RS_MIX_MAC)),
    Row("mixed_nat_service_tun_real_server",
        lambda e, r: eth(e) / IP(src=C[8], dst=VIP_MIX2, id=r, ttl=64, flags="DF") /
        tcp(34002, 80),
        lambda e, i, g: exp_tun(e, i, RS_MIX2, RS_MIX2_MAC)),
    # --- dropped and counted ------------------------------------------------------------
    Row("no_service_tcp_port",
        lambda e, r: eth(e) / IP(src=C[9], dst=VIP_NAT, id=r) / tcp(35001, 81),
        drop="no_service"),
    Row("no_service_tcp_on_udp_port",
        lambda e, r: eth(e) / IP(src=C[9], dst=VIP_NAT, id=r) / tcp(35002, 53),
        drop="no_service"),
    Row("no_service_udp_port",
        lambda e, r: eth(e) / IP(src=C[9], dst=VIP_DR, id=r) / udp(35003, 80),
        drop="no_service"),
    Row("tcp_ack_without_session",
        lambda e, r: eth(e) / IP(src=C[9], dst=VIP_NAT, id=r) / tcp(35004, 80, "A"),
        drop="tcp_no_session"),
    Row("fragment_more_fragments",
        lambda e, r: eth(e) / IP(src=C[9], dst=VIP_NAT, id=r, flags="MF") /
        tcp(35005, 80, payload=b"f" * 16),
        drop="ip_fragment"),
    Row("fragment_offset",
        lambda e, r: eth(e) / IP(src=C[9], dst=VIP_NAT, id=r, frag=3, proto=6) /
        Raw(b"f" * 24),
        drop="ip_fragment"),
    Row("ttl_1",
        lambda e, r: eth(e) / IP(src=C[9], dst=VIP_NAT, id=r, ttl=1) / tcp(35006, 80),
        drop="ip_ttl_expired"),
    Row("tcp_data_offset_4",
        lambda e, r: eth(e) / IP(src=C[9], dst=VIP_NAT, id=r) / tcp(35007, 80, dataofs=4),
        drop="l4_bad_header"),
    Row("tcp_data_offset_past_end",
        lambda e, r: eth(e) / IP(src=C[9], dst=VIP_NAT, id=r) / tcp(35008, 80, dataofs=15),
        drop="l4_bad_header"),
    Row("udp_length_below_8",
        lambda e, r: eth(e) / IP(src=C[9], dst=VIP_NAT, id=r) /
        UDP(sport=35009, dport=53, len=7) / Raw(b"abcd"),
        drop="l4_bad_header"),
    Row("udp_length_past_ip_end",
        lambda e, r: eth(e) / IP(src=C[9], dst=VIP_NAT, id=r) /
        UDP(sport=35010, dport=53, len=40) / Raw(b"abcd"),
        drop="l4_bad_header"),
    Row("udp_header_truncated",
        lambda e, r: eth(e) / IP(src=C[9], dst=VIP_NAT, id=r, proto=17) / Raw(b"\x88\xc3\0\x35"),
        drop="l4_truncated"),
    Row("ip_version_6_in_ipv4_frame",
        lambda e, r: eth(e) / IP(src=C[9], dst=VIP_NAT, id=r, version=6) / tcp(35011, 80),
        drop="ip_bad_version"),
    Row("ip_bad_checksum",
        lambda e, r: eth(e) / IP(src=C[9], dst=VIP_NAT, id=r, chksum=0xBEEF) /
        tcp(35012, 80),
        drop="ip_bad_checksum"),
    Row("ip_total_length_past_frame",
        lambda e, r: eth(e) / IP(src=C[9], dst=VIP_NAT, id=r, len=400) / tcp(35013, 80),
        drop="ip_bad_length"),
    Row("gre_to_vip",
        lambda e, r: eth(e) / IP(src=C[9], dst=VIP_NAT, id=r, proto=47) / Raw(b"\0" * 8),
        drop="vip_bad_proto"),
    Row("icmp_timestamp_to_vip",
        lambda e, r: eth(e) / IP(src=C[9], dst=VIP_NAT, id=r) / ICMP(type=13),
        drop="vip_bad_proto"),
    Row("unicast_for_another_mac",
        lambda e, r: eth(e, dst=OTHER_MAC) / IP(src=C[9], dst=VIP_NAT, id=r) /
        tcp(35014, 80),
        drop="l2_other_host"),
    # --- phase 2: NAT replies from the real server (rs1's namespace) --------------------
    Row("nat_reply_tcp_synack",
        lambda e, r: eth(e, src=RS_NAT_MAC) / IP(src=RS_NAT, dst=C[1], id=r, ttl=64,
                                                 flags="DF") /
        tcp(8080, 31002, "SA", seq=76, ack=1001, options=MSS),
        lambda e, i, g: exp_nat_reply(e, i, VIP_NAT, 80, e.cmac),
        phase=2, sender="rs1", to_client=True),
    Row("nat_reply_tcp_data_ttl2",
        lambda e, r: eth(e, src=RS_NAT_MAC) / IP(src=RS_NAT, dst=C[1], id=r, ttl=2) /
        tcp(8080, 31002, "PA", seq=77, ack=1024, payload=b"HTTP/1.0 200 OK\r\n\r\nodd"),
        lambda e, i, g: exp_nat_reply(e, i, VIP_NAT, 80, e.cmac),
        phase=2, sender="rs1", to_client=True),
    Row("nat_reply_to_router_mac",
        lambda e, r: eth(e, src=RS_NAT_MAC) / IP(src=RS_NAT, dst=C[4], id=r, ttl=64) /
        tcp(8080, 31005, "SA", seq=9, ack=1001),
        lambda e, i, g: exp_nat_reply(e, i, VIP_NAT, 80, ROUTER_MAC),
        phase=2, sender="rs1", notes="Ethernet dst = the MAC the client's SYN came from"),
    Row("nat_reply_ip_options",
        lambda e, r: eth(e, src=RS_NAT_MAC) / IP(src=RS_NAT, dst=C[3], id=r, ttl=64,
                                                 options=OPTS4) /
        tcp(8080, 31004, "SA", seq=1, ack=1001),
        lambda e, i, g: exp_nat_reply(e, i, VIP_NAT, 80, e.cmac),
        phase=2, sender="rs1", to_client=True),
    Row("nat_reply_udp",
        lambda e, r: eth(e, src=RS_NAT_MAC) / IP(src=RS_NAT, dst=C[1], id=r, ttl=64) /
        udp(5353, 32001, b"\x12\x34\x81\x80answer"),
        lambda e, i, g: exp_nat_reply(e, i, VIP_NAT, 53, e.cmac),
        phase=2, sender="rs1", to_client=True),
    Row("nat_reply_udp_zero_checksum",
        lambda e, r: eth(e, src=RS_NAT_MAC) / IP(src=RS_NAT, dst=C[2], id=r, ttl=64) /
        udp(5353, 32002, b"no checksum back", chksum=0),
        lambda e, i, g: exp_nat_reply(e, i, VIP_NAT, 53, e.cmac),
        phase=2, sender="rs1", to_client=True),
    Row("nat_reply_udp_checksum_computes_to_ffff",
        lambda e, r: eth(e, src=RS_NAT_MAC) / IP(src=RS_NAT, dst=C[3], id=r, ttl=64) /
        udp(5353, 32003, udp_payload_for_ffff(VIP_NAT, C[3], 53, 32003, b"back")),
        lambda e, i, g: exp_nat_reply(e, i, VIP_NAT, 53, e.cmac),
        phase=2, sender="rs1", to_client=True),
    Row("nat_reply_udp_empty_payload",
        lambda e, r: eth(e, src=RS_NAT_MAC) / IP(src=RS_NAT, dst=C[7], id=r, ttl=64) /
        UDP(sport=5353, dport=32005),
        lambda e, i, g: exp_nat_reply(e, i, VIP_NAT, 53, e.cmac),
        phase=2, sender="rs1", to_client=True),
    Row("nat_reply_port_mapped_real_server",
        lambda e, r: eth(e, src=RS_MIX_MAC) / IP(src=RS_MIX, dst=C[8], id=r, ttl=64) /
        tcp(8081, 34001, "SA", seq=5, ack=1001),
        lambda e, i, g: exp_nat_reply(e, i, VIP_MIX, 80, e.cmac),
        phase=2, sender="rs1", to_client=True),
    Row("nat_reply_without_session",
        lambda e, r: eth(e, src=RS_NAT_MAC) / IP(src=RS_NAT, dst=C[10], id=r, ttl=64) /
        tcp(8080, 36001, "SA", seq=5, ack=1),
        drop="nat_reply_no_session", phase=2, sender="rs1"),
    Row("nat_reply_ttl_1",
        lambda e, r: eth(e, src=RS_NAT_MAC) / IP(src=RS_NAT, dst=C[1], id=r, ttl=1) /
        udp(5353, 32001, b"late"),
        drop="ip_ttl_expired", phase=2, sender="rs1"),
    Row("nat_reply_bad_ip_checksum",
        lambda e, r: eth(e, src=RS_NAT_MAC) / IP(src=RS_NAT, dst=C[1], id=r, ttl=64,
                                                 chksum=0x1111) /
        udp(5353, 32001, b"bad"),
        drop="ip_bad_checksum", phase=2, sender="rs1"),
    # --- ICMP errors about sessions (IPVS's ip_vs_in_icmp / ip_vs_out_icmp) ----------
    Row("icmp_port_unreachable_from_nat_real_server",
        lambda e, r: eth(e, src=RS_NAT_MAC) / IP(src=RS_NAT, dst=C[5], id=r, ttl=64, proto=1) /
        Raw(icmp_error(3, 3, quote_of(as_seen_by_rs(e, "nat_tcp_high_ports_csum")))),
        lambda e, i, g: exp_icmp_nat(e, i, e.cmac, out_src=VIP_NAT, q_dst=VIP_NAT, q_dport=80,
                                     ttl_dec=1),
        phase=2, sender="rs1", to_client=True,
        notes="outer source and the quote's destination back to VIP:80, TTL - 1"),
    Row("icmp_time_exceeded_from_nat_real_server_udp",
        lambda e, r: eth(e, src=RS_NAT_MAC) / IP(src=RS_NAT, dst=C[2], id=r, ttl=9, proto=1) /
        Raw(icmp_error(11, 0, quote_of(as_seen_by_rs(e, "nat_udp_zero_checksum_stays_zero"),
                                       n=20))),
        lambda e, i, g: exp_icmp_nat(e, i, e.cmac, out_src=VIP_NAT, q_dst=VIP_NAT, q_dport=53,
                                     ttl_dec=1),
        phase=2, sender="rs1", to_client=True, notes="a longer quote (20 bytes of UDP)"),
    Row("icmp_from_nat_real_server_without_session",
        lambda e, r: eth(e, src=RS_NAT_MAC) / IP(src=RS_NAT, dst=C[10], id=r, ttl=64, proto=1) /
        Raw(icmp_error(3, 3, quote_of(eth(e) / IP(src=C[10], dst=RS_NAT) / tcp(39998, 8080)))),
        drop="icmp_no_session", phase=2, sender="rs1"),
    Row("icmp_from_nat_real_server_ttl_1",
        lambda e, r: eth(e, src=RS_NAT_MAC) / IP(src=RS_NAT, dst=C[5], id=r, ttl=1, proto=1) /
        Raw(icmp_error(3, 3, quote_of(as_seen_by_rs(e, "nat_tcp_high_ports_csum")))),
        drop="ip_ttl_expired", phase=2, sender="rs1"),
    Row("icmp_frag_needed_from_client_nat",
        lambda e, r: eth(e) / IP(src=C[1], dst=VIP_NAT, id=r, ttl=64, proto=1) /
        Raw(icmp_error(3, 4, quote_of(as_seen_by_client(e, "nat_reply_tcp_synack")),
                       rest=1400)),
        lambda e, i, g: exp_icmp_nat(e, i, RS_NAT_MAC, out_dst=RS_NAT, q_src=RS_NAT,
                                     q_sport=8080),
        phase=2, notes="to the real server: outer destination and the quote's source "
                       "translated, TTL kept (IPVS: LOCAL_IN)"),
    Row("icmp_frag_needed_from_client_dr",
        lambda e, r: eth(e) / IP(src=C[0], dst=VIP_DR, id=r, ttl=64, proto=1) /
        Raw(icmp_error(3, 4, quote_of(eth(e) / IP(src=VIP_DR, dst=C[0], ttl=63, flags="DF") /
                                      tcp(80, 31001, "SA", seq=4, ack=1001)), rest=1400)),
        lambda e, i, g: exp_dr(e, i, RS_DR_MAC), phase=2,
        notes="DR carries it like the flow: MACs only"),
    Row("icmp_frag_needed_from_client_tun",
        lambda e, r: eth(e) / IP(src=C[0], dst=VIP_TUN, id=r, ttl=64, proto=1) /
        Raw(icmp_error(3, 4, quote_of(eth(e) / IP(src=VIP_TUN, dst=C[0], ttl=63, flags="DF") /
                                      tcp(80, 33001, "SA", seq=4, ack=1001)), rest=1400)),
        lambda e, i, g: exp_tun(e, i, RS_TUN, RS_TUN_MAC), phase=2,
        notes="TUN carries it like the flow: in IPIP"),
    Row("icmp_from_client_without_session",
        lambda e, r: eth(e) / IP(src=C[9], dst=VIP_NAT, id=r, ttl=64, proto=1) /
        Raw(icmp_error(3, 4, quote_of(eth(e) / IP(src=VIP_NAT, dst=C[9]) / tcp(80, 39999)),
                       rest=1400)),
        drop="icmp_no_session", phase=2),
    Row("icmp_from_client_quoting_no_service",
        lambda e, r: eth(e) / IP(src=C[9], dst=VIP_NAT, id=r, ttl=64, proto=1) /
        Raw(icmp_error(3, 3, quote_of(eth(e) / IP(src=VIP_NAT, dst=C[9]) / udp(99, 39999)))),
        drop="no_service", phase=2),
]
ROW_BY_NAME = {r.name: r for r in ROWS}
for _i, _r in enumerate(ROWS):
    _r.rid = 0x5A00 + _i
assert len({r.name for r in ROWS}) == len(ROWS)
