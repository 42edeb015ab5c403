"""Follow-up questions are condensed into standalone queries before retrieval."""

from __future__ import annotations

import pytest

from assistant import Assistant
from assistant.condense import (
    LLMCondenser,
    RuleCondenser,
    condense_rule,
    is_follow_up,
    make_condenser,
)
from assistant.errors import ProviderError
from assistant.prompts import load_prompt
from assistant.providers import HashingEmbedder, make_chat_model

SEED = "Wie viele nordkoreanische Soldaten soll Nordkorea nach Russland geschickt haben?"


@pytest.mark.parametrize(
    "question, history, expected",
    [
        (
            "Und was sagte Pjöngjang dazu?",
            [(SEED, "Fast 12.000 [1].")],
            "Und was sagte Pjöngjang dazu? nordkoreanische Soldaten Nordkorea Russland geschickt",
        ),
        (
            "Und wann?",
            [(SEED, "a"), ("Und was sagte Pjöngjang dazu?", "b")],
            "Und wann? Pjöngjang nordkoreanische Soldaten Nordkorea Russland geschickt",
        ),
        (
            "And how many homes lost power?",
            [("How strong was the storm on the coast?", "x")],
            "And how many homes lost power? strong storm coast",
        ),
        (
            "What did they say about it?",
            [("Who criticised the Bundesbank in 2024?", "x")],
            "What did they say about it? criticised Bundesbank 2024",
        ),
        (
            "Welche Rolle spielt China im Konflikt um Taiwan?",
            [(SEED, "x")],
            "Welche Rolle spielt China im Konflikt um Taiwan?",
        ),  # standalone: unchanged
        ("Und was sagte Pjöngjang dazu?", [], "Und was sagte Pjöngjang dazu?"),  # no history
        (
            "Und Nordkorea?",
            [(SEED, "x")],
            "Und Nordkorea? nordkoreanische Soldaten Russland geschickt",
        ),  # no repeated words
    ],
)
def test_rule_condenses_exactly(question, history, expected):
    assert condense_rule(question, history) == expected


def test_follow_up_detection():
    assert is_follow_up("Und was sagte Pjöngjang dazu?")
    assert is_follow_up("Why?")  # short
    assert is_follow_up("How many of them were officers according to reports?")  # pronoun
    assert not is_follow_up("How strong was the storm on the northern coast of Germany?")
    assert not is_follow_up("")


def test_llm_condenser_sends_history_and_uses_the_rewrite(fake_settings):
    model = make_chat_model(
        fake_settings, fake_responses=["  Was sagte Pjöngjang zu den\nTruppen in Russland? "]
    )
    condenser = LLMCondenser(model, load_prompt("condense", fake_settings.prompts_dir))
    history = [(SEED, "Fast 12.000 Soldaten [1].")]
    assert condenser.format_history(history) == f"User: {SEED}\nAssistant: Fast 12.000 Soldaten."
    assert (
        condenser.condense("Und was sagte Pjöngjang dazu?", history)
        == "Was sagte Pjöngjang zu den Truppen in Russland?"
    )
    assert condenser.condense("Ohne Verlauf?", []) == "Ohne Verlauf?"  # no model call


def test_llm_condenser_failure_is_a_provider_error(fake_settings):
    class Broken:
        def invoke(self, *args, **kwargs):
            raise TimeoutError("took too long")

    condenser = LLMCondenser(
        make_chat_model(fake_settings, fake_responses=["x"]),
        load_prompt("condense", fake_settings.prompts_dir),
    )
    condenser.chain = Broken()
    with pytest.raises(ProviderError, match="condense model failed: TimeoutError"):
        condenser.condense("Und dazu?", [("Frage", "Antwort")])


def test_make_condenser_picks_the_rule_without_a_chat_model(fake_settings):
    assert isinstance(make_condenser(fake_settings), RuleCondenser)
    model = make_chat_model(fake_settings, fake_responses=["x"])
    assert isinstance(make_condenser(fake_settings, model), LLMCondenser)


def test_assistant_searches_the_condensed_query(fake_assistant, corpus_dir):
    fake_assistant.ingest(corpus_dir)
    history = [("Wie viele Soldaten hat Nordkorea nach Russland geschickt?", "Fast 12.000 [1].")]
    answer = fake_assistant.ask("Und was sagte Pjöngjang dazu?", history=history)
    assert answer.query == ("Und was sagte Pjöngjang dazu? Soldaten Nordkorea Russland geschickt")
    assert answer.question == "Und was sagte Pjöngjang dazu?"
    assert answer.to_dict()["query"] == answer.query
    assert answer.retrieved[0].chunk.article_id == "troops"
    assert answer.citations[0].article_id == "troops"


def test_assistant_with_a_chat_model_condenses_with_it(fake_settings, corpus_dir):
    model = make_chat_model(
        fake_settings,
        fake_responses=[
            "Wie wies Pjöngjang die Berichte zurück?",
            "Pjöngjang wies die Berichte als grundlose Gerüchte zurück. [1]",
        ],
    )
    assistant = Assistant.from_settings(fake_settings, embedder=HashingEmbedder(), chat_model=model)
    assistant.ingest(corpus_dir)
    answer = assistant.ask("Und dazu?", history=[("Wie viele Soldaten?", "12.000 [1].")])
    assert answer.query == "Wie wies Pjöngjang die Berichte zurück?"
    assert answer.retrieved[0].chunk.article_id == "troops"
    assert answer.citations and answer.citations[0].article_id == "troops"
