from dataclasses import replace

import pytest

from assistant import Assistant, stores
from assistant.errors import IndexMismatchError
from assistant.index import ChromaIndex, make_chroma_client
from assistant.ingest.chunking import CHUNKER_VERSION
from assistant.providers import HashingEmbedder
from assistant.stores import build_record


class CountingEmbedder(HashingEmbedder):
    """The hashing fake that remembers every text it embedded."""

    def __init__(self):
        super().__init__()
        self.embedded: list[str] = []

    def embed_batch(self, texts):
        self.embedded.extend(texts)
        return super().embed_batch(texts)


@pytest.fixture
def counting(fake_settings):
    embedder = CountingEmbedder()
    return Assistant.from_settings(fake_settings, embedder=embedder), embedder


def _consistent(index: ChromaIndex, keywords=None) -> dict:
    """Every article complete at one version; every sentence belongs to a live chunk; the
    keyword index holds exactly the chunks the vector store holds."""
    manifest = index.manifest()
    if keywords is not None:
        assert keywords.chunk_ids() == {a: set(s.chunk_ids) for a, s in manifest.items()}
        kept = keywords.manifest()  # the copy a clean re-ingest reads instead of Chroma's
        assert {a: (s.hashes, set(s.chunk_ids), s.expected) for a, s in kept.items()} == {
            a: (s.hashes, set(s.chunk_ids), s.expected) for a, s in manifest.items()
        }
    for article_id, state in manifest.items():
        assert len(state.hashes) == 1 and len(state.chunk_ids) == state.expected, article_id
    chunk_ids = set(index.chunks.get()["ids"])
    sentences = index.sentences.get(include=["metadatas"])["metadatas"]
    assert {m["chunk_id"] for m in sentences} <= chunk_ids
    return manifest


def test_first_ingest_adds_then_rerun_embeds_nothing(counting, corpus_dir):
    assistant, embedder = counting
    first = assistant.ingest(corpus_dir)
    assert (first.added, first.updated, first.unchanged, first.skipped) == (2, 0, 0, [])
    assert first.chunks_written == 2 and first.texts_embedded == len(embedder.embedded) > 2
    embedder.embedded.clear()
    again = assistant.ingest(corpus_dir)
    assert (again.added, again.updated, again.unchanged, again.texts_embedded) == (0, 0, 2, 0)
    assert embedder.embedded == []
    assert set(_consistent(assistant.index, assistant.keywords)) == {"troops", "weather"}


def test_editing_one_article_reembeds_only_its_changed_text(counting, corpus_dir):
    assistant, embedder = counting
    assistant.ingest(corpus_dir)
    path = corpus_dir / "weather.md"
    path.write_text(path.read_text().replace("Thousands of homes", "Two hundred homes"))
    embedder.embedded.clear()
    report = assistant.ingest(corpus_dir)
    assert (report.updated, report.unchanged) == (1, 1)
    assert embedder.embedded == [
        "A strong storm with winds of 140 km/h hit the northern coast on Saturday. "
        "Two hundred homes lost power.",
        "Two hundred homes lost power.",
    ]
    texts = assistant.index.chunks.get(where={"article_id": "weather"})["documents"]
    assert texts == [embedder.embedded[0]]  # the old chunk is gone
    _consistent(assistant.index, assistant.keywords)


def test_prune_removes_articles_that_are_gone(counting, corpus_dir):
    assistant, _ = counting
    assistant.ingest(corpus_dir)
    (corpus_dir / "troops.txt").unlink()
    kept = assistant.ingest(corpus_dir)
    assert kept.removed == 0 and "troops" in assistant.index.manifest()
    pruned = assistant.ingest(corpus_dir, prune=True)
    assert pruned.removed == 1
    assert set(_consistent(assistant.index, assistant.keywords)) == {"weather"}
    assert assistant.index.sentences.get(where={"article_id": "troops"})["ids"] == []


def test_broken_files_are_reported_and_the_rest_indexed(counting, corpus_dir):
    assistant, _ = counting
    (corpus_dir / "broken.txt").write_bytes(b"\xff\xfe broken")
    (corpus_dir / "dup.md").write_text("---\nid: weather\n---\nSame id again.")
    report = assistant.ingest(corpus_dir)
    assert report.added == 2
    by_file = {s.where.rsplit("/", 1)[1]: s.reason for s in report.skipped}
    assert set(by_file) == {"broken.txt", "weather.md"}  # weather.md: dup.md came first
    assert by_file["broken.txt"].startswith("cannot read as UTF-8 text")
    assert by_file["weather.md"] == (
        f"duplicate article id 'weather', first read from {corpus_dir / 'dup.md'}"
    )


def test_crash_mid_write_is_repaired_by_the_next_run(counting, corpus_dir, monkeypatch):
    assistant, _ = counting
    assistant.ingest(corpus_dir)
    path = corpus_dir / "troops.txt"
    path.write_text(
        path.read_text().replace("Die Welt", "Die ganze Welt")
        + "\n"
        + " ".join(["Ein weiterer langer Satz über die Lage folgt hier."] * 30)
    )
    real_upsert = assistant.index.chunks.upsert

    def crash_after_first_batch(**kwargs):
        kwargs = {k: v[:1] for k, v in kwargs.items()}  # half-written: one chunk only
        real_upsert(**kwargs)
        raise RuntimeError("power cut")

    monkeypatch.setattr(assistant.index.chunks, "upsert", crash_after_first_batch)
    with pytest.raises(RuntimeError, match="power cut"):
        assistant.ingest(corpus_dir)
    state = assistant.index.manifest()["troops"]
    assert len(state.hashes) == 2  # old and new version side by side: not complete
    monkeypatch.undo()
    report = assistant.ingest(corpus_dir)
    assert (report.updated, report.unchanged) == (1, 1)
    manifest = _consistent(assistant.index, assistant.keywords)
    assert manifest["troops"].expected > 1


def test_opening_an_index_with_another_embedder_is_a_clear_error(fake_settings, corpus_dir):
    Assistant.from_settings(fake_settings, embedder=HashingEmbedder(256)).ingest(corpus_dir)
    with pytest.raises(
        IndexMismatchError,
        match=r"embedder: index built with 'fake/hashing-256', settings say 'fake/hashing-64'; "
        r"dimension: index built with 256, settings say 64\)",
    ):
        Assistant.from_settings(fake_settings, embedder=HashingEmbedder(64))
    client = make_chroma_client(fake_settings)
    record = build_record(fake_settings, HashingEmbedder(256))
    with pytest.raises(
        IndexMismatchError, match=r"dimension: index built with 256, settings say 128"
    ):
        ChromaIndex(client, "articles", replace(record, dimension=128))


@pytest.mark.parametrize(
    ("setting", "value"),
    [("chunk_tokens", 120), ("chunk_overlap", 10), ("chunk_vectors", "mean"),
     ("sentence_vectors", False)],
)  # fmt: skip
def test_opening_an_index_with_other_build_settings_names_the_setting(
    fake_settings, corpus_dir, setting, value
):
    """The collection records how it was built; other settings are refused, naming the
    setting, before anything is written (a re-ingest would keep the old rows)."""
    Assistant.from_settings(fake_settings, embedder=HashingEmbedder()).ingest(corpus_dir)
    other = fake_settings.model_copy(update={setting: value})
    with pytest.raises(
        IndexMismatchError,
        match=rf"{setting}: index built with {getattr(fake_settings, setting)!r}, "
        rf"settings say {value!r}",
    ):
        Assistant.from_settings(other, embedder=HashingEmbedder())


def test_another_chunker_or_embedder_version_is_refused(fake_settings, corpus_dir, monkeypatch):
    Assistant.from_settings(fake_settings, embedder=HashingEmbedder()).ingest(corpus_dir)
    newer = HashingEmbedder()
    newer.version = "2"
    with pytest.raises(IndexMismatchError, match="embedder_version: index built with '1', "):
        Assistant.from_settings(fake_settings, embedder=newer)
    monkeypatch.setattr(stores, "CHUNKER_VERSION", "2")
    with pytest.raises(IndexMismatchError, match="chunker: index built with '1', settings say '2'"):
        Assistant.from_settings(fake_settings, embedder=HashingEmbedder())


def test_an_index_from_before_build_records_is_opened_and_recorded(fake_settings, corpus_dir):
    """Indexes built before records stored only the embedder and its dimension: they open
    as before (checked on those two) and carry the full record from then on."""
    client = make_chroma_client(fake_settings)
    client.get_or_create_collection(
        "articles", embedding_function=None, metadata={"embedder": "fake/hashing-256"}
    )
    Assistant.from_settings(fake_settings, embedder=HashingEmbedder(), client=client)
    stored = client.get_collection("articles").metadata
    assert stored == build_record(fake_settings, HashingEmbedder()).metadata()
    assert stored["chunker"] == CHUNKER_VERSION and stored["chunk_tokens"] == 200


def test_crash_between_vector_and_keyword_writes_is_repaired(counting, corpus_dir, monkeypatch):
    assistant, embedder = counting
    assistant.ingest(corpus_dir)
    path = corpus_dir / "weather.md"
    path.write_text(path.read_text().replace("Thousands of homes", "Two hundred homes"))

    def killed(*_):
        raise RuntimeError("killed between the two stores")

    monkeypatch.setattr(assistant.keywords, "write", killed)
    with pytest.raises(RuntimeError, match="killed"):
        assistant.ingest(corpus_dir)
    stale = assistant.keywords.chunk_ids()["weather"]
    assert stale != set(assistant.index.manifest()["weather"].chunk_ids)
    monkeypatch.undo()
    embedder.embedded.clear()
    report = assistant.ingest(corpus_dir)
    assert report.keywords_repaired == 1 and report.updated == 1
    assert embedder.embedded == []  # the vectors were written before the kill
    _consistent(assistant.index, assistant.keywords)
    [(chunk_id, _)] = assistant.keywords.search(["hundr"], 5)
    assert assistant.index.get_chunks([chunk_id])[0].article_id == "weather"


def test_an_index_without_keywords_gets_them_without_embedding(counting, corpus_dir, fake_settings):
    assistant, embedder = counting
    assistant.ingest(corpus_dir)
    assistant.keywords.delete_stale("troops", None)
    assistant.keywords.delete_stale("weather", None)
    embedder.embedded.clear()
    report = assistant.ingest(corpus_dir)
    assert (report.keywords_repaired, report.unchanged, report.texts_embedded) == (2, 2, 0)
    _consistent(assistant.index, assistant.keywords)


def test_mean_chunk_vectors_embed_no_chunk_text_and_weigh_the_sentences(fake_settings, corpus_dir):
    import numpy as np

    embedder = CountingEmbedder()
    settings = fake_settings.model_copy(update={"chunk_vectors": "mean"})
    assistant = Assistant.from_settings(settings, embedder=embedder)
    report = assistant.ingest(corpus_dir)
    chunks = assistant.index.chunks.get(include=["documents", "embeddings"])
    assert report.added == 2 and not set(chunks["documents"]) & set(embedder.embedded)
    sentences = assistant.index.sentences.get(include=["metadatas", "embeddings", "documents"])
    rows = list(zip(sentences["metadatas"], sentences["embeddings"], sentences["documents"]))
    for chunk_id, vector in zip(chunks["ids"], chunks["embeddings"]):
        own = [(v, len(text)) for m, v, text in rows if m["chunk_id"] == chunk_id]
        mean = np.sum([v * n for v, n in own], axis=0)  # weighted by sentence length
        assert np.allclose(vector, mean / np.linalg.norm(mean), atol=1e-5)
    answer = assistant.ask("Wie viele Soldaten hat Nordkorea nach Russland geschickt?")
    assert answer.answerable and "12.000" in answer.answer


def test_whole_collections_are_read_in_pages(counting, corpus_dir, monkeypatch):
    assistant, _ = counting
    assistant.ingest(corpus_dir)
    whole = assistant.index.manifest()
    sentences = assistant.index.sentences.count()
    monkeypatch.setattr("assistant.index.READ_PAGE", 1)  # every row its own page
    assert assistant.index.manifest() == whole and len(whole) == 2
    ids, _ = assistant.index.chunk_metadatas()
    assert len(ids) == len(set(ids)) == assistant.index.count()
    assert assistant.index.delete_orphan_sentences() == 0  # read page by page, none lost
    assert assistant.index.sentences.count() == sentences
