"""One error type: every error a person may see is a `CityChainError` with a
stable code and a message in each language, and every door (the HTTP API,
the GUI, the command line) takes it by its code, never by its class."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from certificates.fields import FieldErrors, Problem
from citychain.accounts import users
from citychain.documents.checks import Rejected
from citychain.errors import BilingualError, CityChainError, CodedError, RequestError
from citychain.log.canonical import CanonicalError, canonical
from citychain.log.checkpoint import CheckpointError, MalformedCheckpoint
from citychain.log.encoding import EncodingError, b64decode
from citychain.log.keys import KeyFileInvalid, NoPassphrase, WrongPassphrase
from citychain.log.merkle import ProofError, RootMismatch
from citychain.log.note import MalformedNote, NoteError
from citychain.net.client import Limits
from citychain.net.desk_api import error_response
from citychain.node.home import HomeError
from citychain.node.kinds import RecordRejected
from citychain.node.ledger import LedgerUnavailable
from citychain.node.restore import SigningRefused
from citychain.pki.ca import CertificateInvalid, PkiError
from ui.backend import INVALID_FIELDS, PERMISSION_DENIED, UNAUTHENTICATED, UNAVAILABLE, BackendError
from ui.errors import as_backend_error

SAMPLES = [
    CodedError("GAP", "entries start at 3, but this node holds 2"),
    BilingualError("TOO_LONG", "二维码内容过长", "the QR text is too long"),
    RequestError("seq 须为整数", "seq must be an integer", fields=("seq",)),
    RecordRejected("BAD_AMOUNT", "金额须为正数", "the amount must be positive", "amount_fen"),
    Rejected("TAMPERED", "文件已被改动", "the file was changed"),
    HomeError("节点正在被其他进程使用", "the node home /h is in use by process 7", "HOME_IN_USE"),
    HomeError("this node was opened read-only"),
    PkiError("无效的标识", "'x y' is not a valid CityChain id"),
    CertificateInvalid("证书签名无效", "the certificate's signature does not verify under this CA"),
    WrongPassphrase(Path("/h/keys/agency.key")),
    NoPassphrase(),
    KeyFileInvalid("找不到密钥文件", "key file not found: /k"),
    LedgerUnavailable("another process changed this log; reopen the node"),
    SigningRefused("RESTORE_UNSAFE", "拒绝签名", "signing refused"),
    FieldErrors([Problem("uscc", "统一社会信用代码无效", "not a valid unified social credit code")]),
    users.UserExists("ana"),
    users.BadCredentials(),
    users.PermissionDenied("user.manage", "clerk"),
    users.UnknownAction("x.y"),
    BackendError("NOT_FOUND", "没有这个编号", "no such number"),
]


@pytest.mark.parametrize("exc", SAMPLES, ids=lambda e: type(e).__name__)
def test_every_error_is_the_one_type_with_a_code_and_both_languages(exc):
    assert isinstance(exc, CityChainError)
    assert exc.code and exc.code == exc.code.upper()
    assert exc.message_zh.strip() and exc.message_en.strip()
    assert all(zh and en for zh, en in exc.fields.values())
    json.dumps(exc.to_json(), ensure_ascii=False)  # crosses HTTP as it is


def test_the_former_shapes_keep_their_builtin_bases_and_texts():
    assert isinstance(HomeError("x"), RuntimeError) and isinstance(RecordRejected("C", "中", "en"), ValueError)
    assert isinstance(users.UnknownAction("a"), LookupError) and isinstance(users.LastAdmin(), ValueError)
    assert not isinstance(PkiError("x"), ValueError) and not isinstance(Rejected("C", "中", "en"), ValueError)
    assert str(users.LastAdmin()) == "不能停用最后一个管理员 / the last enabled admin cannot be disabled"
    assert str(HomeError("this node was opened read-only")) == "this node was opened read-only"
    assert str(LedgerUnavailable("the key directory is damaged")) == "the key directory is damaged"
    assert Rejected("TAMPERED", "改动", "changed").zh == "改动"  # verdicts read .zh / .en


def test_account_errors_carry_the_codes_the_doors_answered_with():
    assert users.BadCredentials().code == users.AccountDisabled().code == "UNAUTHENTICATED"
    assert users.PermissionDenied("a", "clerk").code == users.BootstrapClosed().code == "PERMISSION_DENIED"
    assert users.UserExists("ana").code == "BAD_REQUEST"


def _body(exc) -> tuple[int, dict]:
    answer = error_response(exc)
    return answer.status_code, json.loads(answer.body)


def test_the_http_refusal_is_one_shape_with_both_languages():
    status, body = _body(RecordRejected("BAD_AMOUNT", "金额须为正数", "the amount must be positive", "amount_fen"))
    assert status == 422
    assert body == {
        "error": "BAD_AMOUNT",
        "message": "金额须为正数 / the amount must be positive",
        "message_zh": "金额须为正数",
        "message_en": "the amount must be positive",
        "fields": {"amount_fen": ["金额须为正数", "the amount must be positive"]},
    }
    assert _body(users.PermissionDenied("a", "clerk"))[0] == 403
    assert _body(users.BadCredentials())[0] == 401
    assert _body(users.UserExists("ana"))[1]["error"] == "BAD_REQUEST" and _body(users.UserExists("ana"))[0] == 400
    status, body = _body(LedgerUnavailable("reopen the node"))
    assert (status, body["error"]) == (503, "UNAVAILABLE")
    assert body["message_zh"] == "本节点暂时不能写入账本：reopen the node"
    status, body = _body(FieldErrors([Problem("uscc", "无效", "invalid")]))
    assert (status, body["error"], body["fields"]) == (422, "INVALID_FIELDS", {"uscc": ["无效", "invalid"]})
    assert _body(RequestError("太大", "too large", 413, "TOO_LARGE"))[0] == 413
    with pytest.raises(HomeError):  # the node itself is unwell: a 500, not a refusal
        error_response(HomeError("this node was opened read-only"))


def test_the_gui_maps_by_code_and_passes_unknown_codes_through():
    mapped = as_backend_error(HomeError("节点正在被其他进程使用", "the node home is in use", "HOME_IN_USE"))
    assert (mapped.code, mapped.message_zh, mapped.message_en) == (
        UNAVAILABLE,
        "节点正在被其他进程使用",
        "the node home is in use",
    )
    assert as_backend_error(users.PermissionDenied("a", "clerk")).code == PERMISSION_DENIED
    assert as_backend_error(users.SessionEnded()).code == UNAUTHENTICATED
    unknown = as_backend_error(CityChainError("SOMETHING_NEW", "新的问题", "a new problem", {"f": ("坏", "bad")}))
    assert (unknown.code, unknown.message_en) == ("SOMETHING_NEW", "a new problem")
    assert unknown.fields == {"f": ("坏", "bad")}
    form = as_backend_error(FieldErrors([Problem("uscc", "无效", "invalid")]))
    assert form.code == INVALID_FIELDS and form.fields == {"uscc": ("无效", "invalid")}
    same = BackendError("NOT_FOUND", "没有", "none")
    assert as_backend_error(same) is same
    assert as_backend_error(KeyError("a programming error")) is None  # stays a traceback


def test_the_error_classes_of_every_layer_derive_from_the_one_type():
    from certificates.desk import DeskError
    from charity.desk import CharityError
    from charity.receipt_pdf import ReceiptError
    from charity.receipts import InvalidReceipt
    from charity.trace import TraceError
    from citychain.accounts.audit import AuditError, AuditTampered
    from citychain.log.keys import KeyProblem
    from citychain.net.client import PeerError
    from citychain.node.backup import BackupError
    from citychain.node.bundle import BundleError
    from citychain.node.guard import RollbackDetected
    from citychain.node.mirror import MirrorRejected
    from citychain.node.trust import TrustError
    from ui.kiosk.backend import KioskError

    for kind in (
        users.Bilingual,
        users.UserError,
        users.AuthError,
        RecordRejected,
        Rejected,
        HomeError,
        PkiError,
        KeyProblem,
        LedgerUnavailable,
        FieldErrors,
        TrustError,
        MirrorRejected,
        PeerError,
        DeskError,
        CharityError,
        KioskError,
        BackendError,
        BundleError,
        BackupError,
        RollbackDetected,
        AuditError,
        AuditTampered,
        InvalidReceipt,
        TraceError,
        ReceiptError,
        CheckpointError,
        NoteError,
        ProofError,
        EncodingError,
        CanonicalError,
    ):
        assert issubclass(kind, CityChainError), kind


def test_errors_once_worded_in_one_string_keep_each_language_apart(tmp_path):
    from charity.receipts import parse_receipt
    from citychain.accounts.audit import AuditError, AuditTampered
    from citychain.net.client import PeerClient
    from citychain.node.backup import BackupError, restore_backup
    from citychain.node.bundle import BundleError, TrustBundle
    from citychain.node.guard import RollbackDetected

    def caught(kind, work):
        with pytest.raises(kind) as raised:
            work()
        return raised.value

    rollback = RollbackDetected(2, 5, "entries the node signed are missing.")
    assert (rollback.code, isinstance(rollback, RuntimeError)) == ("ROLLBACK_DETECTED", True)
    assert rollback.message_zh.startswith("拒绝签名：数据库（2 条）") and "Signing refused" not in rollback.message_zh
    assert rollback.message_en.startswith("Signing refused: the database (size 2)")
    assert str(rollback) == f"{rollback.message_zh} / {rollback.message_en}"
    bundle = caught(BundleError, lambda: TrustBundle.from_bytes(b"{"))
    assert (bundle.code, bundle.message_zh, isinstance(bundle, ValueError)) == (
        "BAD_TRUST_BUNDLE",
        "信任包格式错误",
        True,
    )
    assert bundle.message_en.startswith("malformed trust bundle: ")
    (tmp_path / "old.tar").write_bytes(b"not a tar file")
    backup = caught(BackupError, lambda: restore_backup(tmp_path / "old.tar", tmp_path / "home", "admin", "pw"))
    assert (backup.code, backup.message_zh, isinstance(backup, RuntimeError)) == (
        "BAD_BACKUP",
        "备份文件无法读取",
        True,
    )
    assert backup.message_en.startswith("the backup cannot be read: ")
    slow = PeerClient("https://node.example", limits=Limits(deadline=2.0))._too_slow()
    assert (slow.code, slow.message_zh) == ("TOO_SLOW", "对等节点 https://node.example 未在 2 秒内答完")
    assert slow.message_en == "https://node.example did not finish answering within 2 s"
    audit = AuditError("审计详情过长", "audit detail is too long")
    assert (audit.code, AuditTampered(["row 3"]).code, isinstance(audit, ValueError)) == (
        "BAD_AUDIT_DETAIL",
        "AUDIT_TAMPERED",
        True,
    )
    for exc in (bundle, backup, slow, audit):
        assert " / " not in exc.message_zh + exc.message_en and str(exc) == f"{exc.message_zh} / {exc.message_en}"
    receipt = caught(ValueError, lambda: parse_receipt("D-12-?"))
    assert (receipt.code, receipt.status) == ("BAD_RECEIPT", 400) and " / " not in receipt.message_zh


def test_a_private_record_that_does_not_open_says_so_in_each_language(tmp_path):
    from citychain.log.keys import KdfCost
    from citychain.node.private import PrivateStore

    store = PrivateStore(tmp_path, "pass", KdfCost(n=2**4))
    store.put("donor", "a", {"name": "x"})
    store._conn.execute("UPDATE sealed SET key = 'b'")  # moved to another record: its sealing no longer holds
    with pytest.raises(KeyFileInvalid) as caught:
        store.get("donor", "b")
    store.close()
    assert (caught.value.code, caught.value.message_zh) == ("KEY_FILE_INVALID", "私有数据 donor/b 已损坏")
    assert str(caught.value) == "私有数据 donor/b 已损坏 / private record donor/b is damaged or was moved"


def test_protocol_errors_are_coded_value_errors_with_one_operator_text():
    for exc, code in (
        (MalformedCheckpoint("the origin line must be non-empty text"), "BAD_CHECKPOINT"),
        (MalformedNote("note is empty"), "BAD_NOTE"),
        (RootMismatch("the proof leads to another root"), "BAD_PROOF"),
        (EncodingError("not canonical base64"), "BAD_ENCODING"),
    ):
        assert isinstance(exc, CodedError) and isinstance(exc, ValueError)
        assert exc.code == code and exc.message_zh == exc.message_en == str(exc)
    with pytest.raises(EncodingError) as caught:
        b64decode("not base64!")
    assert caught.value.code == "BAD_ENCODING"
    with pytest.raises(CanonicalError) as bad:
        canonical({"a": [1.5]})
    exc = bad.value
    assert (exc.code, exc.reason, exc.path) == ("NOT_CANONICAL", "float", "/a/0")
    assert str(exc) == exc.message_en == exc.message_zh == f"float at /a/0: {exc.detail}"
    assert _body(exc)[0] == 422


def test_a_refusing_log_keeps_the_code_and_both_languages_of_its_refusal():
    from citychain.node.restore import unsafe_refusal

    behind = CityChainError("OWN_LOG_BEHIND", "拒绝签名：对等节点持有 3 条", "signing refused: a peer holds 3")
    unavailable = LedgerUnavailable(behind)
    assert unavailable.code == "UNAVAILABLE" and str(unavailable) == str(behind)
    assert unavailable.message_zh == "本节点暂时不能写入账本：拒绝签名：对等节点持有 3 条"
    assert unavailable.message_en == "this node cannot write now: signing refused: a peer holds 3"
    unsafe = unsafe_refusal(behind, "https://p: UNREACHABLE")
    assert unsafe.code == "RESTORE_UNSAFE"
    assert unsafe.message_zh == "拒绝签名：对等节点持有 3 条；未能从对等节点取回（https://p: UNREACHABLE）"
    assert (
        unsafe.message_en
        == "signing refused: a peer holds 3; it could not be taken back from the peers (https://p: UNREACHABLE)"
    )
    english = unsafe_refusal(CityChainError("LOG_CHANGED", "reopen the node"), "e")
    assert english.message_en == "reopen the node; it could not be taken back from the peers (e)"


def test_a_plug_in_error_carries_its_own_http_status():
    from charity.desk import CharityError
    from charity.receipt_pdf import ReceiptError
    from charity.receipts import InvalidReceipt
    from citychain.documents.money import AmountError

    assert _body(CharityError("UNKNOWN_FUND", "没有这个基金", "no such fund"))[0] == 404
    assert _body(CharityError("SELF_APPROVAL", "不能批准自己的申请", "not your own request")) == (
        422,
        {
            "error": "SELF_APPROVAL",
            "message": "不能批准自己的申请 / not your own request",
            "message_zh": "不能批准自己的申请",
            "message_en": "not your own request",
            "fields": {},
        },
    )
    assert _body(ReceiptError("UNKNOWN_RECEIPT", "没有收据", "no receipt"))[0] == 404
    assert _body(ReceiptError("NO_SEAL", "没有印章", "no seal"))[0] == 422
    assert _body(InvalidReceipt("收据编号格式错误", "not a receipt code")) == (
        400,
        {
            "error": "BAD_RECEIPT",
            "message": "收据编号格式错误 / not a receipt code",
            "message_zh": "收据编号格式错误",
            "message_en": "not a receipt code",
            "fields": {},
        },
    )
    assert _body(AmountError("金额须为正数", "the amount must be positive"))[0] == 422
    assert _body(BilingualError("TOO_LONG", "过长", "too long"))[0] == 400  # a kind's status otherwise


def test_no_code_splits_a_message_on_its_language_separator():
    root = Path(__file__).resolve().parents[1]
    for folder in ("citychain", "charity", "certificates", "ui"):
        for source in (root / folder).rglob("*.py"):
            text = source.read_text(encoding="utf-8")
            assert 'split(" / ")' not in text and 'partition(" / ")' not in text, source
