"""Kept conversations: the service stores whole turns only, history comes from the store,
feedback is checked before anything is written, deletion and retention take everything."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from assistant.conversations import ConversationStore, make_conversations
from assistant.conversations.export import conversation_markdown
from assistant.conversations.records import Conversation, Turn, TurnSettings
from assistant.errors import (
    ConfigError,
    ConversationError,
    NotFoundError,
    ProviderError,
    QuestionError,
    StoreError,
)
from assistant.records import (
    Answer,
    AskRequest,
    Citation,
    ErrorEvent,
    Filters,
    FinalAnswer,
    TextDelta,
)

TROOPS = "Wie viele Soldaten hat Nordkorea nach Russland geschickt?"


@pytest.fixture
def indexed(fake_assistant, corpus_dir):
    fake_assistant.ingest(corpus_dir)
    return fake_assistant


@pytest.fixture
def service(indexed):
    return make_conversations(indexed)


def test_a_turn_is_stored_with_its_settings_answer_and_ids(service):
    filters = Filters.parse("de", None, "2024-10-01", None)
    request = AskRequest(question=TROOPS, filters=filters, top_k=3, as_of=date(2024, 10, 28))
    answer = service.ask(request)
    assert answer.turn_id and answer.conversation_id
    (turn,) = service.turns(answer.conversation_id)
    assert turn.id == answer.turn_id and turn.n == 1
    assert turn.answer == json.loads(json.dumps(answer.to_dict()))  # as the client got it
    assert turn.answer["turn_id"] == answer.turn_id
    assert turn.settings == TurnSettings(filters, 3, date(2024, 10, 28), None, ())
    assert turn.timings_ms == answer.timings_ms and turn.timings_ms["total"] > 0
    (listed,) = service.conversations()
    assert (listed.id, listed.title, listed.turn_count) == (answer.conversation_id, TROOPS, 1)


def test_a_follow_up_takes_its_history_from_the_store_not_from_the_request(service):
    first = service.ask(AskRequest(question=TROOPS))
    follow = service.ask(
        AskRequest(
            question="Und was sagte Pjöngjang dazu?",
            history=(("Wie war das Wetter an der Küste?", "Stürmisch."),),  # ignored
            conversation_id=first.conversation_id,
        )
    )
    assert follow.conversation_id == first.conversation_id
    assert follow.query == "Und was sagte Pjöngjang dazu? Soldaten Nordkorea Russland geschickt"
    turns = service.turns(first.conversation_id)
    assert [t.n for t in turns] == [1, 2] and turns[1].settings.history == ()
    assert service.conversations()[0].turn_count == 2


def test_an_unknown_conversation_is_not_found_and_nothing_is_asked(service, indexed, monkeypatch):
    monkeypatch.setattr(indexed, "stream", lambda request: pytest.fail("asked"))
    events = list(service.stream(AskRequest(question=TROOPS, conversation_id="nope")))
    assert len(events) == 1 and isinstance(events[0].error, NotFoundError)
    assert "expected a stored conversation id, got 'nope'" in str(events[0].error)


def test_a_failed_answer_stores_nothing(service, indexed, monkeypatch):
    def half(request):
        yield TextDelta("Fast")
        yield ErrorEvent(ProviderError("connection reset"))

    with pytest.raises(QuestionError):
        service.ask(AskRequest(question=" "))
    monkeypatch.setattr(indexed, "stream", half)
    events = list(service.stream(AskRequest(question=TROOPS)))
    assert isinstance(events[-1], ErrorEvent) and service.conversations() == []


def test_a_turn_the_store_cannot_keep_is_an_error_not_an_unkept_turn_id(service, monkeypatch):
    def full(*args, **kwargs):
        raise StoreError("expected to store a turn in x, got OperationalError: disk full")

    monkeypatch.setattr(service.store, "add_turn", full)
    events = list(service.stream(AskRequest(question=TROOPS)))
    assert isinstance(events[-1], ErrorEvent) and "disk full" in str(events[-1].error)
    assert not any(isinstance(e, FinalAnswer) for e in events)


def test_with_storing_off_nothing_is_kept_and_no_conversation_can_be_continued(indexed):
    service = make_conversations(indexed)
    service.enabled = False  # as store_conversations=false configures it
    answer = service.ask(AskRequest(question=TROOPS))
    assert answer.turn_id == "" and answer.conversation_id == "" and "12.000" in answer.answer
    assert not service.path.exists()
    with pytest.raises(ConversationError, match="store_conversations on"):
        service.ask(AskRequest(question=TROOPS, conversation_id="abc"))


def test_the_settings_configure_the_service(indexed):
    settings = indexed.settings.model_copy(
        update={"store_conversations": False, "conversation_retention_days": 7}
    )
    indexed.settings = settings
    service = make_conversations(indexed)
    assert (service.enabled, service.retention_days) == (False, 7)
    assert service.path == settings.index_dir / "conversations.sqlite3"


def test_deleting_a_conversation_deletes_its_turns_and_their_feedback(service):
    answer = service.ask(AskRequest(question=TROOPS))
    service.add_feedback(answer.turn_id, "down", "falsch", 1, "wrong_article")
    assert service.delete(answer.conversation_id) == {"turns": 1, "feedback": 1}
    assert service.store.feedback(include_reviewed=True) == []
    with pytest.raises(NotFoundError):
        service.store.turn(answer.turn_id)
    with pytest.raises(NotFoundError):
        service.delete(answer.conversation_id)


def test_retention_deletes_conversations_not_updated_for_that_long(service):
    old = service.ask(AskRequest(question=TROOPS))
    service.add_feedback(old.turn_id, "up")
    store = service.store
    in_100_days = datetime.now(UTC) + timedelta(days=100)
    assert store.purge(101, now=in_100_days)["conversations"] == 0
    assert store.purge(90, now=in_100_days) == {"conversations": 1, "turns": 1, "feedback": 1}
    assert service.conversations() == []
    service.retention_days = 0  # keep forever: expire never deletes
    service.ask(AskRequest(question=TROOPS))
    assert service.expire(force=True) is None and len(service.conversations()) == 1


@pytest.mark.parametrize(
    "values, message",
    [
        ({"rating": "meh"}, "expected rating 'up' or 'down', got 'meh'"),
        ({"rating": "down", "comment": "x" * 2001}, "at most 2000 characters, got 2001"),
        ({"rating": "down", "comment": "   "}, "got an empty one (leave it out for none)"),
        ({"rating": "down", "citation": 7}, "one of the turn's citations [1], got 7"),
        ({"rating": "down", "reason": "boring"}, "expected reason one of"),
    ],
)
def test_unusable_feedback_is_refused_and_nothing_is_stored(service, values, message):
    answer = service.ask(AskRequest(question=TROOPS))
    with pytest.raises(ConversationError) as refused:
        service.add_feedback(answer.turn_id, **values)
    assert message in str(refused.value)
    assert service.store.feedback(include_reviewed=True) == []


def test_feedback_is_stored_with_its_turn(service):
    answer = service.ask(AskRequest(question=TROOPS))
    with pytest.raises(NotFoundError, match="expected a stored turn id, got 'nope'"):
        service.add_feedback("nope", "up")
    blank = service.add_feedback(answer.turn_id, "up")
    full = service.add_feedback(answer.turn_id, "down", "x" * 2000, 1, "quote_does_not_support")
    assert blank.to_dict()["comment"] is None and blank.citation is None
    (turn,) = service.turns(answer.conversation_id)
    assert [f.id for f in turn.feedback] == [blank.id, full.id]
    assert turn.feedback[1].reason == "quote_does_not_support" and turn.feedback[1].citation == 1


def test_ids_may_be_given_by_a_unique_prefix(service):
    answer = service.ask(AskRequest(question=TROOPS))
    store = service.store
    assert store.resolve("conversations", answer.conversation_id[:6]) == answer.conversation_id
    with pytest.raises(NotFoundError, match="got none"):
        store.resolve("conversations", "zzzz")


def test_the_export_lists_question_answer_and_sources_with_article_text_escaped(tmp_path):
    quote = "Der Sturm erreichte 140 km/h."
    citation = Citation(
        1, "c-0", "storm", "Sturm <img src=https://evil.example/x.png>", "Testquelle",
        "2024-10-26", "https://example.org/a", quote, quote, 0, len(quote),
    )  # fmt: skip
    answer = Answer(
        "Wie stark?", "140 km/h [1]", True, "de", (), (citation,), (), "extractive"
    ).to_dict()  # a stored turn holds the Answer's one JSON form
    turn = Turn("t1", "c1", 1, TurnSettings(), answer, {}, "", "2026-01-01T00:00:00+00:00")
    text = conversation_markdown(
        Conversation("c1", "Wie stark?", "2026-01-01", "2026-01-01"), [turn]
    )
    assert text.startswith("# Wie stark?\n") and "## 1. Wie stark?" in text
    assert "140 km/h &#91;1&#93;" in text  # the marker, shown as typed
    assert "Testquelle, 2024-10-26" in text and "  > Der Sturm erreichte 140 km/h." in text
    assert "(https://example.org/a)" in text  # the one link, from an http(s) URL
    assert "<img" not in text and "&lt;img src=https:&#47;/evil" in text


def test_a_store_file_that_cannot_be_opened_names_it(tmp_path):
    (tmp_path / "conversations.sqlite3").write_bytes(b"not a database" * 100)
    with pytest.raises(ConfigError, match="expected a conversations file"):
        ConversationStore.beside(tmp_path)
