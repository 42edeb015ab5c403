"""Polite, bounded HTTP GETs for feeds and pages (httpx).

Polite: a User-Agent that names the project and its version, robots.txt (stdlib
``urllib.robotparser``, read once per host and cached; a 4xx means "no rules", a 5xx
"stay away"), at least ``fetch_min_interval_s`` (or the host's Crawl-delay) between two
requests to one host, and conditional GETs (ETag / Last-Modified from ``store.py``).
Bounded: a timeout, and a body is streamed and refused at ``fetch_max_bytes``.
Safe: ``guard.check_url`` before every request, and redirects are followed here (at most
five) so that every hop is checked before it is connected to; the connection goes to the
addresses that check resolved (``pinning.py``: no second DNS lookup to rebind); httpx's own
redirect following and proxy settings from the environment are off.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

from ..errors import FetchError
from .guard import Address, check_url
from .store import Validators

if TYPE_CHECKING:
    import httpx

    from .pinning import PinnedBackend

MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)
NO_VALIDATORS = Validators()


def user_agent() -> str:
    """``news-assistant/<version>``: robots.txt rules for ``news-assistant`` apply."""
    try:
        version = metadata.version("news-assistant")
    except metadata.PackageNotFoundError:
        version = "0.1.0"
    return f"news-assistant/{version} (feed reader; +https://github.com/news-assistant)"


@dataclass(frozen=True)
class Response:
    """A 200 with its body, or a 304 (``not_modified``), from ``url`` after redirects."""

    url: str
    status: int
    body: bytes = b""
    content_type: str = ""
    validators: Validators = Validators()
    location: str = ""  # a redirect's target, before it is followed

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class Fetch(Protocol):
    """What polling needs from a fetcher (tests may pass a fake)."""

    def get(self, url: str, validators: Validators = NO_VALIDATORS) -> Response: ...


class Fetcher:
    """One polling run's HTTP client, robots cache and per-host clock."""

    def __init__(
        self,
        allow_private: bool = False,
        timeout_s: float = 20.0,
        max_bytes: int = 5_000_000,
        min_interval_s: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.allow_private = allow_private
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.min_interval_s = min_interval_s
        self.sleep = sleep
        self.agent = user_agent()
        self._client: httpx.Client | None = None  # made on the first request
        self._pinned: PinnedBackend | None = None  # checked addresses per host
        self._robots: dict[str, RobotFileParser] = {}
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def get(self, url: str, validators: Validators = NO_VALIDATORS) -> Response:
        """GET ``url`` (conditionally); FetchError with the reason when it cannot be had."""
        for _ in range(MAX_REDIRECTS + 1):
            self._pin(url, check_url(url, self.allow_private))
            robots = self._robots_for(url)
            if not robots.can_fetch(self.agent, url):
                raise FetchError(f"expected a URL robots.txt allows, got {url} disallowed for us")
            status, response = self._request(url, validators, robots.crawl_delay(self.agent))
            if status not in REDIRECTS:
                return self._accept(url, status, response)
            url = urljoin(url, response.location)
        raise FetchError(f"expected at most {MAX_REDIRECTS} redirects, got more for {url}")

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def _pin(self, url: str, addresses: tuple[Address, ...]) -> None:
        """Connect to ``url``'s host only at ``addresses``, the ones just checked."""
        import httpx

        try:
            host = httpx.URL(url).raw_host.decode("ascii")  # the name httpcore connects to
        except httpx.InvalidURL as exc:
            raise FetchError(f"expected a URL httpx can request, got {url} ({exc})") from None
        self._backend().pin(host, addresses)

    def _accept(self, url: str, status: int, response: Response) -> Response:
        if status in (200, 304):
            return response
        raise FetchError(f"expected HTTP 200 from {url}, got {status}")

    def _robots_for(self, url: str) -> RobotFileParser:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            robots = RobotFileParser(origin + "/robots.txt")
            status, response = self._request(origin + "/robots.txt", Validators(), None)
            if status == 200:
                robots.parse(response.body.decode("utf-8", "replace").splitlines())
            elif status >= 500:
                robots.parse(["User-agent: *", "Disallow: /"])  # RFC 9309: stay away
            else:
                robots.parse([])  # no rules (404, 403, a redirect)
            self._robots[origin] = robots
        return self._robots[origin]

    def _request(
        self, url: str, validators: Validators, delay: float | str | None
    ) -> tuple[int, Response]:
        """One GET, no redirects followed; the status and what came with it."""
        import httpx

        self._wait(urlsplit(url).netloc, float(delay or 0))
        try:
            with self._http().stream("GET", url, headers=_conditional(validators)) as reply:
                if reply.status_code in REDIRECTS:
                    return reply.status_code, Response(
                        url, reply.status_code, location=_location(reply)
                    )
                body = self._read(url, reply) if reply.status_code == 200 else b""
                return reply.status_code, Response(
                    url,
                    reply.status_code,
                    body,
                    reply.headers.get("content-type", ""),
                    _validators(reply.headers) if reply.status_code == 200 else validators,
                )
        except httpx.HTTPError as exc:
            raise FetchError(
                f"expected a response from {url}, got {type(exc).__name__}: {exc}"
            ) from None
        finally:
            with self._lock:  # the interval counts from the end of a request
                self._last[urlsplit(url).netloc] = time.monotonic()

    def _read(self, url: str, reply) -> bytes:
        """The body, refused as soon as it passes ``max_bytes``."""
        declared = reply.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchError(self._too_big(url, f"{int(declared):,} bytes (Content-Length)"))
        chunks, size = [], 0
        for chunk in reply.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise FetchError(self._too_big(url, f"more (stopped at {size:,})"))
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_big(self, url: str, got: str) -> str:
        return (
            f"expected at most {self.max_bytes:,} bytes from {url}, got {got}; "
            "raise ASSISTANT_FETCH_MAX_BYTES to allow it"
        )

    def _wait(self, host: str, delay: float) -> None:
        """Sleep until ``host`` was last asked at least the interval (or Crawl-delay) ago."""
        interval = max(self.min_interval_s, min(delay, 60.0))
        with self._lock:
            due = self._last.get(host, float("-inf")) + interval
            pause = due - time.monotonic()
            if pause > 0:
                self.sleep(pause)
            self._last[host] = time.monotonic()

    def _backend(self) -> PinnedBackend:
        if self._pinned is None:
            from .pinning import PinnedBackend

            self._pinned = PinnedBackend()
        return self._pinned

    def _http(self) -> httpx.Client:
        if self._client is None:
            import httpx

            from .pinning import pinned_transport

            self._client = httpx.Client(
                timeout=self.timeout_s,
                follow_redirects=False,
                trust_env=False,
                headers={"User-Agent": self.agent},
                transport=pinned_transport(self._backend()),
            )
        return self._client


def make_fetcher(settings) -> Fetcher:
    """A Fetcher configured by the ``fetch_*`` settings."""
    return Fetcher(
        settings.fetch_allow_private,
        settings.fetch_timeout_s,
        settings.fetch_max_bytes,
        settings.fetch_min_interval_s,
    )


def _conditional(validators: Validators) -> dict[str, str]:
    headers = {}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


def _validators(headers) -> Validators:
    return Validators(headers.get("etag", ""), headers.get("last-modified", ""))


def _location(reply) -> str:
    location = reply.headers.get("location", "")
    if not location:
        raise FetchError(f"expected a Location header with HTTP {reply.status_code}, got none")
    return location
