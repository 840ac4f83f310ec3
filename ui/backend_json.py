"""Backend results to JSON and back, guided by the dataclasses' annotations
(the remote backend rebuilds what the node's desk routes send)."""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from typing import Any


def to_json(value: Any) -> Any:
    """A result as plain JSON (dataclasses to objects, tuples to arrays)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_json(item) for key, item in value.items()}
    return value


def from_json(cls: type, data: Any) -> Any:
    """The inverse of `to_json` for the dataclasses of ui.backend."""
    return _build(cls, data)


def _build(kind: Any, data: Any) -> Any:
    origin = typing.get_origin(kind)
    if dataclasses.is_dataclass(kind):
        return kind(**{name: _build(hint, data[name]) for name, hint in _fields(kind) if name in data})
    if origin in (typing.Union, types.UnionType):
        if data is None:
            return None
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        return _build(options[0], data)
    if origin is tuple:
        args = typing.get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], item) for item in data)
        return tuple(_build(a, item) for a, item in zip(args, data))
    if origin is dict:
        _, value_kind = typing.get_args(kind)
        return {key: _build(value_kind, item) for key, item in data.items()}
    return data


@functools.cache
def _fields(kind: type) -> tuple[tuple[str, Any], ...]:
    """(name, type) of a dataclass's fields; resolving the hints costs more than building a page of rows."""
    hints = typing.get_type_hints(kind)
    return tuple((f.name, hints[f.name]) for f in dataclasses.fields(kind))


def record_query_params(query, offset: int, limit: int) -> dict[str, str]:
    """A RecordQuery as the query string of `GET /v1/certificates` (both counters go through it)."""
    return {
        "text": query.text,
        "type": query.type,
        "status": query.status,
        "date_from": query.date_from,
        "date_to": query.date_to,
        "sort": query.sort,
        "descending": "1" if query.descending else "0",
        "offset": str(max(0, offset)),
        "limit": str(max(1, limit)),
    }
