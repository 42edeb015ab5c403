"""The issue's case, tried as a new user would: a 55-word agency story in one feed and its
copy on another site, with its own headline and two words changed, is merged, and the
answer names both outlets."""

from __future__ import annotations

import re

from assistant.feeds import Refresher
from assistant.feeds.sources import FeedSource
from tests.test_feeds import rss

AGENCY = (
    "Cyclists in the city will get a separate lane on the main bridge from next month, the "
    "city's transport office said on Tuesday. The lane will be two metres wide and painted "
    "green. Cars lose one of the three lanes in each direction. Work starts on 4 May and "
    "should take about six weeks."
)
COPY = AGENCY.replace("a separate lane", "their own lane")
OTHER = (
    "The city council approved a new budget for its schools on Monday evening after a long "
    "debate. Teachers will get two more hours of help a week, and four buildings will be "
    "repaired before the winter. The opposition voted against the plan and called it far "
    "too small for the schools that need it most."
)


def page(headline: str, text: str) -> bytes:
    return (
        f"<html><head><title>{headline}</title></head><body><article><h1>{headline}</h1>"
        f"<p>{text}</p></article></body></html>"
    ).encode()


def test_a_short_copy_with_its_own_headline_and_two_words_changed_is_merged(site, web_assistant):
    assert len(re.findall(r"\w+", AGENCY)) == 55 and AGENCY != COPY
    site.pages["/wire/bridge"] = (page("Bike lane for the main bridge", AGENCY), "text/html")
    site.pages["/wire/schools"] = (page("Council passes school budget", OTHER), "text/html")
    site.pages["/daily/cyclists"] = (
        page("Cyclists to get their own lane on main bridge", COPY), "text/html"
    )  # fmt: skip
    site.pages["/wire.xml"] = (rss(site.base, ["/wire/bridge", "/wire/schools"]), "text/xml")
    site.pages["/daily.xml"] = (rss(site.base, ["/daily/cyclists"]), "text/xml")
    feeds = [
        FeedSource(site.base + "/wire.xml", name="Agency Wire"),
        FeedSource(site.base + "/daily.xml", name="Daily Paper"),
    ]
    run = Refresher(web_assistant, feeds).run()
    assert (run.added, run.merged, run.failed) == (2, 1, ())
    assert "2 added" in run.summary() and "1 merged as copies" in run.summary()
    assert len(web_assistant.index.manifest()) == 2  # the copy is not indexed

    answer = web_assistant.ask("When does the work on the bridge lane start?")
    (cited,) = [c for c in answer.citations if "bridge" in c.article_id or "cyclists" in
                c.article_id]  # fmt: skip
    outlets = {cited.source, *(r.source for r in cited.also_reported_by)}
    assert outlets == {"Agency Wire", "Daily Paper"}
    assert all(r.chunk.article_id == cited.article_id for r in answer.retrieved
               if "4 May" in r.chunk.text)  # fmt: skip
