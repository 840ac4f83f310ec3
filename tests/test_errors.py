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
from citychain.log.keys import KeyFileInvalid, NoPassphrase, WrongPassphrase
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
    from citychain.log.keys import KeyProblem
    from citychain.net.client import PeerError
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
    ):
        assert issubclass(kind, CityChainError), kind
