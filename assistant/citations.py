"""Citations as their own step: parse ``[n]`` markers, check each claim, build Citations.

A claim (one answer sentence) is *supported* when every marker points to a retrieved
chunk, every number in the claim occurs in a cited chunk, and the cited text supports it
lexically (share of the claim's content words found in the chunk) or, when an embedder is
given, semantically (cosine to the chunk's best sentence; catches a translation).
Unsupported claims stay in the answer, flagged with the reason. ``support`` is that
lexical-then-semantic check, shared with the offline eval judge so that the two never drift.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .language import detect_language
from .providers import Embedder
from .records import Citation, Claim, Retrieved, Sentence
from .sentences import split_sentences
from .text import lexical_support, numbers_in

SEMANTIC_SUPPORT = 0.88  # e5 cosine of a faithful paraphrase/translation, see docs
LEXICAL, SEMANTIC, NONE = "lexical", "semantic", "none"


@dataclass(frozen=True)
class Support:
    """How well passages support a claim, and which check found it."""

    score: float  # the passing score; the best of both checks when neither passed
    how: str  # LEXICAL, SEMANTIC or NONE

    @property
    def supported(self) -> bool:
        return self.how != NONE


def passage_sentences(passages: Sequence[str]) -> list[str]:
    """The passages' sentences (whole passages when they have none)."""
    return [
        p[s.start : s.end] for p in passages for s in split_sentences(p, detect_language(p))
    ] or list(passages)


def semantic_support(claim: str, sentences: Sequence[str], embedder: Embedder) -> float:
    """Best cosine of ``claim`` to any of ``sentences``, embedded in one batch."""
    if not sentences:
        return 0.0
    vectors = embedder.embed_passages([claim, *sentences])
    return float(np.max(vectors[1:] @ vectors[0]))


def support(
    claim: str,
    passages: Sequence[str],
    embedder: Embedder | None = None,
    lexical_threshold: float = 0.5,
    semantic_threshold: float = SEMANTIC_SUPPORT,
    sentences: Sequence[str] | None = None,
) -> Support:
    """Lexical support of ``claim`` by the best passage; below ``lexical_threshold`` and
    with an embedder, the cosine to the passages' best sentence (a translation).

    ``sentences``: the passages' sentences when already known (a chunk's stored spans);
    otherwise they are split here, and only when the embedder needs them.
    """
    lexical = max((lexical_support(claim, p) for p in passages), default=0.0)
    if lexical >= lexical_threshold:
        return Support(lexical, LEXICAL)
    semantic = 0.0
    if embedder is not None:
        found = passage_sentences(passages) if sentences is None else sentences
        semantic = semantic_support(claim, found, embedder)
    if semantic >= semantic_threshold:
        return Support(semantic, SEMANTIC)
    return Support(max(lexical, semantic), NONE)


class CitationChecker:
    """Checks claims against the chunks they cite and builds the reader-facing citations."""

    def __init__(self, threshold: float = 0.5, embedder: Embedder | None = None):
        self.threshold = threshold
        self.embedder = embedder

    def check(
        self, claims: Sequence[Claim], retrieved: Sequence[Retrieved]
    ) -> tuple[list[Sentence], list[Citation]]:
        """Sentences with verdicts, and one citation per marker used, in order of first use.

        Numbers are never changed: marker ``[n]`` is citation ``n``, the chunk ranked ``n``
        (as Haystack's AnswerBuilder keeps the reference index), so the text a client has
        already streamed stays true.
        """
        quotes: dict[int, tuple[float, int, int]] = {}
        sentences = []
        for claim in claims:
            verdict, best = self._verdict(claim, retrieved)
            for marker in claim.markers:
                if 1 <= marker <= len(retrieved):
                    quote = self._quote(claim.text, retrieved[marker - 1])
                    if marker not in quotes or quote[0] > quotes[marker][0]:
                        quotes[marker] = quote
            markers = tuple(dict.fromkeys(claim.markers))
            sentences.append(Sentence(claim.text, markers, verdict == "", best, verdict))
        citations = [self._citation(m, retrieved[m - 1], quote) for m, quote in quotes.items()]
        return sentences, citations

    def _verdict(self, claim: Claim, retrieved: Sequence[Retrieved]) -> tuple[str, float]:
        if not claim.markers:
            return "no citation", 0.0
        bad = [m for m in claim.markers if not 1 <= m <= len(retrieved)]
        if bad:
            return f"marker [{bad[0]}] points to no retrieved source (1..{len(retrieved)})", 0.0
        cited = [retrieved[m - 1].chunk for m in claim.markers]
        missing = numbers_in(claim.text) - set().union(*(numbers_in(c.text) for c in cited))
        if missing:
            return f"number {sorted(missing)[0]} does not occur in the cited source", 0.0
        found = support(
            claim.text,
            [c.text for c in cited],
            self.embedder,
            self.threshold,
            SEMANTIC_SUPPORT,
            [s for c in cited for s in c.sentence_texts()],
        )
        if found.supported:
            return "", found.score
        return (
            f"cited source supports {found.score:.2f} of it, expected at least "
            f"{self.threshold:.2f} of its words or a close paraphrase"
        ), found.score

    @staticmethod
    def _quote(claim: str, hit: Retrieved) -> tuple[float, int, int]:
        """The chunk sentence that best supports ``claim``: (support, start, end)."""
        spans = hit.chunk.sentences or ()
        best = (-1.0, 0, len(hit.chunk.text))
        for i, span in enumerate(spans):
            text = hit.chunk.text[span.start : span.end]
            score = 1.0 if text == claim else lexical_support(claim, text)
            if hit.sentence_scores and i < len(hit.sentence_scores):
                score += 1e-3 * hit.sentence_scores[i]  # ties go to the better-matching one
            if score > best[0]:
                best = (score, span.start, span.end)
        return best

    @staticmethod
    def _citation(n: int, hit: Retrieved, quote: tuple[float, int, int]) -> Citation:
        chunk = hit.chunk
        _, start, end = quote
        return Citation(
            n=n,
            chunk_id=chunk.id,
            article_id=chunk.article_id,
            title=chunk.title,
            source=chunk.source,
            published=chunk.published,
            url=chunk.url,
            text=chunk.text,
            quote=chunk.text[start:end],
            quote_start=start,
            quote_end=end,
        )
