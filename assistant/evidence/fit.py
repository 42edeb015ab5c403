"""Fit the answer model, cross-validated by article, and write it as a versioned file.

    python -m assistant.evidence.fit collect --set xquad-de --set xquad-en --set news
    python -m assistant.evidence.fit fit [--out assistant/evidence/answer-model.json]

Three logistic regressions (scikit-learn, a dev dependency: the assistant itself only
multiplies the stored weights), fitted in order because each feeds the next: chunks
(label: from a gold article), sentences of the top chunks (label: holds a gold answer),
answerability (label: the question's evidence is in the index). The data never splits an
article: folds are groups of Wikipedia articles (XQuAD) or gold news articles, and every
figure printed and stored under ``fitted.cross_validated`` comes from items whose article
no fitted model saw. Thresholds are chosen on the training folds only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from ..config import load_settings
from .collect import Example, collect, load_examples
from .cv import cross_validate, fit_all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.evidence.fit")
    sub = parser.add_subparsers(dest="command", required=True)
    gather = sub.add_parser("collect", help="retrieve for every item of the named eval sets")
    gather.add_argument("--set", dest="sets", action="append", required=True)
    gather.add_argument("--data", type=Path, help="pickles (default: INDEX_DIR/fit)")
    gather.add_argument("--indexes", type=Path, help="index folder (default: INDEX_DIR/eval)")
    fitting = sub.add_parser("fit", help="fit, cross-validate and write the model file")
    fitting.add_argument("--data", type=Path, help="pickles (default: INDEX_DIR/fit)")
    fitting.add_argument("--sets", nargs="*", help="pickles to use (default: all in --data)")
    fitting.add_argument("--folds", type=int, default=6)
    fitting.add_argument("--top-k", type=int, default=5)
    fitting.add_argument("--version", default=dt.date.today().isoformat())
    fitting.add_argument("--out", type=Path, help="model file (default: print figures only)")
    args = parser.parse_args(argv)
    settings = load_settings()
    args.data = args.data or settings.index_dir / "fit"
    if args.command == "collect":
        collect(args.sets, settings, args.data, args.indexes)
        return 0
    names = args.sets or sorted(p.stem for p in args.data.glob("*.pkl"))
    embedder, examples = load_examples([args.data / f"{n}.pkl" for n in names])
    return fit_command(examples, embedder, names, args, settings)


def fit_command(examples: list[Example], embedder: str, names: list[str], args, settings) -> int:
    """Cross-validate, print the figures, fit on everything and write the file."""
    figures = cross_validate(examples, args.folds, args.top_k, settings.max_answer_sentences)
    for line in format_figures(figures):
        print(line)
    if args.out is None:
        return 0
    model = fit_all(examples, args.top_k, embedder, args.version)
    fitted = {
        "sets": names,
        "items": len(examples),
        "folds": args.folds,
        "top_k": args.top_k,
        "groups": len({e.group for e in examples}),
        "date": dt.date.today().isoformat(),
        "cross_validated": figures,
        "command": "python -m assistant.evidence.fit fit --out " + str(args.out),
    }
    model = model.__class__(**{**model.__dict__, "fitted": fitted})
    model.save(args.out)
    print(
        f"wrote {args.out} (version {model.version}, thresholds {model.thresholds})",
        file=sys.stderr,
    )
    return 0


def format_figures(figures: dict) -> list[str]:
    """One line per set and question language."""
    lines = []
    for key, row in sorted(figures.items()):
        shown = ", ".join(
            f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
            for k, v in row.items()
            if k != "curve"
        )
        lines.append(f"{key}: {shown}")
        lines.append(
            "    threshold -> answered / declined: "
            + "; ".join(
                f"{cut}: {p['answered']} / {p['declined']}" for cut, p in row["curve"].items()
            )
        )
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
