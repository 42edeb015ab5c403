"""Ingest time against the length of one paragraph, up to 10 MB (issue 10: linear ingest).

    python bench/ingest_scaling.py [--max-mb 10]

Each size is one JSONL line holding one article whose text is a single paragraph, in two
shapes: ordinary sentences, and one "sentence" without any punctuation (the worst case
for the sentence splitter and the token cutter). Ingest runs through ``Assistant.ingest``
with the hashing embedder (the model's own time is linear and measured in bench/run.py),
``max_article_chars`` raised above the size. The baseline in the same run is the splitter
before the change (pysbd over the whole paragraph) on the sizes where it ends in seconds.
Also timed: how long the default limit takes to refuse a 10 MB line.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import record  # noqa: E402

from assistant import Assistant, load_settings  # noqa: E402
from assistant.providers import HashingEmbedder  # noqa: E402
from assistant.sentences import _segmenter  # noqa: E402

WORDS = (
    "der die das Regierung sagte am Montag in Berlin neue Gesetze Handel Truppen Grenze "
    "Minister Bericht Wahl Stadt Polizei Gericht Millionen Euro Woche Zeitung"
).split()


def paragraph(chars: int, punctuated: bool, seed: int = 7) -> str:
    """One paragraph of about ``chars`` characters of German-looking words."""
    rng = random.Random(seed)
    parts: list[str] = []
    size = 0
    while size < chars:
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20)))
        sentence = sentence.capitalize() + ("." if punctuated else "")
        parts.append(sentence)
        size += len(sentence) + 1
    return " ".join(parts)[:chars]


def ingest_seconds(text: str, limit: int) -> tuple[float, dict]:
    """Seconds to ingest one article holding ``text`` into a fresh index."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "one.jsonl"
        record_ = {"id": "big", "title": "Big", "text": text, "language": "de"}
        path.write_text(json.dumps(record_) + "\n", encoding="utf-8")
        settings = load_settings(
            index_dir=Path(tmp) / "index", embeddings="fake", max_article_chars=limit
        )
        assistant = Assistant.from_settings(settings, embedder=HashingEmbedder())
        started = time.perf_counter()
        report = assistant.ingest(path, progress=_Silent)
        return time.perf_counter() - started, report.to_dict()


def old_split_seconds(text: str) -> float:
    """The splitter before the change: pysbd over the whole paragraph."""
    started = time.perf_counter()
    _segmenter("de").segment(text)
    return time.perf_counter() - started


class _Silent:
    def update(self, n: int = 1) -> None: ...

    def close(self) -> None: ...


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-mb", type=float, default=10)
    args = parser.parse_args()
    sizes = [s for s in (10_000, 100_000, 1_000_000, 10_000_000) if s <= args.max_mb * 1e6]
    rows = []
    for chars in sizes:
        for punctuated in (True, False):
            text = paragraph(chars, punctuated)
            seconds, report = ingest_seconds(text, limit=chars + 1)
            old = old_split_seconds(text) if chars <= 100_000 and punctuated else None
            rows.append(
                {
                    "chars": chars,
                    "shape": "sentences" if punctuated else "no punctuation",
                    "ingest_s": round(seconds, 2),
                    "us_per_char": round(seconds / chars * 1e6, 2),
                    "chunks": report["chunks_written"],
                    "texts": report["texts_embedded"],
                    "baseline_old_split_s": None if old is None else round(old, 2),
                }
            )
            print(rows[-1], file=sys.stderr)
    refused, report = ingest_seconds(paragraph(10_000_000, True), limit=200_000)
    record(
        "ingest_scaling",
        {"rows": rows, "refuse_10mb_s": round(refused, 2), "refused": report["skipped"]},
    )


if __name__ == "__main__":
    main()
