"""The extractive pick: score order within the margin, and an agreeing second outlet first."""

from __future__ import annotations

from conftest import drained

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


def test_a_quote_that_only_refers_back_is_led_by_the_sentence_it_refers_to():
    """ "Er möchte im Frühjahr 2016 wieder spielen." says who only with the sentence before
    it: that one is quoted first, as context; the lead value stays the answer's."""
    from assistant.answer.extractive import ExtractiveAnswerer, with_context

    named = "Schicker verlor im November die linke Hand."
    answer = "Er möchte im Frühjahr 2016 wieder spielen."
    other = "Der Verein SV Horn hält zu ihm."
    value = (answer.index("Frühjahr"), answer.index(" wieder"))
    scored = (
        ScoredSentence(1, 1, answer, 0.8, value),
        ScoredSentence(1, 0, named, 0.05),
        ScoredSentence(1, 2, other, 0.01),
    )
    evidence = Evidence(EVIDENCE_CHUNKS, scored, True, 0.97)
    draft = drained(
        ExtractiveAnswerer(2, 0.1).stream("Wann will Schicker spielen?", "de", evidence)
    )
    assert draft.lead == "Frühjahr 2016"
    assert [c.text for c in draft.claims] == ["Frühjahr 2016", named, answer]
    assert draft.text.index(named) < draft.text.index(answer)
    # a quote that names who it is about stands alone
    assert [s.text for s in with_context(evidence, [scored[2]])] == [other]


def test_a_sentence_of_punctuation_only_is_never_ranked(tmp_path):
    """XQuAD's text has "." lines; one was quoted as the closest evidence: “.” [1]."""
    from conftest import write_fake_model

    from assistant.evidence.model import load_answer_model
    from assistant.evidence.rank import EvidenceRanker
    from assistant.records import Candidate, Retrieval, Span

    text = "Clades are branches. . The tree has many."
    spans = (Span(0, 20), Span(21, 22), Span(23, len(text)))
    piece = Chunk("c1", "a1", "h", "t", text, "en", 0, 0, len(text), 9, spans)
    retrieval = Retrieval("What are clades?", "en", (Candidate(piece, 0.8, (0.7, 0.9, 0.2)),))
    model = load_answer_model(write_fake_model(tmp_path / "m.json"), "fake/hashing-256")
    ranked = EvidenceRanker(model).rank("What are clades?", retrieval, 5)
    assert [s.text for s in ranked.sentences] and "." not in [s.text for s in ranked.sentences]
    assert {s.index for s in ranked.sentences} == {0, 2}
