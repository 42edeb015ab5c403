"""What each group of the answer model's signals is worth, cross-validated by article.

    python bench/answer_ablation.py [--folds 6]

Reads the retrievals that ``python -m assistant.evidence.fit collect`` stored in
``.index/fit`` and refits the whole answer model with one group of features set to zero,
scoring every fold on articles its model never saw (``assistant.evidence.cv``). The full
model is the baseline in the same run. Groups: the keyword index (BM25 rank), all lexical
signals (keyword rank, stem/phrase coverage, focus stems), the answer type, the focus-word
cosines. Results are appended to bench/results/results.jsonl.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from assistant.evidence import features as F  # noqa: E402
from assistant.evidence.collect import load_examples  # noqa: E402
from assistant.evidence.cv import cross_validate  # noqa: E402

GROUPS = {
    "full": set(),
    "no keyword index": {"keyword"},
    "no lexical signals": {
        "keyword",
        "coverage_same",
        "coverage_cross",
        "window_same",
        "next_same",
        "phrases_same",
        "novelty",
        "focus_missing",
        "absent",
    },
    "no answer type": {"asks_type", "has_type", "type_missing"},
    "no focus-word cosines": {"focus_gain"},
}
SHOWN = (
    "hit@1",
    "top_sentence",
    "correct",
    "answered",
    "declined_removed",
    "declined_topic",
    "declined_full",
)


def zeroed(function, names: tuple[str, ...], off: set[str]):
    """``function`` with the features named in ``off`` set to 0."""
    positions = [i for i, name in enumerate(names) if name in off]

    def wrapper(*args, **kwargs):
        row = function(*args, **kwargs)
        for i in positions:
            row[i] = 0.0
        return row

    return wrapper


def run(off: set[str], examples, folds: int) -> dict:
    originals = (F.chunk_features, F.sentence_features, F.answer_features)
    import assistant.evidence.rank as rank

    for module in (F, rank):
        module.chunk_features = zeroed(originals[0], F.CHUNK_FEATURES, off)
        module.sentence_features = zeroed(originals[1], F.SENTENCE_FEATURES, off)
        module.answer_features = zeroed(originals[2], F.ANSWER_FEATURES, off)
    try:
        return cross_validate(examples, folds, 5, 2)
    finally:
        for module in (F, rank):
            module.chunk_features, module.sentence_features, module.answer_features = originals


def cosine_baseline(examples) -> dict:
    """No model, the same candidates: chunks by the mean of chunk and best-sentence cosine
    (the ranking before the answer model), the first sentence by cosine."""
    from assistant.evaluation.metrics import contains_answer

    rows: dict[str, list[tuple[float, float]]] = {}
    for e in (e for e in examples if e.item.answerable and e.retrieval.candidates):
        ranked = sorted(
            e.retrieval.candidates,
            key=lambda c: -(c.similarity + max(c.sentence_similarities, default=c.similarity)) / 2,
        )
        sentences = [
            (s, c.chunk.sentence_texts()[i])
            for c in ranked[:5]
            for i, s in enumerate(c.sentence_similarities)
        ]
        best = max(sentences)[1] if sentences else ""
        key = f"{e.set_name}/{e.retrieval.language}"
        rows.setdefault(key, []).append(
            (
                float(ranked[0].chunk.article_id in e.item.gold_articles),
                contains_answer(best, e.item.answers),
            )
        )
    return {
        key: {
            "hit@1": round(sum(h for h, _ in v) / len(v), 4),
            "top_sentence": round(sum(t for _, t in v) / len(v), 4),
            "items": len(v),
        }
        for key, v in rows.items()
    }


def main() -> None:
    from run import record

    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=6)
    parser.add_argument("--data", type=Path, default=ROOT / ".index" / "fit")
    args = parser.parse_args()
    _, examples = load_examples(sorted(args.data.glob("*.pkl")))
    results = {"cosine only, no model": cosine_baseline(examples)}
    print(results, flush=True)
    for name, off in GROUPS.items():
        figures = run(off, examples, args.folds)
        results[name] = {
            key: {m: row[m] for m in SHOWN if m in row}
            for key, row in figures.items()
            if not key.endswith("xquad-de/en")
        }
        print(name, results[name], flush=True)
    record("answer_ablation", {"folds": args.folds, "items": len(examples), "results": results})


if __name__ == "__main__":
    main()
