"""Request guards in front of every route: body size limits, API key, UI basic auth.

Pure ASGI middleware, so the limits hold for streamed and multipart bodies too and a
refused request never reaches FastAPI or Gradio.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import json

from ..config import Settings
from ..errors import ConfigError
from .wire import error_body

API_PREFIXES = ("/api/", "/v1/", "/mcp")  # /mcp: the MCP endpoint (server/mcp.py)
OPEN_PATHS = ("/healthz", "/openapi.json", "/docs", "/redoc")  # never behind auth
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
        if value is None
    ]
    if missing:
        raise ConfigError(
            f"binding to {settings.host} exposes the assistant beyond this "
            f"machine: set {' and '.join(missing)}, or ASSISTANT_ALLOW_NO_AUTH="
            f"true to serve without authentication"
        )


async def send_error(send, status: int, message: str, headers: dict | None = None) -> None:
    """A JSON error response straight from the middleware."""
    body = json.dumps(error_body(status, message)).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class GuardMiddleware:
    """Size limits for every request body, bearer auth for the API, basic auth for the UI."""

    def __init__(self, app, settings: Settings):
        self.app = app
        self.settings = settings

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        headers = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])
        }
        refusal = self.refusal(path, headers.get("authorization", ""))
        if refusal:
            return await send_error(send, *refusal)
        limit = self.limit(path)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return await send_error(
                send, 413, f"expected a request body of at most {limit} bytes, got {declared}"
            )
        if declared.isdigit():
            return await self.app(scope, receive, send)  # the server enforces the length
        body = await _read_limited(receive, limit)  # chunked: buffer up to the limit
        if body is None:
            return await send_error(
                send, 413, f"expected a request body of at most {limit} bytes, got more"
            )
        return await self.app(scope, _replay(body, receive), send)

    def limit(self, path: str) -> int:
        """The body limit for ``path``: uploads may be larger than questions."""
        if any(path.startswith(p) for p in UPLOAD_PATHS) or "/upload" in path:
            return self.settings.max_upload_bytes
        return self.settings.max_body_bytes

    def refusal(self, path: str, authorization: str) -> tuple | None:
        """(status, message, headers) when the credentials are missing or wrong."""
        if path in OPEN_PATHS:
            return None
        if path.startswith(API_PREFIXES):
            key = self.settings.api_key
            if key is None or _bearer_ok(authorization, key.get_secret_value()):
                return None
            return (
                401,
                "expected 'Authorization: Bearer <api key>' (ASSISTANT_API_KEY)",
                {"www-authenticate": "Bearer"},
            )
        password = self.settings.ui_password
        if password is None or _basic_ok(
            authorization, self.settings.ui_username, password.get_secret_value()
        ):
            return None
        return (
            401,
            "expected HTTP basic auth for the UI",
            {"www-authenticate": 'Basic realm="news assistant", charset="UTF-8"'},
        )


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
