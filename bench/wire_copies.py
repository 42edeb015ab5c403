"""Near-duplicate groups in the shared news at the ingest's MinHash settings (wire copies).

    python bench/wire_copies.py [--threshold 0.8] [--pairs 8]

Reads ../shared/data/news-en.csv and 10kgnad-test.csv as the eval suite does, signs every
article as ``assistant.ingest.copies`` does, and groups articles whose estimated Jaccard
to a group's first member reaches the threshold (the ingest's rule: the first seen is
canonical). Prints the group counts per file, the exact Jaccard of the pairs, and a few
pairs side by side so that a person can check they are copies or updates.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from news import DATA  # noqa: E402

from assistant.evaluation.sets import english_news, news_distractors  # noqa: E402
from assistant.ingest.copies import CopyDetector, canon_of, shingles, signature  # noqa: E402
from assistant.ingest.normalize import normalize_text  # noqa: E402
from assistant.records import Article  # noqa: E402


def groups(records: list[dict], threshold: float) -> dict[str, list[tuple[str, float]]]:
    """canonical id -> [(copy id, estimated Jaccard)] in the ingest's first-seen order."""
    detector = CopyDetector([], threshold)
    found: dict[str, list[tuple[str, float]]] = {}
    for r in records:
        article = Article(
            r["id"], r["title"], normalize_text(r["text"]), r["language"],
            r.get("source", ""), r.get("url", ""), r.get("published", ""),
        )  # fmt: skip
        minhash = signature(article.text)
        match = detector.match(article, minhash)
        if match is None:
            detector.add(canon_of(article, "", minhash), minhash)
        else:
            found.setdefault(match.canon.article_id, []).append((article.id, match.similarity))
    return found


def exact(a: str, b: str) -> float:
    x, y = shingles(a), shingles(b)
    return len(x & y) / len(x | y)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--pairs", type=int, default=8)
    args = parser.parse_args()
    for name, reader in (("news-en.csv", english_news), ("10kgnad-test.csv", news_distractors)):
        records = reader(DATA / name)
        by_id = {r["id"]: r for r in records}
        found = groups(records, args.threshold)
        copies = sum(len(v) for v in found.values())
        print(f"{name}: {len(records)} articles, {len(found)} groups, {copies} copies")
        jaccards = [
            exact(by_id[c]["text"], by_id[k]["text"]) for c, v in found.items() for k, _ in v
        ]
        if jaccards:
            print(f"  exact Jaccard of the pairs: min {min(jaccards):.2f}, max {max(jaccards):.2f}")
        for canonical, members in list(found.items())[: args.pairs]:
            for member, similarity in members:
                a, b = by_id[canonical], by_id[member]
                print(
                    f"  {similarity:.2f} {canonical} {a.get('published', '')} {a.get('source', '')}"
                    f" | {member} {b.get('published', '')} {b.get('source', '')}"
                )
                print(f"    {a['title'][:70]!r} | {b['title'][:70]!r}")


if __name__ == "__main__":
    main()
