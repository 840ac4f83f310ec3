"""Registry rules: one live licence per business, one per person (docs/protocol.md §11, *Registry rules*).

A real registry keeps one live business licence per credit code (one food
business licence per code and premises), one live residence permit and one
disability certificate per ID number, and no second marriage for a person
who holds a live one; a change is a supersede, never a second licence.

Who can enforce what follows from what is public. A credit code is (China's
enterprise credit publicity system publishes it), so new business records
carry it in the clear (`public`) and every node, a mirror too, checks the
business rules in the kind's own `check`. ID numbers are not: only the
issuing node, through its keyed-hash holder index, can tell that two
certificates name the same person, so the desk checks the person rules
before anything is written. Both apply only from the time the root's
`trust.rules.activated` record names for `RULES`: records before it stay valid.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Mapping
from typing import Any

from citychain.clock import parse_time
from citychain.log.records import Record
from citychain.node.kinds import Context, RecordRejected

from .holder_index import HolderIndex, normalise
from .identifiers import CertificateId, InvalidCertificateId, parse_certificate_id
from .types import BY_ID, CITY_TIME, LicenceType

RULES = "certificates.registry"  # the rule set's name in the trust log
# The clear `public` body field of each business type: name → the form field it comes from.
PUBLIC = {
    "business-licence": {"uscc": "uscc"},
    "food-business-licence": {"uscc": "uscc", "premises_sha256": "premises"},
}
# Person rules: the ID-number fields of a new certificate of the type; a live
# certificate of the same type naming any of those numbers (in any ID field) blocks it.
PERSON_FIELDS = {
    "residence-permit": ("holder_id",),
    "disability-certificate": ("holder_id",),
    "marriage-certificate": ("holder_id", "spouse_id"),
}
WHAT = {  # what two certificates share when one blocks the other (zh, en)
    "business-licence": ("统一社会信用代码", "credit code"),
    "food-business-licence": ("统一社会信用代码和经营场所", "credit code and premises"),
    "residence-permit": ("公民身份号码", "ID number"),
    "disability-certificate": ("公民身份号码", "ID number"),
    "marriage-certificate": ("当事人", "person"),
}
SCHEMA = """
CREATE TABLE IF NOT EXISTS certificate_keys (
    id TEXT PRIMARY KEY,
    log INTEGER NOT NULL,
    key TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS certificate_keys_log_key ON certificate_keys (log, key);
"""
_LIVE = "c.status IN ('valid', 'suspended') AND (c.valid_until IS NULL OR c.valid_until >= ?)"


class LiveLicence(RecordRejected):
    """A new certificate a live one of the same registry entry blocks: name it, offer supersede."""

    status = 409

    def __init__(self, type_id: str, blocking: str, fields: tuple[str, ...] = ()) -> None:
        licence, (what_zh, what_en) = BY_ID[type_id], WHAT[type_id]
        super().__init__(
            "LIVE_LICENCE",
            f"该{what_zh}已有有效的{licence.name_zh} {blocking}，未签发新证；如需变更或换证，请对该证办理替换（supersede）",
            f"a live {licence.name_en.lower()} {blocking} already exists for this {what_en}; nothing was issued — "
            f"supersede {blocking} to change or renew it",
        )
        self.blocking = blocking
        self.fields = self.marking(fields)

    def to_json(self) -> dict[str, Any]:
        return {**super().to_json(), "blocking": self.blocking}


def city_day(time: str) -> str:
    """The city's calendar day of a record time: a licence past its valid_until is no longer live."""
    return parse_time(time).astimezone(CITY_TIME).date().isoformat()


def premises_digest(premises: str) -> str:
    return hashlib.sha256(normalise(premises).encode()).hexdigest()


def public_fields(type_id: str, values: Mapping[str, Any]) -> dict[str, str] | None:
    """The clear `public` body field of a new record, or None for a type without one."""
    names = PUBLIC.get(type_id)
    if names is None:
        return None
    public = {"uscc": str(values["uscc"]).upper()}
    if "premises_sha256" in names:
        public["premises_sha256"] = premises_digest(str(values["premises"]))
    return public


def registry_key(public: dict[str, str]) -> str:
    """What two records of one registry entry share: the public values, in name order."""
    return "\n".join(public[name] for name in sorted(public))


def refuse_public(conn: sqlite3.Connection, log_id: int, body: Mapping[str, Any], day: str) -> None:
    """LiveLicence if a live certificate of this log has the same public values
    (the form fields they come from are marked)."""
    key = registry_key(body["public"])
    blocker = live_blocker(conn, log_id, key, day, str(body["id"]))
    if blocker is not None:
        raise LiveLicence(body["type"], blocker, tuple(PUBLIC[body["type"]].values()))


def check_public(record: Record, ctx: Context) -> None:
    """The business rules, as every node checks them on append and on sync."""
    body, expected = record.body, PUBLIC.get(str(record.body.get("type")))
    public = body.get("public")
    if expected is None:
        if public is not None:
            raise RecordRejected("MALFORMED", "此类证照没有公开栏目", "this licence type has no public field", "public")
        return
    in_force = ctx.trust is not None and ctx.trust.rules_apply(RULES, record.time)
    if public is None:
        if in_force:
            raise RecordRejected(
                "MALFORMED", "营业类证照须公开统一社会信用代码", "a business licence must carry `public`", "public"
            )
        return
    if (
        not isinstance(public, dict)
        or public.keys() != expected.keys()
        or not all(isinstance(v, str) and 0 < len(v) <= 64 for v in public.values())
    ):
        raise RecordRejected(
            "MALFORMED", "公开栏目格式错误", f"public must hold exactly {sorted(expected)} as text", "public"
        )
    if in_force:
        refuse_public(ctx.conn, ctx.log_id, body, city_day(record.time))


def apply_public(record: Record, ctx: Context) -> None:
    public = record.body.get("public")
    if isinstance(public, dict):
        ctx.conn.execute(
            "INSERT INTO certificate_keys (id, log, key) VALUES (?, ?, ?)",
            (record.body["id"], ctx.log_id, registry_key(public)),
        )


def _earlier_version(older: str, newer: str) -> bool:
    """A supersede issues the next version of the id while the old one is still live."""
    try:
        a, b = parse_certificate_id(older), parse_certificate_id(newer)
    except InvalidCertificateId:
        return False
    same = (a.type_code, a.issuer_uscc, a.serial) == (b.type_code, b.issuer_uscc, b.serial)
    return same and a.version < b.version


def _first_other(rows, new_id: str) -> str | None:
    return next((cert_id for (cert_id,) in rows if not _earlier_version(cert_id, new_id)), None)


def live_blocker(conn: sqlite3.Connection, log_id: int, key: str, day: str, new_id: str) -> str | None:
    """The live certificate of this log with the same public key, if any."""
    rows = conn.execute(
        f"SELECT c.id FROM certificate_keys k JOIN certificates c ON c.id = k.id "
        f"WHERE k.log = ? AND k.key = ? AND {_LIVE} ORDER BY c.seq",
        (log_id, key, day),
    )
    return _first_other(rows, new_id)


def person_blocker(
    index: HolderIndex,
    conn: sqlite3.Connection,
    log_id: int,
    licence: LicenceType,
    values: Mapping[str, Any],
    day: str,
    new_id: CertificateId,
) -> tuple[str, str] | None:
    """(blocking id, field) for the person rules, found through the keyed-hash
    holder index (the caller caught it up): never a clear ID number."""
    for name in PERSON_FIELDS.get(licence.id, ()):
        found = index.certificates(str(values[name]).upper())
        if not found:
            continue
        marks = ", ".join("?" * len(found))
        rows = conn.execute(
            f"SELECT c.id FROM certificates c WHERE c.log = ? AND c.type = ? AND c.id IN ({marks}) AND {_LIVE} "
            "ORDER BY c.seq",
            (log_id, licence.id, *found, day),
        )
        blocker = _first_other(rows, str(new_id))
        if blocker is not None:
            return blocker, name
    return None
