"""A real browser's thumbs down on an answer stores feedback for that answer's turn: the
Chatbot's like event reaches ``rate_answer`` with Gradio's event data. One in-process app
on the fake assistant serves the module and one Chromium drives it (each test in a fresh
browser context, finding its own turn by question); skips like ``test_browser.py`` when
Chromium or playwright is missing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from conftest import ARTICLES, write_fake_model

from .conftest import TROOPS_QUESTION, make_assistant, page_on, running
from .test_feedback_loop import (  # noqa: F401  (evals: a fixture)
    FRANCE,
    cli,
    evals,
    feedback_eval,
    items,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(app, url): the app with the two test articles, served for the whole module."""
    from assistant.server import build_app

    folder = tmp_path_factory.mktemp("browser-feedback")
    for name, text in ARTICLES.items():
        (folder / "corpus").mkdir(exist_ok=True)
        (folder / "corpus" / name).write_text(text, encoding="utf-8")
    assistant = make_assistant(folder)
    assert assistant.ingest(folder / "corpus").added == 2
    app = build_app(assistant)
    with running(app) as url:
        yield app, url


@contextmanager
def asked(chromium, url: str, question: str) -> Iterator:
    """The chat page in a fresh browser context after ``question`` was answered."""
    with page_on(chromium, timeout_ms=30_000) as page:
        page.goto(url, wait_until="domcontentloaded")
        page.locator("#question textarea").fill(question)
        page.locator("#ask").click()
        page.locator("#chat sup").first.wait_for()
        yield page


def rated_turns(app, question: str) -> list:
    """The stored turns that asked ``question`` and were rated."""
    conversations = app.state.assistant_state.conversations
    turns = [t for c in conversations.conversations() for t in conversations.turns(c.id)]
    return [t for t in turns if t.question == question and t.feedback]


def thumbs_down(page) -> None:
    page.locator("#chat").get_by_label("Dislike").first.click()
    page.locator("#feedback-note").get_by_text("your rating is stored").wait_for()


def test_a_thumbs_down_in_the_browser_is_stored_with_the_turn(served, chromium):
    app, url = served
    with asked(chromium, url, TROOPS_QUESTION) as page:
        thumbs_down(page)
    (turn,) = rated_turns(app, TROOPS_QUESTION)
    assert [f.rating for f in turn.feedback] == ["down"]


def test_a_reloaded_tab_reopens_a_kept_conversation_with_its_sources(served, chromium):
    with asked(chromium, served[1], TROOPS_QUESTION) as page:
        page.reload(wait_until="domcontentloaded")  # a new tab: an empty chat
        page.locator("#history-panel").get_by_text("Conversations").click()
        page.locator("#history input").click()
        page.get_by_role("option").filter(has_text=TROOPS_QUESTION[:30]).first.click()
        page.locator("#history-open").click()
        page.locator("#history-note").get_by_text("Reopened: 1 answers.").wait_for()
        page.locator("#chat sup").first.wait_for()
        page.locator("#sources .source-card").first.wait_for()


def test_the_whole_way_from_a_browser_thumbs_down_to_the_gate(
    served,
    chromium,
    evals,  # noqa: F811
    tmp_path,
    capsys,
):
    """A wrong answer in Chromium, 👎 there; review as "should have declined"; the gate
    fails on that item; a stricter answer model (the fix) makes it pass."""
    app, url = served
    with asked(chromium, url, FRANCE) as page:  # answered, wrongly: the troops quote
        thumbs_down(page)
    (turn,) = rated_turns(app, FRANCE)
    (rating,) = turn.feedback
    index = str(app.state.assistant_state.assistant.settings.index_dir)
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
