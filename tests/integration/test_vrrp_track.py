"""track_script and vrrp_sync_group with two real vipd directors in the lab (dir1
10.99.0.2 MASTER 100, dir2 10.99.0.3 BACKUP 99, VRRP v2 advert_int 1, DR services).

- A track_script checking a file (`test -f`), weight -20, rise 2, fall 2: removing
  dir1's file lowers it to 80 < 99, dir2 takes the VIP over while a client keeps
  asking; restoring it brings dir1 back to 100 and it preempts.
- A sync group of two instances (VIP 10.99.0.100 vrid 51, VIP 10.99.0.101 vrid 52):
  the second instance's script (weight 0) failing on dir1 puts dir1's whole group in
  FAULT and both VIPs move to dir2 together; group notify scripts and /vipd/vrrp show
  the group; restored, both come back together.

    /usr/bin/python3 -m pytest -v tests/integration/test_vrrp_track.py
"""

import time

import pytest

import lab as labmod
import lab_vrrp as lv

VIP = labmod.VIP
VIP2 = "10.99.0.101"
DIR1 = labmod.DIR1_ADDR
DIR2 = labmod.DIR2_ADDR
SETTLE = 1.0

pytestmark = pytest.mark.skipif(not labmod.VIPD.exists(),
                                reason=f"{labmod.VIPD} not built yet (run scripts/setup.sh)")


# ---------------------------------------------------------------------------
# helpers

def vrrp_all(v):
    return v.counters("vrrp")


def inst(v, key="vi0"):
    d = vrrp_all(v)
    assert key in d, f"/vipd/vrrp: {d!r}"
    return d[key]


def wait_for(what, pred, timeout):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(0.02)
    raise AssertionError(f"not {what} after {timeout}s (last: {last!r})")


def wait_state(v, state, key="vi0", timeout=10.0, master=None):
    def ok():
        if not v.alive():
            raise AssertionError(f"vipd on {v.host} died:\n{v.log_tail()}")
        s = inst(v, key)
        return s if s["state"] == state and (master is None or s["master"] == master) else None
    return wait_for(f"{v.host} {key} {state}", ok, timeout)


def wait_group(v, state, timeout=10.0):
    return wait_for(f"{v.host} group {state}",
                    lambda: inst(v, "vg0") if inst(v, "vg0")["state"] == state else None,
                    timeout)


def arp_owners(lab, vip):
    return sorted({a["hwsrc"] for a in lab.arp_probe("client", vip, timeout=1.0, tries=2)})


def warm(lab, vips=(VIP,)):
    for vip in vips:
        for _ in range(6):
            if lab.curl("client", f"http://{vip}/", max_time=5).returncode == 0:
                break
            time.sleep(0.5)
        else:
            raise AssertionError(f"{vip} does not answer")


def gaps(probe):
    g = lv.gaps(probe.stop())
    return {"http_gap_s": g["http"][0], "http_failures": g["http"][1],
            "http_total": g["http"][2], "icmp_gap_s": g["icmp"][0]}


def wait_log(path, text, timeout=5.0):
    wait_for(f"'{text}' in {path}",
             lambda: path.exists() and text in path.read_text(), timeout)


@pytest.fixture
def check_files(lab_session):
    """{host: path} of the file each director's script checks; present at the start."""
    out = {h: lab_session.tmpdir / f"track-{h}.ok" for h in ("dir1", "dir2")}
    for f in out.values():
        f.write_text("ok\n")
    yield out
    for f in out.values():
        f.unlink(missing_ok=True)


# ---------------------------------------------------------------------------
# track_script with a weight: priority below the peer's, the VIP moves and returns

def test_track_script_weight_moves_the_vip(lab, directors, check_files):
    confs = {}
    for h in ("dir1", "dir2"):
        text = lv.vrrp_conf(h, extra=[lv.track_scripts("chk_file")])
        confs[h] = lv.add_vrrp_scripts(text, [lv.file_script(
            "chk_file", check_files[h], interval=0.5, weight=-20, rise=2, fall=2)])
    v1 = directors.start("dir1", confs["dir1"], fresh=True)
    v2 = directors.start("dir2", confs["dir2"], fresh=True)
    wait_state(v1, "MASTER")
    wait_state(v2, "BACKUP", master=DIR1)
    warm(lab)
    s1 = inst(v1)
    assert s1["priority"] == 100 and s1["track_scripts"] == "chk_file=OK", s1
    sc = inst(v1, "script0")
    assert sc["script"] == "chk_file" and sc["status"] == "OK" and sc["weight"] == -20, sc
    assert sc["rise"] == 2 and sc["fall"] == 2 and sc["runs"] >= 1, sc

    # the file goes: two failures in a row (fall 2), dir1 announces 80 at once;
    # dir2 (99) ignores the lower adverts and takes over at its Master_Down_Interval
    p = lv.Probe(lab)
    check_files["dir1"].unlink()
    s1 = wait_for("dir1 at priority 80",
                  lambda: inst(v1) if inst(v1)["priority"] == 80 else None, 4)
    assert s1["track_scripts"] == "chk_file=KO" and s1["base_priority"] == 100, s1
    wait_state(v2, "MASTER", timeout=6)
    wait_state(v1, "BACKUP", master=DIR2, timeout=3)
    time.sleep(SETTLE)
    r = gaps(p)
    print(f"script KO, VIP to dir2: {r}")
    assert inst(v1)["last_reason"] == "higher_priority"
    assert inst(v2)["last_reason"] == "master_down"
    assert arp_owners(lab, VIP) == [lab.mac("dir2")]
    assert r["http_gap_s"] < 0.5, r     # make before break: answered throughout
    sc = inst(v1, "script0")
    assert sc["status"] == "KO" and sc["failures"] >= 2 and sc["last_status"] == 1, sc
    assert "priority 100 -> 80" in v1.log(), v1.log_tail()
    assert "VRRP script chk_file: OK -> KO (exit status 1)" in v1.log(), v1.log_tail()

    # back: two successes (rise 2), priority 100 again, dir1 preempts dir2
    p = lv.Probe(lab)
    check_files["dir1"].write_text("ok\n")
    wait_for("dir1 at priority 100",
             lambda: inst(v1) if inst(v1)["priority"] == 100 else None, 4)
    wait_state(v1, "MASTER", timeout=6)
    wait_state(v2, "BACKUP", master=DIR1, timeout=3)
    time.sleep(SETTLE)
    r = gaps(p)
    print(f"script OK, dir1 preempts: {r}")
    assert inst(v2)["last_reason"] == "higher_priority"
    assert arp_owners(lab, VIP) == [lab.mac("dir1")]
    assert r["http_gap_s"] < 0.5, r
    assert inst(v1, "script0")["status"] == "OK"
    directors.stop("dir1")
    directors.stop("dir2")


# ---------------------------------------------------------------------------
# a sync group: one member's script fails, both VIPs move, and come back together

@pytest.fixture
def vip2(lab_session):
    lv.rs_vip(lab_session, VIP2)
    yield VIP2
    lv.rs_vip(lab_session, VIP2, add=False)


@pytest.fixture
def group_notify(lab_session):
    d = lab_session.tmpdir / "vrrp-track-notify"
    d.mkdir(parents=True, exist_ok=True)
    out = {}
    for h in ("dir1", "dir2"):
        log = d / f"{h}.log"
        log.unlink(missing_ok=True)
        out[h] = (lv.write_notify_script(d / f"{h}.sh", log, d / f"{h}.state"), log)
    return out


def group_conf(host, check_file, notify):
    text = lv.vrrp_conf(host)
    text = lv.add_vrrp_scripts(text, [lv.file_script("chk_vi2", check_file, interval=0.5)])
    text = lv.add_vrrp_instance(text, "VI_2", 52, VIP2, extra=[lv.track_scripts("chk_vi2")])
    text = lv.add_sync_group(text, "VG_1", ["VI_1", "VI_2"], notify=notify)
    return lv.add_dr_service(text, VIP2)


def test_sync_group_moves_together(lab, directors, check_files, vip2, group_notify):
    v1 = directors.start("dir1", group_conf("dir1", check_files["dir1"],
                                            group_notify["dir1"][0]), fresh=True)
    v2 = directors.start("dir2", group_conf("dir2", check_files["dir2"],
                                            group_notify["dir2"][0]), fresh=True)
    for key in ("vi0", "vi1"):
        wait_state(v1, "MASTER", key=key)
        wait_state(v2, "BACKUP", key=key, master=DIR1)
    g1 = wait_group(v1, "MASTER")
    assert g1["group"] == "VG_1" and g1["members"] == "VI_1,VI_2", g1
    wait_group(v2, "BACKUP")
    assert inst(v1, "vi1")["sync_group"] == "VG_1"
    assert inst(v1, "vi1")["track_scripts"] == "chk_vi2=OK"
    warm(lab, (VIP, VIP2))
    wait_log(group_notify["dir1"][1], "GROUP VG_1 MASTER 0")
    wait_log(group_notify["dir2"][1], "GROUP VG_1 BACKUP 0")

    # VI_2's script fails on dir1: its group goes FAULT (both say priority 0) and
    # dir2 takes both VIPs after Skew_Time
    probes = [lv.Probe(lab, target=VIP), lv.Probe(lab, target=VIP2)]
    t0 = time.monotonic()
    check_files["dir1"].unlink()
    wait_group(v1, "FAULT", timeout=3)
    wait_state(v2, "MASTER", key="vi0", timeout=3)
    wait_state(v2, "MASTER", key="vi1", timeout=3)
    took = time.monotonic() - t0
    wait_group(v2, "MASTER", timeout=1)
    time.sleep(SETTLE)
    rs = [gaps(p) for p in probes]
    print(f"group FAULT on dir1, both VIPs to dir2 in {took:.2f}s: {rs}")
    assert inst(v1, "vi1")["last_reason"] == "fault"
    assert inst(v1, "vi0")["last_reason"] == "sync_group_fault"
    assert inst(v1, "vi0")["state"] == "FAULT"
    assert took < 2.5, took                       # 0.5 s interval + Skew_Time 0.61 s
    for vip in (VIP, VIP2):
        assert arp_owners(lab, vip) == [lab.mac("dir2")], vip
    for r in rs:
        assert r["http_gap_s"] < 1.5, rs
    wait_log(group_notify["dir1"][1], "GROUP VG_1 FAULT 0")
    wait_log(group_notify["dir2"][1], "GROUP VG_1 MASTER 0")
    assert "INSTANCE" not in group_notify["dir1"][1].read_text()  # only the group's notify

    # restored: the group leaves FAULT as BACKUP, then preempts with both members
    probes = [lv.Probe(lab, target=VIP), lv.Probe(lab, target=VIP2)]
    check_files["dir1"].write_text("ok\n")
    wait_group(v1, "MASTER", timeout=8)
    wait_group(v2, "BACKUP", timeout=3)
    for key in ("vi0", "vi1"):
        wait_state(v1, "MASTER", key=key, timeout=1)
        wait_state(v2, "BACKUP", key=key, master=DIR1, timeout=3)
    time.sleep(SETTLE)
    rs = [gaps(p) for p in probes]
    print(f"group back on dir1: {rs}")
    for vip in (VIP, VIP2):
        assert arp_owners(lab, vip) == [lab.mac("dir1")], vip
    for r in rs:
        assert r["http_gap_s"] < 0.5, rs
    reasons = {inst(v1, k)["last_reason"] for k in ("vi0", "vi1")}
    assert reasons == {"master_down", "sync_group_master"}, reasons
    # the group moved as one: FAULT, BACKUP, MASTER on dir1 after its first MASTER
    assert inst(v1, "vg0")["transitions"] == 4, inst(v1, "vg0")
    directors.stop("dir1")
    directors.stop("dir2")
    wait_log(group_notify["dir1"][1], "GROUP VG_1 STOP 0")
