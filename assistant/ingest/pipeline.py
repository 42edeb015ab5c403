"""Ingestion: files -> Articles -> Chunks (+ sentences) -> vectors -> index, incrementally.

Unchanged articles (same version hash, completely written) cost one dictionary lookup;
changed articles reuse the vectors of text they still contain; texts of many articles are
embedded together in large batches so the model, not the pipeline, sets the pace.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from ..index import WRITE_BATCH, ArticleState, ChromaIndex, SentenceRow, published_day, sentence_id
from ..keywords import KeywordIndex
from ..providers import Embedder
from ..records import Article, Chunk
from .chunking import Chunker, article_version
from .loaders import Skipped, iter_articles


class Progress(Protocol):
    """A counter of embedded texts (tqdm, Gradio's progress, or nothing)."""

    def update(self, n: int = 1) -> object: ...

    def close(self) -> object: ...


ProgressFactory = Callable[[], Progress]


@dataclass
class IngestReport:
    """What one ingest run did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    chunks_written: int = 0
    keywords_repaired: int = 0  # articles whose keyword rows were rebuilt from the vector store
    texts_embedded: int = 0
    embed_seconds: float = 0.0
    seconds: float = 0.0

    def summary(self) -> str:
        """One line for people."""
        return (
            f"articles: {self.added} added, {self.updated} updated, {self.unchanged} "
            f"unchanged, {self.removed} removed, {len(self.skipped)} skipped; chunks "
            f"written: {self.chunks_written}; texts embedded: {self.texts_embedded}; "
            + (
                f"keyword rows repaired for {self.keywords_repaired} articles; "
                if self.keywords_repaired
                else ""
            )
            + f"{self.seconds:.1f} s"
        )

    def to_dict(self) -> dict:
        """JSON form for the API and scripts."""
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "chunks_written": self.chunks_written,
            "texts_embedded": self.texts_embedded,
            "keywords_repaired": self.keywords_repaired,
            "seconds": round(self.seconds, 3),
            "skipped": [{"where": s.where, "reason": s.reason} for s in self.skipped],
        }


def tqdm_progress():
    """A tqdm counter of embedded texts on stderr when it is a terminal; silent otherwise."""
    from tqdm import tqdm

    return tqdm(unit="text", desc="embedding", disable=not sys.stderr.isatty())


@dataclass
class _Pending:
    article: Article
    version: str
    state: ArticleState | None
    chunks: list[Chunk]


class Ingestor:
    """Brings the index in line with a folder of articles."""

    def __init__(
        self,
        index: ChromaIndex,
        keywords: KeywordIndex,
        embedder: Embedder,
        chunker: Chunker,
        sentence_vectors: bool = True,
        batch_texts: int = 512,
    ):
        self.index = index
        self.keywords = keywords
        self.embedder = embedder
        self.chunker = chunker
        self.sentence_vectors = sentence_vectors
        self.batch_texts = batch_texts

    def run(
        self, path: Path, prune: bool = False, progress: ProgressFactory | None = None
    ) -> IngestReport:
        """Index every article under ``path``; with ``prune`` drop articles not found there."""
        started = time.perf_counter()
        report = IngestReport()
        manifest = self.index.manifest()
        report.keywords_repaired = self._sync_keywords(manifest)
        bar = (progress or tqdm_progress)()
        seen: dict[str, str] = {}
        pending: list[_Pending] = []
        for item in iter_articles(Path(path)):
            if isinstance(item, Skipped):
                report.skipped.append(item)
                continue
            if item.id in seen:
                report.skipped.append(
                    Skipped(
                        item.path,
                        f"duplicate article id {item.id!r}, first read from {seen[item.id]}",
                    )
                )
                continue
            seen[item.id] = item.path
            version = article_version(item)
            state = manifest.get(item.id)
            if state is not None and state.complete_for(version):
                report.unchanged += 1
                continue
            pending.append(_Pending(item, version, state, self.chunker.split(item)))
            if sum(len(p.chunks) for p in pending) >= self.batch_texts:
                self._flush(pending, report, bar)
                pending = []
        self._flush(pending, report, bar)
        if prune:
            report.removed = self._prune(sorted(set(manifest) - set(seen)))
        bar.close()
        report.seconds = time.perf_counter() - started
        return report

    def _flush(self, pending: list[_Pending], report: IngestReport, bar) -> None:
        if not pending:
            return
        chunks = [c for p in pending for c in p.chunks]
        sentences = (
            [s for p in pending for s in self._sentence_rows(p)] if self.sentence_vectors else []
        )
        known_chunks, known_sentences = self._known_vectors(pending)
        chunk_vectors = self._embed([c.text for c in chunks], known_chunks, report, bar)
        sentence_vectors = self._embed([s.text for s in sentences], known_sentences, report, bar)
        self.index.write(
            chunks,
            chunk_vectors,
            {p.article.id: len(p.chunks) for p in pending},
            sentences,
            sentence_vectors,
        )
        self.keywords.write(chunks)
        for p in pending:
            if p.state is not None:
                self.index.delete_stale(p.article.id, p.version)
                self.keywords.delete_stale(p.article.id, p.version)
                report.updated += 1
            else:
                report.added += 1
        report.chunks_written += len(chunks)

    def _prune(self, article_ids: list[str]) -> int:
        """Remove articles from both stores; returns how many."""
        for article_id in article_ids:
            self.index.delete_stale(article_id, None)
            self.keywords.delete_stale(article_id, None)
        return len(article_ids)

    def _sync_keywords(self, manifest: dict[str, ArticleState]) -> int:
        """Make the keyword rows equal to the vector store's chunks; returns articles fixed.

        After a crash between the two writes (or for an index older than the keyword
        index) the chunk texts Chroma holds are indexed again; nothing is embedded.
        """
        held = self.keywords.chunk_ids()
        for article_id in sorted(set(held) - set(manifest)):
            self.keywords.delete_stale(article_id, None)
        wrong = [a for a, state in manifest.items() if held.get(a) != set(state.chunk_ids)]
        ids = [cid for a in wrong for cid in manifest[a].chunk_ids]
        for article_id in wrong:
            self.keywords.delete_stale(article_id, None)
        for i in range(0, len(ids), WRITE_BATCH):
            self.keywords.write(self.index.get_chunks(ids[i : i + WRITE_BATCH]))
        return len(wrong) + len(set(held) - set(manifest))

    def _known_vectors(self, pending: list[_Pending]):
        chunks: dict[str, np.ndarray] = {}
        sentences: dict[str, np.ndarray] = {}
        for p in pending:
            if p.state is not None:
                old_chunks, old_sentences = self.index.vectors_by_text(p.article.id)
                chunks.update(old_chunks)
                sentences.update(old_sentences)
        return chunks, sentences

    def _embed(
        self, texts: list[str], known: dict[str, np.ndarray], report: IngestReport, bar
    ) -> np.ndarray:
        """Vectors for ``texts``, embedding each distinct unknown text once."""
        todo = list(dict.fromkeys(t for t in texts if t not in known))
        if todo:
            started = time.perf_counter()
            vectors = self.embedder.embed_passages(todo, progress=bar.update)
            report.embed_seconds += time.perf_counter() - started
            report.texts_embedded += len(todo)
            known = {**known, **dict(zip(todo, vectors))}
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.vstack([known[t] for t in texts])

    @staticmethod
    def _sentence_rows(p: _Pending) -> list[SentenceRow]:
        rows: dict[int, SentenceRow] = {}
        article = p.article
        for chunk in p.chunks:
            for span in chunk.sentences:
                start = chunk.start + span.start
                if start in rows:  # already in the previous chunk (overlap)
                    continue
                text = chunk.text[span.start : span.end]
                rows[start] = SentenceRow(
                    id=sentence_id(article.id, start, text),
                    article_id=article.id,
                    article_hash=p.version,
                    chunk_id=chunk.id,
                    start=start,
                    end=chunk.start + span.end,
                    text=text,
                    language=article.language,
                    source=article.source,
                    published_day=published_day(article.published),
                )
        return list(rows.values())
