"""The decision after ranking (evidence/decide.py) with a scripted verifier: answer, closest
or none; the verified sentence quoted first; a lead only when verified and of the type
asked for; a closest response names what the articles don't say and never leads."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import drained, write_fake_model

from assistant import Assistant
from assistant.evidence.decide import VERIFY_FEATURES, Decider, VerifyModel
from assistant.evidence.features import Question
from assistant.evidence.linear import LinearModel
from assistant.evidence.types import question_type
from assistant.evidence.units import asked_measure, span_measure
from assistant.providers import HashingEmbedder
from assistant.records import AskRequest

TROOPS = "Wie viele Soldaten hat Nordkorea nach Russland geschickt?"
FALLEN = "Wie viele nordkoreanische Soldaten sind bisher gefallen?"


class Scripted:
    """A verifier that says yes to sentences holding one of ``yes`` words."""

    version = "scripted"

    def __init__(self, *yes: str):
        self.yes, self.asked = yes, []

    def verify(self, question: str, sentences: list[str]) -> np.ndarray:
        self.asked.append((question, list(sentences)))
        return np.array([0.95 if any(w in s for w in self.yes) else 0.05 for s in sentences])


def verify_model(lead: float = 0.5) -> VerifyModel:
    """P(answer) rises with the best verified sentence: 10 * (best - 0.5)."""
    weights = np.array([10.0 if f == "verified_best" else 0.0 for f in VERIFY_FEATURES])
    n = len(VERIFY_FEATURES)
    model = LinearModel(VERIFY_FEATURES, np.zeros(n), np.ones(n), weights, -5.0)
    return VerifyModel(model, {"de": 0.5, "en": 0.5}, lead, 3, "scripted", floor=0.5)


@pytest.fixture
def bot(fake_settings, corpus_dir, tmp_path):
    """The fake assistant, near enough for the seed's "gefallen" question (hashing cosine
    about .12 to the troops sentence), with the scripted verifier's decision."""
    model = write_fake_model(tmp_path / "near.json", threshold=0.1)
    settings = fake_settings.model_copy(update={"answer_model": model})

    def make(verifier, lead: float = 0.5) -> Assistant:
        assistant = Assistant.from_settings(settings, embedder=HashingEmbedder())
        assistant.decider = Decider(verify_model(lead), verifier, None)
        assistant.ingest(corpus_dir)
        return assistant

    return make


def test_a_verified_sentence_is_an_answer_with_its_lead(bot):
    verifier = Scripted("geschickt")
    answer = bot(verifier).ask(TROOPS)
    assert (answer.answer_kind, answer.answerable, answer.lead) == (
        "answer", True, "fast 12.000 Soldaten",
    )  # fmt: skip
    assert verifier.asked and verifier.asked[0][0] == TROOPS
    assert answer.answer.startswith("fast 12.000 Soldaten [1]")
    assert answer.timings_ms["verify"] >= 0


def test_a_near_sentence_that_does_not_say_it_is_the_closest_evidence(bot):
    """The seed case: 'gefallen' asked, 'geschickt' said: no lead value, what is missing."""
    answer = bot(Scripted()).ask(FALLEN)
    assert (answer.answer_kind, answer.answerable, answer.lead) == ("closest", False, "")
    assert "gefallen" in answer.missing
    assert answer.answer.startswith("Zu ‚gefallen‘")
    assert "Am nächsten kommt: „Nordkorea hat nach Berichten fast 12.000 Soldaten" in answer.answer
    assert "12.000 Soldaten [1]" not in answer.answer.split("„")[0]  # no value before the quote
    assert answer.citations and answer.sentences[0].supported
    assert answer.provider == "extractive"
    as_dict = answer.to_dict()
    assert (as_dict["answer_kind"], as_dict["missing"]) == ("closest", list(answer.missing))


def test_the_lead_needs_the_verifier_to_be_sure(bot):
    answer = bot(Scripted("geschickt"), lead=0.99).ask(TROOPS)
    assert answer.answer_kind == "answer" and answer.lead == ""
    assert answer.answer.startswith("Wörtlich aus den Artikeln:")


def test_evidence_that_is_not_near_stays_a_decline_without_asking_the_verifier(bot):
    verifier = Scripted("geschickt")
    answer = bot(verifier).ask("Welche Farbe hat der Himmel über Tokio?")  # no word shared
    assert (answer.answer_kind, answer.provider) == ("none", "decline")
    assert verifier.asked == []


def test_every_channel_reports_the_kind(bot):
    closest = bot(Scripted()).ask(AskRequest(question=FALLEN))
    from assistant.present import terminal

    assert terminal(closest).startswith("[Keine Antwort in den Artikeln – nächstliegender Beleg]")


@pytest.mark.parametrize(
    ("question", "measure"),
    [
        ("Wie schwer war der Wal?", "mass"),
        ("How long did the strike last?", "duration"),
        ("Wie alt ist Putin?", "age"),
        ("How many times did she win?", "times"),
        ("Wie schnell fuhr der Zug?", "speed"),
        ("Wie viele Soldaten hat Nordkorea geschickt?", ""),
        ("Wie hoch ist der Anteil?", ""),
    ],
)
def test_the_measure_a_question_asks_for(question, measure):
    assert asked_measure(question) == measure


@pytest.mark.parametrize(
    ("sentence", "value", "measure"),
    [
        ("Der Wal wog 40 Tonnen.", "40 Tonnen", "mass"),
        ("The strike lasted 12 days, until 5 pm.", "12 days", "duration"),
        ("The strike lasted 12 days, until 5 pm.", "5 pm", "clock"),
        ("Der 72-jährige Putin sagte das.", "72", "age"),
        ("He won 3 times.", "3 times", "times"),
        ("The train ran at 300 km/h.", "300 km", "speed"),
        ("Der Anteil lag bei 18 Prozent.", "18 Prozent", "share"),
        ("Nordkorea hat fast 12.000 Soldaten geschickt.", "fast 12.000 Soldaten", ""),
        ("Er wohnt in Berlin seit 12 in Folge.", "12", ""),  # "in" is no inch
        # the number is the span's digits, not a word before them
        ("Rund 45 Prozent der Einwohner sind arm.", "Rund 45 Prozent", "share"),
        ("He faces up to 15 years in prison.", "up to 15 years", "duration"),
        ("Die Pest trat in Venedig 22-mal auf.", "22", "times"),
        ("Mit 39 Jahren ist er der älteste Quarterback.", "39 Jahren", "age"),
        ("She works two days per week.", "two days", "duration"),  # not a share
        ("Die Firma setzte 2 Milliarden Euro um.", "2 Milliarden", ""),
        ("It is 3 million kilometres away.", "3 million", "length"),  # the scale skipped
        ("He was 88.", "88", "age"),  # a sentence that is only an age
        ("Sie wurde 92 Jahre.", "92 Jahre", "age"),
        ("The rate was 5.", "5", ""),  # no person: no age
        ("It yields 250 to 300 kilos of fish.", "250", "mass"),  # the range's unit
        ("Er wog zwischen 10 und 12 Tonnen.", "10", "mass"),
        ("He weighed 90 kilos.", "90", "mass"),  # not kilo-seconds
    ],
)
def test_a_value_gets_the_measure_of_its_unit(sentence, value, measure):
    at = sentence.index(value)
    assert span_measure(sentence, at, at + len(value)) == measure


def test_a_clock_time_is_no_lead_for_a_duration_question():
    from assistant.evidence.decide import typed_spans_for
    from assistant.evidence.features import SentenceView
    from assistant.records import Chunk, Span

    def view(text: str) -> SentenceView:
        chunk = Chunk("c", "a", "h", "t", text, "en", 0, 0, len(text), 9, (Span(0, len(text)),))
        return SentenceView(chunk, 0, 0.9)

    question = "How long did the strike last?"
    q = Question(question, "en", question_type(question), {"strike": 5.0})
    assert typed_spans_for(q, view("The strike lasted until 5 pm on Friday.")) == []
    assert typed_spans_for(q, view("The strike lasted 12 days.")) == [(18, 25)]


def test_an_age_is_the_named_person_s_or_the_only_one():
    from assistant.evidence.decide import typed_spans_for
    from assistant.evidence.features import SentenceView
    from assistant.records import Chunk, Span

    def spans(question: str, text: str) -> list[str]:
        chunk = Chunk("c", "a", "h", "t", text, "de", 0, 0, len(text), 9, (Span(0, len(text)),))
        q = Question(question, "de", question_type(question), {})
        return [text[a:b] for a, b in typed_spans_for(q, SentenceView(chunk, 0, 0.9))]

    asked = "Wie alt war Peyton Manning im Super Bowl?"
    assert spans(asked, "Mit 39 Jahren ist er der älteste Quarterback.") == ["39 Jahren"]
    two = "Der 38-jährige John Elway, einst Spielmacher der Broncos, und der 39-jährige Manning."
    assert spans(asked, two) == ["39"]  # next to the name asked about
    other = "Manning sprach nach dem Spiel in Santa Clara lange mit dem 45-jährigen Trainer."
    assert spans(asked, other) == []  # the sentence names him, and the age is not his


def test_without_a_verifier_a_lead_needs_the_lead_floor(fake_settings, corpus_dir, tmp_path):
    """NearnessDecider: the same answer leads with its value at P >= lead, and is the bare
    quote under it (an answer still, cited the same)."""
    from assistant.evidence.decide import NearnessDecider

    model = write_fake_model(tmp_path / "near.json", threshold=0.1)
    settings = fake_settings.model_copy(update={"answer_model": model})
    assistant = Assistant.from_settings(settings, embedder=HashingEmbedder())
    assistant.ingest(corpus_dir)
    answers = {}
    for lead in (0.0, 1.0):
        assistant.decider = NearnessDecider(0.05, None, lead=lead)
        answers[lead] = assistant.ask(TROOPS)
    sure, unsure = answers[0.0], answers[1.0]
    assert (sure.answer_kind, sure.lead) == ("answer", "fast 12.000 Soldaten")
    assert (unsure.answer_kind, unsure.lead) == ("answer", "")
    assert unsure.answer.startswith("Wörtlich") and sure.answer.startswith(sure.lead)
    assert [c.chunk_id for c in sure.citations] == [c.chunk_id for c in unsure.citations]


def _evidence(text: str, language: str = "de"):
    from assistant.records import Chunk, Evidence, Retrieved, ScoredSentence, Span

    chunk = Chunk("c", "a", "h", "t", text, language, 0, 0, len(text), 9, (Span(0, len(text)),))
    sentence = ScoredSentence(1, 0, text, 0.9, None)
    return Evidence((Retrieved(chunk, 0.9, 1),), (sentence,), True, 0.97)


@pytest.mark.parametrize(
    ("question", "text", "kind"),
    [
        ("Wie viele Soldaten sind gefallen?", "Nordkorea schickte fast 12.000 Soldaten.", "answer"),
        ("Wie viele Soldaten sind gefallen?", "Pjöngjang wies die Berichte zurück.", "closest"),
        ("How old is the priest?", "The priest was sentenced on Friday.", "closest"),
        ("How old is the priest?", "The 60-year-old priest was sentenced.", "answer"),
        ("Wer kommandiert die Truppen?", "Die Truppen sind in Kursk.", "answer"),  # not a value
    ],
)
def test_a_number_question_needs_a_value_of_its_measure(question, text, kind):
    """NearnessDecider: an answer to a number (or money) question whose sentence holds no
    value of the asked measure is closest evidence; other kinds are left to the model."""
    from assistant.evidence.decide import NearnessDecider
    from assistant.evidence.types import question_type

    language = "en" if question.startswith("How") else "de"
    q = Question(question, language, question_type(question), {})
    decided = NearnessDecider(0.4, None).decide(q, _evidence(text, language))
    assert decided.kind == kind
    assert decided.answerable == (kind == "answer")


def test_a_value_in_the_second_quoted_sentence_answers():
    """The rule reads the sentences the answer quotes: a second one within the margin."""
    from assistant.evidence.decide import NearnessDecider
    from assistant.records import Chunk, Evidence, Retrieved, ScoredSentence, Span

    first, second = "Mars Express zeigt den Nordpol.", "Das Bild besteht aus 32 Aufnahmen."
    text = f"{first} {second}"
    spans = (Span(0, len(first)), Span(len(first) + 1, len(text)))
    chunk = Chunk("c", "a", "h", "t", text, "de", 0, 0, len(text), 9, spans)
    sentences = (ScoredSentence(1, 0, first, 0.5), ScoredSentence(1, 1, second, 0.3))
    evidence = Evidence((Retrieved(chunk, 0.9, 1),), sentences, True, 0.97)
    question = "Wie viele Aufnahmen wurden kombiniert?"
    q = Question(question, "de", question_type(question), {})
    assert NearnessDecider(0.4, None, margin=0.6).decide(q, evidence).kind == "answer"
    assert NearnessDecider(0.4, None, margin=0.1).decide(q, evidence).kind == "closest"


def _two_sentences(first: str, second: str, scores=(0.6, 0.05)):
    from assistant.records import Chunk, Evidence, Retrieved, ScoredSentence, Span

    text = f"{first} {second}"
    spans = (Span(0, len(first)), Span(len(first) + 1, len(text)))
    chunk = Chunk("c", "a", "h", "t", text, "en", 0, 0, len(text), 9, spans)
    q = Question(BRESLIN, "en", question_type(BRESLIN), {})
    from assistant.evidence.features import SentenceView
    from assistant.evidence.rank import lead_span

    sentences = tuple(
        ScoredSentence(1, i, t, score, lead_span(q, SentenceView(chunk, i, 0.9)))
        for i, (t, score) in enumerate(zip((first, second), scores))
    )
    return q, Evidence((Retrieved(chunk, 0.9, 1),), sentences, True, 0.97)


BRESLIN = "How old was Jimmy Breslin when he died?"
DIED = "Jimmy Breslin, the New York columnist, died Sunday, the outlet confirmed."


def test_the_sentence_that_carries_on_gives_the_value():
    """ "... died Sunday." "He was 88.": the age is in the next sentence, which opens with a
    pronoun; it is quoted second and its value leads."""
    from assistant.answer.extractive import ExtractiveAnswerer
    from assistant.evidence.decide import NearnessDecider

    q, evidence = _two_sentences(DIED, "He was 88.")
    decided = NearnessDecider(0.4, None, margin=0.1).decide(q, evidence)
    assert decided.kind == "answer"
    assert [s.text for s in decided.near_best(2, 0.1)] == [DIED, "He was 88."]
    draft = drained(ExtractiveAnswerer(2, 0.1).stream(q.text, "en", decided))
    assert draft.lead == "88" and draft.text.startswith("88 [1]")
    assert draft.text.index(DIED) < draft.text.index("He was 88.")


@pytest.mark.parametrize(
    "second",
    [
        "The paper was founded in 1919.",  # no pronoun: not the same person's sentence
        "He wrote 12 books.",  # a count, not an age
    ],
)
def test_a_next_sentence_that_does_not_carry_the_value_on_is_not_quoted(second):
    from assistant.evidence.decide import NearnessDecider

    q, evidence = _two_sentences(DIED, second)
    decided = NearnessDecider(0.4, None, margin=0.1).decide(q, evidence)
    assert decided.kind == "closest"
    assert [s.text for s in decided.sentences][:1] == [DIED]


def test_a_verified_sentence_without_the_asked_value_is_closest(bot):
    """The value rule holds with a verifier too: it says yes to a sentence with no count
    for a "wie viele" question, and the response is still closest evidence."""
    answer = bot(Scripted("Pjöngjang")).ask("Wie viele Soldaten hat Pjöngjang geschickt?")
    assert answer.answer_kind == "closest" and answer.lead == ""


@pytest.mark.parametrize(
    ("question", "text", "kind"),
    [
        # a "how many <unit>" question: a value of another measure does not answer it ...
        ("How many hectares do the farms cover?", "The farms yield 300 kilos a year.", "closest"),
        ("How many kilometres is the route?", "The flight takes 17 hours.", "closest"),
        # ... a value with no unit may (the unit is often said before it)
        ("Wie viele Hektar umfasst der Park?", "Die Fläche in Hektar liegt bei 2.000.", "answer"),
        ("How many hectares do the farms cover?", "The farms cover 2,000 hectares.", "answer"),
    ],
)
def test_a_counted_unit_rules_out_values_of_another_measure(question, text, kind):
    from assistant.evidence.decide import NearnessDecider

    language = "de" if question.startswith("Wie") else "en"
    q = Question(question, language, question_type(question), {})
    assert NearnessDecider(0.4, None).decide(q, _evidence(text, language)).kind == kind
