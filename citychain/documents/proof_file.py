"""The ledger half of every document's proof files (docs/protocol.md §11, §12):
the signed leaf, its index, the tree size, the RFC 9162 inclusion path and the
signed checkpoint of that size.

Since v2 it travels as a C2SP tlog-proof attachment beside the document's
JSON file, which names the QR text printed on the page; documents printed
before carry all of it inside the JSON file (v1), and are still read.
`inclusion_json` writes v1's inclusion member (for tests that make such files).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from citychain.log.encoding import b64decode, b64encode

from .tlog_proof import parse_tlog_proof


@dataclass(frozen=True)
class LedgerProof:
    leaf: bytes  # as signed: from v1's `leaf`, or the tlog-proof's `extra` line
    qr: str | None  # the QR text the document's JSON names (v2); None in v1
    index: int
    size: int
    path: tuple[bytes, ...]
    checkpoint: str


def inclusion_json(index: int, size: int, path: Sequence[bytes]) -> dict[str, Any]:
    return {"index": index, "size": size, "path": [b64encode(h) for h in path]}


def read_inclusion(value: dict[str, Any]) -> tuple[int, int, tuple[bytes, ...], str]:
    """(index, size, path, checkpoint) of a v1 proof file; raises ValueError, KeyError,
    TypeError or EncodingError for the caller to report as MALFORMED."""
    inclusion = value["inclusion"]
    index, size = inclusion["index"], inclusion["size"]
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in (index, size)) or not 0 <= index < size:
        raise ValueError("inclusion index and size are malformed")
    if not isinstance(value["checkpoint"], str):
        raise ValueError("checkpoint is not text")
    return index, size, tuple(b64decode(h) for h in inclusion["path"]), value["checkpoint"]


def read_ledger_proof(
    value: dict[str, Any], files: Mapping[str, bytes], tlog_name: str, formats: tuple[str, str]
) -> LedgerProof:
    """The ledger half of a document's files: `value` is its JSON file, of
    format `formats[0]` (v1, alone) or `formats[1]` (v2, with the tlog-proof
    `tlog_name`). Raises ValueError (TlogProofError too), KeyError, TypeError
    or EncodingError for the caller to report as MALFORMED."""
    v1, v2 = formats
    if value.get("format") == v1 and tlog_name not in files:
        return LedgerProof(b64decode(value["leaf"]), None, *read_inclusion(value))
    if value.get("format") != v2 or tlog_name not in files:
        raise ValueError(f"format is not {v2} with a {tlog_name}")
    tlog = parse_tlog_proof(files[tlog_name])
    if tlog.extra is None or not isinstance(value["qr"], str):
        raise ValueError("the leaf or the QR text is missing")
    return LedgerProof(tlog.extra, value["qr"], tlog.index, tlog.size, tlog.path, tlog.checkpoint)
