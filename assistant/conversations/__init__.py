"""Kept conversations and readers' feedback (docs/feedback.md): store, service, export, review."""

from .records import Conversation, Feedback, Turn, TurnSettings
from .service import ConversationService, make_conversations
from .store import ConversationStore

__all__ = [
    "Conversation",
    "ConversationService",
    "ConversationStore",
    "Feedback",
    "Turn",
    "TurnSettings",
    "make_conversations",
]
