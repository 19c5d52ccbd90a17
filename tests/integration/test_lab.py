"""The namespace lab itself (no vipd needed)."""

import os
import subprocess
import time

import lab as labmod

VIP = labmod.VIP


def test_lab_is_up(lab):
    st = lab.status()
    assert st["up"], st
    for ns in lab.namespaces:
        assert ns in labmod.netns_list()
    for rs in labmod.REAL_SERVERS:
        assert lab.rs_running(rs)
    # directors' ports carry no address: vipd owns them
    out = lab.ns_exec("dir1", ["ip", "-o", "-4", "addr", "show", "dev", "lan0"]).stdout
    assert out.strip() == ""


def test_veth_offloads_off(lab):
    for host in ("client", "dir1", "rs1"):
        out = lab.ns_exec(host, ["ethtool", "-k", lab.ifname(host)]).stdout
        feats = dict(line.strip().split(": ", 1)[:2] for line in out.splitlines()[1:]
                     if ": " in line)
        for f in ("tx-checksumming", "tcp-segmentation-offload",
                  "generic-segmentation-offload", "generic-receive-offload"):
            assert feats[f].startswith("off"), (host, f, feats[f])


def test_real_servers_carry_vip_with_arp_suppressed(lab):
    for rs in labmod.REAL_SERVERS:
        out = lab.ns_exec(rs, ["ip", "-o", "-4", "addr", "show", "dev", "lo"]).stdout
        assert f"{VIP}/32" in out
        for key, want in (("net.ipv4.conf.all.arp_ignore", "1"),
                          ("net.ipv4.conf.all.arp_announce", "2"),
                          ("net.ipv4.conf.eth0.arp_ignore", "1"),
                          ("net.ipv4.conf.eth0.arp_announce", "2")):
            assert lab.ns_exec(rs, ["sysctl", "-n", key]).stdout.strip() == want, (rs, key)


def test_client_reaches_each_real_server_directly(lab):
    for rs in labmod.REAL_SERVERS:
        cp = lab.curl("client", f"http://{lab.addr(rs)}/")
        assert cp.returncode == 0, cp.stderr
        assert cp.stdout == f"{rs} {lab.addr('client')}\n"


def test_real_servers_do_not_answer_arp_for_vip(lab):
    # sanity: the probe works (a real server answers for its own address)
    ans = lab.arp_probe("client", lab.addr("rs1"), timeout=1)
    assert [a["hwsrc"] for a in ans] == [lab.mac("rs1")]
    # no real server answers for the VIP (a director, if one runs, may)
    rs_macs = {lab.mac(rs) for rs in labmod.REAL_SERVERS}
    ans = lab.arp_probe("client", VIP, timeout=1.5)
    assert not [a for a in ans if a["hwsrc"] in rs_macs or a["ether_src"] in rs_macs], ans


def test_real_server_stop_and_start(lab):
    lab.stop_rs("rs2")
    try:
        assert not lab.rs_running("rs2")
        cp = lab.curl("client", f"http://{lab.addr('rs2')}/", max_time=2)
        assert cp.returncode != 0
    finally:
        lab.start_rs("rs2")
    cp = lab.curl("client", f"http://{lab.addr('rs2')}/")
    assert cp.stdout == "rs2 10.99.0.10\n"


def test_second_lab_coexists_and_cleanup_leaves_nothing(lab):
    other = labmod.Lab(hosts=["client", "rs1"])
    assert other.prefix != lab.prefix
    try:
        other.up()
        cp = other.curl("client", f"http://{other.addr('rs1')}/")
        assert cp.stdout == "rs1 10.99.0.10\n"
        pids = [p for ns in other.namespaces for p in labmod.netns_pids(ns)]
        assert pids  # nginx
    finally:
        other.down()
    left = [n for n in labmod.netns_list() if n.startswith(other.prefix + "-")]
    assert left == []
    assert not other.tmpdir.exists()
    assert not other.state_file.exists()
    assert not any(labmod.pid_alive(p) for p in pids)
    # the session's lab is untouched
    assert lab.status()["up"]


def test_cleanup_stale_removes_dead_labs_only(lab):
    dead = subprocess.Popen(["true"])
    dead.wait()
    prefix = f"vl{dead.pid}"
    stale = labmod.Lab(prefix=prefix, hosts=["client", "rs1"], owner_pid=dead.pid)
    try:
        stale.up(persist=True)
        assert all(n in labmod.netns_list() for n in stale.namespaces)
        removed = labmod.cleanup_stale(verbose=False)
        assert prefix in removed
        assert lab.prefix not in removed
        assert not [n for n in labmod.netns_list() if n.startswith(prefix + "-")]
        assert not stale.tmpdir.exists()
        assert lab.status()["up"]
    finally:
        stale.down()


def test_cli_up_status_down(lab):
    prefix = f"vl{os.getpid()}cli"
    # a prefix that cleanup-stale would not match as another pid's lab
    env = dict(os.environ, VIPD_LAB_QUIET="1")
    py = labmod.PYTHON
    script = str(labmod.REPO / "tests" / "lab" / "lab.py")
    try:
        cp = subprocess.run([py, script, "up", "--prefix", prefix, "--owner-pid",
                             str(os.getpid())], capture_output=True, text=True, env=env,
                            timeout=60)
        assert cp.returncode == 0, cp.stderr
        cp = subprocess.run([py, script, "status", "--prefix", prefix],
                            capture_output=True, text=True, env=env, timeout=60)
        assert cp.returncode == 0 and "nginx" in cp.stdout, cp.stdout + cp.stderr
    finally:
        cp = subprocess.run([py, script, "down", "--prefix", prefix],
                            capture_output=True, text=True, env=env, timeout=60)
    assert cp.returncode == 0, cp.stderr
    time.sleep(0.1)
    assert not [n for n in labmod.netns_list() if n.startswith(prefix + "-")]
