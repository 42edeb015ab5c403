"""The extractive pick: score order within the margin, and an agreeing second outlet first."""

from __future__ import annotations

from assistant.answer.extractive import pick
from assistant.records import Chunk, Evidence, Retrieved, ScoredSentence


def chunk(rank: int, source: str) -> Retrieved:
    text = "x"
    return Retrieved(Chunk(f"c{rank}", f"a{rank}", "h", "t", text, "en", 0, 0, 1, 1,
                           source=source), 0.5, rank)  # fmt: skip


EVIDENCE_CHUNKS = (chunk(1, "abc"), chunk(2, "abc"), chunk(3, "cnn"), chunk(4, "bbc"))
BEST = "Vice President Mike Pence cast the tie-breaking vote to confirm Betsy DeVos."
SAME_OUTLET = "The Senate had voted 50-50 on the nomination of the billionaire."
AGREEING = "Pence cast a historic tie-breaking vote on Tuesday to confirm DeVos."
OTHER_STORY = "The weather service warned of storms along the northern coast."


def evidence(*sentences: tuple[int, str, float]) -> Evidence:
    scored = tuple(ScoredSentence(rank, 0, text, score) for rank, text, score in sentences)
    return Evidence(EVIDENCE_CHUNKS, scored, True, 0.9)


def test_an_agreeing_sentence_of_another_outlet_comes_second():
    ev = evidence((1, BEST, 0.6), (2, SAME_OUTLET, 0.3), (3, AGREEING, 0.2))
    assert [s.text for s in pick(ev, 2, margin=0.5)] == [BEST, AGREEING]


def test_another_outlet_that_says_something_else_does_not_jump_the_queue():
    ev = evidence((1, BEST, 0.6), (2, SAME_OUTLET, 0.3), (4, OTHER_STORY, 0.2))
    assert [s.text for s in pick(ev, 2, margin=0.5)] == [BEST, SAME_OUTLET]


def test_the_margin_still_bounds_what_is_quoted():
    ev = evidence((1, BEST, 0.9), (3, AGREEING, 0.05))
    assert [s.text for s in pick(ev, 2, margin=0.5)] == [BEST]
    assert pick(Evidence((), (), False, 0.0), 2, 0.5) == []
