"""One error family: every failure a user can cause or meet is an ``AssistantError``.

The CLI, the HTTP API and the UI catch ``AssistantError`` and show its message; anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class: the message says what was expected and what was got."""


class ConfigError(AssistantError):
    """A setting, a prompt file or an optional dependency is wrong or missing."""


class ArticleError(AssistantError):
    """An article file cannot be read or parsed; ingestion reports and skips it."""


class IndexMismatchError(AssistantError):
    """The index on disk was built with another embedder than the one configured."""


class ProviderError(AssistantError):
    """A model provider (embeddings or chat) is unreachable, slow or answered nonsense."""


class QuestionError(AssistantError):
    """A question is empty, too long or otherwise unusable."""


class FetchError(AssistantError):
    """A feed, sitemap or page cannot be fetched: refused address, robots.txt, size, HTTP."""


class StoreError(AssistantError):
    """The vector store (Chroma on disk, or its server) failed to read or write."""


class NotFoundError(AssistantError):
    """A stored conversation, turn or feedback item that a request names is not there."""


class ConversationError(AssistantError):
    """A conversation or feedback request is unusable: a value out of range, storing is off."""
