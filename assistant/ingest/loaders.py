"""Loaders turn files into Articles: .txt, .md (front matter), .html, .jsonl.

Each loader yields ``Article`` or ``Skipped`` records, so one broken file (or JSONL line)
is reported with its reason while the rest of the folder is still read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import ArticleError
from ..language import detect_language
from ..records import Article
from .normalize import normalize_date, normalize_text

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".jsonl")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.S)
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARKUP = re.compile(r"(^#{1,6}\s+|^>\s?|^\s*[-*+]\s+|\*\*|__|`)", re.M)
_KNOWN_FIELDS = {"id", "title", "text", "published", "source", "url", "language", "date"}


@dataclass(frozen=True)
class Skipped:
    """A file or line that could not become an Article, and why."""

    where: str
    reason: str


def iter_articles(path: Path) -> Iterator[Article | Skipped]:
    """Every article under ``path`` (a file or a folder, recursively, sorted)."""
    path = Path(path)
    if not path.exists():
        yield Skipped(str(path), "no such file or folder")
        return
    files = (
        [path]
        if path.is_file()
        else sorted(
            p
            for p in path.rglob("*")
            if p.is_file()
            and p.suffix.lower() in SUFFIXES
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
    )
    root = path.parent if path.is_file() else path
    for file in files:
        yield from _load_file(file, root)


def _load_file(file: Path, root: Path) -> Iterator[Article | Skipped]:
    suffix = file.suffix.lower()
    try:
        raw = file.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        yield Skipped(str(file), f"cannot read as UTF-8 text: {exc}")
        return
    if suffix == ".jsonl":
        yield from _load_jsonl(raw, file)
        return
    default_id = file.relative_to(root).with_suffix("").as_posix()
    try:
        if suffix in (".html", ".htm"):
            yield _from_html(raw, default_id, file)
        else:
            yield _from_text(raw, default_id, file, markdown=suffix != ".txt")
    except ArticleError as exc:
        yield Skipped(str(file), str(exc))


def _load_jsonl(raw: str, file: Path) -> Iterator[Article | Skipped]:
    for number, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{file}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Skipped(where, f"expected one JSON object per line, got invalid JSON ({exc.msg})")
            continue
        try:
            yield article_from_record(record, str(file))
        except ArticleError as exc:
            yield Skipped(where, str(exc))


def article_from_record(record: object, path: str = "") -> Article:
    """An Article from a JSON object with ``id``, ``title``, ``text`` and optional metadata."""
    if not isinstance(record, dict):
        raise ArticleError(f"expected a JSON object, got {type(record).__name__}")
    missing = [k for k in ("id", "title", "text") if not str(record.get(k) or "").strip()]
    if missing:
        raise ArticleError(f"missing required field(s): {', '.join(missing)}")
    for key in ("id", "title", "text"):
        if not isinstance(record[key], (str, int)):
            raise ArticleError(f"{key}: expected a string, got {type(record[key]).__name__}")
    return make_article(record, str(record["id"]), path)


def make_article(meta: dict, default_id: str, path: str, body: str | None = None) -> Article:
    """Normalise fields, detect the language when it is not given, validate the text."""
    text = normalize_text(body if body is not None else str(meta.get("text", "")))
    if not text:
        raise ArticleError("expected article text, got an empty text")
    language = str(meta.get("language") or "").strip().lower()[:2] or detect_language(text)
    title = normalize_text(str(meta.get("title") or "")).replace("\n", " ")
    return Article(
        id=str(meta.get("id") or default_id).strip(),
        title=title or _title_from_text(text),
        text=text,
        language=language,
        source=str(meta.get("source") or "").strip(),
        url=str(meta.get("url") or "").strip(),
        published=normalize_date(meta.get("published") or meta.get("date")),
        path=path,
    )


def _title_from_text(text: str, limit: int = 90) -> str:
    first = text.split("\n", 1)[0]
    return first if len(first) <= limit else first[: limit - 1].rsplit(" ", 1)[0] + "…"


def _from_text(raw: str, default_id: str, file: Path, markdown: bool) -> Article:
    meta, body = parse_front_matter(raw)
    if markdown:
        if "title" not in meta:
            heading = re.search(r"^#\s+(.+)$", body, re.M)
            if heading:
                meta["title"] = heading.group(1).strip()
                body = body[: heading.start()] + body[heading.end() :]
        body = _MD_MARKUP.sub("", _MD_LINK.sub(r"\1", body))
    return make_article(meta, default_id, str(file), body=body)


def parse_front_matter(raw: str) -> tuple[dict, str]:
    """``key: value`` lines between leading ``---`` fences, and the body after them."""
    match = _FRONT_MATTER.match(raw)
    if not match:
        return {}, raw
    meta = {}
    for number, line in enumerate(match.group(1).splitlines(), 2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise ArticleError(f"front matter line {number}: expected 'key: value', got {line!r}")
        key = key.strip().lower()
        if key not in _KNOWN_FIELDS:
            raise ArticleError(
                f"front matter line {number}: unknown field {key!r}, expected "
                f"one of {', '.join(sorted(_KNOWN_FIELDS - {'text'}))}"
            )
        meta[key] = value.strip().strip("\"'")
    return meta, raw[match.end() :]


def _from_html(raw: str, default_id: str, file: Path) -> Article:
    from bs4 import BeautifulSoup  # lazy: only HTML needs it

    soup = BeautifulSoup(raw, "html.parser")
    meta = {
        "title": _html_title(soup),
        "published": _html_meta(soup, "article:published_time"),
        "source": _html_meta(soup, "og:site_name"),
        "url": _html_meta(soup, "og:url"),
        "language": (soup.html.get("lang", "") if soup.html else ""),
    }
    for tag in soup(
        [
            "script",
            "style",
            "nav",
            "header",
            "footer",
            "aside",
            "form",
            "noscript",
            "iframe",
            "svg",
            "button",
            "figure",
        ]
    ):
        tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    blocks = root.find_all(["p", "h2", "h3", "h4", "li", "blockquote"])
    text = (
        "\n".join(b.get_text(" ", strip=True) for b in blocks)
        if blocks
        else root.get_text("\n", strip=True)
    )
    return make_article(meta, default_id, str(file), body=text)


def _html_title(soup) -> str:
    og = _html_meta(soup, "og:title")
    if og:
        return og
    h1 = soup.find("h1")
    if h1 and h1.get_text(strip=True):
        return h1.get_text(" ", strip=True)
    return soup.title.get_text(strip=True) if soup.title else ""


def _html_meta(soup, name: str) -> str:
    tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
    return str(tag.get("content", "")).strip() if tag else ""
