"""The offline default: the value asked for, then the sentences that hold it, verbatim.

No language model: the small models that ship inside PyPI packages were measured to invent
facts and never decline, so the default never paraphrases. Sentences come ranked by the
fitted answer model (``assistant.evidence``); a further sentence is quoted only when its
probability is within the model's margin of the best. When the question asks for a number,
date, person or place and the best sentence holds exactly one such span that the question
does not name, the answer opens with that span, verbatim and cited ("fast 12.000 Truppen
[1]"), so the reader sees the answer before the quote that proves it.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence

from ..records import Claim, Draft, Evidence, ScoredSentence

NOTE = {"de": "Wörtlich aus den Artikeln:", "en": "Quoted verbatim from the articles:"}
QUOTES = {"de": ("„", "“"), "en": ("“", "”")}


def pick(
    sentences: Sequence[ScoredSentence], max_sentences: int, margin: float
) -> list[ScoredSentence]:
    """The best sentence, and the next ones whose score is within ``margin`` of it."""
    if not sentences:
        return []
    best = sentences[0].score
    return [s for s in sentences[:max_sentences] if s.score >= best - margin]


def lead(sentence: ScoredSentence) -> str:
    """The answer span of ``sentence`` ("" when it has none)."""
    return sentence.text[sentence.answer[0] : sentence.answer[1]] if sentence.answer else ""


class ExtractiveAnswerer:
    """Quotes up to ``max_sentences`` sentences, led by the value the question asks for."""

    name = "extractive"

    def __init__(self, max_sentences: int = 2, margin: float = 0.1):
        self.max_sentences = max_sentences
        self.margin = margin

    def stream(
        self, question: str, language: str, evidence: Evidence
    ) -> Generator[str, None, Draft]:
        picked = pick(evidence.sentences, self.max_sentences, self.margin)
        opening, closing = QUOTES.get(language, QUOTES["en"])
        claims, parts = [], []
        if picked and lead(picked[0]):
            claims.append(Claim(lead(picked[0]), (picked[0].rank,)))
            parts.append(f"{lead(picked[0])} [{picked[0].rank}]\n\n")
        parts.append(NOTE.get(language, NOTE["en"]))
        for sentence in picked:
            claims.append(Claim(sentence.text, (sentence.rank,)))
            parts.append(f" {opening}{sentence.text}{closing} [{sentence.rank}]")
        yield from parts
        return Draft("".join(parts), tuple(claims), bool(picked), lead(picked[0]) if picked else "")
