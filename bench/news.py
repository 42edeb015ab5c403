"""The real news in ../shared/data as JSONL articles (German 10kGNAD + English news).

The readers are the eval suite's (``assistant.evaluation.sets``): one reader per file.
"""

from __future__ import annotations

import json
from itertools import zip_longest
from pathlib import Path

from assistant.evaluation.sets import english_news, news_distractors

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"


def write_jsonl(path: Path, limit: int | None = None) -> int:
    """German and English articles interleaved (so any prefix has both), first ``limit``."""
    german = news_distractors(DATA / "10kgnad-test.csv")
    english = english_news(DATA / "news-en.csv")
    mixed = [a for pair in zip_longest(german, english) for a in pair if a]
    mixed = mixed[:limit] if limit else mixed
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for article in mixed:
            handle.write(json.dumps(article, ensure_ascii=False) + "\n")
    return len(mixed)
