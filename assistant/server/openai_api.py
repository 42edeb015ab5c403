"""An OpenAI-compatible face: ``POST /v1/chat/completions`` and ``GET /v1/models``.

The official ``openai`` client works against it. The answer text keeps its ``[n]``
markers, the same in every streamed delta as in the final text; the citations and the
sentence checks travel in extra fields (``citations``, ``sentences``, ``query``, ...) of
the response and of the final stream chunk (``wire.py``), with the kept turn's ``turn_id``
and ``conversation_id``. Our extension ``conversation_id`` continues a kept conversation:
its stored turns are the history, so the messages a client resends cannot fork it.

The question is the last message with role ``user``; messages after it (a tool result, a
system reminder, an assistant prefill) are ignored like system messages. It used to be a
400 unless the very last message was the user's, a rule no JSON Schema can state ("the
last item"), so the document promised requests the server refused. What the document does
state: ``messages`` contains a user message, and every user message has text (a string,
or a text part, that is not blank) of at most ``max_question_chars`` characters; the
server checks exactly that (``conversation``), with the chain's messages (400).
"""

from __future__ import annotations

import time
import uuid
from typing import Literal

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import JsonDict

from ..dates import parse_as_of
from ..errors import QuestionError
from ..records import AskRequest, Filters
from .api import (
    FiltersIn,
    as_of_field,
    conversation_field,
    require_json,
    start_stream,
    timeline_field,
    top_k_field,
)
from .inputs import MAX_QUESTION, NOT_BLANK, QUESTION, WholeNumber, checked_length
from .openapi import ANSWERING, CHUNK_EVENT, errors, streamed
from .outputs import ChatCompletionOut
from .state import ServerState
from .wire import openai_chunks, openai_completion

MODEL_ID = "news-assistant"
TEXT_PART: JsonDict = {  # a text part that is not blank
    "type": "object",
    "required": ["type", "text"],
    "properties": {"type": {"const": "text"}, "text": {"type": "string", "pattern": NOT_BLANK}},
}
# each text part; the parts joined have the same limit (``conversation``)
PART_TEXT: JsonDict = {"maxLength": 2000, "x-setting": MAX_QUESTION}
USER_MESSAGE: JsonDict = {  # what a user message must carry (``conversation`` checks it)
    "if": {"properties": {"role": {"const": "user"}}, "required": ["role"]},
    "then": {
        "required": ["content"],
        "properties": {
            "content": {
                "anyOf": [
                    {"type": "string", **QUESTION},
                    {
                        "type": "array",
                        "contains": TEXT_PART,
                        "items": {"properties": {"text": PART_TEXT}},
                    },
                ]
            }
        },
    },
}


class ContentPart(BaseModel):
    """A part of a multi-part message; only text parts carry a question."""

    model_config = ConfigDict(extra="allow", strict=True)
    type: str
    text: str | None = None


class Message(BaseModel):
    """One chat message; a user message needs text (its parts joined by spaces: at most
    max_question_chars characters)."""

    model_config = ConfigDict(extra="allow", strict=True, json_schema_extra=USER_MESSAGE)
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        """The message's text (text parts joined)."""
        if isinstance(self.content, list):
            return " ".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    """The OpenAI request fields we use; other OpenAI options are accepted and ignored."""

    model_config = ConfigDict(extra="allow", strict=True)
    model: str = MODEL_ID
    messages: list[Message] = Field(
        min_length=1,
        max_length=100,
        description="the last user message is the question; earlier user/assistant pairs "
        "are the history; system, developer and tool messages, and any message after "
        "the last user message, are ignored",
        json_schema_extra={"contains": {"properties": {"role": {"const": "user"}}}},
    )
    stream: bool = False
    filters: FiltersIn | None = None  # our extension, via the client's ``extra_body``
    top_k: WholeNumber | None = top_k_field()
    as_of: str | None = as_of_field()  # our extension, like ``filters``
    timeline: bool | None = timeline_field()  # our extension, like ``filters``
    conversation_id: str | None = conversation_field()  # our extension, like ``filters``


def conversation(messages: list[Message], limit: int) -> tuple[str, list[tuple[str, str]]]:
    """The last user message as the question; earlier user/assistant pairs as history.
    Every user message must have text of at most ``limit`` characters (QuestionError)."""
    users = [i for i, message in enumerate(messages) if message.role == "user"]
    if not users:
        roles = [message.role for message in messages]
        raise QuestionError(f"expected a message with role 'user', got roles {roles}")
    for i in users:
        text = messages[i].text()
        if not text.strip():
            raise QuestionError(f"expected a question in messages[{i}], got an empty text")
        checked_length(text, limit, f" in messages[{i}]")
    history: list[tuple[str, str]] = []
    pending: str | None = None
    for message in messages[: users[-1]]:
        if message.role == "user":
            pending = message.text()
        elif message.role == "assistant" and pending is not None:
            history.append((pending, message.text()))
            pending = None
    return messages[users[-1]].text(), history


def chat_request(body: ChatRequest, limit: int) -> AskRequest:
    """The request record from an OpenAI chat request."""
    question, history = conversation(body.messages, limit)
    return AskRequest(
        question=question,
        history=tuple(history),
        filters=body.filters.to_filters() if body.filters else Filters(),
        top_k=body.top_k,
        as_of=parse_as_of(body.as_of),
        timeline=body.timeline,
        conversation_id=body.conversation_id,
    )


class ModelOut(BaseModel):
    """OpenAI's model object."""

    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelsOut(BaseModel):
    """OpenAI's model list."""

    object: Literal["list"]
    data: list[ModelOut]


def build_openai_router(state: ServerState) -> APIRouter:
    """``/v1`` routes bound to ``state``."""
    router = APIRouter(prefix="/v1", tags=["openai"])
    limit = state.settings.max_question_chars

    @router.get("/models", summary="The one model this server offers", response_model=ModelsOut)
    def models():
        """OpenAI's model list with the assistant as the only model."""
        return {
            "object": "list",
            "data": [
                {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "news-assistant"}
            ],
        }

    @router.post(
        "/chat/completions",
        summary="OpenAI-compatible chat completion",
        dependencies=[Depends(require_json)],
        responses={
            **streamed(ChatCompletionOut, CHUNK_EVENT, "stream=true: text/event-stream"),
            **errors(*ANSWERING),
        },
    )
    def chat(body: ChatRequest):
        """Answer the last user message; ``stream`` gives chat.completion.chunk events."""
        request = chat_request(body, limit)
        meta = {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "created": int(time.time()),
            "model": body.model,
        }
        if not body.stream:
            return openai_completion(state.conversations.ask(request), meta)
        events = start_stream(state.conversations.stream(request))
        return StreamingResponse(
            openai_chunks(events, meta),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache"},
        )

    return router
