"""The answer-type detector: what a question asks for, and the spans a sentence holds."""

import pytest

from assistant.evidence.types import (
    DATE,
    NAME,
    NUMBER,
    OTHER,
    PERSON,
    PLACE,
    question_type,
    typed_spans,
)


@pytest.mark.parametrize(
    "question, kind",
    [
        ("Wie viele nordkoreanische Soldaten sind gefallen?", NUMBER),
        ("Wie hoch sind die Verluste der Truppen?", NUMBER),
        ("How many troops were sent?", NUMBER),
        ("How much does Russia pay?", "money"),
        ("How much rain fell?", NUMBER),
        ("What percentage of voters agreed?", NUMBER),
        ("Wann sprach Putin mit russischen Medien?", DATE),
        ("In welchem Jahr wurde die Mauer gebaut?", DATE),
        ("When did Putin speak?", DATE),
        ("In what year was it founded?", DATE),
        ("Wer kommandiert die Truppen?", PERSON),
        ("Who won the election?", PERSON),
        ("Wo liegt Fresno?", PLACE),
        ("In welcher Stadt fand das Spiel statt?", PLACE),
        ("Where did the storm hit?", PLACE),
        ("Was zeigen die Satellitenbilder?", OTHER),
        ("What did Putin call the deployment?", OTHER),
        # the question phrase that comes first decides; a "when" clause only says which time
        ("How old was Jimmy Breslin when he died?", NUMBER),
        ("Which band was on stage when the club was attacked?", "name"),
        ("Wie viele Menschen starben, als das Haus einstürzte?", NUMBER),
        ("Wann sagte er, wie viele Soldaten geschickt wurden?", DATE),
    ],
)
def test_question_types(question, kind):
    assert question_type(question) == kind


def kinds(text, language):
    return [(s.kind, s.text) for s in typed_spans(text, language)]


def test_german_sentence_spans_tell_names_from_nouns():
    found = kinds(
        "Nordkorea hat bereits fast 12.000 Truppen, einschließlich hochrangiger "
        "Offiziere, nach Russland geschickt, am 25. Oktober sagte Wladimir Putin.",
        "de",
    )
    assert (NUMBER, "fast 12.000 Truppen") in found
    assert (DATE, "25. Oktober") in found and (NUMBER, "25") not in found
    assert (PLACE, "Russland") in found
    assert any(kind in (PERSON, NAME) and "Putin" in text for kind, text in found)
    assert not any(text == "Truppen" or text == "Offiziere" for _, text in found)


def test_english_sentence_spans():
    found = kinds(
        "In 1998, President Bill Clinton visited Berlin with about 3,000 people on March 3.", "en"
    )
    assert (DATE, "1998") in found and (DATE, "March 3") in found
    assert (PERSON, "President Bill Clinton") in found
    assert (PLACE, "Berlin") in found
    assert (NUMBER, "about 3,000 people") in found


def test_date_ranges_and_sentence_starts():
    assert kinds("Die Soldaten werden ab dem 27.-28. Oktober vorbereitet.", "de") == [
        (DATE, "27.-28. Oktober")
    ]
    assert kinds("Südkoreanische Satellitenbilder zeigen Soldaten.", "de") == []


@pytest.mark.parametrize(
    ("text", "language", "span"),
    [  # each was cut short or mis-typed before (the leads of the verifier fit's rows)
        ("On 19 January 2016 the council met.", "en", (DATE, "19 January 2016")),
        ("Sales rose in April 2015 by 3%.", "en", (DATE, "April 2015")),
        ("Die Finanzreferentin Gaby Schaunig sagte das.", "de", (PERSON, "Gaby Schaunig")),
    ],
)
def test_spans_end_where_the_value_ends(text, language, span):
    found = kinds(text, language)
    assert span in found, found
    assert not any(kind == DATE and t in ("19 Januar", "April 20") for kind, t in found)


def test_a_stop_word_at_a_sentence_start_is_no_name():
    assert kinds("Am 19. Januar 2016 tagte der Rat.", "de") == [(DATE, "19. Januar 2016")]


def test_money_is_asked_for_and_found_apart_from_counts():
    assert question_type("Wie viel zahlt Russland Nordkorea für die Soldaten?") == "money"
    assert question_type("How much did the company pay for the deal?") == "money"
    assert question_type("Wie viele Soldaten wurden geschickt?") == NUMBER
    found = kinds("Das Gerät kostet 10.000 Dollar, fast 12.000 Truppen, $ 5 Millionen.", "de")
    assert [f for f in found if f[0] in ("money", NUMBER)] == [
        ("money", "10.000 Dollar"),
        (NUMBER, "fast 12.000 Truppen"),
        ("money", "$ 5 Millionen"),
    ]
    assert ("money", "$5 million") in kinds("It cost $5 million.", "en")


def test_a_weekday_is_never_a_name():
    found = kinds("Trump named Andrew Puzder on Monday, the chief of CKE Restaurants.", "en")
    assert not any(text == "Monday" for _, text in found)
    assert kinds("Die Lager öffneten am Samstagabend.", "de") == []


def test_an_agency_credit_is_never_a_name():
    """ "/TASS/." in a dateline credits the agency; the sentence is not about it."""
    found = kinds("ST PETERSBURG, March 28. /TASS/. Tour operators met Igor Levitin.", "en")
    assert not any(text == "TASS" for _, text in found)
    assert any(text == "Igor Levitin" for _, text in found)
    assert not any(t == "APA" for _, t in kinds("Wien (APA) – Kanzler Kern sprach.", "de"))
