"""Citations as their own step: parse ``[n]`` markers, check each claim, build Citations.

A claim (one answer sentence) is *supported* when every marker points to a retrieved
chunk, every number in the claim occurs in a cited chunk, and the cited text supports it
lexically (share of the claim's content words found in the chunk) or, when an embedder is
given, semantically (cosine to the chunk's best sentence; catches a translation).
Unsupported claims stay in the answer, flagged with the reason.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .language import ENGLISH, GERMAN
from .providers import Embedder
from .records import Citation, Retrieved, Sentence
from .sentences import split_sentences

MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
_NUMBER = re.compile(r"\d+(?:[.,'’ ]\d{3})*(?:[.,]\d+)?")
_WORD = re.compile(r"\w+")
_STOP = GERMAN | ENGLISH
SEMANTIC_SUPPORT = 0.88  # e5 cosine of a faithful paraphrase/translation, see docs


@dataclass(frozen=True)
class Claim:
    """An answer sentence with its markers removed, and the marker numbers."""

    text: str
    markers: tuple[int, ...]


def parse_claims(answer: str, language: str) -> list[Claim]:
    """Split a drafted answer into sentences and collect each sentence's markers.

    A marker standing alone after a sentence boundary ("… Moskau. [2]") belongs to the
    sentence before it.
    """
    claims: list[Claim] = []
    for span in split_sentences(answer, language):
        piece = answer[span.start:span.end]
        markers = tuple(int(n) for group in MARKER.findall(piece)
                        for n in re.split(r"\s*,\s*", group))
        text = MARKER.sub("", piece).strip()
        if not re.search(r"\w", text) and claims:  # only markers: attach to previous claim
            prev = claims.pop()
            claims.append(Claim(prev.text, prev.markers + markers))
        elif text:
            claims.append(Claim(text, markers))
    return claims


def numbers_in(text: str) -> set[str]:
    """Numbers with thousands separators removed: '12.000' and '12,000' -> '12000'."""
    out = set()
    for raw in _NUMBER.findall(text):
        compact = re.sub(r"[.,'’ ](?=\d{3}(?!\d))", "", raw.strip())
        out.add(compact.replace(",", "."))
    return out


def content_words(text: str) -> set[str]:
    """Lower-cased words of three or more letters that are not function words."""
    return {w for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in _STOP}


def lexical_support(claim: str, passage: str) -> float:
    """Share of the claim's content words that occur in the passage (1.0 for no words)."""
    words = content_words(claim)
    if not words:
        return 1.0
    passage_words = content_words(passage)
    return len(words & passage_words) / len(words)


class CitationChecker:
    """Checks claims against the chunks they cite and builds the reader-facing citations."""

    def __init__(self, threshold: float = 0.5, embedder: Embedder | None = None):
        self.threshold = threshold
        self.embedder = embedder

    def check(self, claims: Sequence[Claim], retrieved: Sequence[Retrieved]
              ) -> tuple[list[Sentence], list[Citation]]:
        """Sentences with verdicts, and citations renumbered in order of first use."""
        numbering: dict[int, int] = {}
        quotes: dict[int, tuple[float, int, int]] = {}
        sentences = []
        for claim in claims:
            verdict, best = self._verdict(claim, retrieved)
            for marker in claim.markers:
                if 1 <= marker <= len(retrieved):
                    numbering.setdefault(marker, len(numbering) + 1)
                    quote = self._quote(claim.text, retrieved[marker - 1])
                    if marker not in quotes or quote[0] > quotes[marker][0]:
                        quotes[marker] = quote
            shown = tuple(dict.fromkeys(numbering.get(m, m) for m in claim.markers))
            sentences.append(Sentence(claim.text, shown, verdict == "", best, verdict))
        citations = [self._citation(numbering[m], retrieved[m - 1], quotes[m])
                     for m in sorted(numbering, key=numbering.get)]
        return sentences, citations

    def _verdict(self, claim: Claim, retrieved: Sequence[Retrieved]) -> tuple[str, float]:
        if not claim.markers:
            return "no citation", 0.0
        bad = [m for m in claim.markers if not 1 <= m <= len(retrieved)]
        if bad:
            return f"marker [{bad[0]}] points to no retrieved source (1..{len(retrieved)})", 0.0
        cited = [retrieved[m - 1].chunk.text for m in claim.markers]
        missing = numbers_in(claim.text) - set().union(*(numbers_in(t) for t in cited))
        if missing:
            return f"number {sorted(missing)[0]} does not occur in the cited source", 0.0
        lexical = max(lexical_support(claim.text, text) for text in cited)
        if lexical >= self.threshold:
            return "", lexical
        semantic = self._semantic(claim.text, [retrieved[m - 1] for m in claim.markers])
        if semantic >= SEMANTIC_SUPPORT:
            return "", semantic
        return (f"cited source supports {max(lexical, semantic):.2f} of it, expected at least "
                f"{self.threshold:.2f} of its words or a close paraphrase"), max(lexical, semantic)

    def _semantic(self, claim: str, cited: Sequence[Retrieved]) -> float:
        if self.embedder is None:
            return 0.0
        sentences = [s for r in cited for s in r.chunk.sentence_texts()]
        vectors = self.embedder.embed_passages([claim, *sentences])
        return float(np.max(vectors[1:] @ vectors[0])) if len(sentences) else 0.0

    @staticmethod
    def _quote(claim: str, hit: Retrieved) -> tuple[float, int, int]:
        """The chunk sentence that best supports ``claim``: (support, start, end)."""
        spans = hit.chunk.sentences or ()
        best = (-1.0, 0, len(hit.chunk.text))
        for i, span in enumerate(spans):
            text = hit.chunk.text[span.start:span.end]
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
        return Citation(n=n, chunk_id=chunk.id, article_id=chunk.article_id, title=chunk.title,
                        source=chunk.source, published=chunk.published, url=chunk.url,
                        text=chunk.text, quote=chunk.text[start:end], quote_start=start,
                        quote_end=end)


def renumber_markers(answer: str, sentences: Sequence[Sentence], claims: Sequence[Claim]) -> str:
    """Rewrite ``[n]`` in the answer text to the renumbered citations."""
    mapping: dict[int, int] = {}
    for claim, sentence in zip(claims, sentences):
        valid = [m for m in dict.fromkeys(claim.markers)]
        for old, new in zip(valid, sentence.citations):
            mapping.setdefault(old, new)

    def replace(match: re.Match) -> str:
        numbers = [int(n) for n in re.split(r"\s*,\s*", match.group(1))]
        lead = match.group(0)[: len(match.group(0)) - len(match.group(0).lstrip())]
        return lead + "".join(f"[{mapping.get(n, n)}]" for n in numbers)

    return MARKER.sub(replace, answer)
