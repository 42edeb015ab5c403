"""Server fixtures: an app on the fake assistant, and a live uvicorn server on loopback."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import write_fake_model

from assistant import Assistant, load_settings
from assistant.providers import HashingEmbedder

SEED_QUESTION = "Wie viele nordkoreanische Soldaten soll Nordkorea nach Russland geschickt haben?"
TROOPS_QUESTION = "Wie viele Soldaten hat Nordkorea nach Russland geschickt?"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def chromium():
    """One headless Debian Chromium per browser module; each test opens its own context
    (fresh storage) on it. test.sh installs Chromium with apt-get; where it or playwright
    is missing the browser tests skip with that reason."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: test.sh installs Debian's chromium with apt-get")
    pytest.importorskip("playwright.sync_api", reason="playwright (dev dependency) missing")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def page_on(browser, timeout_ms: int = 60_000):
    """A page in a fresh browser context (its own cookies and storage), closed after."""
    context = browser.new_context(viewport={"width": 1300, "height": 950})
    try:
        page = context.new_page()
        page.set_default_timeout(timeout_ms)
        yield page
    finally:
        context.close()


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
