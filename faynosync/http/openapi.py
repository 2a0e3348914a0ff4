"""OpenAPI descriptions of the routes: the inputs read by hand and every answer a route gives.

FastAPI cannot see bodies that handlers decode themselves, nor query values they read from the
request, nor the answers of handlers that build their responses (Go's JSON, redirects, text);
these helpers describe them (``openapi_extra`` and ``responses``) so that ``/docs`` and
``/openapi.json`` show the real shapes and generated clients send the right requests.

``answers(...)`` lists a route's answers, each status with its body; ``finish(document)`` drops
what FastAPI adds on its own and no route answers (its 422, a bare string schema for the JSON
type of the routers).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic import TypeAdapter

Schema = dict[str, Any]
Responses = dict[int | str, dict[str, Any]]

BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
JSON = "application/json"
TEXT = "text/plain"
HTML = "text/html"


# --- schemas ----------------------------------------------------------------------------------

STRING: Schema = {"type": "string"}
BOOLEAN: Schema = {"type": "boolean"}
INTEGER: Schema = {"type": "integer"}
ID: Schema = {"type": "string", "pattern": "^[0-9a-f]{24}$", "description": "An ObjectID in hex."}
TIME: Schema = {"type": "string", "format": "date-time"}


def const(value: Any) -> Schema:
    return {"const": value}


def obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    """An object with these keys (``required`` always present) and no others."""
    schema: Schema = {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "additionalProperties": False,
    }
    if required:
        schema["required"] = list(required)
    return schema


def nullable_list(items: Schema) -> Schema:
    """A list Go writes as ``null`` when it is empty."""
    return {"type": ["array", "null"], "items": items}


ERROR: Schema = {
    **obj({"error": STRING}, {"details": STRING}),
    "description": "FaynoSync's error: its message, and for refused deletes the reason.",
}
ERROR_REF: Schema = {"$ref": "#/components/schemas/Error"}


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        return {k: _inline(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def schema_of(cls: type[Any]) -> Schema:
    """The JSON schema of a request dataclass, references inlined, Gin's required fields marked."""
    schema = TypeAdapter(cls).json_schema()
    defs = schema.pop("$defs", {})
    schema = _inline(schema, defs)
    required = [f.name for f in dataclasses.fields(cls) if f.metadata.get("required")]
    if required:
        schema["required"] = required
    return dict(schema)


# --- requests ---------------------------------------------------------------------------------


def json_body(cls: type[Any], *, guarded: bool = True) -> dict[str, Any]:
    extra: dict[str, Any] = {
        "requestBody": {
            "required": True,
            "content": {JSON: {"schema": schema_of(cls)}},
        }
    }
    if guarded:
        extra["security"] = BEARER
    return extra


def form_body(
    data: Schema | type[Any], *, files: str = "", fields: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A multipart form: ``data`` (a JSON object), optional ``file`` parts, optional fields.

    ``data`` is a part of type ``application/json`` (the form's ``encoding``), sent as a plain
    field: a part with a file name is a file, not ``data``.
    """
    data_schema = data if isinstance(data, dict) else schema_of(data)
    described = "A JSON object: a form field (no file name) of type application/json."
    if "description" in data_schema:
        described += " " + data_schema["description"]
    properties: dict[str, Any] = {"data": {**data_schema, "description": described}}
    if files:
        properties["file"] = {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "description": files,
        }
    for name in fields:
        properties[name] = {"type": "string"}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {"type": "object", "properties": properties, "required": ["data"]},
                    "encoding": {"data": {"contentType": JSON}},
                }
            },
        },
        "security": BEARER,
    }


def query(*names: str, required: tuple[str, ...] = (), guarded: bool = False) -> dict[str, Any]:
    extra: dict[str, Any] = {
        "parameters": [
            {
                "name": name,
                "in": "query",
                "required": name in required,
                "schema": {"type": "string"},
            }
            for name in names
        ]
    }
    if guarded:
        extra["security"] = BEARER
    return extra


def guarded() -> dict[str, Any]:
    return {"security": BEARER}


# --- answers ----------------------------------------------------------------------------------


def success(
    schema: Schema, *, example: Any = None, status: int = 200, description: str = "Success"
) -> Responses:
    """An answer with a JSON body of this schema."""
    media: dict[str, Any] = {"schema": schema}
    if example is not None:
        media["example"] = example
    return {status: {"description": description, "content": {JSON: media}}}


def ok(properties: dict[str, Schema], *, example: Any = None, status: int = 200) -> Responses:
    """A successful answer that is one object with exactly these keys."""
    return success(obj(properties), example=example, status=status)


def error(status: int, description: str) -> Responses:
    """An error answer: ``{"error": ...}``, for deletes with ``"details"`` as well."""
    return {status: {"description": description, "content": {JSON: {"schema": ERROR_REF}}}}


def text(status: int, description: str, *, example: str) -> Responses:
    """An answer whose body is sent as ``text/plain``."""
    media = {"schema": STRING, "example": example}
    return {status: {"description": description, "content": {TEXT: media}}}


def redirect(description: str, status: int = 302) -> Responses:
    """A redirect as Go writes it: ``Location``, and for GET a small HTML body."""
    return {
        status: {
            "description": description,
            "headers": {"Location": {"description": "The target.", "schema": STRING}},
            "content": {HTML: {"schema": STRING}},
        }
    }


def empty(status: int, description: str) -> Responses:
    return {status: {"description": description}}


def answers(*parts: Responses) -> Responses:
    """The answers of a route; two parts for one status add up (descriptions and bodies)."""
    described: Responses = {}
    for part in parts:
        for status, answer in part.items():
            known = described.get(status)
            if known is None:
                described[status] = {
                    **answer,
                    "content": dict(answer.get("content", {})),
                    "headers": dict(answer.get("headers", {})),
                }
                continue
            known["description"] = f"{known['description']} {answer['description']}"
            for media, body in answer.get("content", {}).items():
                known["content"].setdefault(media, body)
            known["headers"].update(answer.get("headers", {}))
    for answer in described.values():
        for key in ("content", "headers"):
            if not answer[key]:
                del answer[key]
    return dict(sorted(described.items(), key=lambda item: str(item[0])))


# The answers every route behind the token shares, and the guards'.
TOKEN = error(
    401,
    "No valid bearer token (`missing authorization header`, `invalid token format`, "
    "`malformed token`, `invalid token signature`, `token expired`…); on a guarded route, "
    "a user that is gone (`User not found`); an API token (`fns_…`) that is unknown "
    "(`invalid or expired token`) or past its expiry (`token expired`).",
)
PERMISSION = error(
    403,
    "A team user without this permission (`Permission denied`); an API token on a route "
    "other than `/upload` (`API tokens are restricted to app upload`).",
)
ADMIN_ONLY = error(
    403, "Not an admin (`Admin access required`); an API token (`Admin JWT is required`)."
)
JSON_TOO_LARGE = error(413, "A body over 1 MiB: `request body larger than 1048576 bytes`.")
FORM_TOO_LARGE = error(
    413,
    "A form field over 1 MiB (`form field <name> larger than 1048576 bytes`), an urlencoded "
    "body over 1 MiB (`request body larger than 1048576 bytes`).",
)
FORM_DATA = error(
    400,
    "The form has no `data` (`No JSON data provided`), or it is not a JSON object of the "
    "expected types (`Invalid JSON data`).",
)
BAD_ID = error(
    400,
    "The id is not an ObjectID (Go's parse error, e.g. "
    "`the provided hex string is not a valid ObjectID`).",
)


def no_route(reason: str) -> Responses:
    """What a path answers when it names no route after all (as Gin's unknown routes)."""
    return answers(
        error(401, f"{reason}: no route; without a valid bearer token, the token's error."),
        text(404, f"{reason}: no route, answered in text.", example="404 page not found"),
    )


def finish(document: dict[str, Any]) -> dict[str, Any]:
    """Drop what FastAPI documents on its own but no route answers; add the error schema.

    Errors of this API are 400s with ``{"error": ...}`` (FastAPI's validation errors included),
    never 422; and the routers' JSON response type gets no bare ``string`` schema of its own.
    """
    for item in document.get("paths", {}).values():
        for operation in item.values():
            responses = operation.get("responses", {})
            responses.pop("422", None)
            for answer in responses.values():
                content = answer.get("content", {})
                for media in [m for m in content if ";" in m]:
                    if content[media].get("schema") == STRING:
                        del content[media]
                if "content" in answer and not content:
                    del answer["content"]
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas["Error"] = ERROR
    return document
