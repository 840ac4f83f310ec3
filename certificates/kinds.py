"""Certificate record kinds and their rules, plugged into the ledger node.

A certificate is issued once and then changes status only by later records of
the same agency: revoked (for good), suspended and reinstated, or superseded
by a newer certificate (a renewal or correction). Every node checks these
rules on append and again on sync, from a small index table it keeps beside
the log, so a status never depends on trusting the issuer's node.
"""

from __future__ import annotations

import re
import sqlite3

from citychain.log.records import Record
from citychain.node.kinds import Context, KindSpec, Plugin, RecordRejected

from . import registry
from .causes import CAUSES
from .identifiers import InvalidCertificateId, parse_certificate_id
from .types import BY_ID

ISSUED = "certificate.issued"
REVOKED = "certificate.revoked"
SUSPENDED = "certificate.suspended"
REINSTATED = "certificate.reinstated"
SUPERSEDED = "certificate.superseded"

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_HEX64_RE = re.compile(r"[0-9a-f]{64}\Z")

SCHEMA = """
CREATE TABLE IF NOT EXISTS certificates (
    id TEXT PRIMARY KEY,
    log INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_until TEXT,
    status TEXT NOT NULL,
    status_seq INTEGER NOT NULL,
    superseded_by TEXT
);
-- The counter's records table sorts by the dates too: an index walk instead of sorting 100,000 rows. Not led
-- by `log`, or SQLite would use it to find a log's rows for every other query instead of scanning the table.
-- Each index entry ends with the rowid, the tie-break of those sorts (within a log, rowid order is log order).
CREATE INDEX IF NOT EXISTS certificates_valid_from ON certificates (valid_from);
CREATE INDEX IF NOT EXISTS certificates_valid_until ON certificates (valid_until);
"""


def _reject(code: str, zh: str, en: str, field: str | None = None) -> RecordRejected:
    return RecordRejected(code, zh, en, field)


def _text(body: dict, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise _reject("MALFORMED", f"缺少 {name}", f"{name} is required", name)
    return value


def _row(ctx: Context, cert_id: str):
    return ctx.conn.execute("SELECT log, type, status FROM certificates WHERE id = ?", (cert_id,)).fetchone()


def _issued_permission(record: Record) -> str:
    return f"certificate:{record.body.get('type', '')}"


def _check_issued(record: Record, ctx: Context) -> None:
    body = record.body
    type_id = _text(body, "type")
    licence = BY_ID.get(type_id)
    if licence is None:
        raise _reject("UNKNOWN_TYPE", f"未知的证照类型 {type_id}", f"unknown licence type {type_id!r}", "type")
    try:
        cert_id = parse_certificate_id(_text(body, "id"))
    except InvalidCertificateId as exc:
        raise _reject("BAD_ID", exc.message_zh, exc.message_en, "id") from None
    if str(cert_id) != body["id"] or cert_id.type_code != licence.code:
        raise _reject("BAD_ID", "证照标识与类型不符", "the certificate id does not match its type", "id")
    issuer = ctx.trust.agencies.get(record.log) if ctx.trust else None
    if issuer is None or issuer.attribute("uscc") != cert_id.issuer_uscc:
        raise _reject(
            "BAD_ID",
            "证照标识中的发证机构代码不是本机构的",
            "the issuer code in the certificate id is not this agency's",
            "id",
        )
    valid_from, valid_until = body.get("valid_from"), body.get("valid_until")
    if not isinstance(valid_from, str) or not _DATE_RE.match(valid_from):
        raise _reject("BAD_DATE", "有效期起始日期格式错误", "valid_from must be YYYY-MM-DD", "valid_from")
    if valid_until is not None and (
        not isinstance(valid_until, str) or not _DATE_RE.match(valid_until) or valid_until <= valid_from
    ):
        raise _reject(
            "BAD_DATE", "有效期截止日期必须晚于起始日期", "valid_until must be a later YYYY-MM-DD", "valid_until"
        )
    commitments = body.get("commitments")
    if not isinstance(commitments, dict) or any(
        not isinstance(v, str) or not _HEX64_RE.match(v) for v in commitments.values()
    ):
        raise _reject(
            "MALFORMED", "字段承诺格式错误", "commitments must map field names to 64 hex digits", "commitments"
        )
    unknown = set(commitments) - {f.name for f in licence.fields}
    if unknown:
        raise _reject(
            "MALFORMED", "承诺中有未知栏目", f"commitments name unknown fields: {sorted(unknown)}", "commitments"
        )
    if _row(ctx, body["id"]) is not None:
        raise _reject("DUPLICATE", "证照标识已被使用", f"certificate {body['id']} was already issued", "id")
    registry.check_public(record, ctx)


def _apply_issued(record: Record, ctx: Context) -> None:
    body = record.body
    ctx.conn.execute(
        "INSERT INTO certificates (id, log, seq, type, valid_from, valid_until, status, status_seq) "
        "VALUES (?, ?, ?, ?, ?, ?, 'valid', ?)",
        (body["id"], ctx.log_id, record.seq, body["type"], body["valid_from"], body.get("valid_until"), record.seq),
    )
    registry.apply_public(record, ctx)


# Which statuses each change may start from.
TRANSITIONS = {
    REVOKED: (("valid", "suspended"), "revoked"),
    SUSPENDED: (("valid",), "suspended"),
    REINSTATED: (("suspended",), "valid"),
    SUPERSEDED: (("valid", "suspended"), "superseded"),
}


def _status_permission(record: Record) -> str:
    """Changing a certificate's status needs the same permission as issuing its type;
    the type comes from the id, so the check needs no lookup."""
    try:
        code = parse_certificate_id(str(record.body.get("id", ""))).type_code
    except InvalidCertificateId:
        return "certificate:?"
    return next((f"certificate:{t.id}" for t in BY_ID.values() if t.code == code), "certificate:?")


def _check_status(record: Record, ctx: Context) -> None:
    cert_id = _text(record.body, "id")
    _text(record.body, "reason")
    row = _row(ctx, cert_id)
    if row is None or row[0] != ctx.log_id:
        raise _reject(
            "UNKNOWN_CERTIFICATE", "本机构日志中没有这张证照", f"certificate {cert_id} was not issued in this log", "id"
        )
    cause = record.body.get("cause")
    if cause is not None and (record.kind != REVOKED or cause not in CAUSES):
        raise _reject(
            "MALFORMED",
            "撤销原因须为注销登记、离婚登记或持证人死亡之一",
            f"cause is one of {', '.join(CAUSES)}, on a revocation only",
            "cause",
        )
    allowed, _ = TRANSITIONS[record.kind]
    if row[2] not in allowed:
        raise _reject(
            "BAD_STATE",
            f"证照当前状态为 {row[2]}，不能执行此操作",
            f"the certificate is {row[2]}; {record.kind} is not possible",
            "id",
        )
    if record.kind == SUPERSEDED:
        successor = _row(ctx, _text(record.body, "by"))
        if successor is None or successor[0] != ctx.log_id or successor[1] != row[1]:
            raise _reject(
                "BAD_SUCCESSOR",
                "替代证照须为本机构已签发的同类证照",
                "the successor must be a certificate of the same type issued in this log",
                "by",
            )


def _apply_status(record: Record, ctx: Context) -> None:
    _, status = TRANSITIONS[record.kind]
    ctx.conn.execute(
        "UPDATE certificates SET status = ?, status_seq = ?, superseded_by = ? WHERE id = ?",
        (status, record.seq, record.body.get("by"), record.body["id"]),
    )


def _schema(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA + registry.SCHEMA)


PLUGIN = Plugin(
    name="certificates",
    kinds=(
        KindSpec(ISSUED, "certificate.issue", _issued_permission, _check_issued, _apply_issued),
        *(
            KindSpec(kind, action, _status_permission, _check_status, _apply_status)
            for kind, action in (
                (REVOKED, "certificate.revoke"),
                (SUSPENDED, "certificate.suspend"),
                (REINSTATED, "certificate.reinstate"),
                (SUPERSEDED, "certificate.supersede"),
            )
        ),
    ),
    actions=(
        ("certificate.issue", frozenset({"clerk", "supervisor"}), "签发证照", "issue certificates"),
        ("certificate.revoke", frozenset({"supervisor"}), "撤销证照", "revoke certificates"),
        ("certificate.suspend", frozenset({"supervisor"}), "暂停证照", "suspend certificates"),
        ("certificate.reinstate", frozenset({"supervisor"}), "恢复证照", "reinstate certificates"),
        ("certificate.supersede", frozenset({"supervisor"}), "替换证照", "supersede certificates"),
        ("certificate.erase", frozenset({"supervisor"}), "按申请删除个人数据", "erase personal data on request"),
    ),
    schema=_schema,
    routes=lambda service: _routes(service),
    documents=lambda: _documents(),
)


def _documents() -> tuple:
    """Certificates, for the one verifier door (`citychain.documents.door`)."""
    from .verify import CERTIFICATES

    return (CERTIFICATES,)


def _routes(service):
    """The public status route, then the counters' desk (Starlette only where a node serves HTTP)."""
    from . import desk_routes, status

    return [status.STATUS.http_route(service), *desk_routes.routes(service)]
