"""``serve --refresh``: the feed refresher runs in a daemon thread every interval (0.2 s
here), a run that fails or raises does not end it, its last run is what ``GET /api/index``
shows under ``feeds``, and setting the stop event ends the thread within one interval."""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable

import pytest

from assistant.errors import AssistantError, FetchError
from assistant.feeds import FeedRun, Refresher, start_background
from assistant.feeds.command import server_refresh
from assistant.feeds.sources import FeedSource
from tests.test_feeds import STORM, Site, article_html, rss

EVERY_S = 0.2


@pytest.fixture
def stops():
    """Stop events of the threads a test starts; all set at teardown, even on a failure."""
    events: list[threading.Event] = []
    yield events
    for event in events:
        event.set()


class Ticks:
    """A ``report`` callback: what each tick reported, when and on which thread."""

    def __init__(self):
        self.items: list[tuple[float, threading.Thread, object]] = []

    def __call__(self, run: object) -> None:
        self.items.append((time.monotonic(), threading.current_thread(), run))

    @property
    def runs(self) -> list[object]:
        return [run for _, _, run in self.items]


def wait_for(condition: Callable[[], object], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"expected the condition within {timeout_s} s, got a timeout")
        time.sleep(0.02)


def serve_feed(site: Site) -> str:
    site.pages["/a1"] = (article_html("Storm", STORM), "text/html")
    site.pages["/feed.xml"] = (rss(site.base, ["/a1"]), "application/rss+xml")
    return site.base + "/feed.xml"


def test_the_refresher_runs_every_interval_in_a_daemon_thread_until_stopped(
    site, web_assistant, stops
):
    refresher = Refresher(web_assistant, [FeedSource(serve_feed(site))])
    ticks = Ticks()
    stops.append(start_background(refresher, EVERY_S, ticks))
    wait_for(lambda: len(ticks.items) >= 4)
    stops[0].set()
    thread = ticks.items[0][1]
    thread.join(timeout=EVERY_S + 5)

    assert not thread.is_alive() and thread.daemon and thread.name == "feed-refresh"
    assert {t for _, t, _ in ticks.items} == {thread} and thread is not threading.main_thread()
    runs = ticks.runs
    assert all(isinstance(run, FeedRun) for run in runs)
    assert runs[0].added == 1 and [r.feeds_not_modified for r in runs[1:4]] == [1, 1, 1]
    times = [at for at, _, _ in ticks.items]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert min(gaps) >= EVERY_S * 0.95  # a run, then the interval, then the next run
    assert len(site.hits("/feed.xml")) == len(runs)  # one feed request per tick
    done = len(ticks.items)
    time.sleep(EVERY_S * 3)
    assert len(ticks.items) == done  # nothing runs after the stop


class Scripted:
    """A stand-in Refresher whose runs raise or return what ``steps`` says, in turn."""

    def __init__(self, *steps: object):
        self.steps = list(steps)

    def run(self) -> object:
        step = self.steps.pop(0) if self.steps else "a run"
        if isinstance(step, BaseException):
            raise step
        return step


def test_a_run_that_raises_does_not_end_the_thread(stops, capsys):
    ticks = Ticks()
    refresher = Scripted(FetchError("expected a response, got none"), RuntimeError("boom"))
    stops.append(start_background(refresher, EVERY_S, ticks))
    wait_for(lambda: len(ticks.items) >= 3)
    stops[0].set()
    first, second, third = ticks.runs[:3]

    assert isinstance(first, FetchError)  # reported as it is
    assert isinstance(second, AssistantError) and str(second).startswith(
        "expected a refresh run, got RuntimeError: boom"
    )
    assert third == "a run"  # the next tick still ran
    assert "Traceback" in capsys.readouterr().err  # the bug keeps its traceback


def test_a_failing_feed_is_reported_and_the_next_tick_still_runs(site, web_assistant, stops):
    refresher = Refresher(web_assistant, [FeedSource(site.base + "/gone.xml")])
    ticks = Ticks()
    stops.append(start_background(refresher, EVERY_S, ticks))
    wait_for(lambda: len(ticks.items) >= 2)
    stops[0].set()
    first, second = ticks.runs[:2]

    assert isinstance(first, FeedRun) and isinstance(second, FeedRun)
    assert [f.where for f in first.failed] == [site.base + "/gone.xml"]
    assert first.failed[0].reason.startswith("expected HTTP 200 from")
    assert (second.feeds_polled, second.feeds_deferred) == (0, 1)  # backing off, still ticking


def test_serve_refresh_shows_its_last_run_in_api_index(
    site, web_assistant, stops, tmp_path, monkeypatch
):
    from fastapi.testclient import TestClient

    from assistant.server import build_app

    url = serve_feed(site)
    feeds = tmp_path / "feeds.toml"
    feeds.write_text(f'[[feed]]\nurl = "{url}"\n')
    app = build_app(web_assistant, with_ui=False)
    before = set(threading.enumerate())
    monkeypatch.setattr("assistant.feeds.command.MIN_EVERY_S", 0.0)  # 0.2 s for the test
    start = server_refresh(argparse.Namespace(feeds=feeds, refresh=f"{EVERY_S}s"))
    stops.append(start(app.state.assistant_state))
    with TestClient(app) as client:

        def later_run() -> dict | None:
            status = client.get("/api/index").json()["feeds"]
            run = status and status["last_run"]
            return status if run and run["feeds_not_modified"] == 1 else None

        wait_for(later_run)  # a run after the first: the thread is still going
        status = later_run()
        assert status is not None and status["following"] == [url]
        assert client.get("/api/index").json()["articles"] == 1
    stops[0].set()
    (thread,) = [t for t in threading.enumerate() if t not in before and t.name == "feed-refresh"]
    thread.join(timeout=EVERY_S + 5)
    assert not thread.is_alive()


@pytest.mark.parametrize("text", ["0", "0s", "5s"])
def test_an_interval_shorter_than_ten_seconds_is_refused(text):
    from assistant.errors import ConfigError
    from assistant.feeds.command import polling_interval

    with pytest.raises(ConfigError, match="at least 10s"):
        polling_interval(text)
    assert polling_interval("15m") == 900.0 and polling_interval(None) > 0
