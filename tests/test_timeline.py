"""Timeline answers: detection, dated quotes in date order, and the switch on every door."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from assistant.__main__ import _parser, ask_request
from assistant.answer.timeline import asks_timeline, entries
from assistant.records import AskRequest, Chunk, Evidence, Retrieved, ScoredSentence, Span
from tests.server.conftest import client, indexed  # noqa: F401  (the API client fixtures)

DETECTION = [
    ("Wie hat sich der Streit um das Einreiseverbot entwickelt?", True),
    ("Wie entwickelte sich die Lage in Rumänien?", True),
    ("Was ist seit der Wahl passiert?", True),
    ("Chronologie der Proteste in Bukarest", True),
    ("How did the Romanian protests unfold?", True),
    ("How has the Brexit vote developed since January?", True),
    ("Give me a timeline of the travel ban case.", True),
    ("What has happened since the election?", True),
    ("Who developed the steam engine?", False),
    ("Wann wurde flüssiger Sauerstoff für die kommerzielle Nutzung entwickelt?", False),
    ("Orientalism refers to how the West developed a what of the East?", False),
    ("How did trying to establish a devolved Scottish Assembly go in 1979?", False),
    ("Wie viele Soldaten hat Nordkorea nach Russland geschickt?", False),
]


@pytest.mark.parametrize(("question", "expected"), DETECTION)
def test_detection(question, expected):
    assert asks_timeline(question) is expected


def hit(article: str, published: str, rank: int, cosines: tuple[float, ...]) -> Retrieved:
    text = " ".join(f"Satz {i}." for i in range(len(cosines)))
    spans = tuple(Span(i * 8, i * 8 + 7) for i in range(len(cosines)))
    chunk = Chunk(
        f"c{rank}", article, "h", article, text, "de", 0, 0, len(text), 5, spans,
        published=published,
    )  # fmt: skip
    return Retrieved(chunk, 0.5, rank, cosines)


def test_entries_one_per_article_near_the_best_in_date_order():
    retrieved = (
        hit("late", "2024-10-20", 1, (0.90, 0.80)),
        hit("early", "2024-10-01", 2, (0.89,)),
        hit("late", "2024-10-20", 3, (0.88,)),  # a second chunk of "late": quoted once
        hit("undated", "", 4, (0.88,)),
        hit("far", "2024-09-01", 5, (0.70,)),  # not near the best: left out
    )
    sentences = tuple(
        ScoredSentence(rank, index, f"s{rank}{index}", score)
        for rank, index, score in [(1, 0, 0.5), (3, 0, 0.2), (2, 0, 0.1), (4, 0, 0.1), (5, 0, 0.1)]
    )
    picked = entries(Evidence(retrieved, sentences, True, 0.9), max_entries=6, margin=0.03)
    assert [h.chunk.article_id for _, h in picked] == ["early", "late", "undated"]
    assert [s.text for s, _ in picked] == ["s20", "s10", "s40"]  # each article's most probable
    assert len(entries(Evidence(retrieved, sentences, True, 0.9), max_entries=2)) == 2


STORY = {  # one story on three days, the newest written first, and an unrelated article
    "c.txt": ("2024-10-20", "Die Proteste in Bukarest gegen das Korruptionsgesetz enden mit dem "
              "Rücktritt des Justizministers nach den Protesten in Bukarest."),
    "a.txt": ("2024-10-05", "Die Proteste in Bukarest gegen das Korruptionsgesetz beginnen mit "
              "zehntausend Menschen bei den Protesten in Bukarest."),
    "b.txt": ("2024-10-12", "Die Proteste in Bukarest gegen das Korruptionsgesetz wachsen auf "
              "hunderttausend Menschen bei den Protesten in Bukarest."),
    "d.txt": ("2024-10-15", "Der Wetterdienst meldet Sturm an der Nordseeküste und Regen."),
}  # fmt: skip


@pytest.fixture
def story(fake_assistant, tmp_path: Path):
    folder = tmp_path / "story"
    folder.mkdir()
    for name, (day, text) in STORY.items():
        (folder / name).write_text(
            f"---\nid: {name[0]}\ntitle: Bukarest\nlanguage: de\nsource: Quelle {name[0]}\n"
            f"published: {day}\n---\n{text}\n",
            encoding="utf-8",
        )
    assert fake_assistant.ingest(folder).added == 4
    return fake_assistant


def test_a_development_question_gets_dated_quotes_in_date_order(story):
    answer = story.ask(AskRequest(question="Wie haben sich die Proteste in Bukarest entwickelt?"))
    assert answer.timeline and answer.answerable and answer.provider == "timeline"
    lines = answer.answer.splitlines()
    assert lines[0] == "Chronologie aus den Artikeln:"
    assert [line.split(":")[0] for line in lines[1:]] == [
        "- 5. Oktober 2024",
        "- 12. Oktober 2024",
        "- 20. Oktober 2024",
    ]
    cited = {c.n: c for c in answer.citations}
    assert [cited[s.citations[0]].article_id for s in answer.sentences] == ["a", "b", "c"]
    assert all(s.supported for s in answer.sentences)  # verbatim, checked like any answer
    assert answer.to_dict()["timeline"] is True


def test_the_switch_forces_or_forbids_a_timeline(story):
    question = "Was geschah bei den Protesten in Bukarest gegen das Korruptionsgesetz?"
    plain = story.ask(AskRequest(question=question))
    assert not plain.timeline and not plain.answer.startswith("Chronologie")
    forced = story.ask(AskRequest(question=question, timeline=True))
    assert forced.timeline and len({c.article_id for c in forced.citations}) >= 2
    off = story.ask(AskRequest(question="Wie haben sich die Proteste entwickelt?", timeline=False))
    assert not off.timeline


def test_a_timeline_about_nothing_declines(story):
    answer = story.ask(AskRequest(question="How did the Mars shuttle flight develop?"))
    assert answer.timeline and not answer.answerable and answer.citations == ()


def test_timeline_on_the_command_line():
    args = _parser().parse_args(["ask", "Was geschah?", "--timeline"])
    assert ask_request(args, args.question).timeline is True
    assert ask_request(_parser().parse_args(["ask", "q"]), "q").timeline is None


def test_timeline_in_the_api(client):  # noqa: F811
    question = "Wie viele Soldaten hat Nordkorea nach Russland geschickt?"
    forced = client.post("/api/ask", json={"question": question, "timeline": True})
    assert forced.status_code == 200 and forced.json()["timeline"] is True
    plain = client.post("/api/ask", json={"question": question})
    assert plain.json()["timeline"] is False
    bad = client.post("/api/ask", json={"question": question, "timeline": "maybe"})
    assert bad.status_code == 422 and "timeline" in bad.json()["error"]["message"]
    body = {"messages": [{"role": "user", "content": question}], "timeline": True}
    chat = client.post("/v1/chat/completions", json=body)
    assert chat.status_code == 200
    assert chat.json()["choices"][0]["message"]["content"].startswith("Chronologie")


def test_timeline_uses_more_chunks_unless_top_k_is_given(story):
    answer = story.ask(AskRequest(question="Wie haben sich die Proteste in Bukarest entwickelt?"))
    assert len(answer.retrieved) == 4  # all there are; the default top_k would allow 10
    limited = story.ask(AskRequest(question="Wie haben sich die Proteste entwickelt?", top_k=1))
    assert len(limited.retrieved) == 1 and len(limited.citations) <= 1


def test_date_order_holds_with_as_of(story):
    answer = story.ask(
        AskRequest(question="Wie haben sich die Proteste in Bukarest seit Oktober entwickelt?",
                   as_of=date(2024, 10, 28))
    )  # fmt: skip
    assert answer.timeline and answer.date_window is not None
    assert answer.date_window.start == date(2024, 10, 1)
    cited = {c.n: c.published for c in answer.citations}
    days = [cited[s.citations[0]] for s in answer.sentences]
    assert len(days) == 3 and days == sorted(days)
