"""DNS rebinding (issue 9 follow-up): the fetcher connects to exactly the address the guard
checked. A fake resolver answers a public address for the first lookup of ``rebind.test``
and 127.0.0.1 (where the local site listens) for every later one; it stands in for both the
guard's lookup and the socket module's, so a second lookup anywhere would reach the site."""

from __future__ import annotations

import socket

import pytest

from assistant.errors import FetchError
from assistant.feeds import guard as guard_module
from assistant.feeds.fetch import Fetcher
from assistant.feeds.pinning import PinnedBackend
from tests.test_feeds import Site

PUBLIC = "93.184.216.34"


@pytest.fixture
def site():
    with Site() as s:
        yield s


def rebinding_dns(monkeypatch, host: str, first: str, later: str) -> list[str]:
    """Answer ``first`` to the first lookup of ``host``, ``later`` after; return the log."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def resolve(name, port, *args, **kwargs):
        if name != host:
            return real(name, port, *args, **kwargs)
        asked.append(name)
        address = first if len(asked) == 1 else later
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(guard_module, "getaddrinfo", resolve)
    monkeypatch.setattr(socket, "getaddrinfo", resolve)  # what socket.create_connection asks
    return asked


def record_connects(monkeypatch) -> list[tuple]:
    """Every address a socket connects to (the offline guard still refuses outside ones)."""
    guarded = socket.socket.connect
    seen: list[tuple] = []

    def connect(self, address):
        seen.append(address)
        return guarded(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return seen


def test_a_host_that_rebinds_to_loopback_is_never_connected_to(site, monkeypatch):
    site.pages["/feed.xml"] = (b"secret", "text/plain")
    port = site.server.server_address[1]
    asked = rebinding_dns(monkeypatch, "rebind.test", PUBLIC, "127.0.0.1")
    seen = record_connects(monkeypatch)
    url = f"http://rebind.test:{port}/feed.xml"
    with pytest.raises(FetchError) as caught:
        Fetcher(min_interval_s=0).get(url)
    assert str(caught.value).startswith(f"expected a response from http://rebind.test:{port}/")
    assert f"'{PUBLIC}', {port}" in str(caught.value)  # it tried the checked address
    assert asked == ["rebind.test"]  # one lookup: the guard's
    assert seen and {address[0] for address in seen} == {PUBLIC}
    assert site.requests == []  # the loopback site saw nothing


def test_the_pinned_address_is_used_for_robots_and_the_page(site, monkeypatch):
    """Allowed to reach loopback, the host is still looked up once per hop and connected to
    at the address that lookup gave, with the original Host header."""
    site.pages["/page"] = (b"hello", "text/plain")
    port = site.server.server_address[1]
    asked = rebinding_dns(monkeypatch, "site.test", "127.0.0.1", "198.51.100.9")
    seen = record_connects(monkeypatch)
    response = Fetcher(allow_private=True, min_interval_s=0).get(f"http://site.test:{port}/page")
    assert (response.status, response.body) == (200, b"hello")
    assert asked == ["site.test"] and {address[0] for address in seen} == {"127.0.0.1"}
    assert [path for path, _, _ in site.requests] == ["/robots.txt", "/page"]
    assert site.hits("/page")[0]["Host"] == f"site.test:{port}"


def test_a_host_nobody_checked_is_refused_by_the_backend():
    backend = PinnedBackend()
    backend.pin("checked.test", ("127.0.0.1",))
    with pytest.raises(FetchError, match="expected an address checked for unchecked.test"):
        backend.connect_tcp("unchecked.test", 80)


def test_the_backend_tries_each_checked_address_in_order(site, monkeypatch):
    seen = record_connects(monkeypatch)
    backend = PinnedBackend()
    backend.pin("Multi.Test", ("198.51.100.9", "127.0.0.1"))  # the first one refuses
    stream = backend.connect_tcp("multi.test", site.server.server_address[1], timeout=5)
    stream.close()
    assert [address[0] for address in seen] == ["198.51.100.9", "127.0.0.1"]


def test_a_bad_port_is_a_fetch_error_not_a_crash():
    with pytest.raises(
        FetchError, match=r"expected a URL with a valid port, got http://x\.test:99999/"
    ):
        Fetcher(allow_private=True, min_interval_s=0).get("http://x.test:99999/")
