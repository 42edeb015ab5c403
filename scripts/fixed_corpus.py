"""The fixed corpus of a news gate: pick its article ids from a full-corpus run, and check
that the fixed corpus answers every item as the full one does.

The news-dates gate over its whole corpus (998 shared articles) took 16-24 minutes to
index on 2 cores, most of a fresh-clone test run, for 28 questions. The articles that
decide its items are few: the gold, story and copy articles, and those the retrieval
ranks for each item. ``pick`` lists exactly those (``ids`` beside ``first``/``also`` in
``set.json``); ``compare`` checks, item by item, that answers and verdicts agree, and
prints the table ``docs/evaluation.md`` records. Commands::

    assistant eval --set news-dates --full-corpus --out artifacts/eval/news-dates-full
    python scripts/fixed_corpus.py pick --set news-dates \
        --report artifacts/eval/news-dates-full/report.json
    assistant eval --set news-dates --out artifacts/eval/news-dates
    python scripts/fixed_corpus.py compare artifacts/eval/news-dates-full/report.json \
        artifacts/eval/news-dates/report.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERDICTS = (
    "answered",
    "correct",
    "declined",
    "hit@1",
    "hit@5",
    "copies_merged",  # fmt: skip
    "timeline_articles",
    "timeline_precision",
    "citation_precision",
    "faithfulness",
)


def item_articles(item: dict, story: dict[str, list[str]]) -> set[str]:
    """The articles one item of a full-corpus report names: gold, story, copies, the
    ranked chunks' (10 deep) and the cited ones (not its whole candidate pool, see
    ``widen``)."""
    cited = {c["article_id"] for c in item["citations"]}
    copies = {r for c in item["citations"] for r in c["also_reported_by"]}
    return (
        set(item["gold_articles"])
        | set(item["ranked_articles"])
        | cited
        | copies
        | set(story.get(item["id"], ()))
    )


def natural(article_id: str) -> list:
    """Sort key: en-2 before en-10."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", article_id)]


def read_set(set_name: str) -> tuple[Path, dict, dict[str, list[str]]]:
    """The set's folder, its manifest, and each item's story and copy articles."""
    folder = ROOT / "evals" / set_name
    manifest = json.loads((folder / "set.json").read_text(encoding="utf-8"))
    lines = (folder / "items.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    story = {r["id"]: [*r.get("story", ()), *r.get("also_reported_by", ())] for r in records}
    return folder, manifest, story


def read_items(report_path: Path) -> dict[str, dict]:
    """The items of one report.json by id."""
    report = json.loads(report_path.read_text(encoding="utf-8"))
    return {i["id"]: i for i in report["items"]}


def write_ids(folder: Path, manifest: dict, ids: set[str]) -> list[str]:
    """Store ``ids`` as the set's fixed corpus (``shared_corpus`` ... ``ids``)."""
    ordered = sorted(ids, key=natural)
    (spec,) = manifest["shared_corpus"].values()  # one shared file per news set
    spec["ids"] = ordered
    (folder / "set.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return ordered


def pick(set_name: str, report_path: Path) -> list[str]:
    """Write the fixed corpus (``ids``) of ``set_name`` into its ``set.json``."""
    folder, manifest, story = read_set(set_name)
    items = read_items(report_path)
    if set(items) != set(story):
        sys.exit(f"expected a report of every item of {set_name}, got another set of items")
    ids: set[str] = set()
    for item in items.values():
        ids |= item_articles(item, story)
    return write_ids(folder, manifest, ids)


def differing(a: dict, b: dict | None) -> list[str]:
    """The verdicts two runs of one item disagree on ("answer" when only the text does)."""
    if b is None:
        return ["missing"]
    differs = [v for v in VERDICTS if a["scores"].get(v) != b["scores"].get(v)]
    return differs or (["answer"] if a["answer"] != b["answer"] else [])


def widen(set_name: str, full_path: Path, fixed_path: Path) -> list[str]:
    """Add the whole full-run candidate pool of every item the fixed run answers
    differently: the articles that compete for its pool are what make it come out so."""
    folder, manifest, _ = read_set(set_name)
    full, fixed = read_items(full_path), read_items(fixed_path)
    (spec,) = manifest["shared_corpus"].values()
    ids = set(spec.get("ids", ()))
    for item_id, item in full.items():
        if differing(item, fixed.get(item_id)):
            if "pool_articles" not in item:
                sys.exit(f"expected pool_articles in {full_path}, got a report without them")
            print(f"{item_id}: + {len(set(item['pool_articles']) - ids)} pool articles")
            ids |= set(item["pool_articles"])
    return write_ids(folder, manifest, ids)


def compare(full_path: Path, fixed_path: Path) -> int:
    """Print the per-item agreement table; exit status 1 when an item disagrees."""
    full, fixed = read_items(full_path), read_items(fixed_path)
    print("| item | same answer text | same verdicts | differs in |")
    print("|---|---|---|---|")
    disagree = 0
    for item_id, a in full.items():
        differs = [d for d in differing(a, fixed.get(item_id)) if d != "answer"]
        same_text = item_id in fixed and a["answer"] == fixed[item_id]["answer"]
        disagree += bool(differs)
        print(f"| {item_id} | {'yes' if same_text else 'no'} | {'no' if differs else 'yes'} "
              f"| {', '.join(differs) or '-'} |")  # fmt: skip
    same = sum(full[i]["answer"] == fixed[i]["answer"] for i in full if i in fixed)
    print(f"\n{len(full) - disagree} of {len(full)} items with the same verdicts, "
          f"{same} with the same answer text")  # fmt: skip
    return 1 if disagree else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    picking = sub.add_parser("pick", help="write the set's ids from a full-corpus report")
    picking.add_argument("--set", dest="set_name", required=True)
    picking.add_argument("--report", type=Path, required=True)
    widening = sub.add_parser("widen", help="add the pools of items that disagree")
    widening.add_argument("--set", dest="set_name", required=True)
    widening.add_argument("full", type=Path)
    widening.add_argument("fixed", type=Path)
    comparing = sub.add_parser("compare", help="per-item agreement of two reports")
    comparing.add_argument("full", type=Path)
    comparing.add_argument("fixed", type=Path)
    args = parser.parse_args()
    if args.command == "pick":
        ids = pick(args.set_name, args.report)
        print(f"{len(ids)} articles in the fixed corpus of {args.set_name}")
        return 0
    if args.command == "widen":
        ids = widen(args.set_name, args.full, args.fixed)
        print(f"{len(ids)} articles in the fixed corpus of {args.set_name}")
        return 0
    return compare(args.full, args.fixed)


if __name__ == "__main__":
    sys.exit(main())
