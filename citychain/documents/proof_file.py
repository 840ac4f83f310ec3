"""The inclusion part every document's proof file carries (docs/protocol.md
§11): the leaf's index, the tree size, the RFC 9162 inclusion path and the
signed checkpoint of that size."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from citychain.log.encoding import b64decode, b64encode


def inclusion_json(index: int, size: int, path: Sequence[bytes]) -> dict[str, Any]:
    return {"index": index, "size": size, "path": [b64encode(h) for h in path]}


def read_inclusion(value: dict[str, Any]) -> tuple[int, int, tuple[bytes, ...], str]:
    """(index, size, path, checkpoint) of a proof file; raises ValueError, KeyError,
    TypeError or EncodingError for the caller to report as MALFORMED."""
    inclusion = value["inclusion"]
    index, size = inclusion["index"], inclusion["size"]
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in (index, size)) or not 0 <= index < size:
        raise ValueError("inclusion index and size are malformed")
    if not isinstance(value["checkpoint"], str):
        raise ValueError("checkpoint is not text")
    return index, size, tuple(b64decode(h) for h in inclusion["path"]), value["checkpoint"]
