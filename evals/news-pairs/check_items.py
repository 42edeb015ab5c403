#!/usr/bin/env python3
"""Check evals/news-pairs/items.jsonl against the news CSVs (standard library only).

Usage (from anywhere):
    .venv/bin/python evals/news-pairs/check_items.py [DATA_DIR]

DATA_DIR is the first argument, else the ASSISTANT_EVAL_DATA_DIR environment variable,
else ../shared/data relative to the project root (the folder two levels above this file).
It must hold 10kgnad-test.csv and news-en.csv. The articles are read from there, never
copied into the repository.

The set holds pairs of questions about one article each:

- ``pair-<g>-NNN-absent``: a same-topic question the article does NOT answer, with the
  article sentence a careless reader would quote (``near_sentence``), the question words
  the article does not speak to (``missing``) and regexes an answering sentence would have
  to match (``absent``);
- ``pair-<g>-NNN-answer``: its twin, worded as closely as possible, which a sentence of the
  same article (``gold_sentence``) does answer (``answers``: verbatim spans of it).

``<g>`` is ``de`` (German question, German article), ``en`` (English question, English
article) or ``xl`` (English question, German article).

Checks, per item:
- JSON, fields and types, id scheme, unique ids, twin links (every absent item has exactly
  one answer twin with the same number, and vice versa), languages per group;
- the article exists, lies in the visible range (gnad-0..gnad-299; the first 300 rows of
  news-en.csv, non-empty text) and belongs to the group (gnad- for de/xl, en- for en);
- ``near_sentence`` and ``gold_sentence`` occur verbatim in the article text (whitespace
  normalised on both sides);
- every answer span has 1-6 words, occurs verbatim in ``gold_sentence`` and contains no
  mangled character of news-en.csv (U+FFFD, the ``"?`` quote);
- every ``missing`` entry (1-3 entries of 1-3 words) occurs in the question;
- every ``absent`` regex compiles and matches (case-insensitively) NO sentence of the
  topic article, so the article really does not state the answer; the sentence splitter is
  the simple ``split_sentences`` below (on . ! ?, optionally followed by a closing quote,
  then a space and a capital; never after a digit + '.', so ``21. August`` stays whole);
- no question repeats a question of this set or of evals/news/items.jsonl.
And for the set: at least 150 pairs, at least 80 distinct articles, at most 3 pairs per
article.

It prints the counts by group, language, kind, question word, gnad category and news-en
source, then one FAIL line per problem. Exit status 0 when everything passes, 1 on
failures, 2 when the data is missing.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ITEMS = HERE / "items.jsonl"
OLD_ITEMS = ROOT / "evals" / "news" / "items.jsonl"
GNAD_ROWS = 300  # only gnad-0..gnad-299 may be used
EN_ROWS = 300  # only the first 300 rows of news-en.csv (non-empty text) may be used
MIN_PAIRS, MIN_ARTICLES, MAX_PAIRS_PER_ARTICLE = 150, 80, 3

ID_RE = re.compile(r"^pair-(de|en|xl)-(\d{3})-(absent|answer)$")
ANSWER_KINDS = {"number", "date", "person", "place", "fact"}
MANGLED = ("\ufffd", '"?')
GROUP_LANG = {"de": ("de", "gnad-"), "en": ("en", "en-"), "xl": ("en", "gnad-")}
COMMON = {
    "id": str,
    "question": str,
    "language": str,
    "answerable": bool,
    "answers": list,
    "gold_articles": list,
    "kind": str,
}
ABSENT_FIELDS = {
    **COMMON,
    "topic_article": str,
    "near_sentence": str,
    "missing": list,
    "absent": list,
}
ANSWER_FIELDS = {**COMMON, "gold_sentence": str, "twin": str}

_SPLIT = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”“»']))\s+(?=[\"„“»(‚']?[A-ZÄÖÜ])")


def norm(text: str) -> str:
    """Collapse every run of whitespace to one space."""
    return " ".join(text.split())


def split_sentences(text: str) -> list[str]:
    """Split normalised text on . ! ? (optionally + closing quote) + space + capital.

    Never right after a digit + '.', so "am 21. August" and "(16. Februar)" stay whole.
    """
    out: list[str] = []
    for piece in _SPLIT.split(norm(text)):
        if out and re.search(r"\d\.$", out[-1]):
            out[-1] += " " + piece  # "am 21. August", "(16. Februar)": one sentence
        else:
            out.append(piece)
    return out


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
        link = row["article_source_link"] or ""
        host = link.split("/")[2] if "//" in link else ""
        out[f"en-{row['article_id']}"] = (host, row["text"] or "", n)
    return out


def qkey(question: str) -> str:
    return re.sub(r"\W+", " ", question.lower()).strip()


def qword(question: str) -> str:
    """A coarse question type: the first one or two words, lower-cased."""
    words = re.findall(r"\w+", question.lower())
    if not words:
        return "?"
    if words[0] in {
        "wie",
        "how",
        "um",
        "in",
        "on",
        "at",
        "for",
        "from",
        "to",
        "by",
        "with",
        "auf",
        "an",
        "aus",
        "für",
        "mit",
        "von",
        "bei",
        "zu",
        "seit",
        "since",
        "after",
        "nach",
        "über",
        "under",
        "through",
        "durch",
        "gegen",
        "of",
    }:
        return " ".join(words[:2])
    return words[0]


def main(argv: list[str]) -> int:
    csv.field_size_limit(sys.maxsize)  # some articles are long
    default = os.environ.get("ASSISTANT_EVAL_DATA_DIR") or str(ROOT / ".." / "shared" / "data")
    data = Path(argv[1] if len(argv) > 1 else default)
    gnad_csv, en_csv = data / "10kgnad-test.csv", data / "news-en.csv"
    errors: list[str] = []

    items: list[tuple[int, dict]] = []
    for number, line in enumerate(ITEMS.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"line {number}: invalid JSON ({exc.msg})")
            continue
        if not isinstance(obj, dict):
            errors.append(f"line {number}: not a JSON object")
            continue
        items.append((number, obj))

    # structure ------------------------------------------------------------------------
    ids = Counter(it.get("id") for _, it in items)
    for dup in sorted(str(i) for i, c in ids.items() if c > 1):
        errors.append(f"duplicate id {dup!r}")
    absent: dict[tuple[str, str], tuple[int, dict]] = {}
    answer: dict[tuple[str, str], tuple[int, dict]] = {}
    for number, it in items:
        where = f"line {number} ({it.get('id')})"
        m = ID_RE.match(it.get("id") or "") if isinstance(it.get("id"), str) else None
        if not m:
            errors.append(f"{where}: id does not match pair-(de|en|xl)-NNN-(absent|answer)")
            continue
        group, num, role = m.groups()
        fields = ABSENT_FIELDS if role == "absent" else ANSWER_FIELDS
        bad = [k for k, typ in fields.items() if not isinstance(it.get(k), typ)]
        if bad:
            errors.append(f"{where}: field(s) {bad} missing or of the wrong type")
            continue
        extra = set(it) - set(fields)
        if extra:
            errors.append(f"{where}: unexpected field(s) {sorted(extra)}")
        lang, _ = GROUP_LANG[group]
        if it["language"] != lang:
            errors.append(f"{where}: group {group} asks in {lang!r}, not {it['language']!r}")
        if not it["question"].strip() or not it["question"].rstrip().endswith("?"):
            errors.append(f"{where}: question empty or not ending with '?'")
        if role == "absent":
            if (
                it["answerable"]
                or it["answers"]
                or it["gold_articles"]
                or it["kind"] != "same-topic"
            ):
                errors.append(
                    f"{where}: absent items need answerable=false, answers=[], "
                    "gold_articles=[], kind='same-topic'"
                )
            if not 1 <= len(it["missing"]) <= 3:
                errors.append(f"{where}: 'missing' needs 1-3 entries")
            for word in it["missing"]:
                if not isinstance(word, str) or not 1 <= len(word.split()) <= 3:
                    errors.append(f"{where}: missing entry {word!r} is not 1-3 words")
                elif word.lower() not in it["question"].lower():
                    errors.append(f"{where}: missing entry {word!r} does not occur in the question")
            if not it["absent"]:
                errors.append(f"{where}: 'absent' needs at least one regex")
            for pattern in it["absent"]:
                try:
                    re.compile(pattern, re.IGNORECASE)
                except (re.error, TypeError) as exc:
                    errors.append(f"{where}: absent regex {pattern!r} does not compile ({exc})")
            absent[(group, num)] = (number, it)
        else:
            if not it["answerable"] or not it["answers"] or len(it["gold_articles"]) != 1:
                errors.append(
                    f"{where}: answer items need answerable=true, answers and "
                    "exactly one gold article"
                )
            if it["kind"] not in ANSWER_KINDS:
                errors.append(f"{where}: kind {it['kind']!r} not in {sorted(ANSWER_KINDS)}")
            if it["twin"] != f"pair-{group}-{num}-absent":
                errors.append(f"{where}: twin must be 'pair-{group}-{num}-absent'")
            for span in it["answers"]:
                if not isinstance(span, str) or not span.strip():
                    errors.append(f"{where}: empty or non-string answer {span!r}")
                elif not 1 <= len(span.split()) <= 6:
                    errors.append(f"{where}: answer {span!r} is not 1-6 words")
                elif any(bad in span for bad in MANGLED):
                    errors.append(f"{where}: answer {span!r} contains a mangled character")
            answer[(group, num)] = (number, it)
    for key in sorted(set(absent) | set(answer)):
        name = f"pair-{key[0]}-{key[1]}"
        if key not in answer:
            errors.append(f"{name}: absent item has no answer twin")
        elif key not in absent:
            errors.append(f"{name}: answer item has no absent twin")
        else:
            a, t = absent[key][1], answer[key][1]
            if t["gold_articles"] != [a["topic_article"]]:
                errors.append(
                    f"{name}: twin gold_articles {t['gold_articles']} != "
                    f"[topic_article {a['topic_article']!r}]"
                )
            if qkey(a["question"]) == qkey(t["question"]):
                errors.append(f"{name}: the two questions are the same")

    # questions must be new --------------------------------------------------------------
    seen: dict[str, str] = {}
    if OLD_ITEMS.is_file():
        for line in OLD_ITEMS.read_text(encoding="utf-8").splitlines():
            if line.strip():
                old = json.loads(line)
                seen[qkey(old.get("question", ""))] = f"evals/news {old.get('id')}"
    for _, it in items:
        if isinstance(it.get("question"), str):
            key = qkey(it["question"])
            if key in seen:
                errors.append(f"{it.get('id')}: question repeats {seen[key]}")
            seen[key] = str(it.get("id"))

    # against the articles -------------------------------------------------------------
    if not (gnad_csv.is_file() and en_csv.is_file()):
        for e in errors:
            print("FAIL", e)
        print(
            f"cannot check against the articles: {gnad_csv} or {en_csv} not found "
            "(set ASSISTANT_EVAL_DATA_DIR or pass the data folder as the first argument)"
        )
        return 2
    gnad, en = load_gnad(gnad_csv), load_en(en_csv)

    def article(aid: str) -> tuple[str | None, str]:
        """(normalised text, problem) for an article id; text None when not usable."""
        if aid.startswith("gnad-"):
            if aid not in gnad:
                return None, "does not exist"
            if not aid[5:].isdigit() or int(aid[5:]) >= GNAD_ROWS:
                return None, f"is outside gnad-0..gnad-{GNAD_ROWS - 1}"
            return norm(gnad[aid][1]), ""
        if aid.startswith("en-"):
            if aid not in en:
                return None, "does not exist"
            _, text, row = en[aid]
            if row >= EN_ROWS:
                return None, f"is outside the first {EN_ROWS} rows of news-en.csv"
            if not text.strip():
                return None, "has empty text"
            return norm(text), ""
        return None, "has an unknown prefix (expected gnad- or en-)"

    per_article: Counter = Counter()
    for key in sorted(set(absent) & set(answer)):
        (_na, a), (_nt, t) = absent[key], answer[key]
        name = f"pair-{key[0]}-{key[1]}"
        aid = a["topic_article"]
        if not aid.startswith(GROUP_LANG[key[0]][1]):
            errors.append(
                f"{name}: group {key[0]} needs a {GROUP_LANG[key[0]][1]}* article, not {aid}"
            )
        text, problem = article(aid)
        if text is None:
            errors.append(f"{name}: topic article {aid!r} {problem}")
            continue
        per_article[aid] += 1
        if norm(a["near_sentence"]) not in text:
            errors.append(
                f"{a['id']}: near_sentence does not occur verbatim in {aid}: "
                f"{a['near_sentence'][:80]!r}"
            )
        gold = norm(t["gold_sentence"])
        if gold not in text:
            errors.append(
                f"{t['id']}: gold_sentence does not occur verbatim in {aid}: {gold[:80]!r}"
            )
        for span in t["answers"]:
            if isinstance(span, str) and span not in gold:
                errors.append(f"{t['id']}: answer {span!r} does not occur in the gold_sentence")
        sentences = split_sentences(text)
        for pattern in a["absent"]:
            try:
                rx = re.compile(pattern, re.IGNORECASE)
            except (re.error, TypeError):
                continue  # reported above
            for sentence in sentences:
                hit = rx.search(sentence)
                if hit:
                    errors.append(
                        f"{a['id']}: absent regex {pattern!r} matches {hit.group(0)!r} "
                        f"in a sentence of {aid}: {sentence[:120]!r}"
                    )
                    break
    for aid, count in sorted(per_article.items()):
        if count > MAX_PAIRS_PER_ARTICLE:
            errors.append(f"{aid}: {count} pairs (at most {MAX_PAIRS_PER_ARTICLE} per article)")
    pairs = len(set(absent) & set(answer))
    if pairs < MIN_PAIRS:
        errors.append(f"only {pairs} complete pairs (need at least {MIN_PAIRS})")
    if len(per_article) < MIN_ARTICLES:
        errors.append(f"only {len(per_article)} distinct articles (need at least {MIN_ARTICLES})")

    # report ---------------------------------------------------------------------------
    records = [it for _, it in items]
    print(f"{len(records)} items ({pairs} pairs) in {ITEMS.relative_to(ROOT)}")
    groups = Counter(k[0] for k in set(absent) & set(answer))
    for g, label in (
        ("de", "German question, German article"),
        ("en", "English question, English article"),
        ("xl", "English question, German article"),
    ):
        print(f"  pair-{g}-*  {groups.get(g, 0):3} pairs  ({label})")
    print(
        "  question language:", dict(sorted(Counter(it.get("language") for it in records).items()))
    )
    print(
        "  kind (answer twins):",
        dict(sorted(Counter(it.get("kind") for _, it in answer.values()).items())),
    )
    print(
        "  question word (absent):",
        dict(Counter(qword(it.get("question", "")) for _, it in absent.values()).most_common()),
    )
    print(
        "  question word (answer):",
        dict(Counter(qword(it.get("question", "")) for _, it in answer.values()).most_common()),
    )
    de_used = sorted(a for a in per_article if a.startswith("gnad-"))
    en_used = sorted(a for a in per_article if a.startswith("en-"))
    print(
        f"  distinct articles: {len(per_article)} ({len(de_used)} gnad, {len(en_used)} en); "
        "pairs per article:",
        dict(sorted(Counter(per_article.values()).items())),
    )
    print(
        "  gnad categories (articles):", dict(sorted(Counter(gnad[a][0] for a in de_used).items()))
    )
    print("  en sources (articles):", dict(sorted(Counter(en[a][0] for a in en_used).items())))

    for e in errors:
        print("FAIL", e)
    print("OK" if not errors else f"{len(errors)} problem(s)")
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
