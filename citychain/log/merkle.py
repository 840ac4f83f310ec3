"""RFC 9162 §2.1 Merkle trees over perfect-subtree storage.

A log of size n keeps every complete ("perfect") subtree hash as node
(level, index), covering leaves [index·2^level, (index+1)·2^level); the node
exists once all its leaves do, and is never rewritten. That is enough to give
the root, an inclusion proof or a consistency proof for any size the log ever
had: every hash such a proof holds is MTH of a range that RFC 9162's recursion
produces, and such a range splits into perfect subtrees exactly as a tree of
its length splits into its frontier.

Proofs are built in two steps so a database can answer with one query: pure
functions say which ranges a proof needs (`inclusion_ranges`,
`consistency_ranges`) and which stored nodes those are (`proof_coords`);
`assemble` folds the fetched hashes back into proof hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from citychain.errors import CodedError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Coord = tuple[int, int]  # (level, index) of a perfect subtree
Range = tuple[int, int]  # leaves [start, end)
NewNode = tuple[int, int, bytes]  # (level, index, hash) to persist

_sha256 = DEFAULT_HASHER = hashlib.sha256
# A hashlib-style constructor, `hasher(data).digest()`: SHA-256, or SM3 in an
# SM2/SM3 city (citychain.log.suite). Every function takes it as a keyword with
# SHA-256 as the default, so the tree code is one for both suites.
Hasher = Any


# -- errors -----------------------------------------------------------------


class ProofError(CodedError):
    """A proof, or the claim it is checked against, does not hold (English, for operators)."""

    code = "BAD_PROOF"

    def __init__(self, message: str) -> None:
        super().__init__(type(self).code, message)


class IndexOutOfRange(ProofError):
    """A leaf index is not inside the tree size it is claimed for."""


class SizeOutOfRange(ProofError):
    """Tree sizes that no proof can relate (negative, or shrinking)."""


class MalformedHash(ProofError):
    """A hash that is not 32 bytes: wrong before any hashing is done."""


class InvalidProofLength(ProofError):
    """The proof has more or fewer hashes than the tree shape requires."""


class RootMismatch(ProofError):
    """The proof is well formed but leads to a different root."""


# -- hashing ----------------------------------------------------------------


def leaf_hash(data: bytes, hasher: Hasher = _sha256) -> bytes:
    """The 0x00 prefix keeps a leaf from ever passing for an interior node."""
    return hasher(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes, hasher: Hasher = _sha256) -> bytes:
    return hasher(b"\x01" + left + right).digest()


def empty_root(hasher: Hasher = _sha256) -> bytes:
    """MTH({}) = H of the empty string."""
    return EMPTY_ROOT if hasher is _sha256 else hasher(b"").digest()


def hasher_of(reader: object) -> Hasher:
    """The hash a tree reader (a store, a MemoryTree) was built with."""
    return getattr(reader, "hasher", _sha256)


def fold(hashes: Sequence[bytes], hasher: Hasher = _sha256) -> bytes:
    """MTH of a range given its perfect subtrees, largest (leftmost) first.

    RFC 9162 splits at the largest power of two below the length, which is
    the leftmost perfect subtree; so the range hash is a fold from the right.
    """
    if not hashes:
        return empty_root(hasher)
    h = hashes[-1]
    for i in range(len(hashes) - 2, -1, -1):
        h = hasher(b"\x01" + hashes[i] + h).digest()
    return h


frontier_root = fold


# -- reading stored nodes ---------------------------------------------------


class NodeReader(Protocol):
    """Perfect-subtree hashes of one tree; raises LookupError for a node that
    does not exist (yet)."""

    def node(self, level: int, index: int) -> bytes: ...


class BatchNodeReader(NodeReader, Protocol):
    """A reader that can fetch many nodes at once (one database query)."""

    def nodes(self, coords: Sequence[Coord]) -> list[bytes]:
        """The hashes of `coords`, in the same order."""
        ...


def read_nodes(reader: NodeReader, coords: Sequence[Coord]) -> list[bytes]:
    """Use the reader's batch method when it has one: one round trip per proof."""
    batch = getattr(reader, "nodes", None)
    if batch is not None:
        return batch(coords)
    return [reader.node(level, index) for level, index in coords]


# -- which nodes a root or proof needs (pure) -------------------------------


def _split(n: int) -> int:
    """RFC 9162's k: the largest power of two strictly below n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def range_coords(start: int, end: int) -> list[Coord]:
    """The perfect subtrees of [start, end), largest first.

    Only ranges the RFC recursion produces are accepted: their start is a
    multiple of their largest piece, so every piece is a stored node.
    """
    n = end - start
    if n <= 0 or start % (1 << (n.bit_length() - 1)):
        raise ValueError(f"[{start}, {end}) is not a range of the RFC 9162 recursion")
    coords = []
    for level in range(n.bit_length() - 1, -1, -1):
        if n >> level & 1:
            coords.append((level, start >> level))
            start += 1 << level
    return coords


def frontier_coords(size: int) -> list[Coord]:
    """The perfect subtrees that make up a tree of `size`, largest first:
    what a store loads (in one query) to append after `size` leaves."""
    return range_coords(0, size) if size else []


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose hashes form PATH(index, D[0:size]), leaf end first."""
    if not 0 <= index < size:
        raise IndexOutOfRange(f"leaf index {index} is not below tree size {size}")
    ranges, start, end = [], 0, size
    while end - start > 1:
        mid = start + _split(end - start)
        if index < mid:
            ranges.append((mid, end))
            end = mid
        else:
            ranges.append((start, mid))
            start = mid
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, new_size: int, *, full: bool = False) -> list[Range]:
    """The ranges whose hashes form PROOF(old_size, D[0:new_size]), RFC 9162
    §2.1.4.1, deepest first. `full` keeps the old tree's own hash when
    old_size is a power of two (SUBPROOF with b = false from the start), so
    the proof alone shows what the old root was."""
    if not 0 <= old_size <= new_size:
        raise SizeOutOfRange(f"no consistency proof from size {old_size} to size {new_size}")
    if old_size == 0 or (old_size == new_size and not full):
        return []
    ranges, start, end, m, complete = [], 0, new_size, old_size, not full
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start, m, complete = start + k, m - k, False
    if not complete:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def proof_coords(ranges: Sequence[Range]) -> list[Coord]:
    """Every stored node the ranges need, in order: fetch these, then `assemble`."""
    return [coord for start, end in ranges for coord in range_coords(start, end)]


def assemble(ranges: Sequence[Range], hashes: Sequence[bytes], hasher: Hasher = _sha256) -> list[bytes]:
    """Proof hashes from the node hashes of `proof_coords(ranges)`, same order."""
    out, at = [], 0
    for start, end in ranges:
        count = (end - start).bit_count()
        out.append(fold(hashes[at : at + count], hasher))
        at += count
    if at != len(hashes):
        raise ValueError(f"{len(hashes)} node hashes given for {at} nodes")
    return out


# -- roots and proofs from a reader ----------------------------------------


def _resolve(reader: NodeReader, ranges: Sequence[Range]) -> list[bytes]:
    return assemble(ranges, read_nodes(reader, proof_coords(ranges)), hasher_of(reader))


def range_hash(reader: NodeReader, start: int, end: int) -> bytes:
    """MTH(D[start:end]) for a range of the RFC 9162 recursion."""
    return fold(read_nodes(reader, range_coords(start, end)), hasher_of(reader))


def root_at(reader: NodeReader, size: int) -> bytes:
    """The root the tree had at `size` (any size up to the current one)."""
    if size < 0:
        raise SizeOutOfRange(f"tree size {size} is negative")
    return fold(read_nodes(reader, frontier_coords(size)), hasher_of(reader))


def inclusion_proof(reader: NodeReader, index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]) (RFC 9162 §2.1.3.1), for any size the log had."""
    return _resolve(reader, inclusion_ranges(index, size))


def consistency_proof(reader: NodeReader, old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[0:new_size]) (RFC 9162 §2.1.4.1); empty when
    old_size is 0 or equals new_size."""
    return _resolve(reader, consistency_ranges(old_size, new_size))


def full_consistency_path(reader: NodeReader, old_size: int, new_size: int) -> list[bytes]:
    """The consistency proof with the old subtree kept even when old_size is a
    power of two, so a third party can compute the old root from the new tree
    (fork evidence); `consistency_roots` reads it."""
    if not 0 < old_size < new_size:
        raise SizeOutOfRange(f"a full consistency path needs 0 < {old_size} < {new_size}")
    return _resolve(reader, consistency_ranges(old_size, new_size, full=True))


# -- verification (RFC 9162 §2.1.3.2, §2.1.4.2) ------------------------------


def _check_hashes(what: str, hashes: Iterable[bytes]) -> None:
    for i, h in enumerate(hashes):
        if len(h) != HASH_SIZE:
            raise MalformedHash(f"{what}[{i}] is {len(h)} bytes, not {HASH_SIZE}")


def _check_hash(what: str, h: bytes) -> None:
    if len(h) != HASH_SIZE:
        raise MalformedHash(f"{what} is {len(h)} bytes, not {HASH_SIZE}")


def _wrong_length(got: int, want: int, what: str) -> InvalidProofLength:
    return InvalidProofLength(f"{what} has {got} hashes; the tree shape needs {want}")


def root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], hasher: Hasher = _sha256) -> bytes:
    """The root an inclusion proof leads to (RFC 9162 §2.1.3.2 steps 1–4)."""
    if not 0 <= index < size:
        raise IndexOutOfRange(f"leaf index {index} is not below tree size {size}")
    _check_hash("leaf hash", leaf)
    _check_hashes("proof", proof)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise _wrong_length(len(proof), len(inclusion_ranges(index, size)), "the inclusion proof")
        if fn & 1 or fn == sn:
            r = hasher(b"\x01" + p + r).digest()
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            r = hasher(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise _wrong_length(len(proof), len(inclusion_ranges(index, size)), "the inclusion proof")
    return r


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes, hasher: Hasher = _sha256
) -> None:
    """Raise a ProofError unless `proof` shows leaf hash `leaf` at `index` in
    the tree of `size` whose root is `root`."""
    _check_hash("root", root)
    if root_from_inclusion(leaf, index, size, proof, hasher) != root:
        raise RootMismatch(f"the inclusion proof for leaf {index} does not lead to the root of size {size}")


def consistency_roots(
    old_size: int, new_size: int, path: Sequence[bytes], hasher: Hasher = _sha256
) -> tuple[bytes, bytes]:
    """The (old, new) roots a full consistency path implies (RFC 9162 §2.1.4.2
    steps 3–6; `path` already starts with the old subtree when old_size is a
    power of two). Fork evidence uses it to show what a tree held at old_size."""
    if not 0 < old_size < new_size:
        raise SizeOutOfRange(f"a consistency path needs 0 < {old_size} < {new_size}")
    if not path:
        raise InvalidProofLength("the consistency proof is empty")
    _check_hashes("path", path)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise _path_length(old_size, new_size, path)
        if fn & 1 or fn == sn:
            fr = hasher(b"\x01" + c + fr).digest()
            sr = hasher(b"\x01" + c + sr).digest()
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            sr = hasher(b"\x01" + sr + c).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise _path_length(old_size, new_size, path)
    return fr, sr


def _path_length(old_size: int, new_size: int, path: Sequence[bytes]) -> InvalidProofLength:
    want = len(consistency_ranges(old_size, new_size, full=True))
    return _wrong_length(len(path), want, f"the consistency path from {old_size} to {new_size}")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes], hasher: Hasher = _sha256
) -> None:
    """Raise a ProofError unless `proof` shows the tree (old_size, old_root)
    is a prefix of the tree (new_size, new_root).

    RFC 9162 §2.1.4.2 covers 0 < old_size < new_size. Outside it: equal sizes
    need an empty proof and equal roots; old_size 0 needs an empty proof and
    the empty-tree root as old_root, and then holds for any new tree.
    """
    _check_hash("old root", old_root)
    _check_hash("new root", new_root)
    if not 0 <= old_size <= new_size:
        raise SizeOutOfRange(f"size {old_size} cannot precede size {new_size}")
    if old_size == 0 or old_size == new_size:
        if proof:
            raise InvalidProofLength(f"a proof from size {old_size} to size {new_size} must be empty")
        if old_size == 0 and old_root != empty_root(hasher):
            raise RootMismatch("the old root is not the root of the empty tree")
        if old_size == new_size and old_root != new_root:
            raise RootMismatch(f"two different roots for tree size {old_size}")
        return
    if not proof:  # step 1
        raise InvalidProofLength("the consistency proof is empty")
    path = [old_root, *proof] if old_size & (old_size - 1) == 0 else proof  # step 2
    fr, sr = consistency_roots(old_size, new_size, path, hasher)
    if fr != old_root:
        raise RootMismatch(f"the proof does not lead to the old root of size {old_size}")
    if sr != new_root:
        raise RootMismatch(f"the proof does not lead to the new root of size {new_size}")


# -- appending --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Frontier:
    """The right edge of a tree: one perfect-subtree hash per set bit of its
    size, largest first. Enough to append and to give the root without
    reading the tree."""

    size: int = 0
    hashes: tuple[bytes, ...] = ()
    hasher: Hasher = field(default=_sha256, compare=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.hashes) != self.size.bit_count():
            raise ValueError(
                f"a frontier of size {self.size} has {self.size.bit_count()} hashes, not {len(self.hashes)}"
            )

    @classmethod
    def load(cls, reader: NodeReader, size: int) -> Frontier:
        return cls(size, tuple(read_nodes(reader, frontier_coords(size))), hasher_of(reader))

    def append(self, leaf: bytes) -> tuple[Frontier, list[NewNode]]:
        """Add one leaf hash; return the new frontier and the perfect subtrees
        it completed (the leaf itself first), which are all a store must add."""
        return self.extend((leaf,))

    def extend(self, leaves: Iterable[bytes]) -> tuple[Frontier, list[NewNode]]:
        """`append` for a batch: one frontier object per batch, not per leaf."""
        size, hashes, new_nodes = self.size, list(self.hashes), []
        add, pop, hasher = new_nodes.append, hashes.pop, self.hasher
        for h in leaves:
            add((0, size, h))
            level, index = 0, size
            while index & 1:
                h = hasher(b"\x01" + pop() + h).digest()
                level += 1
                index >>= 1
                add((level, index, h))
            hashes.append(h)
            size += 1
        return Frontier(size, tuple(hashes), hasher), new_nodes

    def root(self) -> bytes:
        return fold(self.hashes, self.hasher)


class MemoryTree:
    """Every perfect subtree in memory, a level per list: for tests and for
    verifiers that rebuild a log from its leaves."""

    def __init__(self, leaves: Iterable[bytes] = (), hasher: Hasher = _sha256) -> None:
        self.levels: list[list[bytes]] = [[]]
        self.hasher = hasher
        self.frontier = Frontier(hasher=hasher)
        self.extend_hashes(leaf_hash(data, hasher) for data in leaves)

    @classmethod
    def from_hashes(cls, hashes: Iterable[bytes], hasher: Hasher = _sha256) -> MemoryTree:
        tree = cls(hasher=hasher)
        tree.extend_hashes(hashes)
        return tree

    def append(self, data: bytes) -> None:
        self.extend_hashes((leaf_hash(data, self.hasher),))

    def append_hash(self, leaf: bytes) -> None:
        self.extend_hashes((leaf,))

    def extend_hashes(self, leaves: Iterable[bytes]) -> None:
        self.frontier, new_nodes = self.frontier.extend(leaves)
        levels = self.levels
        for level, _index, h in new_nodes:
            if level == len(levels):
                levels.append([])
            levels[level].append(h)

    @property
    def size(self) -> int:
        return self.frontier.size

    def node(self, level: int, index: int) -> bytes:
        if level < 0 or index < 0:
            raise LookupError(f"no perfect subtree ({level}, {index})")
        try:
            return self.levels[level][index]
        except IndexError:
            raise LookupError(f"no perfect subtree ({level}, {index})") from None

    def nodes(self, coords: Sequence[Coord]) -> list[bytes]:
        return [self.node(level, index) for level, index in coords]

    def root(self) -> bytes:
        return self.frontier.root()
