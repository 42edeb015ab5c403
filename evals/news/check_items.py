#!/usr/bin/env python3
"""Check evals/news/items.jsonl against the news CSVs (standard library only).

Usage (from anywhere):
    python evals/news/check_items.py [DATA_DIR]

DATA_DIR defaults to ../shared/data relative to the project root (the folder two levels
above this file), i.e. /work/shared/data for /work/main. It must hold 10kgnad-test.csv and
news-en.csv. The articles are read from there, never copied into the repository.

Checks:
- every line is a JSON object with the expected fields and types; ids are unique and use
  the news-de-/news-en-/news-xl-/news-unans- scheme;
- answerable items have at least one answer and one gold article; every answer span occurs
  verbatim (``span in text``) in at least one of its gold articles, and every gold article
  contains at least one of the spans;
- gold article ids exist and lie in the allowed range (gnad-0..gnad-299; en-<article_id>
  among the first 300 rows of news-en.csv with non-empty text);
- answer spans contain no mangled characters from news-en.csv (U+FFFD, the ``"?`` quote);
- cross-lingual items ask in the other language than their gold articles; the other
  answerable items ask in the same language;
- unanswerable items have answers == [] and gold_articles == [].

Exit status 0 when everything passes, 1 on failures, 2 when the data is missing.
"""
from __future__ import annotations

import csv
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ITEMS = HERE / "items.jsonl"
GNAD_ROWS = 300  # only gnad-0..gnad-299 may be used
EN_ROWS = 300  # only the first 300 rows of news-en.csv (non-empty text) may be used

KINDS = {"number", "date", "person", "place", "fact", "cross-lingual", "same-topic"}
ID_RE = re.compile(r"^news-(de|en|xl|unans)-\d{3}$")
MANGLED = ("\ufffd", '"?')
FIELDS = {"id": str, "question": str, "language": str, "answerable": bool,
          "answers": list, "gold_articles": list, "kind": str}


def load_gnad(path: Path) -> dict[str, tuple[str, str]]:
    """gnad-<n> -> (category, text) for every row of 10kgnad-test.csv."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter=";", quotechar="'"))
    return {f"gnad-{n}": (row[0], row[1]) for n, row in enumerate(rows)}


def load_en(path: Path) -> dict[str, tuple[str, str, int]]:
    """en-<article_id> -> (source host, text, 0-based row) for every row of news-en.csv."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    out = {}
    for n, row in enumerate(rows):
        host = row["article_source_link"].split("/")[2] if "//" in row["article_source_link"] else ""
        out[f"en-{row['article_id']}"] = (host, row["text"] or "", n)
    return out


def main(argv: list[str]) -> int:
    csv.field_size_limit(sys.maxsize)  # some articles are long
    data = Path(argv[1]) if len(argv) > 1 else ROOT / ".." / "shared" / "data"
    gnad_csv, en_csv = data / "10kgnad-test.csv", data / "news-en.csv"
    errors: list[str] = []

    items = []
    for number, line in enumerate(ITEMS.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            errors.append(f"line {number}: invalid JSON ({exc.msg})")

    # structure ------------------------------------------------------------------------
    ids = Counter(it.get("id") for _, it in items)
    for dup in (i for i, c in ids.items() if c > 1):
        errors.append(f"duplicate id {dup!r}")
    for number, it in items:
        where = f"line {number} ({it.get('id')})"
        for key, typ in FIELDS.items():
            if not isinstance(it.get(key), typ):
                errors.append(f"{where}: field {key!r} missing or not {typ.__name__}")
        if errors and errors[-1].startswith(where):
            continue
        m = ID_RE.match(it["id"])
        if not m:
            errors.append(f"{where}: id does not match news-(de|en|xl|unans)-NNN")
            continue
        group = m.group(1)
        if it["language"] not in ("de", "en"):
            errors.append(f"{where}: language must be 'de' or 'en'")
        if it["kind"] not in KINDS:
            errors.append(f"{where}: unknown kind {it['kind']!r}")
        if not it["question"].strip():
            errors.append(f"{where}: empty question")
        if group == "unans":
            if it["answerable"] or it["answers"] or it["gold_articles"] or it["kind"] != "same-topic":
                errors.append(f"{where}: unanswerable items need answerable=false, answers=[], "
                              "gold_articles=[], kind='same-topic'")
        else:
            if not it["answerable"] or not it["answers"] or not it["gold_articles"]:
                errors.append(f"{where}: answerable items need answers and gold_articles")
            if (group == "xl") != (it["kind"] == "cross-lingual"):
                errors.append(f"{where}: news-xl- ids and kind 'cross-lingual' go together")
            if group in ("de", "en") and it["language"] != group:
                errors.append(f"{where}: news-{group}- item with language {it['language']!r}")
            for span in it["answers"]:
                if not isinstance(span, str) or not span.strip():
                    errors.append(f"{where}: empty or non-string answer {span!r}")
                elif any(bad in span for bad in MANGLED):
                    errors.append(f"{where}: answer {span!r} contains a mangled character")

    # against the articles -------------------------------------------------------------
    if not (gnad_csv.is_file() and en_csv.is_file()):
        for e in errors:
            print("FAIL", e)
        print(f"cannot check answer spans: {gnad_csv} or {en_csv} not found "
              "(pass the data folder as the first argument)")
        return 2
    gnad, en = load_gnad(gnad_csv), load_en(en_csv)

    def article(aid: str) -> tuple[str | None, str]:
        """(text, problem) for an article id; text None when not usable."""
        if aid.startswith("gnad-"):
            if aid not in gnad:
                return None, "does not exist"
            if int(aid[5:]) >= GNAD_ROWS:
                return None, f"is outside gnad-0..gnad-{GNAD_ROWS - 1}"
            return gnad[aid][1], ""
        if aid.startswith("en-"):
            if aid not in en:
                return None, "does not exist"
            _, text, row = en[aid]
            if row >= EN_ROWS:
                return None, f"is outside the first {EN_ROWS} rows of news-en.csv"
            if not text.strip():
                return None, "has empty text"
            return text, ""
        return None, "has an unknown prefix (expected gnad- or en-)"

    used: Counter = Counter()
    for number, it in items:
        if not it.get("answerable") or not isinstance(it.get("gold_articles"), list):
            continue
        where = f"line {number} ({it.get('id')})"
        texts = {}
        for aid in it["gold_articles"]:
            text, problem = article(aid)
            if text is None:
                errors.append(f"{where}: gold article {aid!r} {problem}")
            else:
                texts[aid] = text
                used[aid] += 1
        for span in it.get("answers", []):
            if isinstance(span, str) and texts and not any(span in t for t in texts.values()):
                errors.append(f"{where}: answer {span!r} occurs in none of {sorted(texts)}")
        for aid, text in texts.items():
            if not any(isinstance(s, str) and s in text for s in it.get("answers", [])):
                errors.append(f"{where}: gold article {aid} contains none of the answers")
        langs = {"de" if a.startswith("gnad-") else "en" for a in texts}
        if langs:
            crossing = it.get("language") not in langs
            if it.get("kind") == "cross-lingual" and not crossing:
                errors.append(f"{where}: cross-lingual item asks in its articles' language")
            if it.get("kind") != "cross-lingual" and crossing:
                errors.append(f"{where}: question language differs from its gold articles")

    # report ---------------------------------------------------------------------------
    records = [it for _, it in items]
    print(f"{len(records)} items in {ITEMS.relative_to(ROOT)}")
    groups = Counter(it.get("id", "?").rsplit("-", 1)[0] for it in records)
    for g in ("news-de", "news-en", "news-xl", "news-unans"):
        print(f"  {g + '-*':14} {groups.get(g, 0):3}")
    xl = [it for it in records if it.get("kind") == "cross-lingual"]
    print(f"  cross-lingual: {sum(it['language'] == 'en' for it in xl)} en->de article, "
          f"{sum(it['language'] == 'de' for it in xl)} de->en article")
    unans = [it for it in records if not it.get("answerable")]
    print(f"  unanswerable: {sum(it['language'] == 'de' for it in unans)} de, "
          f"{sum(it['language'] == 'en' for it in unans)} en questions")
    print("  answerable/unanswerable:",
          f"{sum(bool(it.get('answerable')) for it in records)}/{len(unans)}")
    print("  question language:", dict(sorted(Counter(it.get("language") for it in records).items())))
    print("  kind:", dict(sorted(Counter(it.get("kind") for it in records).items())))
    de_used = sorted(a for a in used if a.startswith("gnad-"))
    en_used = sorted(a for a in used if a.startswith("en-"))
    print(f"  distinct gold articles: {len(used)} ({len(de_used)} gnad, {len(en_used)} en)")
    print("  gnad categories:", dict(sorted(Counter(gnad[a][0] for a in de_used).items())))
    print("  en sources:", dict(sorted(Counter(en[a][0] for a in en_used).items())))

    for e in errors:
        print("FAIL", e)
    print("OK" if not errors else f"{len(errors)} problem(s)")
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
