"""The feeds to follow: ``feeds.toml`` (stdlib tomllib) and durations such as ``15m``.

::

    [defaults]          # optional; each [[feed]] may override these
    max_items = 30
    refresh = "15m"

    [[feed]]
    url = "https://example.org/feed.xml"   # RSS, Atom, a (news) sitemap or an article page
    name = "Example News"                  # the articles' source (default: the site's name)
    language = "en"                        # default: detected per article

Unknown keys are refused, so a typo (``max_item``) is an error, not a silent default.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError

FEED_KEYS = ("url", "name", "language", "max_items", "refresh")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class FeedSource:
    """One URL to poll and its settings."""

    url: str
    name: str = ""
    language: str = ""
    max_items: int = 50
    refresh_s: float = 0.0  # 0: every run


def parse_duration(text: str | float | int) -> float:
    """Seconds from ``90``, ``30s``, ``15m``, ``2h`` or ``1d``."""
    if isinstance(text, (int, float)) and not isinstance(text, bool) and text >= 0:
        return float(text)
    match = _DURATION.match(str(text))
    if not match:
        raise ConfigError(f"expected a duration such as 30s, 15m or 2h, got {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def load_feeds(path: Path, max_items: int = 50) -> tuple[FeedSource, ...]:
    """The ``[[feed]]`` tables of ``path`` with ``[defaults]`` applied."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"expected a readable TOML feed list at {path}, got {exc}") from None
    defaults = _table(data.get("defaults", {}), f"{path} [defaults]")
    feeds = data.get("feed", [])
    if not isinstance(feeds, list) or not feeds:
        raise ConfigError(f"expected one or more [[feed]] tables in {path}, got none")
    base = {"max_items": max_items, **defaults}
    return tuple(
        feed_source({**base, **_table(f, f"{path} feed {n}")}, f"{path} feed {n}")
        for n, f in enumerate(feeds, 1)
    )


def feed_source(fields: dict, where: str) -> FeedSource:
    """A checked FeedSource from one table's fields."""
    url = fields.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ConfigError(f"{where}: expected url = an http(s) URL, got {url!r}")
    items = fields.get("max_items", 50)
    if not isinstance(items, int) or isinstance(items, bool) or items < 1:
        raise ConfigError(f"{where}: expected max_items >= 1, got {items!r}")
    return FeedSource(
        url=url,
        name=str(fields.get("name") or ""),
        language=str(fields.get("language") or ""),
        max_items=items,
        refresh_s=parse_duration(fields.get("refresh", 0)),
    )


def _table(value: object, where: str) -> dict:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table, got {type(value).__name__}")
    unknown = sorted(set(value) - set(FEED_KEYS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)}, expected {', '.join(FEED_KEYS)}"
        )
    return value
