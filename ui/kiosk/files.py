"""Documents from a USB stick: which files the picker offers, and the checks a
file passes before any parser sees it.

A kiosk takes files from strangers, so every limit is checked on the cheapest
evidence first: the path must lie inside a removable-media folder (symbolic
links resolved), the size within the limit, the type told by its first bytes
(not its name); an image's pixel count is read from its header before one
pixel is decoded; a PDF's compressed streams are inflated with a budget, so a
"zip bomb" is refused after a few megabytes instead of filling memory.
"""

from __future__ import annotations

import io
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from citychain.errors import BilingualError

MAX_IMAGE_PIXELS = 40_000_000  # a 150-dpi A4 page is 2.2 million; a phone photo about 12 million
MAX_PDF_INFLATED = 64 * 1024 * 1024  # all streams of a certificate PDF together inflate to a few MB
MAX_PDF_PAGES = 2  # pages rendered to look for a QR code in a scanned PDF
RENDER_DPI = 150
SUFFIXES = {".pdf": "pdf", ".png": "image", ".jpg": "image", ".jpeg": "image"}
_MAGIC = ((b"%PDF-", "pdf"), (b"\x89PNG\r\n\x1a\n", "image"), (b"\xff\xd8\xff", "image"))
_STREAM = re.compile(rb"(?<!end)stream\r?\n")


class FileRefused(BilingualError):
    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(code, message_zh, message_en)


@dataclass(frozen=True)
class Candidate:
    """One file the picker offers."""

    path: Path
    name: str
    folder: str  # the stick or folder it is on, for the list
    size: int
    kind: str  # pdf | image


def _inside(path: Path, roots: tuple[Path, ...]) -> bool:
    real = path.resolve()
    return any(real.is_relative_to(root.resolve()) for root in roots if root.exists())


def list_documents(roots: tuple[Path, ...], max_depth: int = 4, limit: int = 200) -> list[Candidate]:
    """PDFs and images under the media folders, newest first; hidden files and
    folders skipped, symbolic links that lead outside ignored."""
    found: list[Candidate] = []
    for root in roots:
        if not root.is_dir():
            continue
        for path in _walk(root, max_depth):
            if len(found) >= limit:
                break
            kind = SUFFIXES.get(path.suffix.lower())
            if kind is None or not _inside(path, roots):
                continue
            try:
                stat = path.stat()
            except OSError:
                continue
            rel = path.parent.relative_to(root)
            folder = root.name if rel == Path(".") else str(rel)
            found.append(Candidate(path, path.name, folder, stat.st_size, kind))
    return sorted(found, key=lambda c: (c.folder, c.name.lower()))


def _walk(root: Path, max_depth: int) -> Iterator[Path]:
    base = len(root.parts)
    for folder, dirs, files in os.walk(root, onerror=lambda exc: None):
        depth = len(Path(folder).parts) - base
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")) if depth < max_depth else []
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(folder) / name


def read_document(path: Path, roots: tuple[Path, ...], max_bytes: int) -> tuple[str, bytes]:
    """(kind, bytes) of a file the picker offered, after the cheap checks."""
    path = Path(path)
    if not _inside(path, roots):
        raise FileRefused(
            "NOT_ALLOWED",
            "只能打开U盘或指定文件夹中的文件",
            "only files on a USB stick or in the set folder can be opened",
        )
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise FileRefused("NOT_A_FILE", "这不是一个文件", "this is not a file")
        if size > max_bytes:
            raise FileRefused(
                "TOO_LARGE",
                f"文件太大（上限 {max_bytes // (1024 * 1024)} MB）",
                f"the file is too large (the limit is {max_bytes // (1024 * 1024)} MB)",
            )
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise FileRefused(
            "UNREADABLE",
            "无法读取这个文件（U盘是否已拔出？）",
            f"the file cannot be read (was the USB stick removed?): {exc.strerror}",
        ) from None
    if len(data) > max_bytes:
        raise FileRefused("TOO_LARGE", "文件太大", "the file is too large")
    return sniff(data), data


def sniff(data: bytes) -> str:
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    raise FileRefused("UNSUPPORTED", "只能核验 PDF、PNG 或 JPEG 文件", "only PDF, PNG or JPEG files can be checked")


def check_image(data: bytes, max_pixels: int = MAX_IMAGE_PIXELS) -> None:
    """Read the header only; refuse before decoding when the pixel count is absurd."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:  # lazy: decodes nothing yet
            width, height = image.size
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise FileRefused(
            "BAD_IMAGE", "图片已损坏或无法识别", f"the image is damaged or cannot be read: {exc}"
        ) from None
    if width * height > max_pixels:
        raise _too_many_pixels()


def _too_many_pixels() -> FileRefused:
    return FileRefused(
        "TOO_MANY_PIXELS",
        "图片像素过多，可能是恶意文件，已拒绝",
        "the image has far too many pixels and may be hostile; it was refused",
    )


def check_pdf(data: bytes, budget: int = MAX_PDF_INFLATED) -> None:
    """Inflate every Flate stream with a shared budget; a bomb runs out of it."""
    left = budget
    for match in _STREAM.finditer(data):
        start = match.end()
        end = data.find(b"endstream", start)
        if end < 0:
            break
        inflater = zlib.decompressobj()
        chunk = data[start:end]
        try:
            while chunk and left >= 0:
                left -= len(inflater.decompress(chunk, min(left + 1, 1 << 20)))
                chunk = inflater.unconsumed_tail
        except zlib.error:
            continue  # not a Flate stream (or not at this offset): nothing to inflate
        if left < 0:
            raise FileRefused(
                "PDF_BOMB",
                "这个 PDF 解压后异常巨大，可能是恶意文件，已拒绝",
                "this PDF expands to an absurd size when opened and may be hostile; it was refused",
            )


def page_images(data: bytes, dpi: int = RENDER_DPI, max_pages: int = MAX_PDF_PAGES, max_pixels: int = MAX_IMAGE_PIXELS):
    """The first pages of a PDF as PIL images, for a scanned page's QR code."""
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        raise FileRefused("BAD_PDF", "PDF 文件已损坏或不完整", f"the PDF is damaged or incomplete: {exc}") from None
    try:
        for index in range(min(len(pdf), max_pages)):
            page = pdf[index]
            width, height = page.get_size()
            if width * height * (dpi / 72) ** 2 > max_pixels:
                raise FileRefused(
                    "PAGE_TOO_LARGE", "PDF 页面尺寸异常巨大，已拒绝", "a PDF page is absurdly large; it was refused"
                )
            yield page.render(scale=dpi / 72).to_pil()
    finally:
        pdf.close()
