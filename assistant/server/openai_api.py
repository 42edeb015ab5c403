"""An OpenAI-compatible face: ``POST /v1/chat/completions`` and ``GET /v1/models``.

The official ``openai`` client works against it. The answer text keeps its ``[n]``
markers; the citations and the sentence checks travel in extra fields (``citations``,
``sentences``, ``query``) of the response and of the final stream chunk.
"""
from __future__ import annotations

import json
import time
import uuid
from typing import Iterator, Literal

from fastapi import APIRouter, HTTPException
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from ..errors import AssistantError
from ..records import Answer
from .api import FiltersIn
from .state import ServerState

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
    top_k: int | None = Field(None, ge=0, le=100)


def conversation(messages: list[Message]) -> tuple[str, list[tuple[str, str]]]:
    """The last user message as the question; earlier user/assistant pairs as history."""
    if messages[-1].role != "user":
        raise HTTPException(400, f"expected the last message to be from the user, got "
                                 f"{messages[-1].role!r}")
    history: list[tuple[str, str]] = []
    pending: str | None = None
    for message in messages[:-1]:
        if message.role == "user":
            pending = message.text()
        elif message.role == "assistant" and pending is not None:
            history.append((pending, message.text()))
            pending = None
    return messages[-1].text(), history


def extras(answer: Answer) -> dict:
    """The fields a plain OpenAI client ignores and ours reads: citations and checks."""
    data = answer.to_dict()
    return {"citations": data["citations"], "sentences": data["sentences"],
            "query": data["query"], "answerable": data["answerable"]}


def build_openai_router(state: ServerState) -> APIRouter:
    """``/v1`` routes bound to ``state``."""
    router = APIRouter(prefix="/v1", tags=["openai"])

    @router.get("/models", summary="The one model this server offers")
    def models():
        """OpenAI's model list with the assistant as the only model."""
        return {"object": "list", "data": [{"id": MODEL_ID, "object": "model",
                                            "created": 0, "owned_by": "news-assistant"}]}

    @router.post("/chat/completions", summary="OpenAI-compatible chat completion")
    def chat(body: ChatRequest):
        """Answer the last user message; ``stream`` gives chat.completion.chunk events."""
        question, history = conversation(body.messages)
        kwargs = {"question": question, "history": history, "top_k": body.top_k,
                  "filters": body.filters.to_filters() if body.filters else None}
        meta = {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "created": int(time.time()),
                "model": body.model}
        if not body.stream:
            return completion(state.assistant.ask(**kwargs), meta)
        events = state.assistant.stream(**kwargs)
        first = next(events)  # a bad question fails here, before the 200 is sent
        return StreamingResponse(_chunks(first, events, meta), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})

    return router


def completion(answer: Answer, meta: dict) -> dict:
    """A ``chat.completion`` object for a finished answer."""
    return {**meta, "object": "chat.completion",
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                         "message": {"role": "assistant", "content": answer.answer}}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            **extras(answer)}


def _chunk(meta: dict, delta: dict, finish: str | None = None, **extra) -> str:
    data = {**meta, "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish,
                         "logprobs": None}], **extra}
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def _chunks(first, events: Iterator, meta: dict) -> Iterator[str]:
    """Role chunk, content deltas, a final chunk with the citations, then ``[DONE]``.

    Deltas are the drafted text; the checked answer may renumber markers, so the final
    chunk also carries ``answer`` (the checked answer text) for clients that want it.
    """
    yield _chunk(meta, {"role": "assistant", "content": ""})
    try:
        for item in _prepend(first, events):
            if isinstance(item, Answer):
                yield _chunk(meta, {}, "stop", answer=item.answer, **extras(item))
            elif item:
                yield _chunk(meta, {"content": item})
    except AssistantError as exc:  # the status is sent already: report in the stream
        yield f"data: {json.dumps({'error': {'message': str(exc), 'type': 'assistant_error'}})}\n\n"
    yield "data: [DONE]\n\n"


def _prepend(first, rest):
    yield first
    yield from rest
