"""Timeline answers: how a story developed, as dated verbatim quotes in date order.

A question that asks how something developed ("Wie hat sich der Streit entwickelt?", "How
did the protests unfold?", "timeline of ...") or a request with ``timeline: true`` (the
UI's switch) is answered by quoting each of several articles once: the best sentence of
every article among the ranked chunks whose probability is at least ``SHARE`` of the best
sentence's, newest last, each with its date and its citation. Undated articles come after
the dated ones ("ohne Datum" / "undated"). The quotes stay verbatim and go through the
same citation check as every answer, whatever answerer is configured: a timeline puts
several reports side by side, and a paraphrase could merge what they say.

Measured on the timeline items of ``evals/news-dates`` (``docs/evaluation.md``).
"""

from __future__ import annotations

import re
from collections.abc import Generator

from ..dates import format_day
from ..errors import QuestionError
from ..records import Claim, Draft, Evidence, Retrieved, ScoredSentence, parse_day
from .extractive import QUOTES

TIMELINE = re.compile(
    r"(?i)\b(?:timeline|chronolog\w*|chronik|zeitleiste|zeitliche[nrm]? ablauf|sequence of events"
    r"|wie (?:hat|haben) sich\b.*\bentwickelt|wie entwickel(?:te|ten|t|n) sich"
    r"|was ist seit\b.*\bpassiert|what (?:has )?happened since"
    r"|how (?:did|has|have)\b.*\b(?:develop|unfold|evolve)(?:ed)?\s*(?:\?|$|since|over|after|in\b))"
)
HEADING = {"de": "Chronologie aus den Artikeln:", "en": "Timeline from the articles:"}
UNDATED = {"de": "ohne Datum", "en": "undated"}
TIMELINE_K = 10  # chunks a timeline draws from when the request names no top_k
MAX_ENTRIES = 6
MARGIN = 0.03  # an article is quoted when its closest sentence is this near the closest one
TIMELINE_CONFIDENCE = (
    0.3  # the answer model's probability a timeline needs (see the module docstring)
)


def asks_timeline(question: str) -> bool:
    """Whether the question asks how something developed over time."""
    return bool(TIMELINE.search(question))


def entries(
    evidence: Evidence, max_entries: int = MAX_ENTRIES, margin: float = MARGIN
) -> list[tuple[ScoredSentence, Retrieved]]:
    """Each article near the best one, quoted by its most probable sentence, by date."""
    closest: dict[str, float] = {}  # article -> its best sentence cosine to the question
    quotes: dict[str, tuple[ScoredSentence, Retrieved]] = {}
    for sentence in evidence.sentences:  # most probable first: the first per article is quoted
        hit = evidence.retrieved[sentence.rank - 1]
        article = hit.chunk.article_id
        closest[article] = max(closest.get(article, -1.0), _cosine(sentence, hit))
        quotes.setdefault(article, (sentence, hit))
    if not closest:
        return []
    best = max(closest.values())
    near = sorted((a for a in closest if closest[a] >= best - margin), key=lambda a: -closest[a])
    picked = [quotes[a] for a in near[:max_entries]]
    return sorted(picked, key=lambda p: (not p[1].chunk.published, p[1].chunk.published))


def _cosine(sentence: ScoredSentence, hit: Retrieved) -> float:
    scores = hit.sentence_scores
    return scores[sentence.index] if sentence.index < len(scores) else -1.0


def day_label(published: str, language: str) -> str:
    """``7. Februar 2017`` / ``7 February 2017``; the undated word when there is no day."""
    language = language if language in HEADING else "en"
    try:
        day = parse_day("published", published)
    except QuestionError:  # a stored date we cannot read is shown as it is
        return published
    return format_day(day, language) if day else UNDATED[language]


class TimelineAnswerer:
    """Dated quotes from several articles, oldest first, each cited."""

    name = "timeline"

    def __init__(self, max_entries: int = MAX_ENTRIES, margin: float = MARGIN):
        self.max_entries = max_entries
        self.margin = margin

    def stream(
        self, question: str, language: str, evidence: Evidence
    ) -> Generator[str, None, Draft]:
        picked = entries(evidence, self.max_entries, self.margin)
        opening, closing = QUOTES.get(language, QUOTES["en"])
        parts: list[str] = [HEADING.get(language, HEADING["en"])]
        claims: list[Claim] = []
        for sentence, hit in picked:
            day = day_label(hit.chunk.published, language)
            parts.append(f"\n- {day}: {opening}{sentence.text}{closing} [{sentence.rank}]")
            claims.append(Claim(sentence.text, (sentence.rank,)))
        yield from parts
        return Draft("".join(parts), tuple(claims), bool(picked))
