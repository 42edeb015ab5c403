"""Server fixtures: an app on the fake assistant, and a live uvicorn server on loopback."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager

import pytest

from assistant import Assistant, load_settings
from assistant.providers import HashingEmbedder
from tests.conftest import write_fake_model

SEED_QUESTION = "Wie viele nordkoreanische Soldaten soll Nordkorea nach Russland geschickt haben?"
TROOPS_QUESTION = "Wie viele Soldaten hat Nordkorea nach Russland geschickt?"


def make_assistant(tmp_path, **overrides) -> Assistant:
    """An Assistant on the hashing embedder with ``overrides`` applied to its settings."""
    settings = load_settings(
        index_dir=tmp_path / "index",
        embeddings="fake",
        answer_model=write_fake_model(tmp_path / "answer-model.json"),
        **overrides,
    )
    return Assistant.from_settings(settings, embedder=HashingEmbedder())


@pytest.fixture
def indexed(fake_assistant, corpus_dir):
    """The fake assistant with the two test articles indexed."""
    report = fake_assistant.ingest(corpus_dir)
    assert report.added == 2
    return fake_assistant


@pytest.fixture
def client(indexed):
    """A TestClient for the API only (no Gradio: faster)."""
    from fastapi.testclient import TestClient

    from assistant.server import build_app

    with TestClient(build_app(indexed, with_ui=False)) as test_client:
        yield test_client


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running(app, timeout: float = 30.0):
    """Serve ``app`` with uvicorn in a thread on 127.0.0.1; yield its base URL; stop it."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=1,
        )  # clients that keep a connection open
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise RuntimeError(f"server did not start within {timeout} s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_url(indexed):
    """Base URL of the full app (API + Gradio UI) on the fake assistant."""
    from assistant.server import build_app

    with running(build_app(indexed)) as url:
        yield url
