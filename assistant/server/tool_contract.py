"""The MCP tools' ``inputSchema`` as their contract: what the SDK would refuse in its own words.

Why a middleware (the SDK's documented ``ServerMiddleware``, run before it validates): the
SDK checks a tool's arguments with pydantic in lax mode (``"5"`` passes as an integer, which
the advertised schema refuses) and answers a missing or mistyped argument, or an unknown
tool, with its own text ("Error executing tool search: 1 validation error ..."), not the
one error shape a caller reads everywhere else (``wire.py``). So before the call, the
arguments are checked against the tool's advertised schema for their shape: an object, the
required arguments present, each of a JSON type the schema allows. A shape error is a tool
error ``{"error": {"type", "message"}}`` saying "expected X, got Y"; values (a blank
question, ``top_k`` 101, a malformed day) pass on to the tool, where the one request parser
refuses them with the message every channel gives.

``tools/list`` gets the configured ``max_question_chars`` in place of the default, as the
OpenAPI document does (``openapi.apply_settings``).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from mcp_types import CallToolResult, TextContent

from ..config import Settings
from ..errors import AssistantError, NotFoundError, QuestionError
from .openapi import apply_settings
from .wire import assistant_error_body

JSON_TYPES = {
    type(None): "null",
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}


def json_type(value: Any) -> str:
    """The JSON type of a decoded value (a whole float is an integer, as JSON Schema says)."""
    kind = JSON_TYPES.get(type(value), "object")
    return "integer" if kind == "number" and float(value).is_integer() else kind


def allowed_types(schema: dict) -> set[str]:
    """The JSON types a property's schema allows (``type``, or its ``anyOf`` branches)."""
    declared = schema.get("type")
    found = {declared} if isinstance(declared, str) else set(declared or ())
    for branch in schema.get("anyOf", ()):
        found |= allowed_types(branch)
    return found | {"integer"} if "number" in found else found


def shape_problem(schema: dict, arguments: Any) -> str | None:
    """What is wrong with the shape of ``arguments`` for ``schema``; None when nothing."""
    if not isinstance(arguments, dict):
        return f"expected the arguments as an object, got {json_type(arguments)}"
    for name in schema.get("required", ()):
        if name not in arguments:
            return f"expected the argument {name!r}, got none"
    properties = schema.get("properties", {})
    for name, value in arguments.items():
        types = allowed_types(properties.get(name, {}))
        if types and json_type(value) not in types:
            shown = json.dumps(value, ensure_ascii=False)
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            return f"expected {name} as {' or '.join(sorted(types))}, got {shown}"
    return None


def tool_error(exc: AssistantError) -> CallToolResult:
    """A tool error whose text is the wire error body."""
    text = json.dumps(assistant_error_body(exc), ensure_ascii=False)
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


class ToolContract:
    """Middleware: ``tools/call`` arguments of the wrong shape and unknown tools are tool
    errors in the one error shape; ``tools/list`` states the configured limits."""

    def __init__(self, server, settings: Settings):
        self.server = server
        self.settings = settings
        self._schemas: dict[str, dict] | None = None

    async def schemas(self) -> dict[str, dict]:
        """Each tool's input schema with the configured limits (read once)."""
        if self._schemas is None:
            tools = await self.server.list_tools()
            self._schemas = {tool.name: self.filled(tool.input_schema) for tool in tools}
        return self._schemas

    def filled(self, schema: dict) -> dict:
        """A copy of ``schema`` with the limits of ``settings``."""
        filled = copy.deepcopy(schema)
        apply_settings(filled, self.settings)
        return filled

    async def __call__(self, ctx, call_next):
        if ctx.method == "tools/call" and isinstance(ctx.params, dict):
            refusal = await self.refusal(ctx.params)
            if refusal is not None:
                return refusal
        result = await call_next(ctx)
        if ctx.method == "tools/list" and isinstance(result, dict):
            for tool in result.get("tools", ()):
                tool["inputSchema"] = self.filled(tool.get("inputSchema", {}))
        return result

    async def refusal(self, params: dict) -> CallToolResult | None:
        """The tool error for a call the tool's schema refuses by shape, or None."""
        schemas = await self.schemas()
        name = params.get("name")
        if name not in schemas:
            names = " or ".join(repr(n) for n in sorted(schemas))
            return tool_error(NotFoundError(f"expected the tool {names}, got {name!r}"))
        arguments = params.get("arguments")
        problem = shape_problem(schemas[name], {} if arguments is None else arguments)
        return tool_error(QuestionError(problem)) if problem else None
