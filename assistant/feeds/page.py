"""An article page -> a JSONL record (trafilatura), keyed by its canonical URL.

trafilatura finds the main text without navigation, teasers and footers, and the title,
date, author, site name and canonical URL from the page's metadata; it gets the HTML we
fetched (``bare_extraction``), never a URL, so every request goes through fetch.py's
checks. What the listing said (title, date, source, language) wins over what the page
guesses; the feed's own settings win over both.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from ..errors import ArticleError
from ..ingest.articles import language_code
from .listing import Entry
from .sources import FeedSource

_HTML_LANG = re.compile(rb"<html[^>]*\blang\s*=\s*[\"']?([A-Za-z]{2}[A-Za-z0-9_-]*)", re.I)


def canonical_url(url: str) -> str:
    """``url`` without its fragment, with a lowercase scheme and host."""
    parts = urlsplit(url.strip())
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, "")
    )


def page_record(html: bytes, url: str, entry: Entry, feed: FeedSource) -> dict:
    """The JSONL record of the article at ``url``; ArticleError when it has no text."""
    import trafilatura

    found = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False
    )
    doc = _Fields(found if isinstance(found, dict) else found.as_dict() if found else {})
    text = doc.text.strip()
    if not text:
        raise ArticleError(f"expected article text on {url}, got none trafilatura could extract")
    title = entry.title or doc.title
    return {
        "id": _same_site(doc.url, url),
        "title": title,
        "text": _without_title(text, title),
        "published": entry.published or doc.date,
        "source": feed.name or entry.source or doc.sitename or urlsplit(url).hostname,
        "url": _same_site(doc.url, url),
        "language": feed.language or _language(entry.language, doc.language, html),
        "author": doc.author,
    }


class _Fields:
    """trafilatura's result as strings ("" for a missing field)."""

    def __init__(self, values: dict):
        self.values = values

    def __getattr__(self, name: str) -> str:
        return str(self.values.get(name) or "")


def _same_site(canonical: str, fetched: str) -> str:
    """The page's canonical URL when it is on the fetched host, else the fetched URL."""
    web = canonical.startswith(("http://", "https://"))
    if web and urlsplit(canonical).hostname == urlsplit(fetched).hostname:
        return canonical_url(canonical)
    return canonical_url(fetched)


def _without_title(text: str, title: str) -> str:
    """trafilatura keeps the headline as the first line; the record has it as title."""
    first, _, rest = text.partition("\n")
    return rest.strip() if title and first.strip() == title.strip() and rest.strip() else text


def _language(listed: str, extracted: object, html: bytes) -> str:
    """The first usable language code: the listing's, trafilatura's, ``<html lang>``."""
    match = _HTML_LANG.search(html[:4096])
    for value in (listed, extracted, match.group(1).decode() if match else ""):
        code = language_code(value, strict=False)
        if code:
            return code
    return ""
