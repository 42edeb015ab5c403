"""The browser chat's logic and rendering, without a browser; plus gradio_client."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.errors import QuestionError
from assistant.records import Answer, Citation, Filters, Sentence
from assistant.server.render import answer_markdown, highlighted_chunk, sources_html, stats_markdown
from assistant.server.state import ServerState
from assistant.server.ui import EMPTY_INDEX, chat_events, ingest_files, parse_filters

from .conftest import TROOPS_QUESTION

CHUNK = "Erster Satz. Nordkorea schickte 12.000 Soldaten. Dritter Satz."


def make_answer(supported: bool = True) -> Answer:
    citation = Citation(
        1,
        "c1",
        "troops",
        "Truppen <in> Russland",
        "Testquelle",
        "2024-10-26",
        "https://example.org/a",
        CHUNK,
        "Nordkorea schickte 12.000 Soldaten.",
        13,
        48,
    )
    sentences = (
        Sentence("Nordkorea schickte 12.000 Soldaten.", (1,), True, 0.9),
        Sentence(
            "Kim lachte.", (1,), supported, 0.1, "" if supported else "no cited text supports it"
        ),
    )
    return Answer(
        "Wie viele?",
        "Nordkorea schickte 12.000 Soldaten. [1] Kim lachte. [1]",
        True,
        "de",
        sentences,
        (citation,),
        (),
        "extractive",
        query="Wie viele? Soldaten",
    )


def test_markers_become_superscript_links_to_sources():
    text = answer_markdown(make_answer())
    assert text == (
        'Nordkorea schickte 12.000 Soldaten. <sup>[<a href="#source-1">1</a>]</sup>'
        ' Kim lachte. <sup>[<a href="#source-1">1</a>]</sup>'
    )


def test_unsupported_sentences_are_marked_and_explained():
    text = answer_markdown(make_answer(supported=False), show_query=True)
    assert "⚠ <u>Kim lachte.</u>" in text
    assert "nicht durch die Quelle gestützt:* „Kim lachte.“ (no cited text supports it)" in text
    assert "Suchanfrage:* <code>Wie viele? Soldaten</code>" in text  # escaped, not a code span


def test_sources_panel_highlights_the_quote_and_escapes_html():
    html = sources_html(make_answer(supported=False))
    assert '<div class="source-card" id="source-1">' in html
    assert "[1] Truppen &lt;in&gt; Russland" in html
    assert "Testquelle · 2024-10-26" in html and 'href="https://example.org/a"' in html
    assert "<mark>Nordkorea schickte 12.000 Soldaten.</mark>" in html
    assert "<li>⚠ Kim lachte.</li>" in html  # which answer sentences this source backs
    assert (
        highlighted_chunk(make_answer().citations[0])
        == "Erster Satz. <mark>Nordkorea schickte 12.000 Soldaten.</mark> Dritter Satz."
    )


def test_sources_panel_without_citations():
    assert "Sources appear here" in sources_html(None)
    declined = Answer(
        "q", "Das geht aus den Artikeln nicht hervor.", False, "de", (), (), (), "decline"
    )
    assert "Keine Quellen" in sources_html(declined)


def test_parse_filters():
    assert parse_filters("(any)", "(any)", "", "") == Filters()
    assert parse_filters("de", " Testquelle ", "2024-10-01", "") == Filters(
        "de", "Testquelle", date(2024, 10, 1), None
    )
    with pytest.raises(QuestionError, match="published_to as YYYY-MM-DD, got '31.10.2024'"):
        parse_filters("de", None, "", "31.10.2024")
    with pytest.raises(QuestionError, match="on or before published_to"):
        parse_filters(None, None, "2024-12-01", "2024-01-01")


def run_chat(state, message, chat=None, turns=None, **kw):
    args = dict(language="(any)", source="(any)", date_from="", date_to="", show_query=False)
    args.update(kw)
    return list(chat_events(state, message, chat or [], turns or [], *args.values()))


def test_chat_streams_then_shows_the_checked_answer(indexed):
    steps = run_chat(ServerState(indexed), TROOPS_QUESTION)
    assert len(steps) >= 3  # at least one delta, then the final answer
    chat, sources, turns, box, _ = steps[-1]
    assert chat[0] == {"role": "user", "content": TROOPS_QUESTION}
    assert "12.000" in chat[1]["content"] and 'href="#source-1"' in chat[1]["content"]
    assert (
        '<mark>Nordkorea hat nach Berichten <strong class="answer-span">fast 12.000 '
        "Soldaten</strong> nach Russland"
    ) in sources
    assert turns == [[TROOPS_QUESTION, indexed.ask(TROOPS_QUESTION).answer]] and box == ""
    follow = run_chat(
        ServerState(indexed), "Und was sagte Pjöngjang dazu?", chat, turns, show_query=True
    )[-1]
    assert (
        "Und was sagte Pjöngjang dazu? Soldaten Nordkorea Russland geschickt"
        in follow[0][-1]["content"]
    )


def test_the_timeline_switch_asks_for_a_timeline(indexed):
    chat, *_ = run_chat(ServerState(indexed), TROOPS_QUESTION, timeline=True)[-1]
    assert chat[-1]["content"].startswith("Chronologie aus den Artikeln:")
    chat, *_ = run_chat(ServerState(indexed), TROOPS_QUESTION, timeline=False)[-1]
    assert not chat[-1]["content"].startswith("Chronologie")  # off: the question decides


def test_chat_shows_errors_as_messages(indexed):
    chat, _, turns, box, _ = run_chat(ServerState(indexed), "x" * 2001)[-1]
    assert chat[-1]["content"].startswith("⚠ expected a question of at most 2000")
    assert turns == [] and box == "x" * 2001  # the question stays for editing
    chat, *_ = run_chat(ServerState(indexed), TROOPS_QUESTION, date_from="gestern")[-1]
    assert "YYYY-MM-DD" in chat[-1]["content"]


def test_chat_on_an_empty_index_says_so(fake_assistant):
    chat, *_ = run_chat(ServerState(fake_assistant), TROOPS_QUESTION)[-1]
    assert chat[-1]["content"] == EMPTY_INDEX


def test_provider_failure_is_shown(indexed, monkeypatch):
    from assistant.errors import ProviderError

    def down(*args, **kwargs):
        raise ProviderError("the answer model (gpt) failed: APITimeoutError: timed out")

    monkeypatch.setattr(indexed, "stream", down)
    chat, *_ = run_chat(ServerState(indexed), TROOPS_QUESTION)[-1]
    assert chat[-1]["content"] == "⚠ the answer model (gpt) failed: APITimeoutError: timed out"


def test_ingest_from_the_browser_reports_each_file(fake_assistant, tmp_path):
    good = tmp_path / "good.txt"
    good.write_text(
        "---\ntitle: Gut\nsource: Hochgeladen\n---\nEin guter Text über Kiel.", encoding="utf-8"
    )
    bad = tmp_path / "bad.md"
    bad.write_text("---\nauthor: x\n---\nText", encoding="utf-8")
    seen = []
    report, stats = ingest_files(
        ServerState(fake_assistant), [str(good), str(bad)], lambda *a, **k: seen.append(a[0])
    )
    assert report.startswith("✔ articles: 1 added")
    assert "- ⚠ **bad.md**: front matter line 2: unknown field 'author'" in report
    assert "**1 articles, 1 chunks**" in stats and "| source Hochgeladen | 1 | 1 |" in stats
    assert seen and seen[-1][0] >= 1  # progress was reported in embedded texts
    assert "Choose one or more files" in ingest_files(ServerState(fake_assistant), [], None)[0]


def test_stats_markdown_for_an_empty_index(fake_assistant):
    assert "The index is empty" in stats_markdown(ServerState(fake_assistant).stats())


def test_gradio_client_calls_the_chat_endpoint(live_url):
    from gradio_client import Client

    client = Client(live_url, verbose=False, download_files=False, analytics_enabled=False)
    chat, sources, box = client.predict(
        TROOPS_QUESTION, [], "(any)", "(any)", "", "", False, api_name="/chat"
    )
    content = chat[-1]["content"]  # Gradio 6 returns a message's content as parts
    text = content if isinstance(content, str) else "".join(p["text"] for p in content)
    assert "12.000" in text and "#source-1" in text
    assert "<mark>" in sources and box == ""


def test_every_quoted_sentence_is_highlighted_once():
    citation = make_answer().citations[0]
    assert highlighted_chunk(citation, ("Dritter Satz.", "Nordkorea schickte", "fehlt")) == (
        "Erster Satz. <mark>Nordkorea schickte 12.000 Soldaten.</mark> <mark>Dritter Satz.</mark>"
    )
    assert highlighted_chunk(citation, (), "12.000 Soldaten") == (
        'Erster Satz. <mark>Nordkorea schickte <strong class="answer-span">12.000 Soldaten'
        "</strong>.</mark> Dritter Satz."
    )


def test_gradio_client_with_ui_basic_auth(tmp_path, corpus_dir):
    import base64

    import httpx
    from gradio_client import Client

    from assistant.server import build_app

    from .conftest import make_assistant, running

    assistant = make_assistant(tmp_path, ui_password="pw")
    assistant.ingest(corpus_dir)
    with running(build_app(assistant)) as url:
        assert httpx.get(url + "/").status_code == 401
        token = base64.b64encode(b"assistant:pw").decode()
        client = Client(
            url,
            verbose=False,
            download_files=False,
            analytics_enabled=False,
            headers={"Authorization": f"Basic {token}"},
        )
        chat, sources, _ = client.predict(
            TROOPS_QUESTION, [], "(any)", "(any)", "", "", False, api_name="/chat"
        )
    assert (
        '<mark>Nordkorea hat nach Berichten <strong class="answer-span">fast 12.000 '
        "Soldaten</strong> nach Russland"
    ) in sources


def test_chat_filters_reach_retrieval(indexed):
    state = ServerState(indexed)
    *_, (chat, sources, *_) = run_chat(state, TROOPS_QUESTION, language="en")
    assert "Truppen in Russland" not in sources and "12.000" not in chat[-1]["content"]
    *_, (chat, sources, *_) = run_chat(
        state, TROOPS_QUESTION, source="Testquelle", date_from="2024-10-01", date_to="2024-10-31"
    )
    assert "[1] Truppen in Russland" in sources and "12.000" in chat[-1]["content"]


def test_the_index_tab_shows_the_last_feed_run_escaped():
    from assistant.server.ui import feeds_markdown

    assert feeds_markdown(None) == ""
    assert feeds_markdown({"following": ["u"], "last_run": None}) == (
        "Feeds: 1 followed, not polled yet."
    )
    failed = [{"where": "http://x/<b>", "reason": "expected HTTP 200, got 404"}]
    run = {"started": "2026-11-28T15:00:00+00:00", "feeds_polled": 2, "feeds_not_modified": 1,
           "added": 3, "updated": 1, "unchanged": 4, "merged": 1, "failed": failed}  # fmt: skip
    text = feeds_markdown({"following": ["u", "v"], "last_run": run})
    assert "3 added, 1 updated, 4 unchanged, 1 merged as copies; 1 failed" in text
    assert "<b>" not in text and "expected HTTP 200, got 404" in text
