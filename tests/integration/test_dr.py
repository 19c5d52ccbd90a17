"""vipd in DR mode on dir1 of the lab: scheduling, flows, persistence, ARP, the kernel
path, malformed packets and counters.  Needs build/vipd (skipped, with the reason, only
while it has not been built)."""

import json
import re
import time

import pytest

import lab as labmod

VIP = labmod.VIP
CLIENT = "10.99.0.10"
RS_NAMES = {"rs1", "rs2"}
URL = f"http://{VIP}/"

pytestmark = pytest.mark.skipif(not labmod.VIPD.exists(),
                                reason=f"{labmod.VIPD} not built yet (run scripts/setup.sh)")


def fetch(lab, url=URL, max_time=5):
    """One request on a new connection from the client; returns the body."""
    cp = lab.curl("client", url, max_time=max_time)
    assert cp.returncode == 0, f"curl {url} failed (rc={cp.returncode}): {cp.stderr.strip()}"
    return cp.stdout


def served_by(body):
    name = body.split()[0] if body.split() else ""
    assert name in RS_NAMES, f"unexpected answer {body!r}"
    return name


def warm_up(lab):
    """First connections may wait for the director's ARP resolution of the real servers."""
    for _ in range(2):
        fetch(lab, max_time=10)


def stats(v):
    s = v.counters("stats")
    assert isinstance(s, dict) and "drop_total" in s, f"/vipd/stats reply: {s!r}"
    return s


@pytest.fixture
def rr_vipd(lab, directors, dr_conf):
    return directors.start("dir1", dr_conf(scheduler="rr", persistence_timeout=0))


def test_check_accepts_test_config(tmp_path, dr_conf):
    conf = tmp_path / "dr.conf"
    conf.write_text(dr_conf())
    cp = labmod.run([labmod.VIPD, "--check", "-f", conf], check=False, timeout=30)
    assert cp.returncode == 0, cp.stdout + cp.stderr


def test_check_reports_file_and_line(tmp_path, dr_conf):
    text = dr_conf()
    if not text.endswith("\n"):
        text += "\n"
    line = text.count("\n") + 1
    conf = tmp_path / "bad.conf"
    conf.write_text(text + "no_such_key_in_vipd = 1;\n")
    cp = labmod.run([labmod.VIPD, "--check", "-f", conf], check=False, timeout=30)
    out = cp.stdout + cp.stderr
    assert cp.returncode != 0, out
    assert f"{conf}:{line}:" in out, out


def test_requests_alternate_between_real_servers(lab, rr_vipd):
    warm_up(lab)
    names = [served_by(fetch(lab)) for _ in range(10)]
    print("served by:", names)
    assert set(names) == RS_NAMES, names
    assert all(a != b for a, b in zip(names, names[1:])), f"rr does not alternate: {names}"


def test_real_server_sees_client_address(lab, rr_vipd):
    warm_up(lab)
    for _ in range(4):
        body = fetch(lab)
        assert body.endswith(f" {CLIENT}\n"), body


def test_one_flow_never_switches_real_server(lab, rr_vipd):
    warm_up(lab)
    n = 20
    cp = lab.ns_exec("client", ["curl", "-sS", "--max-time", "20", "-w", "%{num_connects}\n",
                                *([URL] * n)], check=False, timeout=40)
    assert cp.returncode == 0, cp.stderr
    lines = cp.stdout.splitlines()
    assert len(lines) == 2 * n, cp.stdout
    bodies, connects = lines[0::2], [int(x) for x in lines[1::2]]
    assert connects == [1] + [0] * (n - 1), f"not one connection: {connects}"
    names = {served_by(b + "\n") for b in bodies}
    assert len(names) == 1, f"one flow hit several real servers: {bodies}"


def test_persistence_holds_client(lab, directors, dr_conf):
    directors.start("dir1", dr_conf(scheduler="rr", persistence_timeout=50))
    warm_up(lab)
    names = [served_by(fetch(lab)) for _ in range(10)]
    print("served by:", names)
    assert len(set(names)) == 1, f"persistence_timeout 50 but served by {names}"


def test_director_answers_arp_for_vip(lab, rr_vipd):
    want = lab.mac("dir1")
    ans = lab.arp_probe("client", VIP, timeout=2)
    assert ans, "nobody answered ARP who-has for the VIP"
    assert [a["hwsrc"] for a in ans] == [want], f"answers {ans}, director port MAC {want}"
    assert ans[0]["psrc"] == VIP
    assert ans[0]["ether_src"] == want


def test_director_address_answers_ping(lab, rr_vipd):
    cp = lab.ns_exec("client", ["ping", "-c", "3", "-W", "1", labmod.DIR1_ADDR],
                     check=False, timeout=20)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    # trap 2: the kernel's ARP answer for the director's own address must carry the
    # DPDK port's MAC (the TAP mirrors it)
    neigh = lab.ns_exec("client", ["ip", "-j", "neigh", "show", labmod.DIR1_ADDR]).stdout
    entries = json.loads(neigh or "[]")
    macs = {e.get("lladdr") for e in entries if e.get("lladdr")}
    assert macs == {lab.mac("dir1")}, f"client's neighbour entry {entries}"
    tap_mac = lab.mac("dir1", rr_vipd.tap)
    assert tap_mac == lab.mac("dir1"), f"TAP {rr_vipd.tap} MAC {tap_mac} != port MAC"


def malformed_frames(dst_mac, src_mac, per_kind=40):
    """(kind, frame) for 5 kinds of broken IPv4 packets to the VIP."""
    from scapy.all import IP, TCP, Ether  # noqa: E402 (Debian's scapy)
    eth = bytes(Ether(dst=dst_mac, src=src_mac, type=0x0800))
    frames = []
    for i in range(per_kind):
        sport = 20000 + i
        good = IP(src=CLIENT, dst=VIP, id=i) / TCP(sport=sport, dport=80, flags="S")
        # 1. IP header cut short (10 bytes of it)
        frames.append(("ip_truncated", eth + bytes(good)[:10]))
        # 2. IHL 3 (< 5) (checksum field zeroed)
        ip = bytearray(bytes(good))
        ip[0] = 0x43
        ip[10:12] = b"\0\0"
        frames.append(("ip_bad_ihl", eth + bytes(ip)))
        # 3. total length larger than the frame
        frames.append(("ip_bad_length",
                       eth + bytes(IP(src=CLIENT, dst=VIP, id=i, len=1000) /
                                   TCP(sport=sport, dport=80, flags="S"))))
        # 4. wrong IP header checksum
        frames.append(("ip_bad_checksum",
                       eth + bytes(IP(src=CLIENT, dst=VIP, id=i, chksum=0x1234) /
                                   TCP(sport=sport, dport=80, flags="S"))))
        # 5. TCP header cut short (8 of 20 bytes), IP header itself valid
        tcp8 = bytes(TCP(sport=sport, dport=80, flags="S"))[:8]
        frames.append(("l4_truncated", eth + bytes(IP(src=CLIENT, dst=VIP, id=i, proto=6) /
                                                   tcp8)))
    return frames


def test_malformed_packets_dropped_and_counted(lab, rr_vipd):
    warm_up(lab)
    frames = malformed_frames(lab.mac("dir1"), lab.mac("client"))
    lab.bridge_nf_off()   # in case br_netfilter was loaded after the lab came up
    before = stats(rr_vipd)
    sent = lab.send_frames("client", [f for _k, f in frames])
    assert sent == len(frames) == 200
    # counters are read by the control core; give it a moment
    deadline = time.monotonic() + 5
    while True:
        after = stats(rr_vipd)
        if after["drop_total"] - before["drop_total"] >= sent or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    delta = {k: after[k] - before.get(k, 0) for k in after
             if k.startswith("drop_") and isinstance(after[k], int)}
    print("drop deltas:", {k: v for k, v in delta.items() if v})
    assert delta["drop_total"] >= sent, f"drop_total rose by {delta['drop_total']} < {sent}: {delta}"
    kinds = {}
    for k, _f in frames:
        kinds[k] = kinds.get(k, 0) + 1
    missing = {k: (delta.get(f"drop_{k}"), n) for k, n in kinds.items()
               if f"drop_{k}" in after and delta.get(f"drop_{k}", 0) < n}
    assert not missing, f"per-reason drop counters short (got, sent): {missing}"
    assert rr_vipd.alive(), "vipd died on malformed packets"
    assert served_by(fetch(lab))
    # vipctl's JSON output reflects the same counters
    cp = rr_vipd.vipctl("stats", "--json")
    js = json.loads(cp.stdout)
    text = json.dumps(js)
    assert "drop_total" in text, cp.stdout[:2000]


def _entry(table, addr_or_name):
    """The entry of a /vipd/ports|services|realservers reply whose key or one of whose
    string fields (name, service, address...) names addr_or_name."""
    pat = re.compile(rf"(^|[^0-9.]){re.escape(addr_or_name)}($|[^0-9])")
    for key, val in table.items():
        if pat.search(key):
            return key, val
        if isinstance(val, dict) and any(isinstance(x, str) and pat.search(x)
                                         for x in val.values()):
            return key, val
    return None, None


def _pkts(d):
    for k in ("pkts", "packets", "rx_pkts", "fwd_pkts", "tx_pkts"):
        if isinstance(d.get(k), int):
            return d[k]
    return None


def test_vipctl_stats_shows_ports_services_real_servers(lab, rr_vipd):
    warm_up(lab)
    for _ in range(6):
        fetch(lab)
    cp = rr_vipd.vipctl("stats")
    out = cp.stdout
    print(out)
    assert "lan0" in out, "no per-port counters"
    assert VIP in out, "no per-service counters"
    for rs in ("10.99.0.11", "10.99.0.12"):
        assert rs in out, f"no counters for real server {rs}"
    ports = rr_vipd.counters("ports")
    services = rr_vipd.counters("services")
    realservers = rr_vipd.counters("realservers")
    assert _entry(ports, "lan0")[0], f"lan0 not in /vipd/ports: {ports}"
    assert _entry(services, f"{VIP}:80")[0], f"{VIP}:80 not in /vipd/services: {services}"
    for rs in ("10.99.0.11", "10.99.0.12"):
        key, val = _entry(realservers, rs)
        assert key, f"{rs} not in /vipd/realservers: {realservers}"
        pk = _pkts(val)
        assert pk is not None and pk > 0, f"{key}: {val}"
    js = json.loads(rr_vipd.vipctl("stats", "--json").stdout)
    assert "10.99.0.11" in json.dumps(js)


def test_sigterm_exits_cleanly(lab, directors, dr_conf):
    v = directors.start("dir1", dr_conf(), fresh=True)
    assert v.tap_up()
    rc = directors.stop("dir1")
    assert rc == 0, f"vipd exit code {rc} on SIGTERM"
    cp = lab.ns_exec("dir1", ["ip", "link", "show", "dev", v.tap], check=False)
    assert cp.returncode != 0, f"{v.tap} still present after exit"
