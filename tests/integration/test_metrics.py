"""vipd's Prometheus endpoint (global.metrics_listen) and its DPDK telemetry commands, on
dir1 of the lab.

  * /metrics is parsed by prometheus_client's parser: every line parses, every family
    has HELP and TYPE, names are unique, the content type is Prometheus' text format;
  * the values follow the traffic sent (connections exactly, packets at least 3 per
    request), agree with /vipd/services, new sessions per second, drops by every reason
    of dataplane/drop.h;
  * real server series follow a reload (a removed real server's series disappear) and
    its health check (vipd_realserver_up 1 -> 0);
  * off by default; only GET /metrics is served;
  * Debian's dpdk-telemetry.py answers /vipd/stats, /vipd/services, /vipd/realservers,
    /vipd/sessions (and /vipd/ports).
"""

import os
import re
import signal

import pytest

import lab as labmod
import lab_ops as ops

prom_parser = pytest.importorskip("prometheus_client.parser",
                                  reason="python3-prometheus-client (scripts/setup.sh)")

VIP = labmod.VIP
SVC = f"{VIP}:80/TCP"
LISTEN = "10.99.0.2:9100"
METRICS_URL = f"http://{LISTEN}/metrics"
RS1, RS2 = "10.99.0.11:80", "10.99.0.12:80"
SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')

pytestmark = pytest.mark.skipif(not labmod.VIPD.exists() or not labmod.VIPCTL.exists(),
                                reason="build/vipd and build/vipctl not built yet")

TCP_CHECK = ("TCP_CHECK = { connect_timeout = 1; retry = 0; delay_loop = 0.5; warmup = 0; "
             "delay_before_retry = 0; };")


def conf(rs2_check=False, rss=("rs1", "rs2"), listen=LISTEN, inhibit=False):
    svc = ops.web_service(80, rss=rss)
    if rs2_check and len(rss) > 1:
        svc["real_servers"][1]["extra"] = ("inhibit_on_failure = true; " if inhibit else "") + \
            TCP_CHECK
    return ops.ops_conf([svc], metrics_listen=listen)


@pytest.fixture
def vipd(lab, directors):
    v = directors.start("dir1", conf(), fresh=True)
    ops.wait_macs(v)
    return v


def scrape(lab, url=METRICS_URL):
    """(headers text, body) of GET url from the client."""
    cp = lab.curl("client", url, extra=["-D", "/dev/stderr"], max_time=5)
    assert cp.returncode == 0, f"GET {url}: rc={cp.returncode} {cp.stderr}"
    return cp.stderr, cp.stdout


def parse(text):
    """{family name: family}; every sample line must parse, HELP and TYPE on every family."""
    fams = {}
    for fam in prom_parser.text_string_to_metric_families(text):
        assert fam.name not in fams, f"family {fam.name} twice"
        fams[fam.name] = fam
    n_samples = 0
    for line in text.splitlines():
        if not line or line.startswith("#"):
            assert not line or re.match(r"^# (HELP|TYPE) ", line), f"stray comment {line!r}"
            continue
        assert SAMPLE_RE.match(line), f"not a sample line: {line!r}"
        parsed = list(prom_parser.text_string_to_metric_families(line + "\n"))
        assert len(parsed) == 1 and len(parsed[0].samples) == 1, f"does not parse: {line!r}"
        n_samples += 1
    assert sum(len(f.samples) for f in fams.values()) == n_samples
    helps = set(re.findall(r"^# HELP (\S+) \S", text, re.M))
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name = SAMPLE_RE.match(line).group(1)
            assert name in helps, f"{name}: no # HELP"
            assert types.get(name) in ("counter", "gauge"), f"{name}: TYPE {types.get(name)}"
    for fam in fams.values():
        assert fam.documentation, f"{fam.name}: empty HELP"
        assert fam.type in ("counter", "gauge"), f"{fam.name}: type {fam.type}"
    return fams


def value(fams, family, **labels):
    """The value of the one sample of family (counter names without _total) with labels."""
    fam = fams[family]
    got = [s.value for s in fam.samples
           if all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(got) == 1, f"{family}{labels}: {len(got)} samples in {fam.samples}"
    return got[0]


def series(fams, family):
    return [s.labels for s in fams[family].samples] if family in fams else []


def metrics(lab):
    return parse(scrape(lab)[1])


# -- the format ------------------------------------------------------------------------------

def test_metrics_parse_with_prometheus_parser(lab, vipd):
    headers, body = scrape(lab)
    assert re.search(r"^HTTP/1\.[01] 200", headers), headers
    ctype = re.search(r"(?im)^content-type:\s*(.+?)\s*$", headers).group(1)
    assert ctype.startswith("text/plain") and "version=0.0.4" in ctype, ctype
    fams = parse(body)
    print(f"{len(fams)} families, {sum(len(f.samples) for f in fams.values())} samples")
    want = {"vipd_service_packets", "vipd_service_bytes", "vipd_service_connections",
            "vipd_service_active_sessions", "vipd_service_inactive_sessions",
            "vipd_service_new_sessions_per_second", "vipd_realserver_packets",
            "vipd_realserver_connections", "vipd_realserver_up", "vipd_realserver_weight",
            "vipd_drops", "vipd_port_rx_packets", "vipd_port_tx_packets",
            "vipd_worker_busy_ratio", "vipd_worker_sessions", "vipd_vrrp_master",
            "vipd_worker_busy_cycles", "vipd_worker_busy_packets"}
    assert want <= set(fams), f"missing families: {want - set(fams)}"
    for name, fam in fams.items():
        if fam.type == "counter":
            assert all(s.name.endswith("_total") for s in fam.samples), name
            assert all(s.value >= 0 and s.value == int(s.value) for s in fam.samples), name
    assert {tuple(sorted(x.items())) for x in series(fams, "vipd_realserver_up")} == {
        (("realserver", RS1), ("service", SVC)), (("realserver", RS2), ("service", SVC))}
    assert value(fams, "vipd_realserver_up", realserver=RS1) == 1
    assert value(fams, "vipd_realserver_weight", realserver=RS2) == 1
    for s in fams["vipd_worker_busy_ratio"].samples:
        assert 0 <= s.value <= 1, s
    # The worker handled the test's packets, and its busy loops took time.
    assert value(fams, "vipd_worker_busy_packets", worker="0") > 0
    assert value(fams, "vipd_worker_busy_cycles", worker="0") > 0


def test_metrics_http_only_get_metrics(lab, vipd):
    cp = lab.curl("client", METRICS_URL, extra=["-X", "POST", "-o", "/dev/null",
                                               "-w", "%{http_code}"])
    assert cp.stdout == "405", cp.stdout
    cp = lab.curl("client", f"http://{LISTEN}/other", extra=["-o", "/dev/null",
                                                             "-w", "%{http_code}"])
    assert cp.stdout == "404", cp.stdout


def test_metrics_off_by_default(lab, directors):
    v = directors.start("dir1", ops.ops_conf([ops.web_service(80)]), fresh=True)
    assert "metrics on" not in v.log()
    cp = lab.curl("client", METRICS_URL, max_time=2)
    assert cp.returncode == 7, f"something answers on {LISTEN}: rc={cp.returncode} {cp.stdout}"


# -- values ----------------------------------------------------------------------------------

def test_metrics_follow_traffic(lab, vipd):
    v = vipd
    fams0 = metrics(lab)
    assert value(fams0, "vipd_service_connections", service=SVC) == 0
    drops0 = value(fams0, "vipd_drops", port="lan0", reason="no_service")
    n = 10
    for _ in range(n):
        cp = lab.curl("client", f"http://{VIP}/")
        assert cp.returncode == 0, cp.stderr
    # a few SYNs to a port without a service: counted as drops, reason no_service
    lab.send_frames("client", ops.syn_frames(lab, "10.99.0.77", 81, range(43001, 43004)))

    seen_cps = []

    def settled():
        f = metrics(lab)
        seen_cps.append(value(f, "vipd_service_new_sessions_per_second", service=SVC))
        return f if value(f, "vipd_drops", port="lan0", reason="no_service") >= drops0 + 3 \
            else None
    fams = ops.wait_for(settled, 5, what="drops counted")
    pk = value(fams, "vipd_service_packets", service=SVC)
    assert value(fams, "vipd_service_connections", service=SVC) == n
    assert pk >= 3 * n, f"{pk} packets for {n} requests"
    assert value(fams, "vipd_service_bytes", service=SVC) > 40 * pk
    assert value(fams, "vipd_service_out_packets", service=SVC) == 0      # DR
    rs_conns = [value(fams, "vipd_realserver_connections", realserver=r) for r in (RS1, RS2)]
    assert rs_conns == [n // 2, n // 2], rs_conns
    assert sum(value(fams, "vipd_realserver_packets", realserver=r) for r in (RS1, RS2)) == pk
    assert value(fams, "vipd_port_rx_packets", port="lan0") >= pk + 3
    assert value(fams, "vipd_drops", port="lan0", reason="no_service") == drops0 + 3

    # the same counters as telemetry, while nothing moves
    row = ops.svc_row(v, SVC)
    assert (row["pkts"], row["bytes"], row["conns"]) == (
        pk, value(fams, "vipd_service_bytes", service=SVC), n), row
    st = v.counters("stats")
    assert st["drop_no_service"] == value(fams, "vipd_drops", port="lan0", reason="no_service")

    # every drop reason of dataplane/drop.h is exported, and by /vipd/stats
    reasons = ops.drop_reasons()
    assert len(reasons) >= 20, reasons
    exported = {s.labels["reason"] for s in fams["vipd_drops"].samples
                if s.labels.get("port") == "lan0"}
    assert exported == set(reasons), set(reasons) ^ exported
    assert {k[5:] for k in st if k.startswith("drop_") and k != "drop_total"} == set(reasons)

    # new sessions per second: seen above 0 within two 1 s samples, back to 0 when idle
    ops.wait_for(lambda: seen_cps.append(value(metrics(lab),
                                               "vipd_service_new_sessions_per_second",
                                               service=SVC)) or max(seen_cps) > 0,
                 3, interval=0.25, what="new_sessions_per_second > 0")
    ops.wait_for(lambda: value(metrics(lab), "vipd_service_new_sessions_per_second",
                               service=SVC) == 0, 4, interval=0.25,
                 what="new_sessions_per_second back to 0")
    assert max(seen_cps) <= n


def test_removed_real_server_disappears_from_metrics(lab, vipd):
    v = vipd
    for _ in range(4):
        lab.curl("client", f"http://{VIP}/", check=True)
    fams = metrics(lab)
    rs1_pk = value(fams, "vipd_realserver_packets", realserver=RS1)
    assert value(fams, "vipd_realserver_up", realserver=RS2) == 1
    v.conf.write_text(conf(rss=("rs1",)))
    os.kill(v.pid, signal.SIGHUP)
    ops.wait_for(lambda: len(ops.rs_rows(v)) == 1, 5, what="rs2 removed")
    fams = metrics(lab)
    for fam in ("vipd_realserver_up", "vipd_realserver_packets", "vipd_realserver_weight"):
        assert [x["realserver"] for x in series(fams, fam)] == [RS1], (fam, series(fams, fam))
    assert value(fams, "vipd_realserver_up", realserver=RS1) == 1
    assert value(fams, "vipd_realserver_packets", realserver=RS1) == rs1_pk, \
        "the kept real server's counters were reset"
    assert value(fams, "vipd_service_connections", service=SVC) == 4


def test_realserver_up_follows_health_check(lab, directors):
    v = directors.start("dir1", conf(rs2_check=True), fresh=True)
    try:
        ops.wait_for(lambda: value(metrics(lab), "vipd_realserver_up", realserver=RS2) == 1,
                     5, what="rs2 up")
        assert "TCP_CHECK" in ops.vipctl(v, "checks").stdout
        lab.stop_rs("rs2")
        ops.wait_for(lambda: value(metrics(lab), "vipd_realserver_up", realserver=RS2) == 0,
                     8, what="vipd_realserver_up 0 for rs2")
        assert value(metrics(lab), "vipd_realserver_up", realserver=RS1) == 1   # no check
        lab.start_rs("rs2")
        ops.wait_for(lambda: value(metrics(lab), "vipd_realserver_up", realserver=RS2) == 1,
                     8, what="rs2 up again")
    finally:
        lab.start_rs("rs2")


# -- DPDK's telemetry client -----------------------------------------------------------------

def test_dpdk_telemetry_py_answers_vipd_commands(lab, vipd):
    v = vipd
    with ops.KeepAlive(lab) as ka:
        assert ka.get()["ok"]
        ans = ops.dpdk_telemetry(v.file_prefix, [
            "/", "/vipd/stats", "/vipd/services", "/vipd/realservers",
            f"/vipd/realservers,{SVC}", "/vipd/sessions", "/vipd/sessions,1", "/vipd/ports",
            "/help,/vipd/sessions"])
    listed = ans["/"]
    for cmd in ("/vipd/stats", "/vipd/services", "/vipd/realservers", "/vipd/sessions",
                "/vipd/ports"):
        assert cmd in listed, f"{cmd} not in / : {listed}"
    st = ans["/vipd/stats"]
    assert st["sessions"] >= 1 and st["rx_pkts"] > 0 and "drop_total" in st, st
    svcs = list(ans["/vipd/services"].values())
    assert [s["service"] for s in svcs] == [SVC], svcs
    assert svcs[0]["scheduler"] == "rr" and svcs[0]["conns"] >= 1
    rss = ans["/vipd/realservers"]
    assert sorted(f"{r['address']}:{r['port']}" for r in rss.values()) == [RS1, RS2], rss
    one_svc = ans[f"/vipd/realservers,{SVC}"]
    assert sorted(f"{r['address']}:{r['port']}" for r in one_svc.values()) == [RS1, RS2]
    assert ops.dpdk_telemetry(v.file_prefix, ["/vipd/realservers,10.99.0.100:81/TCP"]) == \
        {"/vipd/realservers,10.99.0.100:81/TCP": {}}
    sess = ans["/vipd/sessions"]
    mine = [s for s in sess.values() if s["source"] == f"10.99.0.10:{ka.sport}"]
    assert len(mine) == 1 and mine[0]["state"] == "ESTABLISHED", sess
    assert mine[0]["virtual"] == f"{VIP}:80" and mine[0]["destination"] in (RS1, RS2)
    assert len(ans["/vipd/sessions,1"]) == 1, ans["/vipd/sessions,1"]
    ports = list(ans["/vipd/ports"].values())
    assert [p["name"] for p in ports] == ["lan0"], ports
    helptext = ans["/help,/vipd/sessions"]
    helptext = helptext.get("/vipd/sessions", "") if isinstance(helptext, dict) else helptext
    assert isinstance(helptext, str) and "session" in helptext.lower(), helptext


# -- regressions of fixed vipd bugs -----------------------------------------------------------

def test_check_validates_metrics_listen(tmp_path):
    bad = []
    for val in ("nonsense", "10.99.0.2:0", "10.99.0.2:70000", "10.99.0.2"):
        path = tmp_path / "m.conf"
        text = ops.ops_conf([ops.web_service(80)], metrics_listen=val)
        path.write_text(text)
        line = ops.line_of(text, "metrics_listen")
        cp = labmod.run([labmod.VIPD, "--check", "-f", path], check=False)
        if cp.returncode == 0 or f"{path}:{line}:" not in cp.stdout + cp.stderr:
            bad.append(val)
    assert not bad, f"vipd --check accepts metrics_listen {bad}"


def test_reload_moves_metrics_listen(lab, vipd):
    v = vipd
    v.conf.write_text(conf(listen="10.99.0.2:9200"))
    cp = ops.vipctl(v, "reload")
    if cp.returncode != 0:
        assert "restart" in cp.stderr, cp.stderr     # refusing with the reason is fine too
        return
    assert lab.curl("client", "http://10.99.0.2:9200/metrics").returncode == 0, \
        "reload said applied, but nothing listens on the new metrics_listen"


def test_realserver_up_follows_check_with_inhibit_on_failure(lab, directors):
    v = directors.start("dir1", conf(rs2_check=True, inhibit=True), fresh=True)
    try:
        lab.stop_rs("rs2")
        ops.wait_for(lambda: value(metrics(lab), "vipd_realserver_weight",
                                   realserver=RS2) == 0, 8, what="rs2 weight 0")
        assert "down" in ops.vipctl(v, "checks").stdout
        assert value(metrics(lab), "vipd_realserver_up", realserver=RS2) == 0
    finally:
        lab.start_rs("rs2")
