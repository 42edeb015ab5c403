"""Article text is data: a hostile article's markup reaches every renderer as text (issue 10).

The chat message is checked twice: as the Markdown string Gradio receives, and rendered by a
CommonMark renderer with raw HTML on (what Gradio's marked does; the real browser is
``test_browser_hostile.py``). "Live markup" is any tag we never write, any ``src`` or
``on*`` attribute, or a link that is not ours (``live_markup``).
"""

from __future__ import annotations

import html

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from assistant import Assistant
from assistant.evaluation.judges import OfflineJudge
from assistant.evaluation.report import html_page, markdown
from assistant.evaluation.runner import run_items
from assistant.evaluation.sets import FULL, EvalItem, EvalSet
from assistant.providers import HashingEmbedder, make_chat_model
from assistant.records import Answer, Citation
from assistant.server.render import answer_markdown, sources_html, stats_markdown
from assistant.server.state import ServerState
from assistant.server.ui import chat_events
from assistant.untrusted import escape, href

from .conftest import make_assistant
from .hostile import (
    QUESTION,
    echo_reply,
    hostile_record,
    live_markup,
    markdown_html,
    markdown_image,
    parse,
    quoted_sentence,
    visible,
    write_hostile_corpus,
)

pytestmark = pytest.mark.reliability
PORT = 9  # nothing listens there; only the browser test counts requests
LIVE = ("<img", "<script", 'href="javascript', "![", "](")  # as the article wrote them


@pytest.fixture
def hostile(tmp_path):
    """The fake assistant (extractive) with only the hostile article indexed."""
    assistant = make_assistant(tmp_path)
    assert assistant.ingest(write_hostile_corpus(tmp_path / "corpus", PORT)).added == 1
    return assistant


def assert_text_only(source: str, is_markdown: bool = True) -> None:
    """No hostile bit in ``source`` as written, and no live markup in it, nor in it rendered
    as Markdown."""
    assert not any(bit in source for bit in LIVE), source
    assert live_markup(source) == []
    if is_markdown:
        assert live_markup(markdown_html(source)) == []


def test_the_extractive_quote_of_a_hostile_article_is_shown_as_text(hostile):
    answer = hostile.ask(QUESTION)
    assert quoted_sentence(PORT) in answer.answer  # the markup did reach the answer
    chat, sources = answer_markdown(answer), sources_html(answer)
    assert_text_only(chat)
    assert_text_only(sources, is_markdown=False)  # gr.HTML
    assert quoted_sentence(PORT) in visible(markdown_html(chat))  # the quote's words, all
    assert hostile_record(PORT)["text"] in visible(sources)  # the whole chunk
    assert visible(markdown_html(chat)).count("Container") == 1
    assert markdown_html(chat).count('<a href="#source-1">') == 1  # our marker still links


def test_a_model_echoing_the_markup_is_shown_as_text(fake_settings, tmp_path):
    bot = Assistant.from_settings(
        fake_settings,
        embedder=HashingEmbedder(),
        chat_model=make_chat_model(fake_settings, [echo_reply(PORT)]),
    )
    bot.ingest(write_hostile_corpus(tmp_path / "corpus", PORT))
    answer = bot.ask(QUESTION)
    assert markdown_image(PORT) in answer.answer and answer.citations
    assert_text_only(answer_markdown(answer))
    rendered = markdown_html(answer_markdown(answer))
    assert "<a" not in rendered.replace('<a href="#source-1">', "")  # no autolink either
    assert echo_reply(PORT).removesuffix(" [1].") in visible(rendered)


def test_every_streamed_chat_step_is_escaped(hostile):
    events = chat_events(ServerState(hostile), QUESTION, [], [], "(any)", "(any)", "", "", True)
    shown = [(chat[-1]["content"], sources) for chat, sources, *_ in events]  # as they come
    assert len(shown) >= 3  # deltas, then the final answer
    for message, sources in shown:
        assert_text_only(message)
        assert_text_only(sources, is_markdown=False)
    assert quoted_sentence(PORT) in visible(markdown_html(shown[-2][0]))  # a streamed step


def test_titles_sources_and_urls_are_text_and_only_http_urls_link(hostile):
    answer = hostile.ask(QUESTION)
    sources = sources_html(answer)
    assert hostile_record(PORT)["title"] in visible(sources)
    assert hostile_record(PORT)["source"] in visible(sources)
    assert "link</a>" not in sources  # its javascript: URL makes no link
    stats = stats_markdown(ServerState(hostile).stats())
    assert_text_only(stats)
    assert hostile_record(PORT)["source"] in visible(markdown_html(stats))
    web = Citation(2, "c", "a", "t", "s", "", 'https://example.org/a?b="c"&d', "x", "x", 0, 1)
    linked = sources_html(Answer("q", "x [2]", True, "en", (), (web,), (), "extractive"))
    assert live_markup(linked, ('https://example.org/a?b="c"&d',)) == []
    assert 'href="https://example.org/a?b=&quot;c&quot;&amp;d"' in linked


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,<script>", "/local", "x"],
)
def test_only_absolute_http_urls_become_hrefs(url):
    assert href(url) == ""


def test_eval_reports_show_article_text_as_text(hostile, tmp_path):
    item = EvalItem("<img src=x>", QUESTION, "de", True, ("4.200",), ("hostile",))
    run = run_items(
        {FULL: hostile},
        EvalSet("hostile", [item], {FULL: [tmp_path / "corpus"]}),
        OfflineJudge(),
        None,
        {},
    )
    assert quoted_sentence(PORT) in run.items[0].answer
    page, summary = html_page(run, [], None), markdown(run, [], None)
    assert_text_only(page.rsplit("<table", 1)[1], is_markdown=False)  # the items' table
    assert quoted_sentence(PORT) in html.unescape(page)
    assert_text_only(summary.split("## Worst items first", 1)[1])
    assert quoted_sentence(PORT) in visible(markdown_html(summary))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="<>&\"'`*_[]()!#|~$:/@.w-+=1 \nahjtps\\;", max_size=60))
@example(" -")  # a list marker after a space (found by this test, 2026-12-07)
@example("   12) x\n  + y")
def test_escape_round_trips_and_leaves_no_markup(text):
    escaped = escape(text)
    assert html.unescape(escaped) == text
    assert {tag for tag, _ in parse(markdown_html(escaped)).tags} <= {"p", "br"}
