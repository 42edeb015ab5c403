"""Request guards in front of every route: body size limits and one authentication.

Pure ASGI middleware, so the limits hold for streamed and multipart bodies too and a
refused request never reaches FastAPI or Gradio.

One auth for every door: the browser UI's Gradio API (``/gradio_api/call/chat``, uploads)
can do all that ``/api`` can (ask, ingest), so separate secrets per door protect nothing
and leave a way around the other (issue 10: with only the API key set, the Gradio API
answered without it). The rule is therefore: when ``api_key`` or ``ui_password`` is set,
every request except ``OPEN_PATHS`` must carry one of the configured secrets, as
``Authorization: Bearer <secret>`` (API clients, ``gradio_client`` headers) or as HTTP basic
auth ``<ui_username>:<secret>`` (browsers, which cannot send a bearer token). Unknown
paths are refused too, so a route added later is behind the same door by default.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import json
from dataclasses import dataclass

from ..config import Settings
from ..errors import ConfigError
from .wire import error_body, for_path

API_PREFIXES = ("/api/", "/v1/", "/mcp")  # /mcp: the MCP endpoint (server/mcp.py)
OPEN_PATHS = ("/healthz", "/openapi.json", "/docs", "/redoc")  # never behind auth
BASIC_CHALLENGE = 'Basic realm="news assistant", charset="UTF-8"'
UPLOAD_PATHS = ("/api/ingest", "/gradio_api/upload", "/upload")


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings) -> None:
    """Refuse to serve beyond loopback without both credentials, unless explicitly allowed."""
    if is_loopback(settings.host) or settings.allow_no_auth:
        return
    missing = [
        name
        for name, value in (
            ("ASSISTANT_API_KEY", settings.api_key),
            ("ASSISTANT_UI_PASSWORD", settings.ui_password),
        )
        if not _secret(value)
    ]
    if missing:
        raise ConfigError(
            f"binding to {settings.host} exposes the assistant beyond this "
            f"machine: set {' and '.join(missing)}, or ASSISTANT_ALLOW_NO_AUTH="
            f"true to serve without authentication"
        )


async def send_error(
    send, path: str, status: int, message: str, headers: dict | None = None
) -> None:
    """A JSON error response straight from the middleware, in the shape of ``path``'s door."""
    body = json.dumps(for_path(path, error_body(status, message))).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def body_limit(settings: Settings, path: str) -> int:
    """The body limit for ``path``: uploads may be larger than questions (the OpenAPI
    document states the same limit for each route, ``openapi.py``)."""
    if any(path.startswith(p) for p in UPLOAD_PATHS) or "/upload" in path:
        return settings.max_upload_bytes
    return settings.max_body_bytes


class GuardMiddleware:
    """Size limits for every request body; one authentication for every route."""

    def __init__(self, app, settings: Settings):
        self.app = app
        self.settings = settings
        self.credentials = Credentials.from_settings(settings)

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)  # lifespan
        path = scope.get("path", "")
        headers = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])
        }
        refusal = self.refusal(path, headers.get("authorization", ""))
        if refusal and scope["type"] == "websocket":
            await receive()  # websocket.connect; closing before accept is a 403
            return await send({"type": "websocket.close", "code": 1008})
        if refusal:
            return await send_error(send, path, *refusal)
        if scope["type"] == "websocket":
            return await self.app(scope, receive, send)
        return await self.limited(scope, receive, send, headers.get("content-length", ""))

    async def limited(self, scope, receive, send, declared: str):
        """Pass the request on unless its body exceeds the path's limit (413)."""
        path = scope.get("path", "")
        limit = self.limit(path)
        if declared.isdigit() and int(declared) > limit:
            return await send_error(
                send, path, 413, f"expected a request body of at most {limit} bytes, got {declared}"
            )
        if declared.isdigit():
            return await self.app(scope, receive, send)  # the server enforces the length
        body = await _read_limited(receive, limit)  # chunked: buffer up to the limit
        if body is None:
            return await send_error(
                send, path, 413, f"expected a request body of at most {limit} bytes, got more"
            )
        return await self.app(scope, _replay(body, receive), send)

    def limit(self, path: str) -> int:
        """The body limit for ``path`` (``body_limit``)."""
        return body_limit(self.settings, path)

    def refusal(self, path: str, authorization: str) -> tuple | None:
        """(status, message, headers) when the credentials are missing or wrong."""
        if path in OPEN_PATHS or self.credentials.accept(authorization):
            return None
        got = "wrong credentials" if authorization.strip() else "none"
        message = (
            f"expected 'Authorization: Bearer <secret>' or HTTP basic auth (user "
            f"ASSISTANT_UI_USERNAME, password the secret), the secret being "
            f"{self.credentials.names}; got {got}"
        )
        challenge = "Bearer" if path.startswith(API_PREFIXES) else BASIC_CHALLENGE
        return 401, message, {"www-authenticate": challenge}


@dataclass(frozen=True)
class Credentials:
    """The configured secrets (API key, UI password); none configured: everything is open."""

    secrets: tuple[str, ...]
    names: str  # the settings they come from, for the 401 message
    username: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Credentials:
        pairs = [
            (name, _secret(value))
            for name, value in (
                ("ASSISTANT_API_KEY", settings.api_key),
                ("ASSISTANT_UI_PASSWORD", settings.ui_password),
            )
            if _secret(value)
        ]
        return cls(
            tuple(v for _, v in pairs), " or ".join(n for n, _ in pairs), settings.ui_username
        )

    def accept(self, authorization: str) -> bool:
        """True when no secret is configured or ``authorization`` carries one of them."""
        if not self.secrets:
            return True
        return any(
            _bearer_ok(authorization, secret) or _basic_ok(authorization, self.username, secret)
            for secret in self.secrets
        )


def _secret(value) -> str:
    """A SecretStr's value; "" for unset (an empty secret would let an empty token in)."""
    return value.get_secret_value() if value is not None else ""


async def _read_limited(receive, limit: int) -> bytes | None:
    """The whole request body, or None as soon as it exceeds ``limit`` bytes."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(parts)  # client went away; the app will see an empty body
        parts.append(message.get("body", b""))
        size += len(parts[-1])
        if size > limit:
            return None
        if not message.get("more_body", False):
            return b"".join(parts)


def _replay(body: bytes, receive):
    """A receive callable that hands the buffered body once, then defers to the client."""
    sent = False

    async def replayed():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def _bearer_ok(authorization: str, key: str) -> bool:
    scheme, _, token = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), key.encode())


def _basic_ok(authorization: str, username: str, password: str) -> bool:
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, given = base64.b64decode(encoded.strip()).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return hmac.compare_digest(user.encode(), username.encode()) and hmac.compare_digest(
        given.encode(), password.encode()
    )
