"""A real browser shows a hostile article as text: it fetches nothing the article names and
runs none of its script (issue 10, "article text is data").

The app (API and Gradio UI) runs in-process on the fake assistant with only the hostile
article indexed (``hostile.py``); every URL in the article points at a tiny loopback HTTP
server that counts requests. Headless Debian Chromium asks the question whose answer
quotes the article, once with the extractive answerer and once with a scripted chat model
that parrots every markup form back. Skips like ``test_browser.py`` when Chromium or
playwright is missing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.providers import HashingEmbedder, make_chat_model

from .conftest import page_on, running
from .hostile import QUESTION, echo_reply, hostile_record, markdown_image, write_hostile_corpus

pytestmark = [pytest.mark.integration, pytest.mark.reliability]


@pytest.fixture
def tracker() -> Iterator[tuple[int, list[str]]]:
    """A loopback server that records the path of every request: (port, paths)."""
    hits: list[str] = []

    class Count(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            hits.append(self.path)
            self.send_response(204)
            self.end_headers()

        do_POST = do_HEAD = do_GET

    server = ThreadingHTTPServer(("127.0.0.1", 0), Count)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], hits
    finally:
        server.shutdown()
        server.server_close()


def hostile_app(fake_settings, folder: Path, port: int, answerer: str):
    """The full app on an assistant that has indexed only the hostile article."""
    from assistant.server import build_app

    model = make_chat_model(fake_settings, [echo_reply(port)]) if answerer == "chat" else None
    assistant = Assistant.from_settings(fake_settings, embedder=HashingEmbedder(), chat_model=model)
    assert assistant.ingest(write_hostile_corpus(folder, port)).added == 1
    return build_app(assistant)


@pytest.mark.parametrize("answerer", ["extractive", "chat"])
def test_the_browser_fetches_nothing_the_article_names_and_runs_none_of_its_script(
    fake_settings, tmp_path, tracker, answerer, chromium
):
    port, hits = tracker
    app = hostile_app(fake_settings, tmp_path / "corpus", port, answerer)
    with running(app) as url, page_on(chromium) as page:
        seen = _watch(page, port)
        chat, sources = _ask(page, url)
        assert hits == [] and seen["requests"] == []  # no pixel, no Markdown image
        assert seen["dialogs"] == []  # no script ran
        assert page.locator(f'img[src*=":{port}/"]').count() == 0
        assert page.locator('a[href^="javascript" i]').count() == 0
        assert page.evaluate(_SCRIPTS_WITH_ALERT) == 0
    assert f"<img src=http://127.0.0.1:{port}/pixel>" in chat  # shown, as text
    assert "[click](javascript:alert(1))" in chat
    if answerer == "chat":
        assert markdown_image(port) in chat
    assert markdown_image(port) in sources and hostile_record(port)["title"] in sources


_SCRIPTS_WITH_ALERT = (
    "() => [...document.querySelectorAll('script')]"
    ".filter(s => s.textContent.includes('alert(1)')).length"
)


def _watch(page, port: int) -> dict[str, list[str]]:
    """Record the page's requests to ``port`` and every dialog (dismissed)."""
    seen: dict[str, list[str]] = {"requests": [], "dialogs": []}
    page.on(
        "request",
        lambda r: seen["requests"].append(r.url) if f":{port}/" in r.url else None,
    )
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    return seen


def _ask(page, url: str) -> tuple[str, str]:
    """Ask the question in the chat; (chat text, sources text) once the answer is shown."""
    page.goto(url, wait_until="domcontentloaded")
    page.locator("#question textarea").fill(QUESTION)
    page.locator("#ask").click()
    page.locator("#sources .source-card").first.wait_for()
    page.locator("#chat sup").first.wait_for()
    page.wait_for_timeout(1500)  # time for any image or script the page would load
    return page.locator("#chat").inner_text(), page.locator("#sources").inner_text()
