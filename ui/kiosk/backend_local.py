"""The kiosk's door to a node home on this machine: its trust log is the trust
root, its copy of every agency's log answers for status, and its charity
index answers traces — read only, on a connection of our own (the node may be
running and writing at the same time)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from certificates.payload import qr_payload
from certificates.verify import HomeStatus, Verdict, Verifier, VerifierConfig
from citychain.clock import Clock, SystemClock
from citychain.log import merkle
from citychain.log.records import parse_leaf
from citychain.node.home import Home

from .backend import (
    KioskBackend,
    KioskError,
    Trace,
    certificate_id,
    no_charity,
    receipt_of,
)


def read_only(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db, timeout=10)
    conn.execute("PRAGMA query_only = ON")
    return conn


class LocalBackend(KioskBackend):
    def __init__(self, home: Path, clock: Clock | None = None, max_age_s: int = 3600) -> None:
        self.home = Home(Path(home))
        self.clock = clock or SystemClock()
        self.max_age_s = max_age_s
        self._trust_size = -1
        self._root = self.home.config().root_agency
        self.verifier = self._new_verifier()

    def _new_verifier(self) -> Verifier:
        config = VerifierConfig.from_home(self.home.path)
        self._trust_size = config.trust.size
        return Verifier(config, HomeStatus(self.home.path, self.clock), self.clock, self.max_age_s)

    def refresh_trust(self) -> None:
        """A kiosk runs for weeks: take up key revocations as the trust log grows."""
        with closing(read_only(self.home.db_path)) as conn:
            row = conn.execute("SELECT size FROM logs WHERE agency = ?", (self._root,)).fetchone()
        if row is not None and row[0] != self._trust_size:
            self.verifier = self._new_verifier()

    def verify_qr(self, text: str) -> Verdict:
        self.refresh_trust()
        return super().verify_qr(text)

    def open_file(self, kind: str, data: bytes):
        self.refresh_trust()
        return super().open_file(kind, data)

    def receipt_verifier(self):
        from charity.verify import HomeReceiptStatus, ReceiptVerifier

        return ReceiptVerifier(self.verifier.config, HomeReceiptStatus(self.home.path, self.clock), self.clock,
                               self.max_age_s)

    def lookup_id(self, text: str) -> Verdict:
        cert_id = certificate_id(text)
        self.agency_of(cert_id)  # a number from an agency we do not trust is refused before any lookup
        self.refresh_trust()
        with closing(read_only(self.home.db_path)) as conn:
            try:
                row = conn.execute(
                    "SELECT e.leaf FROM certificates c JOIN entries e ON e.log = c.log AND e.seq = c.seq "
                    "WHERE c.id = ?",
                    (cert_id,),
                ).fetchone()
            except sqlite3.OperationalError:
                row = None
        if row is None:
            raise KioskError("NOT_FOUND", "本机所用的账本中没有这个编号的证照，请核对编号",
                             "the ledgers this kiosk holds have no certificate with this number; check the number")
        return self.id_verdict(qr_payload(parse_leaf(row[0]), b"", {}, ()))

    # -- charity -------------------------------------------------------------------
    def _view(self, conn: sqlite3.Connection):
        from charity.trace_json import ProofView

        config = self.verifier.config
        return ProofView(conn, config.trust, config.city, config.witness_quorum, int(self.clock.now().timestamp()))

    def trace(self, receipt: str) -> Trace:
        from charity.trace import TraceError
        from charity.trace_json import trace_report

        code = receipt_of(receipt)
        with closing(read_only(self.home.db_path)) as conn:
            try:
                report = trace_report(self._view(conn), code)
            except TraceError as exc:
                raise KioskError(exc.code, exc.message_zh, exc.message_en) from None
            except sqlite3.OperationalError:
                raise no_charity() from None
            for step in report.get("steps", ()):
                step.setdefault("time", _record_time(conn, step))
            report["project_names"] = {pid: [zh, en] for pid, zh, en in conn.execute(
                "SELECT p.id, p.name_zh, p.name_en FROM charity_projects p JOIN logs l ON l.id = p.log "
                "WHERE l.agency = ?", (report.get("charity"),))}
        return Trace(report)

    def funds(self) -> list[dict[str, Any]]:
        from charity import trace as tracing
        from charity.trace_json import fund_json

        with closing(read_only(self.home.db_path)) as conn:
            try:
                charities = [r[0] for r in conn.execute(
                    "SELECT DISTINCT l.agency FROM charity_funds f JOIN logs l ON l.id = f.log ORDER BY l.agency")]
                return [fund_json(t, tracing.projects(conn, agency, t.id))
                        for agency in charities for t in tracing.funds(conn, agency)]
            except sqlite3.OperationalError:
                raise no_charity() from None

    def where(self) -> tuple[str, str]:
        agency = self.home.config().agency
        return f"信任根与状态：本机节点 {agency}", f"trust and status: this machine's node {agency}"


def _record_time(conn: sqlite3.Connection, step: dict[str, Any]) -> str | None:
    """The time the record claims, for the timeline — only if it is the leaf the proof names."""
    row = conn.execute(
        "SELECT e.leaf FROM entries e JOIN logs l ON l.id = e.log WHERE l.agency = ? AND e.seq = ?",
        (step.get("log"), step.get("seq")),
    ).fetchone()
    if row is None:
        return None
    expected = (step.get("proof") or {}).get("leaf_hash")
    if expected and merkle.leaf_hash(row[0]).hex() != expected:
        return None
    return parse_leaf(row[0]).record.time
