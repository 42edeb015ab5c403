"""Wire copies as outlets print them, on generated articles: every edit of
bench/copy_pairs.py merges, every kind of different story does not (``CopyDetector``)."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from assistant.ingest.copies import (
    RULE,
    CopyDetector,
    Fingerprint,
    canon_of,
    fingerprint,
    from_bytes,
    overlap,
    to_bytes,
)
from assistant.ingest.copystore import COPY, VERSION
from assistant.records import Article

WORDS = (
    "minister council harbour grain court police river bridge strike union budget school "
    "hospital election party mayor farmers prices energy railway airport border army "
    "report talks deal vote trade coast storm fire water tax bank market city region "
    "village museum festival league coach player team season title court judge trial "
    "company workers factory plant shares profit loss deficit minister officials said "
    "on monday tuesday wednesday thursday friday new old first last three four five "
    "thousands hundreds dozens several million billion percent after before during while "
    "against over under near across between against protest plan law rule ban order"
).split()


def sentence(rng: random.Random, length: int | None = None) -> str:
    words = [rng.choice(WORDS) for _ in range(length or rng.randint(9, 18))]
    return " ".join(words).capitalize() + "."


def story(seed: int, sentences: int = 14) -> list[str]:
    """A story of distinct generated sentences (``seed`` makes it)."""
    rng = random.Random(seed)
    return [sentence(rng) for _ in range(sentences)]


def short_story(seed: int, words: int = 55) -> list[str]:
    """About ``words`` words in sentences of 9-12 words."""
    rng, out = random.Random(seed), list[str]()
    while sum(len(s.split()) for s in out) < words:
        out.append(sentence(rng, rng.randint(9, 12)))
    return out


def article(
    ident: str,
    sentences: list[str],
    source: str = "Agency Wire",
    day: str = "2024-03-01",
    *,
    title: str = "Grain ships",
    text: str | None = None,
    url: str = "",
) -> Article:
    body = " ".join(sentences) if text is None else text
    return Article(ident, title, body, "en", source, url, day)


def decide(first: Article, second: Article):
    """``second`` against a detector holding ``first``: its match or None."""
    held = fingerprint(first.text)
    detector = CopyDetector([])
    detector.add(canon_of(first, "v1", held), held)
    return detector.match(second, fingerprint(second.text))


def replaced(sentences: list[str], count: int, seed: int = 5) -> list[str]:
    """``count`` words replaced, in different sentences."""
    rng, out = random.Random(seed), list(sentences)
    for n in range(count):
        words = out[1 + n * 2].split()
        words[rng.randrange(1, len(words) - 1)] = "zebra"
        out[1 + n * 2] = " ".join(words)
    return out


STORY = story(1)
SHORT = short_story(2)
OUTLET = "Daily Paper"
COPIES = {  # edit -> the copy's sentences (printed by another outlet)
    "trimmed to 50 %": STORY[:7],
    "trimmed to 90 %": STORY[:13],
    "own first sentence": [sentence(random.Random(9)), *STORY[1:]],
    "five words changed": replaced(STORY, 5),
    "a paragraph added": [*STORY[:6], *story(3, 3), *STORY[6:]],
    "sentences reordered": [STORY[0], STORY[5], *STORY[1:5], *STORY[6:12], STORY[13], STORY[12]],
    "all at once": replaced([sentence(random.Random(8)), *STORY[1:10]], 3),
    "short, two words changed": replaced(SHORT, 2),
    "short, trimmed": SHORT[:-1],
}


@pytest.mark.parametrize("edit", list(COPIES))
def test_each_edit_an_outlet_makes_is_merged_in_either_order(edit):
    original = SHORT if edit.startswith("short") else STORY
    agency = article("wire", original)
    copy = article("daily", COPIES[edit], OUTLET, "2024-03-02", url="https://daily.test/x")
    for first, second in ((agency, copy), (copy, agency)):
        match = decide(first, second)
        assert match is not None and match.canon.article_id == first.id, edit
        assert match.kind == COPY


def test_a_new_headline_line_is_not_part_of_the_text_compared():
    agency = article("wire", SHORT, text="Grain ships reach port\n\n" + " ".join(SHORT))
    own = "Strike over: harbour busy again\n\n" + " ".join(replaced(SHORT, 2))
    copy = article("daily", [], OUTLET, text=own, title="Strike over")
    assert decide(agency, copy) is not None
    assert fingerprint(own).words == fingerprint(" ".join(SHORT)).words


def test_an_update_with_new_paragraphs_on_top_replaces_the_older_text():
    older = article("wire-1", STORY, url="https://wire.test/grain")
    update = article("wire-2", [*story(4, 5), *STORY], day="2024-03-02")
    match = decide(older, update)
    assert match is not None and match.kind == VERSION and match.replaced_by(update)
    tiny = article("wire-3", SHORT)  # a short item grown to a full story by the same source
    grown = article("wire-4", [*story(5, 12), *SHORT], day="2024-03-02")
    assert overlap(fingerprint(grown.text), fingerprint(tiny.text)).ratio < RULE.min_ratio
    assert decide(tiny, grown) is not None


def test_the_same_source_needs_nearly_all_of_the_text():
    """A follow-up repeats background: another outlet's copy at that overlap merges, the
    same source's follow-up (which would replace the older story) does not."""
    follow_up = [sentence(random.Random(11)), *story(12, 2), *STORY[3:]]
    assert overlap(fingerprint(" ".join(follow_up)), fingerprint(" ".join(STORY))).coverage >= 0.65
    assert decide(article("a", STORY), article("b", follow_up, day="2024-03-02")) is None
    assert decide(article("a", STORY), article("b", follow_up, OUTLET)) is not None


def test_a_follow_up_repeating_a_background_paragraph_is_kept_apart():
    background = story(20, 3)
    first = article("day-1", [*story(21, 10), *background])
    second = article("day-2", [*story(22, 4), *background], OUTLET, "2024-03-02")
    assert decide(first, second) is None


def test_two_reports_of_one_event_in_other_words_are_kept_apart():
    rng = random.Random(30)
    same_topic = [" ".join(rng.sample(s.rstrip(".").split(), len(s.split()) - 1)) + "."
                  for s in STORY]  # fmt: skip
    assert decide(article("a", STORY), article("b", same_topic, OUTLET)) is None


@pytest.mark.parametrize("own_words", [45, 60, 300])
def test_one_press_release_quoted_in_two_stories_is_kept_apart(own_words):
    quote = short_story(40, 40)  # as much as 47 % of a short story
    one = article("a", [*short_story(41, own_words), *quote])
    two = article("b", [*quote, *short_story(42, own_words)], OUTLET)
    assert decide(one, two) is None


def test_stories_of_one_series_are_kept_apart():
    boiler = "Here is what you need to know about the markets this week in five points."
    one = article("ep-73", [boiler, *story(50, 6)], title="Markets: week 73")
    two = article("ep-74", [boiler, *story(51, 6)], title="Markets: week 74", day="2024-03-08")
    assert decide(one, two) is None


def test_a_story_inside_a_round_up_is_kept_apart():
    report = article("match", SHORT)
    round_up = article("round-up", [*story(60, 6), *SHORT, *story(61, 6)])
    assert overlap(fingerprint(round_up.text), fingerprint(report.text)).coverage == 1.0
    assert decide(report, round_up) is None and decide(round_up, report) is None


def test_short_and_repetitive_texts_never_merge():
    placeholder = article("a", ["View Comments"])
    assert decide(placeholder, article("b", ["View Comments"], OUTLET)) is None
    blurb = [" ".join(" ".join(short_story(70, 60)).split()[:38])]  # under 40 words
    assert decide(article("c", blurb), article("d", blurb, OUTLET)) is None
    sentence_ = sentence(random.Random(71), 15)
    repeated = article("e", [sentence_] * 12)
    longer = article("f", [sentence_, *story(72, 4)] * 12, OUTLET)
    assert decide(longer, repeated) is None  # 180 words, 15 distinct shingles


def test_fingerprints_round_trip_and_an_older_scheme_reads_as_none():
    held = fingerprint(" ".join(STORY))
    again = from_bytes(to_bytes(held))
    assert isinstance(again, Fingerprint) and again.words == held.words
    assert (again.hashes == held.hashes).all()
    assert from_bytes(bytes(1024)) is None  # a 128-permutation MinHash of the rule before
    detector = CopyDetector([replace(canon_of(article("old", STORY), "v", held), signature=b"x")])
    assert detector.stale("old") and detector.match(article("new", STORY, OUTLET), held) is None
