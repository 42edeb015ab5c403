"""Which URLs a fetch may reach: http(s) only, and public addresses unless allowed.

A feed URL comes from a file or a request, so it must not reach the machine's own
services (a cloud metadata endpoint at 169.254.169.254, an admin page on 10.0.0.1). The
host is resolved with ``socket.getaddrinfo`` and every address it resolves to is checked
with ``ipaddress`` *before* any connection, and again at every redirect hop (fetch.py
follows redirects itself for that reason). ``check_url`` returns the addresses it checked
and the fetcher connects to those and no others (``pinning.py``), so a DNS answer that
changes after the check (DNS rebinding) is never asked for. The host is resolved even
when private addresses are allowed, so every connection takes the same path.
"""

from __future__ import annotations

import ipaddress
import socket
from socket import getaddrinfo  # a module name of its own, so tests can fake DNS here
from urllib.parse import urlsplit

from ..errors import FetchError

ALLOW_HINT = "set ASSISTANT_FETCH_ALLOW_PRIVATE=true to allow it"
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def check_url(url: str, allow_private: bool) -> tuple[Address, ...]:
    """The addresses of ``url``'s host, each checked; FetchError unless ``url`` is http(s)
    and every address may be reached (a public one, or any with ``allow_private``)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"expected an http or https URL, got {parts.scheme or 'no'} scheme: {url}")
    if not parts.hostname:
        raise FetchError(f"expected a URL with a host, got {url}")
    try:
        port = parts.port or (80 if parts.scheme == "http" else 443)
    except ValueError as exc:  # a port out of range or not a number
        raise FetchError(f"expected a URL with a valid port, got {url} ({exc})") from None
    addresses = resolve(parts.hostname, port, url)
    for address in [] if allow_private else addresses:
        kind = address_kind(address)
        if kind:
            raise FetchError(
                f"expected a public address, got {address} ({kind}) for {url}; {ALLOW_HINT}"
            )
    return tuple(addresses)


def resolve(host: str, port: int, url: str) -> list[Address]:
    """Every address ``host`` resolves to (DNS only; nothing is connected)."""
    try:
        infos = getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"expected a host that resolves, got {host!r} for {url} ({exc})") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise FetchError(f"expected a host that resolves, got no address for {host!r} ({url})")
    return addresses


def address_kind(address: Address) -> str:
    """Why ``address`` is not public ("loopback", "link-local", ...), or "" when it is."""
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    checks = (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
    )
    return next((name for name, hit in checks if hit), "")
