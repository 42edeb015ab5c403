"""The offline default: quote the best evidence sentences verbatim, each with its citation.

No language model: the small models that ship inside PyPI packages were measured to invent
facts and never decline, so the default never paraphrases. Sentences are ranked by their
query similarity (sentence vectors stored at ingest); without sentence vectors, by the
share of the question's content words they contain plus the chunk's rank.
"""
from __future__ import annotations

from typing import Iterator, Sequence

from ..citations import Claim, content_words
from ..records import Retrieved
from .base import Draft

NOTE = {"de": "Wörtlich aus den Artikeln:", "en": "Quoted verbatim from the articles:"}
QUOTES = {"de": ("„", "“"), "en": ("“", "”")}


class ExtractiveAnswerer:
    """Picks up to ``max_sentences`` sentences; a second one only if nearly as good."""

    name = "extractive"

    def __init__(self, max_sentences: int = 2, margin: float = 0.05):
        self.max_sentences = max_sentences
        self.margin = margin

    def stream(self, question: str, language: str, retrieved: Sequence[Retrieved]
               ) -> Iterator[str | Draft]:
        picked = self.pick(question, retrieved)
        opening, closing = QUOTES.get(language, QUOTES["en"])
        note = NOTE.get(language, NOTE["en"])
        yield note
        parts = [note]
        for text, marker in picked:
            piece = f" {opening}{text}{closing} [{marker}]"
            parts.append(piece)
            yield piece
        yield Draft("".join(parts), tuple(Claim(t, (m,)) for t, m in picked), bool(picked))

    def pick(self, question: str, retrieved: Sequence[Retrieved]) -> list[tuple[str, int]]:
        """(sentence, rank of its chunk) pairs, best first."""
        candidates = self._candidates(question, retrieved)
        if not candidates:
            return []
        best = candidates[0][0]
        chosen = [c for c in candidates[: self.max_sentences] if c[0] >= best - self.margin]
        return [(text, rank) for _, _, text, rank in chosen]

    @staticmethod
    def _candidates(question: str, retrieved: Sequence[Retrieved]):
        words = content_words(question)
        seen: set[tuple[str, int]] = set()
        out = []
        for hit in retrieved:
            chunk = hit.chunk
            for i, span in enumerate(chunk.sentences):
                where = (chunk.article_id, chunk.start + span.start)
                if where in seen:  # the same sentence in an overlapping chunk
                    continue
                seen.add(where)
                text = chunk.text[span.start:span.end]
                if hit.sentence_scores:
                    score = hit.sentence_scores[i]
                else:
                    overlap = len(words & content_words(text)) / max(1, len(words))
                    score = overlap + 0.1 * hit.score
                out.append((score, -hit.rank, text, hit.rank))
        out.sort(key=lambda c: (-c[0], -c[1]))
        return out
