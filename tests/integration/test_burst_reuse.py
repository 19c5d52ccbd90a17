"""A session deleted inside a burst, its home slot taken again by a later packet of the
same burst: the packets after it must not follow the candidate taken before the
deletion (dataplane/worker.c, cand_recheck()).

Pass 2 takes each VIP packet's candidate session four packets ahead, and on a home hit
compares the key only then.  Here, in one burst from one client address and port:

  P0  to VIP_A: its session's real server was removed; with expire_nodest_conn the
      session is expired and P0 dropped (dest_unavailable);
  P1  to VIP_B: a new flow whose first bucket is P0's (the same client side), so its
      session takes the home slot P0's session left;
  P2  to VIP_A again: a new flow now, to VIP_A's remaining real server.

P2's candidate was taken before P0 was handled: the old session's home.  Trusted
without comparing its key again, it is P1's session by then, and P2 would leave for
VIP_B's real server.  The three frames go out back to back while the worker idles,
so that they usually arrive in one burst; the scenario runs several times (new
client ports, each round removing the real server its flow went to) so that at
least some do.  Without cand_recheck(), P2 went to VIP_B's real server in 5 and 6
of 6 rounds (one worker).  Split across bursts, the right outcome is the same, so
the test never fails a correct vipd.  With two workers the packets take the general
loop, which compares keys at use: the same outcome is required there.
"""

import time

import pytest

import lab as labmod
import lab_fwd
import lab_ops

from scapy.all import IP, UDP, Ether  # noqa: E402

pytestmark = pytest.mark.skipif(not labmod.VIPD.exists(),
                                reason=f"{labmod.VIPD} not built yet (run scripts/setup.sh)")

VIP_A, VIP_B = "10.99.0.110", "10.99.0.111"
ROUNDS = 6
# VIP_A's real servers: each round removes the one its flow was sent to.
RS_A = {f"10.99.0.{80 + i}": f"02:00:00:00:01:{80 + i:02x}" for i in range(ROUNDS + 1)}
RS_B, RS_B_MAC = "10.99.0.79", "02:00:00:00:01:79"
CLIENT = "10.99.0.75"


def rs_list(rss):
    return ",\n".join(f'{{ address = "{a}"; mac = "{m}"; }}' for a, m in rss.items())


CONF = f"""\
# tests/integration/test_burst_reuse.py
global = {{ router_id = "burst-reuse"; expire_nodest_conn = true; }};
dpdk = {{ workers = {{workers}}; sessions = 65536; eal_args = [ "--no-pci" ]; }};
ports = ( {{ name = "lan0"; device = "net_af_packet0,iface=lan0"; address = "10.99.0.2/24"; }} );
virtual_servers = (
  {{ address = "{VIP_A}"; port = 53; protocol = "UDP"; scheduler = "rr"; forwarding = "DR";
     real_servers = ( {rs_list(RS_A)} ); }},
  {{ address = "{VIP_B}"; port = 53; protocol = "UDP"; scheduler = "rr"; forwarding = "DR";
     real_servers = ( {{ address = "{RS_B}"; mac = "{RS_B_MAC}"; }} ); }}
);
"""


def frame(dmac, cmac, vip, sport, ident):
    return bytes(Ether(dst=dmac, src=cmac) / IP(src=CLIENT, dst=vip, id=ident, ttl=64) /
                 UDP(sport=sport, dport=53) / (b"q%05d" % ident))


def sent_to(frames, dmac):
    """IP id -> the Ethernet destinations of the director's frames from CLIENT."""
    out = {}
    for f in frames:
        p = Ether(f)
        if IP in p and p[IP].src == CLIENT and p[Ether].src.lower() == dmac.lower():
            out.setdefault(p[IP].id, []).append(p[Ether].dst.lower())
    return out


@pytest.fixture(scope="module", params=[1, 2], ids=["1worker", "2workers"])
def reuse(lab_session, directors, request):
    """One worker: the lean loop whose candidates cand_recheck() corrects; two: the
    general loop (packets between workers), which compares keys at use."""
    lab_session.bridge_nf_off()
    v = directors.start("dir1", CONF.replace("{workers}", str(request.param)), fresh=True)
    return lab_session, v


def test_candidate_of_a_deleted_session_is_not_followed(reuse):
    lab, v = reuse
    dmac, cmac = lab.mac("dir1"), lab.mac("client")
    by_mac = {m.lower(): a for a, m in RS_A.items()}
    live = dict(RS_A)
    wrong = []
    for rnd in range(ROUNDS):
        sport, base = 20000 + rnd, 100 * (rnd + 1)
        # The flow's session, on one of VIP_A's real servers.
        with lab_fwd.Capture(lab, labmod.SWITCH, lab_fwd.director_port("dir1")) as cap:
            assert lab.send_frames("client", [frame(dmac, cmac, VIP_A, sport, base)]) == 1
            time.sleep(0.5)
        first = sent_to(cap.frames, dmac).get(base, [])
        assert len(first) == 1 and first[0] in by_mac, f"round {rnd}: first packet went to {first}"
        gone = by_mac[first[0]]
        # That real server removed: the session's is gone.
        lab_ops.vipctl_ok(v, "-d", "-u", f"{VIP_A}:53", "-r", f"{gone}:53")
        del live[gone]
        time.sleep(0.3)   # the worker takes the new snapshot, then idles
        burst = [frame(dmac, cmac, VIP_A, sport, base + 1),
                 frame(dmac, cmac, VIP_B, sport, base + 2),
                 frame(dmac, cmac, VIP_A, sport, base + 3)]
        with lab_fwd.Capture(lab, labmod.SWITCH, lab_fwd.director_port("dir1")) as cap:
            assert lab.send_frames("client", burst) == 3
            time.sleep(0.5)
        got = sent_to(cap.frames, dmac)
        want_a = {m.lower() for m in live.values()}
        if got.get(base + 1):
            wrong.append(f"round {rnd}: the packet of the expired session was sent to "
                         f"{got[base + 1]}")
        if got.get(base + 2) != [RS_B_MAC]:
            wrong.append(f"round {rnd}: VIP_B's new flow went to {got.get(base + 2)}, "
                         f"want [{RS_B_MAC}]")
        p2 = got.get(base + 3, [])
        if len(p2) != 1 or p2[0] not in want_a:
            wrong.append(f"round {rnd}: VIP_A's packet after the expiry went to {p2}, "
                         f"want one of VIP_A's real servers {sorted(want_a)}")
    assert not wrong, "\n".join(wrong)
    # Each round's first packet after the removal was dropped, its session expired.
    st = v.counters("stats")
    assert st.get("drop_dest_unavailable", 0) == ROUNDS, st
