"""The "latest" margin: which near-top candidates count when a question asks for the newest.

    python bench/latest_margin.py [--margins 0 0.02 0.05 0.1 0.2 1.0]

On the index ``assistant eval --set news-dates`` cached (run it once first), every item of
kind ``latest`` is asked with each margin (``dates.LATEST_MARGIN`` patched): candidates
within the margin of the best cosine that are older than the newest of them are left out.
Reports, per margin, hit@1 and correct over the latest items and the published day of the
first cited article against the newest gold day. Margin 0 is the plain ranking (only ties
count). Appends to bench/results/results.jsonl.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import chain as chain_module  # noqa: E402
from assistant.chain import Assistant  # noqa: E402
from assistant.config import load_settings  # noqa: E402
from assistant.dates import prefer_latest  # noqa: E402
from assistant.evaluation.metrics import contains_answer  # noqa: E402
from assistant.evaluation.sets import load_set_dir  # noqa: E402
from assistant.records import AskRequest  # noqa: E402


def measure(assistant: Assistant, items: list, margin: float) -> dict:
    chain_module.prefer_latest = lambda retrieval: prefer_latest(retrieval, margin)
    hits = correct = 0
    for item in items:
        answer = assistant.ask(AskRequest(question=item.question, as_of=item.as_of))
        first = answer.ranked_articles[:1]
        hits += bool(first) and first[0] in item.gold_articles
        text = " ".join(s.text for s in answer.sentences) if answer.answerable else ""
        correct += int(contains_answer(text, item.answers))
    n = len(items) or 1
    return {"margin": margin, "items": len(items), "hit@1": hits / n, "correct": correct / n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--margins", nargs="+", type=float, default=[0, 0.02, 0.05, 0.1, 0.2, 1])
    args = parser.parse_args()
    settings = load_settings()
    cache = ROOT / ".index" / "eval" / "news-dates"
    eval_set = load_set_dir(ROOT / "evals" / "news-dates", ROOT, cache, settings.eval_data_dir)
    items = [i for i in eval_set.items if i.kind == "latest"]
    assistant = Assistant.from_settings(
        settings.model_copy(update={"index_dir": cache / "index-full"})
    )
    stamp = time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime())
    with (ROOT / "bench" / "results" / "results.jsonl").open("a", encoding="utf-8") as out:
        for margin in args.margins:
            row = {"bench": "latest_margin", "at": stamp, **measure(assistant, items, margin)}
            print(json.dumps(row))
            out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
