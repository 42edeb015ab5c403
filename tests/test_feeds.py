"""Feeds and pages in (issue 9): a local site on 127.0.0.1 serves an RSS feed, an Atom feed,
a news sitemap and article pages that the tests write; the requests it receives (paths,
conditional headers, times) are what the assertions check."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import conftest
import pytest

from assistant import Assistant, load_settings
from assistant.errors import FetchError
from assistant.feeds import Refresher, load_feeds
from assistant.feeds import guard as guard_module
from assistant.feeds.fetch import Fetcher
from assistant.feeds.sources import FeedSource
from assistant.providers import HashingEmbedder


class Site:
    """A scripted web site: ``pages[path] = (body, content type)``; answers 304 to a
    matching If-None-Match, redirects ``redirects[path]``, and records every request."""

    def __init__(self):
        self.pages: dict[str, tuple[bytes, str]] = {}
        self.redirects: dict[str, str] = {}
        self.requests: list[tuple[str, dict, float]] = []

    def __enter__(self) -> Site:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                site.requests.append((self.path, dict(self.headers), time.monotonic()))
                if self.path in site.redirects:
                    self.send_response(302)
                    self.send_header("Location", site.redirects[self.path])
                    self.end_headers()
                    return
                if self.path not in site.pages:
                    self.send_response(404)
                    self.end_headers()
                    return
                body, kind = site.pages[self.path]
                etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def hits(self, path: str) -> list[dict]:
        return [headers for p, headers, _ in self.requests if p == path]


def article_html(title: str, sentence: str, lang: str = "en") -> bytes:
    body = " ".join([sentence] * 6)
    return (
        f'<html lang="{lang}"><head><title>{title} - Test Times</title>'
        '<meta property="og:site_name" content="Test Times"></head><body>'
        "<nav>Home | World | Sport | Weather</nav>"
        f"<article><h1>{title}</h1><p>{body}</p><p>{body}</p></article>"
        "<footer>Imprint | Privacy | Contact us</footer></body></html>"
    ).encode()


def rss(base: str, paths: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Story {p}</title><link>{base}{p}</link>"
        "<pubDate>Sat, 02 Nov 2024 10:00:00 GMT</pubDate></item>"
        for p in paths
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Test Times</title>'
        f"<link>{base}/</link><language>en</language>{items}</channel></rss>"
    ).encode()


def atom(base: str, paths: list[str]) -> bytes:
    entries = "".join(
        f'<entry><title>Atom {p}</title><link href="{base}{p}"/><id>{base}{p}</id>'
        "<updated>2024-10-26T08:00:00Z</updated></entry>"
        for p in paths
    )
    return (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Atom Zeitung</title><updated>2024-10-26T08:00:00Z</updated>{entries}</feed>"
    ).encode()


def news_sitemap(base: str, paths: list[str]) -> bytes:
    urls = "".join(
        f"<url><loc>{base}{p}</loc><news:news><news:publication><news:name>Sitemap Post"
        "</news:name><news:language>de</news:language></news:publication>"
        "<news:publication_date>2024-10-20T09:00:00+02:00</news:publication_date>"
        f"<news:title>Karte {p}</news:title></news:news></url>"
        for p in paths
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>'
    ).encode()


STORM = "A strong storm with winds of 140 km/h hit the northern coast on Saturday."
POWER = "Thousands of homes in the region lost power for several hours that night."
FLOOD = "The river rose above its banks and flooded the old town after heavy rain."
TROOPS = "Nordkorea hat nach Berichten fast 12.000 Soldaten nach Russland geschickt."


def test_rss_refresh_adds_updates_and_costs_one_304(site, web_assistant):
    site.pages["/a1"] = (article_html("Storm", STORM), "text/html")
    site.pages["/a2"] = (article_html("Power", POWER), "text/html")
    site.pages["/feed.xml"] = (rss(site.base, ["/a1", "/a2"]), "application/rss+xml")
    refresher = Refresher(web_assistant, [FeedSource(site.base + "/feed.xml")])

    first = refresher.run()
    assert (first.added, first.updated, first.failed) == (2, 0, ())
    held = web_assistant.index.manifest()
    assert set(held) == {site.base + "/a1", site.base + "/a2"}

    again = refresher.run(force=True)
    assert (again.feeds_not_modified, again.added, again.updated, again.unchanged) == (1, 0, 0, 2)
    assert site.hits("/feed.xml")[-1].get("If-None-Match")
    assert len(site.hits("/a1")) == 1  # an unchanged feed costs one request in all

    site.pages["/a1"] = (article_html("Storm", STORM + " " + FLOOD), "text/html")
    site.pages["/a3"] = (article_html("Flood", FLOOD), "text/html")
    site.pages["/feed.xml"] = (rss(site.base, ["/a1", "/a2", "/a3"]), "application/rss+xml")
    third = refresher.run(force=True)
    assert (third.added, third.updated, third.unchanged) == (1, 1, 1)
    assert (third.pages_fetched, third.pages_not_modified) == (2, 1)
    assert site.hits("/a2")[-1].get("If-None-Match")
    assert refresher.store.last_run()["added"] == 1


WIRE_STORY = [  # one agency story: distinct sentences, as wire copies are
    "Thousands of homes in the coastal region lost power for several hours on Saturday night.",
    "The grid operator said falling trees had cut two high-voltage lines near the harbour.",
    "Repair crews worked through the night and restored supply to most districts by morning.",
    "Hospitals switched to emergency generators and no patients were harmed, officials said.",
    "The operator expects the last households to be reconnected by Monday afternoon.",
    "Schools in three towns will stay closed on Monday because their heating depends on power.",
    "The regional government has asked residents to check on elderly neighbours.",
    "Insurers said the damage to lines and transformers could run into several million euros.",
    "Forecasters warned that another band of strong wind could reach the coast on Wednesday.",
]


def story_html(title: str, sentences: list[str]) -> bytes:
    body = f"<p>{' '.join(sentences[:5])}</p><p>{' '.join(sentences[5:])}</p>"
    return (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}"
        "</article></body></html>"
    ).encode()


def test_a_near_copy_from_another_feed_is_merged_and_cited_as_also_reported_by(site, web_assistant):
    site.pages["/a1"] = (article_html("Storm", STORM), "text/html")
    site.pages["/a2"] = (story_html("Power cut", WIRE_STORY), "text/html")
    site.pages["/feed.xml"] = (rss(site.base, ["/a1", "/a2"]), "application/rss+xml")
    site.pages["/wire.xml"] = (atom(site.base, []), "application/atom+xml")
    times = FeedSource(site.base + "/feed.xml", name="Test Times")
    wire = FeedSource(site.base + "/wire.xml", name="Other Paper")
    refresher = Refresher(web_assistant, [times, wire])
    assert (refresher.run().added, refresher.last_run.merged) == (2, 0)

    edited = [WIRE_STORY[0].replace("several hours", "some hours"), *WIRE_STORY[1:]]
    site.pages["/b2"] = (story_html("Blackout after storm", edited), "text/html")
    site.pages["/wire.xml"] = (atom(site.base, ["/b2"]), "application/atom+xml")
    run = refresher.run(force=True)
    assert (run.added, run.updated, run.merged, run.failed) == (0, 0, 1, ())
    assert run.to_dict()["merged"] == 1 and "1 merged as copies" in run.summary()
    assert set(web_assistant.index.manifest()) == {site.base + "/a1", site.base + "/a2"}

    answer = web_assistant.ask("How many homes lost power on Saturday night?")
    (cited,) = [c for c in answer.citations if c.article_id == site.base + "/a2"]
    assert [(r.source, r.url) for r in cited.also_reported_by] == [
        ("Other Paper", site.base + "/b2")
    ]
    assert refresher.run(force=True).merged == 0  # unchanged: nothing merged again


def test_atom_and_news_sitemap_from_a_feeds_file(site, web_assistant, tmp_path):
    site.pages["/de/1"] = (article_html("Truppen", TROOPS, "de"), "text/html")
    site.pages["/en/1"] = (article_html("Storm", STORM), "text/html")
    site.pages["/atom.xml"] = (atom(site.base, ["/en/1"]), "application/atom+xml")
    site.pages["/news.xml"] = (news_sitemap(site.base, ["/de/1"]), "application/xml")
    listing = tmp_path / "feeds.toml"
    listing.write_text(
        f'[defaults]\nmax_items = 5\n\n[[feed]]\nurl = "{site.base}/atom.xml"\n'
        f'name = "Atom Wire"\n\n[[feed]]\nurl = "{site.base}/news.xml"\nrefresh = "1h"\n'
    )
    sources = load_feeds(listing)
    assert sources[1].refresh_s == 3600 and sources[0].max_items == 5

    run = Refresher(web_assistant, sources).run()
    assert (run.added, run.failed) == (2, ())
    chunks = web_assistant.index.chunk_metadatas()[1]
    meta = {m["article_id"]: m for m in chunks}
    assert meta[site.base + "/en/1"]["source"] == "Atom Wire"
    assert meta[site.base + "/de/1"]["source"] == "Sitemap Post"
    assert meta[site.base + "/de/1"]["language"] == "de"


def test_robots_disallow_is_respected_and_reported(site, web_assistant):
    site.pages["/robots.txt"] = (b"User-agent: news-assistant\nDisallow: /private/\n", "text/plain")
    site.pages["/open"] = (article_html("Storm", STORM), "text/html")
    site.pages["/private/x"] = (article_html("Power", POWER), "text/html")
    site.pages["/feed.xml"] = (rss(site.base, ["/open", "/private/x"]), "application/rss+xml")

    run = Refresher(web_assistant, [FeedSource(site.base + "/feed.xml")]).run()
    assert run.added == 1
    assert [f.where for f in run.failed] == [site.base + "/private/x"]
    assert "robots.txt" in run.failed[0].reason
    assert site.hits("/private/x") == []
    assert len(site.hits("/robots.txt")) == 1  # cached per host


def test_rate_limit_spaces_requests_to_one_host(site):
    for n in range(3):
        site.pages[f"/p{n}"] = (b"x", "text/plain")
    fetcher = Fetcher(allow_private=True, min_interval_s=0.3)
    for n in range(3):
        fetcher.get(f"{site.base}/p{n}")
    times = [t for _, _, t in site.requests]  # robots.txt, p0, p1, p2
    assert len(times) == 4
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.28


def test_size_limit_stops_the_download(site):
    site.pages["/big"] = (b"y" * 50_000, "text/html")
    fetcher = Fetcher(allow_private=True, min_interval_s=0, max_bytes=4096)
    with pytest.raises(FetchError, match="expected at most 4,096 bytes.*FETCH_MAX_BYTES"):
        fetcher.get(site.base + "/big")


def fake_dns(monkeypatch, table: dict[str, str]) -> None:
    """Resolve the names in ``table`` to its addresses in the guard (no DNS is asked)."""
    real = guard_module.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host in table:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (table[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(guard_module, "getaddrinfo", resolve)


def test_the_attempts_read_here_are_the_ones_the_socket_guard_records():
    """``from tests import conftest`` loaded a second copy whose list nothing wrote to."""
    before = len(conftest.ATTEMPTED)
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError, match="test guard"):
        sock.connect(("10.0.0.1", 80))
    assert conftest.ATTEMPTED[before:] == [("10.0.0.1", 80)]


@pytest.mark.parametrize(
    ("address", "kind"), [("10.0.0.1", "private"), ("169.254.169.254", "link-local")]
)
def test_private_addresses_are_refused_before_connecting(monkeypatch, address, kind):
    fake_dns(monkeypatch, {"feeds.internal.test": address})
    connects: list[object] = []
    monkeypatch.setattr(socket.socket, "connect", lambda self, a: connects.append(a))
    before = len(conftest.ATTEMPTED)
    url = "http://feeds.internal.test/feed.xml"
    with pytest.raises(FetchError) as caught:
        Fetcher(min_interval_s=0).get(url)
    assert str(caught.value) == (
        f"expected a public address, got {address} ({kind}) for {url}; "
        "set ASSISTANT_FETCH_ALLOW_PRIVATE=true to allow it"
    )
    assert connects == [] and len(conftest.ATTEMPTED) == before


def test_a_redirect_to_the_metadata_address_is_refused_at_the_hop(site, monkeypatch):
    real_kind = guard_module.address_kind  # the site (127.0.0.1) passes as public; it is
    monkeypatch.setattr(  # still connected to at the address checked, so no fake DNS here
        guard_module,
        "address_kind",
        lambda address: "" if str(address) == "127.0.0.1" else real_kind(address),
    )
    site.redirects["/feed.xml"] = "http://169.254.169.254/latest/meta-data/"
    before = len(conftest.ATTEMPTED)
    with pytest.raises(FetchError, match=r"got 169\.254\.169\.254 \(link-local\) for http://169"):
        Fetcher(min_interval_s=0).get(site.base + "/feed.xml")
    assert len(site.hits("/feed.xml")) == 1 and len(conftest.ATTEMPTED) == before


def test_failed_feed_backs_off_and_keeps_its_articles(site, web_assistant):
    site.pages["/a1"] = (article_html("Storm", STORM), "text/html")
    site.pages["/feed.xml"] = (rss(site.base, ["/a1"]), "application/rss+xml")
    now = [1000.0]
    refresher = Refresher(
        web_assistant, [FeedSource(site.base + "/feed.xml")], clock=lambda: now[0]
    )
    assert refresher.run().added == 1
    del site.pages["/feed.xml"]
    failed = refresher.run()
    assert "expected HTTP 200" in failed.failed[0].reason and failed.unchanged == 1
    assert refresher.run().feeds_deferred == 1  # backing off: not polled again yet
    now[0] += 61
    assert refresher.run().feeds_polled == 1
    assert refresher.store.feed_state(site.base + "/feed.xml").failures == 2
    assert set(web_assistant.index.manifest()) == {site.base + "/a1"}


def test_cli_ingest_url_and_index_status(site, tmp_path, fake_model, monkeypatch, capsys):
    from assistant.__main__ import main
    from assistant.server.state import ServerState

    site.pages["/a1"] = (article_html("Storm", STORM), "text/html")
    for key, value in {
        "EMBEDDINGS": "fake",
        "ANSWER_MODEL": str(fake_model),
        "FETCH_ALLOW_PRIVATE": "true",
        "FETCH_MIN_INTERVAL_S": "0",
    }.items():
        monkeypatch.setenv(f"ASSISTANT_{key}", value)
    index = tmp_path / "cli-index"
    assert main(["ingest", site.base + "/a1", "--index", str(index)]) == 0
    assert "1 added" in capsys.readouterr().out
    settings = load_settings(index_dir=index)
    state = ServerState(Assistant.from_settings(settings, embedder=HashingEmbedder()))
    status = state.feeds_status()
    assert status is not None and status["last_run"]["added"] == 1
    monkeypatch.delenv("ASSISTANT_FETCH_ALLOW_PRIVATE")
    assert main(["ingest", site.base + "/a1", "--index", str(index)]) == 0
    assert "expected a public address, got 127.0.0.1 (loopback)" in capsys.readouterr().err
