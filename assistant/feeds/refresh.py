"""One refresh run (poll the due feeds, ingest their folder) and the loops that repeat it.

The run ingests ``<index_dir>/feeds`` with the ordinary ``Assistant.ingest``, so "added,
updated, unchanged" mean what they mean for files. A feed that fails keeps its articles
(nothing is pruned) and is tried again after 1, 2, 4 ... minutes, at most six hours
(``next_attempt`` in feeds.sqlite3). The server runs the same loop in a daemon thread and
holds its ingest lock only while ingesting, so uploads wait seconds, not a whole poll. A run
that raises is reported and the loop goes on to the next tick; an error that is not an
``AssistantError`` (a bug, a full disk) too, with its traceback on stderr, because in the
server's thread it would otherwise end refreshing silently while the server kept serving
(``tests/test_feeds_background.py``).
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime

from ..errors import AssistantError
from ..ingest.files import Skipped
from ..ingest.pipeline import IngestReport
from .fetch import Fetch, make_fetcher
from .poll import FeedOutcome, Poller
from .sources import FeedSource
from .store import FeedState, FeedStore

BACKOFF_BASE_S = 60.0
BACKOFF_MAX_S = 6 * 3600.0


@dataclass(frozen=True)
class FeedRun:
    """What one refresh run did."""

    started: str  # ISO time (UTC)
    seconds: float
    feeds_polled: int
    feeds_not_modified: int  # answered 304
    feeds_deferred: int  # not due yet (refresh interval or backoff)
    pages_fetched: int
    pages_not_modified: int
    added: int
    updated: int
    unchanged: int
    failed: tuple[Skipped, ...] = ()
    merged: int = 0  # articles recorded as copies of another article (ingest/copies.py)

    def to_dict(self) -> dict:
        """JSON form (``GET /api/index`` ``feeds.last_run``, feeds.sqlite3)."""
        counts = {k: v for k, v in self.__dict__.items() if k != "failed"}
        return {**counts, "failed": [{"where": f.where, "reason": f.reason} for f in self.failed]}

    def summary(self) -> str:
        """One line for people."""
        return (
            f"feeds: {self.feeds_polled} polled, {self.feeds_not_modified} not modified, "
            f"{self.feeds_deferred} not due; pages: {self.pages_fetched} fetched, "
            f"{self.pages_not_modified} not modified; articles: {self.added} added, "
            f"{self.merged} merged as copies, "
            f"{self.updated} updated, {self.unchanged} unchanged; {len(self.failed)} failed; "
            f"{self.seconds:.1f} s"
        )


class Refresher:
    """Polls a list of feeds into ``<index_dir>/feeds`` and ingests it."""

    def __init__(
        self,
        assistant,
        sources: Sequence[FeedSource],
        lock: AbstractContextManager | None = None,
        fetcher: Callable[[], Fetch] | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.assistant = assistant
        self.sources = tuple(sources)
        self.lock = lock or contextlib.nullcontext()
        self.make_fetcher = fetcher or (lambda: make_fetcher(assistant.settings))
        self.clock = clock
        self.folder = assistant.settings.index_dir / "feeds"
        self.store = FeedStore(assistant.settings.index_dir / "feeds.sqlite3")
        self.last_run: FeedRun | None = None

    def run(self, force: bool = False) -> FeedRun:
        """Poll every due feed (every feed with ``force``), ingest, record the run."""
        started, begun = datetime.now(UTC), time.perf_counter()
        due = [s for s in self.sources if force or self._due(s)]
        outcomes, failed = self._poll(due)
        report = self._ingest()
        failed += [Skipped(s.where, s.reason) for s in report.skipped]
        run = FeedRun(
            started=started.isoformat(timespec="seconds"),
            seconds=round(time.perf_counter() - begun, 3),
            feeds_polled=len(due),
            feeds_not_modified=sum(o.not_modified for o in outcomes),
            feeds_deferred=len(self.sources) - len(due),
            pages_fetched=sum(o.pages_fetched for o in outcomes),
            pages_not_modified=sum(o.pages_not_modified for o in outcomes),
            added=report.added,
            updated=report.updated,
            unchanged=report.unchanged,
            failed=tuple(failed),
            merged=report.merged,
        )
        self.store.add_run(run.to_dict())
        self.last_run = run
        return run

    def _poll(self, due: list[FeedSource]) -> tuple[list[FeedOutcome], list[Skipped]]:
        fetcher = self.make_fetcher()
        poller = Poller(fetcher, self.store, self.folder)
        outcomes: list[FeedOutcome] = []
        failed: list[Skipped] = []
        try:
            for source in due:
                try:
                    outcome = poller.poll(source)
                except AssistantError as exc:
                    failed.append(Skipped(source.url, str(exc)))
                    self._failed(source, str(exc))
                    continue
                outcomes.append(outcome)
                failed += outcome.failed
                self._succeeded(source)
        finally:
            close = getattr(fetcher, "close", None)
            if close is not None:
                close()
        return outcomes, failed

    def _ingest(self) -> IngestReport:
        if not self.folder.is_dir():
            return IngestReport()
        with self.lock:
            return self.assistant.ingest(self.folder)

    def _due(self, source: FeedSource) -> bool:
        return self.store.feed_state(source.url).next_attempt <= self.clock()

    def _succeeded(self, source: FeedSource) -> None:
        self.store.save_feed_state(source.url, FeedState(0, self.clock() + source.refresh_s))

    def _failed(self, source: FeedSource, error: str) -> None:
        failures = self.store.feed_state(source.url).failures + 1
        wait = min(BACKOFF_BASE_S * 2 ** (failures - 1), BACKOFF_MAX_S)
        self.store.save_feed_state(source.url, FeedState(failures, self.clock() + wait, error))


def watch(
    refresher: Refresher,
    every_s: float,
    stop: threading.Event,
    report: Callable[[FeedRun | AssistantError], object] = print,
) -> None:
    """Run ``refresher`` every ``every_s`` seconds until ``stop`` is set."""
    while not stop.is_set():
        _tick(refresher, report)
        stop.wait(every_s)


def _tick(refresher: Refresher, report: Callable[[FeedRun | AssistantError], object]) -> None:
    """One run, reported; whatever it raises is reported too (the loop must go on)."""
    try:
        report(refresher.run())
    except AssistantError as exc:  # e.g. the index is locked: try again next time
        report(exc)
    except Exception as exc:  # a bug keeps its traceback, but not at the loop's cost
        traceback.print_exc(file=sys.stderr)
        report(
            AssistantError(
                f"expected a refresh run, got {type(exc).__name__}: {exc} "
                "(traceback on stderr); trying again next time"
            )
        )


def start_background(
    refresher: Refresher,
    every_s: float,
    report: Callable[[FeedRun | AssistantError], object] = print,
) -> threading.Event:
    """``watch`` in a daemon thread (``assistant serve --refresh``); set the event to stop."""
    stop = threading.Event()
    thread = threading.Thread(
        target=watch, args=(refresher, every_s, stop, report), name="feed-refresh", daemon=True
    )
    thread.start()
    return stop
