"""The Answerer protocol, the decline texts, and the factory for the configured answerer."""

from __future__ import annotations

from collections.abc import Generator
from typing import Protocol

from ..config import Settings
from ..records import Draft, Evidence

DECLINE = {"de": "Das geht aus den Artikeln nicht hervor.", "en": "The articles don't say."}
LANGUAGE_NAMES = {"de": "German", "en": "English"}


class Answerer(Protocol):
    """Drafts an answer from the ranked evidence; its markers are the chunks' ranks."""

    name: str

    def stream(
        self, question: str, language: str, evidence: Evidence
    ) -> Generator[str, None, Draft]:
        """Yield the text as it is drafted; return the Draft (text, claims, decline)."""


def decline_draft(language: str) -> Draft:
    """The honest answer when the evidence is not there."""
    return Draft(DECLINE.get(language, DECLINE["en"]), (), False)


def make_answerer(settings: Settings, chat_model=None, margin: float = 0.1) -> Answerer:
    """The answerer the settings ask for (``chat_model`` overrides the provider's model);
    ``margin`` is the answer model's margin for quoting a second sentence."""
    if settings.answerer == "extractive" and chat_model is None:
        from .extractive import ExtractiveAnswerer

        return ExtractiveAnswerer(max_sentences=settings.max_answer_sentences, margin=margin)
    from ..prompts import load_prompt
    from ..providers import make_chat_model
    from .generative import GenerativeAnswerer

    return GenerativeAnswerer(
        chat_model or make_chat_model(settings),
        load_prompt("answer", settings.prompts_dir),
        name=settings.answerer if chat_model is None else "chat",
    )
