"""Loaders turn files into Articles: .txt, .md, .html, .jsonl, .pdf, .docx.

Each loader yields ``Article`` or ``Skipped`` records, so one broken file (or JSONL line)
is reported with its reason while the rest of the folder is still read. Every entry under
the path is accounted for: read, or skipped with a reason (unsupported type, hidden,
symlink loop, unreadable, undecodable, malformed); nothing is dropped silently.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ..errors import ArticleError
from ..records import Article
from .articles import article_from_record, make_article
from .documents import from_docx, from_pdf
from .encoding import decode
from .files import Skipped, iter_files
from .formats import from_html, from_text, parse_front_matter

__all__ = [
    "SUFFIXES",
    "Skipped",
    "article_from_record",
    "iter_articles",
    "make_article",
    "parse_front_matter",
]

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".jsonl")
DOCUMENT_SUFFIXES = (".pdf", ".docx")
SUFFIXES = TEXT_SUFFIXES + DOCUMENT_SUFFIXES


def iter_articles(path: Path | str) -> Iterator[Article | Skipped]:
    """Every article under ``path`` (a file or a folder, recursively, sorted), or why not."""
    path = Path(path)
    root = path.parent if path.is_file() else path
    for item in iter_files(path):
        if isinstance(item, Skipped):
            yield item
        else:
            yield from _load_file(item, root)


def _load_file(file: Path, root: Path) -> Iterator[Article | Skipped]:
    suffix = file.suffix.lower()
    if suffix not in SUFFIXES:
        yield Skipped(str(file), _unsupported(suffix))
        return
    try:
        raw = file.read_bytes()
    except OSError as exc:
        yield Skipped(str(file), f"cannot read file: {exc.strerror or exc}")
        return
    if not raw:
        yield Skipped(str(file), "expected article text, got an empty file (0 bytes)")
        return
    default_id = file.relative_to(root).with_suffix("").as_posix()
    try:
        yield from _parse(raw, suffix, default_id, str(file))
    except ArticleError as exc:
        yield Skipped(str(file), str(exc))


def _parse(raw: bytes, suffix: str, default_id: str, path: str) -> Iterator[Article | Skipped]:
    """The article(s) in one file; ArticleError for a file that yields none."""
    if suffix == ".pdf":
        yield from_pdf(raw, default_id, path)
        return
    if suffix == ".docx":
        yield from_docx(raw, default_id, path)
        return
    decoded = decode(raw)
    if suffix == ".jsonl":
        yield from _load_jsonl(decoded.text, path, decoded.encoding)
    elif suffix in (".html", ".htm"):
        yield from_html(decoded.text, default_id, path, decoded.encoding)
    else:
        markdown = suffix != ".txt"
        yield from_text(decoded.text, default_id, path, markdown, decoded.encoding)


def _load_jsonl(raw: str, path: str, encoding: str) -> Iterator[Article | Skipped]:
    lines = [(n, line) for n, line in enumerate(raw.split("\n"), 1) if line.strip()]
    if not lines:
        raise ArticleError("expected one JSON object per line, got only blank lines")
    for number, line in lines:
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Skipped(where, f"expected one JSON object per line, got invalid JSON ({exc.msg})")
            continue
        try:
            yield article_from_record(record, path, encoding)
        except ArticleError as exc:
            yield Skipped(where, str(exc))


def _unsupported(suffix: str) -> str:
    return f"unsupported file type {suffix or '(no suffix)'}, expected one of {', '.join(SUFFIXES)}"
