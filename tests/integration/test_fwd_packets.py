"""Packet-level tests of vipd's forwarding modes (DR, NAT, TUN, NAT replies, drops).

A Katran-style table: each row is one input frame and either the exact frame that
must leave the director or the drop reason that must be counted.  The whole table is
sent in one batch per vipd instance, on 1 and on 2 workers:

* phase 1: frames from the client's veth (explicit Ethernet src and type);
* phase 2: what needs phase 1's sessions: replies and ICMP errors of the NAT real
  servers, crafted in rs1's namespace, and ICMP errors of the client about its flows.

What the director puts on the wire is captured on the switch's bridge port that faces
it (`p-dir1`), what the client receives on the client's veth.  The real servers of
this table are addresses nobody holds, with static MACs in the config (no ARP, no
kernel in the way answering or resetting); the client addresses (10.99.0.60-71) are
held by nobody either, so nothing in the lab reacts to the director's output.

Every output is compared field by field (Ethernet, addresses, ports, TTL, IP ID, DF,
the IPIP outer header, ICMP next-hop MTU and quote) against a frame built with scapy
from the input and the documented rewrite (dataplane/xmit.h, dataplane/icmp.h, IPVS),
then byte for byte; its checksums are verified independently by deleting them and
rebuilding with scapy.  Drops are checked twice: nothing leaves the director for the
row, and its drop_<reason> counter in /vipd/stats rose by exactly the table's count.

A row that shows a vipd bug carries `xfail="vipd bug: ..."` (strict xfail, so that the
fix is noticed) and, if vipd counts it meanwhile as some drop, `today_drop`.
"""

import json
import time
from dataclasses import dataclass

import pytest

import lab as labmod
import lab_fwd
from fwd_table import (DIR, RELATED, ROWS, RS_NAT, RS_NAT_MAC, VIP_NAT, Env, eth, exp_nat,
                       exp_nat_reply, fwd_conf, udp)

from scapy.all import ICMP, IP, TCP, UDP, Ether, Padding, Raw  # noqa: E402
from scapy.layers.inet import IPerror, TCPerror, UDPerror, ICMPerror  # noqa: E402
from scapy.packet import NoPayload  # noqa: E402

pytestmark = pytest.mark.skipif(not labmod.VIPD.exists(),
                                reason=f"{labmod.VIPD} not built yet (run scripts/setup.sh)")


# ---------------------------------------------------------------------------------
# running the table

def innermost_id(p):
    """The IP ID that names a row: for an ICMP error the director made itself, the
    quoted packet's; else the (outer = inner for IPIP) header's."""
    if IPerror in p and p[IP].src == DIR and p[IP].proto == 1:
        return p[IPerror].id
    return p[IP].id


def frame_addrs(p):
    return {x for layer in _layers(p) if isinstance(layer, IP) for x in (layer.src, layer.dst)}


def by_row(frames, src_mac=None):
    """{IP id: [parsed frames]} for IPv4 frames about this table's addresses."""
    out = {}
    for f in frames:
        p = Ether(f)
        if IP not in p or (src_mac and p[Ether].src.lower() != src_mac.lower()):
            continue
        if not frame_addrs(p) & RELATED:
            continue
        out.setdefault(innermost_id(p), []).append(p)
    return out


def stats(v):
    return v.counters("stats")


def port_tx(v):
    return sum(p.get("tx_pkts", 0) for p in v.counters("ports").values())


def wait_director(v, before, tx0, want_drops, want_tx, timeout=8.0):
    """Until vipd counted want_drops more drops and sent want_tx more frames (or the
    timeout: the rows then show what is missing)."""
    deadline = time.monotonic() + timeout
    while True:
        after = stats(v)
        if (after["drop_total"] - before["drop_total"] >= want_drops and
                port_tx(v) - tx0 >= want_tx) or time.monotonic() > deadline:
            return after
        time.sleep(0.1)


@dataclass
class TableRun:
    workers: int
    env: Env
    inputs: dict            # row name -> input frame (bytes)
    dir_out: dict           # IP id -> frames the director sent
    client_in: dict         # IP id -> frames the client received
    drops: dict             # reason -> counter delta over the run
    want_drops: dict        # reason -> rows that expect it
    before: dict
    after: dict
    ports_before: dict
    ports_after: dict
    vipd: object
    reasm: int              # IPv4 fragments the director's kernel took for reassembly


def reasm_reqds(lab, host="dir1"):
    """Ip ReasmReqds of host's namespace (/proc/net/snmp)."""
    lines = [ln.split() for ln in lab.ns_exec(host, ["cat", "/proc/net/snmp"]).stdout.splitlines()
             if ln.startswith("Ip:")]
    return int(dict(zip(lines[0], lines[1]))["ReasmReqds"])


def port_mtu(lab, host="dir1"):
    out = lab.ns_exec(host, ["ip", "-j", "link", "show", "dev", lab.ifname(host)]).stdout
    return int(json.loads(out)[0]["mtu"])


def run_table(lab, v, workers):
    env = Env(dmac=lab.mac("dir1"), cmac=lab.mac("client"), mtu=port_mtu(lab))
    inputs = {r.name: bytes(r.build(env, r.rid)) for r in ROWS}
    for r in ROWS:
        # sanity of the table itself: the frame carries the row's id
        assert Ether(inputs[r.name])[IP].id == r.rid, r.name
    before, ports_before = stats(v), v.counters("ports")
    tx0 = port_tx(v)
    reasm0 = reasm_reqds(lab)
    cap = lab_fwd.Capture(lab, labmod.SWITCH, lab_fwd.director_port("dir1"))
    ccap = lab_fwd.Capture(lab, "client", lab.ifname("client"))
    cap.start()
    try:
        ccap.start()
        for phase in (1, 2):
            senders = []
            for r in ROWS:
                if r.phase == phase and r.sender not in senders:
                    senders.append(r.sender)
            for s in senders:
                frames = [inputs[r.name] for r in ROWS if r.phase == phase and r.sender == s]
                assert lab.send_frames(s, frames) == len(frames)
            # phase 2 needs phase 1's sessions in place
            want = sum(1 for r in ROWS if r.drop and r.phase <= phase and
                       r.drop != "ip_fragment")
            want_tx = sum(1 for r in ROWS if r.expect and r.phase <= phase)
            wait_director(v, before, tx0, want, want_tx)
            time.sleep(0.3)   # the capture sees what the director sent
    finally:
        cap.stop()
        ccap.stop()
    after, ports_after = stats(v), v.counters("ports")
    drops = {k[5:]: after[k] - before.get(k, 0) for k in after
             if k.startswith("drop_") and isinstance(after[k], int)}
    want_drops = {}
    for r in ROWS:
        if r.drop:
            want_drops.setdefault(r.drop, []).append(r.name)
    return TableRun(workers, env, inputs, by_row(cap.frames, env.dmac),
                    by_row(ccap.frames, env.dmac), drops, want_drops, before, after,
                    ports_before, ports_after, v, reasm_reqds(lab) - reasm0)


def rx_queues(v, driver="net_af_packet"):
    """Rx queues of the vipd port on af_packet (DPDK telemetry /ethdev/info)."""
    ids = v.telemetry("/ethdev/list").get("/ethdev/list", [])
    for i in ids:
        info = v.telemetry(f"/ethdev/info,{i}").get("/ethdev/info", {})
        if str(info.get("name", "")).startswith(driver):
            return info.get("nb_rx_queues")
    return None


@pytest.fixture(scope="module", params=[1, 2], ids=["1worker", "2workers"])
def table(request, lab_session, directors):
    workers = request.param
    lab_session.bridge_nf_off()
    # Earlier modules' connections (curl, nginx) would send late segments that
    # the exact drop counts below would see as their own.
    lab_session.quiet_tcp()
    v = directors.start("dir1", fwd_conf(workers))
    return run_table(lab_session, v, workers)


# ---------------------------------------------------------------------------------
# comparison

def layer_fields(p):
    """[(layer path, field, value)] of a parsed frame, Raw loads as bytes.  Ethernet
    padding is left out: keeping or trimming it are both right (the IP total length
    says where the packet ends); the tunnel's case is checked on its own."""
    out = []
    for depth, layer in enumerate(_layers(p)):
        if isinstance(layer, Padding):
            continue
        lname = f"{depth}:{layer.__class__.__name__}"
        for f in layer.fields_desc:
            out.append((lname, f.name, layer.getfieldval(f.name)))
    return out


def field_diff(got, exp):
    g = {(l, n): v for l, n, v in layer_fields(got)}
    e = {(l, n): v for l, n, v in layer_fields(exp)}
    diffs = []
    for k in e:
        if k not in g:
            diffs.append(f"{k[0]}.{k[1]}: missing, want {e[k]!r}")
        elif g[k] != e[k]:
            gv, ev = g[k], e[k]
            if isinstance(gv, int) and isinstance(ev, int):
                diffs.append(f"{k[0]}.{k[1]}: got {gv:#x}, want {ev:#x}")
            else:
                diffs.append(f"{k[0]}.{k[1]}: got {gv!r}, want {ev!r}")
    for k in g:
        if k not in e:
            diffs.append(f"{k[0]}.{k[1]}: unexpected {g[k]!r}")
    return diffs


CSUM_LAYERS = (IP, TCP, UDP, ICMP)
QUOTE_LAYERS = (IPerror, TCPerror, UDPerror, ICMPerror)


def checksum_problems(frame):
    """Every IP/TCP/UDP/ICMP checksum of the frame (outer and inner, not an ICMP
    error's quote) recomputed by scapy: [(layer, got, recomputed)] that disagree.  A
    UDP checksum 0 means none and is left alone."""
    orig = Ether(frame)
    clone = Ether(frame)
    targets = []
    for i, (lo, lc) in enumerate(zip(_layers(orig), _layers(clone))):
        if isinstance(lo, QUOTE_LAYERS) or not isinstance(lo, CSUM_LAYERS):
            continue
        if isinstance(lo, UDP) and lo.chksum == 0:
            continue
        targets.append((i, lo))
        lc.chksum = None
    rebuilt = Ether(bytes(clone))
    rl = _layers(rebuilt)
    bad = []
    for i, lo in targets:
        if lo.chksum != rl[i].chksum:
            bad.append((f"{i}:{lo.__class__.__name__}", hex(lo.chksum), hex(rl[i].chksum)))
    return bad


def _layers(p):
    out = []
    layer = p
    while not isinstance(layer, NoPayload):
        out.append(layer)
        layer = layer.payload
    return out


def ip_bytes(p):
    """The frame's bytes up to the end of its (outer) IPv4 packet: Ethernet padding
    after it is not the director's output."""
    return bytes(p)[:14 + p[IP].len]


def describe(p):
    return f"{p.summary()}\n{bytes(p).hex()}"


# ---------------------------------------------------------------------------------
# tests

def _row_params():
    return [pytest.param(r, id=r.name,
                         marks=[pytest.mark.xfail(strict=True, reason=r.xfail)] if r.xfail
                         else []) for r in ROWS]


@pytest.mark.parametrize("row", _row_params())
def test_row(table, row):
    """One input frame: the exact frame that leaves the director, or nothing (and the
    drop counted, see test_drop_counters)."""
    inp = Ether(table.inputs[row.name])
    got = table.dir_out.get(row.rid, [])
    if row.expect is None:
        assert not got, (f"{row.name}: expected a drop ({row.drop}) but the director sent "
                         f"{len(got)} frame(s):\n" + "\n".join(describe(g) for g in got))
        return
    assert got, (f"{row.name}: nothing left the director for input\n{describe(inp)}\n"
                 f"drop counters that rose: { {k: d for k, d in table.drops.items() if d} }")
    assert len(got) == 1, (f"{row.name}: {len(got)} frames for one input:\n" +
                           "\n".join(describe(g) for g in got))
    g = got[0]
    exp = row.expect(table.env, inp, g)
    diffs = field_diff(g, exp)
    assert not diffs, (f"{row.name}: output differs from the expected rewrite "
                       f"({table.workers} worker(s)):\n  " + "\n  ".join(diffs) +
                       f"\ninput:    {describe(inp)}\nexpected: {describe(exp)}\n"
                       f"got:      {describe(g)}")
    bad = checksum_problems(bytes(g))
    assert not bad, f"{row.name}: checksums wrong (layer, got, recomputed): {bad}\n{describe(g)}"
    assert ip_bytes(g) == ip_bytes(exp), (f"{row.name}: bytes differ\nexpected: "
                                          f"{ip_bytes(exp).hex()}\ngot:      {ip_bytes(g).hex()}")
    if IP in g and g[IP].proto == 4:
        # nothing after the tunnel packet: Ethernet padding is not tunnelled
        assert len(bytes(g)) == 14 + g[IP].len, f"{row.name}: {len(bytes(g))} bytes on the wire"
    if row.to_client:
        arrived = table.client_in.get(row.rid, [])
        assert any(ip_bytes(a) == ip_bytes(exp) for a in arrived), (
            f"{row.name}: the client did not receive the expected frame; it got "
            f"{[describe(a) for a in arrived]}")


def test_drop_counters(table):
    """Each drop reason the table provokes is counted once per dropped input (the
    frame for another MAC: at least once; the bridge may flood more).  Fragments: see
    below."""
    short = {}
    tolerated = {}
    for r in ROWS:
        if r.xfail and r.today_drop:
            tolerated[r.today_drop] = tolerated.get(r.today_drop, 0) + 1
    for reason, rows in table.want_drops.items():
        got = table.drops.get(reason)
        assert got is not None, f"no counter drop_{reason} in /vipd/stats"
        if reason == "l2_other_host":
            ok = got >= len(rows)
        elif reason == "ip_fragment" and got == 0:
            # af_packet's fanout (PACKET_FANOUT_FLAG_DEFRAG, set by DPDK's PMD) hands
            # fragments to the kernel's defragmenter: they never reach a worker here.
            # On a NIC they are counted as ip_fragment.
            ok = table.reasm >= len(rows)
        else:
            ok = len(rows) <= got <= len(rows) + tolerated.get(reason, 0)
        if not ok:
            short[reason] = {"counted": got, "expected": len(rows), "rows": rows}
    assert not short, (f"drop counters ({table.workers} worker(s)) differ: {short}\n"
                       f"all deltas: { {k: d for k, d in table.drops.items() if d} }")
    unexpected = {k: d for k, d in table.drops.items()
                  if d and k != "total" and k not in table.want_drops and
                  d > tolerated.get(k, 0)}
    assert not unexpected, f"drops nobody asked for: {unexpected}"


def test_sessions_and_workers(table):
    """The table's flows made sessions; with 2 workers some packets were handed to the
    worker that owns their client (af_packet's fanout does not know about owners)."""
    s = table.after
    assert s["sessions"] >= 10, s
    assert rx_queues(table.vipd) == table.workers
    if table.workers > 1:
        red = sum(p.get("redirected", 0) for p in table.ports_after.values()) - \
            sum(p.get("redirected", 0) for p in table.ports_before.values())
        assert red > 0, f"no packet redirected between workers: {table.ports_after}"



def test_nat_replies_find_their_session_on_any_worker(table, lab_session):
    """24 UDP flows from 12 client addresses through NAT, then the real server's reply
    to each: every request leaves translated to the real server, every reply leaves
    translated back to the VIP, none misses its session.  With 2 workers af_packet's
    fanout hands requests and replies to either worker; the owner redirect must bring
    both directions of each flow together."""
    lab, env, v = lab_session, table.env, table.vipd
    clients = [f"10.99.0.{80 + i}" for i in range(12)]
    flows = [(c, 40000 + 7 * i + k) for i, c in enumerate(clients) for k in range(2)]
    reqs = [bytes(eth(env) / IP(src=c, dst=VIP_NAT, id=0x6100 + i, ttl=64) /
                  udp(p, 53, b"req%d" % i)) for i, (c, p) in enumerate(flows)]
    reps = [bytes(eth(env, src=RS_NAT_MAC) / IP(src=RS_NAT, dst=c, id=0x6200 + i, ttl=64) /
                  udp(5353, p, b"rep%d" % i)) for i, (c, p) in enumerate(flows)]
    before, red0 = stats(v), sum(p.get("redirected", 0) for p in v.counters("ports").values())
    with lab_fwd.Capture(lab, labmod.SWITCH, lab_fwd.director_port("dir1")) as cap:
        assert lab.send_frames("client", reqs) == len(reqs)
        time.sleep(0.5)
        assert lab.send_frames("rs1", reps) == len(reps)
        time.sleep(0.5)
    after = stats(v)
    out = {}
    for f in cap.frames:
        p = Ether(f)
        if IP in p and UDP in p and p[Ether].src == env.dmac and 0x6100 <= p[IP].id < 0x6300:
            out.setdefault(p[IP].id, []).append(p)
    problems = []
    for i, (c, port) in enumerate(flows):
        for rid, exp in ((0x6100 + i, exp_nat(env, Ether(reqs[i]), RS_NAT, 5353, RS_NAT_MAC)),
                         (0x6200 + i, exp_nat_reply(env, Ether(reps[i]), VIP_NAT, 53, env.cmac))):
            got = out.get(rid, [])
            if len(got) != 1 or ip_bytes(got[0]) != ip_bytes(exp):
                problems.append(f"{c}:{port} id {rid:#x}: want {describe(exp)}\n"
                                f"  got {[describe(g) for g in got]}")
    assert not problems, f"{len(problems)} of {2 * len(flows)} packets wrong " \
                         f"({table.workers} workers):\n" + "\n".join(problems[:8])
    assert after["drop_nat_reply_no_session"] == before["drop_nat_reply_no_session"]
    if table.workers > 1:
        red = sum(p.get("redirected", 0) for p in v.counters("ports").values()) - red0
        assert red > 0, "no packet crossed between workers: the test proved nothing"


def send_and_match(lab, v, dmac, sends, exps, ids, checksums=False):
    """Send each (host, frames) batch in turn, each after the director has sent the
    previous ones on, capturing what it puts on the wire; then each expected frame
    (matched by its IP ID, within ids) must have left exactly once, byte for byte
    (and, with checksums, with checksums that verify).  dmac: the director's frames'
    source MAC.  Returns the problems."""
    with lab_fwd.Capture(lab, labmod.SWITCH, lab_fwd.director_port("dir1")) as cap:
        tx0, sent = port_tx(v), 0
        for host, frames in sends:
            assert lab.send_frames(host, frames) == len(frames)
            sent += len(frames)
            wait_director(v, stats(v), tx0, 0, sent)
        time.sleep(0.3)
    out = {}
    for f in cap.frames:
        p = Ether(f)
        if IP in p and p[Ether].src == dmac and p[IP].id in ids:
            out.setdefault(p[IP].id, []).append(p)
    bad = []
    for exp in exps:
        got = out.get(exp[IP].id, [])
        if len(got) != 1 or ip_bytes(got[0]) != ip_bytes(exp):
            bad.append(f"id {exp[IP].id:#x}: want {describe(exp)}\n  got "
                       f"{[describe(g) for g in got]}")
        elif checksums and checksum_problems(bytes(got[0])):
            bad.append(f"id {exp[IP].id:#x}: {checksum_problems(bytes(got[0]))}")
    return bad


def test_nat_replies_and_requests_in_one_burst(table, lab_session):
    """Requests of established NAT flows and the real server's replies in one batch, in
    runs and one by one (six requests, eight replies, six requests, eight replies,
    then alternating), sent back to back from one veth so that they share bursts.  One
    worker's pass 1 keeps an all-request loop until the first reply and tries a reply
    first after one (dataplane/worker.c): a reply taken for a request or the other way
    round would leave with the wrong rewrite.  Every frame must leave exactly once,
    translated its own way."""
    lab, env, v = lab_session, table.env, table.vipd
    flows = [(f"10.99.0.{92 + i // 2}", 41000 + 11 * i) for i in range(16)]

    def req(i, rid):
        c, p = flows[i]
        return bytes(eth(env) / IP(src=c, dst=VIP_NAT, id=rid, ttl=64) / udp(p, 53, b"q%d" % i))

    def rep(i, rid):
        c, p = flows[i]
        return bytes(eth(env, src=RS_NAT_MAC) / IP(src=RS_NAT, dst=c, id=rid, ttl=64) /
                     udp(5353, p, b"r%d" % i))

    first = [req(i, 0x7400 + i) for i in range(len(flows))]
    order = ([("q", i) for i in range(6)] + [("r", i) for i in range(8)] +
             [("q", i) for i in range(6, 12)] + [("r", i) for i in range(8, 16)] +
             [x for i in range(12, 16) for x in (("r", i), ("q", i))] + [("q", 0)])
    batch, exps = [], []
    for k, (kind, i) in enumerate(order):
        rid = 0x7500 + k
        f = req(i, rid) if kind == "q" else rep(i, rid)
        batch.append(f)
        exps.append(exp_nat(env, Ether(f), RS_NAT, 5353, RS_NAT_MAC) if kind == "q" else
                    exp_nat_reply(env, Ether(f), VIP_NAT, 53, env.cmac))
    before = stats(v)
    bad = send_and_match(lab, v, env.dmac, [("client", first), ("client", batch)], exps,
                         range(0x7500, 0x7600))
    assert not bad, f"{len(bad)} of {len(exps)} wrong ({table.workers} workers):\n" + \
        "\n".join(bad[:6])
    assert stats(v)["drop_nat_reply_no_session"] == before["drop_nat_reply_no_session"]


def test_nat_reply_rearms_with_a_shorter_timeout(table, lab_session):
    """IPVS re-arms a connection's timer with the timeout in force at each packet: after
    `vipctl timeout` shortens UDP's from 300 s to 2 s, one reply of an established NAT
    flow re-arms it with 2 s, and the session is gone within seconds (nat_reply()
    re-files the shorter expiry on the timer wheel, sess_touch(); written in place,
    the wheel would find it only when it visits the slot of the old expiry)."""
    import lab_ops as ops
    lab, env, v = lab_session, table.env, table.vipd
    c, port = "10.99.0.116", 42424 + table.workers

    def listed():
        rows = ops.vipctl(v, "-lnc").stdout.splitlines()
        return [r.split() for r in rows if f"{c}:{port} " in r + " "]

    req = bytes(eth(env) / IP(src=c, dst=VIP_NAT, id=0x7700) / udp(port, 53, b"q"))
    rep = bytes(eth(env, src=RS_NAT_MAC) / IP(src=RS_NAT, dst=c, id=0x7701) /
                udp(5353, port, b"r"))
    tx0 = port_tx(v)
    assert lab.send_frames("client", [req]) == 1
    wait_director(v, stats(v), tx0, 0, 1)
    mine = listed()
    assert len(mine) == 1 and mine[0][1] in ("05:00", "04:59"), mine
    try:
        ops.vipctl_ok(v, "timeout", "900", "120", "2")
        assert lab.send_frames("rs1", [rep]) == 1
        wait_director(v, stats(v), tx0, 0, 2)
        deadline = time.time() + 8
        while listed() and time.time() < deadline:
            time.sleep(0.25)
        assert not listed(), "the reply did not re-arm the session with 2 s"
    finally:
        ops.vipctl_ok(v, "timeout", "900", "120", "300")


def test_nat_checksums_random_batch(table, lab_session):
    """Incremental checksum updates against full recomputation on a seeded random
    batch: 48 TCP SYNs and 48 UDP requests (random client addresses, ports, payload
    lengths odd and even, TTL, TOS, DF), then a random reply to each UDP request."""
    import random
    rnd = random.Random(20261125 + table.workers)
    lab, env, v = lab_session, table.env, table.vipd
    reqs, reps, exps = [], [], []
    used = set()
    for i in range(96):
        while True:
            c = f"10.99.0.{rnd.randrange(120, 250)}"
            sport = rnd.randrange(1024, 65536)
            if (c, sport) not in used:
                used.add((c, sport))
                break
        payload = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 200)))
        ip = IP(src=c, dst=VIP_NAT, id=0x7000 + i, ttl=rnd.randrange(2, 256),
                tos=rnd.randrange(256), flags=rnd.choice(["DF", 0]))
        if i % 2:
            l4 = TCP(sport=sport, dport=80, flags="S", seq=rnd.randrange(1 << 32),
                     window=rnd.randrange(65536)) / Raw(payload)
            rs_port = 8080
        else:
            l4 = UDP(sport=sport, dport=53) / Raw(payload)
            rs_port = 5353
        f = bytes(eth(env) / ip / l4)
        reqs.append(f)
        exps.append(exp_nat(env, Ether(f), RS_NAT, rs_port, RS_NAT_MAC))
        if not i % 2:
            rp = bytes(eth(env, src=RS_NAT_MAC) /
                       IP(src=RS_NAT, dst=c, id=0x7100 + i, ttl=rnd.randrange(2, 256)) /
                       UDP(sport=5353, dport=sport) /
                       Raw(bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 99)))))
            reps.append(rp)
            exps.append(exp_nat_reply(env, Ether(rp), VIP_NAT, 53, env.cmac))
    bad = send_and_match(lab, v, env.dmac, [("client", reqs), ("rs1", reps)], exps,
                         range(0x7000, 0x7200), checksums=True)
    assert not bad, f"{len(bad)} of {len(exps)} wrong:\n" + "\n".join(bad[:6])
