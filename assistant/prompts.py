"""Prompts are files in ``prompts/``: front matter declaring variables, then role sections.

    ---
    name: answer
    variables: question, contexts
    ---
    [system]
    ...{contexts}...
    [user]
    {question}

Loading checks that the declared variables are exactly the ones the text uses, so a typo
fails when the prompt is loaded, not when a user asks.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError

_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
_SECTION = re.compile(r"^\[(system|user|assistant)\]\s*$", re.M)


@dataclass(frozen=True)
class Prompt:
    """A loaded, validated prompt."""

    name: str
    variables: frozenset[str]
    messages: tuple[tuple[str, str], ...]  # (role, template)

    def render(self, **values: str) -> list[tuple[str, str]]:
        """(role, text) pairs with every variable filled in."""
        missing = self.variables - values.keys()
        extra = values.keys() - self.variables
        if missing or extra:
            raise ConfigError(
                f"prompt {self.name!r} expects variables "
                f"{sorted(self.variables)}, got {sorted(values)}"
            )
        return [(role, template.format(**values)) for role, template in self.messages]

    def to_langchain(self):
        """A LangChain ChatPromptTemplate with the same messages and variables."""
        from langchain_core.prompts import ChatPromptTemplate

        roles = {"user": "human", "assistant": "ai", "system": "system"}
        return ChatPromptTemplate.from_messages([(roles[r], t) for r, t in self.messages])


def load_prompt(name: str, directory: Path) -> Prompt:
    """Read ``directory/name.md`` and validate it."""
    path = Path(directory) / f"{name}.md"
    if not path.is_file():
        raise ConfigError(f"expected prompt file {path}, found none")
    return parse_prompt(path.read_text(encoding="utf-8"), str(path))


def parse_prompt(text: str, where: str = "<prompt>") -> Prompt:
    """Parse and validate a prompt file's text."""
    front = _FRONT.match(text)
    if not front:
        raise ConfigError(f"{where}: expected front matter between '---' lines")
    meta = dict(line.split(":", 1) for line in front.group(1).splitlines() if ":" in line)
    meta = {k.strip(): v.strip() for k, v in meta.items()}
    if "name" not in meta or "variables" not in meta:
        raise ConfigError(f"{where}: front matter needs 'name' and 'variables', got {sorted(meta)}")
    declared = frozenset(v.strip() for v in meta["variables"].split(",") if v.strip())
    body = text[front.end() :]
    parts = _SECTION.split(body)
    if len(parts) < 3 or parts[0].strip():
        raise ConfigError(f"{where}: expected the body to start with a [system] or [user] line")
    messages = tuple((parts[i], parts[i + 1].strip()) for i in range(1, len(parts), 2))
    used = {
        field
        for _, t in messages
        for _, field, _, _ in string.Formatter().parse(t)
        if field is not None
    }
    if used != declared:
        raise ConfigError(f"{where}: declares variables {sorted(declared)} but uses {sorted(used)}")
    return Prompt(meta["name"], declared, messages)
