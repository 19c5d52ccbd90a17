"""Email alerts end to end: build/tests/unit/alert_send (ctrl/alert.c with a config file
read by conf_load) against a real SMTP server, aiosmtpd, on 127.0.0.1.

No namespaces, no DPDK, no root. Run with Debian's interpreter (python3-aiosmtpd):
    /usr/bin/python3 -m pytest -v tests/integration/test_alert_smtp.py
"""

import email
import email.utils
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

controller = pytest.importorskip("aiosmtpd.controller")

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("VIPD_BUILD_DIR", REPO / "build"))
ALERT_SEND = BUILD / "tests" / "unit" / "alert_send"

pytestmark = pytest.mark.skipif(not ALERT_SEND.exists(),
                                reason=f"{ALERT_SEND} does not exist (ninja -C build)")

CONF = """\
global = {{
    router_id = "lb-it";
    notification_email = ( "ops@example.org", "oncall@example.org" );
    notification_email_from = "vipd@lb-it.example.org";
    smtp_server = "127.0.0.1";
    smtp_port = {port};
    smtp_connect_timeout = 3;
}};
ports = ( {{ name = "lan0"; device = "net_null0"; address = "10.0.0.2/24"; }} );
"""


class Collect:
    """aiosmtpd handler keeping every message (HELO name, envelope, content)."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((session.host_name, envelope.mail_from,
                              list(envelope.rcpt_tos), envelope.content))
        return "250 2.0.0 Ok: queued"


def free_port():
    # aiosmtpd 1.4's Controller cannot listen on port 0: take one the kernel picks.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    handler = Collect()
    for _ in range(5):
        ctl = controller.Controller(handler, hostname="127.0.0.1", port=free_port())
        try:
            ctl.start()
            break
        except (OSError, RuntimeError):  # the port was taken meanwhile
            continue
    else:
        pytest.fail("cannot start aiosmtpd")
    yield ctl, handler
    ctl.stop()


def send(tmp_path, port, subject, body, timeout=10):
    conf = tmp_path / "vipd.conf"
    conf.write_text(CONF.format(port=port))
    return subprocess.run([str(ALERT_SEND), str(conf), subject, body],
                          capture_output=True, text=True, timeout=timeout)


def test_alert_reaches_smtp_server(tmp_path, smtp):
    ctl, handler = smtp
    subject = "[lb-it] Realserver [10.99.0.11]:80 - DOWN"
    body = "=> CHECK failed on service : connection refused <=\n\n.dotted line\n"
    r = send(tmp_path, ctl.port, subject, body)
    assert r.returncode == 0, r.stderr
    assert len(handler.messages) == 1
    helo, mail_from, rcpts, content = handler.messages[0]
    assert helo == "lb-it"
    assert mail_from == "vipd@lb-it.example.org"
    assert rcpts == ["ops@example.org", "oncall@example.org"]

    msg = email.message_from_bytes(content)
    assert msg["From"] == "vipd@lb-it.example.org"
    assert msg["To"] == "ops@example.org, oncall@example.org"
    assert msg["Subject"] == subject
    assert msg["X-Mailer"] == "vipd"
    date = email.utils.parsedate_to_datetime(msg["Date"])
    assert abs(date.timestamp() - time.time()) < 120
    # Dot-stuffing undone by the server: the body arrives as written.
    assert msg.get_payload().replace("\r\n", "\n") == body


def test_refused_connection_fails_fast(tmp_path):
    with socket.socket() as s:  # bound, not listening: connect is refused
        s.bind(("127.0.0.1", 0))
        t0 = time.monotonic()
        r = send(tmp_path, s.getsockname()[1], "subject", "body")
        took = time.monotonic() - t0
    assert r.returncode == 1
    assert "Connection refused" in r.stderr
    assert took < 2.5  # refused at once, not after the 3 s timeout
