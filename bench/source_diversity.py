"""Quoting a second outlet: the extractive pick with and without the source preference.

    python bench/source_diversity.py [--sets news news-dates seed]

For every answerable item of each eval set (on the index ``assistant eval`` cached under
``.index/eval/SET/index-full``; run the eval once first), the evidence is ranked once and
both picks are applied to it: the plain one (best sentence, then the next ones within the
answer model's margin, in score order) and the default (among those, a source not quoted
yet first). Reports how many answers change, how many quote two outlets, and the share
whose quotes contain a gold answer under each pick. Appends to bench/results/results.jsonl.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.answer.extractive import AGREE, lead, pick, source_of  # noqa: E402
from assistant.chain import Assistant  # noqa: E402
from assistant.config import load_settings  # noqa: E402
from assistant.evaluation.metrics import contains_answer  # noqa: E402
from assistant.evaluation.sets import load_set_dir  # noqa: E402
from assistant.records import AskRequest  # noqa: E402


def plain_pick(evidence, max_sentences: int, margin: float):
    """The pick before the source preference: score order only."""
    best = evidence.sentences[0].score if evidence.sentences else 0.0
    return [s for s in evidence.sentences[:max_sentences] if s.score >= best - margin]


def quoted(picked) -> str:
    return " ".join([lead(picked[0])] + [s.text for s in picked]) if picked else ""


def run_set(name: str, agree: float) -> dict:
    settings = load_settings()
    cache = ROOT / ".index" / "eval" / name
    eval_set = load_set_dir(ROOT / "evals" / name, ROOT, cache, settings.eval_data_dir)
    index = settings.model_copy(update={"index_dir": cache / "index-full"})
    assistant = Assistant.from_settings(index)
    margin, most = assistant.answerer.margin, assistant.answerer.max_sentences
    rows = []
    for item in eval_set.items:
        if not item.answerable or item.variant != "full" or item.kind == "timeline":
            continue
        request = AskRequest(question=item.question, history=item.history, as_of=item.as_of)
        _, evidence = assistant.search(request)
        if not evidence.answerable:
            continue
        before, after = plain_pick(evidence, most, margin), pick(evidence, most, margin, agree)
        rows.append(
            {
                "changed": [s.text for s in before] != [s.text for s in after],
                "outlets_before": len({source_of(evidence, s) for s in before}),
                "outlets_after": len({source_of(evidence, s) for s in after}),
                "correct_before": contains_answer(quoted(before), item.answers),
                "correct_after": contains_answer(quoted(after), item.answers),
            }
        )
    n = len(rows) or 1
    return {
        "set": name,
        "agree": agree,
        "answered": len(rows),
        "changed": sum(r["changed"] for r in rows),
        "two_outlets_before": sum(r["outlets_before"] > 1 for r in rows),
        "two_outlets_after": sum(r["outlets_after"] > 1 for r in rows),
        "correct_before": round(sum(r["correct_before"] for r in rows) / n, 3),
        "correct_after": round(sum(r["correct_after"] for r in rows) / n, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=["news", "news-dates", "seed"])
    parser.add_argument("--agree", nargs="+", type=float, default=[AGREE])
    args = parser.parse_args()
    stamp = time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime())
    results = ROOT / "bench" / "results" / "results.jsonl"
    for name in args.sets:
        for agree in args.agree:
            row = {"bench": "source_diversity", "at": stamp, **run_set(name, agree)}
            print(json.dumps(row))
            with results.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
