"""What a fetched URL lists: the entries of an RSS/Atom feed or of a (news) sitemap.

Feeds are parsed by feedparser (every RSS and Atom dialect, broken XML included) from the
bytes we fetched (it never fetches itself). Sitemaps are plain XML with a fixed schema,
so the stdlib parser reads them (``urlset`` with ``news:news`` publication date, title,
publication name and language; ``sitemapindex`` lists further sitemaps); its expat
refuses entity expansion bombs. Anything else is taken for an article page.
"""

from __future__ import annotations

import calendar
import io
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime

SITEMAP_TAGS = ("urlset", "sitemapindex")


@dataclass(frozen=True)
class Entry:
    """One article a listing points to, with what the listing says about it."""

    url: str
    title: str = ""
    published: str = ""  # ISO date or ""
    source: str = ""
    language: str = ""


@dataclass(frozen=True)
class Listing:
    """A feed's or sitemap's entries; a sitemap index's child sitemaps."""

    kind: str  # "feed" or "sitemap"
    entries: tuple[Entry, ...] = ()
    sitemaps: tuple[str, ...] = ()
    title: str = ""


def read_listing(body: bytes, url: str) -> Listing | None:
    """The listing in ``body`` (fetched from ``url``), or None for an article page."""
    return _sitemap(body) or _feed(body, url)


def _sitemap(body: bytes) -> Listing | None:
    head = body.lstrip()[:512].lower()
    if not head.startswith(b"<?xml") and b"<urlset" not in head and b"<sitemapindex" not in head:
        return None
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    tag = _local(root.tag)
    if tag not in SITEMAP_TAGS:
        return None
    if tag == "sitemapindex":
        return Listing("sitemap", sitemaps=tuple(_locs(root, "sitemap")))
    return Listing("sitemap", entries=tuple(_url_entry(node) for node in _children(root, "url")))


def _url_entry(node: ET.Element) -> Entry:
    news = _first(node, "news")
    publication = _first(news, "publication") if news is not None else None
    return Entry(
        url=_text(_first(node, "loc")),
        title=_text(_first(news, "title")) if news is not None else "",
        published=_day(_text(_first(news, "publication_date")) if news is not None else "")
        or _day(_text(_first(node, "lastmod"))),
        source=_text(_first(publication, "name")) if publication is not None else "",
        language=_text(_first(publication, "language")) if publication is not None else "",
    )


def _feed(body: bytes, url: str) -> Listing | None:
    import feedparser

    parsed = feedparser.parse(io.BytesIO(body), response_headers={"content-location": url})
    if not parsed.get("version"):
        return None
    title = str(parsed.feed.get("title", ""))
    language = str(parsed.feed.get("language", ""))
    entries = tuple(
        Entry(
            url=str(e.get("link", "")),
            title=str(e.get("title", "")),
            published=_struct_day(e.get("published_parsed") or e.get("updated_parsed")),
            source=title,
            language=language,
        )
        for e in parsed.entries
        if e.get("link")
    )
    return Listing("feed", entries, title=title)


def _children(node: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in node if _local(child.tag) == name]


def _first(node: ET.Element | None, name: str) -> ET.Element | None:
    found = _children(node, name) if node is not None else []
    return found[0] if found else None


def _locs(root: ET.Element, name: str) -> list[str]:
    return [loc for n in _children(root, name) if (loc := _text(_first(n, "loc")))]


def _text(node: ET.Element | None) -> str:
    return (node.text or "").strip() if node is not None else ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _day(value: str) -> str:
    """``YYYY-MM-DD`` from a W3C datetime (sitemaps), or "" when it is none."""
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).strftime("%Y-%m-%d")
    except ValueError:
        return ""


def _struct_day(value: time.struct_time | None) -> str:
    """feedparser's UTC struct_time as ``YYYY-MM-DD``."""
    if not value:
        return ""
    return datetime.fromtimestamp(calendar.timegm(value), UTC).strftime("%Y-%m-%d")
