"""Metrics, each a small named function, per item and aggregated (see docs/evaluation.md).

Retrieval: hit@k and reciprocal rank of the first chunk from a gold article.
Answer: containment of a normalised gold answer, SQuAD token F1.
Citations (ALCE): recall = share of answer sentences entailed by their cited chunks;
precision = share of citations that support their sentence alone or are needed for it.
Faithfulness (RAGAS): share of answer statements supported by the cited context.
Refusals: answerable items answered, unanswerable items declined.
Responses of three kinds (``answer``, ``closest``: the articles don't say what was asked and
the nearest evidence is quoted, ``none``): a false claim is an unanswerable question given an
``answer``; a response is helpful when its text (an answer or a closest quote) holds the gold;
a wrong absence is a closest response whose own quote holds the gold; lead precision is the
share of lead values that are a gold answer.

Every metric's name is spelled once, here, as a ``Metric`` in ``METRICS`` (as ragas names
its metrics objects): the runner scores under these names, the gate gates them, the report
describes them, ``eval`` sets floors on them. The names are the JSON keys of reports and
baselines, so a name never changes.
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .sets import REMOVED, TOPIC

SupportFn = Callable[[str, Sequence[str]], bool]  # (statement, passages) -> supported
_PUNCT = set(string.punctuation) | set("„“”‚‘’«»–—…")
_ARTICLES = re.compile(r"\b(a|an|the|der|die|das|den|dem|des|ein|eine|einen|einem|einer)\b")


@dataclass(frozen=True)
class Metric:
    """One metric: its name (the key in scores, reports, baselines), meaning and scope."""

    name: str
    description: str
    applies_to: str  # the items it is computed on
    gated: bool = True  # False: reported only (for "error" a higher value is worse)
    lower_is_better: bool = False  # a ceiling, not a floor; the baseline limit is + tolerance


ANSWERABLE, UNANSWERABLE = "answerable items", "unanswerable items"
ANSWERED_ITEMS = "answered items"

HIT_AT = {
    k: Metric(
        f"hit@{k}",
        "share of answerable questions whose gold article is "
        + ("the first retrieved chunk" if k == 1 else f"among the first {k} retrieved chunks"),
        ANSWERABLE,
    )
    for k in (1, 5, 10)
}
MRR = Metric(
    "mrr", "mean of 1/rank of the first gold chunk (0 when not in the first 10)", ANSWERABLE
)
ANSWERED = Metric(
    "answered", "share of answerable questions the assistant answered (did not decline)", ANSWERABLE
)
DECLINED = Metric(
    "declined", "share of unanswerable questions the assistant declined", UNANSWERABLE
)


def declined_in(variant: str) -> str:
    """The name of the decline rate against one corpus variant: ``declined_removed``."""
    return f"{DECLINED.name}_{variant}"


DECLINED_REMOVED = Metric(
    declined_in(REMOVED),
    "share of questions declined when their whole article is removed from the corpus",
    f"{UNANSWERABLE} ({REMOVED} corpus)",
)
DECLINED_TOPIC = Metric(
    declined_in(TOPIC),
    "share of questions declined when the paragraph "
    "answering them is removed and the rest of its article stays (same topic)",
    f"{UNANSWERABLE} ({TOPIC} corpus)",
)
CORRECT = Metric(
    "correct",
    "share of answerable questions whose answer contains a gold answer (normalised)",
    ANSWERABLE,
)
F1 = Metric("f1", "SQuAD token F1 of the answer sentences against the best gold answer", ANSWERABLE)
CITATION_RECALL = Metric(
    "citation_recall",
    "ALCE: share of answer sentences supported by the chunks they cite",
    ANSWERED_ITEMS,
)
CITATION_PRECISION = Metric(
    "citation_precision",
    "ALCE: share of citations that support their sentence (or are needed)",
    ANSWERED_ITEMS,
)
FAITHFULNESS = Metric(
    "faithfulness",
    "RAGAS: share of answer statements supported by the cited chunks",
    ANSWERED_ITEMS,
)
TIMELINE_ARTICLES = Metric(
    "timeline_articles",
    "share of timeline questions answered with dated quotes from at least two gold articles",
    "answerable timeline items",
)
TIMELINE_PRECISION = Metric(
    "timeline_precision",
    "share of the articles a timeline quotes that are gold articles",
    "answered timeline items",
)
COPIES_MERGED = Metric(
    "copies_merged",
    "share of questions about a story printed more than once whose answer cites one "
    "article of it and lists the other outlets' copies as also reported by",
    "answerable items about a printed-twice story",
)
FALSE_CLAIM = Metric(
    "false_claim",
    "share of unanswerable questions given an answer (not a closest response or a decline): "
    "a quote presented as saying what was asked when the articles don't",
    UNANSWERABLE,
    lower_is_better=True,
)
CLOSEST = Metric(
    "closest",
    "share of questions answered with a closest response (the articles don't say what was "
    "asked; the nearest evidence is quoted)",
    "every item",
    gated=False,
)
HELPFUL = Metric(
    "helpful",
    "share of answerable questions whose answer or closest response holds a gold answer",
    ANSWERABLE,
)
WRONG_ABSENCE = Metric(
    "wrong_absence",
    "share of answerable questions given a closest response whose own quote holds a gold "
    "answer (the verifier said no to the answer it quoted)",
    ANSWERABLE,
    lower_is_better=True,
)
LEAD_PRECISION = Metric(
    "lead_precision",
    "share of lead values (the value an answer opens with) that hold or are held by a gold "
    "answer (normalised), on answered items with a lead; a lead on an unanswerable item "
    "counts as wrong",
    "answered items with a lead value",
)
ERROR = Metric(
    "error",
    "share of questions that raised an error (recorded as failed items)",
    "every item",
    gated=False,
)

METRICS = (
    *HIT_AT.values(),
    MRR,
    ANSWERED,
    DECLINED,
    DECLINED_REMOVED,
    DECLINED_TOPIC,
    CORRECT,
    F1,
    CITATION_RECALL,
    CITATION_PRECISION,
    FAITHFULNESS,
    TIMELINE_ARTICLES,
    TIMELINE_PRECISION,
    COPIES_MERGED,
    FALSE_CLAIM,
    CLOSEST,
    HELPFUL,
    WRONG_ABSENCE,
    LEAD_PRECISION,
    ERROR,
)
BY_NAME = {metric.name: metric for metric in METRICS}
GATED = tuple(metric.name for metric in METRICS if metric.gated)


def describe(name: str) -> str:
    """What a metric means ("" for a name no metric has)."""
    metric = BY_NAME.get(name)
    return metric.description if metric else ""


def by_name(values: dict[Metric, float]) -> dict[str, float]:
    """Floors (or any values) keyed by metric name, as sets and baselines store them."""
    return {metric.name: value for metric, value in values.items()}


def normalise(text: str) -> str:
    """Lower-case, numbers without thousands separators, no punctuation or articles."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"(?<=\d)[.,'’ ](?=\d{3}(?!\d))", "", text)  # 12.000 -> 12000
    text = "".join(" " if ch in _PUNCT else ch for ch in text)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def contains_answer(answer: str, golds: Iterable[str]) -> float:
    """1.0 when any normalised gold answer occurs in the normalised answer, else 0.0."""
    norm = f" {normalise(answer)} "
    return float(any(g and f" {g} " in norm for g in (normalise(x) for x in golds)))


def token_f1(answer: str, golds: Iterable[str]) -> float:
    """Best SQuAD token F1 of the answer against any gold answer."""
    predicted = normalise(answer).split()
    best = 0.0
    for gold in golds:
        truth = normalise(gold).split()
        common = sum((Counter(predicted) & Counter(truth)).values())
        if common:
            precision, recall = common / len(predicted), common / len(truth)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def first_gold_rank(ranked_articles: Sequence[str], gold: Iterable[str]) -> int | None:
    """1-based rank of the first chunk from a gold article, or None."""
    golds = set(gold)
    return next((i for i, a in enumerate(ranked_articles, 1) if a in golds), None)


def lead_holds(lead: str, golds: Iterable[str]) -> float:
    """1.0 when the lead value and a gold answer contain one another (normalised)."""
    value = normalise(lead)
    for gold in (normalise(g) for g in golds):
        if value and gold and (f" {gold} " in f" {value} " or f" {value} " in f" {gold} "):
            return 1.0
    return 0.0


def hit_at(rank: int | None, k: int) -> float:
    """1.0 when the gold article is among the first k results."""
    return float(rank is not None and rank <= k)


def reciprocal_rank(rank: int | None) -> float:
    """1/rank of the first gold result, 0.0 when none was retrieved."""
    return 1.0 / rank if rank else 0.0


def citation_recall(
    sentences: Sequence[tuple[str, Sequence[str]]], supports: SupportFn
) -> float | None:
    """ALCE citation recall: share of sentences whose cited passages (together) support them.

    ``sentences`` pairs each answer sentence with the texts it cites; a sentence citing
    nothing counts as unsupported. None when the answer has no sentences.
    """
    if not sentences:
        return None
    return sum(bool(cited) and supports(s, cited) for s, cited in sentences) / len(sentences)


def citation_precision(
    sentences: Sequence[tuple[str, Sequence[str]]], supports: SupportFn
) -> float | None:
    """ALCE citation precision: share of citations that are relevant to their sentence.

    A citation is irrelevant when its sentence is not supported by all its citations, or
    when it alone does not support the sentence and the other citations still do.
    None when there are no citations.
    """
    relevant = total = 0
    for sentence, cited in sentences:
        total += len(cited)
        if not cited or not supports(sentence, cited):
            continue
        for i, passage in enumerate(cited):
            others = [p for j, p in enumerate(cited) if j != i]
            alone = supports(sentence, [passage])
            relevant += alone or not (others and supports(sentence, others))
    return relevant / total if total else None


def faithfulness(
    statements: Sequence[str], context: Sequence[str], supports: SupportFn
) -> float | None:
    """RAGAS faithfulness: supported statements / statements, against the cited context."""
    if not statements:
        return None
    if not context:
        return 0.0
    return sum(supports(s, context) for s in statements) / len(statements)


def timeline_articles(cited: Sequence[str], gold: Iterable[str], ordered: bool) -> float:
    """1.0 when the timeline quotes two or more gold articles and its days never go back."""
    return float(ordered and len(set(cited) & set(gold)) >= 2)


def timeline_precision(cited: Sequence[str], gold: Iterable[str]) -> float | None:
    """Share of the distinct quoted articles that are gold (None when nothing is quoted)."""
    quoted = set(cited)
    return len(quoted & set(gold)) / len(quoted) if quoted else None


def copies_merged(
    cited: Sequence[str], story: Iterable[str], expected: Iterable[str], reported: Iterable[str]
) -> float:
    """1.0 when at most one article of the story is cited and every expected copy is
    listed as also reported by."""
    one = len(set(cited) & set(story)) <= 1
    return float(one and set(expected) <= set(reported))


def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the values that are not None; None when there are none."""
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100): the value at rank ceil(q/100 * n)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]
