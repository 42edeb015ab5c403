"""An OpenAI-compatible face: ``POST /v1/chat/completions`` and ``GET /v1/models``.

The official ``openai`` client works against it. The answer text keeps its ``[n]``
markers, the same in every streamed delta as in the final text; the citations and the
sentence checks travel in extra fields (``citations``, ``sentences``, ``query``, ...) of
the response and of the final stream chunk (``wire.py``), with the kept turn's ``turn_id``
and ``conversation_id``. Our extension ``conversation_id`` continues a kept conversation:
its stored turns are the history, so the messages a client resends cannot fork it.
"""

from __future__ import annotations

import time
import uuid
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from ..dates import parse_as_of
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
from .state import ServerState
from .wire import openai_chunks, openai_completion

MODEL_ID = "news-assistant"


class ContentPart(BaseModel):
    """A part of a multi-part message; only text parts carry a question."""

    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class Message(BaseModel):
    """One chat message."""

    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        """The message's text (text parts joined)."""
        if isinstance(self.content, list):
            return " ".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    """The OpenAI request fields we use; other OpenAI options are accepted and ignored."""

    model_config = ConfigDict(extra="allow")
    model: str = MODEL_ID
    messages: list[Message] = Field(min_length=1, max_length=100)
    stream: bool = False
    filters: FiltersIn | None = None  # our extension, via the client's ``extra_body``
    top_k: int | None = top_k_field()
    as_of: str | None = as_of_field()  # our extension, like ``filters``
    timeline: bool | None = timeline_field()  # our extension, like ``filters``
    conversation_id: str | None = conversation_field()  # our extension, like ``filters``


def conversation(messages: list[Message]) -> tuple[str, list[tuple[str, str]]]:
    """The last user message as the question; earlier user/assistant pairs as history."""
    if messages[-1].role != "user":
        raise HTTPException(
            400, f"expected the last message to be from the user, got {messages[-1].role!r}"
        )
    history: list[tuple[str, str]] = []
    pending: str | None = None
    for message in messages[:-1]:
        if message.role == "user":
            pending = message.text()
        elif message.role == "assistant" and pending is not None:
            history.append((pending, message.text()))
            pending = None
    return messages[-1].text(), history


def chat_request(body: ChatRequest) -> AskRequest:
    """The request record from an OpenAI chat request."""
    question, history = conversation(body.messages)
    return AskRequest(
        question=question,
        history=tuple(history),
        filters=body.filters.to_filters() if body.filters else Filters(),
        top_k=body.top_k,
        as_of=parse_as_of(body.as_of),
        timeline=body.timeline,
        conversation_id=body.conversation_id,
    )


def build_openai_router(state: ServerState) -> APIRouter:
    """``/v1`` routes bound to ``state``."""
    router = APIRouter(prefix="/v1", tags=["openai"])

    @router.get("/models", summary="The one model this server offers")
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
    )
    def chat(body: ChatRequest):
        """Answer the last user message; ``stream`` gives chat.completion.chunk events."""
        request = chat_request(body)
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
