"""RFC 9162 §2.1 Merkle trees over perfect-subtree storage.

A log of size n keeps every complete subtree hash as node (level, index),
covering leaves [index·2^level, (index+1)·2^level). Any root, inclusion or
consistency proof for any size the log ever had is built from those nodes:
a range that is not a complete subtree is split as RFC 9162 splits it (at the
largest power of two below its length), down to complete subtrees.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol, Sequence


class ProofError(ValueError):
    pass


class IndexOutOfRange(ProofError):
    pass


class InvalidProofLength(ProofError):
    pass


class RootMismatch(ProofError):
    pass


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def empty_root() -> bytes:
    return hashlib.sha256(b"").digest()


class NodeReader(Protocol):
    def node(self, level: int, index: int) -> bytes: ...


def _split(n: int) -> int:
    """Largest power of two strictly less than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def range_hash(reader: NodeReader, start: int, end: int) -> bytes:
    """MTH(D[start:end]) where `start` is aligned as RFC 9162 recursion leaves it."""
    n = end - start
    if n & (n - 1) == 0 and start % n == 0:
        return reader.node(n.bit_length() - 1, start // n)
    k = _split(n)
    return node_hash(range_hash(reader, start, start + k), range_hash(reader, start + k, end))


def root_at(reader: NodeReader, size: int) -> bytes:
    if size == 0:
        return empty_root()
    return range_hash(reader, 0, size)


def _path(reader: NodeReader, m: int, start: int, end: int) -> list[bytes]:
    """RFC 9162 PATH(m, D[start:end]), leaf-first."""
    n = end - start
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return _path(reader, m, start, start + k) + [range_hash(reader, start + k, end)]
    return _path(reader, m - k, start + k, end) + [range_hash(reader, start, start + k)]


def inclusion_proof(reader: NodeReader, index: int, size: int) -> list[bytes]:
    if not 0 <= index < size:
        raise IndexOutOfRange(f"index {index} is not below size {size}")
    return _path(reader, index, 0, size)


def _subproof(reader: NodeReader, m: int, start: int, end: int, complete: bool) -> list[bytes]:
    """RFC 9162 SUBPROOF(m, D[start:end], b)."""
    n = end - start
    if m == n:
        return [] if complete else [range_hash(reader, start, end)]
    k = _split(n)
    if m <= k:
        return _subproof(reader, m, start, start + k, complete) + [range_hash(reader, start + k, end)]
    return _subproof(reader, m - k, start + k, end, False) + [range_hash(reader, start, start + k)]


def consistency_proof(reader: NodeReader, old_size: int, new_size: int) -> list[bytes]:
    if not 0 <= old_size <= new_size:
        raise IndexOutOfRange(f"cannot prove size {old_size} against size {new_size}")
    if old_size == 0 or old_size == new_size:
        return []
    return _subproof(reader, old_size, 0, new_size, True)


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """RFC 9162 §2.1.3.2; raises ProofError, returns None when the proof holds."""
    if not 0 <= index < size:
        raise IndexOutOfRange(f"index {index} is not below size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if len(p) != 32:
            raise InvalidProofLength("every proof hash is 32 bytes")
        if sn == 0:
            raise InvalidProofLength("the proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InvalidProofLength("the proof is shorter than the tree is deep")
    if r != root:
        raise RootMismatch("the inclusion proof does not lead to the root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 §2.1.4.2; raises ProofError, returns None when the proof holds."""
    if not 0 <= old_size <= new_size:
        raise IndexOutOfRange(f"size {old_size} cannot precede size {new_size}")
    if old_size == new_size:
        if proof:
            raise InvalidProofLength("equal sizes need an empty proof")
        if old_root != new_root:
            raise RootMismatch("equal sizes but different roots")
        return
    if old_size == 0:
        if proof:
            raise InvalidProofLength("a proof from the empty tree must be empty")
        return
    if not proof:
        raise InvalidProofLength("the consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node
        path.insert(0, old_root)
    fr, sr = consistency_roots(old_size, new_size, path)
    if fr != old_root:
        raise RootMismatch("the proof does not lead to the old root")
    if sr != new_root:
        raise RootMismatch("the proof does not lead to the new root")


def consistency_roots(old_size: int, new_size: int, path: Sequence[bytes]) -> tuple[bytes, bytes]:
    """The (old, new) roots a full consistency path implies (RFC 9162 §2.1.4.2
    steps 3–7; `path` already starts with the old subtree when old_size is a
    power of two). Fork evidence uses it to show what a tree held at old_size."""
    if not 0 < old_size < new_size or not path:
        raise InvalidProofLength("a consistency path needs 0 < old size < new size and hashes")
    if any(len(p) != 32 for p in path):
        raise InvalidProofLength("every proof hash is 32 bytes")
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise InvalidProofLength("the proof is longer than needed")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InvalidProofLength("the proof is shorter than needed")
    return fr, sr


def full_consistency_path(reader: NodeReader, old_size: int, new_size: int) -> list[bytes]:
    """The consistency proof with the old subtree kept even when old_size is a
    power of two, so a third party can compute the old root from the new tree."""
    if not 0 < old_size < new_size:
        raise IndexOutOfRange(f"need 0 < {old_size} < {new_size}")
    return _subproof(reader, old_size, 0, new_size, False)


def frontier_coords(size: int) -> list[tuple[int, int]]:
    """The complete subtrees that make up a tree of `size`, left to right."""
    coords, start = [], 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            coords.append((level, start >> level))
            start += 1 << level
    return coords


@dataclass(frozen=True)
class Frontier:
    """The right edge of a tree: one hash per set bit of its size, biggest first."""

    size: int = 0
    hashes: tuple[bytes, ...] = ()

    @classmethod
    def load(cls, reader: NodeReader, size: int) -> "Frontier":
        return cls(size, tuple(reader.node(level, index) for level, index in frontier_coords(size)))

    def append(self, leaf: bytes) -> tuple["Frontier", list[tuple[int, int, bytes]]]:
        """Add one leaf hash; return the new frontier and the subtrees it completed."""
        size, hashes = self.size, list(self.hashes)
        new_nodes = [(0, size, leaf)]
        h, level, index = leaf, 0, size
        while index & 1:
            h = node_hash(hashes.pop(), h)
            level += 1
            index >>= 1
            new_nodes.append((level, index, h))
        hashes.append(h)
        return Frontier(size + 1, tuple(hashes)), new_nodes

    def root(self) -> bytes:
        if not self.hashes:
            return empty_root()
        h = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            h = node_hash(left, h)
        return h


class MemoryTree:
    """Every complete subtree in memory: for tests and for verifiers."""

    def __init__(self, leaves: Sequence[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        self.frontier = Frontier()
        for data in leaves:
            self.append_hash(leaf_hash(data))

    @classmethod
    def from_hashes(cls, hashes: Sequence[bytes]) -> "MemoryTree":
        tree = cls()
        for h in hashes:
            tree.append_hash(h)
        return tree

    def append_hash(self, leaf: bytes) -> None:
        self.frontier, new_nodes = self.frontier.append(leaf)
        for level, _index, h in new_nodes:
            if level == len(self.levels):
                self.levels.append([])
            self.levels[level].append(h)

    @property
    def size(self) -> int:
        return self.frontier.size

    def node(self, level: int, index: int) -> bytes:
        try:
            return self.levels[level][index]
        except IndexError:
            raise LookupError(f"no complete subtree ({level}, {index})") from None

    def root(self) -> bytes:
        return self.frontier.root()
