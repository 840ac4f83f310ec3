"""Printing on a real CUPS queue. The tests run their own `cupsd` (in the
foreground, its configuration, spool, cache and logs in a private folder, on
a private Unix socket named by CUPS_SERVER), with PDF printers whose `file:`
devices keep what CUPS sent them. A licence and a donation receipt go through
the counter's print path (the document pane, the printer chosen in its
dialog and kept in the counter's settings); what came out of CUPS renders,
holds the Chinese text, and the QR code on the rendered page verifies VALID.
A stopped or missing printer, no print server and one that never answers are
told in both languages at once; a held job is cancelled from the counter."""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
import pytest
from counter_support import backend, build_city

from certificates.types import licence_type
from citychain.clock import SystemClock
from citychain.documents import printing
from citychain.documents.checks import DEFAULT_MAX_AGE_S, VerifierConfig
from citychain.documents.door import VerifyPlace, document_kinds, verify_document
from citychain.documents.log_report import HomeReports
from democity import spec
from democity.samples import SAMPLES

# cups-filters' PDF printer: CUPS runs its PDF filter (pdftopdf) and the file: device keeps the result
PPD = Path("/usr/share/ppd/cupsfilters/Generic-PDF_Printer-PDF.ppd")
TOOLS = ("cupsd", "lpadmin", "cupsdisable", "cupsenable", "lp", "lpstat", "cancel")
QUEUES = ("hall", "held", "jammed")
CHARITY = "charity-federation"
PRINT_DPI = 200


@dataclass(frozen=True)
class Cups:
    root: Path
    socket: str

    def output(self, queue: str) -> Path:
        return self.root / "out" / f"{queue}.pdf"

    def admin(self, *args: str) -> None:
        env = {"CUPS_SERVER": self.socket, "PATH": _path()}
        done = subprocess.run(args, capture_output=True, text=True, timeout=10, env=env, check=False)
        assert done.returncode == 0, (args, done.stderr)


def _path() -> str:
    return "/usr/sbin:/usr/bin:/sbin:/bin"


def _tool(name: str) -> str | None:
    return shutil.which(name, path=_path())


def _configure(root: Path) -> tuple[Path, Path]:
    for folder in ("spool", "cache", "state", "tmp", "log", "out"):
        (root / folder).mkdir()
    (root / "out").chmod(0o777)  # filters and the file: device run as CUPS's own user
    (root / "tmp").chmod(0o1777)
    cupsd = root / "cupsd.conf"
    cupsd.write_text(
        f"Listen {root}/cups.sock\nLogLevel warn\nBrowsing No\nWebInterface No\nDefaultAuthType None\n"
        "<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
    )
    files = root / "cups-files.conf"
    files.write_text(
        f"ServerRoot {root}\nRequestRoot {root}/spool\nCacheDir {root}/cache\nStateDir {root}/state\n"
        f"TempDir {root}/tmp\nAccessLog {root}/log/access_log\nErrorLog {root}/log/error_log\n"
        f"PageLog {root}/log/page_log\nPrintcap {root}/printcap\nServerBin /usr/lib/cups\n"
        "DataDir /usr/share/cups\nFileDevice Yes\n"
    )
    return cupsd, files


def _wait_for_scheduler(process: subprocess.Popen, socket_path: str, root: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            said = (root / "cupsd.out").read_text(errors="replace")[-400:]
            pytest.skip(f"cupsd cannot run here (exit {process.returncode}): {said}")
        try:
            printing.queues(socket_path, timeout=2)
            return
        except printing.NoPrintServer:
            time.sleep(0.05)
    pytest.fail("cupsd did not answer within 10 s")


@pytest.fixture(scope="module")
def cups():
    with running_cups() as here:
        yield here


@contextmanager
def running_cups():
    """A cupsd of our own with three queues: `hall` prints, `held` holds
    every job, `jammed` is stopped. Stopped and removed on the way out."""
    missing = [name for name in TOOLS if _tool(name) is None]
    if missing or not PPD.exists():
        pytest.skip(f"CUPS is not installed (Debian cups, cups-client, cups-filters): missing {missing or PPD}")
    root = Path(tempfile.mkdtemp(prefix="cups-", dir="/tmp"))  # short: a socket's path holds at most 107 bytes
    root.chmod(0o755)
    cupsd_conf, files_conf = _configure(root)
    log = (root / "cupsd.out").open("wb")  # cupsd -f writes its errors here, not to error_log
    process = subprocess.Popen(
        [_tool("cupsd"), "-f", "-c", str(cupsd_conf), "-s", str(files_conf)], stdout=log, stderr=log
    )
    try:
        here = Cups(root, f"{root}/cups.sock")
        _wait_for_scheduler(process, here.socket, root)
        for queue in QUEUES:
            device = f"file://{here.output(queue)}"
            here.admin("lpadmin", "-p", queue, "-E", "-v", device, "-P", str(PPD), "-o", "PageSize=A4")
        here.admin("lpadmin", "-p", "held", "-o", "job-hold-until-default=indefinite")
        here.admin("cupsdisable", "-r", "paper jam", "jammed")
        yield here
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        log.close()
        shutil.rmtree(root, ignore_errors=True)


@dataclass(frozen=True)
class Sealed:
    licence: bytes
    licence_name: str
    receipt: bytes
    receipt_name: str
    city: object


@pytest.fixture(scope="module")
def sealed(tmp_path_factory) -> Sealed:
    """A licence signed at the market-regulation counter and a donation receipt at the charity's."""
    city = build_city(tmp_path_factory.mktemp("printing") / "city")
    market = backend(city, "market-regulation")
    try:
        session = market.sign_in("clerk", spec.PASSWORDS["clerk"])
        issued = market.issue(session, "business-licence", SAMPLES["business-licence"])
        licence = market.certificate_pdf(session, issued.cert_id)
    finally:
        market.close()
    charity = backend(city, CHARITY)
    try:
        session = charity.sign_in("clerk", spec.PASSWORDS["clerk"])
        fund = charity.funds(session)[0]
        written = charity.record_donation(session, fund.id, 12_345, "bank", "王小明")
        receipt = charity.receipt_pdf(session, written.id)
    finally:
        charity.close()
    return Sealed(licence, f"{issued.cert_id}.pdf", receipt, f"{written.id}.pdf", city)


@pytest.fixture
def pane(qtbot, tmp_path, monkeypatch, cups):
    """The counter's document pane; its settings in a data folder of the test's own."""
    from ui.counter.documents import DocumentPane
    from ui.counter.widgets import Counter

    monkeypatch.setenv("CITYCHAIN_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("CUPS_SERVER", cups.socket)
    counter = Counter(backend=None, info=None)
    widget = DocumentPane(counter)
    qtbot.addWidget(widget)
    yield widget
    counter.tasks.wait(15000)


def choose(printer: str) -> None:
    from ui.counter.printer import remember_printer

    remember_printer(printer)


def so_far(cups: Cups, queue: str) -> bytes | None:
    """What the queue's device holds (its last job), None before its first."""
    path = cups.output(queue)
    return path.read_bytes() if path.exists() else None


def said(pane) -> str:
    """The banner in both languages, or nothing while it is hidden."""
    return "" if pane.banner.isHidden() else pane.banner.text() + " | " + pane.banner.toolTip()


def wait_printed(qtbot, pane, cups: Cups, queue: str) -> bytes:
    qtbot.waitUntil(lambda: "Printed" in said(pane) or pane.banner.property("tone") == "error", timeout=20000)
    assert "已打印" in said(pane) and "Printed" in said(pane), said(pane)
    return cups.output(queue).read_bytes()


def check_paper(printed: bytes, sealed_pdf: bytes, words: list[str], home: Path, name: str) -> None:
    """What CUPS printed: one A4 page that renders, with the words, and a QR
    code that verifies at the issuer's home (written to build/printed/ to look at)."""
    import main

    assert b"%PDF-" in printed[:1024] and printed != sealed_pdf  # CUPS's filters made it, not a copy
    document = pypdfium2.PdfDocument(printed)
    try:
        assert len(document) == 1
        text = document[0].get_textpage().get_text_range()
        width_mm = document[0].get_width() / 72 * 25.4
        image = document[0].render(scale=PRINT_DPI / 72).to_pil()
    finally:
        document.close()
    assert round(width_mm) == 210  # A4, as the queue was set up
    for word in words:
        assert word in text, (word, text[:300])
    png = io.BytesIO()
    image.save(png, format="PNG")
    out = Path(__file__).resolve().parent.parent / "build" / "printed"
    out.mkdir(parents=True, exist_ok=True)
    (out / name).write_bytes(png.getvalue())
    place = VerifyPlace(VerifierConfig.from_home(home), HomeReports(home, SystemClock()), DEFAULT_MAX_AGE_S)
    outcome = verify_document(png.getvalue(), place, document_kinds(main.plugins()))
    assert (outcome.code, outcome.to_json()["source"]) == ("VALID", "image"), outcome.text()


def test_a_licence_and_a_receipt_print_on_the_chosen_queue_and_the_paper_verifies(qtbot, pane, cups, sealed):
    from ui.counter.settings import CounterSettings

    pane.show_document(sealed.licence, sealed.licence_name, "licence", images=[])
    pane.print_document()  # no printer chosen yet: the dialog offers the server's queues
    dialog = pane.printer_dialog
    qtbot.waitUntil(lambda: dialog.list.count() == len(QUEUES))
    names = [dialog.list.item(row).text() for row in range(dialog.list.count())]
    assert sorted(names) == sorted(QUEUES)
    dialog.list.setCurrentRow(names.index("hall"))
    dialog.ok.click()
    assert CounterSettings.load(Path(os.environ["CITYCHAIN_DATA"])).printer == "hall"
    assert "hall" in pane.printer_button.text()
    licence = wait_printed(qtbot, pane, cups, "hall")
    words = [licence_type("business-licence").name_zh, SAMPLES["business-licence"]["company_name"]]
    check_paper(licence, sealed.licence, words, sealed.city.home("market-regulation"), "licence.png")

    pane.show_document(sealed.receipt, sealed.receipt_name, "receipt", images=[])
    pane.print_document()  # the printer kept in the settings: straight to it
    receipt = wait_printed(qtbot, pane, cups, "hall")
    check_paper(receipt, sealed.receipt, ["王小明", "壹佰贰拾叁元肆角伍分"], sealed.city.home(CHARITY), "receipt.png")


@pytest.mark.parametrize(
    "printer,server,words",
    [
        ("jammed", None, ("已停用", "is stopped", "paper jam")),
        ("no-such-printer", None, ("没有名为“no-such-printer”的打印机", 'no printer "no-such-printer"')),
        ("hall", "/tmp/no-cupsd-here/cups.sock", ("打印服务（CUPS）未运行", "is not running")),
    ],
    ids=["stopped", "missing", "no-cupsd"],
)
def test_a_stopped_or_missing_printer_or_no_print_server_is_told_at_once(
    qtbot, pane, cups, sealed, monkeypatch, printer, server, words
):
    if server:
        monkeypatch.setenv("CUPS_SERVER", server)
    choose(printer)
    before = so_far(cups, printer)
    pane.show_document(sealed.receipt, sealed.receipt_name, "receipt", images=[])
    started = time.monotonic()
    pane.print_document()
    assert time.monotonic() - started < 0.5  # the GUI thread only starts the work
    qtbot.waitUntil(lambda: pane.banner.property("tone") == "error" and bool(said(pane)), timeout=5000)
    assert time.monotonic() - started < 3
    assert all(word in said(pane) for word in words), said(pane)
    assert pane.job is None and pane.cancel_print_button.isHidden()
    assert so_far(cups, printer) == before  # nothing printed


def test_a_print_server_that_never_answers_is_a_timeout_not_a_hang(tmp_path):
    """A socket that takes connections and says nothing (a wedged cupsd)."""
    path = Path(tempfile.mkdtemp(prefix="cups-hung-", dir="/tmp")) / "cups.sock"
    mute = socket.socket(socket.AF_UNIX)
    try:
        mute.bind(str(path))
        mute.listen(8)
        started = time.monotonic()
        with pytest.raises(printing.PrintTimeout) as raised:
            printing.submit(b"%PDF-1.7\n", printing.PrintQueue("hall", str(path)), "x", timeout=1)
        assert time.monotonic() - started < 3
        assert "1 秒内没有应答" in raised.value.message_zh and "did not answer within 1 s" in raised.value.message_en
    finally:
        mute.close()
        shutil.rmtree(path.parent, ignore_errors=True)


def test_a_held_job_is_cancelled_from_the_counter_and_never_prints(qtbot, pane, cups, sealed):
    choose("held")  # this queue holds every job until it is released
    before = so_far(cups, "held")
    pane.show_document(sealed.licence, sealed.licence_name, "licence", images=[])
    pane.print_document()
    qtbot.waitUntil(lambda: pane.job is not None, timeout=10000)
    job = pane.job
    assert job.queue.name == "held" and printing.pending(job)
    assert not pane.cancel_print_button.isHidden() and job.request_id in said(pane)
    with qtbot.waitSignal(pane._follow.timeout, timeout=5000):
        pass  # the counter looks at the job: still held, so it will look again
    qtbot.waitUntil(pane._follow.isActive, timeout=10000)
    assert pane.job == job and "Printed" not in said(pane)
    cups.admin("cupsdisable", "-r", "out of paper", "held")  # as CUPS does when the device fails
    try:
        qtbot.waitUntil(lambda: "out of paper" in said(pane), timeout=10000)
        assert "已停用" in said(pane) and pane.job == job and not pane.cancel_print_button.isHidden()
        pane.cancel_print_button.click()
        qtbot.waitUntil(lambda: pane.job is None, timeout=10000)
    finally:
        cups.admin("cupsenable", "held")
    assert "已取消" in said(pane) and "cancelled" in said(pane)
    assert not printing.pending(job) and pane.cancel_print_button.isHidden()
    with pytest.raises(printing.NotCancelled):
        printing.cancel(job)  # a second time: CUPS says it is already cancelled
    assert so_far(cups, "held") == before


def test_lp_hold_then_cancel_through_the_module(cups):
    """`lp -H hold` on a queue that would print at once: the job waits until cancelled."""
    queue = printing.PrintQueue("hall", cups.socket)
    job = printing.submit(b"%PDF-1.4\n%%EOF\n", queue, "held by hand", hold=True)
    assert printing.pending(job)
    printing.cancel(job)
    assert not printing.pending(job)
    with pytest.raises(printing.PrinterMissing):
        printing.PrintQueue("-o raw")  # never an option smuggled in as a name
