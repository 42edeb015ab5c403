"""Feeds and pages in, refreshed on a schedule: RSS/Atom, (news) sitemaps, article pages.

fetch.py (httpx; polite and guarded; pinning.py connects to the checked addresses only)
-> listing.py (feedparser, stdlib XML) -> page.py (trafilatura) -> poll.py (one JSONL file
per article under ``<index_dir>/feeds``) -> refresh.py (``Assistant.ingest`` on that
folder; backoff; the run's report). The articles
go through the same loaders and incremental pipeline as files, so every entry is
accounted for and a rebuild needs only the folder.
"""

from __future__ import annotations

from .refresh import FeedRun, Refresher, start_background, watch
from .sources import FeedSource, load_feeds, parse_duration

__all__ = [
    "FeedRun",
    "FeedSource",
    "Refresher",
    "load_feeds",
    "parse_duration",
    "start_background",
    "watch",
]
