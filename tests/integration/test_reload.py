"""Reload of vipd's configuration file on dir1 of the lab: by SIGHUP and by `vipctl reload`.

  * under traffic: clients making a request every 20 ms (new connections, and one
    keep-alive connection) see no failure while an unrelated service is added and
    removed, both ways, several times; the unchanged service keeps its sessions and
    counters;
  * by difference: a changed weight or scheduler applies without touching sessions;
  * a broken file (syntax error, out-of-range value, unknown key) is refused with its
    FILE:LINE in vipctl's answer and in the log, and nothing changes;
  * ports and dpdk settings are refused with the reason (they need a restart);
  * changes made with vipctl are replaced by the file on reload.
"""

import os
import signal
import time

import pytest

import lab as labmod
import lab_ops as ops

VIP = labmod.VIP
SVC = f"{VIP}:80/TCP"

pytestmark = pytest.mark.skipif(not labmod.VIPD.exists() or not labmod.VIPCTL.exists(),
                                reason="build/vipd and build/vipctl not built yet")

BASE = [ops.web_service(80)]
WITH_EXTRA = [ops.web_service(80), ops.web_service(8080, scheduler="wlc", rss=("rs2",))]


@pytest.fixture
def vipd(lab, directors):
    v = directors.start("dir1", ops.ops_conf(BASE), fresh=True)
    ops.wait_macs(v)
    return v


def write(v, services=None, text=None):
    """Replace the running vipd's file (atomically, as an editor that renames would)."""
    text = text if text is not None else ops.ops_conf(services)
    tmp = v.conf.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, v.conf)
    return text


def hup(v):
    os.kill(v.pid, signal.SIGHUP)


def reload_ok(v):
    cp = ops.vipctl(v, "reload")
    assert cp.returncode == 0, f"vipctl reload: {cp.stderr}"
    assert cp.stdout.startswith("applied"), cp.stdout
    return cp.stdout


def services(v):
    return sorted(r["service"] for r in v.counters("services").values())


def wait_services(v, want, timeout=5):
    return ops.wait_for(lambda: services(v) == sorted(want), timeout,
                        what=f"services {sorted(want)}")


def listing(v):
    cp = ops.vipctl(v, "-ln")
    assert cp.returncode == 0, cp.stderr
    return cp.stdout


def snapshot(v):
    """What must not change when a reload is refused."""
    return {
        "ln": listing(v),
        "services": {r["service"]: (r["scheduler"], r["forwarding"], r["real_servers"])
                     for r in v.counters("services").values()},
        "rs": sorted((r["service"], r["address"], r["port"], r["weight"], r["state"])
                     for r in ops.rs_rows(v)),
    }


def log_count(v, needle):
    return v.log().count(needle)


# -- under traffic ------------------------------------------------------------------------------

def test_reload_under_traffic_loses_nothing(lab, vipd):
    v = vipd
    ka = ops.KeepAlive(lab)
    loops = []
    try:
        r = ka.get()
        assert r["ok"], r
        ka_rs = r["body"].split()[0]
        lab.curl("client", f"http://{VIP}/", check=True)
        before = ops.svc_row(v, SVC)
        sess_before = v.counters("stats")["sessions"]
        assert sess_before >= 1

        loops = [ops.TrafficLoop(lab, interval=0.02, duration=8.0),
                 ops.TrafficLoop(lab, interval=0.02, duration=8.0, keepalive=True)]
        t0 = time.monotonic()
        reloads = 0
        # add and remove the unrelated service 8080, each way, while the clients run
        while time.monotonic() - t0 < 6.5:
            write(v, WITH_EXTRA)
            hup(v)
            wait_services(v, [SVC, f"{VIP}:8080/TCP"])
            assert v.counters("stats")["sessions"] >= 1
            time.sleep(0.3)
            write(v, BASE)
            reload_ok(v)
            assert services(v) == [SVC]
            time.sleep(0.3)
            write(v, WITH_EXTRA)
            reload_ok(v)
            assert services(v) == [SVC, f"{VIP}:8080/TCP"]
            time.sleep(0.3)
            write(v, BASE)
            hup(v)
            wait_services(v, [SVC])
            reloads += 4
            time.sleep(0.3)
        results = [lp.result() for lp in loops]
    finally:
        for lp in loops:
            lp.stop()
    try:
        print(f"{reloads} reloads; new connections: {dict(results[0], failed=len(results[0]['failed']))}; "
              f"keep-alive: {dict(results[1], failed=len(results[1]['failed']))}")
        for name, res in zip(("new connections", "keep-alive"), results):
            assert not res["failed"], f"{name}: {len(res['failed'])} failed requests during " \
                f"{reloads} reloads, first: {res['failed'][:5]}"
            assert res["ok"] >= 250, f"{name}: only {res['ok']} requests in 8 s: {res}"
        assert results[0]["by"].keys() == {"rs1", "rs2"}, results[0]["by"]
        assert results[1]["connects"] == 1, "the keep-alive client had to reconnect"
        assert reloads >= 8

        # the unchanged service kept its sessions and its counters
        r = ka.get()
        assert r["ok"] and r["body"].split()[0] == ka_rs, f"keep-alive connection after: {r}"
        after = ops.svc_row(v, SVC)
        for k in ("pkts", "bytes", "conns"):
            assert after[k] >= before[k], f"{k} went back: {before[k]} -> {after[k]}"
        assert after["conns"] >= before["conns"] + results[0]["ok"] + 1, (before, after)
        assert after["pkts"] >= before["pkts"] + 3 * results[0]["ok"], (before, after)
        assert v.counters("stats")["sessions"] >= sess_before
        live = v.counters("stats")["sessions"]
        lnc = ops.vipctl(v, "-lnc").stdout
        assert f"10.99.0.10:{ka.sport} " in lnc, f"keep-alive session gone:\n{lnc}"
        # -lnc pages through the tables (100 a query): every session, as ipvsadm
        listed = [ln for ln in lnc.splitlines()[2:] if ln.strip()]
        assert live > 100 and abs(len(listed) - live) <= 2, \
            f"-lnc listed {len(listed)} sessions, /vipd/stats has {live}"
        assert log_count(v, "reload of ") >= reloads, v.log_tail(20)
    finally:
        ka.close()


def test_reload_applies_only_the_difference(lab, vipd):
    v = vipd
    with ops.KeepAlive(lab) as ka:
        r = ka.get()
        assert r["ok"], r
        held = r["body"].split()[0]
        for _ in range(4):
            lab.curl("client", f"http://{VIP}/", check=True)
        before = ops.svc_row(v, SVC)
        rs_before = {r["address"]: r for r in ops.rs_rows(v)}
        # same service (VIP, port, protocol): new scheduler and weight, plus one new service
        changed = [ops.web_service(80, scheduler="wrr"),
                   ops.web_service(8080, rss=("rs1",))]
        changed[0]["real_servers"][1]["weight"] = 3
        write(v, changed)
        reload_ok(v)
        rows = {r["address"]: r for r in ops.rs_rows(v, SVC)}
        assert rows["10.99.0.12"]["weight"] == 3 and rows["10.99.0.11"]["weight"] == 1
        after = ops.svc_row(v, SVC)
        assert after["scheduler"] == "wrr"
        assert after["conns"] == before["conns"] and after["pkts"] >= before["pkts"], \
            (before, after)
        for addr, row in rows.items():
            assert row["conns"] == rs_before[addr]["conns"], (addr, rs_before[addr], row)
        r = ka.get()
        assert r["ok"] and r["body"].split()[0] == held, f"keep-alive after reload: {r}"
        assert services(v) == [SVC, f"{VIP}:8080/TCP"]
        got = [lab.curl("client", f"http://{VIP}/", check=True).stdout.split()[0]
               for _ in range(8)]
        assert got.count("rs2") >= 5, f"wrr 3:1 but {got}"


def test_vipctl_changes_are_replaced_by_reload(vipd):
    v = vipd
    cp = ops.vipctl(v, "add-service", f"{VIP}:8081", "scheduler=rr")
    assert cp.returncode == 0, cp.stderr
    assert f"{VIP}:8081/TCP" in services(v)
    reload_ok(v)
    assert services(v) == [SVC], "the file is the configuration after a reload"


# -- refused files ----------------------------------------------------------------------------

def _syntax(text):
    broken = text.replace("        port = 80;\n", "        port = 80 80;\n", 1)
    return broken, ops.line_of(broken, "port = 80 80;"), "syntax error"


def _range(text):
    broken = text.replace("weight = 1;", "weight = 70000;", 1)
    return broken, ops.line_of(broken, "weight = 70000"), "weight 70000 out of range"


def _unknown_key(text):
    broken = text.replace('forwarding = "DR";', 'forwarding = "DR"; colour = "blue";', 1)
    return broken, ops.line_of(broken, "colour"), "colour"


def _bad_address(text):
    broken = text.replace('address = "10.99.0.12"', 'address = "10.99.0.312"', 1)
    return broken, ops.line_of(broken, "10.99.0.312"), "10.99.0.312"


@pytest.mark.parametrize("breakage", [_syntax, _range, _unknown_key, _bad_address],
                         ids=["syntax", "out-of-range", "unknown-key", "bad-address"])
def test_broken_file_refused_nothing_changes(lab, vipd, breakage):
    v = vipd
    good = ops.ops_conf(BASE)
    broken, line, what = breakage(good)
    assert broken != good
    where = f"{v.conf}:{line}:"
    before = snapshot(v)

    write(v, text=broken)
    cp = ops.vipctl(v, "reload")
    assert cp.returncode != 0, f"a broken file was accepted: {cp.stdout}"
    assert where in cp.stderr and what in cp.stderr, \
        f"want {where} ... {what} in vipctl's answer: {cp.stderr!r}"
    assert "running configuration kept" in cp.stderr, cp.stderr
    assert f"reload: {where}" in v.log(), f"no '{where}' in the log:\n{v.log_tail(10)}"
    assert snapshot(v) == before

    # the same by SIGHUP: the error is logged again, nothing changes
    n = log_count(v, f"reload: {where}")
    hup(v)
    ops.wait_for(lambda: log_count(v, f"reload: {where}") > n, 5, what="SIGHUP error logged")
    assert v.alive()
    assert snapshot(v) == before
    assert lab.curl("client", f"http://{VIP}/", check=True).stdout.split()[0] in ("rs1", "rs2")

    # fixed file: applies again
    write(v, WITH_EXTRA)
    reload_ok(v)
    assert services(v) == [SVC, f"{VIP}:8080/TCP"]


@pytest.mark.parametrize("change,needle", [
    (lambda t: t.replace("10.99.0.2/24", "10.99.0.5/24"), "10.99.0.5/24"),
    (lambda t: t.replace("workers = 1;", "workers = 2;"), "workers = 2"),
    (lambda t: t.replace("sessions = 65536;", "sessions = 131072;"), "sessions = 131072"),
    (lambda t: t.replace('eal_args = [ "--no-pci" ];', 'eal_args = [ "--no-pci", "-l", "0-1" ];'),
     '"-l"'),
], ids=["port-address", "workers", "sessions", "eal_args"])
def test_ports_and_dpdk_changes_need_restart(lab, vipd, change, needle):
    v = vipd
    good = ops.ops_conf(BASE)
    changed = change(ops.ops_conf(WITH_EXTRA))
    assert needle in changed and changed != good
    before = snapshot(v)
    write(v, text=changed)
    cp = ops.vipctl(v, "reload")
    assert cp.returncode != 0, cp.stdout
    assert "need a restart" in cp.stderr, cp.stderr
    assert snapshot(v) == before, "a refused reload changed something (the 8080 service?)"
    n = log_count(v, "ports or dpdk settings changed")
    hup(v)
    ops.wait_for(lambda: log_count(v, "ports or dpdk settings changed") > n, 5,
                 what="SIGHUP refusal logged")
    assert snapshot(v) == before
    assert v.alive()
