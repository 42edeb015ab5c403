"""The manifest the keyword index keeps: a clean re-ingest reads it instead of Chroma's,
and anything that may have left the two stores apart falls back to the full read."""

import sqlite3

import pytest

from assistant import Assistant
from assistant.keywords import KeywordIndex
from assistant.providers import HashingEmbedder


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


def test_a_keyword_file_from_before_the_counts_gets_them_in_one_full_run(
    assistant, corpus_dir, monkeypatch
):
    path = assistant.keywords.path
    with sqlite3.connect(path) as db:  # the schema before chunk_count existed
        db.execute("ALTER TABLE chunks DROP COLUMN chunk_count")
    assistant.keywords = KeywordIndex(path)
    assert assistant.keywords.manifest() is None  # unknown counts: no kept manifest
    reads = full_reads(monkeypatch, assistant)
    assert assistant.ingest(corpus_dir).unchanged == 2 and reads == [1]
    assert assistant.ingest(corpus_dir).unchanged == 2 and reads == [1]
    kept = assistant.keywords.manifest()
    assert {a: s.expected for a, s in kept.items()} == {
        a: s.expected for a, s in assistant.index.manifest().items()
    }
