"""Text formats -> Article: ``.txt`` and ``.md`` (front matter), ``.html`` (BeautifulSoup).

Strict where guessing went wrong before: a ``---`` first line without a closing fence was
indexed as body text, an HTML file without a body became its ``<title>``, and a Markdown
file of headings only became its sub-headings. Each is now an ArticleError (a Skipped).
"""

from __future__ import annotations

import re

from ..errors import ArticleError
from ..records import Article
from .articles import OPTIONAL, language_code, make_article

FRONT_MATTER_FIELDS = ("id", "title", *OPTIONAL)
_FENCE = "---"
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARKUP = re.compile(r"(^#{1,6}\s+|^>\s?|^\s*[-*+]\s+|\*\*|__|`)", re.M)
_MD_HEADING = re.compile(r"^#{1,6}\s+(.+)$", re.M)
_MD_RULE = re.compile(r"^[ \t]*([-*_=])([ \t]*\1){2,}[ \t]*$", re.M)  # ---, ***, === lines
_HTML_NOISE = [
    *("head", "title", "script", "style", "nav", "header", "footer", "aside", "form"),
    *("noscript", "iframe", "svg", "button", "figure", "template"),
]
_HTML_BLOCKS = ["p", "h2", "h3", "h4", "li", "blockquote"]
_HTML_HEADINGS = ["h1", "h2", "h3", "h4", "h5", "h6"]


def from_text(raw: str, default_id: str, path: str, markdown: bool, encoding: str) -> Article:
    """A ``.txt`` (plain) or ``.md`` article with optional front matter."""
    meta, body = parse_front_matter(raw)
    if markdown:
        meta, body = _markdown(meta, body)
    return make_article(meta, default_id, path, body=body, encoding=encoding)


def _markdown(meta: dict, body: str) -> tuple[dict, str]:
    if body.strip() and not _MD_RULE.sub("", _MD_HEADING.sub("", body)).strip():
        raise ArticleError("expected body text below the headings, got only headings")
    heading = re.search(r"^#\s+(.+)$", body, re.M)
    if heading and "title" not in meta:
        meta = {**meta, "title": heading.group(1).strip()}
        body = body[: heading.start()] + body[heading.end() :]
    return meta, _MD_MARKUP.sub("", _MD_LINK.sub(r"\1", body))


def parse_front_matter(raw: str) -> tuple[dict, str]:
    """``key: value`` lines between leading ``---`` fences, and the body after them."""
    lines = raw.split("\n")
    if lines[0].strip() != _FENCE:
        return {}, raw
    end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == _FENCE), None)
    if end is None:
        raise ArticleError("front matter: expected a closing '---' line, got none")
    meta: dict[str, str] = {}
    for number, line in enumerate(lines[1:end], 2):
        if line.strip() and not line.lstrip().startswith("#"):
            key, value = _field(number, line)
            if key in meta:
                raise ArticleError(
                    f"front matter line {number}: expected each field once, got {key!r} again"
                )
            meta[key] = value
    return meta, "\n".join(lines[end + 1 :])


def _field(number: int, line: str) -> tuple[str, str]:
    key, sep, value = line.partition(":")
    if not sep:
        raise ArticleError(f"front matter line {number}: expected 'key: value', got {line!r}")
    key = key.strip().lower()
    if key not in FRONT_MATTER_FIELDS:
        raise ArticleError(
            f"front matter line {number}: unknown field {key!r}, expected "
            f"one of {', '.join(sorted(FRONT_MATTER_FIELDS))}"
        )
    return key, value.strip().strip("\"'")


def from_html(raw: str, default_id: str, path: str, encoding: str) -> Article:
    """The text of ``<article>``, ``<main>`` or ``<body>`` without navigation and scripts."""
    from bs4 import BeautifulSoup  # lazy: only HTML needs it

    soup = BeautifulSoup(raw, "html.parser")
    meta = {
        "title": _html_title(soup),
        "published": _html_meta(soup, "article:published_time"),
        "source": _html_meta(soup, "og:site_name"),
        "url": _html_meta(soup, "og:url"),
        "language": language_code(soup.html.get("lang", "") if soup.html else "", strict=False),
    }
    for tag in soup(_HTML_NOISE):
        tag.decompose()
    text = _html_text(soup.find("article") or soup.find("main") or soup.body or soup)
    if not text:
        raise ArticleError(
            "expected text in <article>, <main> or <body>, got none "
            "(only headings, a <title>, navigation or scripts)"
        )
    return make_article(meta, default_id, path, body=text, encoding=encoding)


def _html_text(root) -> str:
    """Block texts (paragraphs, sub-headings, list items); loose text when there are none."""
    blocks = root.find_all(_HTML_BLOCKS)
    if any(b.name not in _HTML_HEADINGS and b.get_text(strip=True) for b in blocks):
        return "\n".join(b.get_text(" ", strip=True) for b in blocks)
    for heading in root.find_all(_HTML_HEADINGS):
        heading.decompose()
    return root.get_text("\n", strip=True)


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
