"""vipctl against a running vipd on dir1 of the lab: changes through the control socket
in both syntaxes (vipctl's own verbs and ipvsadm's), traffic and the counters it leaves,
weight / quiesce / drain with an open keep-alive connection, removal, refused commands,
the control socket's permissions, ipvsadm-style listings compared with tests/golden/
(VIPD_UPDATE_GOLDEN=1 rewrites them), -lnc and flush.

Each test starts its own vipd (start-up takes well under a second), so counters start at
zero and a test never sees another's changes."""

import json
import os
import re
import shutil
import stat
import time

import pytest

import lab as labmod
import lab_ops as ops

VIP = labmod.VIP
SVC = f"{VIP}:80"
RS1, RS2 = "10.99.0.11:80", "10.99.0.12:80"
URL = f"http://{VIP}/"
NAME_OF = {RS1: "rs1", RS2: "rs2"}
ADDR_OF = {"rs1": RS1, "rs2": RS2}

pytestmark = pytest.mark.skipif(not labmod.VIPD.exists() or not labmod.VIPCTL.exists(),
                                reason="build/vipd and build/vipctl not built yet")


@pytest.fixture
def start(lab, directors):
    """start(services) -> a fresh vipd on dir1 with those services in its file."""
    def _start(services=(), **kw):
        v = directors.start("dir1", ops.ops_conf(services, **kw), fresh=True)
        return v
    return _start


@pytest.fixture
def web(start):
    """vipd with 10.99.0.100:80 (rr, DR) on rs1 and rs2, MACs resolved."""
    v = start([ops.web_service(80)])
    ops.wait_macs(v)
    return v


def fetch(lab, url=URL, max_time=5):
    cp = lab.curl("client", url, max_time=max_time)
    assert cp.returncode == 0, f"curl {url} failed (rc={cp.returncode}): {cp.stderr.strip()}"
    name = cp.stdout.split()[0] if cp.stdout.split() else ""
    assert name in ("rs1", "rs2"), f"unexpected answer {cp.stdout!r}"
    return name


def ok(v, *args):
    cp = ops.vipctl(v, *args)
    assert cp.returncode == 0, f"vipctl {' '.join(args)}: rc={cp.returncode} {cp.stderr}"
    assert cp.stdout.startswith("applied") or "flushed" in cp.stdout, cp.stdout
    return cp


def listing(v, *args):
    cp = ops.vipctl(v, *args)
    assert cp.returncode == 0, f"vipctl {' '.join(args)}: {cp.stderr}"
    return cp.stdout


def ln_rows(v):
    """-ln parsed: {service head: {"sched": "...", "rs": {addr: (fwd, weight, act, inact)}}}."""
    out, cur = {}, None
    for line in listing(v, "-ln").splitlines()[3:]:
        if line.startswith("  -> "):
            f = line.split()
            out[cur]["rs"][f[1]] = (f[2], int(f[3]), int(f[4]), int(f[5]))
        else:
            f = line.split()
            cur = f"{f[0]} {f[1]}"
            out[cur] = {"sched": " ".join(f[2:]), "rs": {}}
    return out


def stats_rows(v):
    """-ln --stats parsed: {name: (conns, inpkts, outpkts, inbytes, outbytes)}."""
    out, cur = {}, None
    for line in listing(v, "-ln", "--stats").splitlines()[3:]:
        f = line.split()
        if line.startswith("  -> "):
            out[f"{cur} -> {f[1]}"] = tuple(int(x) for x in f[2:])
        else:
            cur = f"{f[0]} {f[1]}"
            out[cur] = tuple(int(x) for x in f[2:])
    return out


# -- round trips --------------------------------------------------------------------------------

def test_round_trip_add_traffic_counters_edit_remove(lab, start):
    v = start([])          # no service in the file: everything comes from vipctl
    assert ln_rows(v) == {}
    # ipvsadm syntax and vipctl's own verbs, mixed
    ok(v, "-A", "-t", SVC, "-s", "rr")
    ok(v, "-a", "-t", SVC, "-r", RS1, "-g", "-w", "1")
    ok(v, "add-rs", SVC, RS2, "weight=1")
    rows = ln_rows(v)
    assert rows == {f"TCP {SVC}": {"sched": "rr", "rs": {RS1: ("Route", 1, 0, 0),
                                                          RS2: ("Route", 1, 0, 0)}}}, rows
    ops.wait_macs(v)

    n = 6
    names = [fetch(lab) for _ in range(n)]
    assert sorted(names) == ["rs1"] * 3 + ["rs2"] * 3, names
    assert all(a != b for a, b in zip(names, names[1:])), f"rr does not alternate: {names}"

    # The last ACKs of closing connections may still be on their way: wait
    # until all n are counted and two readings agree, so that the service
    # and real-server rows describe the same packets.
    prev = {}

    def settled():
        s = stats_rows(v)
        same = s == prev.get("s")
        prev["s"] = s
        return s if same and s[f"TCP {SVC}"][0] == n else None
    st = ops.wait_for(settled, 5, interval=0.3, what="conns counted and settled")
    conns, inpkts, outpkts, inbytes, outbytes = st[f"TCP {SVC}"]
    print(listing(v, "-ln", "--stats"))
    assert conns == n
    assert inpkts >= 3 * n, f"{inpkts} packets for {n} connections"
    assert inbytes > inpkts * 40
    assert (outpkts, outbytes) == (0, 0), "DR replies do not pass the director"
    for rs in (RS1, RS2):
        c, p, _o, b, _ob = st[f"TCP {SVC} -> {rs}"]
        assert c == 3 and p >= 9 and b > 0, (rs, st)
    assert sum(st[f"TCP {SVC} -> {rs}"][1] for rs in (RS1, RS2)) == inpkts

    # the same numbers as JSON
    js = json.loads(listing(v, "stats", "--json"))
    assert set(js) == {"stats", "ports", "services", "realservers"}, js.keys()
    svc = [s for s in js["services"].values() if s["service"] == f"{SVC}/TCP"]
    assert len(svc) == 1 and svc[0]["conns"] == n and svc[0]["pkts"] == inpkts, svc
    rss = {f"{r['address']}:{r['port']}": r for r in js["realservers"].values()}
    assert rss[RS1]["conns"] == 3 and rss[RS2]["conns"] == 3, rss
    assert rss[RS1]["state"] == "up" and rss[RS1]["forwarding"] == "DR"
    assert js["stats"]["sessions"] >= 1 and js["stats"]["drop_total"] == 0, js["stats"]
    # and in vipctl stats' table
    table = listing(v, "stats")
    assert f"{SVC}/TCP" in table and "-> 10.99.0.11:80" in table, table

    # edit the service and a real server in both syntaxes
    ok(v, "-E", "-t", SVC, "-s", "wrr")
    ok(v, "-e", "-t", SVC, "-r", RS2, "-g", "-w", "3")
    ok(v, "edit-rs", SVC, RS1, "weight=2")
    rows = ln_rows(v)[f"TCP {SVC}"]
    assert rows["sched"] == "wrr" and rows["rs"][RS1][1] == 2 and rows["rs"][RS2][1] == 3, rows
    # counters survive edits of the service
    assert stats_rows(v)[f"TCP {SVC}"][0] == n

    # remove a real server: new connections all go to the other one
    ok(v, "-d", "-t", SVC, "-r", RS2)
    assert set(ln_rows(v)[f"TCP {SVC}"]["rs"]) == {RS1}
    assert {fetch(lab) for _ in range(4)} == {"rs1"}
    ok(v, "del-rs", SVC, RS1)
    assert ln_rows(v)[f"TCP {SVC}"]["rs"] == {}

    # remove the service: gone from every listing, the VIP no longer answers
    ok(v, "-D", "-t", SVC)
    assert ln_rows(v) == {}
    assert ops.svc_row(v, f"{SVC}/TCP") is None
    cp = lab.curl("client", URL, max_time=1)
    assert cp.returncode != 0, f"the VIP still answers after -D: {cp.stdout!r}"


def test_weight_quiesce_drain_keep_open_connection(lab, web):
    v = web
    fetch(lab)
    with ops.KeepAlive(lab, timeout=2) as ka:
        first = ka.get()
        assert first["ok"], first
        held = first["body"].split()[0]
        other = "rs2" if held == "rs1" else "rs1"
        held_rs = ADDR_OF[held]

        # quiesce: weight 0; new connections avoid it, the open one carries on
        ok(v, "quiesce", SVC, held_rs)
        assert ln_rows(v)[f"TCP {SVC}"]["rs"][held_rs][1] == 0
        assert [fetch(lab) for _ in range(6)] == [other] * 6
        for _ in range(3):
            r = ka.get()
            assert r["ok"] and r["body"].split()[0] == held, f"keep-alive after quiesce: {r}"

        # weight back: it takes new connections again
        ok(v, "weight", SVC, held_rs, "2")
        assert ln_rows(v)[f"TCP {SVC}"]["rs"][held_rs][1] == 2
        got = [fetch(lab) for _ in range(6)]
        assert held in got and other in got, f"weight back to 2 but {got}"

        # drain: the same for new connections, and the open one is still served
        ok(v, "drain", SVC, held_rs)
        assert ln_rows(v)[f"TCP {SVC}"]["rs"][held_rs][1] == 0
        assert [fetch(lab) for _ in range(4)] == [other] * 4
        r = ka.get()
        assert r["ok"] and r["body"].split()[0] == held, f"keep-alive after drain: {r}"
        rows = ln_rows(v)[f"TCP {SVC}"]["rs"]
        assert rows[held_rs][2] >= 1, f"the open connection is not active on {held_rs}: {rows}"

        # remove it: its sessions' packets are dropped (expire_nodest_conn = false)
        before = v.counters("stats")["drop_dest_unavailable"]
        ok(v, "del-rs", SVC, held_rs)
        assert set(ln_rows(v)[f"TCP {SVC}"]["rs"]) == {ADDR_OF[other]}
        r = ka.get()
        assert not r["ok"], f"a connection to a removed real server still served: {r}"
        after = v.counters("stats")["drop_dest_unavailable"]
        assert after > before, "no dest_unavailable drop counted"
    assert [fetch(lab) for _ in range(3)] == [other] * 3


# -- refusals -------------------------------------------------------------------------------------

BAD = [
    # (vipctl arguments, what the reason must say, exit status)
    (["bogus"], "unknown command 'bogus'", 2),
    (["add-service", "10.99.0.300:80"], "bad service '10.99.0.300:80'", 1),
    (["add-service", "10.99.0.100"], "bad service", 1),
    (["add-rs", SVC, "10.99.0.11:0"], "bad real server", 1),
    (["-a", "-t", SVC, "-r", "10.99.0.999:80", "-g"], "bad real server", 1),
    (["add-service", f"{VIP}:81", "scheduler=nosuch"], "unknown scheduler 'nosuch'", 1),
    (["-A", "-t", f"{VIP}:81", "-s", "nosuch"], "unknown scheduler 'nosuch'", 1),
    (["add-service", f"{VIP}:81", "forwarding=XYZ"], "unknown forwarding", 1),
    (["edit-service", SVC, "colour=blue"], "unknown service option 'colour'", 1),
    (["weight", SVC, RS1, "70000"], "weight '70000' out of range 0..65535", 1),
    (["-e", "-t", SVC, "-r", RS1, "-g", "-w", "70000"], "out of range 0..65535", 1),
    (["weight", SVC, RS1, "1x"], "weight '1x' out of range", 1),
    (["add-service", SVC], f"service {SVC} exists", 1),
    (["-A", "-t", SVC, "-s", "rr"], "exists", 1),
    (["add-rs", SVC, RS1], f"real server {RS1} exists", 1),
    (["add-rs", SVC, "10.99.0.13:8080"], "DR and TUN cannot change the port", 1),
    (["del-service", f"{VIP}:9999"], f"no service {VIP}:9999", 1),
    (["-D", "-t", f"{VIP}:9999"], "no service", 1),
    (["add-rs", f"{VIP}:9999", RS1], "no service", 1),
    (["weight", f"{VIP}:9999", RS1, "1"], "no service", 1),
    (["del-rs", SVC, "10.99.0.13:80"], "no real server 10.99.0.13:80", 1),
    (["del-service", f"{VIP}:80/SCTP"], "bad service", 1),
    (["timeout", "0", "10", "10"], "out of range 1..604800", 1),
    (["timeout", "10", "10"], "usage: timeout", 1),
    (["weight", SVC, RS1], "usage: weight", 1),
    (["-a", "-t", SVC, "-g"], "needs -t|-u VIP:PORT and -r RS:PORT", 2),
    (["-L", "-n", "--bogus"], "unexpected '--bogus'", 2),
]


def test_bad_commands_refused_with_reason(lab, web):
    v = web
    before = listing(v, "-ln")
    before_rs = ops.rs_rows(v)
    fails = []
    for args, reason, rc in BAD:
        cp = ops.vipctl(v, *args)
        if cp.returncode != rc or reason not in cp.stderr:
            fails.append(f"vipctl {' '.join(args)}: rc={cp.returncode} (want {rc}), "
                         f"stderr {cp.stderr.strip()!r} (want {reason!r})")
    assert not fails, "\n".join(fails)
    assert listing(v, "-ln") == before, "a refused command changed the configuration"
    assert [(r["address"], r["weight"]) for r in ops.rs_rows(v)] == \
        [(r["address"], r["weight"]) for r in before_rs]


def test_control_socket_protocol_refusals(web):
    """The socket itself: one line in, one JSON line out, a reason on every refusal."""
    v = web
    cases = {
        "": "empty command",
        "nosuch a b": "unknown command 'nosuch'",
        "x" * 2000: "longer than 1024 bytes",
        "weight 10.99.0.100:80 10.99.0.11:80": "usage: weight",
        "add-service 1.2.3.4:80 scheduler=rr forwarding=DR persistence_timeout=1 x=1":
            "usage: add-service",
    }
    for line, reason in cases.items():
        ans = ops.ctl_request(v, line)
        assert ans.get("ok") is False and reason in ans.get("error", ""), (line[:40], ans)
    ans = ops.ctl_request(v, "flush")
    assert ans == {"ok": True, "msg": "sessions flushed on every worker"}, ans


def test_control_socket_is_root_only(web):
    v = web
    path = ops.ctl_path(v)
    st = os.stat(path)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o600, f"{path} mode {oct(stat.S_IMODE(st.st_mode))}"
    assert st.st_uid == 0
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return
    # an unprivileged user is refused (the runtime directory is 0700 too)
    cp = labmod.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
                     labmod.PYTHON, "-c",
                     "import socket,sys\n"
                     "s=socket.socket(socket.AF_UNIX)\n"
                     "try:\n s.connect(sys.argv[1])\nexcept PermissionError:\n sys.exit(13)\n"
                     "sys.exit(0)", str(path)], check=False)
    assert cp.returncode == 13, f"nobody could connect to {path}: rc={cp.returncode} {cp.stderr}"


# -- listings against golden files --------------------------------------------------------------

SPOOF = "10.99.0.77"     # no host holds it: the real servers' answers go nowhere


def test_ipvsadm_listings_match_golden(lab, web):
    """A fixed set of changes and exactly known packets (SYNs and UDP datagrams from an
    address nobody answers), then -ln, -ln --stats, -ln --rate, -lnc and stats compared
    with tests/golden/.  Only the session expiry (counts down) and the table order of
    -lnc, MAC addresses and the port/total counters of `stats` (ARP, kernel traffic)
    are normalised."""
    v = web
    ok(v, "-A", "-t", f"{VIP}:8080", "-s", "wlc")
    ok(v, "-a", "-t", f"{VIP}:8080", "-r", "10.99.0.11:8080", "-g", "-w", "1")
    ok(v, "-a", "-t", f"{VIP}:8080", "-r", "10.99.0.12:8080", "-g", "-w", "2")
    ok(v, "-E", "-t", f"{VIP}:8080", "-s", "wrr")
    ok(v, "-A", "-u", f"{VIP}:5353", "-s", "rr", "-p", "120")
    ok(v, "add-rs", f"{VIP}:5353/UDP", "10.99.0.11:5353")
    ok(v, "add-rs", f"{VIP}:5353/UDP", "10.99.0.12:5353", "weight=3")
    ok(v, "timeout", "900", "120", "300")
    ops.wait_macs(v)

    frames = ops.syn_frames(lab, SPOOF, 8080, range(41001, 41007))
    frames += ops.udp_frames(lab, SPOOF, 5353, range(5001, 5005))
    assert lab.send_frames("client", frames) == 10

    def settled():
        a = ops.svc_row(v, f"{VIP}:8080/TCP")
        b = ops.svc_row(v, f"{VIP}:5353/UDP")
        return a["pkts"] == 6 and b["pkts"] == 4 and v.counters("stats")["sessions"] == 10
    ops.wait_for(settled, 5, what="10 packets counted")

    outputs = {
        "ops_ln.txt": listing(v, "-ln"),
        "ops_ln_stats.txt": listing(v, "-L", "-n", "--stats"),
        "ops_ln_rate.txt": listing(v, "-ln", "--rate"),
        "ops_lnc.txt": ops.normalize_lnc(listing(v, "-lnc")),
        "ops_stats.txt": ops.normalize_stats(listing(v, "stats")),
    }
    # the expiry normalised away above: SYN_RECV 60 s, UDP 300 s (udp_timeout)
    for line in listing(v, "-lnc").splitlines()[2:]:
        f = line.split()
        mm, ss = (int(x) for x in f[1].split(":"))
        limit = 60 if f[2] == "SYN_RECV" else 300
        assert 0 < mm * 60 + ss <= limit, line
    diffs = []
    for name, text in outputs.items():
        want, got = ops.golden(name, text)
        if want != got:
            diffs.append(f"--- tests/golden/{name}\n{want}+++ got\n{got}")
    assert not diffs, "\n".join(diffs)


def test_lnc_lists_connections_and_flush_empties_table(lab, web):
    v = web
    with ops.KeepAlive(lab) as ka:
        r = ka.get()
        assert r["ok"], r
        rs = ADDR_OF[r["body"].split()[0]]
        ok(v, "timeout", "30", "20", "10")
        assert ka.get()["ok"]         # refreshes the session under the new timeout
        lines = listing(v, "-lnc").splitlines()
        assert lines[:2] == ["IPVS connection entries",
                             "pro expire state       source             virtual"
                             "            destination"], lines[:2]
        mine = [x.split() for x in lines[2:] if f"10.99.0.10:{ka.sport} " in x + " "]
        assert len(mine) == 1, f"keep-alive connection :{ka.sport} not in -lnc:\n" + \
            "\n".join(lines)
        proto, expire, state, src, vip, dst = mine[0]
        assert (proto, state, vip, dst) == ("TCP", "ESTABLISHED", f"{VIP}:80", rs), mine
        mm, ss = (int(x) for x in expire.split(":"))
        assert 0 < mm * 60 + ss <= 30, f"expiry {expire} after timeout 30"
        # the same session through telemetry
        sess = v.counters("sessions")
        assert any(s["source"] == src and s["destination"] == rs for s in sess.values()), sess
        assert v.counters("stats")["sessions"] >= 1

        ok(v, "flush")
        ops.wait_sessions(v, lambda n: n == 0)
        assert listing(v, "-lnc").splitlines()[2:] == []
        assert v.counters("sessions") in ({}, None) or len(v.counters("sessions")) == 0
        rows = ln_rows(v)[f"TCP {SVC}"]["rs"]
        assert all(x[2] == 0 and x[3] == 0 for x in rows.values()), \
            f"ActiveConn/InActConn not back to 0 after flush: {rows}"
    # new connections make new sessions
    fetch(lab)
    assert v.counters("stats")["sessions"] >= 1


# -- regressions: bugs found by these tests, fixed in vipd -------------------------------------

def test_many_changes_keep_being_applied(web):
    """vipd kept every replaced config until shutdown (grave[256]): after ~256 changes
    every change, reloads included, was refused with 'Device or resource busy'."""
    v = web
    for i in range(300):
        if i % 25 == 0:
            time.sleep(0.05)    # let retired snapshots be reclaimed (10 ms timer)
        ans = ops.ctl_request(v, f"weight {SVC} {RS1} {1 + i % 5}")
        assert ans.get("ok"), f"change {i + 1} refused: {ans}"
    cp = ops.vipctl(v, "reload")
    assert cp.returncode == 0, cp.stderr


def test_pipelined_changes_all_applied(web):
    """More than 64 changes before the 10 ms reclaim timer (lines sent together on one
    connection) were refused (RETIRED_MAX)."""
    v = web
    lines = [f"weight {SVC} {RS1} {w}" for w in range(1, 81)]
    answers = ops.ctl_pipeline(v, lines)
    assert v.alive(), "vipd died"
    assert len(answers) == len(lines)
    refused = [(i + 1, a) for i, a in enumerate(answers) if not a.get("ok")]
    assert not refused, f"{len(refused)} changes refused, first: {refused[0]}"
    assert ln_rows(v)[f"TCP {SVC}"]["rs"][RS1][1] == 80


def test_burst_of_changes_leaves_vipd_consistent(web):
    """A change refused after model_apply had swapped model.conf left it freed: the
    next changes read freed memory ('no service' for a service that exists) and vipd
    died with SIGSEGV.  A burst of changes of several kinds, sent together, must all
    apply, and vipd must go on answering with the resulting configuration."""
    v = web
    lines = []
    for i in range(1, 41):
        lines += [f"weight {SVC} {RS1} {i}", f"add-service {VIP}:{9000 + i}",
                  f"add-rs {VIP}:{9000 + i} 10.99.0.12:{9000 + i}"]
    lines += [f"del-service {VIP}:{9000 + i}" for i in range(1, 41, 2)]
    answers = ops.ctl_pipeline(v, lines)
    time.sleep(0.2)
    assert v.alive(), f"vipd died (rc {v.proc.poll()}) after {len(answers)} answers"
    assert len(answers) == len(lines)
    bad = [(lines[i], a) for i, a in enumerate(answers) if not a.get("ok")]
    assert not bad, f"{len(bad)} refused, first: {bad[0]}"
    ans = ops.ctl_request(v, f"weight {SVC} {RS2} 7")
    assert ans.get("ok"), ans
    rows = ln_rows(v)
    assert (rows[f"TCP {SVC}"]["rs"][RS1][1], rows[f"TCP {SVC}"]["rs"][RS2][1]) == (40, 7)
    want = {f"TCP {VIP}:{9000 + i}" for i in range(2, 41, 2)} | {f"TCP {SVC}"}
    assert set(rows) == want, set(rows) ^ want
    assert all(list(rows[f"TCP {VIP}:{9000 + i}"]["rs"]) == [f"10.99.0.12:{9000 + i}"]
               for i in range(2, 41, 2))
    assert v.alive()


def test_new_service_counters_start_at_zero(lab, web):
    """A service added after one was deleted reused its slot and its counters."""
    v = web
    ok(v, "add-service", f"{VIP}:8080", "scheduler=rr")
    ok(v, "add-rs", f"{VIP}:8080", "10.99.0.11:8080")
    ops.wait_macs(v)
    frames = ops.syn_frames(lab, SPOOF, 8080, range(42001, 42004))
    lab.send_frames("client", frames)
    ops.wait_for(lambda: ops.svc_row(v, f"{VIP}:8080/TCP")["pkts"] == 3, 5)
    ok(v, "del-service", f"{VIP}:8080")
    ok(v, "add-service", f"{VIP}:8081", "scheduler=rr")
    row = ops.svc_row(v, f"{VIP}:8081/TCP")
    assert (row["pkts"], row["bytes"], row["conns"]) == (0, 0, 0), \
        f"a new service that saw no packet: {row}"


def test_new_real_server_counters_start_at_zero(lab, web):
    """A real server added after one was removed reused its slot, its counters and
    its ActiveConn/InActConn."""
    v = web
    for _ in range(4):
        fetch(lab)
    ops.wait_for(lambda: ops.svc_row(v, f"{SVC}/TCP")["conns"] == 4, 5)
    ok(v, "del-rs", SVC, RS2)
    time.sleep(0.3)         # the slot is reclaimed after a grace period
    ok(v, "add-service", f"{VIP}:8081", "scheduler=rr")
    ok(v, "add-rs", f"{VIP}:8081", "10.99.0.11:8081")
    rows = [r for r in ops.rs_rows(v, f"{VIP}:8081/TCP")]
    assert len(rows) == 1
    r = rows[0]
    assert (r["pkts"], r["conns"], r["active"], r["inactive"]) == (0, 0, 0, 0), \
        f"a new real server that saw no packet: {r}"


def test_quiesce_missing_argument_says_usage(web):
    """quiesce/drain/flush with a wrong argument count were answered 'unknown command'."""
    for line in (f"quiesce {SVC}", f"drain {SVC}", "flush now"):
        ans = ops.ctl_request(web, line)
        assert ans.get("ok") is False
        assert "usage" in ans.get("error", ""), (line, ans)


def test_ipvsadm_real_server_without_port(web):
    """ipvsadm's -r ADDR without :PORT takes the service's port."""
    cp = ops.vipctl(web, "-a", "-t", f"{VIP}:80", "-r", "10.99.0.13", "-g")
    assert cp.returncode == 0, cp.stderr
    assert "10.99.0.13:80" in listing(web, "-ln")


def test_status_shows_services_and_their_live_real_servers(lab, web):
    """vipctl status: forwarding totals, the worker, each service with how many
    real servers are up; removing one shows in the count."""
    fetch(lab)
    cp = ops.vipctl(web, "status")
    assert cp.returncode == 0, cp.stderr
    assert "worker 0:" in cp.stdout, cp.stdout
    # What a packet cost the worker: TSC cycles of its busy loops over their packets.
    w0 = json.loads(listing(web, "status", "--json"))["workers"]["w0"]
    assert w0["busy_packets"] > 0 and w0["busy_cycles"] > 0 and w0["tsc_hz"] > 0, w0
    cpp = float(w0["cycles_per_packet"])
    assert abs(cpp - w0["busy_cycles"] / w0["busy_packets"]) <= 0.05 * cpp + 0.1, w0
    assert re.search(r"worker 0: .*, [0-9]+\.[0-9] cycles/packet,", cp.stdout), cp.stdout
    assert f"service {VIP}:80/TCP rr DR: 2 of 2 real servers up" in cp.stdout, cp.stdout
    ok(web, "del-rs", SVC, "10.99.0.12:80")
    cp = ops.vipctl(web, "status")
    assert f"service {VIP}:80/TCP rr DR: 1 of 1 real servers up" in cp.stdout, cp.stdout
