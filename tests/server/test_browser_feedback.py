"""A real browser's thumbs down on an answer stores feedback for that answer's turn: the
Chatbot's like event reaches ``rate_answer`` with Gradio's event data (in-process app on the
fake assistant; skips like ``test_browser.py`` when Chromium or playwright is missing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import TROOPS_QUESTION, running
from .test_browser import ARGS, CHROMIUM

pytestmark = pytest.mark.integration


def test_a_thumbs_down_in_the_browser_is_stored_with_the_turn(indexed):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (test.sh installs it with apt-get)")
    pytest.importorskip("playwright.sync_api", reason="playwright (dev dependency) missing")
    from playwright.sync_api import sync_playwright

    from assistant.server import build_app

    app = build_app(indexed)
    with running(app) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 950})
            page.set_default_timeout(30_000)
            page.goto(url, wait_until="domcontentloaded")
            page.locator("#question textarea").fill(TROOPS_QUESTION)
            page.locator("#ask").click()
            page.locator("#chat sup").first.wait_for()
            page.locator("#chat").get_by_label("Dislike").first.click()
            page.locator("#feedback-note").get_by_text("your rating is stored").wait_for()
        finally:
            browser.close()
    conversations = app.state.assistant_state.conversations
    (kept,) = conversations.conversations()
    (turn,) = conversations.turns(kept.id)
    assert turn.question == TROOPS_QUESTION and [f.rating for f in turn.feedback] == ["down"]


def test_a_reloaded_tab_reopens_a_kept_conversation_with_its_sources(indexed, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (test.sh installs it with apt-get)")
    pytest.importorskip("playwright.sync_api", reason="playwright (dev dependency) missing")
    from playwright.sync_api import sync_playwright

    from assistant.server import build_app

    app = build_app(indexed)
    with running(app) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 950})
            page.set_default_timeout(30_000)
            page.goto(url, wait_until="domcontentloaded")
            page.locator("#question textarea").fill(TROOPS_QUESTION)
            page.locator("#ask").click()
            page.locator("#chat sup").first.wait_for()
            page.reload(wait_until="domcontentloaded")  # a new tab: an empty chat
            page.locator("#history-panel").get_by_text("Conversations").click()
            page.locator("#history input").click()
            page.get_by_role("option").filter(has_text=TROOPS_QUESTION[:30]).click()
            page.locator("#history-open").click()
            page.locator("#history-note").get_by_text("Reopened: 1 answers.").wait_for()
            page.locator("#chat sup").first.wait_for()
            page.locator("#sources .source-card").first.wait_for()
            page.screenshot(path=str(tmp_path / "reopened.png"))
        finally:
            browser.close()
