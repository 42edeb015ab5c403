"""The OpenAPI document as the API's contract: every status a route answers, in one error model.

Why a document step after FastAPI's: FastAPI knows the routes' request models, but not what
the app around them answers. The error handlers turn every failure into ``ErrorOut``
(``wire.py``), not FastAPI's ``HTTPValidationError``; the guard in front (``security.py``)
answers 401 and 413 before a route runs; limits such as the question length are settings.
So each route declares the statuses it answers itself (``errors``), and ``contract`` adds
what the app answers on every route:

* FastAPI's own 422 (``HTTPValidationError``) is dropped: routes that can answer 422 declare
  it with ``ErrorOut``; one that cannot (only path parameters) must not promise it;
* 413 on every operation with a request body, with the limit of its path;
* 401 and the security schemes, only when a secret is configured (then every route but the
  open ones needs it, ``security.OPEN_PATHS``);
* ``maxLength`` from the setting a schema node names in ``x-setting`` (the configured
  ``max_question_chars``, not the default).

405 is not an operation's answer (OpenAPI lists declared methods only): every undeclared
method on a declared path answers 405 with ``Allow`` (``api.build_fallback``).

The streams are declared as ``text/event-stream`` beside ``application/json``, one event
per schema as OpenAPI 3.1 tools read it: ``event`` and ``data``, the data's JSON described
with ``contentMediaType``/``contentSchema``.
"""

from __future__ import annotations

from typing import Any

from ..config import Settings
from .security import OPEN_PATHS, Credentials, body_limit
from .wire import ErrorOut

ERROR_REF = "#/components/schemas/ErrorOut"
ERRORS = {
    400: "Malformed JSON, or a value outside the limits this document states (the same check "
    "and message as `assistant ask`)",
    401: "Missing or wrong credentials (only when a secret is configured)",
    404: "No such conversation, turn or citation",
    409: "The index was built with another embedder",
    413: "The request body is larger than the configured limit",
    415: "The body is not of a media type this route reads",
    422: "A field missing, unknown or of the wrong type",
    502: "The model provider failed or timed out",
    503: "A configuration or vector-store problem",
}
ANSWERING = (400, 404, 409, 415, 422, 502, 503)  # what asking can answer besides 200


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status with the one error model."""
    return {status: {"model": ErrorOut, "description": ERRORS[status]} for status in statuses}


def ok(model: type, status: int = 200) -> dict[int | str, dict[str, Any]]:
    """``responses=`` documenting a success body (documented only: the reply is not filtered)."""
    return {status: {"model": model, "description": model.__doc__ or "OK"}}


def json_event(name: str, schema: dict) -> dict:
    """``if event == name then data is JSON matching schema``."""
    return {
        "if": {"properties": {"event": {"const": name}}, "required": ["event"]},
        "then": {
            "properties": {
                "data": {"contentMediaType": "application/json", "contentSchema": schema}
            }
        },
    }


STREAM_ERROR = {
    "allOf": [{"$ref": ERROR_REF}],
    "properties": {"status": {"type": "integer", "description": "the status it would have had"}},
    "required": ["error", "status"],
}
ASK_EVENT = {
    "type": "object",
    "description": "`delta` events (text with final [n] markers), then `answer` "
    "(Answer.to_dict()) or, when a failure comes after the stream started, `error`",
    "required": ["event", "data"],
    "properties": {"event": {"enum": ["delta", "answer", "error"]}, "data": {"type": "string"}},
    "allOf": [
        json_event(
            "delta",
            {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}},
        ),
        json_event("answer", {"$ref": "#/components/schemas/AnswerOut"}),
        json_event("error", STREAM_ERROR),
    ],
}
CHUNK = {
    "type": "object",
    "required": ["id", "object", "created", "model", "choices"],
    "properties": {
        "object": {"const": "chat.completion.chunk"},
        "choices": {
            "type": "array",
            "items": {"type": "object", "required": ["index", "delta", "finish_reason"]},
        },
    },
}
CHUNK_EVENT = {
    "type": "object",
    "description": "chat.completion.chunk objects (the last one, finish_reason 'stop', with "
    "the citations), an error object if a failure comes after the stream started, then "
    "the data `[DONE]`",
    "required": ["data"],
    "properties": {"event": {"const": "message"}, "data": {"type": "string"}},
    "if": {"properties": {"data": {"const": "[DONE]"}}},
    "else": {
        "properties": {
            "data": {
                "contentMediaType": "application/json",
                "contentSchema": {"anyOf": [CHUNK, {"$ref": ERROR_REF}]},
            }
        }
    },
}


def streamed(model: type, event: dict, description: str) -> dict[int | str, dict[str, Any]]:
    """The 200 of a route that answers ``model`` as JSON, or with ``stream`` a
    ``text/event-stream`` of ``event``s."""
    return {
        200: {
            "model": model,
            "description": description,
            "content": {"text/event-stream": {"schema": event}},
        }
    }


def contract(app, settings: Settings) -> dict:
    """The app's OpenAPI document with what the app around the routes answers (above)."""
    from fastapi.openapi.utils import get_openapi

    doc = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=app.description,
        routes=app.routes,
        separate_input_output_schemas=app.separate_input_output_schemas,
    )
    secured = bool(Credentials.from_settings(settings).secrets)
    for path, item in doc.get("paths", {}).items():
        for operation in item.values():
            answers = operation.setdefault("responses", {})
            if _is_fastapi_422(answers.get("422")):
                del answers["422"]
            _errors_as_json(answers)
            if "requestBody" in operation:
                limit = body_limit(settings, path)
                answers["413"] = _error(f"{ERRORS[413]} ({limit} bytes)")
            if secured and path in OPEN_PATHS:
                operation["security"] = []
            elif secured:
                answers["401"] = _unauthorized()
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    apply_settings(doc, settings)
    if secured:
        doc["components"]["securitySchemes"] = SECURITY_SCHEMES
        doc["security"] = [{name: []} for name in SECURITY_SCHEMES]
    return doc


SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "`Authorization: Bearer <secret>`: ASSISTANT_API_KEY or "
        "ASSISTANT_UI_PASSWORD",
    },
    "basic": {
        "type": "http",
        "scheme": "basic",
        "description": "user ASSISTANT_UI_USERNAME, password ASSISTANT_API_KEY or "
        "ASSISTANT_UI_PASSWORD",
    },
}


def _error(description: str) -> dict:
    schema = {"$ref": ERROR_REF}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _unauthorized() -> dict:
    answer = _error(ERRORS[401])
    answer["headers"] = {
        "WWW-Authenticate": {
            "required": True,
            "description": "`Bearer` under /api, /v1 and /mcp; `Basic` elsewhere",
            "schema": {"type": "string"},
        }
    }
    return answer


def _errors_as_json(answers: dict) -> None:
    """Errors are JSON on every route: FastAPI files a route's error models under the route's
    own media type (the export's ``text/markdown``)."""
    for status, answer in answers.items():
        content = answer.get("content", {})
        if status >= "400" and content and "application/json" not in content:
            answer["content"] = {"application/json": content.popitem()[1]}


def _is_fastapi_422(answer: dict | None) -> bool:
    """True for the 422 FastAPI adds by itself (its HTTPValidationError, not ``ErrorOut``)."""
    if answer is None:
        return False
    schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
    return schema.get("$ref", "").endswith("/HTTPValidationError")


def apply_settings(node: Any, settings: Settings) -> None:
    """Set ``maxLength`` wherever a schema node names the setting it comes from."""
    if isinstance(node, dict):
        if "x-setting" in node:
            node["maxLength"] = getattr(settings, node["x-setting"])
        for value in node.values():
            apply_settings(value, settings)
    elif isinstance(node, list):
        for value in node:
            apply_settings(value, settings)


def install(app, settings: Settings) -> None:
    """Serve ``contract(app, settings)`` at ``/openapi.json`` (built once, on first use)."""

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = contract(app, settings)
        return app.openapi_schema

    app.openapi = openapi
