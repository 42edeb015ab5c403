"""News assistant: answers questions about German and English news with checked citations.

Public API::

    from assistant import Assistant, load_settings
    bot = Assistant.from_settings(load_settings(index_dir=".index"))
    bot.ingest("corpus")
    answer = bot.ask("Wie viele nordkoreanische Soldaten ...?")
    print(answer.answer, answer.citations)

Importing this package loads no model and opens no connection.
"""

from .chain import Assistant
from .config import Settings, load_settings
from .errors import AssistantError
from .records import Answer, Article, Chunk, Citation, Filters, Retrieved, Sentence

__all__ = [
    "Answer",
    "Article",
    "Assistant",
    "AssistantError",
    "Chunk",
    "Citation",
    "Filters",
    "Retrieved",
    "Sentence",
    "Settings",
    "load_settings",
]
