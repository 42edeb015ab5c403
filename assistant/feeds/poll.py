"""Poll one feed: fetch it (conditionally), fetch its new or changed articles, write them.

Every article becomes one JSONL file ``<folder>/<host>/<sha of its URL>.jsonl``, so the
existing incremental ingest decides what was added, updated or unchanged and a rebuild
needs nothing but the folder. A page's validators are stored only once its file is
written, and a feed's only when every entry went in: a 304 then really means "nothing
new for us", and an entry that failed is tried again on the next poll.

A sitemap index is followed one level: its first ``MAX_SITEMAPS`` child sitemaps are
fetched through the same fetcher (guard, robots.txt, interval) and their entries merged. A
child that fails, is a page, or is an index again (nesting, or a loop back to the index) is
reported in ``failed`` and not followed, so one bad child costs its own entries only and
no index can make a poll fetch more than ``MAX_SITEMAPS + 1`` listings.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import AssistantError
from ..ingest.files import Skipped
from .fetch import Fetch, Response
from .listing import Entry, Listing, read_listing
from .page import canonical_url, page_record
from .sources import FeedSource
from .store import FeedStore, Validators

MAX_SITEMAPS = 10  # child sitemaps read from one sitemap index


@dataclass
class FeedOutcome:
    """What polling one feed did (counts of responses and the entries that failed)."""

    not_modified: bool = False
    pages_fetched: int = 0
    pages_not_modified: int = 0
    failed: list[Skipped] = field(default_factory=list)


class Poller:
    """Fetches feeds and their articles into a folder of JSONL files."""

    def __init__(self, fetcher: Fetch, store: FeedStore, folder: Path):
        self.fetcher = fetcher
        self.store = store
        self.folder = Path(folder)

    def poll(self, source: FeedSource) -> FeedOutcome:
        """Poll ``source``; FetchError (or another AssistantError) when the feed itself fails."""
        outcome = FeedOutcome()
        response = self.fetcher.get(source.url, self.store.validators(source.url))
        if response.not_modified:
            outcome.not_modified = True
            return outcome
        listing = read_listing(response.body, response.url)
        if listing is None:  # the URL is an article page
            self._save_page(response, Entry(source.url), source)
            outcome.pages_fetched += 1
        else:
            for entry in self._entries(listing, source, response.url, outcome):
                self._entry(entry, source, outcome)
        if not outcome.failed:
            self.store.save_validators(source.url, response.validators)
        return outcome

    def _entries(
        self, listing: Listing, source: FeedSource, at: str, outcome: FeedOutcome
    ) -> list[Entry]:
        """The listing's first ``max_items`` entries (a sitemap index's, from its children;
        ``at`` is where the listing was fetched, so a child pointing back is not refetched)."""
        entries = list(listing.entries)
        seen = {at, source.url}
        for url in list(dict.fromkeys(listing.sitemaps))[:MAX_SITEMAPS]:
            if len(entries) >= source.max_items:
                break
            if url in seen:
                outcome.failed.append(Skipped(url, _not_followed(url, "the index itself")))
                continue
            seen.add(url)
            entries += self._child_entries(url, outcome)
        unique: dict[str, Entry] = {}
        for entry in entries:  # an article listed twice (two children) is fetched once
            unique.setdefault(entry.url, entry)
        return list(unique.values())[: source.max_items]

    def _child_entries(self, url: str, outcome: FeedOutcome) -> list[Entry]:
        """The entries of one child sitemap of an index; [] with the reason in ``failed``."""
        try:
            response = self.fetcher.get(url)
            child = read_listing(response.body, response.url)
        except AssistantError as exc:
            outcome.failed.append(Skipped(url, str(exc)))
            return []
        if child is None or child.sitemaps:
            got = "another sitemap index" if child else "an article page"
            outcome.failed.append(Skipped(url, _not_followed(url, got)))
            return []
        return list(child.entries)

    def _entry(self, entry: Entry, source: FeedSource, outcome: FeedOutcome) -> None:
        """Fetch one entry's page unless it answers 304 and its file is there."""
        path = self.file_for(entry.url)
        validators = self.store.validators(entry.url) if path.is_file() else Validators()
        try:
            response = self.fetcher.get(entry.url, validators)
            if response.not_modified:
                outcome.pages_not_modified += 1
                return
            self._save_page(response, entry, source)
            outcome.pages_fetched += 1
        except AssistantError as exc:
            outcome.failed.append(Skipped(entry.url, str(exc)))

    def _save_page(self, response: Response, entry: Entry, source: FeedSource) -> None:
        record = page_record(response.body, response.url, entry, source)
        text = json.dumps(record, ensure_ascii=False) + "\n"
        write_atomic(self.file_for(entry.url), text, self.folder.parent)
        self.store.save_validators(entry.url, response.validators)

    def file_for(self, url: str) -> Path:
        """Where the article listed as ``url`` is kept."""
        canonical = canonical_url(url)
        host = (urlsplit(canonical).hostname or "unknown").replace(":", "_")
        digest = hashlib.sha256(canonical.encode()).hexdigest()[:20]
        return self.folder / host / f"{digest}.jsonl"


def _not_followed(url: str, got: str) -> str:
    return (
        f"expected a sitemap or feed listing articles in a sitemap index, got {got} at {url}; "
        "not followed (sitemap indexes are read one level deep)"
    )


def write_atomic(path: Path, text: str, scratch: Path) -> None:
    """Write ``text`` to ``path`` via a temporary file in ``scratch`` (outside the ingested
    folder, so an ingest never reads a half-written file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=scratch, suffix=".part")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(temporary, path)
