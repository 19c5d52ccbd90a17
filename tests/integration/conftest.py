"""pytest fixtures for vipd's namespace lab.

Run with Debian's interpreter (scapy, pytest):  /usr/bin/python3 -m pytest -v tests/integration

Fixtures:
  lab        the session's lab (namespaces, bridge, nginx real servers); before each
             test every real server's nginx is (re)started
  directors  starts vipd on a director host from a config text, reusing a running
             vipd when the config is unchanged; all are stopped at the end of the module
  dr_conf    factory: dr_conf(scheduler="rr", persistence_timeout=0) -> config text
"""

import os
import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lab"))
import lab as labmod  # noqa: E402

REPO = labmod.REPO
REFERENCE_CONF = REPO / "docs" / "examples" / "reference.conf"

# Used when docs/examples/reference.conf does not exist (same schema).
OWN_DR_TEMPLATE = """\
# vipd DR test configuration (tests/integration/conftest.py)
global = {
    router_id = "director1";
};
dpdk = {
    workers = 1;
};
ports = (
    { name = "lan0"; device = "net_af_packet0,iface=lan0"; address = "10.99.0.2/24"; }
);
virtual_servers = (
    {
        address = "10.99.0.100";
        port = 80;
        protocol = "TCP";
        scheduler = "rr";
        forwarding = "DR";
        persistence_timeout = 0;
        real_servers = (
            { address = "10.99.0.11"; port = 80; weight = 1; },
            { address = "10.99.0.12"; port = 80; weight = 1; }
        );
    }
);
"""

_directors = None  # the session's Directors, for the failure report hook


def pytest_configure(config):
    # SIGTERM/SIGHUP (e.g. `timeout` around the run) -> KeyboardInterrupt: pytest then
    # stops and still runs every fixture finalizer, so the lab is torn down.
    def handler(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, handler)
    if os.geteuid() == 0:
        labmod.cleanup_stale()


def dr_template_source():
    return REFERENCE_CONF if REFERENCE_CONF.exists() else None


def make_dr_conf(scheduler="rr", persistence_timeout=0, workers=None):
    """A DR config for dir1: docs/examples/reference.conf if present (scheduler,
    persistence_timeout substituted; eal_args reduced to --no-pci, the memory mode is
    given on the command line), else OWN_DR_TEMPLATE."""
    text = REFERENCE_CONF.read_text() if REFERENCE_CONF.exists() else OWN_DR_TEMPLATE
    return labmod.derive_conf(text, scheduler=scheduler,
                              persistence_timeout=persistence_timeout, workers=workers)


@pytest.fixture
def dr_conf():
    return make_dr_conf


@pytest.fixture(scope="session")
def lab_session():
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (network namespaces)")
    the_lab = labmod.Lab()
    the_lab.up()
    yield the_lab
    the_lab.down()


@pytest.fixture
def lab(lab_session):
    for rs in labmod.REAL_SERVERS:
        if rs in lab_session.hosts:
            lab_session.start_rs(rs)
    return lab_session


class Directors:
    """vipd instances on director hosts, at most one per host."""

    def __init__(self, lab, confdir):
        self.lab = lab
        self.confdir = Path(confdir)
        self.running = {}   # host -> (conf text, Vipd)
        self.history = []   # every Vipd started (logs for failure reports)
        self.seq = 0

    def write_conf(self, text, name="vipd"):
        self.seq += 1
        path = self.confdir / f"{name}-{self.seq}.conf"
        path.write_text(text)
        return path

    def start(self, host, conf_text, fresh=False, **kw):
        cur = self.running.get(host)
        if cur and not fresh and cur[0] == conf_text and cur[1].alive():
            return cur[1]
        self.stop(host)
        path = self.write_conf(conf_text, host)
        v = self.lab.start_vipd(host, path, wait=False, **kw)
        self.history.append(v)
        v.wait_ready()
        self.running[host] = (conf_text, v)
        return v

    def stop(self, host):
        cur = self.running.pop(host, None)
        if cur is None:
            return None
        return cur[1].stop()

    def stop_all(self):
        for host in list(self.running):
            try:
                self.stop(host)
            except Exception as e:  # noqa: BLE001
                print(f"stopping vipd on {host}: {e}", file=sys.stderr)


@pytest.fixture(scope="module")
def directors(lab_session, tmp_path_factory):
    global _directors
    if not labmod.VIPD.exists():
        pytest.skip(f"{labmod.VIPD} is not built yet")
    d = Directors(lab_session, tmp_path_factory.mktemp("vipd-conf"))
    _directors = d
    yield d
    d.stop_all()
    _directors = None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    item._vipd_hist_start = len(_directors.history) if _directors else 0


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed or _directors is None:
        return
    start = getattr(item, "_vipd_hist_start", 0)
    shown = list(_directors.history[start:])
    shown += [v for _t, v in _directors.running.values() if v not in shown]
    for v in shown:
        rep.sections.append((f"vipd log: {v.host} {v.file_prefix} ({v.log_path})",
                             v.log_tail(80)))
