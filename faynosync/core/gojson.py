"""JSON with the semantics of Go's ``encoding/json``, as FaynoSync's clients see it.

Encoding: a plain ``dict`` is a Go map (keys sorted), a :class:`GoStruct` is a Go struct (keys in
insertion order), ``None`` is ``null`` (so an empty Go slice is written as ``None`` by the caller),
and ``<``, ``>``, ``&``, U+2028 and U+2029 are escaped as Go's HTML-safe encoder does.

Decoding: :func:`first_value` reads a request body the way Gin's binding does (the first JSON
value, trailing bytes ignored), :func:`whole_document` the way ``json.Unmarshal`` does, and
:func:`bind` assigns a decoded value to a dataclass the way Go fills a struct: field names match
case-insensitively, unknown keys are ignored, the last duplicate wins, a type mismatch is an error
and ``binding:"required"`` fields reject their zero value.
"""

from __future__ import annotations

import dataclasses
import json
import re
import types
import typing
from typing import Any, TypeVar, get_args, get_origin

T = TypeVar("T")


class GoStruct(dict[str, Any]):
    """A response object whose keys keep their insertion order (a Go struct)."""


class DecodeError(ValueError):
    """The input is not JSON, or does not fit the target struct."""


# --- encoding ---------------------------------------------------------------------------------

_HTML_SAFE = str.maketrans(
    {
        "<": "\\u003c",
        ">": "\\u003e",
        "&": "\\u0026",
        "\u2028": "\\u2028",
        "\u2029": "\\u2029",
    }
)
_SURROGATE = re.compile("[\ud800-\udfff]")
_SPECIAL = re.compile("[<>&\u2028\u2029\ud800-\udfff]")
_CONTAINERS = (dict, list, tuple)


def _go_order(value: Any) -> Any:
    if isinstance(value, GoStruct):
        return {k: _go_order(v) for k, v in value.items()}
    if isinstance(value, dict):
        return {k: _go_order(value[k]) for k in sorted(value)}
    if isinstance(value, list | tuple):
        return [_go_order(v) for v in value]
    return value


# Made once: json.dumps makes an encoder on each call when given options.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
_ENCODE_SORTED = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, sort_keys=True
).encode


def dumps(value: Any) -> str:
    """Serialise ``value`` as Go's ``json.Marshal`` would (see the module docstring)."""
    if type(value) is dict and not any(isinstance(v, _CONTAINERS) for v in value.values()):
        # A flat map (an update check's answer): the encoder sorts it.
        text = _ENCODE_SORTED(value)
    else:
        text = _ENCODE(_go_order(value))
    if text.isascii():
        # Neither surrogates nor U+2028/U+2029 (the usual text, told without reading it).
        if "<" not in text and ">" not in text and "&" not in text:
            return text
        return text.translate(_HTML_SAFE)
    if not _SPECIAL.search(text):
        return text
    if _SURROGATE.search(text):
        # Go writes U+FFFD for anything that is not valid UTF-8.
        text = _SURROGATE.sub("\ufffd", text)
    return text.translate(_HTML_SAFE)


def dumpb(value: Any) -> bytes:
    return dumps(value).encode()


# --- decoding ---------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise DecodeError(f"invalid character {name[0]!r} looking for beginning of value")


class BigNumber:
    """A JSON integer too long for Python's int conversion limit (4,300 digits).

    Go reads it only into a field that cannot hold it (an error) or skips it (an unknown key),
    so it is kept as a marker and refused when bound.
    """

    __slots__ = ("digits",)

    def __init__(self, text: str) -> None:
        self.digits = len(text)


_INT_DIGITS = 4000  # below sys.get_int_max_str_digits(), which raises ValueError past 4300


def _parse_int(text: str) -> int | BigNumber:
    return int(text) if len(text) <= _INT_DIGITS else BigNumber(text)


_DECODER = json.JSONDecoder(
    object_pairs_hook=lambda pairs: _Object(pairs),
    parse_constant=_reject_constant,
    parse_int=_parse_int,
)
# A UTF-16 surrogate escape: Go reads one that is not half of a valid pair as U+FFFD.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_WS = " \t\r\n"


class _Object(list[tuple[str, Any]]):
    """A decoded JSON object: its key/value pairs in document order, duplicates kept."""


def _text(raw: bytes | str) -> str:
    if isinstance(raw, bytes):
        return raw.decode("utf-8", errors="replace")
    return raw


def _decode_prefix(text: str) -> tuple[Any, int]:
    start = len(text) - len(text.lstrip(_WS))
    if start == len(text):
        raise DecodeError("EOF")
    try:
        value, end = _DECODER.raw_decode(text, start)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise DecodeError(str(exc)) from None
    if _SURROGATE_ESCAPE.search(text, start, end):
        value = _replace_surrogates(value)
    return value, end


def _replace_surrogates(value: Any) -> Any:
    """Lone surrogates in strings and keys become U+FFFD, as Go decodes them."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, _Object):
        return _Object((_replace_surrogates(k), _replace_surrogates(v)) for k, v in value)
    if isinstance(value, list):
        return [_replace_surrogates(v) for v in value]
    return value


def first_value(raw: bytes | str) -> Any:
    """Decode the first JSON value of ``raw`` and ignore what follows (Gin's ``BindJSON``)."""
    return _decode_prefix(_text(raw))[0]


def whole_document(raw: bytes | str) -> Any:
    """Decode ``raw`` as exactly one JSON value (Go's ``json.Unmarshal``)."""
    text = _text(raw)
    value, end = _decode_prefix(text)
    if text[end:].strip(_WS):
        raise DecodeError("invalid character after top-level value")
    return value


def plain(value: Any) -> Any:
    """Turn a decoded value into plain Python data (objects become dicts, last key wins)."""
    if isinstance(value, _Object):
        return {k: plain(v) for k, v in value}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, BigNumber):
        raise DecodeError(f"a number of {value.digits} digits is out of range")
    return value


def string_map(value: Any) -> dict[str, str]:
    """Bind to Go's ``map[string]string``: keys case-sensitive, every value a string.

    ``null`` gives an empty map, as in Go.
    """
    if value is None:
        return {}
    if not isinstance(value, _Object):
        raise DecodeError("cannot unmarshal into map[string]string")
    result: dict[str, str] = {}
    for key, item in value:
        if item is None:
            continue
        if not isinstance(item, str):
            raise DecodeError(f"cannot unmarshal into string: {key}")
        result[key] = item
    return result


# --- binding to dataclasses -------------------------------------------------------------------


def required(**kwargs: Any) -> Any:
    """A dataclass field carrying Gin's ``binding:"required"`` rule."""
    metadata = {"required": True, **kwargs.pop("metadata", {})}
    return dataclasses.field(metadata=metadata, **kwargs)


_FOLD_SPECIAL = {"\u212a": "K", "\u017f": "S"}


def _fold(name: str) -> str:
    return "".join(c.upper() if c.isascii() else _FOLD_SPECIAL.get(c, c) for c in name)


def bind(value: Any, cls: type[T]) -> T:
    """Fill the dataclass ``cls`` from a decoded JSON value with Go's struct rules."""
    result = _bind(value, cls)
    _check_required(result)
    return typing.cast(T, result)


def _is_zero(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str | bool | int):
        return not value
    return False  # an empty list satisfies "required"; a struct is never checked


def _check_required(obj: Any) -> None:
    for f in dataclasses.fields(obj):
        if f.metadata.get("required") and _is_zero(getattr(obj, f.name)):
            raise DecodeError(f"field {f.name} is required")


def _bind(value: Any, tp: Any) -> Any:
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _bind(value, inner[0])
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _bind_struct(value, tp)
    if origin is list:
        if value is None:
            return None
        if not isinstance(value, list) or isinstance(value, _Object):
            raise DecodeError("cannot unmarshal into a slice")
        (item_type,) = get_args(tp)
        return [_bind_item(v, item_type) for v in value]
    if origin is dict:
        return string_map(value)
    return _bind_scalar(value, tp)


def _bind_item(value: Any, tp: Any) -> Any:
    if value is None:
        # A null slice element is the element's zero value.
        return _zero(tp)
    return _bind(value, tp)


def _zero(tp: Any) -> Any:
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return tp()
    return {str: "", bool: False, int: 0}.get(tp)


def _bind_scalar(value: Any, tp: Any) -> Any:
    if isinstance(value, BigNumber):
        raise DecodeError(f"cannot unmarshal number into {getattr(tp, '__name__', tp)}")
    if tp is str and isinstance(value, str):
        return value
    if tp is bool and isinstance(value, bool):
        return value
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if tp is int and is_int and -(2**63) <= value < 2**63:
        return value
    if tp is Any:
        return plain(value)
    raise DecodeError(f"cannot unmarshal {type(value).__name__} into {getattr(tp, '__name__', tp)}")


_StructInfo = tuple[dict[str, Any], dict[str, Any], dict[str, Any]]
_STRUCTS: dict[type[Any], _StructInfo] = {}


def _struct_info(cls: type[Any]) -> _StructInfo:
    """A dataclass's field types and its fields by name and by folded name, read once (the
    types of a module with postponed annotations are evaluated on each read otherwise)."""
    info = _STRUCTS.get(cls)
    if info is None:
        exact = {f.name: f for f in dataclasses.fields(cls)}
        folded = {_fold(name): f for name, f in exact.items()}
        info = _STRUCTS[cls] = (typing.get_type_hints(cls), exact, folded)
    return info


def _bind_struct(value: Any, cls: type[Any]) -> Any:
    if value is None:
        return cls()
    if not isinstance(value, _Object):
        raise DecodeError(f"cannot unmarshal into {cls.__name__}")
    hints, exact, folded = _struct_info(cls)
    values: dict[str, Any] = {}
    error: DecodeError | None = None
    for key, item in value:
        field = exact.get(key) or folded.get(_fold(key))
        if field is None:
            continue
        if item is None:
            # Go leaves the field as it was when the value is null.
            hint: Any = hints[field.name]
            if get_origin(hint) is list:
                values[field.name] = None
            continue
        try:
            values[field.name] = _bind(item, hints[field.name])
        except DecodeError as exc:
            # Go keeps decoding and reports the first mismatch at the end.
            error = error or exc
    if error is not None:
        raise error
    return cls(**values)
