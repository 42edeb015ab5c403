"""Decline calibration: retrieval signals per question, and how well each separates questions
whose article is in the index from questions whose article was removed.

    python -m assistant.evaluation.calibrate --set xquad-de   (after ``assistant eval`` built
    the cached indexes)

Signals: ``s1`` best sentence similarity (what the assistant uses today), ``gap`` s1 minus
the best sentence of another article, ``c1`` best chunk similarity, and their sums.
"""
from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass

from ..config import load_settings
from .command import add_arguments, build_assistants, cache_dir, resolve_set
from .runner import CachedEmbedder


# questions whose answer is a number or a date: the answering sentence must hold a digit
NUMERIC_QUESTION = re.compile(r"\b(wie viele|wie viel|wieviel|wann|in welchem jahr|wie hoch|"
                              r"wie lange|wie alt|how many|how much|when|what year|which year|"
                              r"how long|how old)\b", re.I)


@dataclass(frozen=True)
class Signals:
    """Retrieval signals of one question, and whether its article is in the index."""

    present: bool
    s1: float
    gap: float
    c1: float
    mismatch: bool = False  # a number/date question whose best sentence has no digit
    group: str = ""  # the Wikipedia article: folds never split one


def signals(assistant, question: str, present: bool, group: str = "") -> Signals:
    """Embed the question once and read the top sentence and chunk similarities."""
    vector = assistant.embedder.embed_query(question)
    sentences = assistant.index.search_sentences(vector, 60, None)
    chunks = assistant.index.search_chunks(vector, 5, None)
    if not sentences:
        return Signals(present, 0.0, 0.0, 0.0)
    top = sentences[0]
    other = next((h.similarity for h in sentences if h.article_id != top.article_id),
                 sentences[-1].similarity)
    return Signals(present, top.similarity, top.similarity - other,
                   chunks[0][1] if chunks else 0.0,
                   bool(NUMERIC_QUESTION.search(question)) and not _has_digit(assistant, top),
                   group)


def _has_digit(assistant, hit) -> bool:
    chunk = assistant.index.get_chunks([hit.chunk_id])[0]
    return bool(re.search(r"\d", chunk.text[hit.start - chunk.start:hit.end - chunk.start]))


def sweep(rows: list[Signals], score) -> tuple[float, float, float, float]:
    """Best threshold on ``score`` by balanced accuracy: (threshold, answered, declined, bacc)."""
    values = sorted({round(score(r), 4) for r in rows})
    present = [r for r in rows if r.present]
    absent = [r for r in rows if not r.present]
    best = (0.0, 0.0, 0.0, 0.0)
    for t in values:
        answered = sum(score(r) >= t for r in present) / max(1, len(present))
        declined = sum(score(r) < t for r in absent) / max(1, len(absent))
        if (answered + declined) / 2 > best[3]:
            best = (t, answered, declined, (answered + declined) / 2)
    return best


def held_out(rows: list[Signals], score) -> tuple[float, float]:
    """Two folds by article: tune the threshold on one, measure on the other, average."""
    groups = sorted({r.group for r in rows})
    folds = [[r for r in rows if groups.index(r.group) % 2 == k] for k in (0, 1)]
    rates = []
    for tune, test in ((folds[0], folds[1]), (folds[1], folds[0])):
        t = sweep(tune, score)[0]
        present = [r for r in test if r.present]
        absent = [r for r in test if not r.present]
        rates.append((sum(score(r) >= t for r in present) / max(1, len(present)),
                      sum(score(r) < t for r in absent) / max(1, len(absent))))
    return tuple(sum(x) / 2 for x in zip(*rates))


def main(argv=None) -> int:
    """Print, per signal, the best threshold and the answered/declined rates it gives."""
    parser = argparse.ArgumentParser(prog="python -m assistant.evaluation.calibrate")
    parser.add_argument("--index", help="index cache (default as assistant eval)")
    add_arguments(parser)
    args = parser.parse_args(argv)
    settings = load_settings()
    from ..providers import make_embeddings

    cache = cache_dir(args)
    eval_set = resolve_set(args, settings, cache)
    embedder = CachedEmbedder(make_embeddings(settings), cache / "vectors.npz")
    assistants = build_assistants(eval_set, settings, cache, embedder)
    rows = [signals(assistants[i.variant], i.question, i.answerable, i.kind)
            for i in eval_set.items]
    signal, current = settings.decline_rule(eval_set.items[0].language)
    value = (lambda r: r.c1) if signal == "chunk" else (lambda r: r.s1)
    present = [r for r in rows if r.present]
    absent = [r for r in rows if not r.present]
    print(f"{eval_set.name}: {len(present)} present, {len(absent)} removed; current rule "
          f"{signal} >= {current}: answered "
          f"{sum(value(r) >= current for r in present) / len(present):.3f}, "
          f"declined {sum(value(r) < current for r in absent) / max(1, len(absent)):.3f}")
    for name, score in {"s1": lambda r: r.s1, "gap": lambda r: r.gap, "c1": lambda r: r.c1,
                        "s1+gap": lambda r: r.s1 + r.gap, "s1+c1": lambda r: r.s1 + r.c1,
                        "s1+2gap": lambda r: r.s1 + 2 * r.gap,
                        "s1-type": lambda r: r.s1 - 0.05 * r.mismatch,
                        "s1+gap-type": lambda r: r.s1 + r.gap - 0.05 * r.mismatch}.items():
        t, answered, declined, bacc = sweep(rows, score)
        cv_answered, cv_declined = held_out(rows, score)
        print(f"  {name:<11} best threshold {t:.4f}: answered {answered:.3f}, declined "
              f"{declined:.3f}, balanced accuracy {bacc:.3f}; tuned on half the articles, "
              f"on the other half: answered {cv_answered:.3f}, declined {cv_declined:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
