"""Does the quote speak to every word of the question? A coverage rule on top of the answer
model, measured out of fold.

    python bench/coverage_rule.py [--folds 3] [--out bench/results/coverage-rows.jsonl]

For each fold of articles (``verifier/pairs.fold_of`` over the article group; a same-topic
question goes with its answerable twin's article), the answer model is fitted on the other
folds' news and XQuAD examples (``evidence/cv.fit_models``, thresholds chosen there), ranks
this fold's questions (``.index/fit/*.pkl`` from ``python -m assistant.evidence.fit
collect``; ``evals/news-pairs`` is never fitted on), and for each question the words of the
question its first sentence does not speak to are listed (``verifier/missing.uncovered``:
stems, compounds, derivations, single-word e5 vectors; names the quoted chunk holds are
left out). Rules, each on the same rows:

- ``model``: the answer model as shipped (answer when its probability is over the threshold);
- ``cover<=k``: answer only when at most ``k`` words are uncovered, else closest;
- ``value``: a number or money question is answered only when a sentence the answer quotes
  holds a value of the asked measure (``evidence/decide.lacks_value``);
- ``lead>=.94``: a lead value only when the answer model's probability is at least .94
  (``LEAD_FLOOR``); the last rule is both, as shipped.

Prints per set and question language: false claims (unanswerable answered), correct
(answered, first sentence holds gold), answered, lead precision (answered with a lead: the
lead holds a gold answer). Writes the rows as JSON lines for further cuts.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import load_settings  # noqa: E402
from assistant.evaluation.metrics import contains_answer, lead_holds  # noqa: E402
from assistant.evidence.collect import Example, load_examples  # noqa: E402
from assistant.evidence.cv import fit_models, prepare  # noqa: E402
from assistant.evidence.decide import lacks_value, typed_spans_for  # noqa: E402
from assistant.evidence.features import SentenceView  # noqa: E402
from assistant.evidence.rank import EvidenceRanker  # noqa: E402
from assistant.verifier.missing import uncovered  # noqa: E402
from assistant.verifier.pairs import fold_of  # noqa: E402

FITTED_ON = ("news", "xquad-de", "xquad-en")  # as the shipped answer-model.json


def article_group(e: Example, twins: dict[str, str]) -> str:
    """The article a question is about: its gold article, or its answerable twin's."""
    if e.item.gold_articles or e.set_name.startswith("xquad"):
        return e.group
    pair = e.item.id.rsplit("-", 1)[0]
    return twins.get(pair, e.group)


def rows_of(examples: list[Example], folds: int, embedder) -> list[dict]:
    twins = {e.item.id.rsplit("-", 1)[0]: e.group for e in examples if e.item.gold_articles}
    fold = [fold_of(article_group(e, twins), folds) for e in examples]
    prepared = prepare(examples)
    rows = []
    for k in range(folds):
        train = [p for p, f in zip(prepared, fold) if f != k and p.example.set_name in FITTED_ON]
        model = fit_models(train, 5, "cv", "cv")
        ranker = EvidenceRanker(model)
        for p, f in zip(prepared, fold):
            if f == k:
                evidence = ranker.rank(p.example.item.question, p.example.retrieval, 5)
                rows.append(row_of(p, evidence, embedder, k, model.second_margin))
        print(f"fold {k + 1}/{folds}", flush=True)
    return rows


def row_of(p, evidence, embedder, k: int, margin: float) -> dict:
    item = p.example.item
    row = {"set": p.example.set_name, "item": item.id, "language": p.question.language,
           "answerable": item.answerable, "fold": k, "answered": bool(evidence.answerable),
           "confidence": evidence.confidence, "holds": False, "lead": "", "lead_holds": False,
           "uncovered": []}  # fmt: skip
    if not evidence.sentences:
        return row
    first = evidence.sentences[0]
    chunk = evidence.retrieved[first.rank - 1].chunk
    row["holds"] = bool(contains_answer(first.text, item.answers))
    row["first"] = first.text
    row["kind"] = p.question.kind
    view = SentenceView(chunk, first.index, 0.0)
    row["typed"] = [list(span) for span in typed_spans_for(p.question, view)]
    row["lacks_value"] = lacks_value(p.question, evidence, 2, margin)
    if first.answer is not None:
        row["lead"] = first.text[first.answer[0] : first.answer[1]]
        row["lead_holds"] = bool(lead_holds(row["lead"], item.answers))
    row["uncovered"] = list(uncovered(item.question, p.question.language,
                                      [(first.text, chunk.language)], embedder,
                                      context=chunk.text, most=99))  # fmt: skip
    return row


def figures(rows: list[dict], answer, lead) -> dict:
    """false_claim, correct, answered, lead precision of one rule over ``rows``."""
    pos = [r for r in rows if r["answerable"]]
    neg = [r for r in rows if not r["answerable"]]
    said = [r for r in rows if answer(r)]
    leads = [r for r in said if r["lead"] and lead(r)]
    share = lambda part, whole: round(len(part) / len(whole), 3) if whole else None  # noqa: E731
    return {
        "false_claim": share([r for r in neg if answer(r)], neg),
        "correct": share([r for r in pos if answer(r) and r["holds"]], pos),
        "answered": share([r for r in pos if answer(r)], pos),
        "lead_precision": share([r for r in leads if r["lead_holds"]], leads),
        "leads": len(leads),
    }


def rules() -> dict:
    """Each rule: (answers this row?, shows its lead?)."""
    model = lambda r: r["answered"]  # noqa: E731
    value = lambda r: r["answered"] and not r.get("lacks_value", False)  # noqa: E731
    every = lambda r: True  # noqa: E731
    out = {"model": (model, every)}
    for k in (0, 1):
        out[f"cover<={k}"] = (lambda r, k=k: r["answered"] and len(r["uncovered"]) <= k, every)
    out["value"] = (value, every)
    out["lead>=.94"] = (model, lambda r: r["confidence"] >= 0.94)
    out["value, lead>=.94 (shipped)"] = (value, lambda r: r["confidence"] >= 0.94)
    return out


def table(rows: list[dict]) -> list[str]:
    lines = ["| set | lang | rule | false_claim | correct | answered | lead precision (leads) |",
             "|---|---|---|---:|---:|---:|---:|"]  # fmt: skip
    groups = defaultdict(list)
    for r in rows:
        groups[(r["set"], r["language"])].append(r)
    for (name, lang), part in sorted(groups.items()):
        for rule, (answer, lead) in rules().items():
            f = figures(part, answer, lead)
            lines.append(f"| {name} | {lang} | {rule} | {f['false_claim']} | {f['correct']} | "
                         f"{f['answered']} | {f['lead_precision']} ({f['leads']}) |")  # fmt: skip
    return lines


BANDS = (0.0, 0.85, 0.9, 0.95, 1.01)


def lead_floor(rows: list[dict]) -> list[str]:
    """Leads by the answer model's probability on the fitted sets: right per band, and
    where a logistic fit of right on the model's logit reaches 1/2 and 2/3 (LEAD_FLOOR)."""
    from sklearn.linear_model import LogisticRegression

    leads = [r for r in rows if r["set"] in FITTED_ON and r["answered"] and r["lead"]]
    bands = [[r for r in leads if a <= r["confidence"] < b] for a, b in zip(BANDS, BANDS[1:])]
    lines = ["leads right per band of P(answer), fitted sets: " + "; ".join(
        f"[{a}, {b}) {sum(r['lead_holds'] for r in band)}/{len(band)}"
        for a, b, band in zip(BANDS, BANDS[1:], bands))]  # fmt: skip
    logit = lambda p: np.log(np.clip(p, 1e-6, 1 - 1e-6) / (1 - np.clip(p, 1e-6, 1 - 1e-6)))  # noqa: E731
    fit = LogisticRegression(C=100).fit([[logit(r["confidence"])] for r in leads],
                                        [r["lead_holds"] for r in leads])  # fmt: skip
    a, b = fit.coef_[0][0], fit.intercept_[0]
    for p in (1 / 2, 2 / 3):
        lines.append(
            f"P(lead right) = {p:.2f} at P(answer) {1 / (1 + np.exp(-(logit(p) - b) / a)):.3f}"
        )
    return lines


CUTS = (0.5, 0.64, 0.8, 0.9, 0.95, 0.98, 0.99)
CURVE_SETS = {"news + news-pairs": ("news", "news-pairs"), "XQuAD de": ("xquad-de",),
              "XQuAD en": ("xquad-en",)}  # fmt: skip


def curve(rows: list[dict]) -> list[str]:
    """False claims against correct as the answer threshold rises (one threshold for both
    languages; the shipped ones are .648 de and .640 en), out of fold."""
    head = " | ".join(f"{n}: false claims / correct" for n in CURVE_SETS)
    lines = [f"| threshold | {head} |", "|---:|" + "---:|" * len(CURVE_SETS)]
    for cut in CUTS:
        cells = []
        for sets in CURVE_SETS.values():
            part = [r for r in rows if r["set"] in sets]
            f = figures(part, lambda r, c=cut: r["confidence"] >= c, lambda r: True)
            cells.append(f"{f['false_claim']} / {f['correct']}")
        lines.append(f"| {cut} | " + " | ".join(cells) + " |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/coverage-rows.jsonl")
    parser.add_argument("--rows", type=Path, help="reuse rows written by an earlier run")
    args = parser.parse_args()
    if args.rows:
        rows = [json.loads(line) for line in args.rows.open(encoding="utf-8")]
    else:
        from assistant.encoder import OnnxEmbedder

        settings = load_settings()
        _, examples = load_examples(sorted((settings.index_dir / "fit").glob("*.pkl")))
        rows = rows_of(examples, args.folds, OnnxEmbedder())
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    print("\n".join(table(rows) + [""] + lead_floor(rows) + [""] + curve(rows)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
