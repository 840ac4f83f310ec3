"""RFC 9162 §2.1 Merkle trees: the published RFC 6962 vectors, exhaustive round
trips against a transcription of the RFC's recursive definitions, mutations
of every kind a verifier must refuse, and appends against building anew."""

from __future__ import annotations

import hashlib
import json
import random
from functools import cache
from pathlib import Path

import pytest

from citychain.log import merkle
from citychain.log.merkle import (
    Frontier,
    IndexOutOfRange,
    InvalidProofLength,
    MalformedHash,
    MemoryTree,
    RootMismatch,
    SizeOutOfRange,
)

VECTORS = json.loads((Path(__file__).parent / "vectors" / "merkle.json").read_text())
LEAVES = [bytes.fromhex(x) for x in VECTORS["leaves"]]
ROOTS = [bytes.fromhex(x) for x in VECTORS["roots"]]
MAX = 256  # exhaustive sizes
MUTATE_MAX = 64  # every proof up to this size is mutated; a sample above it
EMPTY = hashlib.sha256(b"").digest()


def _h(hexes: list[str]) -> list[bytes]:
    return [bytes.fromhex(x) for x in hexes]


# -- an independent reference: the RFC 9162 recursive definitions ------------

BIG_DATA = [b"leaf %d" % i for i in range(1000)]
BIG_HASHES = [merkle.leaf_hash(d) for d in BIG_DATA]


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


@cache
def mth(start: int, end: int) -> bytes:
    """MTH(D[start:end]) over BIG_DATA, straight from RFC 9162 §2.1.1."""
    n = end - start
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + BIG_DATA[start]).digest()
    k = _k(n)
    return hashlib.sha256(b"\x01" + mth(start, start + k) + mth(start + k, end)).digest()


def ref_path(m: int, start: int, end: int) -> list[bytes]:
    """PATH(m, D[start:end]), RFC 9162 §2.1.3.1."""
    n = end - start
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return ref_path(m, start, start + k) + [mth(start + k, end)]
    return ref_path(m - k, start + k, end) + [mth(start, start + k)]


def ref_subproof(m: int, start: int, end: int, b: bool) -> list[bytes]:
    """SUBPROOF(m, D[start:end], b), RFC 9162 §2.1.4.1."""
    n = end - start
    if m == n:
        return [] if b else [mth(start, end)]
    k = _k(n)
    if m <= k:
        return ref_subproof(m, start, start + k, b) + [mth(start + k, end)]
    return ref_subproof(m - k, start + k, end, False) + [mth(start, start + k)]


# -- shared trees ------------------------------------------------------------


class CountingReader:
    """A batch reader that records how it was asked."""

    def __init__(self, tree: MemoryTree) -> None:
        self.tree = tree
        self.single = 0
        self.batches: list[list[tuple[int, int]]] = []

    def node(self, level: int, index: int) -> bytes:
        self.single += 1
        return self.tree.node(level, index)

    def nodes(self, coords):
        self.batches.append(list(coords))
        return self.tree.nodes(coords)


class SingleReader:
    """A reader with only `node` (like a plain level array)."""

    def __init__(self, tree: MemoryTree) -> None:
        self.tree = tree

    def node(self, level: int, index: int) -> bytes:
        return self.tree.node(level, index)


@pytest.fixture(scope="module")
def vector_tree() -> MemoryTree:
    return MemoryTree(LEAVES)


@pytest.fixture(scope="module")
def big() -> MemoryTree:
    return MemoryTree(BIG_DATA[:MAX])


@pytest.fixture(scope="module")
def exact() -> list[MemoryTree]:
    """exact[n]: a tree that has only ever had n leaves."""
    return [MemoryTree(BIG_DATA[:n]) for n in range(MAX + 1)]


# -- hashing -----------------------------------------------------------------


def test_hash_definitions():
    assert merkle.empty_root() == merkle.EMPTY_ROOT == EMPTY == ROOTS[0]
    assert merkle.leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    a, b = merkle.leaf_hash(b"a"), merkle.leaf_hash(b"b")
    assert merkle.node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()
    assert merkle.node_hash(a, b) != merkle.node_hash(b, a)
    # A leaf that spells out two child hashes does not hash like their parent.
    assert merkle.leaf_hash(b"\x01" + a + b) != merkle.node_hash(a, b)


# -- RFC 6962 vectors (transparency-dev/merkle) ------------------------------


def test_vector_roots(vector_tree):
    for size, root in enumerate(ROOTS):
        assert merkle.root_at(vector_tree, size) == root, size
        assert MemoryTree(LEAVES[:size]).root() == root, size


def test_vector_nodes(vector_tree):
    assert vector_tree.levels == [_h(level) for level in VECTORS["nodes"]]


def test_vector_frontiers(vector_tree):
    frontier = Frontier()
    for size, coords in enumerate(VECTORS["frontiers"]):
        assert merkle.frontier_coords(size) == [tuple(c) for c in coords]
        assert frontier.hashes == tuple(vector_tree.nodes(merkle.frontier_coords(size)))
        assert frontier.root() == merkle.frontier_root(frontier.hashes) == ROOTS[size]
        assert Frontier.load(vector_tree, size) == frontier
        if size < len(LEAVES):
            frontier, _ = frontier.append(merkle.leaf_hash(LEAVES[size]))


@pytest.mark.parametrize(
    "case", VECTORS["inclusion"] + VECTORS["derived_inclusion"], ids=lambda c: f"{c['index']}@{c['size']}"
)
def test_vector_inclusion(vector_tree, case):
    index, size, proof = case["index"], case["size"], _h(case["proof"])
    assert merkle.inclusion_proof(vector_tree, index, size) == proof
    assert merkle.inclusion_proof(MemoryTree(LEAVES[:size]), index, size) == proof
    merkle.verify_inclusion(merkle.leaf_hash(LEAVES[index]), index, size, proof, ROOTS[size])


@pytest.mark.parametrize(
    "case", VECTORS["consistency"] + VECTORS["derived_consistency"], ids=lambda c: f"{c['old']}-{c['new']}"
)
def test_vector_consistency(vector_tree, case):
    old, new, proof = case["old"], case["new"], _h(case["proof"])
    assert merkle.consistency_proof(vector_tree, old, new) == proof
    assert merkle.consistency_proof(MemoryTree(LEAVES[:new]), old, new) == proof
    merkle.verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)


@pytest.mark.parametrize("case", VECTORS["derived_full_consistency"], ids=lambda c: f"{c['old']}-{c['new']}")
def test_vector_full_consistency_path(vector_tree, case):
    old, new, path = case["old"], case["new"], _h(case["path"])
    assert merkle.full_consistency_path(vector_tree, old, new) == path
    assert merkle.consistency_roots(old, new, path) == (ROOTS[old], ROOTS[new])


def test_derived_vectors_follow_the_rfc_definitions():
    """The derived vectors come from the code under test; the RFC's own
    recursion, over the same eight leaves, must give them too."""
    tree = [merkle.leaf_hash(d) for d in LEAVES]

    def mth8(a: int, b: int) -> bytes:
        if b - a == 1:
            return tree[a]
        k = _k(b - a)
        return merkle.node_hash(mth8(a, a + k), mth8(a + k, b))

    assert mth8(4, 7).hex() == "837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e"
    case = VECTORS["derived_inclusion"][0]
    assert _h(case["proof"]) == [tree[3], mth8(0, 2), mth8(4, 7)]
    case = VECTORS["derived_consistency"][0]
    assert _h(case["proof"]) == [tree[2], tree[3], mth8(0, 2), mth8(4, 7)]
    case = VECTORS["derived_full_consistency"][0]
    assert _h(case["path"]) == [mth8(0, 2), mth8(2, 4), tree[4]]


@pytest.mark.parametrize("case", VECTORS["inclusion_nodes"], ids=lambda c: f"{c['index']}@{c['size']}")
def test_vector_inclusion_nodes(case):
    want = [[tuple(c) for c in group] for group in case["nodes"]]
    ranges = merkle.inclusion_ranges(case["index"], case["size"])
    assert [merkle.range_coords(*r) for r in ranges] == want
    assert merkle.proof_coords(ranges) == [c for group in want for c in group]


@pytest.mark.parametrize("case", VECTORS["consistency_nodes"], ids=lambda c: f"{c['old']}-{c['new']}")
def test_vector_consistency_nodes(case):
    want = [[tuple(c) for c in group] for group in case["nodes"]]
    ranges = merkle.consistency_ranges(case["old"], case["new"])
    assert [merkle.range_coords(*r) for r in ranges] == want


def test_vector_single_entry():
    h = merkle.leaf_hash(b"data")
    merkle.verify_inclusion(h, 0, 1, [], h)
    with pytest.raises(RootMismatch):
        merkle.verify_inclusion(h, 0, 1, [], merkle.leaf_hash(b"other"))
    with pytest.raises(MalformedHash):
        merkle.verify_inclusion(b"", 0, 1, [], h)
    with pytest.raises(MalformedHash):
        merkle.verify_inclusion(h, 0, 1, [], b"")


@pytest.mark.parametrize("index,size", [(0, 0), (1, 0), (2, 1), (1, 1), (-1, 4)])
def test_inclusion_index_outside_the_tree(index, size):
    with pytest.raises(IndexOutOfRange):
        merkle.verify_inclusion(EMPTY, index, size, [], EMPTY)
    with pytest.raises(IndexOutOfRange):
        merkle.inclusion_ranges(index, size)


# -- consistency edge cases (outside RFC 9162's 0 < old < new) ---------------

A, B = merkle.leaf_hash(b"a"), merkle.leaf_hash(b"b")


@pytest.mark.parametrize(
    "old,new,old_root,new_root,proof",
    [
        (0, 0, EMPTY, EMPTY, []),
        (0, 1, EMPTY, A, []),
        (0, 5, EMPTY, B, []),
        (1, 1, A, A, []),
        (7, 7, B, B, []),
    ],
)
def test_trivially_consistent(old, new, old_root, new_root, proof):
    merkle.verify_consistency(old, new, old_root, new_root, proof)


@pytest.mark.parametrize(
    "old,new,old_root,new_root,proof,error",
    [
        (1, 1, A, B, [], RootMismatch),  # two trees of one size
        (0, 0, EMPTY, A, [], RootMismatch),
        (0, 1, A, B, [], RootMismatch),  # size 0 has exactly one root
        (0, 0, EMPTY, EMPTY, [EMPTY], InvalidProofLength),
        (0, 1, EMPTY, A, [EMPTY], InvalidProofLength),
        (1, 1, A, A, [EMPTY], InvalidProofLength),
        (1, 2, A, B, [], InvalidProofLength),  # RFC 9162 §2.1.4.2 step 1
        (1, 0, A, B, [], SizeOutOfRange),
        (2, 1, A, B, [], SizeOutOfRange),
        (-1, 1, A, B, [], SizeOutOfRange),
        (1, 2, A[:31], B, [A], MalformedHash),
        (1, 2, A, B + b"\x00", [A], MalformedHash),
    ],
)
def test_trivial_sizes_refused(old, new, old_root, new_root, proof, error):
    with pytest.raises(error):
        merkle.verify_consistency(old, new, old_root, new_root, proof)


# -- exhaustive round trips --------------------------------------------------


def test_roots_at_every_size(big, exact):
    for n in range(MAX + 1):
        root = mth(0, n)
        assert merkle.root_at(big, n) == root
        assert exact[n].root() == root
        assert merkle.root_at(exact[n], n) == root


def test_inclusion_round_trip_every_index_and_size(big, exact):
    for n in range(1, MAX + 1):
        root = merkle.root_at(big, n)
        for i in range(n):
            proof = merkle.inclusion_proof(big, i, n)
            assert proof == ref_path(i, 0, n)
            assert proof == merkle.inclusion_proof(exact[n], i, n)
            merkle.verify_inclusion(BIG_HASHES[i], i, n, proof, root)


def test_consistency_round_trip_every_pair(big, exact):
    for n in range(1, MAX + 1):
        new_root = merkle.root_at(big, n)
        for m in range(1, n + 1):
            proof = merkle.consistency_proof(big, m, n)
            assert proof == (ref_subproof(m, 0, n, True) if m < n else [])
            assert proof == merkle.consistency_proof(exact[n], m, n)
            merkle.verify_consistency(m, n, mth(0, m), new_root, proof)


def test_full_consistency_path_gives_both_roots(big):
    for n in range(2, MAX + 1):
        for m in range(1, n):
            path = merkle.full_consistency_path(big, m, n)
            assert path == ref_subproof(m, 0, n, False)
            proof = merkle.consistency_proof(big, m, n)
            assert path == ([mth(0, m)] + proof if m & (m - 1) == 0 else proof)
            assert merkle.consistency_roots(m, n, path) == (mth(0, m), mth(0, n))


def test_full_consistency_path_shows_a_fork():
    honest = MemoryTree(BIG_DATA[:20])
    forked = MemoryTree(BIG_DATA[:6] + [b"rewritten"] + BIG_DATA[7:20])
    path = merkle.full_consistency_path(forked, 11, 20)
    old_root, new_root = merkle.consistency_roots(11, 20, path)
    assert new_root == forked.root()
    assert old_root == merkle.root_at(forked, 11) != merkle.root_at(honest, 11)
    with pytest.raises(SizeOutOfRange):
        merkle.full_consistency_path(honest, 5, 5)


def test_empty_and_equal_proofs(big):
    assert merkle.consistency_proof(big, 0, 10) == []
    assert merkle.consistency_proof(big, 10, 10) == []
    assert merkle.consistency_proof(big, 0, 0) == []
    assert merkle.root_at(big, 0) == EMPTY
    with pytest.raises(SizeOutOfRange):
        merkle.consistency_proof(big, 5, 4)
    with pytest.raises(SizeOutOfRange):
        merkle.root_at(big, -1)


def test_sizes_the_tree_never_had(big):
    with pytest.raises(LookupError):
        merkle.root_at(big, MAX + 1)
    with pytest.raises(LookupError):
        merkle.inclusion_proof(big, 0, MAX + 3)
    with pytest.raises(LookupError):
        merkle.consistency_proof(big, 3, MAX + 1)


# -- one query per proof -----------------------------------------------------


def test_a_proof_is_one_batch_of_existing_nodes(big):
    for n in range(1, MAX + 1):
        for i in range(0, n, 7):
            reader = CountingReader(big)
            proof = merkle.inclusion_proof(reader, i, n)
            assert reader.single == 0 and len(reader.batches) == 1
            coords = reader.batches[0]
            assert len(coords) == len(set(coords)) <= 2 * n.bit_length()
            assert all((index + 1) << level <= n for level, index in coords)  # exists at size n
            assert merkle.assemble(merkle.inclusion_ranges(i, n), big.nodes(coords)) == proof
        for m in range(1, n, 5):
            reader = CountingReader(big)
            merkle.consistency_proof(reader, m, n)
            assert reader.single == 0 and len(reader.batches) == 1
            assert all((index + 1) << level <= n for level, index in reader.batches[0])


def test_a_reader_without_batches_works(big):
    reader = SingleReader(big)
    assert merkle.root_at(reader, 77) == mth(0, 77)
    assert merkle.inclusion_proof(reader, 40, 77) == ref_path(40, 0, 77)
    assert merkle.consistency_proof(reader, 33, 77) == ref_subproof(33, 0, 77, True)
    assert Frontier.load(reader, 77) == Frontier.load(big, 77)


def test_ranges_outside_the_recursion_are_refused():
    for start, end in [(1, 3), (2, 6), (4, 4), (5, 4), (3, 5)]:
        with pytest.raises(ValueError):
            merkle.range_coords(start, end)
    with pytest.raises(ValueError):
        merkle.assemble([(0, 3)], [EMPTY])  # (0, 3) needs two nodes


# -- appending ---------------------------------------------------------------


def test_frontier_appends_match_building_anew():
    frontier, stored = Frontier(), {}
    for n, leaf in enumerate(BIG_HASHES, start=1):
        frontier, new_nodes = frontier.append(leaf)
        assert new_nodes[0] == (0, n - 1, leaf)
        for level, index, h in new_nodes:
            assert (level, index) not in stored
            assert (index + 1) << level == n  # completed by exactly this leaf
            stored[level, index] = h
        assert frontier.size == n
        assert frontier.root() == mth(0, n)
        assert frontier.hashes == tuple(stored[c] for c in merkle.frontier_coords(n))
    assert len(stored) == 2 * len(BIG_HASHES) - len(BIG_HASHES).bit_count()
    for (level, index), h in stored.items():
        assert h == mth(index << level, (index + 1) << level)


def test_frontier_extend_equals_appends():
    tree = MemoryTree.from_hashes(BIG_HASHES)
    frontier, nodes = Frontier(), []
    rng = random.Random(1)
    at = 0
    while at < len(BIG_HASHES):
        step = rng.randint(1, 40)
        frontier, new_nodes = frontier.extend(BIG_HASHES[at : at + step])
        nodes += new_nodes
        at += step
        assert frontier == Frontier.load(tree, frontier.size)
    assert frontier.root() == tree.root() == mth(0, len(BIG_HASHES))
    assert {(lv, i): h for lv, i, h in nodes} == {
        (lv, i): h for lv, level in enumerate(tree.levels) for i, h in enumerate(level)
    }


def test_frontier_is_checked_and_immutable():
    with pytest.raises(ValueError):
        Frontier(3, (EMPTY,))
    f = Frontier(1, (A,))
    with pytest.raises(AttributeError):
        f.size = 2  # type: ignore[misc]
    assert f.append(B)[0] == Frontier(2, (merkle.node_hash(A, B),))
    assert f == Frontier(1, (A,))  # appending made a new frontier
    assert Frontier().root() == EMPTY


def test_memory_tree():
    tree = MemoryTree()
    for data in BIG_DATA[:100]:
        tree.append(data)
    assert tree.size == 100 and tree.root() == mth(0, 100)
    assert MemoryTree.from_hashes(BIG_HASHES[:100]).levels == tree.levels
    assert tree.node(2, 24) == mth(96, 100)
    for level, index in [(2, 25), (7, 0), (0, 100), (0, -1), (-1, 0)]:
        with pytest.raises(LookupError):
            tree.node(level, index)


# -- claims made in docs/protocol.md (§ Merkle trees) ---------------------------------------


def test_inclusion_proof_length_formula():
    for n in range(1, MAX + 1):
        for m in range(n):
            t = (m ^ (n - 1)).bit_length()
            assert len(merkle.inclusion_ranges(m, n)) == t + (m >> t).bit_count()


def test_documented_refusals(vector_tree):
    leaf5, v1 = merkle.leaf_hash(LEAVES[5]), merkle.inclusion_proof(vector_tree, 5, 8)
    for index in (4, 6):
        with pytest.raises(RootMismatch):
            merkle.verify_inclusion(leaf5, index, 8, v1, ROOTS[8])
    for bad in (v1[:2], v1 + [v1[-1]], [v1[0]] + v1, v1 + [ROOTS[8]]):
        with pytest.raises(InvalidProofLength):
            merkle.verify_inclusion(leaf5, 5, 8, bad, ROOTS[8])
    v3 = merkle.consistency_proof(vector_tree, 6, 8)
    with pytest.raises(RootMismatch):
        merkle.verify_consistency(6, 8, ROOTS[8], ROOTS[6], v3)
    with pytest.raises(InvalidProofLength):
        merkle.verify_consistency(2, 5, ROOTS[2], ROOTS[5], [])
