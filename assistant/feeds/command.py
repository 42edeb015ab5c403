"""The feed commands: ``ingest URL``, ``ingest --feeds FILE``, ``watch``, ``serve --refresh``.

Kept here rather than in ``__main__`` so the command line only dispatches; every command
builds the same Refresher and prints the run's one-line summary and each failure.
"""

from __future__ import annotations

import sys
import threading

from ..errors import AssistantError, ConfigError
from .refresh import FeedRun, Refresher, start_background, watch
from .sources import FeedSource, load_feeds, parse_duration

DEFAULT_EVERY = "15m"


def is_url(text: str | None) -> bool:
    """Whether an ingest PATH is a web address rather than a file or folder."""
    return bool(text) and str(text).lower().startswith(("http://", "https://"))


def sources_for(settings, url: str | None, feeds_file) -> tuple[FeedSource, ...]:
    """The URL given on the command line and/or the feeds of ``feeds_file``."""
    sources: tuple[FeedSource, ...] = ()
    if feeds_file:
        sources += load_feeds(feeds_file, settings.feed_max_items)
    if url:
        sources += (FeedSource(url, max_items=settings.feed_max_items),)
    if not sources:
        raise ConfigError("expected a feed URL or --feeds FILE, got neither")
    return sources


def ingest_feeds(assistant, args) -> int:
    """``assistant ingest URL`` / ``--feeds FILE``: poll every feed now, once."""
    url = args.path if is_url(args.path) else None
    if args.path and not url:
        raise ConfigError(f"expected a URL or --feeds alone, got the path {args.path} too")
    refresher = Refresher(assistant, sources_for(assistant.settings, url, args.feeds))
    run = refresher.run(force=True)
    print_run(run)
    strict = args.strict or assistant.settings.strict
    return 1 if strict and run.failed else 0


MIN_EVERY_S = 10.0  # a shorter interval would re-run a whole ingest back to back


def polling_interval(text: str | None) -> float:
    """``--every`` / ``--refresh`` in seconds; ConfigError below ``MIN_EVERY_S``."""
    every = parse_duration(text or DEFAULT_EVERY)
    if every < MIN_EVERY_S:
        raise ConfigError(f"expected an interval of at least {MIN_EVERY_S:g}s, got {text!r}")
    return every


def watch_feeds(assistant, args) -> int:
    """``assistant watch --feeds FILE [--every 15m]``: poll due feeds until interrupted."""
    every = polling_interval(args.every)
    refresher = Refresher(assistant, sources_for(assistant.settings, None, args.feeds))
    print(f"following {len(refresher.sources)} feed(s), every {every:g} s", file=sys.stderr)
    watch(refresher, every, threading.Event(), print_run)
    return 0


def server_refresh(args):
    """A hook for ``serve``: start polling in the background with the server's ingest lock
    (it returns the thread's stop event), or None when ``--feeds`` was not given."""
    if not args.feeds:
        if args.refresh:
            raise ConfigError("expected --feeds FILE with --refresh, got --refresh alone")
        return None
    every = polling_interval(args.refresh)

    def start(state) -> threading.Event:
        sources = sources_for(state.settings, None, args.feeds)
        state.feeds = Refresher(state.assistant, sources, lock=state.ingest_lock)
        return start_background(state.feeds, every, print_run)

    return start


def print_run(run: FeedRun | AssistantError) -> None:
    """The run's failures on stderr and its summary on stdout."""
    if isinstance(run, AssistantError):
        print(f"error: {run}", file=sys.stderr, flush=True)
        return
    for failed in run.failed:
        print(f"failed {failed.where}: {failed.reason}", file=sys.stderr)
    print(run.summary(), flush=True)
