"""OpenAPI descriptions of the routes whose inputs are read by hand (for Go's semantics).

FastAPI cannot see bodies that handlers decode themselves, nor query values they read from the
request; these helpers describe them (``openapi_extra`` and ``responses``) so that ``/docs`` and
``/openapi.json`` show the real shapes and generated clients send the right requests.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic import TypeAdapter

Schema = dict[str, Any]

BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
ERROR: Schema = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "details": {"type": "string"}},
    "required": ["error"],
}


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


def json_body(cls: type[Any], *, guarded: bool = True) -> dict[str, Any]:
    extra: dict[str, Any] = {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema_of(cls)}},
        }
    }
    if guarded:
        extra["security"] = BEARER
    return extra


def form_body(
    data: Schema | type[Any], *, files: str = "", fields: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A multipart form: ``data`` (a JSON text), optional ``file`` parts, optional plain fields."""
    data_schema = data if isinstance(data, dict) else schema_of(data)
    properties: dict[str, Any] = {
        "data": {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": data_schema,
            "description": "A JSON object (as text).",
        }
    }
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
                    "encoding": {"data": {"contentType": "application/json"}},
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


def answers(example: Any, *errors: int, status: int = 200) -> dict[int | str, dict[str, Any]]:
    """The success answer (by example) and the error statuses, all ``{"error": ...}``."""
    described: dict[int | str, dict[str, Any]] = {
        status: {"description": "Success", "content": {"application/json": {"example": example}}}
    }
    for code in errors:
        described[code] = {
            "description": "Error",
            "content": {"application/json": {"schema": ERROR}},
        }
    return described
