"""What the keyword index keeps for Chroma: the manifest a clean re-ingest reads instead of
Chroma's (anything that may have left the two stores apart falls back to the full read),
and the ids a filter allows, which a filtered search hands to Chroma instead of ``where``."""

import sqlite3
from datetime import date

import pytest

from assistant import Assistant
from assistant.index import chroma_where
from assistant.keywords import KeywordIndex
from assistant.providers import HashingEmbedder
from assistant.records import Filters


class Refused(Exception):
    pass


@pytest.fixture
def assistant(fake_settings, corpus_dir):
    built = Assistant.from_settings(fake_settings, embedder=HashingEmbedder())
    assert built.ingest(corpus_dir).added == 2
    return built


def full_reads(monkeypatch, assistant) -> list[int]:
    """Counts every read of Chroma's whole manifest."""
    calls: list[int] = []
    original = assistant.index.manifest
    monkeypatch.setattr(assistant.index, "manifest", lambda: calls.append(1) or original())
    return calls


def test_a_clean_reingest_reads_no_chunk_metadata_from_chroma(assistant, corpus_dir, monkeypatch):
    def refuse(*_):
        raise Refused("the whole manifest was read from Chroma")

    monkeypatch.setattr(assistant.index, "manifest", refuse)
    monkeypatch.setattr(assistant.index, "chunk_metadatas", refuse)
    report = assistant.ingest(corpus_dir)
    assert (report.unchanged, report.added, report.keywords_repaired) == (2, 0, 0)
    (corpus_dir / "weather.md").unlink()
    assert assistant.ingest(corpus_dir, prune=True).removed == 1  # pruning needs no read either


def test_after_a_killed_run_the_manifest_comes_from_chroma(assistant, corpus_dir, monkeypatch):
    reads = full_reads(monkeypatch, assistant)
    (assistant.settings.index_dir / "ingest.lock").write_text("4242")  # a pid: never "done"
    assert assistant.ingest(corpus_dir).unchanged == 2 and reads == [1]
    assert assistant.ingest(corpus_dir).unchanged == 2 and reads == [1]  # clean again


def test_chunks_removed_behind_its_back_are_found_and_indexed_again(
    assistant, corpus_dir, monkeypatch
):
    reads = full_reads(monkeypatch, assistant)
    assistant.index.chunks.delete(where={"article_id": "weather"})  # e.g. a wiped server
    report = assistant.ingest(corpus_dir)
    assert reads == [1] and (report.added, report.unchanged) == (1, 1)
    assert assistant.keywords.manifest().keys() == assistant.index.manifest().keys()


def test_a_keyword_file_from_before_counts_and_sentence_ids_gets_them_in_one_full_run(
    assistant, corpus_dir, monkeypatch
):
    path = assistant.keywords.path
    with sqlite3.connect(path) as db:  # the schema before the two columns existed
        db.execute("ALTER TABLE chunks DROP COLUMN chunk_count")
        db.execute("ALTER TABLE chunks DROP COLUMN sentence_ids")
    assistant.keywords = KeywordIndex(path)
    assert assistant.keywords.manifest() is None  # unknown counts: no kept manifest
    assert assistant.keywords.within(Filters(language="de"))[1] is None
    reads = full_reads(monkeypatch, assistant)
    report = assistant.ingest(corpus_dir)
    assert (report.unchanged, report.keywords_repaired, report.texts_embedded) == (2, 2, 0)
    assert assistant.ingest(corpus_dir).unchanged == 2 and reads == [1]
    kept = assistant.keywords.manifest()
    assert {a: s.expected for a, s in kept.items()} == {
        a: s.expected for a, s in assistant.index.manifest().items()
    }
    assert assistant.keywords.within(Filters(language="de"))[1]


FILTERS = [
    Filters(language="de"),
    Filters(source="Test Source"),
    Filters(published_from=date(2024, 10, 1), published_to=date(2024, 10, 31)),
    Filters(published_to=date(2024, 10, 31)),
    Filters(language="en", published_from=date(2024, 11, 1)),
]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: repr(f)[:60])
def test_ids_a_filter_allows_find_what_where_finds(assistant, filters):
    index = assistant.index
    vector = assistant.embedder.embed_query("Truppen Russland Sturm homes")
    chunks_in, sentences_in = assistant.keywords.within(filters)
    where = chroma_where(filters)
    assert chunks_in and sentences_in  # each filter allows something in the two articles
    by_where = index.search_chunks(vector, 5, where)
    assert index.search_chunks(vector, 5, where, chunks_in) == by_where
    assert index.search_sentences(vector, 9, where, sentences_in) == index.search_sentences(
        vector, 9, where
    )
    assert by_where and {c.id for c, _ in by_where} <= set(chunks_in)


def test_a_filter_that_allows_nothing_finds_nothing(assistant):
    empty = Filters(source="Nobody")
    assert assistant.keywords.within(empty) == ([], [])
    vector = assistant.embedder.embed_query("Truppen")
    assert assistant.index.search_chunks(vector, 5, chroma_where(empty), []) == []


def test_an_id_chroma_no_longer_holds_falls_back_to_where(assistant):
    filters = Filters(language="de")
    chunks_in, sentences_in = assistant.keywords.within(filters)
    vector = assistant.embedder.embed_query("Truppen in Russland")
    where = chroma_where(filters)
    stale = [*chunks_in, "deleted-since-the-list-was-read"]
    assert assistant.index.search_chunks(vector, 5, where, stale) == assistant.index.search_chunks(
        vector, 5, where
    )


def test_a_filtered_answer_uses_the_ids_and_still_answers(assistant, monkeypatch):
    seen = []
    original = assistant.keywords.within
    monkeypatch.setattr(assistant.keywords, "within", lambda f: seen.append(f) or original(f))
    answer = assistant.ask("Wie viele Soldaten hat Nordkorea nach Russland geschickt?",
                           filters=Filters(language="de"))  # fmt: skip
    assert seen == [Filters(language="de")] and "12.000" in answer.answer
