"""The suite's fixtures, by subject: databases and the app (tests/fixtures/database.py),
the demo county and its clients (demo.py), real HTTP and Chromium (browser.py). Helpers
tests import live in tests/support.py; small builders in tests/factories.py."""
import socket

import pytest

pytest_plugins = ["tests.fixtures.database", "tests.fixtures.demo", "tests.fixtures.browser",
                  "tests.fixtures.dashboard"]


@pytest.fixture(autouse=True)
def _no_outbound_network(monkeypatch):
    """No test talks to the outside world: mail, webhooks and any other socket to a host
    other than loopback is refused."""
    real_connect = socket.socket.connect

    def guarded_connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "localhost", "::1") \
                and not host.startswith("/"):
            raise RuntimeError(f"test tried to reach {host}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
