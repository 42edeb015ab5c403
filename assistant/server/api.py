"""The HTTP API: ``/api/ask``, ``/api/ingest``, ``/api/index``, ``/healthz``.

Every answer is ``Answer.to_dict()`` (the same JSON as ``assistant ask --json``); every
error is ``{"error": {"type", "message"}}`` (``wire.py``) with a 4xx status for anything
the client got wrong.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date
from typing import Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ..records import AnswerEvent, AskRequest, ErrorEvent, Filters
from .state import ServerState, Upload
from .wire import error_body, sse_events

JSONL_TYPES = (
    "application/x-ndjson",
    "application/jsonl",
    "application/json-lines",
    "application/x-jsonlines",
)


class FiltersIn(BaseModel):
    """Retrieval filters; unknown keys are refused so a typo cannot silently widen a search."""

    model_config = ConfigDict(extra="forbid")
    language: Literal["de", "en"] | None = None
    source: str | None = Field(None, min_length=1, max_length=200)
    published_from: date | None = None
    published_to: date | None = None

    def to_filters(self) -> Filters:
        """The retrieval record."""
        return Filters.parse(self.language, self.source, self.published_from, self.published_to)


class TurnIn(BaseModel):
    """One earlier turn of the conversation."""

    model_config = ConfigDict(extra="forbid")
    question: str
    answer: str


class AskIn(BaseModel):
    """A question with optional conversation history and filters."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "question": "Wie viele nordkoreanische Soldaten soll Nordkorea nach Russland "
                    "geschickt haben?",
                    "filters": {"language": "de"},
                }
            ]
        },
    )
    question: str = Field(min_length=1)
    history: list[TurnIn] = Field(default_factory=list, max_length=50)
    filters: FiltersIn | None = None
    top_k: int | None = Field(None, ge=0, le=100)


def ask_request(body: AskIn) -> AskRequest:
    """The request record from a request body."""
    return AskRequest(
        body.question,
        tuple((t.question, t.answer) for t in body.history),
        body.filters.to_filters() if body.filters else Filters(),
        body.top_k,
    )


def start_stream(events: Iterator[AnswerEvent]) -> Iterator[AnswerEvent]:
    """The events with the first one read: a failure before any text raises, so that it
    is answered with its status instead of a 200 stream that only says "error"."""
    first = next(events)
    if isinstance(first, ErrorEvent):
        raise first.error
    return itertools.chain([first], events)


def build_router(state: ServerState) -> APIRouter:
    """The ``/api`` and ``/healthz`` routes, bound to ``state``."""
    router = APIRouter()

    @router.post(
        "/api/ask",
        tags=["api"],
        summary="Answer a question with citations",
        responses={
            200: {
                "description": "Answer.to_dict(); with stream=true an "
                "text/event-stream of `delta` events, then `answer`"
            }
        },
    )
    def ask(body: AskIn, stream: bool = Query(False, description="stream server-sent events")):
        """The same JSON object as ``assistant ask --json``; or SSE deltas then the answer."""
        request = ask_request(body)
        if not stream:
            return state.assistant.ask(request).to_dict()
        events = start_stream(state.assistant.stream(request))
        return StreamingResponse(
            sse_events(events),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache"},
        )

    @router.post(
        "/api/ingest", tags=["api"], summary="Index uploaded articles", openapi_extra=INGEST_OPENAPI
    )
    async def ingest(request: Request):
        """Files (multipart field ``files``: txt, md, html, jsonl) or a JSONL body."""
        uploads = await _read_uploads(request, state.settings.max_upload_bytes)
        report = await run_in_threadpool(state.ingest_uploads, uploads)
        stats = await run_in_threadpool(state.stats)
        return {**report.to_dict(), "index": stats.to_dict()}

    @router.get("/api/index", tags=["api"], summary="What the index holds")
    def index():
        """Articles and chunks by language and source, the embedder, the last update."""
        return state.stats().to_dict()

    @router.get("/healthz", tags=["health"], summary="Liveness and readiness")
    def healthz():
        """200 when the server answers and the index can be read; 503 otherwise."""
        try:
            chunks = state.assistant.index.count()
        except Exception as exc:  # readiness: any failure to read the index means not ready
            return JSONResponse(
                {"status": "unavailable", **error_body(503, str(exc))}, status_code=503
            )
        return {"status": "ok", "chunks": chunks, "embedder": state.assistant.embedder.name}

    return router


async def _read_uploads(request: Request, max_bytes: int) -> list[Upload]:
    """Uploads from a multipart form (field ``files``) or a JSONL body."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        form = await request.form(max_part_size=max_bytes)
        files = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
        if not files:
            raise HTTPException(
                400, "expected one or more files in the multipart field 'files', got none"
            )
        return [Upload(f.filename or "upload", await f.read()) for f in files]
    if kind in JSONL_TYPES:
        body = await request.body()
        if not body.strip():
            raise HTTPException(
                400, "expected JSONL (one article object per line), got an empty body"
            )
        return [Upload("body.jsonl", body)]
    raise HTTPException(
        415,
        f"expected multipart/form-data (field 'files') or "
        f"application/x-ndjson, got {kind or 'no content type'}",
    )


INGEST_OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}}
                    },
                }
            },
            "application/x-ndjson": {
                "schema": {
                    "type": "string",
                    "description": 'one JSON object per line: {"id", "title", "text", '
                    '"language"?, "source"?, "published"?, "url"?}',
                }
            },
        },
    }
}
