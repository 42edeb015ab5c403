import threading

import pytest

from assistant import Assistant, Filters
from assistant.errors import ProviderError, QuestionError
from assistant.providers import HashingEmbedder, make_chat_model
from assistant.records import AskRequest, ErrorEvent, FinalAnswer, TextDelta

TROOPS_Q = "Wie viele Soldaten hat Nordkorea nach Russland geschickt?"
TROOPS_S = "Nordkorea hat nach Berichten fast 12.000 Soldaten nach Russland geschickt."


@pytest.fixture
def indexed(fake_assistant, corpus_dir):
    fake_assistant.ingest(corpus_dir)
    return fake_assistant


def _generative(fake_settings, corpus_dir, *replies):
    bot = Assistant.from_settings(
        fake_settings,
        embedder=HashingEmbedder(),
        chat_model=make_chat_model(fake_settings, list(replies)),
    )
    bot.ingest(corpus_dir)
    return bot


def test_extractive_answer_quotes_the_sentence_verbatim_with_its_citation(indexed):
    answer = indexed.ask(TROOPS_Q)
    assert answer.answerable and answer.language == "de" and answer.provider == "extractive"
    assert (
        answer.answer == f"fast 12.000 Soldaten [1]\n\nWörtlich aus den Artikeln: „{TROOPS_S}“ [1]"
    )
    assert answer.lead == "fast 12.000 Soldaten"
    assert [(s.text, s.citations, s.supported) for s in answer.sentences] == [
        ("fast 12.000 Soldaten", (1,), True),
        (TROOPS_S, (1,), True),
    ]
    [citation] = answer.citations
    assert (
        citation.n,
        citation.article_id,
        citation.title,
        citation.source,
        citation.published,
        citation.quote,
    ) == (1, "troops", "Truppen in Russland", "Testquelle", "2024-10-26", TROOPS_S)
    assert citation.text[citation.quote_start : citation.quote_end] == TROOPS_S
    assert answer.retrieved[0].chunk.id == citation.chunk_id
    stages = {"prepare", "embed_query", "search", "rank", "answer", "cite"}
    assert set(answer.timings_ms) >= stages | {"total"}
    # total is the whole turn, prepare (condense, language, dates) included
    assert answer.timings_ms["total"] >= sum(answer.timings_ms[s] for s in stages)


def test_english_question_gets_an_english_frame(indexed):
    answer = indexed.ask("How strong were the winds of the storm on the coast?")
    assert answer.language == "en"
    assert answer.answer.startswith(
        "Quoted verbatim from the articles: “A strong storm with winds of 140 km/h"
    )
    assert answer.citations[0].article_id == "weather"


def test_unrelated_question_is_declined_in_its_language(indexed):
    de = indexed.ask("Wer gewann die Fußballweltmeisterschaft 1954?")
    en = indexed.ask("Who won the chess olympiad?")
    assert (de.answerable, de.answer, de.citations, de.provider) == (
        False,
        "Das geht aus den Artikeln nicht hervor.",
        (),
        "decline",
    )
    assert (en.answerable, en.answer) == (False, "The articles don't say.")


def test_top_k_zero_and_empty_index_decline(indexed, fake_settings, tmp_path):
    assert indexed.ask(TROOPS_Q, top_k=0).answerable is False
    empty = Assistant.from_settings(
        fake_settings.model_copy(update={"index_dir": tmp_path / "e"}), embedder=HashingEmbedder()
    )
    assert empty.ask(TROOPS_Q).answer == "Das geht aus den Artikeln nicht hervor."


def test_filters_restrict_retrieval(indexed):
    only_en = indexed.ask(TROOPS_Q, filters=Filters(language="en"))
    assert all(r.chunk.language == "en" for r in only_en.retrieved)
    assert only_en.retrieved and not any(r.chunk.article_id == "troops" for r in only_en.retrieved)


def test_bad_questions_raise_clear_errors(indexed):
    with pytest.raises(QuestionError, match="expected a question, got an empty text"):
        indexed.ask("   ")
    with pytest.raises(QuestionError, match="at most 2000 characters, got 2001"):
        indexed.ask("x" * 2001)


def test_stream_yields_deltas_then_the_same_answer_as_ask(indexed):
    events = list(indexed.stream(TROOPS_Q))
    assert all(isinstance(e, TextDelta) for e in events[:-1]) and isinstance(
        events[-1], FinalAnswer
    )
    final = events[-1].answer
    assert "".join(e.text for e in events[:-1]) == final.answer == indexed.ask(TROOPS_Q).answer


def test_generative_answer_is_checked_and_keeps_its_numbers(fake_settings, corpus_dir):
    bot = _generative(
        fake_settings,
        corpus_dir,
        "Nordkorea hat fast 12.000 Soldaten nach Russland geschickt [1]. "
        "Es waren 15.000 Soldaten [1]. Pjöngjang wies die Berichte zurück [9].",
    )
    answer = bot.ask(TROOPS_Q, top_k=2)
    assert answer.provider == "chat"
    assert answer.answer.startswith(
        "Nordkorea hat fast 12.000 Soldaten nach Russland geschickt [1]."
    )
    assert [(s.citations, s.supported, s.reason) for s in answer.sentences] == [
        ((1,), True, ""),
        ((1,), False, "number 15000 does not occur in the cited source"),
        ((9,), False, "marker [9] points to no retrieved source (1..2)"),
    ]
    assert [c.article_id for c in answer.citations] == ["troops"]
    assert answer.answer.endswith("zurück [9].")  # an invalid marker is kept, and flagged


def test_generative_citing_the_wrong_source_is_flagged(fake_settings, corpus_dir):
    bot = _generative(
        fake_settings, corpus_dir, "Nordkorea hat fast 12.000 Soldaten nach Russland geschickt [2]."
    )
    answer = bot.ask(TROOPS_Q, top_k=2)
    assert answer.retrieved[1].chunk.article_id == "weather"
    assert answer.answer == "Nordkorea hat fast 12.000 Soldaten nach Russland geschickt [2]."
    assert answer.sentences[0].reason == "number 12000 does not occur in the cited source"
    assert [(c.n, c.article_id) for c in answer.citations] == [(2, "weather")]


def test_generative_decline_is_recognised(fake_settings, corpus_dir):
    bot = _generative(fake_settings, corpus_dir, "Das geht aus den Artikeln nicht hervor.")
    answer = bot.ask(TROOPS_Q)
    assert (answer.answerable, answer.sentences, answer.citations) == (False, (), ())


def test_generative_stream_yields_model_tokens(fake_settings, corpus_dir):
    bot = _generative(fake_settings, corpus_dir, "Fast 12.000 Soldaten [1].")
    events = list(bot.stream(TROOPS_Q))
    assert len(events) > 2 and "".join(e.text for e in events[:-1]) == "Fast 12.000 Soldaten [1]."
    assert events[-1].answer.answer == "Fast 12.000 Soldaten [1]."


class BrokenModel:
    def __call__(self, *_):
        raise ConnectionError("connection refused")


def test_provider_failure_is_a_clear_error(fake_settings, corpus_dir):
    from langchain_core.runnables import RunnableLambda

    bot = _generative(fake_settings, corpus_dir)
    bot.answerer.chain = RunnableLambda(BrokenModel())
    with pytest.raises(
        ProviderError, match="the answer model .* failed: ConnectionError: connection refused"
    ):
        bot.ask(TROOPS_Q)
    [event] = [e for e in bot.stream(TROOPS_Q) if isinstance(e, ErrorEvent)]
    assert isinstance(event.error, ProviderError)


def test_search_ranks_without_drafting_an_answer(indexed, monkeypatch):
    """MCP ``search``: prepare, retrieve and rank as ``ask`` does, and nothing drafted."""
    asked = indexed.ask(AskRequest(question=TROOPS_Q, top_k=2)).retrieved
    drafted = []
    monkeypatch.setattr(indexed.answerer, "stream", lambda *a: drafted.append(a) or iter(()))
    query, evidence = indexed.search(AskRequest(question=f"  {TROOPS_Q} ", top_k=2))
    assert query == TROOPS_Q and drafted == []
    assert [r.rank for r in evidence.retrieved] == [1, 2]
    assert evidence.retrieved[0].chunk.article_id == "troops"
    assert [r.chunk.id for r in evidence.retrieved] == [r.chunk.id for r in asked]
    with pytest.raises(QuestionError, match="expected a question"):
        indexed.search(AskRequest(question=" "))


def test_close_stops_the_retrievers_threads(indexed):
    def workers():
        return {t for t in threading.enumerate() if t.name.startswith("retrieve")}

    others = workers()  # other Assistants' threads in this process
    indexed.close()
    indexed.ask(TROOPS_Q)
    started = workers() - others
    assert started
    with indexed:  # close() on the way out
        pass
    assert not any(t.is_alive() for t in started)
    assert indexed.ask(TROOPS_Q).answerable  # a later question starts them again
