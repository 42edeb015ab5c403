"""The vector store: Chroma on disk by default, a Chroma server by configuration.

Two collections: ``<name>`` holds chunks (text, metadata, chunk vector), ``<name>_sentences``
holds one vector per sentence for fast extractive answers. Chroma never embeds anything
itself: every vector comes from our embedder (its default embedding function downloads a
model). An article is *complete* when all its chunks carry the article's current hash and
their number equals ``chunk_count``; sentences are written before chunks, and stale rows are
deleted last, so a crash at any point leaves a state that the next ingest repairs.
Every call into Chroma runs inside ``store_call``: a failing disk, database or server is
a ``StoreError`` that names the operation and collection, not a stray chromadb exception.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from .config import Settings
from .errors import IndexMismatchError, ProviderError, StoreError
from .records import Chunk, Filters, Span
from .stored import ArticleState, BuildRecord, SentenceHit, SentenceRow, manifest_of
from .where import allows, chroma_where, pick_rows, published_day

HNSW = {"space": "cosine", "ef_construction": 200, "ef_search": 400, "max_neighbors": 32}
WRITE_BATCH = 2000  # Chroma rejects batches above ~5,400 rows
READ_PAGE = 10_000  # rows per get when a whole collection is read (every_row)
# a filtered search filters the 10n nearest rows itself before it asks Chroma to filter:
# at 100k chunks a language or month filter then costs ~10 ms instead of 0.5-0.8 s of ids
OVERFETCH = 10
AllowedIds = Callable[[], "list[str] | None"] | None  # the ids a filter allows, when asked


def chunk_metadata(chunk: Chunk, chunk_count: int) -> dict:
    """Chroma metadata for a chunk (flat scalars only)."""
    return {
        "article_id": chunk.article_id,
        "article_hash": chunk.article_hash,
        "title": chunk.title,
        "source": chunk.source,
        "url": chunk.url,
        "published": chunk.published,
        "published_day": published_day(chunk.published),
        "language": chunk.language,
        "position": chunk.position,
        "start": chunk.start,
        "end": chunk.end,
        "token_count": chunk.token_count,
        "chunk_count": chunk_count,
        "sentences": json.dumps([[s.start, s.end] for s in chunk.sentences]),
    }


def sentence_metadata(row: SentenceRow) -> dict:
    """Chroma metadata for a sentence vector (what filters and answers need)."""
    return {
        "article_id": row.article_id,
        "article_hash": row.article_hash,
        "chunk_id": row.chunk_id,
        "start": row.start,
        "end": row.end,
        "language": row.language,
        "source": row.source,
        "published_day": row.published_day,
    }


def chunk_from_row(chunk_id: str, text: str, meta: dict) -> Chunk:
    """Rebuild a Chunk from what Chroma returns."""
    return Chunk(
        id=chunk_id,
        article_id=meta["article_id"],
        article_hash=meta["article_hash"],
        title=meta["title"],
        text=text,
        language=meta["language"],
        position=int(meta["position"]),
        start=int(meta["start"]),
        end=int(meta["end"]),
        token_count=int(meta["token_count"]),
        sentences=tuple(Span(a, b) for a, b in json.loads(meta["sentences"])),
        source=meta.get("source", ""),
        url=meta.get("url", ""),
        published=meta.get("published", ""),
    )


def store_errors() -> tuple[type[Exception], ...]:
    """What a failing store raises: Chroma's own errors, its disk (OS, SQLite), its server."""
    import httpx
    from chromadb.errors import ChromaError

    return (ChromaError, OSError, sqlite3.Error, httpx.TransportError)


@contextmanager
def store_call(operation: str, collection: str) -> Iterator[None]:
    """Raise a store failure inside the block as a ``StoreError`` naming ``operation``.

    The one place where Chroma's exceptions join the error family, so that callers and
    the API (503: try again) see one kind of failure; any other exception is a bug and
    keeps its type and traceback.
    """
    try:
        yield
    except store_errors() as exc:
        raise StoreError(
            f"the vector store failed: expected to {operation} in collection "
            f"{collection}, got {type(exc).__name__}: {exc}"
        ) from exc


def make_chroma_client(settings: Settings):
    """PersistentClient under ``index_dir``, or HttpClient when a server is configured."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        try:
            return chromadb.HttpClient(
                host=settings.chroma_host,
                port=settings.chroma_port,
                ssl=settings.chroma_ssl,
                settings=chroma_settings,
            )
        except Exception as exc:
            raise ProviderError(
                f"expected a Chroma server at {settings.chroma_host}:"
                f"{settings.chroma_port}, got {type(exc).__name__}: {exc}"
            ) from exc
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.index_dir), settings=chroma_settings)


class ChromaIndex:
    """Chunks and sentence vectors of one corpus, tied to one embedder."""

    def __init__(self, client, name: str, build: BuildRecord):
        self.build = build
        self.embedder_name = build.embedder
        meta = build.metadata()
        self._client, self._meta = client, meta
        self.chunks = self._open(client, name, meta)
        self.sentences = self._open(client, f"{name}_sentences", meta)
        stored = dict(self.chunks.metadata or {})
        differences = build.differences(stored)
        if differences:
            raise IndexMismatchError(
                f"index collection {name!r} was built with other settings than the configured "
                f"ones ({'; '.join(differences)}): use the same settings, another --index "
                f"directory / collection, or re-ingest into a fresh one"
            )
        if "chunker" not in stored:  # from before build records: it is recorded from now on
            with store_call("modify", name):
                self.chunks.modify(metadata={**stored, **meta})

    @staticmethod
    def _open(client, name: str, meta: dict):
        with store_call("get_or_create_collection", name):
            return client.get_or_create_collection(
                name, embedding_function=None, configuration={"hnsw": HNSW}, metadata=meta
            )

    def recreate(self, sentences_only: bool = False) -> None:
        """Delete the sentence collection (and the chunk collection) and make them anew,
        empty: for a collection no read can open any more (``ingest/mend.py``)."""
        names = [self.sentences.name] + ([] if sentences_only else [self.chunks.name])
        for name in names:
            with store_call("delete_collection", name):
                self._client.delete_collection(name)
        self.sentences = self._open(self._client, self.sentences.name, self._meta)
        self.chunks = self._open(self._client, self.chunks.name, self._meta)

    # --- reading -------------------------------------------------------------------
    @staticmethod
    def probe(collection) -> None:
        """Read one row of ``collection``: a StoreError when it cannot be read."""
        with store_call("get", collection.name):
            collection.get(limit=1, include=[])

    def chunk_metadatas(self) -> tuple[list[str], list[dict]]:
        """Every chunk's id and metadata (what the manifest and the stats count)."""
        return every_row(self.chunks, ["metadatas"])

    def manifest(self) -> dict[str, ArticleState]:
        """Every article in the index with the versions and chunks it has."""
        ids, metas = self.chunk_metadatas()
        return manifest_of(
            (m["article_id"], m["article_hash"], chunk_id, int(m["chunk_count"]))
            for chunk_id, m in zip(ids, metas)
        )

    def vectors_by_text(
        self, article_id: str
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Stored chunk and sentence vectors of one article, keyed by their text.

        An edited article keeps most of its text; reusing these vectors means only new
        or changed text is embedded again.
        """
        return (self._vectors(self.chunks, article_id), self._vectors(self.sentences, article_id))

    @staticmethod
    def _vectors(collection, article_id: str) -> dict[str, np.ndarray]:
        with store_call("get", collection.name):
            rows = collection.get(
                where={"article_id": article_id}, include=["embeddings", "documents"]
            )
        if not rows["ids"]:
            return {}
        return dict(zip(rows["documents"], np.asarray(rows["embeddings"], dtype=np.float32)))

    def vectors(self, ids: Sequence[str], sentences: bool = False) -> dict[str, np.ndarray]:
        """Stored vectors of chunks (or sentences) by id; missing ids are left out."""
        unique = list(dict.fromkeys(ids))
        if not unique:
            return {}
        collection = self.sentences if sentences else self.chunks
        with store_call("get", collection.name):
            rows = collection.get(ids=unique, include=["embeddings"])
        return dict(zip(rows["ids"], np.asarray(rows["embeddings"], dtype=np.float32)))

    def get_chunks(self, ids: Sequence[str]) -> list[Chunk]:
        """Chunks by id, in the order asked (missing ids are left out)."""
        if not ids:
            return []
        with store_call("get", self.chunks.name):
            rows = self.chunks.get(ids=list(ids), include=["documents", "metadatas"])
        by_id = {
            i: chunk_from_row(i, d, m)
            for i, d, m in zip(rows["ids"], rows["documents"], rows["metadatas"])
        }
        return [by_id[i] for i in ids if i in by_id]

    def search_chunks(
        self, vector: np.ndarray, n: int, filters: Filters | None = None, within: AllowedIds = None
    ) -> list[tuple[Chunk, float]]:
        """The ``n`` chunks nearest to ``vector`` with their cosine similarity, among those
        ``filters`` allow; ``within`` lists their ids when asked (see ``_query``)."""
        rows = self._query(self.chunks, vector, n, filters, within, ["documents", "metadatas"])
        if rows is None:
            return []
        return [
            (chunk_from_row(i, d, m), 1.0 - dist)
            for i, d, m, dist in zip(
                rows["ids"][0], rows["documents"][0], rows["metadatas"][0], rows["distances"][0]
            )
        ]

    def search_sentences(
        self, vector: np.ndarray, n: int, filters: Filters | None = None, within: AllowedIds = None
    ) -> list[SentenceHit]:
        """The ``n`` sentences nearest to ``vector`` (``filters``, ``within``: as for chunks)."""
        rows = self._query(self.sentences, vector, n, filters, within, ["metadatas"])
        if rows is None:
            return []
        return [
            SentenceHit(m["article_id"], m["chunk_id"], int(m["start"]), int(m["end"]), 1.0 - dist)
            for m, dist in zip(rows["metadatas"][0], rows["distances"][0])
        ]

    @staticmethod
    def _query(
        collection, vector, n: int, filters, within: AllowedIds, include: list
    ) -> dict | None:
        """One nearest-neighbour query, filtered the cheapest way that gives the same rows.

        A ``where`` makes local Chroma read every row's metadata (0.96-3.9 s at 100k chunks,
        docs/scaling.md). So first the ``OVERFETCH * n`` nearest rows are filtered here: if
        ``n`` pass, they are the answer. Otherwise the ids the filter allows (``within()``,
        from the keyword index) go to Chroma as ``ids``; Chroma refuses a list naming a row
        it no longer holds, and only then is the ``where`` used. None: nothing can match."""
        if n <= 0:
            return None
        query = {"query_embeddings": [vector.tolist()], "include": [*include, "distances"]}
        where = chroma_where(filters) if filters else None
        if filters is None or where is None:
            return _run(collection, query, n_results=n)
        if OVERFETCH:
            near = _run(collection, query, n_results=OVERFETCH * n)
            kept = [k for k, meta in enumerate(near["metadatas"][0]) if allows(filters, meta)]
            if len(kept) >= n or len(near["ids"][0]) < OVERFETCH * n:  # or it saw every row
                return pick_rows(near, kept[:n])
        ids = within() if within else None
        if ids == []:
            return None
        if ids:
            try:
                return _run(collection, query, n_results=min(n, len(ids)), ids=ids)
            except StoreError:
                pass
        return _run(collection, query, n_results=n, where=where)

    def count(self) -> int:
        """Number of chunks."""
        with store_call("count", self.chunks.name):
            return self.chunks.count()

    # --- writing -------------------------------------------------------------------
    def write(
        self,
        chunks: Sequence[Chunk],
        chunk_vectors: np.ndarray,
        chunk_counts: dict[str, int],
        sentences: Sequence[SentenceRow],
        sentence_vectors: np.ndarray,
    ) -> None:
        """Upsert sentences, then chunks (the chunks mark an article complete)."""
        self.write_sentences(sentences, sentence_vectors)
        self._upsert_all(
            self.chunks,
            chunks,
            chunk_vectors,
            lambda c: chunk_metadata(c, chunk_counts[c.article_id]),
        )

    def write_sentences(self, sentences: Sequence[SentenceRow], vectors: np.ndarray) -> None:
        """Upsert sentence rows with their vectors."""
        self._upsert_all(self.sentences, sentences, vectors, sentence_metadata)

    def _upsert_all(self, collection, rows: Sequence, vectors: np.ndarray, metadata) -> None:
        """Rows (chunks or sentences: ``id``, ``text``) in batches Chroma accepts."""
        for i in range(0, len(rows), WRITE_BATCH):
            part = rows[i : i + WRITE_BATCH]
            self._upsert(
                collection,
                [r.id for r in part],
                vectors[i : i + WRITE_BATCH],
                [r.text for r in part],
                [metadata(r) for r in part],
            )

    @staticmethod
    def _upsert(
        collection, ids: list[str], vectors: np.ndarray, documents: list[str], metadatas: list[dict]
    ) -> None:
        with store_call("upsert", collection.name):
            collection.upsert(ids=ids, embeddings=vectors, documents=documents, metadatas=metadatas)

    def delete_orphan_sentences(self) -> int:
        """Delete sentence rows whose chunk is not stored; returns how many. Sentences are
        written before their chunks, so a killed ingest can leave such rows (of an article
        whose file is gone by the next run, or of a version that never completed)."""
        chunk_ids = set(every_row(self.chunks, [])[0])
        ids, metas = every_row(self.sentences, ["metadatas"])
        orphans = [i for i, m in zip(ids, metas) if m["chunk_id"] not in chunk_ids]
        for start in range(0, len(orphans), WRITE_BATCH):
            with store_call("delete", self.sentences.name):
                self.sentences.delete(ids=orphans[start : start + WRITE_BATCH])
        return len(orphans)

    def delete_stale(self, article_id: str, keep_hash: str | None) -> None:
        """Remove an article's rows of other versions (all rows when ``keep_hash`` is None)."""
        where: dict = {"article_id": article_id}
        if keep_hash is not None:
            where = {"$and": [where, {"article_hash": {"$ne": keep_hash}}]}
        for collection in (self.sentences, self.chunks):
            with store_call("delete", collection.name):
                collection.delete(where=where)


def _run(collection, query: dict, **more) -> dict:
    with store_call("query", collection.name):
        return collection.query(**query, **more)


def every_row(collection, include: list) -> tuple[list[str], list[dict]]:
    """Ids and metadatas of a whole collection, read ``READ_PAGE`` rows at a time: one
    ``get`` of 100,000 chunks fails in Chroma 1.5 ("too many SQL variables";
    ``bench/scale100k.py``)."""
    ids: list[str] = []
    metas: list[dict] = []
    while True:
        with store_call("get", collection.name):
            page = collection.get(include=include, limit=READ_PAGE, offset=len(ids))
        ids += page["ids"]
        metas += [dict(m) for m in page.get("metadatas") or []]
        if len(page["ids"]) < READ_PAGE:
            return ids, metas
