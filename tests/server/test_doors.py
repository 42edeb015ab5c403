"""One auth for every door: every route of the app, found by walking ``app.routes`` (the
API, ``/mcp`` and every route of the mounted Gradio app), is tried without, with wrong and
with right credentials, for each way auth can be configured.

A route added later is found by the walk, so one left open makes this test fail; the open
routes are the list below, owned by this test (widening ``security.OPEN_PATHS`` fails too).
"""

from __future__ import annotations

import base64
import contextlib
import re

import anyio
import httpx
import pytest
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount, WebSocketRoute

from assistant.config import load_settings
from assistant.server import build_app
from assistant.server.security import GuardMiddleware

from .conftest import TROOPS_QUESTION, make_assistant, running

pytestmark = pytest.mark.reliability

KEY, PASSWORD = "k3y-for-tests", "pw-for-tests"
OPEN = {"/healthz", "/openapi.json", "/docs", "/redoc"}
DOORS = {  # routes the walk must find, so that an empty walk cannot pass
    "/api/ask",
    "/api/ingest",
    "/api/index",
    "/api/conversations",
    "/api/conversations/x",  # GET and DELETE
    "/api/conversations/x/export",
    "/api/feedback",
    "/v1/models",
    "/v1/chat/completions",
    "/mcp",
    "/",
    "/gradio_api/call/chat",
    "/gradio_api/queue/join",
    "/gradio_api/upload",
    "/gradio_api/info",
    "/config",
}
ANY_METHOD = ("GET", "POST", "DELETE")  # a route that takes every method (an ASGI app)
FILL = {"api_name": "chat"}


def basic(user: str, password: str) -> dict:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


WRONG = [
    {"Authorization": "Bearer wrong"},
    {"Authorization": KEY},  # no scheme
    basic("assistant", "wrong"),
    basic("someone", PASSWORD),
]
CONFIGS = {  # settings -> the credentials that must open every door
    "api key only": (
        {"api_key": KEY},
        [{"Authorization": f"Bearer {KEY}"}, basic("assistant", KEY)],
    ),
    "ui password only": (
        {"ui_password": PASSWORD},
        [basic("assistant", PASSWORD), {"Authorization": f"Bearer {PASSWORD}"}],
    ),
    "both": (
        {"api_key": KEY, "ui_password": PASSWORD},
        [{"Authorization": f"Bearer {KEY}"}, basic("assistant", PASSWORD)],
    ),
}


def walk(routes, prefix: str = ""):
    """(path, method) for every route, into mounted apps; path parameters filled in."""
    for context in iter_route_contexts(routes):
        route = context.original_route
        if isinstance(route, Mount):
            inner = getattr(route.app, "routes", None)
            if inner is None:  # a mounted app without routes (static files): one path in it
                yield prefix + route.path + "/x", "GET"
            else:
                yield from walk(inner, prefix + route.path)
        elif isinstance(route, WebSocketRoute):
            yield prefix + route.path, "WEBSOCKET"
        else:
            for method in sorted(context.methods or ANY_METHOD):
                yield _filled(prefix + context.path), method


def _filled(path: str) -> str:
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: FILL.get(m.group(1), "x"), path)


def doors(app) -> list[tuple[str, str]]:
    found = sorted(set(walk(app.routes)))
    assert {path for path, _ in found} >= DOORS, DOORS - {path for path, _ in found}
    assert not [p for p, m in found if m == "WEBSOCKET"], "a websocket route: test it here"
    return found


def attempt(client: httpx.Client, method: str, path: str, headers: dict) -> httpx.Response:
    """Status and headers only (event streams never end); the body of a 401 is read."""
    with client.stream(method, path, headers=headers) as response:
        if response.status_code == 401 and method != "HEAD":
            response.read()
        return response


def refused(response: httpx.Response, method: str) -> bool:
    """True when the guard refused: 401, its challenge and (but for HEAD) its error body."""
    if response.status_code != 401:
        return False
    challenge = response.headers.get("www-authenticate", "")
    ours = challenge == "Bearer" or challenge.startswith("Basic realm=")
    return ours and (
        method == "HEAD"
        or response.json()["error"]["message"].startswith("expected 'Authorization: Bearer")
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """``served(config)`` -> (app, url): one app per auth configuration (CONFIGS, or
    "none"), built and served on first use and kept for the module."""
    from conftest import ARTICLES

    corpus = tmp_path_factory.mktemp("doors-corpus")
    for name, text in ARTICLES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    apps: dict[str, tuple] = {}
    with contextlib.ExitStack() as stack:

        def serve(config: str) -> tuple:
            if config not in apps:
                settings = CONFIGS[config][0] if config in CONFIGS else {}
                assistant = make_assistant(tmp_path_factory.mktemp("doors"), **settings)
                assistant.ingest(corpus)
                app = build_app(assistant)
                apps[config] = (app, stack.enter_context(running(app)))
            return apps[config]

        yield serve


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_every_route_needs_a_credential(served, config):
    right = CONFIGS[config][1]
    app, url = served(config)
    failures = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for path, method in doors(app):
            for headers in [{}, *WRONG, *right]:
                expected = path not in OPEN and headers not in right
                if refused(attempt(client, method, path, headers), method) != expected:
                    failures.append(
                        (method, path, headers, "not refused" if expected else "refused")
                    )
    assert not failures, failures


def test_without_credentials_configured_every_route_is_open(served):
    app, url = served("none")
    with httpx.Client(base_url=url, timeout=30) as client:
        shut = [(m, p) for p, m in doors(app) if refused(attempt(client, m, p, {}), m)]
    assert not shut


def test_the_gradio_api_needs_the_api_key(served):
    """The way around the key that was found: with only ASSISTANT_API_KEY set, the chat's
    Gradio API answered without it."""
    _, url = served("api key only")
    call = {"data": [TROOPS_QUESTION, [], "(any)", "(any)", "", "", False]}
    refusal = httpx.post(f"{url}/gradio_api/call/chat", json=call, timeout=30)
    accepted = httpx.post(
        f"{url}/gradio_api/call/chat",
        json=call,
        timeout=30,
        headers={"Authorization": f"Bearer {KEY}"},
    )
    page = httpx.get(f"{url}/", headers=basic("assistant", KEY), timeout=30)
    assert refusal.status_code == 401 and "ASSISTANT_API_KEY" in refusal.json()["error"]["message"]
    assert refusal.headers["www-authenticate"].startswith("Basic realm=")  # a browser asks
    assert accepted.status_code == 200 and accepted.json()["event_id"]
    assert page.status_code == 200 and "<html" in page.text.lower()


def test_a_websocket_without_credentials_is_closed_before_it_opens(tmp_path):
    settings = load_settings(index_dir=tmp_path / "index", api_key=KEY)
    reached: list[str] = []
    sent: list[dict] = []

    async def app(scope, receive, send):
        reached.append(scope["path"])

    async def receive():
        return {"type": "websocket.connect"}

    async def send(message):
        sent.append(message)

    guard = GuardMiddleware(app, settings)
    scope = {"type": "websocket", "path": "/ws", "headers": []}
    anyio.run(guard, scope, receive, send)
    assert sent == [{"type": "websocket.close", "code": 1008}] and reached == []
    keyed = {**scope, "headers": [(b"authorization", f"Bearer {KEY}".encode())]}
    anyio.run(guard, keyed, receive, send)
    assert reached == ["/ws"]
