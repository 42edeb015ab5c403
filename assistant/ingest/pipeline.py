"""Ingestion: files -> Articles -> Chunks (+ sentences) -> vectors -> index, incrementally.

Unchanged articles (same version hash, completely written) cost one dictionary lookup;
changed articles reuse the vectors of text they still contain; texts of several articles
are embedded together and written in small groups (``writer.py``), so a crash loses
seconds. Every step is linear in an article's length, and an article over
``max_article_chars`` is skipped with the setting's name instead of holding the ingest for
minutes (bench/ingest_scaling.py: time against paragraph length up to 10 MB).
Wire copies (the same story from several outlets) are indexed once (``copies.py``,
``merge.py``): the others are recorded as its sources and counted as ``merged``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..index import WRITE_BATCH, ChromaIndex
from ..keywords import KeywordIndex
from ..providers import Embedder
from ..records import Article
from ..stored import ArticleState
from .chunking import Chunker, article_version
from .copystore import CopyRow, CopyStore
from .loaders import Skipped, iter_articles
from .mend import mend, sentence_rows
from .merge import Canonical, CopyKeeper
from .writer import FLUSH_TEXTS, ArticleWriter, Pending

MAX_ARTICLE_CHARS = 200_000  # ~30,000 words; the default of ASSISTANT_MAX_ARTICLE_CHARS


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
    merged: int = 0  # articles recorded as copies of another article (not indexed)
    skipped: list[Skipped] = field(default_factory=list)
    guessed: dict[str, str] = field(default_factory=dict)  # file -> encoding other than UTF-8
    chunks_written: int = 0
    orphans_removed: int = 0  # sentence rows a killed run left without their chunk
    rebuilt: list[str] = field(default_factory=list)  # collections a killed write broke
    keywords_repaired: int = 0  # articles whose keyword rows were rebuilt from the vector store
    texts_embedded: int = 0
    embed_seconds: float = 0.0
    seconds: float = 0.0

    def summary(self) -> str:
        """One line for people."""
        return (
            f"articles: {self.added} added, {self.updated} updated, {self.unchanged} "
            f"unchanged, {self.removed} removed, {self.merged} merged as copies, "
            f"{len(self.skipped)} skipped; chunks "
            f"written: {self.chunks_written}; texts embedded: {self.texts_embedded}; "
            + (
                f"keyword rows repaired for {self.keywords_repaired} articles; "
                if self.keywords_repaired
                else ""
            )
            + (f"{len(self.guessed)} files read in a guessed encoding; " if self.guessed else "")
            + (
                f"rebuilt {', '.join(self.rebuilt)} (left unreadable by a killed write); "
                if self.rebuilt
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
            "merged": self.merged,
            "chunks_written": self.chunks_written,
            "texts_embedded": self.texts_embedded,
            "keywords_repaired": self.keywords_repaired,
            "orphans_removed": self.orphans_removed,
            "rebuilt": list(self.rebuilt),
            "seconds": round(self.seconds, 3),
            "skipped": [{"where": s.where, "reason": s.reason} for s in self.skipped],
            "guessed_encodings": dict(self.guessed),
        }


def tqdm_progress():
    """A tqdm counter of embedded texts on stderr when it is a terminal; silent otherwise."""
    from tqdm import tqdm

    return tqdm(unit="text", desc="embedding", disable=not sys.stderr.isatty())


class Ingestor:
    """Brings the index in line with a folder of articles."""

    def __init__(
        self,
        index: ChromaIndex,
        keywords: KeywordIndex,
        embedder: Embedder,
        chunker: Chunker,
        sentence_vectors: bool = True,
        flush_texts: int = FLUSH_TEXTS,
        max_article_chars: int = MAX_ARTICLE_CHARS,
        copies: CopyStore | None = None,
        chunk_vectors: str = "embed",
    ):
        self.index = index
        self.keywords = keywords
        self.embedder = embedder
        self.chunker = chunker
        self.sentence_vectors = sentence_vectors
        self.flush_texts = flush_texts
        self.max_article_chars = max_article_chars
        self.chunk_vectors = chunk_vectors
        self.copies = CopyKeeper(copies or CopyStore.beside(keywords.path), self._drop)
        # exists while a recreated sentence collection is being refilled (``mend``)
        self.rebuild_marker = keywords.path.parent / "sentences.rebuilding"

    def run(
        self,
        path: Path,
        prune: bool = False,
        progress: ProgressFactory | None = None,
        after_crash: bool = False,
    ) -> IngestReport:
        """Index every article under ``path``; with ``prune`` drop articles not found there.
        ``after_crash``: the previous run was killed, so first delete the sentence rows whose
        chunk was never written (sentences go first; their chunk's article may be gone)."""
        started = time.perf_counter()
        report = IngestReport()
        if after_crash:  # a killed write may also have left a collection unreadable
            report.rebuilt, report.texts_embedded = mend(
                self.index, self.embedder, prune, self.sentence_vectors, self.rebuild_marker
            )
            report.orphans_removed = self.index.delete_orphan_sentences()
        kept = self._kept_manifest(after_crash)
        manifest = kept if kept is not None else self.index.manifest()
        for article_id in self.copies.start(set(manifest)):
            manifest.pop(article_id)
        if kept is None:  # read from Chroma: make the keyword rows agree with it
            report.keywords_repaired = self._sync_keywords(manifest)
        bar = (progress or tqdm_progress)()
        writer = ArticleWriter(
            self.index,
            self.keywords,
            self.embedder,
            report,
            bar,
            self.flush_texts,
            self.chunk_vectors,
        )
        seen = self._read(Path(path), manifest, writer, report)
        writer.flush()
        if prune:
            report.removed = self._prune(sorted(set(manifest) - set(seen)), set(seen), writer)
        report.merged = len(self.copies.merged)
        bar.close()
        report.seconds = time.perf_counter() - started
        return report

    def _read(self, path: Path, manifest: dict, writer: ArticleWriter, report) -> dict[str, str]:
        """Every entry under ``path``: skipped with its reason, or taken; the ids read."""
        seen: dict[str, str] = {}
        self._copies_read: dict[str, Article] = {}  # kept to promote one if its canonical goes
        for item in iter_articles(path):
            problem = item if isinstance(item, Skipped) else self._refuse(item, seen)
            if problem is not None:
                report.skipped.append(problem)
            elif isinstance(item, Article):
                seen[item.id] = item.path
                if item.encoding not in ("", "utf-8", "utf-8-sig", "utf-16", "utf-32"):
                    report.guessed[item.path] = item.encoding
                self._take(item, manifest.get(item.id), writer, report)
        return seen

    def _take(self, article: Article, state, writer: ArticleWriter, report) -> None:
        """Count an unchanged article, or queue a new or changed one for writing."""
        version = article_version(article)
        complete = state is not None and state.complete_for(version)
        if self.copies.unchanged(article, version, complete):
            report.unchanged += 1
            if self.copies.is_copy(article.id):
                self._copies_read[article.id] = article
            return
        decision = self.copies.decide(article, version)
        if isinstance(decision, CopyRow):
            self.copies.keep_copy(decision, indexed=state is not None)
            self._copies_read[article.id] = article
            return
        if complete:
            self.copies.finish(decision)
            report.unchanged += 1
            return
        chunks = self.chunker.split(article)
        rows = sentence_rows(chunks) if self.sentence_vectors else []
        writer.add(Pending(article, version, state, chunks, rows, self._finisher(decision)))

    def _finisher(self, decision: Canonical):
        return lambda: self.copies.finish(decision)

    def _refuse(self, article: Article, seen: dict[str, str]) -> Skipped | None:
        """Why ``article`` is not indexed (a repeated id, an over-long text), or None."""
        if article.id in seen:
            return Skipped(
                article.path,
                f"duplicate article id {article.id!r}, first read from {seen[article.id]}",
            )
        if len(article.text) > self.max_article_chars:
            return Skipped(
                article.path,
                f"article {article.id!r}: expected at most {self.max_article_chars:,} "
                f"characters of text, got {len(article.text):,} (raise "
                "ASSISTANT_MAX_ARTICLE_CHARS to index it)",
            )
        return None

    def _prune(self, article_ids: list[str], seen: set[str], writer: ArticleWriter) -> int:
        """Remove articles (and copies) not ``seen``; returns how many. The copies of a
        removed canonical are decided again: the first becomes canonical and is indexed."""
        self._drop(article_ids)
        copies, orphans = self.copies.prune(seen, article_ids)
        for article_id in orphans:
            if article_id in self._copies_read:
                self._take(self._copies_read[article_id], None, writer, writer.report)
        writer.flush()
        return len(article_ids) + copies

    def _drop(self, article_ids: list[str]) -> None:
        """Delete every chunk of ``article_ids`` from both stores."""
        for article_id in article_ids:
            self.index.delete_stale(article_id, None)
            self.keywords.delete_stale(article_id, None)

    def _kept_manifest(self, after_crash: bool) -> dict[str, ArticleState] | None:
        """The manifest the keyword index keeps, when it can stand for Chroma's: the last
        ingest ended cleanly (both stores were written in full) and both hold as many
        chunks. Otherwise None: a kill between the two writes, an older file, or a vector
        store changed behind our back (a wiped server) needs the full read and repair."""
        if after_crash:
            return None
        kept = self.keywords.manifest()
        if kept is None or sum(len(s.chunk_ids) for s in kept.values()) != self.index.count():
            return None
        return kept

    def _sync_keywords(self, manifest: dict[str, ArticleState]) -> int:
        """Make the keyword rows equal to the vector store's chunks; returns articles fixed.

        After a crash between the two writes (or for an index older than the keyword
        index) the chunk texts Chroma holds are indexed again; nothing is embedded.
        """
        held = self.keywords.chunk_ids()
        for article_id in sorted(set(held) - set(manifest)):
            self.keywords.delete_stale(article_id, None)
        incomplete = self.keywords.incomplete()  # rows of an older file: written again
        wrong = [
            a
            for a, state in manifest.items()
            if held.get(a) != set(state.chunk_ids) or a in incomplete
        ]
        ids = [cid for a in wrong for cid in manifest[a].chunk_ids]
        for article_id in wrong:
            self.keywords.delete_stale(article_id, None)
        counts = {a: state.expected for a, state in manifest.items()}
        for i in range(0, len(ids), WRITE_BATCH):
            self.keywords.write(self.index.get_chunks(ids[i : i + WRITE_BATCH]), counts)
        return len(wrong) + len(set(held) - set(manifest))
