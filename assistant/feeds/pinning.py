"""Connect to exactly the addresses ``guard.check_url`` checked (no DNS rebinding).

httpx resolves a host itself when it connects, so a host whose DNS answer changes between
the guard's lookup and that one (public at check time, 127.0.0.1 or 169.254.169.254 at
connect time) used to get through. The fetcher pins each host to the addresses the guard
resolved and checked, and this httpcore network backend connects to those and nothing
else: one lookup, checked, connected to (``tests/test_feeds_rebinding.py`` makes the second
lookup answer loopback and shows the loopback server sees no request). Only the TCP
connection changes: the URL, the Host header and TLS (SNI and certificate checks, done by
httpcore on the returned stream) keep the original hostname. A host nobody pinned is
refused, so a code path that forgets the guard fails closed.

httpx 0.28 does not take a network backend, so ``pinned_transport`` builds its
``HTTPTransport`` and swaps in an ``httpcore.ConnectionPool`` that has one (and refuses to
run if that attribute is gone in another httpx version, rather than silently not pinning).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

import httpcore
import httpx

from ..errors import ConfigError, FetchError

# httpx's own defaults (httpx._config.DEFAULT_LIMITS, and its 5 s keep-alive expiry)
MAX_CONNECTIONS = 100
MAX_KEEPALIVE = 20
KEEPALIVE_EXPIRY_S = 5.0


class PinnedBackend(httpcore.SyncBackend):
    """A SyncBackend whose ``connect_tcp(host, ...)`` dials only the addresses pinned for
    ``host`` (in order, the first that answers), never a fresh DNS answer."""

    def __init__(self) -> None:
        self._pins: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()

    def pin(self, host: str, addresses: Sequence[object]) -> None:
        """From now on connect to ``host`` at ``addresses`` (as the guard checked them)."""
        with self._lock:
            self._pins[host.lower()] = tuple(str(address) for address in addresses)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        with self._lock:
            addresses = self._pins.get(host.lower(), ())
        if not addresses:
            raise FetchError(
                f"expected an address checked for {host} before connecting, got none checked"
            )
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc  # try the next checked address, as create_connection would
        assert failure is not None
        raise failure


def pinned_transport(backend: PinnedBackend) -> httpx.HTTPTransport:
    """An httpx transport (no proxy from the environment) whose connections go through
    ``backend``."""
    transport = httpx.HTTPTransport(trust_env=False)
    if not isinstance(getattr(transport, "_pool", None), httpcore.ConnectionPool):
        raise ConfigError(
            f"expected httpx {httpx.__version__} to keep an httpcore ConnectionPool in "
            "HTTPTransport._pool (needed to pin checked addresses), got none"
        )
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=MAX_CONNECTIONS,
        max_keepalive_connections=MAX_KEEPALIVE,
        keepalive_expiry=KEEPALIVE_EXPIRY_S,
        network_backend=backend,
    )
    return transport
