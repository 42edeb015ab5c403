"""A real browser's thumbs down on an answer stores feedback for that answer's turn: the
Chatbot's like event reaches ``rate_answer`` with Gradio's event data (in-process app on the
fake assistant; skips like ``test_browser.py`` when Chromium or playwright is missing)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import write_fake_model

from .conftest import TROOPS_QUESTION, running
from .test_browser import ARGS, CHROMIUM
from .test_feedback_loop import (  # noqa: F401  (evals: a fixture)
    FRANCE,
    cli,
    evals,
    feedback_eval,
    items,
)

pytestmark = pytest.mark.integration


@contextmanager
def asked(assistant, question: str) -> Iterator[tuple]:
    """(app, page): the chat in headless Chromium after ``question`` was answered."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (test.sh installs it with apt-get)")
    pytest.importorskip("playwright.sync_api", reason="playwright (dev dependency) missing")
    from playwright.sync_api import sync_playwright

    from assistant.server import build_app

    app = build_app(assistant)
    with running(app) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 950})
            page.set_default_timeout(30_000)
            page.goto(url, wait_until="domcontentloaded")
            page.locator("#question textarea").fill(question)
            page.locator("#ask").click()
            page.locator("#chat sup").first.wait_for()
            yield app, page
        finally:
            browser.close()


def thumbs_down(page) -> None:
    page.locator("#chat").get_by_label("Dislike").first.click()
    page.locator("#feedback-note").get_by_text("your rating is stored").wait_for()


def test_a_thumbs_down_in_the_browser_is_stored_with_the_turn(indexed):
    with asked(indexed, TROOPS_QUESTION) as (app, page):
        thumbs_down(page)
    conversations = app.state.assistant_state.conversations
    (kept,) = conversations.conversations()
    (turn,) = conversations.turns(kept.id)
    assert turn.question == TROOPS_QUESTION and [f.rating for f in turn.feedback] == ["down"]


def test_a_reloaded_tab_reopens_a_kept_conversation_with_its_sources(indexed):
    with asked(indexed, TROOPS_QUESTION) as (_, page):
        page.reload(wait_until="domcontentloaded")  # a new tab: an empty chat
        page.locator("#history-panel").get_by_text("Conversations").click()
        page.locator("#history input").click()
        page.get_by_role("option").filter(has_text=TROOPS_QUESTION[:30]).click()
        page.locator("#history-open").click()
        page.locator("#history-note").get_by_text("Reopened: 1 answers.").wait_for()
        page.locator("#chat sup").first.wait_for()
        page.locator("#sources .source-card").first.wait_for()


def test_the_whole_way_from_a_browser_thumbs_down_to_the_gate(indexed, evals, tmp_path, capsys):  # noqa: F811
    """A wrong answer in Chromium, 👎 there; review as "should have declined"; the gate
    fails on that item; a stricter answer model (the fix) makes it pass."""
    with asked(indexed, FRANCE) as (app, page):  # answered, wrongly: the troops quote
        thumbs_down(page)
    index = str(indexed.settings.index_dir)
    (rating,) = app.state.assistant_state.conversations.store.feedback()
    status, out, _ = cli(capsys, "feedback", "review", rating.id, "--decision", "decline",
                         "--index", index)  # fmt: skip
    assert status == 0 and [i["question"] for i in items(evals)] == [FRANCE]
    run = feedback_eval(tmp_path)
    status, out, err = cli(capsys, *run)
    assert status == 1 and "FAIL declined = 0.000 is below its floor 1.000" in err
    stricter = write_fake_model(tmp_path / "stricter.json", threshold=0.9)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASSISTANT_ANSWER_MODEL", str(stricter))
        status, out, err = cli(capsys, *run)
    assert status == 0 and "gate passed for set feedback (1 items, 0 errors)" in out, err
