"""Sending a sealed PDF to a CUPS print queue: the very bytes that were sealed.

The file goes to the queue as it is (`document-format=application/pdf`);
CUPS's own PDF filter chain renders it for the printer, so what comes out is
the sealed document, not a picture of it redrawn by the app.

We drive the CUPS client commands (`lpstat`, `lp`, `cancel`, Debian
`cups-client`) rather than pycups: pycups is a C extension that needs the
libcups headers to build, and its calls block inside libcups with no timeout
of ours, so a print server that accepts a connection and never answers would
hang the caller's thread. A child process can always be killed: each
command here is killed after `timeout` seconds (`PrintTimeout`). They run
with `LC_ALL=C`, the one language their answers are read in; the server is
the client's own choice (`CUPS_SERVER`, `client.conf`) unless a
`PrintQueue` names one.

Nothing here knows what the document is: licences and receipts alike.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass

from citychain.errors import MessageError

TIMEOUT_S = 10.0
_NAME = re.compile(r"[^\s/#\\'\"-][^\s/#\\'\"]{0,126}")  # what CUPS accepts as a queue name, never an option
_REQUEST = re.compile(r"request id is (\S+)-(\d+)")


class PrintError(MessageError):
    """Printing failed; the message says why, in Chinese and English."""

    code = "PRINT_FAILED"


class NoPrintServer(PrintError):
    code = "PRINT_SERVER_DOWN"


class PrinterMissing(PrintError):
    code = "PRINTER_MISSING"


class PrinterStopped(PrintError):
    code = "PRINTER_STOPPED"


class PrintTimeout(PrintError):
    code = "PRINT_TIMEOUT"


class NotCancelled(PrintError):
    code = "PRINT_NOT_CANCELLED"


@dataclass(frozen=True)
class PrintQueue:
    """A CUPS queue by name; `server` (a host[:port] or a socket path) only
    when it is not the one the CUPS client is set up for."""

    name: str
    server: str | None = None

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise PrinterMissing(f"打印机名称无效：{self.name!r}", f"not a printer name: {self.name!r}")


@dataclass(frozen=True)
class PrintJob:
    """A job CUPS accepted: kept so that it can be cancelled or followed."""

    queue: PrintQueue
    job_id: int

    @property
    def request_id(self) -> str:
        return f"{self.queue.name}-{self.job_id}"


def queues(server: str | None = None, timeout: float = TIMEOUT_S) -> list[str]:
    """The names of the queues the print server offers (none is fine)."""
    result = _run(["lpstat", "-r", "-e"], server, timeout)
    _require_scheduler(result.stdout)
    return [line.strip() for line in result.stdout.splitlines()[1:] if line.strip()]


def check_queue(queue: PrintQueue, timeout: float = TIMEOUT_S) -> None:
    """Raise unless the server runs and the queue exists, is enabled and
    accepts jobs: a job sent to a stopped printer would wait there unseen."""
    _check(queue, _run(["lpstat", "-r", "-p", queue.name, "-a", queue.name], queue.server, timeout))


def _check(queue: PrintQueue, result: subprocess.CompletedProcess, accepting: bool = True) -> None:
    """What `lpstat -r -p QUEUE [-a QUEUE]` said, as the error it amounts to."""
    _require_scheduler(result.stdout)
    if result.returncode != 0:
        raise PrinterMissing(
            f"没有名为“{queue.name}”的打印机，请在设置中另选打印机。",
            f'There is no printer "{queue.name}"; choose another printer in the settings.',
        )
    lines = result.stdout.splitlines()
    for index, line in enumerate(lines):
        stopped = line.startswith(f"printer {queue.name} disabled")
        if stopped or (accepting and line.startswith(f"{queue.name} not accepting")):
            reason = lines[index + 1].strip() if index + 1 < len(lines) and lines[index + 1][:1].isspace() else ""
            zh, en = ("已停用", "is stopped") if stopped else ("不接受打印作业", "is not accepting jobs")
            raise PrinterStopped(
                f"打印机“{queue.name}”{zh}{f'（{reason}）' if reason else ''}，请检查打印机或另选一台。",
                f'The printer "{queue.name}" {en}{f" ({reason})" if reason else ""}; check it or choose another printer.',
            )


def submit(pdf: bytes, queue: PrintQueue, title: str, hold: bool = False, timeout: float = TIMEOUT_S) -> PrintJob:
    """Send the PDF's bytes to the queue; `hold` keeps the job until released
    (or cancelled). Returns the job CUPS made."""
    if not pdf.startswith(b"%PDF-"):
        raise PrintError("要打印的不是 PDF 文件。", "What was to be printed is not a PDF.")
    check_queue(queue, timeout)
    args = ["lp", "-d", queue.name, "-t", title[:255], "-o", "document-format=application/pdf"]
    if hold:
        args += ["-H", "hold"]
    result = _run(args, queue.server, timeout, pdf)  # no file named: lp reads the PDF from stdin
    found = _REQUEST.search(result.stdout)
    if result.returncode != 0 or found is None:
        raise PrintError(
            f"打印机“{queue.name}”未接受打印作业：{_said(result)}",
            f'The printer "{queue.name}" did not take the job: {_said(result)}',
        )
    return PrintJob(queue, int(found.group(2)))


def pending(job: PrintJob, timeout: float = TIMEOUT_S) -> bool:
    """Whether the job is still waiting, held or printing; raises while its
    printer is stopped (CUPS stops a queue whose device fails), so the clerk
    hears of it and may cancel the job."""
    name = job.queue.name
    result = _run(["lpstat", "-r", "-p", name, "-W", "not-completed", "-o", name], job.queue.server, timeout)
    _check(job.queue, result, accepting=False)
    return any(line.split()[:1] == [job.request_id] for line in result.stdout.splitlines())


def cancel(job: PrintJob, timeout: float = TIMEOUT_S) -> None:
    """Cancel the job; a job that has already printed cannot be."""
    result = _run(["cancel", job.request_id], job.queue.server, timeout)
    if result.returncode != 0:
        check_queue(job.queue, timeout)  # the server or the queue gone: say that
        raise NotCancelled(
            f"打印作业 {job.request_id} 无法取消（可能已打印完毕）：{_said(result)}",
            f"The print job {job.request_id} cannot be cancelled (it may have printed already): {_said(result)}",
        )


def _run(args: list[str], server: str | None, timeout: float, data: bytes = b"") -> subprocess.CompletedProcess:
    """One client command in the C locale, killed after `timeout` seconds."""
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    if server:
        env["CUPS_SERVER"] = server
    try:
        result = subprocess.run(args, input=data, capture_output=True, env=env, timeout=timeout, check=False)
    except FileNotFoundError as exc:
        raise PrintError(
            "未安装 CUPS 打印客户端（Debian 软件包 cups-client）。",
            "The CUPS print client is not installed (Debian package cups-client).",
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise PrintTimeout(
            f"打印服务在 {timeout:g} 秒内没有应答，请检查打印服务器。",
            f"The print server did not answer within {timeout:g} s; check the print server.",
        ) from exc
    return subprocess.CompletedProcess(
        args, result.returncode, result.stdout.decode("utf-8", "replace"), result.stderr.decode("utf-8", "replace")
    )


def _require_scheduler(stdout: str) -> None:
    """`lpstat -r` says first whether it reached the scheduler."""
    if not stdout.startswith("scheduler is running"):
        raise NoPrintServer(
            "打印服务（CUPS）未运行或无法连接，请启动打印服务或联系管理员。",
            "The print service (CUPS) is not running or cannot be reached; start it or call the administrator.",
        )


def _said(result: subprocess.CompletedProcess) -> str:
    """The command's last word on the matter (CUPS's English)."""
    lines = (result.stderr or result.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit status {result.returncode}"
