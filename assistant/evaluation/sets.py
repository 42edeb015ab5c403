"""Eval sets: JSONL sets under ``evals/<name>/`` (XQuAD as a set: ``xquad.py``).

A set is a list of ``EvalItem`` plus, per *variant*, the corpus the questions run against.
Most items use the ``full`` corpus; XQuAD's decline test asks questions again against a
``removed`` corpus that lacks their whole Wikipedia article, so the right answer is a decline.
"""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..dates import parse_as_of
from ..errors import AssistantError, QuestionError
from ..records import Filters

FULL, REMOVED, TOPIC = "full", "removed", "topic"


class EvalSetError(AssistantError):
    """An eval set is missing or malformed."""


@dataclass(frozen=True)
class EvalItem:
    """One question with its gold answers and gold articles."""

    id: str
    question: str
    language: str
    answerable: bool
    answers: tuple[str, ...] = ()
    gold_articles: tuple[str, ...] = ()
    gold_quotes: tuple[str, ...] = ()
    history: tuple[tuple[str, str], ...] = ()  # earlier (question, answer) turns
    kind: str = ""  # what the item probes: number, paraphrase, cross-lingual, ...
    variant: str = FULL  # which corpus the question runs against
    as_of: date | None = None  # the day relative dates count from (AskRequest.as_of)
    story: tuple[str, ...] = ()  # every article of a story printed more than once
    also_reported_by: tuple[str, ...] = ()  # the copies the answer must list beside its source
    filters: Filters = Filters()  # the filters it is asked with (a reader's feedback item)
    timeline: bool | None = None  # AskRequest.timeline: forced on/off; None: detected


@dataclass
class EvalSet:
    """Items plus the corpus folders each variant ingests."""

    name: str
    items: list[EvalItem]
    corpora: dict[str, list[Path]]  # variant -> folders/files to ingest
    floors: dict[str, float] = field(default_factory=dict)
    tolerance: float = 0.05
    baseline: Path | None = None
    notes: str = ""


def item_from_record(record: dict, where: str) -> EvalItem:
    """An EvalItem from one JSONL object; raises EvalSetError naming the line."""
    missing = [k for k in ("id", "question", "language", "answerable") if k not in record]
    if missing:
        raise EvalSetError(f"{where}: missing field(s) {', '.join(missing)}")
    if record["answerable"] and not record.get("answers"):
        raise EvalSetError(f"{where}: an answerable item needs at least one gold answer")
    history = tuple((str(q), str(a)) for q, a in record.get("history", ()))
    try:
        as_of = parse_as_of(record.get("as_of"))
    except (QuestionError, AttributeError):  # AttributeError: not a string at all
        raise EvalSetError(
            f"{where}: item {record['id']!r}: expected as_of as YYYY-MM-DD, "
            f"got {record.get('as_of')!r}"
        ) from None
    try:
        filters = Filters.parse(**record.get("filters", {}))
    except (QuestionError, TypeError) as exc:
        raise EvalSetError(f"{where}: item {record['id']!r}: {exc}") from None
    return EvalItem(
        id=str(record["id"]),
        question=str(record["question"]),
        language=str(record["language"]),
        answerable=bool(record["answerable"]),
        answers=tuple(map(str, record.get("answers", ()))),
        gold_articles=tuple(map(str, record.get("gold_articles", ()))),
        gold_quotes=tuple(map(str, record.get("gold_quotes", ()))),
        history=history,
        kind=str(record.get("kind", "")),
        variant=str(record.get("variant", FULL)),
        as_of=as_of,
        story=tuple(map(str, record.get("story", ()))),
        also_reported_by=tuple(map(str, record.get("also_reported_by", ()))),
        filters=filters,
        timeline=record.get("timeline"),
    )


def limits(manifest: dict, where: Path) -> dict[str, float]:
    """The set's ``floors`` and ``ceilings`` as one map of limits (a metric's direction says
    which it is); a ceiling on a metric where higher is better is refused, and so is a floor
    on one where lower is better (a floor of .05 false claims would pass 100 %)."""
    from .metrics import BY_NAME

    floors, ceilings = manifest.get("floors", {}), manifest.get("ceilings", {})
    for name, is_ceiling in [*((n, False) for n in floors), *((n, True) for n in ceilings)]:
        metric = BY_NAME.get(name)
        if metric is not None and metric.lower_is_better != is_ceiling:
            kind = "ceilings" if metric.lower_is_better else "floors"
            raise EvalSetError(f"{where}: expected {name} under {kind!r}, got it elsewhere")
    return {**floors, **ceilings}


def load_jsonl_items(path: Path) -> list[EvalItem]:
    """Every item of a JSONL file (blank lines skipped); ids must be unique."""
    items, seen = [], set()
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalSetError(f"{path}:{number}: invalid JSON ({exc.msg})") from None
        item = item_from_record(record, f"{path}:{number}")
        if item.id in seen:
            raise EvalSetError(f"{path}:{number}: duplicate id {item.id!r}")
        seen.add(item.id)
        items.append(item)
    return items


def load_set_dir(
    folder: Path,
    root: Path,
    cache: Path | None = None,
    data_dir: Path | None = None,
    full: bool = False,
) -> EvalSet:
    """A set folder: ``items.jsonl`` plus ``set.json`` naming its corpus, floors, tolerance.

    Corpus paths in ``set.json`` are relative to the project ``root``, or to the set's own
    folder when they start with ``./`` (a set that carries its corpus); ``shared_corpus``
    (``{"10kgnad-test.csv": 300, ...}``) adds the first articles of shared news files,
    written as JSONL under ``cache``. Where it lists ``ids`` (the fixed corpus), those
    articles are the corpus, unless ``full`` asks for the whole ``first`` + ``also``.
    """
    manifest_path = folder / "set.json"
    if not manifest_path.is_file():
        raise EvalSetError(f"expected {manifest_path} naming the set's corpus, found none")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    corpora = {
        variant: [(folder if p.startswith("./") else root) / p for p in paths]
        for variant, paths in manifest.get("corpora", {FULL: ["corpus"]}).items()
    }
    if manifest.get("shared_corpus"):
        if cache is None or data_dir is None:
            raise EvalSetError(
                f"set {folder.name} reads shared data: expected a cache folder "
                f"and the data folder, got {cache} and {data_dir}"
            )
        corpora.setdefault(FULL, []).append(
            shared_corpus(manifest["shared_corpus"], data_dir, cache / "corpus-shared", full)
        )
    items = load_jsonl_items(folder / "items.jsonl")
    if not full:
        check_fixed_corpus(folder.name, manifest.get("shared_corpus") or {}, items)
    return EvalSet(
        name=folder.name,
        items=items,
        corpora=corpora,
        floors=limits(manifest, manifest_path),
        tolerance=float(manifest.get("tolerance", 0.05)),
        baseline=folder / "baseline.json",
        notes=manifest.get("notes", ""),
    )


def news_distractors(csv_path: Path, limit: int | None = None) -> list[dict]:
    """10kGNAD articles (``category;text``) as article records ``gnad-<n>``."""
    csv.field_size_limit(sys.maxsize)
    records: list[dict] = []
    with open(csv_path, encoding="utf-8", newline="") as handle:
        for n, row in enumerate(csv.reader(handle, delimiter=";", quotechar="'")):
            if limit is not None and len(records) >= limit:
                break
            if len(row) >= 2 and row[1].strip():
                title = row[1].strip().split(". ", 1)[0][:90]  # the teaser's first words
                records.append(
                    {
                        "id": f"gnad-{n}",
                        "title": title,
                        "text": row[1],
                        "language": "de",
                        "source": f"10kGNAD/{row[0]}",
                    }
                )
    return records


def english_news(csv_path: Path, limit: int | None = None) -> list[dict]:
    """news-en rows as article records ``en-<article_id>`` (empty texts left out)."""
    csv.field_size_limit(sys.maxsize)
    with open(csv_path, encoding="utf-8", newline="") as handle:
        rows = [r for _, r in zip(range(limit) if limit else iter(int, 1), csv.DictReader(handle))]
    link = "article_source_link"
    return [
        {
            "id": f"en-{r['article_id']}",
            "title": r["title"],
            "text": r["text"],
            "published": r["publish_date"],
            "url": r[link],
            "language": "en",
            "source": r[link].split("/")[2] if "//" in r[link] else "",
        }
        for r in rows
        if r["text"].strip()
    ]


SHARED_READERS = {"10kgnad-test.csv": news_distractors, "news-en.csv": english_news}


def shared_corpus(
    spec: dict[str, int | dict | None], data_dir: Path, folder: Path, full: bool = False
) -> Path:
    """Write the articles of each shared news file named in ``spec`` under ``folder``: the
    first N (``N`` or ``{"first": N}``), plus the rows listed in ``"also"`` (article ids);
    or, where ``"ids"`` lists the fixed corpus and ``full`` is false, exactly those rows."""
    for name, value in spec.items():
        if name not in SHARED_READERS:
            raise EvalSetError(
                f"expected shared corpus files {sorted(SHARED_READERS)}, got {name!r}"
            )
        path = data_dir / name
        if not path.is_file():
            raise EvalSetError(f"the set's corpus needs {path} (shared data)")
        write_jsonl(folder / f"{Path(name).stem}.jsonl", shared_rows(name, path, value, full))
    return folder


def shared_rows(name: str, path: Path, value: int | dict | None, full: bool = False) -> list[dict]:
    """The records ``value`` selects from one shared file (see ``shared_corpus``)."""
    spec: dict = value if isinstance(value, dict) else {"first": value}
    unknown = set(spec) - {"first", "also", "ids"}
    if unknown:
        raise EvalSetError(f"expected 'first', 'also' and 'ids' for {name}, got {sorted(unknown)}")
    if spec.get("ids") and not full:
        fixed = {str(i) for i in spec["ids"]}
        return [r for r in SHARED_READERS[name](path, None) if r["id"] in fixed]
    records = SHARED_READERS[name](path, spec.get("first"))
    also = {str(a) for a in spec.get("also", ())}
    if also:
        have = {r["id"] for r in records}
        records += [
            r for r in SHARED_READERS[name](path, None) if r["id"] in also and r["id"] not in have
        ]
    return records


def check_fixed_corpus(name: str, spec: dict, items: list[EvalItem]) -> None:
    """A fixed corpus (``ids``) must hold every article an item names as gold, story or
    copy: a missing one would turn a hard item into an easy decline."""
    fixed = {str(i) for v in spec.values() if isinstance(v, dict) for i in v.get("ids", ())}
    if not fixed:
        return
    named = {a for i in items for a in (*i.gold_articles, *i.story, *i.also_reported_by)}
    missing = sorted(named - fixed)
    if missing:
        raise EvalSetError(
            f"set {name}: expected the fixed corpus ('ids') to hold every gold, story and copy "
            f"article, got {len(missing)} missing: {', '.join(missing[:10])}"
        )


def write_jsonl(path: Path, records: list[dict]) -> Path:
    """Write records as JSONL, leaving the file alone when its content is unchanged."""
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path
