"""The eval runner: build (or reuse) an index per corpus variant, ask every item, score it.

Stages: ``prepare`` (ingest each variant's corpus into ``<cache>/index-<variant>``; vectors
are cached by text, so a second variant or a re-run embeds nothing new) -> ``ask`` (one
item at a time; an item that raises is recorded as a failed item) -> ``score`` (metrics
with the judge) -> ``aggregate``.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..records import Answer, AskRequest
from ..stored import content_hash
from . import metrics as m
from .judges import Judge
from .sets import FULL, EvalItem, EvalSet

STAGES = ("prepare", "embed_query", "search", "rank", "verify", "answer", "cite", "total")


def vector_file(folder: Path, embedder) -> Path:
    """The cache file of one embedder at one version under ``folder``: vectors of another
    model (or of the same model at another version) are never read for this one."""
    key = content_hash(embedder.name, str(getattr(embedder, "version", "")))
    return folder / f"vectors-{key[:16]}.npz"


class CachedEmbedder:
    """Wraps an embedder; passage vectors are kept by content hash and saved to ``path``
    (one file per embedder and version, ``vector_file``; the file also names them, and a
    file that names another is not read)."""

    def __init__(self, embedder, path: Path | None = None):
        self.inner = embedder
        self.name = embedder.name
        self.version = str(getattr(embedder, "version", ""))
        self.dim = embedder.dim
        self.batch_size = embedder.batch_size
        self.path = path
        self._vectors: dict[str, np.ndarray] = {}
        if path is not None and path.is_file():
            with np.load(path) as data:
                made_by = (
                    (str(data["embedder"]), str(data["version"])) if "embedder" in data else ()
                )
                if made_by == (self.name, self.version):
                    self._vectors = dict(zip(data["keys"].tolist(), data["vectors"]))

    def embed_passages(self, texts: Sequence[str], progress=None) -> np.ndarray:
        """Cached vectors; unknown texts are embedded by the wrapped embedder."""
        keys = [content_hash(t) for t in texts]
        todo = list(dict.fromkeys((k, t) for k, t in zip(keys, texts) if k not in self._vectors))
        if todo:
            fresh = self.inner.embed_passages([t for _, t in todo], progress)
            self._vectors.update(zip([k for k, _ in todo], fresh))
        if not texts:
            return self.inner.embed_passages([])
        return np.vstack([self._vectors[k] for k in keys])

    def embed_query(self, text: str) -> np.ndarray:
        """Queries are not cached: their latency is part of what is measured."""
        return self.inner.embed_query(text)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_queries(texts)

    def save(self) -> None:
        """Write the cache (keys and vectors) next to the indexes."""
        if self.path is None or not self._vectors:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = list(self._vectors)
        tmp = self.path.with_name(self.path.stem + ".tmp.npz")
        np.savez(
            tmp,
            keys=np.array(keys),
            vectors=np.vstack([self._vectors[k] for k in keys]),
            embedder=np.array(self.name),
            version=np.array(self.version),
        )
        tmp.replace(self.path)


@dataclass
class ItemResult:
    """Everything about one item: the answer, its citations, verdicts and scores."""

    item: EvalItem
    answer: str = ""
    answered: bool = False  # the response is an answer (answer_kind "answer")
    answer_kind: str = ""  # answer | closest | none ("" : not asked, an error)
    missing: list[str] = field(default_factory=list)  # what a closest response says is absent
    lead: str = ""
    error: str = ""
    ranked_articles: list[str] = field(default_factory=list)
    pool_articles: list[str] = field(default_factory=list)  # what a fixed corpus must keep
    gold_rank: int | None = None
    sentences: list[dict] = field(default_factory=list)
    citations: list[dict] = field(default_factory=list)
    statements: list[dict] = field(default_factory=list)
    scores: dict[str, float | None] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass
class RunResult:
    """A whole run: per-item results, aggregated metrics and latency percentiles."""

    set_name: str
    items: list[ItemResult]
    metrics: dict[str, float | None]
    latency_ms: dict[str, dict[str, float | None]]
    counts: dict[str, int]
    config: dict[str, object]
    seconds: float = 0.0


def cited_pairs(answer: Answer) -> list[tuple[str, list[str]]]:
    """(sentence, texts of the chunks it cites); a marker with no source cites ''."""
    by_n = {c.n: c.text for c in answer.citations}
    return [(s.text, [by_n.get(n, "") for n in s.citations]) for s in answer.sentences]


def score_answer(result: ItemResult, answer: Answer | None) -> None:
    """The scores that need no judge: retrieval, the answer's text, refusal, error."""
    item, scores = result.item, result.scores
    if item.answerable:
        result.gold_rank = m.first_gold_rank(result.ranked_articles, item.gold_articles)
        for k, metric in m.HIT_AT.items():
            scores[metric.name] = m.hit_at(result.gold_rank, k)
        scores[m.MRR.name] = m.reciprocal_rank(result.gold_rank)
        scores[m.ANSWERED.name] = float(result.answered)
        text = " ".join(s["text"] for s in result.sentences) if result.answered else ""
        scores[m.CORRECT.name] = m.contains_answer(text, item.answers)
        scores[m.F1.name] = m.token_f1(text, item.answers)
        score_kinds(result, answer)
        score_story(result, answer)
    else:
        scores[m.DECLINED.name] = float(answer is not None and not result.answered)
        scores[m.FALSE_CLAIM.name] = float(answer is not None and result.answered)
        if item.variant != FULL:  # reported apart: whole article removed vs same topic kept
            scores[m.declined_in(item.variant)] = scores[m.DECLINED.name]
    if answer is not None:
        scores[m.CLOSEST.name] = float(result.answer_kind == "closest")
    if answer is not None and result.answered and result.lead:  # no gold: a wrong lead
        scores[m.LEAD_PRECISION.name] = m.lead_holds(result.lead, item.answers)
    scores[m.ERROR.name] = float(bool(result.error))


def score_kinds(result: ItemResult, answer: Answer | None) -> None:
    """An answerable item's helpful and wrong-absence scores."""
    item, scores = result.item, result.scores
    if answer is None:
        return
    quoted = " ".join(s["text"] for s in result.sentences)
    closest = result.answer_kind == "closest"
    holds = m.contains_answer(quoted, item.answers) if result.answered or closest else 0.0
    scores[m.HELPFUL.name] = holds
    scores[m.WRONG_ABSENCE.name] = holds if closest else 0.0


def score_story(result: ItemResult, answer: Answer | None) -> None:
    """The timeline and wire-copy scores of an answerable item that asks for them."""
    item, scores = result.item, result.scores
    quoted = [c["article_id"] for c in result.citations] if result.answered else []
    if item.kind == "timeline":
        days = [c["published"] for c in result.citations if c["published"]]
        ordered = answer is not None and answer.timeline and days == sorted(days)
        scores[m.TIMELINE_ARTICLES.name] = m.timeline_articles(quoted, item.gold_articles, ordered)
        if result.answered:
            scores[m.TIMELINE_PRECISION.name] = m.timeline_precision(quoted, item.gold_articles)
    if item.story:
        reported = [r for c in result.citations for r in c["also_reported_by"]]
        scores[m.COPIES_MERGED.name] = m.copies_merged(
            quoted, item.story, item.also_reported_by, reported
        )


def score_item(result: ItemResult, answer: Answer | None, judge: Judge) -> ItemResult:
    """Fill ``result.scores`` (and verdicts) from the answer, the ranking and the judge."""
    score_answer(result, answer)
    if answer is None or not result.answered:
        return result
    item, scores = result.item, result.scores
    pairs = cited_pairs(answer)
    supports = lambda s, ps: judge.verdict(s, ps).supported  # noqa: E731
    scores[m.CITATION_RECALL.name] = m.citation_recall(pairs, supports)
    scores[m.CITATION_PRECISION.name] = m.citation_precision(pairs, supports)
    context = list(dict.fromkeys(c.text for c in answer.citations))
    statements = judge.statements(item.question, answer.answer, [s.text for s in answer.sentences])
    verdicts = [judge.verdict(s, context) if context else None for s in statements]
    result.statements = [
        {
            "text": s,
            "supported": bool(v and v.supported),
            "reason": v.reason if v else "no cited context",
        }
        for s, v in zip(statements, verdicts)
    ]
    scores[m.FAITHFULNESS.name] = m.faithfulness(statements, context, supports)
    for sentence, (text, cited) in zip(result.sentences, pairs):
        verdict = judge.verdict(text, cited) if cited else None
        sentence["judge"] = {
            "supported": bool(verdict and verdict.supported),
            "reason": verdict.reason if verdict else "cites nothing",
        }
    return result


def ask_item(assistant, item: EvalItem, top_k: int | None) -> tuple[ItemResult, Answer | None]:
    """Ask one item; any exception becomes a failed item with the error recorded."""
    result = ItemResult(item)
    try:
        request = AskRequest(
            question=item.question,
            history=item.history,
            filters=item.filters,
            top_k=top_k,
            as_of=item.as_of,
            timeline=item.timeline,
        )
        answer = assistant.ask(request)
    except Exception as exc:  # any failure is one failed item, never a crashed run
        result.error = f"{type(exc).__name__}: {exc}"
        return result, None
    result.answer, result.answered = answer.answer, answer.answerable
    result.answer_kind, result.missing = answer.answer_kind, list(answer.missing)
    result.lead = answer.lead
    result.ranked_articles = list(
        answer.ranked_articles if top_k is None else answer.ranked_articles[:top_k]
    )
    result.pool_articles = list(answer.pool_articles)
    result.sentences = [
        {
            "text": s.text,
            "citations": list(s.citations),
            "checker_supported": s.supported,
            "reason": s.reason,
        }
        for s in answer.sentences
    ]
    result.citations = [
        {
            "n": c.n,
            "article_id": c.article_id,
            "title": c.title,
            "published": c.published,
            "quote": c.quote,
            "also_reported_by": [r.article_id for r in c.also_reported_by],
        }
        for c in sorted(answer.citations, key=lambda c: first_use(answer, c.n))
    ]
    result.timings_ms = dict(answer.timings_ms)
    return result, answer


def first_use(answer: Answer, n: int) -> int:
    """The index of the first answer sentence that cites ``n`` (a timeline's order)."""
    return next((i for i, s in enumerate(answer.sentences) if n in s.citations), 1_000_000)


def aggregate(set_name: str, results: list[ItemResult], config: dict) -> RunResult:
    """Mean of every metric over the items it applies to; latency p50/p95 per stage."""
    names = list(dict.fromkeys(k for r in results for k in r.scores))
    metrics = {n: m.mean(r.scores.get(n) for r in results) for n in names}
    latency = {
        stage: {"p50": m.percentile(v, 50), "p95": m.percentile(v, 95)}
        for stage in STAGES
        if (v := [r.timings_ms[stage] for r in results if stage in r.timings_ms])
    }
    counts = {
        "items": len(results),
        "answerable": sum(r.item.answerable for r in results),
        "unanswerable": sum(not r.item.answerable for r in results),
        "errors": sum(bool(r.error) for r in results),
    }
    return RunResult(set_name, results, metrics, latency, counts, config)


def progress_bar(total: int, desc: str):
    """A tqdm bar on stderr; in a log file (not a terminal) it updates every 30 s."""
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=desc,
        unit="q",
        file=sys.stderr,
        mininterval=0.5 if sys.stderr.isatty() else 30,
    )


def run_items(
    assistants: dict, eval_set: EvalSet, judge: Judge, top_k: int | None, config: dict
) -> RunResult:
    """Ask and score every item against its variant's assistant."""
    started = time.perf_counter()
    results = []
    bar = progress_bar(len(eval_set.items), f"eval {eval_set.name}")
    for item in eval_set.items:
        result, answer = ask_item(assistants[item.variant], item, top_k)
        try:
            results.append(score_item(result, answer, judge))
        except Exception:  # a judge failure must not lose the item either
            result.error = result.error or "scoring failed: " + traceback.format_exc(limit=1)
            results.append(result)
        bar.update(1)
    bar.close()
    run = aggregate(eval_set.name, results, config)
    run.seconds = time.perf_counter() - started
    return run
