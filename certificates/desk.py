"""The certificate desk of one agency node: issue, change status, print.

Everything goes through `Node.append`, so roles, the trust log and the kind
rules hold here exactly as over HTTP. Clear values and the per-certificate
seed go to the node's encrypted private store in the same step; the ledger
gets only commitments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from citychain.clock import format_time, parse_time
from citychain.documents.money import yuan_figures
from citychain.errors import BilingualError
from citychain.log import merkle
from citychain.log.commitments import commit_all, new_seed
from citychain.log.encoding import b64decode, b64encode
from citychain.log.records import Leaf, parse_leaf
from citychain.log.suite import Suite
from citychain.node.node import Node
from citychain.pki.ca import load_cert, load_sealed_key

from . import holder_index, kinds, registry
from .causes import CAUSES, cause_words
from .fields import validate
from .identifiers import CertificateId, parse_certificate_id
from .payload import PROOF_FILENAME, TLOG_PROOF_FILENAME, Proof, qr_payload
from .qr_text import encode_qr_text
from .types import CHOICE, CITY_TIME, MONEY, LicenceType, licence_type

if TYPE_CHECKING:  # PDF work loads pyHanko and reportlab, a second a process; only printing pays it
    from citychain.documents.pades import SealIdentity

    from .pdf_layout import PrintedCertificate

PRIVATE_NS = "certificate"
VOID_WORDS = {
    "revoked": ("已撤销", "REVOKED"),
    "suspended": ("已暂停", "SUSPENDED"),
    "superseded": ("已被替换", "SUPERSEDED"),
}


class DeskError(BilingualError):
    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__("DESK", message_zh, message_en)


@dataclass(frozen=True)
class Issued:
    cert_id: str
    leaf: Leaf
    seed: bytes
    values: dict[str, Any]


@dataclass(frozen=True)
class Status:
    cert_id: str
    type: str
    seq: int
    valid_from: str
    valid_until: str | None
    status: str  # valid | revoked | suspended | superseded
    superseded_by: str | None
    status_seq: int | None = None  # the record that set the status (its `cause` says why a licence ended)


def city_today(now: datetime) -> date:
    return now.astimezone(CITY_TIME).date()


def city_time_text(time: str) -> str:
    """A record time in the city's own time zone (ISO 8601 with its offset)."""
    return parse_time(time).astimezone(CITY_TIME).isoformat(timespec="seconds")


def default_validity(licence: LicenceType, start: date) -> str | None:
    if licence.validity_years is None:
        return None
    try:
        end = start.replace(year=start.year + licence.validity_years)
    except ValueError:  # 29 February
        end = start.replace(year=start.year + licence.validity_years, day=28)
    return (end - timedelta(days=1)).isoformat()


def display_value(licence: LicenceType, name: str, value: Any) -> str:
    """A value as documents and screens show it: money in exact yuan, a choice in both
    languages; anything unexpected (a value from a later catalogue) as it is."""
    field = licence.field(name)
    if field.kind == MONEY and isinstance(value, int):
        return yuan_figures(value)
    if field.kind == CHOICE:
        return next((f"{zh} / {en}" for v, zh, en in field.choices if v == value), str(value))
    return str(value)


def _qr_text(status: Status, proof: Proof, suite: Suite) -> str:
    shown = [f.name for f in licence_type(status.type).fields if f.in_qr]
    return encode_qr_text(qr_payload(proof.leaf, proof.seed, proof.values, shown, suite.hash), suite)


class CertificateDesk:
    def __init__(self, node: Node) -> None:
        self.node = node

    # -- reading -------------------------------------------------------------
    def status(self, cert_id: str) -> Status:
        row = self.node.store.conn.execute(
            "SELECT c.id, c.type, c.seq, c.valid_from, c.valid_until, c.status, c.superseded_by, c.status_seq "
            "FROM certificates c JOIN logs l ON l.id = c.log WHERE c.id = ? AND l.own = 1",
            (cert_id,),
        ).fetchone()
        if row is None:
            raise DeskError(f"本机构没有签发过证照 {cert_id}", f"this agency has not issued certificate {cert_id}")
        return Status(*row)

    def leaf(self, seq: int) -> Leaf:
        head = self.node.store.head(self.node.config.agency)
        return parse_leaf(self.node.store.leaves(head.id, seq, seq + 1)[0], self.node.store.hasher)

    def private_values(self, cert_id: str) -> tuple[bytes, dict[str, Any]]:
        sealed = self.node.private().get(PRIVATE_NS, cert_id)
        if sealed is None:
            raise DeskError(
                "此证照的个人数据已按申请删除，无法再打印",
                "this certificate's personal data was erased on request; it cannot be printed again",
            )
        return b64decode(sealed["seed"]), sealed["values"]

    def _stored(self, cert_id: str) -> tuple[Status, Proof]:
        """Everything printing needs, read once: status, leaf, seed, values, newest proof."""
        status = self.status(cert_id)
        seed, values = self.private_values(cert_id)
        head = self.node.store.head(self.node.config.agency)
        path = merkle.inclusion_proof(self.node.store.reader(head.id), status.seq, head.size)
        proof = Proof(self.leaf(status.seq), seed, values, status.seq, head.size, tuple(path), head.checkpoint or "")
        return status, proof

    def proof(self, cert_id: str) -> Proof:
        return self._stored(cert_id)[1]

    def qr_text(self, cert_id: str) -> str:
        return _qr_text(*self._stored(cert_id), self.node.config.suite)

    # -- writing -------------------------------------------------------------
    def _next_id(self, licence: LicenceType) -> CertificateId:
        uscc = self.node.trust.agency(self.node.config.agency).attribute("uscc")
        if not uscc:
            raise DeskError("信任日志中没有本机构的统一社会信用代码", "the trust log holds no USCC for this agency")
        head = self.node.store.head(self.node.config.agency)
        (count,) = self.node.store.conn.execute(
            "SELECT COUNT(*) FROM certificates WHERE log = ? AND type = ?", (head.id, licence.id)
        ).fetchone()
        return CertificateId(licence.code, uscc, f"{count + 1:06d}")

    def _issued_item(
        self,
        licence: LicenceType,
        cert_id: CertificateId,
        form: Mapping[str, str],
        valid_from: str | None,
        valid_until: str | None,
    ) -> tuple[tuple[str, dict], bytes, dict]:
        start = valid_from or city_today(self.node.clock.now()).isoformat()
        if valid_until is None and valid_from is None:
            valid_until = default_validity(licence, date.fromisoformat(start))
        values = validate(licence, form, start, valid_until)
        seed = new_seed()
        body = {
            "id": str(cert_id),
            "type": licence.id,
            "valid_from": start,
            "commitments": commit_all(seed, values, self.node.config.suite.hash),
        }
        if valid_until is not None:
            body["valid_until"] = valid_until
        public = registry.public_fields(licence.id, values)
        if public is not None:
            body["public"] = public
        return (kinds.ISSUED, body), seed, values

    @cached_property
    def holders(self) -> holder_index.HolderIndex:
        """The keyed-hash holder index, where the person rules look people up."""
        key = holder_index.index_key(self.node.private())
        return holder_index.HolderIndex(holder_index.index_path(self.node.home.path), key, self.node.config.suite.hash)

    def _refuse_live(self, licence: LicenceType, body: dict, values: dict) -> None:
        """The registry rules, before anything is written: a refusal names the
        live licence that blocks the new one. The business rules are the kind's
        own (every node checks them again); the person rules only this node can
        check, through its holder index."""
        now = format_time(self.node.clock.now())
        if not self.node.trust.rules_apply(registry.RULES, now):
            return
        conn, head, day = self.node.store.conn, self.node.store.head(self.node.config.agency), registry.city_day(now)
        if "public" in body:
            registry.refuse_public(conn, head.id, body, day)
        if licence.id in registry.PERSON_FIELDS:
            self.holders.catch_up(conn, head.id, lambda cert_id: self.node.private().get(PRIVATE_NS, cert_id))
            new_id = parse_certificate_id(body["id"])
            found = registry.person_blocker(self.holders, conn, head.id, licence, values, day, new_id)
            if found is not None:
                raise registry.LiveLicence(licence.id, found[0], (found[1],))

    def _store_private(self, cert_id: str, seed: bytes, values: dict) -> None:
        self.node.private().put(PRIVATE_NS, cert_id, {"seed": b64encode(seed), "values": values})

    def issue(
        self, user, type_id: str, form: Mapping[str, str], valid_from: str | None = None, valid_until: str | None = None
    ) -> Issued:
        """Validate, commit, sign. Invalid input raises FieldErrors and writes nothing."""
        licence = licence_type(type_id)
        with self.node.lock:
            cert_id = self._next_id(licence)
            item, seed, values = self._issued_item(licence, cert_id, form, valid_from, valid_until)
            self._refuse_live(licence, item[1], values)
            self._store_private(str(cert_id), seed, values)  # before the ledger: a crash leaves an orphan, not a hole
            appended = self.node.append(user, [item], target=str(cert_id))
        return Issued(str(cert_id), appended.leaves[0], seed, values)

    def change(self, user, kind: str, cert_id: str, reason: str, cause: str | None = None) -> Leaf:
        """Revoke, suspend or reinstate (supervisors; the node checks); a revocation
        may name the event that ended the licence (`causes.CAUSES`)."""
        if not reason.strip():
            raise DeskError("请填写原因", "a reason is required")
        cert_id = str(parse_certificate_id(cert_id))
        body = {"id": cert_id, "reason": reason.strip()}
        if cause:
            if cause not in CAUSES or kind != kinds.REVOKED:
                raise DeskError("撤销原因只能是注销登记、离婚登记或持证人死亡", f"cause is one of {', '.join(CAUSES)}")
            body["cause"] = cause
        return self.node.append(user, [(kind, body)], target=cert_id).leaves[0]

    def void_words(self, status: Status) -> tuple[str, str] | None:
        """What a void print says: the status, and the event that ended it if its record names one."""
        words = VOID_WORDS.get(status.status)
        if words is None or status.status_seq is None:
            return words
        record = self.leaf(status.status_seq).record  # the index only points; the record must say so itself
        named = record.kind == kinds.REVOKED and record.body.get("id") == status.cert_id
        cause = cause_words(record.body.get("cause")) if named else None
        return words if cause is None else (f"{words[0]}·{cause[0]}", f"{words[1]} — {cause[1]}")

    def supersede(
        self,
        user,
        cert_id: str,
        form: Mapping[str, str],
        reason: str,
        valid_from: str | None = None,
        valid_until: str | None = None,
    ) -> Issued:
        """A renewal or correction: the next version of the id, and the old one
        pointing to it, in one batch."""
        if not reason.strip():
            raise DeskError("请填写原因", "a reason is required")
        old = self.status(str(parse_certificate_id(cert_id)))
        licence = licence_type(old.type)
        with self.node.lock:
            new_id = parse_certificate_id(old.cert_id).next_version()
            item, seed, values = self._issued_item(licence, new_id, form, valid_from, valid_until)
            self._refuse_live(licence, item[1], values)
            self._store_private(str(new_id), seed, values)
            appended = self.node.append(
                user,
                [
                    item,
                    (kinds.SUPERSEDED, {"id": old.cert_id, "by": str(new_id), "reason": reason.strip()}),
                ],
                target=old.cert_id,
            )
        return Issued(str(new_id), appended.leaves[0], seed, values)

    def erase(self, user, cert_id: str) -> bool:
        """A deletion request: the seed and clear values go; the ledger keeps
        only commitments nobody can open or link any more."""
        self.node.users.require_current(user)
        self.node.users.require(user, "certificate.erase")
        gone = self.node.private().erase(PRIVATE_NS, cert_id)
        holder_index.forget(self.node.home.path, cert_id)
        self.node.audit.record(user, "certificate.erase", "ok" if gone else "absent", target=cert_id)
        return gone

    # -- printing ------------------------------------------------------------
    @cached_property
    def seal(self) -> SealIdentity:
        from citychain.documents.pades import SealIdentity

        home = self.node.home
        if not home.seal_key_path.exists():
            raise DeskError(
                "本节点还没有电子印章证书（node seal）", "this node has no document-signing certificate yet"
            )
        return SealIdentity(
            load_cert(home.seal_cert_path),
            load_sealed_key(home.seal_key_path, self.node.passphrase()),
            load_cert(home.city_ca_path),
        )

    def printed(self, cert_id: str) -> PrintedCertificate:
        return self._printed(*self._stored(cert_id))

    def _printed(self, status: Status, proof: Proof) -> PrintedCertificate:
        from .pdf_layout import PrintedCertificate, PrintedField

        licence, values, cert_id = licence_type(status.type), proof.values, status.cert_id
        agency = self.node.trust.agency(self.node.config.agency)
        return PrintedCertificate(
            title_zh=licence.name_zh,
            title_en=licence.name_en,
            cert_id=cert_id,
            agency_zh=agency.name_zh,
            agency_en=agency.name_en,
            fields=tuple(
                PrintedField(f.label_zh, f.label_en, display_value(licence, f.name, values[f.name]))
                for f in licence.fields
                if f.name in values
            ),  # money prints in yuan
            valid_from=status.valid_from,
            valid_until=status.valid_until,
            issued_at=city_time_text(proof.leaf.record.time),
            qr_text=_qr_text(status, proof, self.node.config.suite),
            void_reason=self.void_words(status),
        )

    def pdf(self, cert_id: str) -> bytes:
        """The sealed PDF with the newest proof; a certificate that is no longer
        valid is printed marked void, never as if valid."""
        from citychain.documents.pades import seal_pdf

        from .pdf_layout import render_pdf

        status, proof = self._stored(cert_id)
        when = self.node.clock.now()
        printed = self._printed(status, proof)
        page = render_pdf(printed, creation_date=when)
        reason = "电子证照 / electronic licence " + cert_id
        files = proof.files(printed.qr_text)
        tlog = (TLOG_PROOF_FILENAME, files[TLOG_PROOF_FILENAME])
        return seal_pdf(
            page, files[PROOF_FILENAME], self.seal, when, reason, attachment_name=PROOF_FILENAME, tlog_proof=tlog
        )
