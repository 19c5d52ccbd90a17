"""NAT and TUN end to end in the lab, with real clients (curl) and the real servers'
nginx, on 2 workers.

NAT: the real servers route through the director (IPVS NAT): no VIP on lo, a /32 to
the director's address and `default via` it instead of the on-link /24 (the lab's real
servers share the client's subnet).  Requests come from several client addresses, so
the clients are spread over both workers and NAT replies must find their session on
the worker that owns the client, whichever worker af_packet's fanout gives them to.

TUN: the lab kernel has no ipip module: each real server runs a user-space
decapsulator (tests/lab/lab_fwd.py IpipDecap: raw IPPROTO_IPIP socket -> TUN device
that carries the VIP), nginx answers the client directly.  A large upload with DF set
exercises the director's ICMP "fragmentation needed" with the real client kernel:
the client must learn the tunnel's MTU and the upload must complete.

Everything the tests change on the lab (routes, addresses, route caches, helper
processes) is restored when they end, passed or not.
"""

import json
import socket
import struct
import subprocess
import time

import pytest

import lab as labmod
import lab_fwd
import lab_ops as ops

pytestmark = pytest.mark.skipif(not labmod.VIPD.exists(),
                                reason=f"{labmod.VIPD} not built yet (run scripts/setup.sh)")

VIP = labmod.VIP
DIR = labmod.DIR1_ADDR
CLIENT = labmod.HOSTS["client"][2]
RS = {"rs1": labmod.HOSTS["rs1"][2], "rs2": labmod.HOSTS["rs2"][2]}
EXTRA_CLIENTS = [f"10.99.0.{30 + i}" for i in range(8)]
WORKERS = 2

NAT_CONF = f"""\
# tests/integration/test_nat_tun_e2e.py: NAT: TCP 80, 8080 -> 80, 8888 -> 8000; UDP 53 -> 5353
global = {{ router_id = "nat-e2e"; }};
dpdk = {{ workers = {WORKERS}; sessions = 65536; eal_args = [ "--no-pci" ]; }};
ports = ( {{ name = "lan0"; device = "net_af_packet0,iface=lan0"; address = "{DIR}/24"; }} );
virtual_servers = (
  {{ address = "{VIP}"; port = 80; protocol = "TCP"; scheduler = "rr"; forwarding = "NAT";
     real_servers = ( {{ address = "{RS['rs1']}"; }}, {{ address = "{RS['rs2']}"; }} ); }},
  {{ address = "{VIP}"; port = 8080; protocol = "TCP"; scheduler = "rr"; forwarding = "NAT";
     real_servers = ( {{ address = "{RS['rs1']}"; port = 80; }},
                      {{ address = "{RS['rs2']}"; port = 80; }} ); }},
  {{ address = "{VIP}"; port = 8888; protocol = "TCP"; scheduler = "rr"; forwarding = "NAT";
     real_servers = ( {{ address = "{RS['rs1']}"; port = 8000; }},
                      {{ address = "{RS['rs2']}"; port = 8000; }} ); }},
  {{ address = "{VIP}"; port = 53; protocol = "UDP"; scheduler = "rr"; forwarding = "NAT";
     real_servers = ( {{ address = "{RS['rs1']}"; port = 5353; }},
                      {{ address = "{RS['rs2']}"; port = 5353; }} ); }}
);
"""

TUN_CONF = f"""\
# tests/integration/test_nat_tun_e2e.py: TUN
global = {{ router_id = "tun-e2e"; }};
dpdk = {{ workers = {WORKERS}; sessions = 65536; eal_args = [ "--no-pci" ]; }};
ports = ( {{ name = "lan0"; device = "net_af_packet0,iface=lan0"; address = "{DIR}/24"; }} );
virtual_servers = (
  {{ address = "{VIP}"; port = 80; protocol = "TCP"; scheduler = "rr"; forwarding = "TUN";
     real_servers = ( {{ address = "{RS['rs1']}"; }}, {{ address = "{RS['rs2']}"; }} ); }}
);
"""


def curl(lab, url, src=None, max_time=8, extra=()):
    args = ["curl", "-sS", "--max-time", str(max_time)]
    if src:
        args += ["--interface", src]
    cp = lab.ns_exec("client", [*args, *extra, url], check=False, timeout=max_time + 15)
    assert cp.returncode == 0, f"curl {url} from {src or CLIENT} failed: {cp.stderr.strip()}"
    return cp.stdout


def served_by(body, client):
    parts = body.split()
    assert len(parts) == 2 and parts[0] in RS and parts[1] == client, (
        f"answer {body!r}: want '<rs1|rs2> {client}' (the real server must see the "
        f"client's own address)")
    return parts[0]


def delta(after, before, key):
    return after.get(key, 0) - before.get(key, 0)


def redirected(v):
    return sum(p.get("redirected", 0) for p in v.counters("ports").values())


@pytest.fixture
def client_cache_flushed(lab):
    """The client's route cache (PMTU learnt from the director) is flushed after."""
    yield
    lab.ns_exec("client", ["ip", "route", "flush", "cache"], check=False)


@pytest.fixture
def nat_lab(lab):
    with lab_fwd.nat_real_servers(lab, list(RS)), \
            lab_fwd.client_addresses(lab, EXTRA_CLIENTS):
        yield lab


def test_nat_real_servers_route_through_director(nat_lab):
    """Precondition of the NAT tests: replies leave the real servers towards vipd."""
    for rs in RS:
        out = nat_lab.ns_exec(rs, ["ip", "route", "get", CLIENT]).stdout
        assert f"via {DIR}" in out, f"{rs}: {out}"
        lo = nat_lab.ns_exec(rs, ["ip", "-o", "-4", "addr", "show", "dev", "lo"]).stdout
        assert VIP not in lo, f"{rs} still holds the VIP: {lo}"


def test_nat_curl_from_several_clients_two_workers(nat_lab, directors):
    lab = nat_lab
    v = directors.start("dir1", NAT_CONF)
    before, red0 = v.counters("stats"), redirected(v)
    served = {}
    for src in [CLIENT] + EXTRA_CLIENTS:
        for port in (80, 8080):   # 8080: VIP:8080 -> RS:80, port mapping
            body = curl(lab, f"http://{VIP}:{port}/", src=src)
            served.setdefault(port, []).append(served_by(body, src))
    print("served by:", served)
    after = v.counters("stats")
    for port, names in served.items():
        assert set(names) == set(RS), f"VIP:{port}: only {set(names)} answered: {names}"
    assert delta(after, before, "drop_nat_reply_no_session") == 0, after
    # the clients are spread over both workers: some packets crossed between them
    assert redirected(v) - red0 > 0, v.counters("ports")


def test_nat_keepalive_connection_stays_on_one_real_server(nat_lab, directors):
    lab = nat_lab
    v = directors.start("dir1", NAT_CONF)
    n = 25
    src = EXTRA_CLIENTS[3]
    cp = lab.ns_exec("client", ["curl", "-sS", "--max-time", "20", "--interface", src,
                                "-w", "%{num_connects}\n", *([f"http://{VIP}/"] * n)],
                     check=False, timeout=40)
    assert cp.returncode == 0, cp.stderr
    lines = cp.stdout.splitlines()
    assert len(lines) == 2 * n, cp.stdout
    bodies, connects = lines[0::2], [int(x) for x in lines[1::2]]
    assert connects == [1] + [0] * (n - 1), f"not one connection: {connects}"
    names = {served_by(b, src) for b in bodies}
    assert len(names) == 1, f"one connection, several real servers: {bodies}"
    assert v.alive()


# The real server's FIN reaches the client through the director (a NAT reply) while
# the client keeps its end open: the session leaves ESTABLISHED on the reply alone.
HALF_CLOSE = r"""
import socket, sys, time
s = socket.create_connection((sys.argv[1], 80), timeout=10,
                             source_address=(sys.argv[2], 0))
s.sendall(b"GET / HTTP/1.1\r\nHost: v\r\nConnection: close\r\n\r\n")
while s.recv(4096):
    pass
print(s.getsockname()[1], flush=True)
time.sleep(float(sys.argv[3]))
s.close()
"""
# IPVS's fixed state timeouts, and those this test sets (vipctl timeout TCP TCPFIN UDP).
STATE_SECS = {"FIN_WAIT": 20, "CLOSE": 10, "CLOSE_WAIT": 60, "TIME_WAIT": 120,
              "LAST_ACK": 30}


def test_nat_reply_fin_moves_state_and_shortens_expiry(nat_lab, directors):
    """A NAT reply's TCP flags drive the session's state as IPVS's output direction
    does, and its new state's shorter timeout replaces the ESTABLISHED one (the wheel
    re-files it): the listing shows the state and an expiry within its timeout."""
    lab = nat_lab
    v = directors.start("dir1", NAT_CONF)
    cp = ops.vipctl(v, "timeout", "100", "20", "10")
    assert cp.returncode == 0, cp.stderr
    src = EXTRA_CLIENTS[5]
    p = lab.popen("client", [labmod.PYTHON, "-c", HALF_CLOSE, VIP, src, "8"],
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        sport = p.stdout.readline().strip()
        assert sport.isdigit(), f"client: {p.stderr.read() if p.poll() is not None else ''}"
        rows = ops.vipctl(v, "-lnc").stdout.splitlines()
        mine = [r.split() for r in rows if f"{src}:{sport} " in r + " "]
        assert len(mine) == 1, "\n".join(rows)
        proto, expire, state, _src, vip, _dst = mine[0]
        assert (proto, vip) == ("TCP", f"{VIP}:80"), mine
        assert state in STATE_SECS, f"still {state} after the server's FIN: {mine}"
        mm, ss = (int(x) for x in expire.split(":"))
        secs = mm * 60 + ss
        assert STATE_SECS[state] - 4 <= secs <= STATE_SECS[state], (
            f"{state}: expiry {expire}, want within its {STATE_SECS[state]} s "
            f"(ESTABLISHED's was 100 s)")
    finally:
        p.kill()
        p.wait()
    assert v.alive()


def test_nat_udp_port_mapped_from_several_clients(nat_lab, directors):
    """UDP VIP:53 -> RS:5353 from 9 client addresses on connected sockets: each answer
    must come back from VIP:53 itself, and the real server must have seen the client's
    own address and port."""
    lab = nat_lab
    v = directors.start("dir1", NAT_CONF)
    before = v.counters("stats")
    sources = [CLIENT] + EXTRA_CLIENTS
    with lab_fwd.udp_echo(lab, "rs1", 5353), lab_fwd.udp_echo(lab, "rs2", 5353):
        answers = lab_fwd.udp_ask(lab, "client", VIP, 53, sources, payload="ping")
    print("answers:", answers)
    missing = [src for src, a in answers.items() if a is None]
    assert not missing, f"no answer from {VIP}:53 to {missing}: {answers}"
    names = []
    for src, a in answers.items():
        parts = a.split()
        assert len(parts) == 3 and parts[0] in RS and parts[1].startswith(f"{src}:") and \
            parts[2] == "ping", f"answer to {src}: {a!r}"
        names.append(parts[0])
    assert set(names) == set(RS), names
    after = v.counters("stats")
    assert delta(after, before, "drop_nat_reply_no_session") == 0, after


def test_nat_large_download_intact(nat_lab, directors):
    """2 MB from each real server through NAT (VIP:8888 -> RS:8000): every reply
    packet translated (addresses, ports, checksums, TTL) for the content to arrive
    intact."""
    import hashlib
    import os
    lab = nat_lab
    v = directors.start("dir1", NAT_CONF)
    d = lab.tmpdir / "nat-files"
    d.mkdir(parents=True, exist_ok=True)
    data = os.urandom(2 << 20)
    (d / "big.bin").write_bytes(data)
    want = hashlib.sha256(data).hexdigest()
    before = v.counters("stats")
    got = {}
    try:
        with lab_fwd.http_files(lab, "rs1", 8000, d), lab_fwd.http_files(lab, "rs2", 8000, d):
            for src in EXTRA_CLIENTS[:2]:
                cp = lab.ns_exec("client", ["bash", "-c",
                                            f"set -o pipefail; "
                                            f"curl -sS --max-time 20 --interface {src} "
                                            f"http://{VIP}:8888/big.bin | sha256sum"],
                                 check=False, timeout=40)
                assert cp.returncode == 0, cp.stderr
                got[src] = cp.stdout.split()[0]
    finally:
        (d / "big.bin").unlink(missing_ok=True)
    print("sha256:", got)
    assert all(h == want for h in got.values()), f"want {want}, got {got}"
    after = v.counters("stats")
    assert delta(after, before, "drop_nat_reply_no_session") == 0, after


def ip_header_checksum_ok(hdr):
    """The ones' complement sum over a header, its checksum included, is 0xffff."""
    s = sum(struct.unpack(f"!{len(hdr) // 2}H", hdr))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s == 0xFFFF


def port_mtu(lab, host="dir1"):
    out = lab.ns_exec(host, ["ip", "-j", "link", "show", "dev", lab.ifname(host)]).stdout
    return int(json.loads(out)[0]["mtu"])


def _outer_checks(summary, rs_addr):
    """Outer header of every decapsulated packet the helper saw: src the director,
    dst the real server, protocol 4, TOS/TTL/ID/DF copied from the inner header."""
    bad = []
    seen = 0
    for h in summary.get("outer", []):
        b = bytes.fromhex(h)
        o, i = b[:20], b[20:40]
        seen += 1
        want = {
            "version/ihl": (o[0], 0x45),
            "tos": (o[1], i[1]),
            "total length": (struct.unpack("!H", o[2:4])[0],
                             struct.unpack("!H", i[2:4])[0] + 20),
            "id": (o[4:6], i[4:6]),
            "DF": (o[6] & 0x40, i[6] & 0x40),
            "MF/offset": (struct.unpack("!H", o[6:8])[0] & 0x3FFF, 0),
            "ttl": (o[8], i[8]),
            "proto": (o[9], 4),
            "src": (socket.inet_ntoa(o[12:16]), DIR),
            "dst": (socket.inet_ntoa(o[16:20]), rs_addr),
        }
        for k, (got, exp) in want.items():
            if got != exp:
                bad.append(f"{k}: got {got!r}, want {exp!r} in {h}")
        if not ip_header_checksum_ok(o):
            bad.append(f"outer header checksum wrong in {h}")
    return seen, bad


def test_tun_curl_with_user_space_decapsulation(lab, directors, client_cache_flushed):
    v = directors.start("dir1", TUN_CONF)
    decaps = {rs: lab_fwd.IpipDecap(lab, rs) for rs in RS}
    try:
        for d in decaps.values():
            d.start()
        with lab_fwd.client_addresses(lab, EXTRA_CLIENTS[:4]):
            names = []
            for src in [CLIENT] + EXTRA_CLIENTS[:4]:
                for _ in range(2):
                    names.append(served_by(curl(lab, f"http://{VIP}/", src=src), src))
        time.sleep(1)   # the connections' last segments
        counted = v.counters("realservers")
    finally:
        for d in decaps.values():
            d.stop()
    print("served by:", names, {rs: {k: d.summary[k] for k in d.summary if k != "outer"}
                                for rs, d in decaps.items()})
    assert set(names) == set(RS), names
    for rs, d in decaps.items():
        s = d.summary
        assert s["decapsulated"] > 0, f"{rs}: no tunnel packet for the VIP: {s}"
        assert s["other"] == 0, f"{rs}: IPIP packets not for the VIP: {s}"
        seen, bad = _outer_checks(s, RS[rs])
        assert seen > 0 and not bad, f"{rs}: outer IPIP headers wrong:\n" + "\n".join(bad)
        # Every packet the real server got was counted once, as sent (Ethernet, the
        # outer header, the inner packet), whichever path forwarded it: a SYN the
        # session path, the rest the lean one.
        row = next((e for k, e in counted.items()
                    if RS[rs] in k or RS[rs] in json.dumps(e)), None)
        assert row is not None, f"{rs} not in /vipd/realservers: {counted}"
        assert (row["pkts"], row["bytes"]) == (
            s["decapsulated"], s["inner_bytes"] + 34 * s["decapsulated"]), (rs, row, s)
    assert v.alive()


def test_tun_big_upload_learns_path_mtu(lab, directors, client_cache_flushed):
    """A 200 kB upload in full-size DF segments: the tunnel cannot carry them, the
    director answers ICMP fragmentation needed (MTU - 20), the client's kernel lowers
    its path MTU to the VIP and the upload arrives whole."""
    v = directors.start("dir1", TUN_CONF)
    mtu = port_mtu(lab)
    lab.ns_exec("client", ["ip", "route", "flush", "cache"], check=False)
    size = 200_000
    path = f"/tmp/vipd-e2e-upload-{lab.prefix}.bin"
    lab.ns_exec("client", ["sh", "-c", f"head -c {size} /dev/urandom > {path}"])
    before = v.counters("stats")
    decaps = {rs: lab_fwd.IpipDecap(lab, rs) for rs in RS}
    try:
        for d in decaps.values():
            d.start()
        body = curl(lab, f"http://{VIP}/", max_time=20,
                    extra=["-H", "Expect:", "--data-binary", f"@{path}"])
        served_by(body, CLIENT)
        # nginx may answer before it has read the whole body: wait until it arrived
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            time.sleep(0.5)
            got = lab.ns_exec("client", ["ss", "-tnH", "state", "established", "dst",
                                         VIP]).stdout
            if not got.strip():
                break
    finally:
        for d in decaps.values():
            d.stop()
        lab.ns_exec("client", ["rm", "-f", path], check=False)
    after = v.counters("stats")
    route = lab.ns_exec("client", ["ip", "route", "get", VIP]).stdout
    assert f"mtu {mtu - 20}" in route, (f"the client did not learn the tunnel MTU "
                                        f"{mtu - 20}: {route}")
    assert delta(after, before, "drop_tun_frag_needed") >= 1, after
    inner = sum(d.summary["inner_bytes"] for d in decaps.values())
    assert inner >= size, f"only {inner} bytes reached the real servers for {size}"
    for rs, d in decaps.items():
        _seen, bad = _outer_checks(d.summary, RS[rs])
        assert not bad, f"{rs}: outer IPIP headers wrong:\n" + "\n".join(bad[:10])
        for h in d.summary["outer"]:
            assert struct.unpack("!H", bytes.fromhex(h)[2:4])[0] <= mtu, h
