"""Fit the three answer models on examples, and score them on held-out article groups."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..answer.extractive import lead, pick
from ..evaluation.metrics import ANSWERED, CORRECT, DECLINED, HIT_AT, contains_answer, declined_in
from .collect import Example
from .features import ANSWER_FEATURES, CHUNK_FEATURES, SENTENCE_FEATURES, Question
from .model import AnswerModel, LinearModel
from .rank import EvidenceRanker, chunk_rows, decision_row, sentence_rows, softmax, top_chunks

# a second sentence within 0.6 probability of the best is quoted too (CV: 0.2 -> 0.7 took
# German containment .775 -> .835 and the sentences quoted per answer 1.15 -> 1.46)
SECOND_MARGIN = 0.6


@dataclass
class Prepared:
    """The model-independent part of an example: its question and chunk features."""

    example: Example
    question: Question
    rows: list[list[float]] = field(default_factory=list)
    terms: list[frozenset[str]] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)


def prepare(examples: list[Example]) -> list[Prepared]:
    out = []
    for e in examples:
        p = Prepared(e, Question.from_retrieval(e.item.question, e.retrieval))
        if e.retrieval.candidates:
            p.rows, p.terms = chunk_rows(p.question, e.retrieval.candidates)
            gold = set(e.item.gold_articles)
            p.labels = [int(c.chunk.article_id in gold) for c in e.retrieval.candidates]
        out.append(p)
    return out


def logistic(
    rows: list[list[float]], labels: list[int], features: tuple[str, ...], c: float = 1.0
) -> LinearModel:
    """A standardised L2 logistic regression as a LinearModel."""
    from sklearn.linear_model import LogisticRegression

    x = np.asarray(rows, dtype=np.float64)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    fitted = LogisticRegression(C=c, max_iter=5000).fit((x - mean) / scale, labels)
    return LinearModel(
        features, mean, scale, fitted.coef_[0].astype(np.float64), float(fitted.intercept_[0])
    )


def conditional_logit(
    groups: list[list[list[float]]],
    labels: list[list[int]],
    features: tuple[str, ...],
    l2: float = 1.0,
) -> LinearModel:
    """A linear score fitted so that, within each group, a positive gets the most softmax
    probability (McFadden's conditional logit: a listwise ranker). Groups without both a
    positive and a negative carry no information and are left out."""
    from scipy.optimize import minimize
    from scipy.special import logsumexp

    x = np.asarray([r for g in groups for r in g], dtype=np.float64)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    data = [
        ((np.asarray(g, dtype=np.float64) - mean) / scale, np.asarray(y, dtype=bool))
        for g, y in zip(groups, labels)
        if 0 < sum(y) < len(y)
    ]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.5 * l2 * w @ w, l2 * w
        for g, positive in data:
            s = g @ w
            every, right = logsumexp(s), logsumexp(s[positive])
            total += every - right
            wanted = np.zeros_like(s)
            wanted[positive] = np.exp(s[positive] - right)
            grad = grad + g.T @ (np.exp(s - every) - wanted)
        return total, grad

    weights = minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B").x
    return LinearModel(features, mean, scale, weights, 0.0)


def _ranked(p: Prepared, chunk: LinearModel, top_k: int):
    logits = chunk.logits(p.rows)
    candidates = p.example.retrieval.candidates
    order, retrieved = top_chunks(candidates, logits, top_k)
    return order, retrieved, sentence_rows(p.question, retrieved, [candidates[i] for i in order])


def fit_models(prepared: list[Prepared], top_k: int, embedder: str, version: str) -> AnswerModel:
    """Chunk, then sentence, then answer model, each on the previous ones' outputs."""
    answerable = [p for p in prepared if p.example.item.answerable and p.rows]
    chunk = conditional_logit(
        [p.rows for p in answerable], [p.labels for p in answerable], CHUNK_FEATURES
    )
    ranked = {id(p): _ranked(p, chunk, top_k) for p in prepared if p.rows}
    groups = [(ranked[id(p)][2], p.example.item.answers) for p in answerable]
    sentence = conditional_logit(
        [[s.features for s in rows] for rows, _ in groups],
        [holds(rows, answers) for rows, answers in groups],
        SENTENCE_FEATURES,
    )
    a_rows, a_labels, languages = [], [], []
    for p in prepared:
        if p.rows and ranked[id(p)][2]:
            order, retrieved, sentences = ranked[id(p)]
            probability = softmax(sentence.logits([s.features for s in sentences]))
            a_rows.append(
                decision_row(
                    p.question,
                    p.example.retrieval.candidates,
                    order,
                    retrieved,
                    p.terms,
                    sentences,
                    probability,
                )
            )
            a_labels.append(int(p.example.item.answerable))
            languages.append(p.question.language)
    answer = logistic(a_rows, a_labels, ANSWER_FEATURES)
    probability = 1 / (1 + np.exp(-answer.logits(a_rows)))
    thresholds = {
        lang: balanced_threshold(
            probability[np.array(languages) == lang],
            np.array(a_labels)[np.array(languages) == lang],
        )
        for lang in sorted(set(languages))
    }
    return AnswerModel(version, embedder, chunk, sentence, answer, thresholds, SECOND_MARGIN, {})


def holds(sentences: list, answers: tuple[str, ...]) -> list[int]:
    """1 for each sentence that contains a gold answer (the eval's normalisation), else 0."""
    return [int(contains_answer(s.view.text, answers)) for s in sentences]


def balanced_threshold(probability: np.ndarray, labels: np.ndarray) -> float:
    """The probability cut with the best mean of answered and declined rates."""
    if labels.min(initial=1) == labels.max(initial=0):
        return 0.5
    best, cut = -1.0, 0.5
    for t in np.unique(probability):
        score = ((probability[labels == 1] >= t).mean() + (probability[labels == 0] < t).mean()) / 2
        if score > best:
            best, cut = score, float(t)
    return round(cut, 6)


def fit_all(examples: list[Example], top_k: int, embedder: str, version: str) -> AnswerModel:
    """The model fitted on every example."""
    return fit_models(prepare(examples), top_k, embedder, version)


def cross_validate(examples: list[Example], folds: int, top_k: int, max_sentences: int) -> dict:
    """Figures per set and question language from models that never saw the item's group."""
    from sklearn.model_selection import GroupKFold

    prepared = prepare(examples)
    groups = [p.example.group for p in prepared]
    results: dict[str, list[dict]] = {}
    for train, test in GroupKFold(n_splits=folds).split(prepared, groups=groups):
        model = fit_models([prepared[i] for i in train], top_k, "cv", "cv")
        ranker = EvidenceRanker(model)
        for i in test:
            e = prepared[i].example
            key = f"{e.set_name}/{prepared[i].question.language}"
            results.setdefault(key, []).append(score(ranker, e, top_k, max_sentences, model))
    return {key: {**summarise(rows), "curve": curve(rows)} for key, rows in results.items()}


def score(
    ranker: EvidenceRanker, e: Example, top_k: int, max_sentences: int, model: AnswerModel
) -> dict:
    """The eval metrics of one held-out example."""
    evidence = ranker.rank(e.item.question, e.retrieval, top_k)
    if not e.item.answerable:
        return {
            declined_in(e.item.variant): float(not evidence.answerable),
            DECLINED.name: float(not evidence.answerable),
            "_confidence": evidence.confidence,
        }
    picked = pick(evidence, max_sentences, model.second_margin)
    text = " ".join([lead(picked[0])] + [s.text for s in picked]) if picked else ""
    first = evidence.ranked_articles[:1]
    return {
        HIT_AT[1].name: float(bool(first) and first[0] in e.item.gold_articles),
        HIT_AT[5].name: float(bool(set(evidence.ranked_articles[:5]) & set(e.item.gold_articles))),
        ANSWERED.name: float(evidence.answerable),
        "_confidence": evidence.confidence,
        "top_sentence": contains_answer(evidence.sentences[0].text, e.item.answers)
        if evidence.sentences
        else 0.0,
        "quoted": float(len(picked)),
        "picked": contains_answer(text, e.item.answers),
        CORRECT.name: float(evidence.answerable) * contains_answer(text, e.item.answers),
    }


def curve(rows: list[dict], cuts=(0.3, 0.4, 0.5, 0.6, 0.7, 0.8)) -> dict:
    """Answered and declined rates if the answer threshold were each of ``cuts``."""
    out = {}
    for cut in cuts:
        point: dict[str, list[float]] = {ANSWERED.name: [], DECLINED.name: []}
        for r in rows:
            key = ANSWERED.name if ANSWERED.name in r else DECLINED.name
            point[key].append(float((r["_confidence"] >= cut) == (key == ANSWERED.name)))
        out[f"{cut:.1f}"] = {
            k: round(float(np.mean(v)), 3) if v else None for k, v in point.items()
        }
    return out


def summarise(rows: list[dict]) -> dict:
    names = sorted({k for r in rows for k in r if not k.startswith("_")})
    out: dict = {"items": len(rows)}
    for name in names:
        values = [r[name] for r in rows if name in r]
        out[name] = round(float(np.mean(values)), 4)
    return out
