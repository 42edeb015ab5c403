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

from collections.abc import Generator

from ..records import CLOSEST, Claim, Draft, Evidence, ScoredSentence
from ..terms import term_set
from .base import CLOSEST as CLOSEST_LABEL
from .base import missing_text

NOTE = {"de": "Wörtlich aus den Artikeln:", "en": "Quoted verbatim from the articles:"}
QUOTES = {"de": ("„", "“"), "en": ("“", "”")}
AGREE = 0.2  # stem overlap at which another outlet's sentence counts as saying the same


def pick(
    evidence: Evidence, max_sentences: int, margin: float, agree: float = AGREE
) -> list[ScoredSentence]:
    """The best sentence, and the next ones whose score is within ``margin`` of it. A
    sentence of another outlet that agrees with the best one (``agreement`` at least
    ``agree``) comes second: two outlets saying it say more than two sentences of one."""
    sentences = evidence.sentences
    near = evidence.near_best(max_sentences, margin)
    if len(near) < 2:
        return near
    best = near[0]
    agreeing = [
        s
        for s in sentences[1:]
        if s.score >= best.score - margin
        and source_of(evidence, s) != source_of(evidence, best)
        and agreement(evidence, best, s) >= agree
    ]
    if not agreeing or agreeing[0] in near[1:2] or near[1].carries_on(best):
        return near
    return [best, agreeing[0], *(s for s in near[1:] if s is not agreeing[0])][:max_sentences]


def with_context(evidence: Evidence, picked: list[ScoredSentence]) -> list[ScoredSentence]:
    """The quoted sentences, led by the sentence before the first one when that one only
    refers back to it ("Er starb am Samstag im Alter von 79 Jahren." says who only with the
    sentence before): a reader checks a quote by who it is about."""
    if not picked:
        return picked
    before = next((s for s in evidence.sentences if picked[0].carries_on(s)), None)
    if before is None or before in picked:
        return picked
    return [before, *picked]


def agreement(evidence: Evidence, a: ScoredSentence, b: ScoredSentence) -> float:
    """Jaccard of the two sentences' stems (each in its chunk's language), or 1.0 when both
    lead with the same value."""
    if lead(a) and lead(a).casefold() == lead(b).casefold():
        return 1.0
    terms_a = term_set(a.text, evidence.retrieved[a.rank - 1].chunk.language)
    terms_b = term_set(b.text, evidence.retrieved[b.rank - 1].chunk.language)
    return len(terms_a & terms_b) / len(terms_a | terms_b) if terms_a | terms_b else 0.0


def source_of(evidence: Evidence, sentence: ScoredSentence) -> str:
    """The outlet of the sentence's chunk (its article id when the source is unknown)."""
    chunk = evidence.retrieved[sentence.rank - 1].chunk
    return chunk.source or chunk.article_id


def lead(sentence: ScoredSentence) -> str:
    """The answer span of ``sentence`` ("" when it has none)."""
    return sentence.text[sentence.answer[0] : sentence.answer[1]] if sentence.answer else ""


def leader(picked: list[ScoredSentence]) -> ScoredSentence | None:
    """The quoted sentence whose value leads: the first one's, or, when it has none, the
    value of the sentence that carries it on ("... died Sunday." "He was 88.")."""
    if picked and lead(picked[0]):
        return picked[0]
    if len(picked) > 1 and picked[1].carries_on(picked[0]) and lead(picked[1]):
        return picked[1]
    return None


class ExtractiveAnswerer:
    """Quotes up to ``max_sentences`` sentences, led by the value the question asks for."""

    name = "extractive"

    def __init__(self, max_sentences: int = 2, margin: float = 0.1):
        self.max_sentences = max_sentences
        self.margin = margin

    def stream(
        self, question: str, language: str, evidence: Evidence
    ) -> Generator[str, None, Draft]:
        picked = pick(evidence, self.max_sentences, self.margin)
        opening, closing = QUOTES.get(language, QUOTES["en"])
        claims, parts = [], []
        leading = leader(picked)
        if leading is not None:
            claims.append(Claim(lead(leading), (leading.rank,)))
            parts.append(f"{lead(leading)} [{leading.rank}]\n\n")
        parts.append(NOTE.get(language, NOTE["en"]))
        for sentence in with_context(evidence, picked):
            claims.append(Claim(sentence.text, (sentence.rank,)))
            parts.append(f" {opening}{sentence.text}{closing} [{sentence.rank}]")
        yield from parts
        return Draft("".join(parts), tuple(claims), bool(picked), lead(leading) if leading else "")

    def closest(
        self, question: str, language: str, evidence: Evidence
    ) -> Generator[str, None, Draft]:
        """What the articles don't say, then the best sentence verbatim: never a lead."""
        best = evidence.sentences[0]
        opening, closing = QUOTES.get(language, QUOTES["en"])
        label = CLOSEST_LABEL.get(language, CLOSEST_LABEL["en"])
        parts = [missing_text(evidence.missing, language), f" {label}",
                 f" {opening}{best.text}{closing} [{best.rank}]"]  # fmt: skip
        yield from parts
        claims = (Claim(best.text, (best.rank,)),)
        return Draft("".join(parts), claims, False, "", CLOSEST, evidence.missing)
