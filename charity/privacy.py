"""Donors and beneficiaries on the ledger: salted commitments, never names.

A person is committed to as the JSON value `{"name": …}` or
`{"id_number": …, "name": …}` under the field name `donor` or `beneficiary`,
with the docs/protocol.md §10 scheme (`citychain.log.commitments`): one random 16-byte
seed per donation or request, kept on the charity node beside the clear
values. Revealing the field's salt and value opens one commitment and nothing
else; erasing the seed leaves only an unlinkable hash on the ledger.

Displays show masked values only: surname and asterisks for names (张**),
the first three and last two characters of ID numbers.
"""

from __future__ import annotations

import unicodedata

from citychain.log.commitments import commitment, new_seed, opens, salt
from citychain.log.masking import mask_id_number, mask_name
from citychain.log.merkle import DEFAULT_HASHER, Hasher

DONOR = "donor"
BENEFICIARY = "beneficiary"

__all__ = [
    "BENEFICIARY",
    "DONOR",
    "mask_id_number",
    "mask_name",
    "new_seed",
    "opens_person",
    "person_commitment",
    "person_value",
]


def person_value(name: str, id_number: str | None = None) -> dict[str, str]:
    """The value committed to: NFC-normalised, surrounding blanks removed."""
    value = {"name": unicodedata.normalize("NFC", name.strip())}
    if id_number:
        value["id_number"] = unicodedata.normalize("NFC", id_number.strip().upper())
    if not value["name"]:
        raise ValueError("a person's name is required to commit to it")
    return value


def person_commitment(
    seed: bytes, field: str, name: str, id_number: str | None = None, hasher: Hasher = DEFAULT_HASHER
) -> str:
    """64 hex digits for the ledger body (`field` is DONOR or BENEFICIARY; `hasher` the city's)."""
    return commitment(salt(seed, field, hasher), person_value(name, id_number), hasher)


def opens_person(
    commitment_hex: str,
    seed: bytes,
    field: str,
    name: str,
    id_number: str | None = None,
    hasher: Hasher = DEFAULT_HASHER,
) -> bool:
    """Does this seed with these clear values open the commitment on the ledger?"""
    return opens(commitment_hex, salt(seed, field, hasher), person_value(name, id_number), hasher)
