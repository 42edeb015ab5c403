"""The signals the answer model weighs, computed the same way when fitting and answering.

Three levels, each a fixed, named list of numbers (the model file names them in order):

- a *chunk* (is this the passage that answers?): its cosine and its best sentence's, both
  also relative to the best candidate, its keyword (BM25) rank, and how much of the
  question's weighted stems it covers (same language and across languages apart, because
  stems only meet across languages in names and numbers);
- a *sentence* (does this sentence hold the answer?): its cosine, its chunk's probability
  and rank, its stem coverage alone, with the sentence before and with the one after, the
  question's stem pairs it repeats (phrases), its share of words the question lacks
  (novelty), the answer type (the question asks for a number, date, person, place, name or
  amount and the sentence holds one the question does not name), the focus-word gain (it
  matches the question better with a focus word left out: it does not speak to that word)
  and its length;
- the *answer* (do the articles answer at all?): the best chunk's and sentence's
  probabilities and cosines, coverage, the heaviest question stem the best chunk lacks, the
  share of the question's weight no ranked chunk holds, a missing answer type, the
  focus-word gain, cross-language evidence and the margin over the best other article.

Stem weights come from wordfreq (``terms.term_weights``), not from the index, so a
five-article index weighs a question as a large one does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

from ..records import Candidate, Chunk, Retrieval
from ..terms import bigrams, matches, term_set, term_weights
from ..text import numbers_in
from .types import (
    DATE,
    KINDS,
    MONEY,
    NAME,
    NUMBER,
    PERSON,
    PLACE,
    TypedSpan,
    question_type,
    typed_spans,
)
from .units import asked_measure, counted_measure

CHUNK_FEATURES = (
    "similarity",
    "best_sentence",
    "similarity_gap",
    "best_sentence_gap",
    "coverage_same",
    "coverage_cross",
    "keyword",
    "cross_language",
)
SENTENCE_FEATURES = (
    "similarity",
    "similarity_gap",
    "chunk_score",
    "chunk_rank",
    "coverage_same",
    "window_same",
    "next_same",
    "phrases_same",
    "coverage_cross",
    "novelty",
    "asks_type",
    "has_type",
    "type_missing",
    "focus_gain",
    "length",
)
ANSWER_FEATURES = (
    "chunk_score",
    "sentence_score",
    "best_similarity",
    "chunk_similarity",
    "coverage_same",
    "focus_missing",
    "absent",
    "type_missing",
    "focus_gain",
    "cross_language",
    "runner_up_gap",
)
# which span kinds answer which question kind
ACCEPTS = {
    NUMBER: (NUMBER, MONEY),
    DATE: (DATE,),
    PERSON: (PERSON, NAME),
    PLACE: (PLACE, NAME),
    NAME: (NAME, PERSON, PLACE),
    MONEY: (MONEY,),
}


@dataclass(frozen=True)
class Question:
    """What the features need to know about the question, computed once."""

    text: str
    language: str
    kind: str  # number | date | person | place | other
    idf: dict[str, float]  # stem -> how much it tells (terms.term_weights)

    @classmethod
    def from_retrieval(cls, question: str, retrieval: Retrieval) -> Question:
        return cls(
            question,
            retrieval.language,
            question_type(question),
            term_weights(question, retrieval.language),
        )

    @cached_property
    def phrases(self) -> frozenset[tuple[str, str]]:
        return bigrams(self.text, self.language)

    @cached_property
    def stems(self) -> frozenset[str]:
        return term_set(self.text, self.language)

    @cached_property
    def total_idf(self) -> float:
        return sum(self.idf.values()) or 1.0

    @cached_property
    def measure(self) -> str:
        """The measure its words ask for (``units.asked_measure``: "how old": an age)."""
        return asked_measure(self.text)

    @cached_property
    def counted(self) -> str:
        """The measure of the unit a "how many" question counts (``units.counted_measure``)."""
        return counted_measure(self.text)

    def names(self, span: TypedSpan) -> bool:
        """The question names this value already ("Putins" when it asks about Putin)."""
        if span.kind in (NUMBER, DATE, MONEY):
            values = numbers_in(span.text)
            return (
                bool(values)
                and values <= numbers_in(self.text)
                or span.text.lower() in self.text.lower()
            )
        return bool(term_set(span.text, self.language) & self.stems)

    def coverage(self, others: frozenset[str]) -> float:
        """IDF-weighted share of the question's stems found in ``others`` (compounds too)."""
        return sum(w for t, w in self.idf.items() if matches(t, others)) / self.total_idf

    def absent(self, others: frozenset[str]) -> float:
        """The share of the question's weight whose stems ``others`` lacks, 0..1."""
        return sum(w for t, w in self.idf.items() if not matches(t, others)) / self.total_idf

    def focus_missing(self, others: frozenset[str]) -> float:
        """The weight of the heaviest question stem missing from ``others``, 0..1."""
        missing = [w for t, w in self.idf.items() if not matches(t, others)]
        return max(missing, default=0.0) / max(self.idf.values(), default=1.0)


@dataclass(frozen=True)
class SentenceView:
    """One candidate sentence with what the features read from it."""

    chunk: Chunk
    index: int  # position among the chunk's sentences
    similarity: float
    without: tuple[float, ...] = ()  # its cosine to the query without each focus word

    @property
    def focus_gain(self) -> float:
        """How much better the sentence matches the query with a focus word left out
        (> 0: it does not speak to that word; 0 when the query has no focus words)."""
        return max((w - self.similarity for w in self.without), default=0.0)

    @property
    def text(self) -> str:
        span = self.chunk.sentences[self.index]
        return self.chunk.text[span.start : span.end]

    @cached_property
    def terms(self) -> frozenset[str]:
        return term_set(self.text, self.chunk.language)

    @cached_property
    def window_terms(self) -> frozenset[str]:
        if self.index == 0:
            return self.terms
        span = self.chunk.sentences[self.index - 1]
        return self.terms | term_set(self.chunk.text[span.start : span.end], self.chunk.language)

    @cached_property
    def next_terms(self) -> frozenset[str]:
        if self.index + 1 >= len(self.chunk.sentences):
            return self.terms
        span = self.chunk.sentences[self.index + 1]
        return self.terms | term_set(self.chunk.text[span.start : span.end], self.chunk.language)

    @cached_property
    def spans(self) -> tuple[TypedSpan, ...]:
        return typed_spans(self.text, self.chunk.language)

    def answer_spans(self, question: Question) -> list[TypedSpan]:
        """Spans of the kind the question asks for that the question does not name itself."""
        kinds = ACCEPTS.get(question.kind, ())
        return [s for s in self.spans if s.kind in kinds and not question.names(s)]


def chunk_terms(chunk: Chunk) -> frozenset[str]:
    return term_set(chunk.text, chunk.language)


def chunk_features(
    question: Question,
    candidate: Candidate,
    best_similarity: float,
    best_sentence: float,
    terms: frozenset[str],
) -> list[float]:
    """CHUNK_FEATURES of one candidate; ``best_*`` are the maxima over all candidates."""
    same = candidate.chunk.language == question.language
    top = max(candidate.sentence_similarities, default=candidate.similarity)
    coverage = question.coverage(terms)
    return [
        candidate.similarity,
        top,
        candidate.similarity - best_similarity,
        top - best_sentence,
        coverage if same else 0.0,
        0.0 if same else coverage,
        1.0 / candidate.keyword_rank if candidate.keyword_rank else 0.0,
        float(not same),
    ]


def sentence_features(
    question: Question,
    view: SentenceView,
    best_similarity: float,
    chunk_score: float,
    chunk_rank: int,
) -> list[float]:
    """SENTENCE_FEATURES of one sentence among the ranked chunks."""
    same = view.chunk.language == question.language
    asks = question.kind in KINDS
    has = bool(view.answer_spans(question)) if asks else False
    coverage = question.coverage(view.terms)
    phrases = question.phrases
    shared = (
        len(phrases & bigrams(view.text, view.chunk.language)) / len(phrases) if phrases else 0.0
    )
    novelty = len(view.terms - question.stems) / max(1, len(view.terms))
    return [
        view.similarity,
        view.similarity - best_similarity,
        chunk_score,
        1.0 / chunk_rank,
        coverage if same else 0.0,
        question.coverage(view.window_terms) if same else 0.0,
        question.coverage(view.next_terms) if same else 0.0,
        shared if same else 0.0,
        0.0 if same else coverage,
        novelty if same else 0.0,
        float(asks),
        float(has),
        float(asks and not has),
        view.focus_gain,
        math.log1p(len(view.text.split())),
    ]


def answer_features(
    question: Question,
    chunk_score: float,
    sentence_score: float,
    best: SentenceView,
    chunk_similarity: float,
    best_similarity: float,
    chunk_terms_: frozenset[str],
    evidence_terms: frozenset[str],
    runner_up_gap: float,
) -> list[float]:
    """ANSWER_FEATURES of the question given its best chunk and best sentence."""
    same = best.chunk.language == question.language
    asks = question.kind in KINDS
    return [
        chunk_score,
        sentence_score,
        best_similarity,
        chunk_similarity,
        question.coverage(best.window_terms) if same else 0.0,
        question.focus_missing(chunk_terms_) if same else 0.0,
        question.absent(evidence_terms) if same else 0.0,
        float(asks and not best.answer_spans(question)),
        best.focus_gain,
        float(not same),
        runner_up_gap,
    ]
