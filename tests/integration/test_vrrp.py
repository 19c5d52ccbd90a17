"""VRRP with two real vipd directors in the lab (dir1 10.99.0.2 MASTER 100, dir2 10.99.0.3
BACKUP 99, vrid 51, VIP 10.99.0.100, DR service on the VIP): failover while a client keeps
asking (SIGKILL, graceful stop, link cut, return with and without preemption; v2 at
advert_int 1 and v3 at 0.1), adverts on the wire, refused adverts, a higher priority, an
advert flood, service health tracking, and interoperability with Debian's keepalived
both ways for v2 (auth PASS) and v3.

Measured gaps are printed and written as JSON to $VIPD_VRRP_RESULTS (default
/tmp/vipd-vrrp-failover.json); docs/PERFORMANCE.md reports them.

    /usr/bin/python3 -m pytest -v -s tests/integration/test_vrrp.py
"""

import json
import os
import re
import signal
import time
from pathlib import Path

import pytest

import lab as labmod
import lab_vrrp as lv

VIP = labmod.VIP
DIR1 = labmod.DIR1_ADDR
DIR2 = labmod.DIR2_ADDR
FAKE = "10.99.0.50"        # a router that does not exist: adverts forged from the client
SETTLE = 1.0              # probing after the switch-over, to see the service answer again
RESULTS = Path(os.environ.get("VIPD_VRRP_RESULTS", "/tmp/vipd-vrrp-failover.json"))

pytestmark = pytest.mark.skipif(not labmod.VIPD.exists(),
                                reason=f"{labmod.VIPD} not built yet (run scripts/setup.sh)")

_results = {}


@pytest.fixture(scope="module", autouse=True)
def results():
    yield _results
    if _results:
        RESULTS.write_text(json.dumps(_results, indent=1, sort_keys=True))
        print(f"\nVRRP failover figures ({RESULTS}):")
        for k, v in sorted(_results.items()):
            print(f"  {k:34s} http gap {v['http_gap_s']:.3f} s ({v['http_failures']} failed "
                  f"of {v['http_total']})  icmp gap {v['icmp_gap_s']:.3f} s")


@pytest.fixture
def notify_files(lab_session):
    """Generic notify scripts for both directors; {host: (script, log, state)}."""
    d = lab_session.tmpdir / "vrrp-notify"
    d.mkdir(parents=True, exist_ok=True)
    out = {}
    for h in ("dir1", "dir2"):
        log, st = d / f"{h}.log", d / f"{h}.state"
        out[h] = (lv.write_notify_script(d / f"{h}.sh", log, st), log, st)
    return out


@pytest.fixture
def switch(lab_session):
    """Cut / restore a host's link in the switch namespace; restored at the end."""
    sw = lab_session.ns(labmod.SWITCH)
    cut = set()

    def link(host, up):
        labmod.run(["ip", "-n", sw, "link", "set", f"p-{host}", "up" if up else "down"])
        (cut.discard if up else cut.add)(host)
    yield link
    for h in list(cut):
        link(h, True)


# ---------------------------------------------------------------------------
# helpers

def vrrp(v):
    d = v.counters("vrrp")
    assert "vi0" in d, f"/vipd/vrrp: {d!r}"
    return d["vi0"]


def wait_vrrp(v, state, timeout=10.0, master=None):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if not v.alive():
            raise AssertionError(f"vipd on {v.host} died:\n{v.log_tail()}")
        last = vrrp(v)
        if last["state"] == state and (master is None or last["master"] == master):
            return last
        time.sleep(0.02)
    raise AssertionError(f"{v.host}: not {state} (master {master}) after {timeout}s: {last}")


def record(name, probe_result):
    g = lv.gaps(probe_result)
    _results[name] = {"http_gap_s": g["http"][0], "http_failures": g["http"][1],
                      "http_total": g["http"][2], "icmp_gap_s": g["icmp"][0],
                      "icmp_failures": g["icmp"][1], "icmp_total": g["icmp"][2]}
    print(f"{name}: {_results[name]}")
    return _results[name]


def kill9(directors, host):
    _conf, v = directors.running[host]
    v.proc.kill()
    v.proc.wait(10)
    directors.stop(host)


def start_pair(directors, c1, c2, fresh=False):
    v1 = directors.start("dir1", c1, fresh=fresh)
    v2 = directors.start("dir2", c2, fresh=fresh)
    wait_vrrp(v1, "MASTER")
    wait_vrrp(v2, "BACKUP", master=DIR1)
    return v1, v2


def warm(lab):
    """Both directors learn the real servers' MACs before the clock starts."""
    for _ in range(3):
        cp = lab.curl("client", f"http://{VIP}/", max_time=5)
        if cp.returncode == 0:
            return
        time.sleep(0.5)
    raise AssertionError(f"VIP does not answer: {cp.stderr}")


def arp_owners(lab):
    return sorted({a["hwsrc"] for a in lab.arp_probe("client", VIP, timeout=1.0, tries=2)})


def ref_pair(notify=None, **kw):
    n1 = notify["dir1"][0] if notify else None
    n2 = notify["dir2"][0] if notify else None
    return (lv.vrrp_conf("dir1", notify=n1, **kw), lv.vrrp_conf("dir2", notify=n2, **kw))


# ---------------------------------------------------------------------------
# the reference scenario, v2, advert_int 1

@pytest.fixture
def smtp_sink(lab):
    sink = lv.SmtpSink(lab)
    yield sink
    sink.stop()


def test_pair_elects_master(lab, directors, notify_files, smtp_sink):
    c1, c2 = ref_pair(notify_files, smtp_alert=True)
    v1, v2 = start_pair(directors, c1, c2, fresh=True)
    warm(lab)
    s1, s2 = vrrp(v1), vrrp(v2)
    assert s1["name"] == "VI_1" and s1["vrid"] == 51 and s1["version"] == 2
    assert s1["priority"] == 100 and s2["priority"] == 99
    assert s1["master"] == DIR1 and s1["last_reason"] == "configured_master"
    assert s2["last_reason"] == "startup"
    time.sleep(2.2)
    s1b, s2b = vrrp(v1), vrrp(v2)
    assert s1b["adverts_out"] >= s1["adverts_out"] + 2
    assert s2b["adverts_in"] >= s2["adverts_in"] + 2 and s2b["bad_total"] == 0
    assert s2b["adverts_out"] == 0
    # only the master answers ARP for the VIP
    assert arp_owners(lab) == [lab.mac("dir1")]
    # notify: keepalived's generic form
    for h, want in (("dir1", "INSTANCE VI_1 MASTER 100"), ("dir2", "INSTANCE VI_1 BACKUP 99")):
        log = notify_files[h][1]
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not (log.exists() and want in log.read_text()):
            time.sleep(0.05)
        assert log.exists() and want in log.read_text(), (h, log.exists() and log.read_text())
    out = v1.vipctl("vrrp").stdout
    assert re.search(r"VI_1\s+MASTER\s+100\s+51\s+2\s+10\.99\.0\.2", out), out
    js = json.loads(v2.vipctl("--json", "vrrp").stdout)
    assert js["vi0"]["state"] == "BACKUP"
    # smtp_alert: an email per transition, keepalived's subject
    want = {"[director1] VRRP Instance VI_1 - Entering MASTER state",
            "[director2] VRRP Instance VI_1 - Entering BACKUP state"}
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not want <= set(smtp_sink.subjects()):
        time.sleep(0.1)
    assert want <= set(smtp_sink.subjects()), smtp_sink.messages()
    assert any("now owning VRRP VIPs" in m["data"] for m in smtp_sink.messages())


def test_failover_sigkill_and_preempt_v2(lab, directors, notify_files):
    c1, c2 = ref_pair(notify_files)
    v1, v2 = start_pair(directors, c1, c2)
    warm(lab)
    p = lv.Probe(lab)
    kill9(directors, "dir1")
    wait_vrrp(v2, "MASTER", timeout=8)
    time.sleep(SETTLE)
    r = record("v2 adv 1: master SIGKILL", p.stop())
    assert vrrp(v2)["last_reason"] == "master_down"
    # 3 x 1 s + (256 - 99)/256 s, less the time since the last advert
    assert 2.0 < r["http_gap_s"] < 4.5, r
    # the master returns and preempts (priority 100 > 99)
    p = lv.Probe(lab)
    v1 = directors.start("dir1", c1)
    wait_vrrp(v1, "MASTER")
    wait_vrrp(v2, "BACKUP", master=DIR1)
    time.sleep(SETTLE)
    r = record("v2 adv 1: master returns (preempt)", p.stop())
    assert vrrp(v2)["last_reason"] == "higher_priority"
    assert r["http_gap_s"] < 0.5, r


def test_failover_graceful_stop_v2(lab, directors, notify_files):
    c1, c2 = ref_pair(notify_files)
    v1, v2 = start_pair(directors, c1, c2)
    warm(lab)
    p = lv.Probe(lab)
    t0 = time.monotonic()
    v1.proc.send_signal(signal.SIGTERM)
    wait_vrrp(v2, "MASTER", timeout=3)
    took = time.monotonic() - t0
    time.sleep(SETTLE)
    r = record("v2 adv 1: master stopped (priority 0)", p.stop())
    assert v1.proc.wait(10) == 0      # (a second SIGTERM while it exits would kill it)
    directors.stop("dir1")
    assert vrrp(v2)["last_reason"] == "master_left"
    # priority 0: the backup waits Skew_Time (0.61 s), not 3.6 s; the stopping
    # master keeps forwarding until then, so the service does not stop
    assert took < 1.5, took
    assert r["http_gap_s"] < 0.3, r
    assert "took over; releasing the VIPs" in v1.log(), v1.log_tail()
    directors.start("dir1", c1)
    wait_vrrp(v2, "BACKUP", master=DIR1)


def test_failover_link_cut_v2(lab, directors, notify_files, switch):
    c1, c2 = ref_pair(notify_files)
    v1, v2 = start_pair(directors, c1, c2)
    warm(lab)
    p = lv.Probe(lab)
    switch("dir1", False)
    wait_vrrp(v1, "FAULT", timeout=3)
    wait_vrrp(v2, "MASTER", timeout=8)
    time.sleep(SETTLE)
    r = record("v2 adv 1: master link cut", p.stop())
    assert vrrp(v1)["last_reason"] == "fault"
    assert 2.0 < r["http_gap_s"] < 4.5, r
    # link back: FAULT -> BACKUP, then preempts after Master_Down_Interval
    p = lv.Probe(lab)
    switch("dir1", True)
    wait_vrrp(v1, "BACKUP", timeout=3)
    wait_vrrp(v1, "MASTER", timeout=8)
    wait_vrrp(v2, "BACKUP", master=DIR1, timeout=3)
    time.sleep(SETTLE)
    r = record("v2 adv 1: link back (preempt)", p.stop())
    assert r["http_gap_s"] < 0.5, r


def test_nopreempt_return(lab, directors, notify_files):
    c1, c2 = ref_pair(notify_files)
    v1, v2 = start_pair(directors, c1, c2)
    warm(lab)
    directors.stop("dir1")
    wait_vrrp(v2, "MASTER", timeout=3)
    # dir1 comes back BACKUP with nopreempt: the VIP stays on dir2
    c1n = lv.vrrp_conf("dir1", state="BACKUP", preempt=False, notify=notify_files["dir1"][0])
    p = lv.Probe(lab)
    v1 = directors.start("dir1", c1n)
    wait_vrrp(v1, "BACKUP", master=DIR2)
    time.sleep(4.5)      # > Master_Down_Interval: a preempting dir1 would have taken over
    r = record("v2 adv 1: master returns (nopreempt)", p.stop())
    assert vrrp(v1)["state"] == "BACKUP" and vrrp(v2)["state"] == "MASTER"
    assert arp_owners(lab) == [lab.mac("dir2")]
    assert r["http_failures"] == 0, r
    # and takes over when dir2 leaves
    directors.stop("dir2")
    wait_vrrp(v1, "MASTER", timeout=3)
    directors.stop("dir1")


# ---------------------------------------------------------------------------
# v3, advert_int 0.1: failover under a second

def test_v3_fast_failover(lab, directors, switch):
    c1, c2 = ref_pair(version=3, advert_int=0.1)
    v1, v2 = start_pair(directors, c1, c2, fresh=True)
    assert vrrp(v1)["version"] == 3
    warm(lab)
    p = lv.Probe(lab)
    kill9(directors, "dir1")
    wait_vrrp(v2, "MASTER", timeout=3)
    time.sleep(SETTLE)
    r = record("v3 adv 0.1: master SIGKILL", p.stop())
    # 3 x 0.1 s + 157/256 x 0.1 s = 0.36 s
    assert r["http_gap_s"] < 1.0 and r["icmp_gap_s"] < 1.0, r

    p = lv.Probe(lab)
    v1 = directors.start("dir1", c1)
    wait_vrrp(v2, "BACKUP", master=DIR1)
    time.sleep(SETTLE)
    r = record("v3 adv 0.1: master returns (preempt)", p.stop())
    assert r["http_gap_s"] < 0.3, r

    p = lv.Probe(lab)
    switch("dir1", False)
    wait_vrrp(v2, "MASTER", timeout=3)
    time.sleep(SETTLE)
    r = record("v3 adv 0.1: master link cut", p.stop())
    assert r["http_gap_s"] < 1.0 and r["icmp_gap_s"] < 1.0, r
    switch("dir1", True)
    wait_vrrp(v1, "MASTER", timeout=3)
    wait_vrrp(v2, "BACKUP", master=DIR1, timeout=3)

    p = lv.Probe(lab)
    directors.stop("dir1")
    wait_vrrp(v2, "MASTER", timeout=3)
    time.sleep(SETTLE)
    r = record("v3 adv 0.1: master stopped (priority 0)", p.stop())
    assert r["http_gap_s"] < 0.3, r
    directors.stop("dir2")


def test_unicast_peers(lab, directors):
    c1 = lv.vrrp_conf("dir1", version=3, advert_int=0.1, unicast_peer=[DIR2])
    c2 = lv.vrrp_conf("dir2", version=3, advert_int=0.1, unicast_peer=[DIR1])
    v1, v2 = start_pair(directors, c1, c2, fresh=True)
    warm(lab)
    # whatever the client overhears, none of it goes to 224.0.0.18
    for f in lv.sniff(lab, "client", count=5, timeout=0.5):
        assert f[30:34] != bytes([224, 0, 0, 18]), f.hex()
    # only the configured peer may speak: a stranger's unicast advert is refused
    b = vrrp(v1)
    lab.send_frames("client", [lv.advert(src_mac=lab.mac("client"), src_ip=FAKE, version=3,
                                         priority=254, dst_ip=DIR1,
                                         dst_mac=lab.mac("dir1"))])
    time.sleep(0.3)
    a = vrrp(v1)
    assert a["bad_unknown_source"] == b["bad_unknown_source"] + 1, a
    assert a["state"] == "MASTER"
    p = lv.Probe(lab)
    kill9(directors, "dir1")
    wait_vrrp(v2, "MASTER", timeout=3)
    time.sleep(SETTLE)
    r = record("v3 adv 0.1 unicast: master SIGKILL", p.stop())
    assert r["http_gap_s"] < 1.0, r
    directors.stop("dir2")


# ---------------------------------------------------------------------------
# packets (scapy): one director, dir1

@pytest.fixture
def solo(lab, directors):
    """dir1 alone with the reference v2 instance, MASTER."""
    directors.stop("dir2")
    v = directors.start("dir1", lv.vrrp_conf("dir1"))
    wait_vrrp(v, "MASTER")
    return v


@pytest.mark.parametrize("version", [2, 3])
def test_adverts_on_the_wire(lab, directors, version):
    directors.stop("dir2")
    conf = lv.vrrp_conf("dir1") if version == 2 else lv.vrrp_conf("dir1", version=3,
                                                                  advert_int=0.1)
    v = directors.start("dir1", conf)
    wait_vrrp(v, "MASTER")
    frames = lv.sniff(lab, "client", count=2, timeout=4)
    assert len(frames) == 2, "no adverts seen on the wire"
    import logging
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    from scapy.all import IP, Ether, raw
    from scapy.layers.vrrp import VRRP, VRRPv3
    for f in frames:
        e = Ether(f)
        ip = e[IP]
        assert e.dst == lv.VRRP_MAC and e.src == lab.mac("dir1") and e.type == 0x0800
        assert (ip.src, ip.dst, ip.ttl, ip.proto, ip.tos, ip.ihl, ip.frag) == \
            (DIR1, lv.VRRP_GROUP, 255, 112, 0xc0, 5, 0)
        if version == 2:
            vr = ip[VRRP]
            assert (vr.version, vr.type, vr.vrid, vr.priority, vr.ipcount, vr.authtype,
                    vr.adv) == (2, 1, 51, 100, 1, 1, 1)
            assert vr.addrlist == [VIP]
            assert vr.auth1.to_bytes(4, "big") + vr.auth2.to_bytes(4, "big") == b"vipd1234"
            assert len(ip.payload) == 8 + 4 + 8
        else:
            vr = ip[VRRPv3]
            assert (vr.version, vr.type, vr.vrid, vr.priority, vr.ipcount, vr.res,
                    vr.adv) == (3, 1, 51, 100, 1, 0, 10)
            assert vr.addrlist == [VIP]
            assert len(ip.payload) == 8 + 4
        # checksums recomputed by scapy (v3: with the pseudo-header) match, byte for byte
        ip2 = IP(raw(ip)[:ip.len])
        del ip2.chksum
        del ip2.payload.chksum
        assert raw(IP(raw(ip2))) == raw(ip)[:ip.len]


def test_bad_adverts_are_ignored_and_counted(lab, solo):
    mac = lab.mac("client")
    good = dict(src_mac=mac, src_ip=FAKE, priority=254)
    cases = [
        ("ttl_not_255", lv.advert(ttl=254, **good)),
        ("bad_version", lv.advert(version=3, **good)),
        ("bad_type", lv.advert(vtype=2, **good)),
        ("bad_length", lv.advert(ipcount=3, **good)),
        ("bad_checksum", lv.advert(chksum=0x1234, **good)),
        ("advert_int_zero", lv.advert(adv=0, **good)),
        ("advert_int_mismatch", lv.advert(adv=2, **good)),
        ("auth_type_mismatch", lv.advert(authtype=0, **good)),
        ("auth_failed", lv.advert(auth="guessed!", **good)),
        ("addr_count_mismatch", lv.advert(vips=(VIP, "10.99.0.101"), **good)),
        ("addr_list_mismatch", lv.advert(vips=("10.99.0.101",), **good)),
    ]
    unmatched = [("unknown_vrid", lv.advert(vrid=52, **good)),
                 ("truncated", lv.short_frame(mac, FAKE))]
    before = solo.counters("vrrp")
    n = lab.send_frames("client", [f for _, f in cases + unmatched])
    assert n == len(cases) + len(unmatched)
    time.sleep(0.5)
    after = solo.counters("vrrp")
    b, a = before["vi0"], after["vi0"]
    for name, _f in cases:
        assert a[f"bad_{name}"] == b[f"bad_{name}"] + 1, (name, a)
    for name, _f in unmatched:
        assert after["unmatched"][f"bad_{name}"] == before["unmatched"][f"bad_{name}"] + 1, name
    assert a["bad_total"] == b["bad_total"] + len(cases)
    # priority 254 in every one of them, yet none was acted on
    assert a["adverts_in"] == b["adverts_in"]
    assert a["state"] == "MASTER" and a["transitions"] == b["transitions"]
    out = solo.vipctl("vrrp").stdout
    assert "auth_failed" in out and "unknown_vrid" in out, out


def test_higher_priority_advert_makes_master_back_off(lab, solo):
    mac = lab.mac("client")
    lab.send_frames("client", [lv.advert(src_mac=mac, src_ip=FAKE, priority=200)])
    s = wait_vrrp(solo, "BACKUP", timeout=2, master=FAKE)
    assert s["last_reason"] == "higher_priority"
    assert arp_owners(lab) == []          # nobody answers for the VIP now
    # the forged master says goodbye: dir1 takes over after Skew_Time (0.61 s)
    t0 = time.monotonic()
    lab.send_frames("client", [lv.advert(src_mac=mac, src_ip=FAKE, priority=0)])
    s = wait_vrrp(solo, "MASTER", timeout=3)
    assert time.monotonic() - t0 < 1.5
    assert s["last_reason"] == "master_left"
    assert arp_owners(lab) == [lab.mac("dir1")]


def test_gratuitous_arps(lab, directors):
    """On becoming master: garp_master_repeat GARPs at once, the same again after
    garp_master_delay, one every garp_master_refresh."""
    directors.stop("dir2")
    v = directors.start("dir1", lv.vrrp_conf("dir1", extra=["garp_master_delay = 3;",
                                                             "garp_master_repeat = 4;",
                                                             "garp_master_refresh = 2;"]))
    wait_vrrp(v, "MASTER")
    mac = lab.mac("client")
    lab.send_frames("client", [lv.advert(src_mac=mac, src_ip=FAKE, priority=200)])
    wait_vrrp(v, "BACKUP", timeout=2)
    sn = lv.sniff_start(lab, "client", ethertype=0x0806, timeout=4.6)
    lab.send_frames("client", [lv.advert(src_mac=mac, src_ip=FAKE, priority=0)])
    wait_vrrp(v, "MASTER", timeout=3)
    vip = bytes(int(x) for x in VIP.split("."))
    dmac = bytes.fromhex(lab.mac("dir1").replace(":", ""))
    garps = [t for t, f in lv.sniff_result(sn)
             if f[6:12] == dmac and f[20:22] == b"\x00\x01" and f[28:32] == vip
             and f[38:42] == vip]
    assert garps, "no gratuitous ARP for the VIP"
    rel = [round(t - garps[0], 1) for t in garps]
    print("GARPs at", rel)
    assert sum(1 for t in rel if t < 0.2) == 4, rel            # the burst
    assert sum(1 for t in rel if 1.8 <= t <= 2.3) == 1, rel     # refresh
    assert sum(1 for t in rel if 2.8 <= t <= 3.3) == 4, rel     # after garp_master_delay
    directors.stop("dir1")


def test_advert_flood_does_not_disturb_forwarding(lab, solo):
    warm(lab)
    mac = lab.mac("client")
    low = lv.advert(src_mac=mac, src_ip=FAKE, priority=50)
    bad = lv.advert(src_mac=mac, src_ip=FAKE, priority=254, auth="guessed!")
    before = vrrp(solo)
    p = lv.Probe(lab)
    sent = lab.send_frames("client", [low, bad] * 10000)
    time.sleep(1.0)
    r = record("flood of 20000 adverts (master)", p.stop())
    after = vrrp(solo)
    assert sent == 20000
    assert after["state"] == "MASTER" and after["transitions"] == before["transitions"]
    assert after["bad_auth_failed"] - before["bad_auth_failed"] > 1000, after
    assert after["adverts_in"] - before["adverts_in"] > 1000, after
    assert r["http_failures"] == 0 and r["icmp_gap_s"] < 0.2, r


def test_reload_keeps_the_master(lab, solo):
    """SIGHUP with a changed instance restarts it without losing the VIP (a configured
    MASTER re-asserts itself at once); an unchanged one is left alone."""
    before = vrrp(solo)
    text = solo.conf.read_text()
    solo.conf.write_text(text.replace("priority = 100;", "priority = 120;"))
    p = lv.Probe(lab, http=False)
    solo.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and vrrp(solo)["base_priority"] != 120:
        time.sleep(0.05)
    s = vrrp(solo)
    if s["base_priority"] != 120:
        pytest.skip("this build does not reload on SIGHUP")
    assert s["state"] == "MASTER" and s["priority"] == 120, s
    time.sleep(0.5)
    r = record("reload of a changed instance (master)", p.stop())
    assert r["icmp_gap_s"] < 0.1, r
    # unchanged: no transition at all
    n = vrrp(solo)["transitions"]
    solo.proc.send_signal(signal.SIGHUP)
    time.sleep(1.0)
    assert vrrp(solo)["transitions"] == n and vrrp(solo)["state"] == "MASTER"
    assert before["state"] == "MASTER"


# ---------------------------------------------------------------------------
# service health: a director whose services have no live real server yields

def test_dead_services_lower_priority(lab, directors):
    c1 = lv.with_checks(lv.vrrp_conf("dir1"), port=81)   # dir1 alone sees them dead
    c2 = lv.with_checks(lv.vrrp_conf("dir2"), port=80)
    v1 = directors.start("dir1", c1, fresh=True)
    v2 = directors.start("dir2", c2, fresh=True)
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline and vrrp(v1)["priority"] == 100:
        time.sleep(0.05)
    if vrrp(v1)["priority"] == 100:
        rs = v1.counters("realservers")
        if all(x.get("state") == "up" for x in rs.values()):
            pytest.skip("no health checker in this build: real servers never go down")
    s1 = vrrp(v1)
    assert s1["priority"] == 100 - 50 and s1["base_priority"] == 100, s1
    wait_vrrp(v2, "MASTER", timeout=8)
    wait_vrrp(v1, "BACKUP", master=DIR2, timeout=3)
    directors.stop("dir1")
    directors.stop("dir2")


# ---------------------------------------------------------------------------
# keepalived interoperability: vipd on dir1, Debian's keepalived on dir2

@pytest.fixture
def keepalived(lab, directors):
    if not Path(lv.KEEPALIVED).exists():
        pytest.skip("keepalived is not installed (apt-get install -y keepalived)")
    directors.stop("dir2")
    made = []

    def make(**kw):
        k = lv.Keepalived(lab, "dir2", **kw)
        made.append(k)
        return k
    yield make
    for k in made:
        k.cleanup()


PROTOS = [pytest.param(dict(version=2, advert_int=1), id="v2-auth-pass"),
          pytest.param(dict(version=3, advert_int=0.1), id="v3")]


@pytest.mark.parametrize("proto", PROTOS)
def test_interop_vipd_master_keepalived_backup(lab, directors, keepalived, proto):
    c1 = lv.vrrp_conf("dir1", version=proto["version"], advert_int=proto["advert_int"])
    ka = keepalived(priority=99, state="BACKUP", **proto).start()
    v1 = directors.start("dir1", c1, fresh=True)
    wait_vrrp(v1, "MASTER")
    assert ka.wait_state("BACKUP", 10), ka.log()[-3000:]
    time.sleep(4 * proto["advert_int"] + 0.5)
    assert ka.state() == "BACKUP", ka.log()[-3000:]       # both agree: vipd is master
    assert vrrp(v1)["state"] == "MASTER" and vrrp(v1)["bad_total"] == 0
    assert arp_owners(lab) == [lab.mac("dir1")]
    # vipd leaves (priority 0): keepalived takes the VIP
    directors.stop("dir1")
    assert ka.wait_state("MASTER", 5), ka.log()[-3000:]
    deadline = time.monotonic() + 3
    while arp_owners(lab) != [lab.mac("dir2")] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert arp_owners(lab) == [lab.mac("dir2")]
    # vipd returns and preempts it (100 > 99)
    v1 = directors.start("dir1", c1)
    wait_vrrp(v1, "MASTER")
    assert ka.wait_state("BACKUP", 5), ka.log()[-3000:]
    time.sleep(3 * proto["advert_int"] + 0.3)
    assert vrrp(v1)["state"] == "MASTER" and ka.state() == "BACKUP"
    assert arp_owners(lab) == [lab.mac("dir1")]
    directors.stop("dir1")


@pytest.mark.parametrize("proto", PROTOS)
def test_interop_keepalived_master_vipd_backup(lab, directors, keepalived, proto):
    c1 = lv.vrrp_conf("dir1", version=proto["version"], advert_int=proto["advert_int"],
                      state="BACKUP", priority=99)
    ka = keepalived(priority=100, state="MASTER", **proto).start()
    assert ka.wait_state("MASTER", 10), ka.log()[-3000:]
    v1 = directors.start("dir1", c1, fresh=True)
    s = wait_vrrp(v1, "BACKUP", master=DIR2)
    time.sleep(4 * proto["advert_int"] + 0.5)
    s = vrrp(v1)
    assert s["state"] == "BACKUP" and s["master"] == DIR2 and ka.state() == "MASTER"
    assert s["adverts_in"] >= 3 and s["bad_total"] == 0, s
    # keepalived stops (its VRRP process sends priority 0): vipd takes over
    ka.stop(signal.SIGTERM)
    s = wait_vrrp(v1, "MASTER", timeout=5)
    assert s["last_reason"] == "master_left", s
    assert arp_owners(lab) == [lab.mac("dir1")]
    # keepalived returns as MASTER 100 and takes the VIP back from vipd (99)
    ka.start()
    wait_vrrp(v1, "BACKUP", master=DIR2, timeout=10)
    assert ka.wait_state("MASTER", 5), ka.log()[-3000:]
    deadline = time.monotonic() + 3
    while arp_owners(lab) != [lab.mac("dir2")] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert arp_owners(lab) == [lab.mac("dir2")]
    directors.stop("dir1")


# ---------------------------------------------------------------------------

def test_use_vmac_moves_the_virtual_mac(lab, directors):
    """use_vmac: the VIP answers ARP with 00:00:5e:00:01:{vrid} from whichever
    director is master, adverts leave from that MAC, and a failover needs no
    ARP cache change at the client: its entry for the VIP stays the same."""
    vmac = "00:00:5e:00:01:%02x" % lv.VRID
    c1, c2 = ref_pair(version=3, advert_int=0.1, extra=["use_vmac = true;"])
    v1, v2 = start_pair(directors, c1, c2, fresh=True)
    warm(lab)
    assert arp_owners(lab) == [vmac]
    frames = lv.sniff(lab, "client", count=2, timeout=5)
    assert frames, "no VRRP advert seen"
    assert all(f[6:12].hex(":") == vmac for f in frames), [f[6:12].hex(":") for f in frames]
    p = lv.Probe(lab)
    kill9(directors, "dir1")
    wait_vrrp(v2, "MASTER", timeout=3)
    time.sleep(SETTLE)
    r = record("v3 adv 0.1, use_vmac: master SIGKILL", p.stop())
    assert r["http_gap_s"] < 1.0, r
    assert arp_owners(lab) == [vmac]
    directors.stop("dir2")
