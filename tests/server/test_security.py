"""API key and basic auth (on/off), exposure check, request size limits."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient

from assistant.config import load_settings
from assistant.errors import ConfigError
from assistant.server import build_app
from assistant.server.security import check_exposure, is_loopback

from .conftest import TROOPS_QUESTION, make_assistant


def basic(user: str, password: str) -> dict:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def guarded(tmp_path, corpus_dir):
    assistant = make_assistant(
        tmp_path, api_key="s3cret", ui_password="pw", max_body_bytes=2048, max_upload_bytes=4096
    )
    assistant.ingest(corpus_dir)
    with TestClient(build_app(assistant)) as client:
        yield client


def test_auth_is_off_by_default(client):
    assert client.post("/api/ask", json={"question": TROOPS_QUESTION}).status_code == 200
    assert client.get("/v1/models").status_code == 200


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}, basic("assistant", "no")],
)
def test_api_refuses_missing_or_wrong_keys(guarded, headers):
    for method, path in (
        ("post", "/api/ask"),
        ("get", "/api/index"),
        ("get", "/v1/models"),
        ("post", "/api/ingest"),
        ("post", "/v1/chat/completions"),
    ):
        response = getattr(guarded, method)(path, headers=headers)
        assert response.status_code == 401, (path, response.text)
        assert "Bearer" in response.json()["error"]["message"]


def test_api_accepts_the_key(guarded):
    ok = {"Authorization": "Bearer s3cret"}
    response = guarded.post("/api/ask", json={"question": TROOPS_QUESTION}, headers=ok)
    assert response.status_code == 200 and response.json()["citations"]
    assert guarded.get("/v1/models", headers=ok).status_code == 200


def test_ui_needs_basic_auth(guarded):
    refused = guarded.get("/")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Basic")
    assert guarded.get("/", headers=basic("assistant", "wrong")).status_code == 401
    assert guarded.get("/", headers={"Authorization": "Basic !!!"}).status_code == 401
    page = guarded.get("/", headers=basic("assistant", "pw"))
    assert page.status_code == 200 and "<html" in page.text.lower()


def test_health_and_schema_stay_open(guarded):
    assert guarded.get("/healthz").status_code == 200
    assert guarded.get("/openapi.json").status_code == 200


def test_oversized_bodies_get_413(guarded):
    ok = {"Authorization": "Bearer s3cret"}
    big = guarded.post("/api/ask", json={"question": "x" * 3000}, headers=ok)
    assert big.status_code == 413 and "at most 2048 bytes" in big.json()["error"]["message"]

    def chunks():  # no Content-Length: the limit must hold while reading
        for _ in range(10):
            yield b"x" * 500

    streamed = guarded.post(
        "/api/ask", content=chunks(), headers={**ok, "content-type": "application/json"}
    )
    assert streamed.status_code == 413
    upload = guarded.post(
        "/api/ingest", headers=ok, files=[("files", ("big.txt", b"Wort " * 1000, "text/plain"))]
    )
    assert upload.status_code == 413
    small = guarded.post(
        "/api/ingest",
        headers=ok,
        files=[("files", ("small.txt", b"Ein kurzer Text.", "text/plain"))],
    )
    assert small.status_code == 200  # uploads have their own, larger limit


@pytest.mark.parametrize(
    "host, expected",
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("192.168.1.5", False),
        ("example.org", False),
    ],
)
def test_is_loopback(host, expected):
    assert is_loopback(host) is expected


def test_binding_beyond_loopback_needs_credentials_or_an_explicit_opt_out():
    check_exposure(load_settings(host="127.0.0.1"))
    with pytest.raises(ConfigError, match="ASSISTANT_API_KEY and ASSISTANT_UI_PASSWORD"):
        check_exposure(load_settings(host="0.0.0.0"))
    with pytest.raises(ConfigError, match="ASSISTANT_UI_PASSWORD"):
        check_exposure(load_settings(host="0.0.0.0", api_key="k"))
    check_exposure(load_settings(host="0.0.0.0", api_key="k", ui_password="p"))
    check_exposure(load_settings(host="0.0.0.0", allow_no_auth=True))


def test_cli_serve_refuses_an_open_public_bind(monkeypatch, capsys, tmp_path):
    from assistant.__main__ import main

    monkeypatch.setenv("ASSISTANT_EMBEDDINGS", "fake")
    assert main(["serve", "--host", "0.0.0.0", "--index", str(tmp_path / "i")]) == 2
    assert "ASSISTANT_ALLOW_NO_AUTH" in capsys.readouterr().err
