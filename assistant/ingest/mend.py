"""Mending a collection that a killed write left unreadable.

Chroma 1.5 on disk can be left with a vector segment it cannot open again when a process
is killed while it writes the HNSW files: every read of that collection then fails with
"Failed to apply logs to the hnsw segment writer", in every later process (chroma-core/
chroma issues 5366, 5517, 5552; an open fix, PR 7766). ``tests/test_crash_loop.py`` (20
kill -9s during ingest) met it in 2 of 5 runs on 2026-11-28, each time in the sentence
collection, whose segment had index files that stopped at an older state than the
log it kept.

The texts survive in Chroma's SQLite, and our collections are derived data: the
sentence collection is rebuilt from the chunks (their texts and sentence spans), which
loses nothing but the time to embed the sentences again. A chunk collection in that state
can only be rebuilt from the articles, so the run must name the whole corpus
(``--prune``); otherwise it stops with a message that says so.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import StoreError
from ..index import WRITE_BATCH, ChromaIndex, every_row
from ..providers import Embedder
from ..records import Chunk
from ..stored import SentenceRow, sentence_id
from ..where import published_day

WEDGED = "Failed to apply logs to the hnsw segment writer"


def wedged(index: ChromaIndex) -> list[str]:
    """Names of the index's collections that a read shows to be in that state."""
    found = []
    for collection in (index.chunks, index.sentences):
        try:
            index.probe(collection)
        except StoreError as exc:
            if WEDGED not in str(exc):
                raise
            found.append(collection.name)
    return found


def mend(
    index: ChromaIndex,
    embedder: Embedder,
    whole_corpus: bool,
    sentences: bool = True,
    marker: Path | None = None,
) -> tuple[list[str], int]:
    """Recreate wedged collections; returns their names and the sentences embedded again
    (none when the index keeps no sentence vectors, ``sentences`` False). A wedged chunk
    collection is recreated empty (with the sentences) only when the run ingests the
    whole corpus, which then writes every article again.

    ``marker`` (a file beside the keyword index) exists from before the sentence
    collection is recreated until its rebuild is complete: a run killed in between left
    a readable but partial collection, which nothing else would notice (the articles are
    complete by their chunks), so the next run counts it as broken and rebuilds it again.
    Found by ``tests/test_crash_loop.py`` on 2026-12-07: 305 sentences of 16 articles
    missing."""
    broken = wedged(index)
    unfinished = marker is not None and marker.exists() and sentences
    if unfinished and index.sentences.name not in broken:
        broken.append(index.sentences.name)
    if index.chunks.name in broken:
        if not whole_corpus:
            raise StoreError(
                f"expected a readable collection {index.chunks.name}, got one that a killed "
                f"write left unreadable (Chroma: {WEDGED!r}); ingest the whole corpus with "
                "--prune to rebuild it from the articles"
            )
        index.recreate()  # the sentences too: this run writes them with every article
        if marker is not None:
            marker.unlink(missing_ok=True)
        return broken, 0
    if index.sentences.name in broken:
        if marker is not None and sentences:
            marker.write_text("rebuilding the sentence collection\n", encoding="utf-8")
        index.recreate(sentences_only=True)
        written = rebuild_sentences(index, embedder) if sentences else 0
        if marker is not None:
            marker.unlink(missing_ok=True)
        return broken, written
    return [], 0


def rebuild_sentences(index: ChromaIndex, embedder: Embedder) -> int:
    """Embed and write the sentences of every stored chunk again; returns how many."""
    ids, _ = every_row(index.chunks, [])
    written = 0
    for start in range(0, len(ids), WRITE_BATCH):
        rows = sentence_rows(index.get_chunks(ids[start : start + WRITE_BATCH]))
        if not rows:
            continue
        vectors = embedder.embed_passages([row.text for row in rows])
        index.write_sentences(rows, vectors)
        written += len(rows)
    return written


def sentence_rows(chunks: list[Chunk]) -> list[SentenceRow]:
    """One row per sentence of ``chunks`` (a sentence in two overlapping chunks once,
    with the first), each keyed by its article, offset and text."""
    rows: dict[tuple[str, int], SentenceRow] = {}
    for chunk in chunks:
        for span in chunk.sentences:
            start = chunk.start + span.start
            if (chunk.article_id, start) in rows:  # already in the previous chunk (overlap)
                continue
            text = chunk.text[span.start : span.end]
            rows[(chunk.article_id, start)] = SentenceRow(
                id=sentence_id(chunk.article_id, start, text),
                article_id=chunk.article_id,
                article_hash=chunk.article_hash,
                chunk_id=chunk.id,
                start=start,
                end=chunk.start + span.end,
                text=text,
                language=chunk.language,
                source=chunk.source,
                published_day=published_day(chunk.published),
            )
    return list(rows.values())
