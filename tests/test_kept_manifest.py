"""What the keyword index keeps for Chroma: the manifest a clean re-ingest reads instead of
Chroma's (anything that may have left the two stores apart falls back to the full read),
and the ids a filter allows, which a filtered search hands to Chroma instead of ``where``."""

import sqlite3
from datetime import date

import pytest

from assistant import Assistant
from assistant.keywords import KeywordIndex
from assistant.providers import HashingEmbedder
from assistant.records import Filters
from assistant.where import allows, chroma_where


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
    Filters(source="Nobody"),
]
QUERY = "Truppen Russland Sturm homes"


def by_where(collection, vector, n, filters):
    """Chroma's own filter: the ids and distances of the ``n`` nearest allowed rows."""
    rows = collection.query(query_embeddings=[vector.tolist()], n_results=n,
                            where=chroma_where(filters))  # fmt: skip
    return rows["ids"][0]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: repr(f)[8:60])
def test_allows_says_of_every_row_what_chromas_where_says(assistant, filters):
    for collection in (assistant.index.chunks, assistant.index.sentences):
        rows = collection.get(include=["metadatas"])
        mine = {i for i, meta in zip(rows["ids"], rows["metadatas"]) if allows(filters, meta)}
        assert mine == set(collection.get(where=chroma_where(filters))["ids"])


@pytest.mark.parametrize("overfetch", [10, 0], ids=["nearest-filtered-here", "ids-from-sqlite"])
@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: repr(f)[8:60])
def test_a_filtered_search_finds_what_chromas_where_finds(
    assistant, filters, overfetch, monkeypatch
):
    monkeypatch.setattr("assistant.index.OVERFETCH", overfetch)
    index, vector = assistant.index, assistant.embedder.embed_query(QUERY)
    chunks_in, sentences_in = assistant.keywords.within(filters)
    found = index.search_chunks(vector, 5, filters, lambda: chunks_in)
    assert [c.id for c, _ in found] == by_where(index.chunks, vector, 5, filters)
    hits = index.search_sentences(vector, 9, filters, lambda: sentences_in)
    expected = index.sentences.get(ids=by_where(index.sentences, vector, 9, filters) or ["-"],
                                   include=["metadatas"])  # fmt: skip
    assert {(h.chunk_id, h.start) for h in hits} == {
        (m["chunk_id"], m["start"]) for m in expected["metadatas"]
    }
    assert set(chunks_in) == set(index.chunks.get(where=chroma_where(filters))["ids"])


def test_the_ids_are_read_only_when_the_nearest_rows_hold_too_few_allowed_ones(
    assistant, monkeypatch
):
    monkeypatch.setattr("assistant.index.OVERFETCH", 1)
    index, vector = assistant.index, assistant.embedder.embed_query("Truppen in Russland")
    english = Filters(language="en")  # the nearest chunk is the German one
    asked = []
    allowed = lambda: asked.append(1) or assistant.keywords.within(english)[0]  # noqa: E731
    found = index.search_chunks(vector, 1, english, allowed)
    assert asked == [1] and [c.id for c, _ in found] == by_where(index.chunks, vector, 1, english)
    monkeypatch.setattr("assistant.index.OVERFETCH", 10)  # 10 nearest: every row, no ids read
    assert index.search_chunks(vector, 1, english, lambda: pytest.fail("ids read")) == found


def test_an_id_chroma_no_longer_holds_falls_back_to_where(assistant, monkeypatch):
    monkeypatch.setattr("assistant.index.OVERFETCH", 0)
    filters = Filters(language="de")
    chunks_in, _ = assistant.keywords.within(filters)
    vector = assistant.embedder.embed_query("Truppen in Russland")
    stale = [*chunks_in, "deleted-since-the-list-was-read"]
    with pytest.raises(Exception, match="finding id"):  # what Chroma does with such a list
        assistant.index.chunks.query(query_embeddings=[vector.tolist()], n_results=1, ids=stale)
    found = assistant.index.search_chunks(vector, 5, filters, lambda: stale)
    assert [c.id for c, _ in found] == by_where(assistant.index.chunks, vector, 5, filters)


def test_a_filtered_answer_still_answers(assistant, monkeypatch):
    monkeypatch.setattr("assistant.index.OVERFETCH", 0)  # through the ids
    answer = assistant.ask("Wie viele Soldaten hat Nordkorea nach Russland geschickt?",
                           filters=Filters(language="de"))  # fmt: skip
    assert "12.000" in answer.answer and answer.citations
