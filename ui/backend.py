"""What the counter app needs from an agency node: one interface, two doors.

`LocalBackend` (ui/local_backend.py) runs the node in this process;
`RemoteBackend` (ui/remote_backend.py) talks to a shared node over HTTPS. The
counter and the kiosk see only these Protocols (`Backend`, and `PublicDoor`,
the public reads a kiosk asks for), so the two must agree on every argument
and result. Everything here is plain data — strings, integers, booleans, None,
tuples, dicts and frozen dataclasses of those — so it crosses JSON with
`to_json` / `from_json` unchanged; PDFs are `bytes` (raw `application/pdf`
over HTTP). No Qt here: the GUI runs these calls through `ui.tasks`.

Every failure a person can act on is a `BackendError` (a bilingual sentence
with a stable code; for a form, the problem per field). Permissions are the
node's: `Session.actions` only tells the GUI what to show; the node refuses
whatever the role may not do, whichever door the request came by.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Protocol, runtime_checkable

from citychain.errors import BilingualError

# -- errors ------------------------------------------------------------------
# Stable codes the GUI reacts to (anything else is shown as its sentence).
UNAUTHENTICATED = "UNAUTHENTICATED"  # wrong password, locked, session expired: back to sign-in
PERMISSION_DENIED = "PERMISSION_DENIED"
INVALID_FIELDS = "INVALID_FIELDS"  # `fields` says which, the form keeps its input and marks them
NOT_FOUND = "NOT_FOUND"
UNAVAILABLE = "UNAVAILABLE"  # the node cannot be reached (remote) or cannot write (forked / read-only)
NO_CHARITY = "NO_CHARITY"  # the node has no charity data (or serves no charity routes)


class BackendError(BilingualError):
    """`code`, `message_zh`, `message_en`; `fields` maps a form field to its (zh, en) problem.
    Crosses HTTP as `CityChainError.to_json`, read back by `from_json`."""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BackendError:
        fields = {name: (pair[0], pair[1]) for name, pair in (data.get("fields") or {}).items()}
        return cls(
            str(data.get("error", "ERROR")), str(data.get("message_zh", "")), str(data.get("message_en", "")), fields
        )


def no_charity() -> BackendError:
    return BackendError(NO_CHARITY, "本机连接的节点没有慈善数据", "the node this kiosk uses holds no charity data")


# -- the node and who is signed in -------------------------------------------------
@dataclass(frozen=True)
class NodeInfo:
    """Shown before sign-in; decides which desks the counter has."""

    city: str
    agency: str
    name_zh: str
    name_en: str
    licence_types: tuple[str, ...]  # certificate type ids this agency may issue (certificates.types)
    charity: bool  # the node of a charity organisation: the charity desk
    acknowledges: bool  # a beneficiary agency: acknowledges charity disbursements
    location: str  # the home folder, or the node's URL
    remote: bool = False
    agencies: tuple[tuple[str, str, str], ...] = ()  # (id, name_zh, name_en) of every agency in the trust log
    beneficiaries: tuple[str, ...] = ()  # agencies that may acknowledge charity disbursements


@dataclass(frozen=True)
class Session:
    """A signed-in person. `token` is opaque (a bearer token for a remote node)."""

    user: str
    display_name: str
    role: str  # clerk | supervisor | auditor | admin
    actions: tuple[str, ...]  # every action this role may do on this node, sorted
    token: str = field(default="", repr=False)

    def may(self, action: str) -> bool:
        return action in self.actions


# -- certificates -------------------------------------------------------------------
@dataclass(frozen=True)
class IssuedCertificate:
    cert_id: str
    type: str
    seq: int
    valid_from: str
    valid_until: str | None


SORT_COLUMNS = ("seq", "id", "type", "valid_from", "valid_until", "status")
STATUSES = ("valid", "suspended", "revoked", "superseded")


@dataclass(frozen=True)
class RecordQuery:
    """A search over this agency's certificates. `text` is a certificate id (or
    its start), or a holder's full name or ID number — personal data is
    matched exactly, through keyed hashes, never by scanning clear values."""

    text: str = ""
    type: str = ""  # a licence type id, or all
    status: str = ""  # one of STATUSES, or all
    date_from: str = ""  # YYYY-MM-DD, on the first day of validity
    date_to: str = ""
    sort: str = "seq"  # one of SORT_COLUMNS
    descending: bool = True


@dataclass(frozen=True)
class RecordRow:
    cert_id: str
    type: str
    seq: int
    valid_from: str
    valid_until: str | None
    status: str
    holder: str  # masked (张**), or "" when erased


@dataclass(frozen=True)
class RecordPage:
    rows: tuple[RecordRow, ...]
    offset: int
    total: int  # rows matching the whole query


@dataclass(frozen=True)
class HistoryEntry:
    seq: int
    kind: str  # certificate.issued | .revoked | .suspended | .reinstated | .superseded
    time: str  # the record's time, UTC ISO 8601
    user: str  # who appended it ("" when this node has no audit row)
    role: str
    reason: str
    other: str = ""  # superseded: the successor; issued by supersession: the predecessor


@dataclass(frozen=True)
class CertificateDetail:
    cert_id: str
    type: str
    status: str
    superseded_by: str | None
    valid_from: str
    valid_until: str | None
    issued_at: str
    fields: tuple[tuple[str, str], ...]  # (field name, value as shown: personal data masked)
    erased: bool  # the personal data was erased on request: no reprint
    leaf: dict[str, Any]  # {"record": …, "kid": …, "sig": …}: the ledger entry as signed
    leaf_hash: str
    log_size: int
    inclusion: tuple[str, ...]  # base64 hashes, leaf `seq` in a tree of `log_size`
    checkpoint: str  # the signed note, with co-signatures
    cosigners: tuple[str, ...]  # witness agencies that co-signed the checkpoint
    history: tuple[HistoryEntry, ...]


# -- charity --------------------------------------------------------------------------
@dataclass(frozen=True)
class Fund:
    id: str
    name_zh: str
    name_en: str
    target_fen: int | None
    donations: int
    raised_fen: int
    refunded_fen: int
    allocated_fen: int
    unallocated_fen: int
    pending_fen: int
    disbursed_fen: int
    acknowledged_fen: int
    spent_fen: int
    held_fen: int


@dataclass(frozen=True)
class Project:
    id: str
    fund: str
    name_zh: str
    name_en: str
    budget_fen: int
    allocated_fen: int
    pending_fen: int
    disbursed_fen: int
    acknowledged_fen: int
    spent_fen: int
    held_fen: int


@dataclass(frozen=True)
class Donation:
    receipt: str
    seq: int
    time: str
    fund: str
    amount_fen: int
    channel: str  # cash | bank | online
    anonymous: bool
    refunded_fen: int
    reversed_by: str | None
    donor: str | None = None  # masked (张**), 匿名 for anonymous gifts, None if not held here


@dataclass(frozen=True)
class Disbursement:
    """A disbursement request in a charity's log, as this node holds it."""

    charity: str
    id: str
    project: str
    amount_fen: int
    beneficiary_agency: str
    purpose: str
    requested_by: str
    status: str  # pending | approved | cancelled
    decided_by: str | None
    seq: int
    acknowledged: bool = False


@dataclass(frozen=True)
class Trace:
    receipt: str
    amount_fen: int
    breakdown: tuple[tuple[str, int], ...]  # (state, fen) — charity.trace.STATES first
    data: dict[str, Any]  # charity.trace_json.trace_report(): the nested trace and its `steps` with proofs


@dataclass(frozen=True)
class DisclosureRow:
    """One project after `charity disclose`: its state and the reports it owes."""

    project: str
    name_zh: str
    name_en: str
    state: str  # late | due | on_time | unscheduled (charity.schedule)
    owed: tuple[tuple[str, str, str], ...]  # (period, due date, due | late)
    files: tuple[str, ...]  # written into the chosen folder


@dataclass(frozen=True)
class Written:
    """A record appended for the person at the counter."""

    id: str  # receipt, request, fund, project or allocation id
    seq: int
    leaf_hash: str


# -- the node panel ---------------------------------------------------------------------
@dataclass(frozen=True)
class PeerStatus:
    url: str
    last_contact: str | None
    seconds_since_contact: float | None
    error: str
    error_code: str
    failures: int
    lag_entries: dict[str, int]
    lag_seconds: dict[str, float]


@dataclass(frozen=True)
class LogStatus:
    agency: str
    size: int
    status: str  # ok | forked | invalid
    detail: str


@dataclass(frozen=True)
class NodeStatus:
    agency: str
    own_size: int
    checkpoint: str | None
    checkpoint_time: str | None  # when the newest co-signature was made, if any
    cosigners: tuple[str, ...]
    quorum: int
    signing: bool  # False: the node refuses to append (refusal says why)
    refusal: str | None
    peers: tuple[PeerStatus, ...]
    logs: tuple[LogStatus, ...]
    forks: tuple[dict[str, str], ...]  # {"agency", "detected", "source"}

    @classmethod
    def from_status(cls, status: dict[str, Any]) -> NodeStatus:
        """From what the node serves at /v1/status (citychain.net.status)."""
        own = status["own_log"]
        peers = tuple(PeerStatus(**{f.name: peer[f.name] for f in fields(PeerStatus)}) for peer in status["peers"])
        return cls(
            status["agency"],
            own["size"],
            own["checkpoint"],
            own["cosigned_at"],
            tuple(name.rsplit("/", 1)[-1] for name in own["cosigners"]),
            own["quorum"],
            own["signing"],
            own["refusal"],
            peers,
            tuple(LogStatus(log["agency"], log["size"], log["status"], log["detail"]) for log in status["logs"]),
            tuple(status["forks"]),
        )

    @property
    def alerts(self) -> tuple[LogStatus, ...]:
        """Logs that are forked or broke the rules: shown so nobody can miss them."""
        return tuple(log for log in self.logs if log.status != "ok")


@dataclass(frozen=True)
class SyncReport:
    lines: tuple[str, ...]


# -- the interfaces ---------------------------------------------------------------------
@runtime_checkable
class PublicDoor(Protocol):
    """What anyone may ask a node without signing in: what a kiosk needs beside
    its own verifier (whose trust root is the kiosk's, never the node's)."""

    def certificate_leaf(self, agency: str, cert_id: str) -> bytes | None:
        """The signed ledger entry that issued `cert_id` in `agency`'s log, None if the node has none."""

    def trace_timeline(self, receipt: str) -> dict[str, Any]:
        """charity.trace_json.trace_report with each step's `time` and the
        charity's `project_names` (trace_json.timeline); NO_CHARITY without charity data."""

    def public_funds(self) -> tuple[dict[str, Any], ...]:
        """charity.trace_json.funds_report: every fund the node holds, with its projects."""

    def close(self) -> None: ...


@runtime_checkable
class Backend(PublicDoor, Protocol):
    """Everything the counter app asks of a node. Calls may block (disk, network,
    signing): the GUI makes them through ui.tasks, never on its own thread."""

    def info(self) -> NodeInfo: ...

    def sign_in(self, user: str, password: str) -> Session: ...

    def sign_out(self, session: Session) -> None: ...

    # certificates
    def issue(
        self,
        session: Session,
        type_id: str,
        form: Mapping[str, str],
        valid_from: str | None = None,
        valid_until: str | None = None,
    ) -> IssuedCertificate: ...

    def certificate_pdf(self, session: Session, cert_id: str) -> bytes: ...

    def find_certificates(
        self, session: Session, query: RecordQuery, offset: int = 0, limit: int = 200
    ) -> RecordPage: ...

    def certificate(self, session: Session, cert_id: str) -> CertificateDetail: ...

    def certificate_values(self, session: Session, cert_id: str) -> dict[str, str]:
        """The clear field values, to start a supersession from (log.read_private)."""

    def change_status(self, session: Session, cert_id: str, change: str, reason: str) -> CertificateDetail:
        """`change` is revoke | suspend | reinstate."""

    def supersede(
        self,
        session: Session,
        cert_id: str,
        form: Mapping[str, str],
        reason: str,
        valid_from: str | None = None,
        valid_until: str | None = None,
    ) -> IssuedCertificate: ...

    # charity (the charity organisation's node)
    def funds(self, session: Session) -> tuple[Fund, ...]: ...

    def projects(self, session: Session, fund_id: str | None = None) -> tuple[Project, ...]: ...

    def donations(self, session: Session, limit: int = 200) -> tuple[Donation, ...]:
        """The newest donations first."""

    def disbursements(self, session: Session, status: str = "") -> tuple[Disbursement, ...]: ...

    def create_fund(
        self, session: Session, fund_id: str, name_zh: str, name_en: str, target_fen: int | None = None
    ) -> Written: ...

    def create_project(
        self, session: Session, project_id: str, fund_id: str, name_zh: str, name_en: str, budget_fen: int
    ) -> Written: ...

    def record_donation(
        self,
        session: Session,
        fund_id: str,
        amount_fen: int,
        channel: str,
        donor_name: str,
        donor_id_number: str | None = None,
        anonymous: bool = False,
    ) -> Written: ...

    def receipt_pdf(self, session: Session, receipt: str) -> bytes: ...

    def allocate(self, session: Session, fund_id: str, project_id: str, amount_fen: int) -> Written: ...

    def request_disbursement(
        self,
        session: Session,
        project_id: str,
        amount_fen: int,
        beneficiary_name: str,
        beneficiary_id_number: str,
        beneficiary_agency: str,
        purpose: str,
    ) -> Written: ...

    def approve(self, session: Session, request_id: str) -> Written: ...

    def cancel(self, session: Session, request_id: str, reason: str) -> Written: ...

    def trace(self, receipt: str) -> Trace:
        """Public: anyone may trace a donation by its receipt code."""

    def disclose(self, session: Session, quarter: str, out: str, record: bool = False) -> tuple[DisclosureRow, ...]:
        """`charity disclose`: each project's reports for `quarter` (2026Q4) into the
        folder `out` on this machine; `record` also signs the disclosure records."""

    # beneficiary agency (e.g. civil affairs)
    def to_acknowledge(self, session: Session) -> tuple[Disbursement, ...]:
        """Approved disbursements to this agency, acknowledged or not, newest first."""

    def acknowledge(self, session: Session, charity: str, request_id: str) -> Written: ...

    # the node panel
    def node_status(self) -> NodeStatus:
        """Public, as the node's /v1/status."""

    def sync_now(self, session: Session) -> SyncReport: ...

    def close(self) -> None: ...


from .backend_json import from_json, to_json  # noqa: E402 — plain helpers, re-exported for both backends


def __getattr__(name: str) -> Any:
    if name == "LocalBackend":  # imported late: it pulls in the node and its plug-ins
        from .local_backend import LocalBackend

        return LocalBackend
    raise AttributeError(name)


__all__ = [
    "Backend",
    "BackendError",
    "CertificateDetail",
    "NO_CHARITY",
    "PublicDoor",
    "no_charity",
    "Disbursement",
    "Donation",
    "Fund",
    "HistoryEntry",
    "IssuedCertificate",
    "LogStatus",
    "NodeInfo",
    "NodeStatus",
    "PeerStatus",
    "Project",
    "RecordPage",
    "RecordQuery",
    "RecordRow",
    "SORT_COLUMNS",
    "STATUSES",
    "Session",
    "SyncReport",
    "Trace",
    "Written",
    "from_json",
    "to_json",
]
