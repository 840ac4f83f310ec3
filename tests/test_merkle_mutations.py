"""Merkle proofs under attack: every kind of mutation a verifier must refuse,
each with its precise error (RFC 9162 §2.1.3.2 / §2.1.4.2)."""

from __future__ import annotations

import random

import pytest
from test_merkle import BIG_DATA, BIG_HASHES, EMPTY, MAX, MUTATE_MAX, big, mth  # noqa: F401  (big is a fixture)

from citychain.log import merkle
from citychain.log.merkle import (
    IndexOutOfRange,
    InvalidProofLength,
    MalformedHash,
    MemoryTree,
    ProofError,
    RootMismatch,
    SizeOutOfRange,
)

# -- mutations ---------------------------------------------------------------


def _flip(h: bytes, bit: int) -> bytes:
    return h[: bit // 8] + bytes([h[bit // 8] ^ (1 << bit % 8)]) + h[bit // 8 + 1 :]


def _mutation_cases() -> list[tuple[int, int]]:
    rng = random.Random(9162)
    small = [(m, n) for n in range(1, MUTATE_MAX + 1) for m in range(n)]
    sample = [(rng.randrange(n), n) for n in (rng.randint(MUTATE_MAX + 1, MAX) for _ in range(300))]
    return small + sample


def _inclusion_mutations(i: int, n: int, proof: list[bytes], leaf: bytes, root: bytes):
    """(description, args for verify_inclusion, expected error or None for
    "accepted": a wrong size with the same path shape, see §6 of the spec)."""
    yield "flipped leaf", (_flip(leaf, 7), i, n, proof, root), RootMismatch
    yield "wrong leaf", (merkle.leaf_hash(b"x"), i, n, proof, root), RootMismatch
    yield "wrong root", (leaf, i, n, proof, _flip(root, 200)), RootMismatch
    yield "empty root", (leaf, i, n, proof, EMPTY), RootMismatch
    yield "short root", (leaf, i, n, proof, root[:31]), MalformedHash
    for k in range(len(proof)):
        for bit in (0, 131, 255):
            bad = proof[:k] + [_flip(proof[k], bit)] + proof[k + 1 :]
            yield f"bit {bit} of hash {k}", (leaf, i, n, bad, root), RootMismatch
        yield f"hash {k} missing", (leaf, i, n, proof[:k] + proof[k + 1 :], root), InvalidProofLength
        yield f"hash {k} short", (leaf, i, n, proof[:k] + [proof[k][1:]] + proof[k + 1 :], root), MalformedHash
    for k in range(len(proof) - 1):
        if proof[k] != proof[k + 1]:
            swapped = proof[:k] + [proof[k + 1], proof[k]] + proof[k + 2 :]
            yield f"hashes {k},{k + 1} swapped", (leaf, i, n, swapped, root), RootMismatch
    yield "hash appended", (leaf, i, n, proof + [root], root), InvalidProofLength
    yield "hash prepended", (leaf, i, n, [leaf] + proof, root), InvalidProofLength
    yield "empty hash appended", (leaf, i, n, proof + [b""], root), MalformedHash
    for j in {i - 1, i + 1, i ^ 2, i ^ 1}:
        if j != i:
            yield f"index {j}", (leaf, j, n, proof, root), IndexOutOfRange if not 0 <= j < n else ProofError
    for size in {n - 1, n + 1, 2 * n, n // 2}:
        if size != n and size <= MAX:
            if _same_shape(i, n, size):
                wrong = None  # accepted: see test_size_and_root_come_as_a_pair
            else:
                wrong = IndexOutOfRange if i >= size else ProofError
            yield f"size {size}", (leaf, i, size, proof, root), wrong
            if size > i:
                yield f"size {size} with its root", (leaf, i, size, proof, mth(0, size)), ProofError


def test_inclusion_mutations_are_refused(big):
    checked = 0
    for i, n in _mutation_cases():
        proof, leaf, root = merkle.inclusion_proof(big, i, n), BIG_HASHES[i], mth(0, n)
        for what, args, error in _inclusion_mutations(i, n, proof, leaf, root):
            if error is None:
                merkle.verify_inclusion(*args)
                continue
            with pytest.raises(error):
                merkle.verify_inclusion(*args)
                pytest.fail(f"{what}: accepted for leaf {i} of size {n}")
            checked += 1
    assert checked > 50_000


def _same_shape(i: int, n: int, size: int) -> bool:
    """Whether leaf i's path has the same sides and length at both sizes."""
    if not 0 <= i < size:
        return False

    def sides(s: int) -> list[bool]:
        return [start < i for start, _ in merkle.inclusion_ranges(i, s)]

    return sides(n) == sides(size)


def test_size_and_root_come_as_a_pair():
    """A proof that leaf 0 is in the tree of size 3 also recomputes that root
    when told the size is 4: the proof binds the root, and only a root and
    size signed together (a checkpoint) bind the size."""
    tree = MemoryTree(BIG_DATA[:4])
    proof = merkle.inclusion_proof(tree, 0, 3)
    merkle.verify_inclusion(BIG_HASHES[0], 0, 4, proof, merkle.root_at(tree, 3))
    with pytest.raises(RootMismatch):
        merkle.verify_inclusion(BIG_HASHES[0], 0, 4, proof, merkle.root_at(tree, 4))


def _consistency_mutations(m: int, n: int, proof: list[bytes], r1: bytes, r2: bytes):
    """(description, args for verify_consistency, expected error or None)."""
    yield "wrong old root", (m, n, _flip(r1, 3), r2, proof), RootMismatch
    yield "wrong new root", (m, n, r1, _flip(r2, 250), proof), RootMismatch
    yield "swapped roots", (m, n, r2, r1, proof), RootMismatch
    yield "empty proof", (m, n, r1, r2, []), InvalidProofLength
    for k in range(len(proof)):
        for bit in (4, 100, 255):
            bad = proof[:k] + [_flip(proof[k], bit)] + proof[k + 1 :]
            yield f"bit {bit} of hash {k}", (m, n, r1, r2, bad), RootMismatch
        if len(proof) > 1:
            yield f"hash {k} missing", (m, n, r1, r2, proof[:k] + proof[k + 1 :]), InvalidProofLength
        yield f"hash {k} short", (m, n, r1, r2, proof[:k] + [proof[k][:16]] + proof[k + 1 :]), MalformedHash
    for k in range(len(proof) - 1):
        if proof[k] != proof[k + 1]:
            swapped = proof[:k] + [proof[k + 1], proof[k]] + proof[k + 2 :]
            yield f"hashes {k},{k + 1} swapped", (m, n, r1, r2, swapped), RootMismatch
    for extra in (r1, r2, proof[0]):
        yield "hash appended", (m, n, r1, r2, proof + [extra]), InvalidProofLength
        yield "hash prepended", (m, n, r1, r2, [extra] + proof), InvalidProofLength
    yield "empty hash appended", (m, n, r1, r2, proof + [b""]), MalformedHash
    for old in {m - 1, m + 1, m ^ 2}:
        if old != m:
            yield f"old size {old}", (old, n, r1, r2, proof), SizeOutOfRange if old > n else ProofError
            if 0 < old < n:
                yield f"old size {old} with its root", (old, n, mth(0, old), r2, proof), ProofError
    for new in {n - 1, n + 1, 2 * n, n // 2}:
        if new != n:
            if _same_sides(m, n, new):
                wrong = None  # accepted, as for inclusion: the new root binds the new size
            else:
                wrong = SizeOutOfRange if new < m else ProofError
            yield f"new size {new}", (m, new, r1, r2, proof), wrong
            if m < new <= MAX:
                yield f"new size {new} with its root", (m, new, r1, mth(0, new), proof), ProofError


def test_consistency_mutations_are_refused(big):
    checked = 0
    for old, n in _mutation_cases():
        m = old or 1
        if m == n:
            continue
        proof = merkle.consistency_proof(big, m, n)
        for what, args, error in _consistency_mutations(m, n, proof, mth(0, m), mth(0, n)):
            if error is None:
                merkle.verify_consistency(*args)
                continue
            with pytest.raises(error):
                merkle.verify_consistency(*args)
                pytest.fail(f"{what}: accepted for {m} -> {n}")
            checked += 1
    assert checked > 50_000


def _same_sides(m: int, n: int, new: int) -> bool:
    """Whether the proof hashes fall on the same sides of the old tree at both new sizes."""
    if not m < new:
        return False

    def sides(s: int) -> list[bool]:
        return [start < m for start, _ in merkle.consistency_ranges(m, s)]

    return sides(n) == sides(new)


def test_consistency_path_lengths_are_checked():
    path = merkle.full_consistency_path(MemoryTree(BIG_DATA[:9]), 3, 9)
    with pytest.raises(InvalidProofLength):
        merkle.consistency_roots(3, 9, path[:-1])
    with pytest.raises(InvalidProofLength):
        merkle.consistency_roots(3, 9, path + [EMPTY])
    with pytest.raises(InvalidProofLength):
        merkle.consistency_roots(3, 9, [])
    with pytest.raises(SizeOutOfRange):
        merkle.consistency_roots(9, 9, path)
