"""Sitemap indexes: a ``<sitemapindex>`` is followed one level to its child sitemaps, whose
entries are merged; a child that fails, nests another index or loops back is reported and
not followed; at most ``MAX_SITEMAPS`` children are read. The local site records every
request, so "not followed" is checked as "never asked for"."""

from __future__ import annotations

from assistant.feeds import Refresher
from assistant.feeds.poll import MAX_SITEMAPS
from assistant.feeds.sources import FeedSource
from tests.test_feeds import FLOOD, POWER, STORM, TROOPS, Site, article_html, news_sitemap


def sitemap_index(base: str, paths: list[str]) -> bytes:
    sitemaps = "".join(
        f"<sitemap><loc>{base}{p}</loc><lastmod>2024-10-20</lastmod></sitemap>" for p in paths
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{sitemaps}'
        "</sitemapindex>"
    ).encode()


def serve_articles(site: Site, paths: list[str]) -> None:
    sentences = [STORM, POWER, FLOOD, TROOPS]
    for n, path in enumerate(paths):
        site.pages[path] = (
            article_html(f"Story {n}", sentences[n % 4] + f" Item {n}."),
            "text/html",
        )


def test_an_index_of_two_news_sitemaps_ingests_exactly_their_articles(site, web_assistant):
    serve_articles(site, ["/a/1", "/a/2", "/b/1", "/b/2", "/unlisted"])
    site.pages["/news-a.xml"] = (news_sitemap(site.base, ["/a/1", "/a/2"]), "application/xml")
    site.pages["/news-b.xml"] = (news_sitemap(site.base, ["/b/1", "/b/2", "/a/1"]), "text/xml")
    site.pages["/index.xml"] = (
        sitemap_index(site.base, ["/news-a.xml", "/news-b.xml"]),
        "text/xml",
    )
    refresher = Refresher(web_assistant, [FeedSource(site.base + "/index.xml")])

    run = refresher.run()
    expected = {site.base + p for p in ["/a/1", "/a/2", "/b/1", "/b/2"]}
    assert (run.added, run.pages_fetched, run.failed) == (4, 4, ())
    assert set(web_assistant.index.manifest()) == expected
    assert site.hits("/unlisted") == [] and len(site.hits("/a/1")) == 1  # listed twice
    meta = {m["article_id"]: m for m in web_assistant.index.chunk_metadatas()[1]}
    assert meta[site.base + "/b/2"]["source"] == "Sitemap Post"  # from the child's news:
    again = refresher.run(force=True)
    assert (again.feeds_not_modified, again.added, len(site.hits("/news-a.xml"))) == (1, 0, 1)


def test_a_failing_nested_or_looping_child_is_reported_and_not_followed(site, web_assistant):
    serve_articles(site, ["/a/1", "/deep/1"])
    site.pages["/news-a.xml"] = (news_sitemap(site.base, ["/a/1"]), "application/xml")
    site.pages["/deep.xml"] = (news_sitemap(site.base, ["/deep/1"]), "application/xml")
    site.pages["/nested.xml"] = (sitemap_index(site.base, ["/deep.xml"]), "text/xml")
    children = ["/missing.xml", "/nested.xml", "/index.xml", "/news-a.xml"]
    site.pages["/index.xml"] = (sitemap_index(site.base, children), "text/xml")
    refresher = Refresher(web_assistant, [FeedSource(site.base + "/index.xml")])

    run = refresher.run()
    assert run.added == 1 and set(web_assistant.index.manifest()) == {site.base + "/a/1"}
    reasons = {f.where.removeprefix(site.base): f.reason for f in run.failed}
    assert list(reasons) == ["/missing.xml", "/nested.xml", "/index.xml"]
    assert reasons["/missing.xml"].startswith("expected HTTP 200")
    assert "got another sitemap index" in reasons["/nested.xml"]
    assert "got the index itself" in reasons["/index.xml"]
    assert site.hits("/deep.xml") == [] and site.hits("/deep/1") == []  # one level only
    assert len(site.hits("/index.xml")) == 1  # the loop back is not fetched again
    assert refresher.store.validators(site.base + "/index.xml").etag == ""  # retried next time


def test_an_index_reads_at_most_max_sitemaps_children(site, web_assistant):
    count = MAX_SITEMAPS + 5
    serve_articles(site, [f"/s/{n}" for n in range(count)])
    for n in range(count):
        site.pages[f"/child-{n}.xml"] = (news_sitemap(site.base, [f"/s/{n}"]), "text/xml")
    children = [f"/child-{n}.xml" for n in range(count)]
    site.pages["/index.xml"] = (sitemap_index(site.base, children), "text/xml")

    run = Refresher(web_assistant, [FeedSource(site.base + "/index.xml")]).run()
    asked = [p for p, _, _ in site.requests if p.startswith("/child-")]
    assert asked == children[:MAX_SITEMAPS]
    assert (run.added, run.failed) == (MAX_SITEMAPS, ())
