"""The Answerer protocol, the decline texts, and the factory for the configured answerer."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Protocol, Sequence

from ..citations import Claim
from ..config import Settings
from ..records import Retrieved

DECLINE = {"de": "Das geht aus den Artikeln nicht hervor.", "en": "The articles don't say."}
LANGUAGE_NAMES = {"de": "German", "en": "English"}


@dataclass(frozen=True)
class Draft:
    """A drafted answer: its text, its claims, and whether it declines."""

    text: str
    claims: tuple[Claim, ...]
    answerable: bool


class Answerer(Protocol):
    """Drafts an answer; ``stream`` yields text deltas and returns the Draft at the end."""

    name: str

    def stream(self, question: str, language: str, retrieved: Sequence[Retrieved]
               ) -> Iterator[str | Draft]:
        """Yield text deltas, then one final Draft."""


def decline_draft(language: str) -> Draft:
    """The honest answer when the evidence is not there."""
    return Draft(DECLINE.get(language, DECLINE["en"]), (), False)


def make_answerer(settings: Settings, chat_model=None) -> Answerer:
    """The answerer the settings ask for (``chat_model`` overrides the provider's model)."""
    if settings.answerer == "extractive" and chat_model is None:
        from .extractive import ExtractiveAnswerer

        return ExtractiveAnswerer(max_sentences=settings.max_answer_sentences,
                                  margin=settings.second_sentence_margin)
    from ..prompts import load_prompt
    from ..providers import make_chat_model
    from .generative import GenerativeAnswerer

    return GenerativeAnswerer(chat_model or make_chat_model(settings),
                              load_prompt("answer", settings.prompts_dir),
                              name=settings.answerer if chat_model is None else "chat")
