"""A collection that a killed write left unreadable (Chroma's "Failed to apply logs to the
hnsw segment writer", met by tests/test_crash_loop.py) is rebuilt by the next ingest."""

import chromadb
import pytest

from assistant import Assistant
from assistant.errors import StoreError
from assistant.ingest.mend import WEDGED
from assistant.providers import HashingEmbedder


@pytest.fixture
def assistant(fake_settings, corpus_dir):
    built = Assistant.from_settings(fake_settings, embedder=HashingEmbedder())
    assert built.ingest(corpus_dir).added == 2
    return built


def wedge(monkeypatch, collection) -> None:
    """Every read of ``collection`` fails as Chroma's wedged segment does."""

    def unreadable(*_, **__):
        raise chromadb.errors.InternalError(f"Error executing plan: Error sending backfill "
                                            f"request to compactor: {WEDGED}")  # fmt: skip

    monkeypatch.setattr(collection, "get", unreadable)
    monkeypatch.setattr(collection, "query", unreadable)


def killed(assistant) -> None:
    (assistant.settings.index_dir / "ingest.lock").write_text("4242")  # never "done"


def rows(collection) -> dict:
    got = collection.get(include=["metadatas", "documents"])
    return {i: (d, m["article_id"], m["start"]) for i, d, m in
            zip(got["ids"], got["documents"], got["metadatas"])}  # fmt: skip


def test_unreadable_sentences_are_rebuilt_from_the_chunks(assistant, corpus_dir, monkeypatch):
    before = rows(assistant.index.sentences)
    wedge(monkeypatch, assistant.index.sentences)
    with pytest.raises(StoreError, match="Failed to apply logs"):
        assistant.ask("Wie viele Soldaten hat Nordkorea nach Russland geschickt?")
    killed(assistant)
    report = assistant.ingest(corpus_dir)
    assert report.rebuilt == ["articles_sentences"] and report.unchanged == 2
    assert report.texts_embedded == len(before) and "rebuilt articles_sentences" in report.summary()
    assert rows(assistant.index.sentences) == before  # the same ids, texts and offsets
    answer = assistant.ask("Wie viele Soldaten hat Nordkorea nach Russland geschickt?")
    assert "12.000" in answer.answer


def test_unreadable_chunks_need_the_whole_corpus(assistant, corpus_dir, monkeypatch):
    chunks, sentences = rows(assistant.index.chunks), rows(assistant.index.sentences)
    wedge(monkeypatch, assistant.index.chunks)
    killed(assistant)
    with pytest.raises(StoreError, match="--prune"):
        assistant.ingest(corpus_dir)  # it might not be every article: nothing is deleted
    assert (assistant.settings.index_dir / "ingest.lock").read_text() != "done"  # still due
    report = assistant.ingest(corpus_dir, prune=True)
    assert report.rebuilt == ["articles"] and report.added == 2
    assert rows(assistant.index.chunks) == chunks and rows(assistant.index.sentences) == sentences
    assert assistant.keywords.count() == len(chunks)


def test_a_clean_run_does_not_look(assistant, corpus_dir, monkeypatch):
    monkeypatch.setattr(assistant.index, "probe", lambda _: pytest.fail("probed"))
    assert assistant.ingest(corpus_dir).unchanged == 2


def test_an_index_without_sentence_vectors_gets_none_back(fake_settings, corpus_dir, monkeypatch):
    settings = fake_settings.model_copy(update={"sentence_vectors": False})
    built = Assistant.from_settings(settings, embedder=HashingEmbedder())
    built.ingest(corpus_dir)
    wedge(monkeypatch, built.index.sentences)
    killed(built)
    report = built.ingest(corpus_dir)
    assert report.rebuilt == ["articles_sentences"] and report.texts_embedded == 0
    assert built.index.sentences.count() == 0 and report.unchanged == 2


def test_a_run_killed_while_rebuilding_the_sentences_is_finished_by_the_next(
    assistant, corpus_dir, monkeypatch
):
    """The crash loop's find (2026-12-07): killed during the rebuild, the recreated
    collection was readable but partial, and no later run noticed."""
    from assistant.ingest import mend as mending

    before = rows(assistant.index.sentences)
    wedge(monkeypatch, assistant.index.sentences)
    killed(assistant)

    def killed_midway(index, embedder):
        raise KeyboardInterrupt("killed while rebuilding")

    monkeypatch.setattr(mending, "rebuild_sentences", killed_midway)
    with pytest.raises(KeyboardInterrupt):
        assistant.ingest(corpus_dir)
    marker = assistant.settings.index_dir / "sentences.rebuilding"
    assert marker.exists() and rows(assistant.index.sentences) == {}  # recreated, empty
    monkeypatch.undo()
    killed(assistant)
    report = assistant.ingest(corpus_dir)
    assert report.rebuilt == ["articles_sentences"] and report.texts_embedded == len(before)
    assert rows(assistant.index.sentences) == before and not marker.exists()
