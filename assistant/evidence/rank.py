"""The evidence stage: rank chunks, rank their sentences, decide whether to answer.

Every decision comes from the fitted answer model (``model.py``) over the signals of
``features.py``; the extractive answerer quotes the best sentences, a generative answerer
gets the ranked chunks, and both decline when the model says the articles do not answer.
The three steps are plain functions so that the fitting script builds its training rows
with exactly the code that answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..records import Candidate, Evidence, Retrieval, Retrieved, ScoredSentence
from ..text import ATTRIBUTION
from .decide import typed_spans_for
from .features import (
    Question,
    SentenceView,
    answer_features,
    chunk_features,
    chunk_terms,
    sentence_features,
)
from .model import AnswerModel
from .types import asks_verification

# A "sentence" of punctuation only (XQuAD's text has "." lines) is never quoted. It stays
# in the decision's features, as in the fitted model: removing it there too and refitting
# (python -m assistant.evidence.fit fit --sets news xquad-de xquad-en, 6 folds, 12:06Z,
# beside the same command without it) moved XQuAD en->de correct .598 -> .605 and its
# declined .863 -> .816, news en correct .714 -> .686: no better, so the model stays.
_WORDY = re.compile(r"[^\W_]")
RANK_DEPTH = 10  # the article of each of the first ranked chunks is kept, for hit@10


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def softmax(x) -> np.ndarray:
    """Scores of competing candidates as probabilities that sum to one."""
    x = np.asarray(x, dtype=np.float64)
    if not x.size:
        return x
    e = np.exp(x - x.max())
    return e / e.sum()


@dataclass(frozen=True)
class SentenceRow:
    """A sentence of the ranked chunks with its chunk's rank and its feature row."""

    view: SentenceView
    rank: int
    features: list[float]


def chunk_rows(q: Question, candidates: tuple[Candidate, ...]) -> tuple[list[list[float]], list]:
    """CHUNK_FEATURES of every candidate, and each candidate's stems."""
    terms = [chunk_terms(c.chunk) for c in candidates]
    best_similarity = max(c.similarity for c in candidates)
    best_sentence = max(max(c.sentence_similarities, default=c.similarity) for c in candidates)
    return [
        chunk_features(q, c, best_similarity, best_sentence, t) for c, t in zip(candidates, terms)
    ], terms


def top_chunks(
    candidates: tuple[Candidate, ...], logits, top_k: int
) -> tuple[list[int], tuple[Retrieved, ...]]:
    """Candidate indexes by logit, best first, and the first ``top_k`` as Retrieved whose
    score is the probability (softmax over all candidates) of being the answering chunk."""
    order = sorted(range(len(candidates)), key=lambda i: (-logits[i], candidates[i].chunk.id))
    probability = softmax(logits)
    retrieved = tuple(
        Retrieved(
            candidates[i].chunk, float(probability[i]), rank, candidates[i].sentence_similarities
        )
        for rank, i in enumerate(order[:top_k], 1)
    )
    return order, retrieved


def sentence_rows(
    q: Question, retrieved: tuple[Retrieved, ...], candidates: list[Candidate]
) -> list[SentenceRow]:
    """Every distinct sentence of the ranked chunks (``candidates``: theirs, in rank order)."""
    views, ranks, seen = [], [], set()
    for hit, candidate in zip(retrieved, candidates):
        for i, similarity in enumerate(hit.sentence_scores):
            where = (hit.chunk.article_id, hit.chunk.start + hit.chunk.sentences[i].start)
            if where not in seen:  # the same sentence in an overlapping chunk
                seen.add(where)
                without = tuple(f[i] for f in candidate.focus_similarities)
                views.append(SentenceView(hit.chunk, i, similarity, without))
                ranks.append(hit.rank)
    best = max((v.similarity for v in views), default=0.0)
    return [
        SentenceRow(v, r, sentence_features(q, v, best, retrieved[r - 1].score, r))
        for v, r in zip(views, ranks)
    ]


def answer_row(
    q: Question,
    top: Candidate,
    chunk_score: float,
    top_terms: frozenset[str],
    best: SentenceView,
    sentence_score: float,
    views: list[SentenceView],
) -> list[float]:
    """ANSWER_FEATURES given the best chunk and the best sentence among ``views``."""
    others = [v.similarity for v in views if v.chunk.article_id != best.chunk.article_id]
    best_similarity = max(v.similarity for v in views)
    gap = best.similarity - max(others, default=best.similarity - 0.1)
    chunks = {v.chunk.id: v.chunk for v in views if v.chunk.language == q.language}
    evidence = frozenset().union(*(chunk_terms(c) for c in chunks.values()))
    return answer_features(
        q,
        chunk_score,
        sentence_score,
        best,
        top.similarity,
        best_similarity,
        top_terms,
        evidence,
        gap,
    )


class EvidenceRanker:
    """Applies the answer model to one retrieval."""

    def __init__(self, model: AnswerModel):
        self.model = model

    def rank(self, question: str, retrieval: Retrieval, top_k: int) -> Evidence:
        """The top ``top_k`` chunks, their sentences best first, and the answer decision."""
        candidates = retrieval.candidates
        if not candidates or top_k <= 0:
            return Evidence((), (), False, 0.0)
        q = Question.from_retrieval(question, retrieval)
        rows, terms = chunk_rows(q, candidates)
        order, retrieved = top_chunks(candidates, self.model.chunk.logits(rows), top_k)
        sentences = sentence_rows(q, retrieved, [candidates[i] for i in order])
        probability = softmax(self.model.sentence.logits([s.features for s in sentences]))
        ranked = best_first(sentences, probability)
        scored = tuple(
            ScoredSentence(
                sentences[i].rank,
                sentences[i].view.index,
                sentences[i].view.text,
                float(probability[i]),
                lead_span(q, sentences[i].view),
            )
            for i in ranked
            if _WORDY.search(sentences[i].view.text)  # never quote a "." line
        )
        confidence = 0.0
        if sentences:
            row = decision_row(q, candidates, order, retrieved, terms, sentences, probability)
            confidence = float(sigmoid(self.model.answer.logits([row]))[0])
        articles = tuple(candidates[i].chunk.article_id for i in order[:RANK_DEPTH])
        reported = bool(scored) and only_reported(question, scored[0].text)
        answerable = confidence >= self.model.threshold(q.language) and not reported
        pool = (*candidates, *retrieval.set_aside)
        return Evidence(
            retrieved, scored, answerable, confidence, articles,
            tuple(dict.fromkeys(c.chunk.article_id for c in pool)), reported_only=reported,
        )  # fmt: skip


def best_first(sentences: list[SentenceRow], probability: np.ndarray) -> list[int]:
    """Sentence indexes by probability; ties go to the better chunk, then the earlier one."""
    return sorted(
        range(len(sentences)),
        key=lambda i: (-probability[i], sentences[i].rank, sentences[i].view.index),
    )


def decision_row(
    q: Question,
    candidates: tuple[Candidate, ...],
    order: list[int],
    retrieved: tuple[Retrieved, ...],
    terms: list[frozenset[str]],
    sentences: list[SentenceRow],
    probability: np.ndarray,
) -> list[float]:
    """ANSWER_FEATURES for a ranked question: its best chunk and its best sentence."""
    best = best_first(sentences, probability)[0]
    return answer_row(
        q,
        candidates[order[0]],
        retrieved[0].score,
        terms[order[0]],
        sentences[best].view,
        float(probability[best]),
        [s.view for s in sentences],
    )


def only_reported(question: str, best: str) -> bool:
    """Asked whether a claim is established, while the best evidence only reports it: a
    quote cannot settle that, so the answer is declined (the seed set's reported claims)."""
    return asks_verification(question) and bool(ATTRIBUTION.search(best))


def lead_span(q: Question, view: SentenceView) -> tuple[int, int] | None:
    """The one span of the type asked for (kind, measure, the person asked about) in the
    sentence, if there is exactly one (``decide.typed_spans_for``)."""
    spans = typed_spans_for(q, view)
    return spans[0] if len(spans) == 1 else None
