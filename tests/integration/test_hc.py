"""Health checks (hc/) end to end in the namespace lab: vipd on dir1 checks real nginx
servers and servers made to misbehave, through its TAP twin, and the verdicts change
what the dataplane does.

  * the reference scenario's HTTP_GET (delay_loop 6, connect_timeout 3, retry 3,
    delay_before_retry 3): nginx stopped on rs1 -> removed within
    delay_loop + retry x (connect_timeout + delay_before_retry), every new request on
    rs2, email alerts; nginx back -> traffic shared again
  * one vipd with ~30 services, each checked against one behaviour: wrong status, wrong
    digest, slow, refused, silent, garbage, good variants (Content-Length, chunked,
    close-delimited, virtualhost, status lists), SSL_GET with SNI against nginx with a
    self-signed certificate, TCP_CHECK, MISC_CHECK (exit codes, timeout, misc_dynamic),
    DNS_CHECK against dnsmasq, SMTP_CHECK against aiosmtpd, alpha
  * quorum + sorry_server + notify/quorum scripts + email + omega
  * inhibit_on_failure (weight 0 instead of removal)

Short timings (delay_loop 1, connect_timeout 1, retry 0) everywhere but the reference
test keep the file to about two minutes.
"""

import json
import re
import time
from pathlib import Path

import pytest

import lab as labmod
import lab_hc

VIP = labmod.VIP
RS1, RS2 = "10.99.0.11", "10.99.0.12"
MAIL = labmod.MAIL_ADDR
URL = f"http://{VIP}/"

pytestmark = pytest.mark.skipif(not labmod.VIPD.exists(),
                                reason=f"{labmod.VIPD} not built yet (run scripts/setup.sh)")

HEAD = """\
global = {{
    router_id = "director1";
{glob}
}};
dpdk = {{ workers = 1; eal_args = [ "--no-pci" ]; }};
ports = ( {{ name = "lan0"; device = "net_af_packet0,iface=lan0"; address = "10.99.0.2/24"; }} );
virtual_servers = (
{services}
);
"""

FAST = {"connect_timeout": 1, "retry": 0, "delay_before_retry": 1, "delay_loop": 1}


def q(s):
    return json.dumps(s)


def check(kind, urls=None, **kw):
    """A check group: check("HTTP_GET", [{"path": "/", "digest": ...}], connect_port=1)."""
    items = []
    if urls is not None:
        us = []
        for u in urls:
            parts = [f"path = {q(u.get('path', '/'))};"]
            if "digest" in u:
                parts.append(f"digest = {q(u['digest'])};")
            if "status" in u:
                st = u["status"]
                if isinstance(st, list):
                    # a list, not an array: libconfig arrays hold one type
                    st = "( " + ", ".join(q(x) if isinstance(x, str) else str(x) for x in st) + " )"
                elif isinstance(st, str):
                    st = q(st)
                parts.append(f"status_code = {st};")
            us.append("{ " + " ".join(parts) + " }")
        items.append("url = ( " + ", ".join(us) + " );")
    base = dict(FAST)
    if kind == "MISC_CHECK":
        base.pop("connect_timeout")  # no connection keys for MISC_CHECK (as keepalived)
    for k, v in {**base, **kw}.items():
        if v is None:
            continue
        if isinstance(v, bool):
            v = "true" if v else "false"
        elif isinstance(v, str):
            v = q(v)
        items.append(f"{k} = {v};")
    return f"{kind} = {{ {' '.join(items)} }};"


def rs(addr, port, chk="", **kw):
    extra = " ".join(f"{k} = {q(v) if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else v};"
                     for k, v in kw.items())
    return f'{{ address = "{addr}"; port = {port}; {extra} {chk} }}'


def vs(port, rss, proto="TCP", **kw):
    extra = " ".join(f"{k} = {v};" if not isinstance(v, str) or v.startswith("{") else f"{k} = {q(v)};"
                     for k, v in kw.items())
    extra = extra.replace("= True;", "= true;").replace("= False;", "= false;")
    return (f'  {{ address = "{VIP}"; port = {port}; protocol = "{proto}"; scheduler = "rr"; '
            f'forwarding = "DR"; {extra}\n    real_servers = ( {", ".join(rss)} ); }}')


def conf(services, glob=""):
    return HEAD.format(glob=glob, services=",\n".join(services))


def email_glob(port=25):
    return (f'    notification_email = [ "ops@lab.invalid" ];\n'
            f'    notification_email_from = "vipd@director1.lab.invalid";\n'
            f'    smtp_server = "{MAIL}";\n    smtp_port = {port};\n'
            f'    smtp_connect_timeout = 5;')


def fetch(lab, max_time=3):
    cp = lab.curl("client", URL, max_time=max_time)
    assert cp.returncode == 0, f"curl {URL}: rc={cp.returncode} {cp.stderr.strip()}"
    return cp.stdout.split()[0] if cp.stdout.split() else ""


def served(lab, n=8):
    return [fetch(lab) for _ in range(n)]


def wait_log(v, pattern, timeout, start=0):
    """The first log line (after offset start) matching pattern."""
    rx = re.compile(pattern)

    def found():
        for line in v.log()[start:].splitlines():
            if rx.search(line):
                return line
        return None
    return lab_hc.wait_for(found, timeout, what=f"log line /{pattern}/ of {v}")


def row(v, addr, port=None, service=None):
    r = lab_hc.check_by(lab_hc.checks(v), addr, port, service)
    assert r is not None, f"no check row for {addr}:{port} {service}"
    return r


def wait_state(v, addr, state, timeout, port=None, service=None):
    def ok():
        r = lab_hc.check_by(lab_hc.checks(v), addr, port, service)
        return r if r and r["state"] == state and r["checks"] > 0 else None
    return lab_hc.wait_for(ok, timeout, what=f"{addr}:{port} {service or ''} {state}")


def strip_vrrp(text):
    """The reference config without its vrrp_instances list: this file tests checks,
    and a VIP that no VRRP instance names is always owned."""
    start = text.find("vrrp_instances")
    if start < 0:
        return text
    i = text.index("(", start)
    depth = 0
    for j in range(i, len(text)):
        if text[j] == "(":
            depth += 1
        elif text[j] == ")":
            depth -= 1
            if depth == 0:
                end = text.index(";", j) + 1
                return text[:start] + text[end:]
    raise ValueError("unbalanced vrrp_instances")


# ---------------------------------------------------------------------------------------
# The reference scenario, with its own parameters

def test_reference_http_get_removes_and_restores(lab, directors, dr_conf, tmp_path):
    text = strip_vrrp(dr_conf(scheduler="rr", persistence_timeout=0))
    assert "delay_loop = 6" in text and "connect_timeout = 3" in text, \
        "reference.conf changed: this test wants its HTTP_GET parameters"
    sink = lab_hc.SmtpSink(lab, "mail", MAIL, 25, tmp_path / "mail.jsonl").start()
    try:
        v = directors.start("dir1", text, fresh=True)
        # warmup: a random delay up to delay_loop; both up and checked
        wait_state(v, RS1, "up", 15)
        wait_state(v, RS2, "up", 15)
        for _ in range(2):
            fetch(lab, max_time=10)   # the first may wait for ARP
        assert set(served(lab)) == {"rs1", "rs2"}

        log_at = len(v.log())
        lab.stop_rs("rs1")
        t0 = time.monotonic()
        bound = 6 + 3 * (3 + 3)
        r = wait_state(v, RS1, "down", bound + 2)
        took = time.monotonic() - t0
        print(f"rs1 removed {took:.1f} s after nginx stopped (bound {bound} s)")
        assert took <= bound + 0.5, f"removed after {took:.1f} s > {bound} s"
        # retry 3: the first failure is not the verdict
        assert took >= 3 * 3 - 0.5, f"removed after {took:.1f} s: retries skipped?"
        assert r["last"] == "connection refused", r
        line = wait_log(v, r"realserver 10\.99\.0\.11:80 of 10\.99\.0\.100:80/TCP DOWN: "
                           r"connection refused", 2, log_at)
        print(line)
        assert served(lab, 10) == ["rs2"] * 10
        # vipctl shows the same
        if labmod.VIPCTL.exists():
            out = v.vipctl("checks").stdout
            assert re.search(r"10\.99\.0\.11:80\s+10\.99\.0\.100:80/TCP\s+HTTP_GET\s+down", out), out
        # email: keepalived's subject
        want = "[director1] Realserver [10.99.0.11]:80 of virtual server [10.99.0.100]:80 - DOWN"
        lab_hc.wait_for(lambda: want in sink.subjects(), 10, what=f"email {want!r}")

        lab.start_rs("rs1")
        t1 = time.monotonic()
        wait_state(v, RS1, "up", 6 + 2)
        print(f"rs1 back {time.monotonic() - t1:.1f} s after nginx started")
        wait_log(v, r"realserver 10\.99\.0\.11:80 of 10\.99\.0\.100:80/TCP UP", 2, log_at)
        assert set(served(lab)) == {"rs1", "rs2"}
        want = "[director1] Realserver [10.99.0.11]:80 of virtual server [10.99.0.100]:80 - UP"
        lab_hc.wait_for(lambda: want in sink.subjects(), 10, what=f"email {want!r}")
        msg = [m for m in sink.messages() if m["subject"].endswith("- DOWN")][0]
        assert msg["to"] == ["ops@lab.invalid"], msg
        assert "connection refused" in msg["body"], msg
    finally:
        lab.start_rs("rs1")
        sink.stop()


# ---------------------------------------------------------------------------------------
# Every checker and failure, in parallel in one vipd

ZOO_PORTS = {
    9001: "status:503",
    9002: "ok:hello\n",
    9003: "slow:5",
    9005: "silent",
    9006: "garbage",
    9007: "ok:hello\n",
    9008: "smtp554",
    9009: "chunked:hello chunked\n",
    9010: "close:closed body\n",
    9011: "host:www.vipd.test",
    9012: "status:302",
}

# (VIP port, proto, real server port, check, expected state, reason regexp or None)
ZOO = [
    # HTTP_GET against misbehaving servers
    (8001, "TCP", 8001, check("HTTP_GET", [{}], connect_port=9001), "down", r"HTTP status 503"),
    (8002, "TCP", 8002, check("HTTP_GET", [{"digest": lab_hc.md5("expected\n")}],
                              connect_port=9002), "down", r"digest mismatch"),
    (8003, "TCP", 8003, check("HTTP_GET", [{}], connect_port=9003), "down", r"read timeout 1 s"),
    (8004, "TCP", 8004, check("HTTP_GET", [{}], connect_port=9004), "down",
     r"connection refused"),
    (8005, "TCP", 8005, check("HTTP_GET", [{}], connect_port=9005), "down", r"read timeout 1 s"),
    (8006, "TCP", 8006, check("HTTP_GET", [{}], connect_port=9006), "down",
     r"bad response: no valid status line"),
    # HTTP_GET that must pass
    (8007, "TCP", 8007, check("HTTP_GET", [{"digest": lab_hc.md5("hello\n"), "status": "200-299"}],
                              connect_port=9007), "up", None),
    (8008, "TCP", 8008, check("HTTP_GET", [{"digest": lab_hc.md5("hello chunked\n")}],
                              connect_port=9009, http_protocol="1.1"), "up", None),
    (8009, "TCP", 8009, check("HTTP_GET", [{"digest": lab_hc.md5("closed body\n")}],
                              connect_port=9010, http_protocol="1.0C"), "up", None),
    (8010, "TCP", 8010, check("HTTP_GET", [{}], connect_port=9011, virtualhost="www.vipd.test"),
     "up", None),
    # without virtualhost, Host is the address: the server answers 404
    (8011, "TCP", 8011, check("HTTP_GET", [{}], connect_port=9011), "down", r"HTTP status 404"),
    (8012, "TCP", 8012, check("HTTP_GET", [{"status": [200, "300-399"]}], connect_port=9012),
     "up", None),
    # two urls: both must pass
    (8013, "TCP", 8013, check("HTTP_GET", [{"path": "/a"}, {"path": "/b", "status": 404}],
                              connect_port=9007), "down", r"HTTP status 200"),
    # SSL_GET: nginx with a self-signed certificate; the digest proves the SNI
    (8020, "TCP", 8020, check("SSL_GET", [{"digest": lab_hc.md5("tls www.vipd.test\n")}],
                              connect_port=8443, sni="www.vipd.test"), "up", None),
    # TLS to a plain HTTP server (nginx on 80): it answers the ClientHello with a 400
    (8021, "TCP", 8021, check("SSL_GET", [{}], connect_port=80), "down",
     r"TLS handshake failed"),
    # TCP_CHECK
    (8030, "TCP", 8030, check("TCP_CHECK", connect_port=80), "up", None),
    (8031, "TCP", 8031, check("TCP_CHECK", connect_port=9004), "down", r"connection refused"),
    (8032, "TCP", 8032, check("TCP_CHECK", connect_ip="10.99.0.99", connect_port=80), "down",
     r"connect timeout 1 s"),
    # MISC_CHECK
    (8040, "TCP", 8040, check("MISC_CHECK", misc_path="/bin/true"),
     "up", None),
    (8041, "TCP", 8041, check("MISC_CHECK", misc_path="/bin/false"),
     "down", r"exit status 1"),
    (8042, "TCP", 8042, check("MISC_CHECK", misc_path="/bin/sleep 30", misc_timeout=1,
), "down", r"script timeout 1 s"),
    (8043, "TCP", 8043, check("MISC_CHECK", misc_path="/bin/sh -c 'exit 7'", misc_dynamic=True,
), "up", None),
    (8044, "TCP", 8044, check("MISC_CHECK", misc_path="/nonexistent/check"),
     "down", r"script not started|exit status 127"),
    (8045, "TCP", 8045, check("MISC_CHECK", misc_path="/bin/sh -c 'exit 2'", misc_dynamic=False,
), "down", r"exit status 2"),
    # DNS_CHECK against dnsmasq
    (53, "UDP", 53, check("DNS_CHECK", type="A", name="www.vipd.test"), "up", None),
    (54, "UDP", 54, check("DNS_CHECK", type="A", name="nothing.invalid", connect_port=53),
     "down", r"DNS rcode 3 \(NXDOMAIN\)"),
    (55, "UDP", 55, check("DNS_CHECK", connect_port=5399), "down", r"connection refused"),
    # SMTP_CHECK against aiosmtpd, and a server that refuses
    (25, "TCP", 25, check("SMTP_CHECK", helo_name="director1.lab.invalid"), "up", None),
    (26, "TCP", 26, check("SMTP_CHECK", connect_port=9008), "down",
     r"SMTP reply 554 to greeting"),
]


def zoo_conf():
    services = []
    for port, proto, rport, chk, _state, _reason in ZOO:
        services.append(vs(port, [rs(RS2, rport, chk)], proto=proto))
    # alpha: a failing server starts down and never "goes" down; a good one comes up
    services.append(vs(8050, [rs(RS2, 8050, check("HTTP_GET", [{}], connect_port=9001))],
                       alpha=True))
    services.append(vs(8051, [rs(RS2, 8051, check("HTTP_GET", [{}], connect_port=9007))],
                       alpha=True))
    return conf(services)


@pytest.fixture(scope="module")
def zoo(lab_session, directors, tmp_path_factory):
    lab = lab_session
    lab.start_rs("rs2")
    d = tmp_path_factory.mktemp("hc-zoo")
    servers = []
    try:
        servers.append(lab_hc.HttpZoo(lab, "rs2", RS2, ZOO_PORTS).start())
        servers.append(lab_hc.TlsNginx(lab, "rs2", RS2, 8443, d / "tls").start())
        servers.append(lab_hc.Dnsmasq(lab, "rs2", RS2, d / "dns").start())
        servers.append(lab_hc.SmtpSink(lab, "rs2", RS2, 25, d / "smtp.jsonl").start())
        v = directors.start("dir1", zoo_conf(), fresh=True)
        yield v
    finally:
        directors.stop("dir1")
        for s in servers:
            s.stop()


def assert_zoo(v, ports, timeout=20):
    want = {p: (proto, rport, state, reason) for p, proto, rport, _c, state, reason in ZOO
            if p in ports}
    assert want, ports
    deadline = time.monotonic() + timeout
    while True:
        rows = lab_hc.checks(v)
        log = v.log()
        bad = {}
        for p, (proto, rport, state, reason) in want.items():
            svc = f"{VIP}:{p}/{proto}"
            r = lab_hc.check_by(rows, RS2, rport, svc)
            if r is None:
                bad[p] = "no row"
                continue
            if r["checks"] < 1 or r["state"] != state:
                bad[p] = f"state {r['state']} after {r['checks']} checks, last {r['last']!r}"
                continue
            if reason:
                rx = re.compile(rf"realserver {re.escape(RS2)}:{rport} of {re.escape(svc)} "
                                rf"DOWN: (?:{reason})")
                if not rx.search(log):
                    bad[p] = f"no log line /{rx.pattern}/; last {r['last']!r}"
                elif not re.search(reason, r["last_failure"]):
                    bad[p] = f"telemetry last_failure {r['last_failure']!r} !~ {reason}"
            elif r["failures"]:
                bad[p] = f"{r['failures']} failures, last failure {r['last_failure']!r}"
        if not bad:
            return rows
        if time.monotonic() > deadline:
            pytest.fail("checks not as expected:\n" +
                        "\n".join(f"  {VIP}:{p}: {m}" for p, m in sorted(bad.items())))
        time.sleep(0.3)


def test_http_get_detects_misbehaving_servers(zoo):
    # wrong status, wrong digest, slow, refused, silent, garbage, a 2nd url failing
    assert_zoo(zoo, {8001, 8002, 8003, 8004, 8005, 8006, 8011, 8013})


def test_http_get_accepts_good_responses(zoo):
    # Content-Length + digest + range, chunked (1.1), close-delimited (1.0C),
    # virtualhost, a list of statuses
    assert_zoo(zoo, {8007, 8008, 8009, 8010, 8012})


def test_ssl_get(zoo):
    assert_zoo(zoo, {8020, 8021})


def test_tcp_check(zoo):
    assert_zoo(zoo, {8030, 8031, 8032})


def test_misc_check(zoo):
    rows = assert_zoo(zoo, {8040, 8041, 8042, 8043, 8044, 8045})
    # misc_dynamic: exit 7 -> weight 5
    r = lab_hc.check_by(rows, RS2, 8043)
    assert r["weight"] == 5, r
    assert re.search(r"realserver 10\.99\.0\.12:8043 of 10\.99\.0\.100:8043/TCP.*weight 5",
                     zoo.log()), "no log line for the dynamic weight"


def test_dns_check(zoo):
    assert_zoo(zoo, {53, 54, 55})


def test_smtp_check(zoo):
    assert_zoo(zoo, {25, 26})


def test_alpha_starts_down(zoo):
    def settled():
        rows = lab_hc.checks(zoo)
        bad = lab_hc.check_by(rows, RS2, 8050)
        good = lab_hc.check_by(rows, RS2, 8051)
        return (bad, good) if bad["checks"] >= 2 and good["state"] == "up" else None
    bad, good = lab_hc.wait_for(settled, 15, what="alpha checks")
    assert bad["state"] == "down" and bad["transitions_down"] == 0, bad
    assert good["transitions_up"] == 1 and good["transitions_down"] == 0, good
    log = zoo.log()
    assert "10.99.0.12:8050 of 10.99.0.100:8050/TCP DOWN" not in log
    assert re.search(r"10\.99\.0\.12:8051 of 10\.99\.0\.100:8051/TCP UP: HTTP_GET succeeded", log)


def test_checks_telemetry_and_vipctl(zoo):
    assert_zoo(zoo, {p for p, *_ in ZOO})
    rows = lab_hc.checks(zoo)
    n = len(ZOO) + 2
    assert len(rows) == n, f"{len(rows)} rows (paged), want {n}"
    for key, r in rows.items():
        assert re.fullmatch(r"rs\d+", key), key
        for k in ("service", "address", "port", "check", "state", "last", "latency_ms",
                  "consecutive_failures", "checks", "failures"):
            assert k in r, (key, k, r)
    summary = zoo.counters("checks_summary")
    assert summary["checks"] == n
    assert summary["up"] + summary["down"] == n
    assert summary["result_refused"] > 0 and summary["result_http_status"] > 0, summary
    assert summary["drift_samples"] > 0
    # one control core, a few dozen checks a second: starts are on time
    assert summary["drift_p99_us"] < 100000, summary
    if not labmod.VIPCTL.exists():
        pytest.skip("vipctl not built")
    out = zoo.vipctl("checks").stdout
    assert "DNS_CHECK" in out and "SMTP_CHECK" in out and "start drift" in out, out
    js = json.loads(zoo.vipctl("--json", "checks").stdout)
    assert len(js["checks"]) == n and js["summary"]["checks"] == n


# ---------------------------------------------------------------------------------------
# quorum, sorry_server, notifiers, email, omega

def test_quorum_sorry_server_notifiers_omega(lab, directors, tmp_path):
    out = tmp_path / "events"
    out.mkdir()
    events = out / "log"
    events.write_text("")

    def script(tag):
        return f"/bin/sh -c 'echo {tag} >> {events}'"

    fast = check("HTTP_GET", [{"status": 200}])
    services = [vs(80, [rs(RS1, 80, fast, notify_up=script("up-rs1"), notify_down=script("down-rs1")),
                        rs(RS2, 80, fast, notify_up=script("up-rs2"),
                           notify_down=script("down-rs2"))],
                   quorum=2, hysteresis=0, omega=True,
                   sorry_server="{ address = \"%s\"; port = 80; }" % MAIL,
                   quorum_up=script("quorum-up"), quorum_down=script("quorum-down"))]
    sink = lab_hc.SmtpSink(lab, "mail", MAIL, 2525, tmp_path / "mail.jsonl").start()
    sorry = lab_hc.sorry_host(lab, "mail")
    try:
        v = directors.start("dir1", conf(services, email_glob(2525)), fresh=True)
        wait_state(v, RS1, "up", 10)
        wait_state(v, RS2, "up", 10)
        for _ in range(2):
            fetch(lab, max_time=10)
        assert set(served(lab)) == {"rs1", "rs2"}

        log_at = len(v.log())
        lab.stop_rs("rs1")
        wait_log(v, r"realserver 10\.99\.0\.11:80 of 10\.99\.0\.100:80/TCP DOWN: "
                    r"connection refused", 10, log_at)
        wait_log(v, r"virtual server 10\.99\.0\.100:80/TCP quorum LOST: live weight 1, quorum 2",
                 5, log_at)
        lab_hc.wait_for(lambda: "quorum-down" in events.read_text(), 5, what="quorum_down ran")
        assert "down-rs1" in events.read_text()
        # the sorry server takes every new connection
        for _ in range(2):
            fetch(lab, max_time=10)
        assert served(lab, 6) == ["sorry"] * 6
        subjects = lambda: sink.subjects()  # noqa: E731
        lab_hc.wait_for(lambda: "[director1] Virtualserver [10.99.0.100]:80 - DOWN" in subjects(),
                        10, what="quorum email")
        assert "[director1] Realserver [10.99.0.11]:80 of virtual server [10.99.0.100]:80 - DOWN" \
            in subjects()

        log_at = len(v.log())
        lab.start_rs("rs1")
        wait_log(v, r"virtual server 10\.99\.0\.100:80/TCP quorum GAINED", 10, log_at)
        lab_hc.wait_for(lambda: "quorum-up" in events.read_text(), 5, what="quorum_up ran")
        assert "up-rs1" in events.read_text()
        assert set(served(lab)) == {"rs1", "rs2"}
        lab_hc.wait_for(lambda: "[director1] Virtualserver [10.99.0.100]:80 - UP" in subjects(),
                        10, what="quorum up email")
        summary = v.counters("checks_summary")
        assert summary["quorum_lost"] == 1 and summary["quorum_gained"] == 1, summary

        # omega: at shutdown the down notifiers of what is up run
        before = events.read_text().splitlines()
        directors.stop("dir1")
        after = events.read_text().splitlines()[len(before):]
        assert sorted(after) == ["down-rs1", "down-rs2", "quorum-down"], after
    finally:
        lab.start_rs("rs1")
        sorry.stop()
        lab_hc.sorry_host_undo(lab, "mail")
        sink.stop()


def test_inhibit_on_failure_sets_weight_zero(lab, directors):
    fast = check("HTTP_GET", [{}])
    services = [vs(80, [rs(RS1, 80, fast, inhibit_on_failure=True), rs(RS2, 80, fast)])]
    v = directors.start("dir1", conf(services), fresh=True)
    try:
        wait_state(v, RS1, "up", 10)
        wait_state(v, RS2, "up", 10)
        for _ in range(2):
            fetch(lab, max_time=10)
        lab.stop_rs("rs1")
        wait_state(v, RS1, "down", 10)

        def rs1_entry():
            for e in v.counters("realservers").values():
                if isinstance(e, dict) and e.get("address") == RS1:
                    return e
            return None
        e = lab_hc.wait_for(lambda: (lambda x: x if x and x["weight"] == 0 else None)(rs1_entry()),
                            5, what="rs1 at weight 0")
        # inhibited, not removed: still listed in the service at weight 0, its
        # state the check's verdict (down); new flows avoid it
        assert e["state"] == "down", e
        assert served(lab, 8) == ["rs2"] * 8
        lab.start_rs("rs1")
        wait_state(v, RS1, "up", 10)
        lab_hc.wait_for(lambda: (lambda x: x if x and x["weight"] == 1 else None)(rs1_entry()),
                        5, what="rs1 back at weight 1")
        assert set(served(lab)) == {"rs1", "rs2"}
    finally:
        lab.start_rs("rs1")


# ---------------------------------------------------------------------------------------
# reload: checks follow the configuration by difference

def test_reload_keeps_unchanged_checks(lab, directors):
    web = check("HTTP_GET", [{}])
    v = directors.start("dir1", conf([vs(80, [rs(RS1, 80, web), rs(RS2, 80, web)])]), fresh=True)
    lab_hc.wait_for(lambda: row(v, RS1, 80)["checks"] >= 3 and row(v, RS2, 80)["checks"] >= 1,
                    15, what="a few checks")
    before = row(v, RS1, 80)
    # rs1 unchanged, rs2's check changes, a service is added
    new = conf([vs(80, [rs(RS1, 80, web), rs(RS2, 80, check("TCP_CHECK"))]),
                vs(8080, [rs(RS1, 8080, check("TCP_CHECK", connect_port=80))])])
    log_at = len(v.log())
    Path(v.conf).write_text(new)
    v.proc.send_signal(1)  # SIGHUP
    wait_log(v, r"health checks follow the new configuration: 1 kept, 2 started, 1 stopped",
             10, log_at)
    after = row(v, RS1, 80)
    assert after["checks"] >= before["checks"], (before, after)
    assert row(v, RS2, 80)["check"] == "TCP_CHECK"
    wait_state(v, RS1, "up", 10, port=8080)
    assert len(lab_hc.checks(v)) == 3
    directors.stop("dir1")
