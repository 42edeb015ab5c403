"""BM25 over the chunks' stems: a tantivy index derived from the keyword rows.

Why tantivy and not SQLite FTS5 (which this index used until 2026-12-07): FTS5's
``bm25()`` scores every row that matches any query term before the top ten are known, at
about 2.3 us a row. An OR of a question's stems matches ~15,000 of 103,551 chunks, so the
keyword search took 51.9 ms p50 (158 p95), the longest step of a retrieval at 100,000
chunks. tantivy (the maintained Rust engine behind Quickwit, with Python bindings on PyPI)
skips documents that cannot reach the top k (block-max WAND): 0.8 ms p50 (1.5 p95) for
the same 80 questions on the same rows, same run (``bench/scale100k.py keywords``,
docs/benchmarks.md), and a 17 MB folder where FTS5 held 140 MB. Its BM25 is Lucene's
(same k1 1.2 and b .75; idf ``ln(1 + (N - n + .5) / (n + .5))`` where FTS5 has
``ln((N - n + .5) / (n + .5))``): 98.4 % of FTS5's top ten at 100k chunks, and on the news
eval indexes 97-98 % of the top ten and 96-98 % of the first hits are the same.

The keyword rows in SQLite stay the source of truth (each row keeps its stems), and this
index is derived from them, so it can always be rebuilt (2-3 s per 100,000 chunks) and is:

* **Write order.** A change commits the rows first, with a generation counter bumped in
  the same transaction, then this index, then the stamp file ``synced`` with that
  generation. A stamp that is not the rows' generation (a crash between the commits, a
  missing or unreadable index, one written by an older schema) means a rebuild from the
  rows, with a log message; a change whose predecessor is in step is applied as it is.
* **One writer.** tantivy allows one writer per folder; every change takes an ``flock``
  on ``<folder>.lock`` (released by the kernel if the process dies) and checks the stamp
  again under it, so two processes (the HTTP workers) never write it at once.
* **Readers** reload before each search (a no-op of ~0.06 ms when nothing changed), so a
  search sees every committed change of any process. Damaged files (tantivy raises a
  ValueError, or panics on a truncated segment) are rebuilt from the rows when opened, or
  by the search that finds them.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .records import Filters
from .where import published_day

log = logging.getLogger(__name__)

SCHEMA_VERSION = "1"
HEAP = 50_000_000  # bytes of the writer's indexing buffer (tantivy's floor: 15 MB)
TIE_WINDOW = 20  # extra hits read so that ties at the n-th score are broken by chunk id


@dataclass(frozen=True)
class TermRow:
    """What this index holds of one keyword row."""

    chunk_id: str
    language: str
    source: str
    published: str  # ISO date or ""
    terms: str  # the chunk's stems, space separated


# the rows as committed and their generation, read in one transaction
AllRows = Callable[[], AbstractContextManager[tuple[Iterable[TermRow], int]]]


class TermIndex:
    """A tantivy index of the keyword rows' stems under ``folder``; see the module docstring."""

    def __init__(self, folder: Path):
        import tantivy

        self._tantivy = tantivy
        self.folder = Path(folder)
        self._lock = threading.Lock()
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("chunk_id", stored=True, tokenizer_name="raw", index_option="basic")
        for name in ("language", "source"):
            builder.add_text_field(name, tokenizer_name="raw", index_option="basic")
        builder.add_integer_field("published", indexed=True, fast=True)
        builder.add_text_field("terms", tokenizer_name="whitespace", index_option="freq")
        self._schema = builder.build()
        self._index: Any = None  # tantivy.Index, opened on first use

    # --- keeping in step with the rows --------------------------------------------------
    def in_step(self, generation: int) -> bool:
        """Whether the stamp says this index holds the rows of ``generation``."""
        return self._stamp() == f"{SCHEMA_VERSION}:{generation}"

    def apply(
        self,
        before: int,
        after: int,
        removed: Sequence[str],
        added: Sequence[TermRow],
        all_rows: AllRows,
    ) -> None:
        """Bring the index from the rows of generation ``before`` to ``after`` by removing
        ``removed`` chunk ids and adding ``added``; rebuilt from ``all_rows()`` (the rows as
        now committed, with their generation) when it was not at ``before``."""
        with self._writing():
            if self.in_step(after):
                return
            if not self.in_step(before) or self._open() is None:
                self._rebuild(all_rows)
                return
            writer = self._open().writer(HEAP, 1)
            for chunk_id in removed:
                writer.delete_documents_by_term("chunk_id", chunk_id)
            for row in added:
                writer.add_document(self._document(row))
            self._commit(writer, after)

    def ensure(self, all_rows: AllRows, generation: int) -> None:
        """Rebuild from ``all_rows()`` unless the index holds ``generation``."""
        if self.in_step(generation) and self._open() is not None:
            return
        with self._writing():
            if not (self.in_step(generation) and self._open() is not None):
                self._rebuild(all_rows)

    # --- searching ----------------------------------------------------------------------
    def rebuild(self, all_rows: AllRows) -> None:
        """Build it again from ``all_rows()`` (a search found it unreadable)."""
        with self._writing():
            self._rebuild(all_rows)

    def search(
        self, query_terms: Sequence[str], n: int, filters: Filters
    ) -> list[tuple[str, float]] | None:
        """The ``n`` best chunks for any of ``query_terms``: (chunk id, BM25), best first,
        ties by chunk id; None when the index cannot be read."""
        index = self._open()
        if index is None:
            return []
        tantivy = self._tantivy
        should = [
            (tantivy.Occur.Should, tantivy.Query.term_query(self._schema, "terms", t))
            for t in query_terms
        ]
        query = tantivy.Query.boolean_query(should)
        restrictions = list(self._restrictions(filters))
        if restrictions:
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), *restrictions])
        try:
            index.reload()
            searcher = index.searcher()
            hits = searcher.search(query, n + TIE_WINDOW, count=False).hits
            scored = [(searcher.doc(a)["chunk_id"][0], float(score)) for score, a in hits]
        except BaseException as exc:
            if not unreadable(exc):
                raise
            log.warning("keyword search index %s unreadable (%s)", self.folder, exc)
            self._index = None
            return None
        scored.sort(key=lambda hit: (-hit[1], hit[0]))
        return scored[:n]

    def _restrictions(self, filters: Filters) -> Iterator[tuple]:
        """Filter clauses that match without adding to the score."""
        tantivy = self._tantivy
        Query = tantivy.Query
        for name in ("language", "source"):
            if getattr(filters, name):
                term = Query.term_query(self._schema, name, getattr(filters, name))
                yield tantivy.Occur.Must, Query.const_score_query(term, 0.0)
        if filters.published_from or filters.published_to:
            low = published_day(filters.published_from.isoformat()) if filters.published_from else 1
            high = published_day(filters.published_to.isoformat()) if filters.published_to else None
            days = Query.range_query(
                self._schema, "published", tantivy.FieldType.Integer, max(low, 1), high
            )
            yield tantivy.Occur.Must, Query.const_score_query(days, 0.0)

    # --- files --------------------------------------------------------------------------
    def _open(self):
        """The tantivy index, opened once; None while the folder holds none (or one this
        schema cannot read, which the next change rebuilds)."""
        if self._index is None and (self.folder / "meta.json").is_file():
            try:
                self._index = self._tantivy.Index(self._schema, path=str(self.folder), reuse=True)
            except BaseException as exc:
                if not unreadable(exc):
                    raise
                log.warning("keyword search index %s unreadable (%s)", self.folder, exc)
                return None
        return self._index

    def _rebuild(self, all_rows: AllRows) -> None:
        if self.folder.exists():
            log.warning("rebuilding the keyword search index %s from the keyword rows", self.folder)
        self._index = None
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self._index = self._tantivy.Index(self._schema, path=str(self.folder), reuse=False)
        writer = self._index.writer(HEAP, 1)
        with all_rows() as (rows, generation):
            for row in rows:
                writer.add_document(self._document(row))
        self._commit(writer, generation)

    def _commit(self, writer, generation: int) -> None:
        writer.commit()
        writer.wait_merging_threads()
        self._index.reload()
        temporary = self.folder / "synced.tmp"
        temporary.write_text(f"{SCHEMA_VERSION}:{generation}", encoding="utf-8")
        os.replace(temporary, self.folder / "synced")

    def _stamp(self) -> str:
        try:
            return (self.folder / "synced").read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def _document(self, row: TermRow):
        return self._tantivy.Document(
            chunk_id=row.chunk_id,
            language=row.language or "",
            source=row.source or "",
            published=published_day(row.published or ""),
            terms=row.terms,
        )

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """This process's lock and the folder's ``flock``: one writer at a time anywhere."""
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(f"{self.folder}.lock", "a+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def unreadable(exc: BaseException) -> bool:
    """An error of tantivy reading damaged files: its ValueError, or the Rust panic that
    pyo3 raises as ``PanicException`` (a BaseException: a truncated segment file)."""
    return isinstance(exc, ValueError) or type(exc).__name__ == "PanicException"


def rows_of(records: Iterable[tuple]) -> Iterator[TermRow]:
    """TermRows from (chunk_id, language, source, published, terms) tuples."""
    return (TermRow(*record) for record in records)
