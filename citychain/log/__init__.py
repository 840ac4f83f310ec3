"""The bytes of a transparency log, which other agencies re-implement from docs/protocol.md.

Owns canonical JSON, base64, Ed25519 signing keys (and their encrypted key
files), records and leaves, the RFC 9162 Merkle tree, C2SP signed notes and
checkpoints, C2SP tlog-tiles paths and bundles (and proofs computed from
tiles), salted commitments, masking
and fork evidence. Pure functions over bytes: no storage, no network. May
import only `citychain.errors`, `citychain.clock` and `citychain.files`.
"""
