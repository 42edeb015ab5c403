"""Kept conversations and readers' feedback over HTTP: ``/api/conversations``, ``/api/feedback``.

Routes only: each one calls ``ConversationService`` (``assistant/conversations``), where the
feedback values are checked for every channel (so the browser chat's thumbs and this API
refuse the same input with the same message). As everywhere in ``/api``, the request
models check the shape (422: missing, unknown or mistyped fields) and the values are
checked once, behind them (400: a rating other than up/down, a comment over 2,000
characters, a citation the turn does not have; 404: an unknown conversation or turn).
Nothing is stored when a request is refused.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from ..conversations.export import conversation_markdown
from ..conversations.records import MAX_COMMENT_CHARS, REASONS
from .api import require_json
from .state import ServerState


class FeedbackIn(BaseModel):
    """A reader's rating of one answered turn."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"turn_id": "…", "rating": "down", "citation": 1, "reason": REASONS[0]}]
        },
    )
    turn_id: str = Field(description="the answer's turn_id", max_length=64)
    rating: str = Field(description="'up' or 'down'", examples=["down"])
    comment: str | None = Field(
        None, description=f"at most {MAX_COMMENT_CHARS} characters; empty: no comment"
    )
    citation: int | None = Field(None, description="the [n] of the answer it is about")
    reason: str | None = Field(None, description=" or ".join(REASONS))


def build_conversations_router(state: ServerState) -> APIRouter:
    """The ``/api/conversations`` and ``/api/feedback`` routes, bound to ``state``."""
    router = APIRouter(prefix="/api", tags=["conversations"])

    @router.get("/conversations", summary="Kept conversations, newest first")
    def conversations(limit: int = Query(100, ge=1, le=1000)):
        """``{"conversations": [{"id", "title", "created", "updated", "turns"}]}``."""
        return {"conversations": [c.to_dict() for c in state.conversations.conversations(limit)]}

    @router.get("/conversations/{conversation_id}", summary="One conversation, every turn")
    def conversation(conversation_id: str):
        """The conversation with each turn's settings, answer (citations included),
        timings, trace id and feedback."""
        turns = state.conversations.turns(conversation_id)
        found = state.conversations.store.conversation(conversation_id)
        return {**found.to_dict(), "turns": [t.to_dict() for t in turns]}

    @router.delete("/conversations/{conversation_id}", summary="Delete a conversation")
    def delete(conversation_id: str):
        """Deletes its turns and their feedback; says how many."""
        return {"deleted": conversation_id, **state.conversations.delete(conversation_id)}

    @router.get(
        "/conversations/{conversation_id}/export",
        summary="One conversation as Markdown",
        response_class=PlainTextResponse,
        responses={200: {"content": {"text/markdown": {}}}},
    )
    def export(conversation_id: str):
        """Each question, its answer and its sources (title, source, date, quote, URL)."""
        turns = state.conversations.turns(conversation_id)
        found = state.conversations.store.conversation(conversation_id)
        return PlainTextResponse(
            conversation_markdown(found, turns), media_type="text/markdown; charset=utf-8"
        )

    @router.post(
        "/feedback",
        summary="Rate an answer",
        status_code=201,
        dependencies=[Depends(require_json)],
    )
    def feedback(body: FeedbackIn):
        """Stores the rating with its turn; answers the stored feedback (201)."""
        stored = state.conversations.add_feedback(
            body.turn_id, body.rating, body.comment, body.citation, body.reason
        )
        return stored.to_dict()

    return router
