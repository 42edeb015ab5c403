"""The real news in ../shared/data as JSONL articles (German 10kGNAD + English news)."""
from __future__ import annotations

import csv
import json
import sys
from itertools import zip_longest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"


def german_articles() -> list[dict]:
    """10kGNAD test split: 1,028 DER STANDARD articles (first sentence is the teaser)."""
    csv.field_size_limit(sys.maxsize)
    with open(DATA / "10kgnad-test.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";", quotechar="'"))
    out = []
    for number, (category, text) in enumerate(rows):
        title = text.split(". ", 1)[0][:120].strip() or text.strip()[:80]
        out.append({"id": f"gnad-{number}", "title": title, "text": text,
                    "source": f"DER STANDARD/{category}", "language": "de"})
    return out


def english_articles() -> list[dict]:
    """news-en: 3,824 English articles (36 have empty text and are skipped by ingest)."""
    csv.field_size_limit(sys.maxsize)
    with open(DATA / "news-en.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [{"id": f"en-{r['article_id']}", "title": r["title"], "text": r["text"],
             "published": r["publish_date"], "url": r["article_source_link"],
             "source": r["article_source_link"].split("/")[2] if "//" in r["article_source_link"] else "",
             "language": "en"} for r in rows]


def write_jsonl(path: Path, limit: int | None = None) -> int:
    """German and English articles interleaved (so any prefix has both), first ``limit``."""
    mixed = [a for pair in zip_longest(german_articles(), english_articles()) for a in pair if a]
    mixed = mixed[:limit] if limit else mixed
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for article in mixed:
            handle.write(json.dumps(article, ensure_ascii=False) + "\n")
    return len(mixed)
