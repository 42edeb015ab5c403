"""The browser chat's past conversations (list, reopen with sources, delete) and the
feedback form under the chat (rating, comment, and which citation it is about).

Reopening renders each kept turn exactly as it was answered: the stored ``Answer.to_dict()``
becomes an ``Answer`` again (``Answer.from_dict``) and goes through the same
``answer_markdown`` and ``sources_html`` as a fresh answer, so the citations, the checked
sentences and the highlighted quotes come back after a restart. The reopened tab continues
that conversation (its ``ChatSession`` names it), and the thumbs rate the turns it shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import AssistantError
from ..records import Answer
from ..untrusted import escape
from .render import answer_markdown, sources_html

if TYPE_CHECKING:
    from .state import ServerState

TITLE_CHARS = 60


@dataclass(frozen=True)
class ChatSession:
    """One browser tab's kept conversation, and the turn behind each answer message."""

    conversation_id: str = ""
    turn_ids: tuple[tuple[int, str], ...] = ()  # (index of the message in the chat, turn id)

    def kept(self, index: int, conversation_id: str, turn_id: str) -> ChatSession:
        """The session after the answer at ``index`` was kept (unchanged when it was not)."""
        if not turn_id:
            return self
        return ChatSession(conversation_id, (*self.turn_ids, (index, turn_id)))

    def turn_at(self, index) -> str:
        """The turn id of the message at ``index`` ("" for a question or an error)."""
        index = index[0] if isinstance(index, (list, tuple)) else index
        return dict(self.turn_ids).get(index, "")


def conversation_choices(state: ServerState) -> list[tuple[str, str]]:
    """(label, id) of the kept conversations, newest first: "28.11. 14:05 · first question"."""
    choices = []
    for kept in state.conversations.conversations():
        title = kept.title if len(kept.title) <= TITLE_CHARS else kept.title[:TITLE_CHARS] + "…"
        when = kept.updated[:16].replace("T", " ")
        choices.append((f"{when} · {title} ({kept.turn_count})", kept.id))
    return choices


def open_conversation(state: ServerState, conversation_id: str | None):
    """(chat messages, sources of the last answer, turns, session, note) of one conversation."""
    if not conversation_id:
        return [], sources_html(None), [], ChatSession(), "Choose a conversation first."
    try:
        kept = state.conversations.turns(conversation_id)
    except AssistantError as exc:
        return [], sources_html(None), [], ChatSession(), f"⚠ {escape(str(exc))}"
    chat: list[dict] = []
    turns: list[list[str]] = []
    ids: list[tuple[int, str]] = []
    answer = None
    for turn in kept:
        answer = Answer.from_dict(turn.answer)
        chat.append({"role": "user", "content": answer.question})
        chat.append({"role": "assistant", "content": answer_markdown(answer)})
        turns.append([answer.question, answer.answer])
        ids.append((len(chat) - 1, turn.id))
    session = ChatSession(conversation_id, tuple(ids))
    return chat, sources_html(answer), turns, session, f"Reopened: {len(kept)} answers."


REASON_CHOICES = [
    ("—", ""),
    ("the quote doesn't support the sentence", "quote_does_not_support"),
    ("wrong article", "wrong_article"),
]


def send_feedback(
    state: ServerState, session: ChatSession, rating: str, citation: str, reason: str, comment
) -> str:
    """The form under the chat: a rating of the tab's last answer, with an optional comment
    and what it is about ([n] and why); checked like ``POST /api/feedback``."""
    if not session.turn_ids:
        return "⚠ Ask a question first: feedback is about the last answer."
    number = (citation or "").strip().strip("[]")
    if number and not number.isdigit():
        return f"⚠ expected a citation number such as 1, got {escape(citation)}"
    try:
        state.conversations.add_feedback(
            session.turn_ids[-1][1],
            rating,
            comment if (comment or "").strip() else None,
            int(number) if number else None,
            reason or None,
        )
    except AssistantError as exc:
        return f"⚠ {escape(str(exc))}"
    return "✔ Thanks: your feedback is stored with the last answer."


def delete_conversation(state: ServerState, conversation_id: str | None, session: ChatSession):
    """Delete one conversation; (note, whether the open tab showed it)."""
    if not conversation_id:
        return "Choose a conversation first.", False
    try:
        counts = state.conversations.delete(conversation_id)
    except AssistantError as exc:
        return f"⚠ {escape(str(exc))}", False
    note = f"Deleted: {counts.get('turns', 0)} answers, {counts.get('feedback', 0)} ratings."
    return note, session.conversation_id == conversation_id
