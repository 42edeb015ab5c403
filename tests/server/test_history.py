"""Past conversations in the browser chat: listed, reopened with their sources after a
restart, continued, deleted; and the stored answer JSON becomes the same Answer again."""

from __future__ import annotations

import pytest

from assistant import Assistant
from assistant.providers import HashingEmbedder
from assistant.records import Answer
from assistant.server.history import (
    conversation_choices,
    delete_conversation,
    open_conversation,
)
from assistant.server.render import answer_markdown, sources_html
from assistant.server.state import ServerState
from assistant.server.ui import ChatSession, chat_events

from .conftest import TROOPS_QUESTION

FOLLOW_UP = "Und was sagte Pjöngjang dazu?"


@pytest.fixture
def fake_assistant(disk_assistant):
    """On disk: a restarted app reopens the index and the kept conversations."""
    return disk_assistant


def ask(state, message, chat=None, turns=None, session=None):
    *_, last = chat_events(state, message, chat or [], turns or [], "(any)", "(any)", "", "",
                           False, False, session)  # fmt: skip
    return last  # (chat, sources, turns, textbox, session)


def restarted(assistant: Assistant) -> ServerState:
    """A new server process on the same index folder."""
    again = Assistant.from_settings(assistant.settings, embedder=HashingEmbedder())
    return ServerState(again)


def test_a_conversation_comes_back_after_a_restart_with_its_sources(indexed):
    first = ServerState(indexed)
    chat, sources, turns, _, session = ask(first, TROOPS_QUESTION)
    chat, sources, turns, _, session = ask(first, FOLLOW_UP, chat, turns, session)

    state = restarted(indexed)
    ((label, conversation_id),) = conversation_choices(state)
    assert TROOPS_QUESTION[:40] in label and label.endswith("(2)")
    assert conversation_id == session.conversation_id
    shown, shown_sources, shown_turns, reopened, note = open_conversation(state, conversation_id)
    assert shown == chat and shown_sources == sources and shown_turns == turns
    assert reopened == session and note == "Reopened: 2 answers."
    assert 'href="#source-1"' in shown[1]["content"] and "<mark>" in shown_sources

    *_, continued = ask(state, "Wie viele Soldaten?", shown, shown_turns, reopened)
    assert continued.conversation_id == conversation_id and len(continued.turn_ids) == 3
    ((label, _),) = conversation_choices(state)
    assert label.endswith("(3)")


def test_deleting_a_conversation_clears_it_when_it_is_open(indexed):
    state = ServerState(indexed)
    *_, session = ask(state, TROOPS_QUESTION)
    *_, other = ask(state, "Welcher Sturm traf die Nordküste?")
    note, was_open = delete_conversation(state, session.conversation_id, other)
    assert note == "Deleted: 1 answers, 0 ratings." and not was_open
    assert [cid for _, cid in conversation_choices(state)] == [other.conversation_id]
    note, was_open = delete_conversation(state, other.conversation_id, other)
    assert was_open and conversation_choices(state) == []
    note, _ = delete_conversation(state, other.conversation_id, other)
    assert note.startswith("⚠ expected a stored conversation id")
    assert open_conversation(state, None)[-1] == "Choose a conversation first."


def test_the_stored_answer_json_is_the_same_answer_again(indexed):
    answer = indexed.ask(TROOPS_QUESTION)
    again = Answer.from_dict(answer.to_dict())
    assert again.to_dict() == answer.to_dict()
    assert answer_markdown(again) == answer_markdown(answer)
    assert sources_html(again) == sources_html(answer)


def test_windows_copies_and_timelines_survive_the_round_trip():
    from datetime import date

    from assistant.records import Citation, DateWindow, ReportedBy, Sentence

    copy = ReportedBy("Other Paper", "https://o.example/1", "2024-10-26", "T", "o-1")
    citation = Citation(1, "c", "a", "T", "S", "2024-10-25", "", "text", "text", 0, 4, (copy,))
    answer = Answer(
        "q", "- 25. Oktober 2024: „text“ [1]", True, "de",
        (Sentence("text", (1,), True, 1.0),), (citation,), (), "timeline",
        date_window=DateWindow(date(2024, 10, 21), None, "Artikel vom …", 2),
        timeline=True, turn_id="t", conversation_id="k", trace_id="0" * 32,
    )  # fmt: skip
    assert Answer.from_dict(answer.to_dict()) == answer


def test_the_feedback_form_rates_the_last_answer_with_its_citation_and_comment(indexed):
    from assistant.server.history import send_feedback

    state = ServerState(indexed)
    assert send_feedback(state, ChatSession(), "down", "", "", "").startswith("⚠ Ask a question")
    *_, session = ask(state, TROOPS_QUESTION)
    assert send_feedback(state, session, "down", "x", "", "") == (
        "⚠ expected a citation number such as 1, got x"
    )
    refused = send_feedback(state, session, "down", "9", "", "")
    assert refused.startswith("⚠ expected citation to be one of the turn's citations")
    assert refused.endswith("got 9")  # escaped for Markdown: [1] shows as &#91;1&#93;
    stored = send_feedback(state, session, "down", "[1]", "wrong_article", "Falscher Artikel.")
    assert stored.startswith("✔")
    (turn,) = state.conversations.turns(session.conversation_id)
    (feedback,) = turn.feedback  # the refused ones stored nothing
    assert (feedback.rating, feedback.citation, feedback.reason, feedback.comment) == (
        "down", 1, "wrong_article", "Falscher Artikel."
    )  # fmt: skip
