"""Previews of stored proof files for the officer console, computed without running anything.

Images (PNG, JPEG) are decoded by Pillow, imported here only when a preview is asked for (never
at start-up), up to `MAX_PREVIEW_PIXELS` (40 megapixels, well below Pillow's own
decompression-bomb limit, at which decoding alone takes about 270 MB). The size is first read
from the file's own header (PNG IHDR, JPEG start-of-frame) and a larger image is refused
before Pillow opens it; Pillow's size is checked again after it has read the header, and its
DecompressionBombWarning is turned into the same refusal (never printed on stderr, which is
the terminal the console draws on). The picture is reduced (JPEG `draft`, then `thumbnail`)
to fit `max_cols` columns and `max_rows` rows of half-block cells, each cell two pixels
stacked, so the aspect ratio is kept; it is never enlarged.

PDF files are not rendered or parsed: the version comes from the `%PDF-x.y` header and the page
count from a bounded byte scan counting `/Type /Page` objects (None when the file is larger than
the scan bound or its pages sit in compressed object streams).

Any failure gives a `ProofPreview` of kind "none" with a reason code, never an exception.
Blocking file work: call from a thread worker. No textual, no rich.
"""

from __future__ import annotations

import logging
import re
import struct
import warnings
from pathlib import Path

from wsnego_tui.core.views_officer import RGB, ProofPreview

log = logging.getLogger(__name__)

PDF_SCAN_BYTES = 16 * 1024 * 1024
"""The most of a PDF read to count its pages."""
PDF_HEADER = re.compile(rb"%PDF-(\d\.\d)")
PDF_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z0-9])")
IMAGE_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG"}
MAX_PREVIEW_PIXELS = 40_000_000
"""The most pixels an image may have to be decoded for a preview (a 12-megapixel phone photo
decodes in about 40 MB; 40 megapixels in about 160 MB)."""
JPEG_SEGMENTS = 256
"""The most JPEG segments read looking for the start-of-frame that gives the image's size."""
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SOF = frozenset((0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF))
JPEG_STANDALONE = frozenset((0x01, *range(0xD0, 0xD8)))


class TooLarge(Exception):
    """The image has more pixels than a preview may decode."""


def header_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR or a JPEG's start-of-frame, read without decoding;
    None when the header is not one of those or cannot be read (Pillow then decides)."""
    try:
        with open(path, "rb") as fh:
            start = fh.read(24)
            if start.startswith(PNG_SIGNATURE) and start[12:16] == b"IHDR":
                return struct.unpack(">II", start[16:24])  # type: ignore[return-value]
            if start[:2] == b"\xff\xd8":
                return _jpeg_size(fh)
    except OSError:
        pass
    return None


def _jpeg_size(fh) -> tuple[int, int] | None:  # type: ignore[no-untyped-def]
    fh.seek(2)
    for _ in range(JPEG_SEGMENTS):
        if fh.read(1) != b"\xff":
            return None
        marker = fh.read(1)
        while marker == b"\xff":  # fill bytes before a marker
            marker = fh.read(1)
        if not marker:
            return None
        if marker[0] in JPEG_STANDALONE:
            continue
        length_bytes = fh.read(2)
        if len(length_bytes) < 2:
            return None
        (length,) = struct.unpack(">H", length_bytes)
        if marker[0] in JPEG_SOF:
            frame = fh.read(5)
            if len(frame) < 5:
                return None
            height, width = struct.unpack(">HH", frame[1:5])
            return width, height
        if marker[0] == 0xDA or length < 2:  # image data before any frame header
            return None
        fh.seek(length - 2, 1)
    return None


def _check_pixels(size: tuple[int, int]) -> None:
    width, height = size
    if width * height > MAX_PREVIEW_PIXELS:
        raise TooLarge(f"{width} x {height}")


def none(reason: str) -> ProofPreview:
    return ProofPreview(kind="none", reason=reason)


def preview_image(path: Path, max_cols: int, max_rows: int, media_type: str | None = None) -> ProofPreview:
    """The image at `path` as a grid of (top, bottom) colours at most `max_cols` x `max_rows`.

    `media_type` (image/png or image/jpeg) limits which decoder Pillow may use; without it
    both are allowed, and no other format."""
    if max_cols < 1 or max_rows < 1:
        return none("no_room")
    formats = [IMAGE_FORMATS[media_type]] if media_type in IMAGE_FORMATS else list(IMAGE_FORMATS.values())
    try:
        size = header_size(path)
        if size is not None:
            _check_pixels(size)
        from PIL import Image

        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=formats) as im:
                width, height = im.size
                if width < 1 or height < 1:
                    return none("corrupt")
                _check_pixels(im.size)
                box = (max_cols, max_rows * 2)
                im.draft("RGB", box)  # JPEG: decode at a reduced scale; others: no effect
                im.thumbnail(box)
                rgb = im.convert("RGB")
                w, h = rgb.size
                data = rgb.tobytes()
    except FileNotFoundError:
        return none("missing")
    except TooLarge as exc:
        log.info("no preview of %s: %s pixels is more than %d", path.name, exc, MAX_PREVIEW_PIXELS)
        return none("too_large")
    except Exception as exc:  # noqa: BLE001 - Pillow raises OSError, SyntaxError, ValueError, DecompressionBomb...
        if type(exc).__name__ in ("DecompressionBombError", "DecompressionBombWarning"):
            return none("too_large")
        log.info("no preview of %s: %s", path.name, exc)
        return none("corrupt")

    def pixel(x: int, y: int) -> RGB:
        i = (y * w + x) * 3
        return (data[i], data[i + 1], data[i + 2])

    cells = tuple(
        tuple((pixel(x, y), pixel(x, y + 1) if y + 1 < h else None) for x in range(w))
        for y in range(0, h, 2)
    )
    return ProofPreview(kind="image", width=width, height=height, cells=cells)


def pdf_info(path: Path) -> ProofPreview:
    """The PDF's version and page count, read from its bytes (at most PDF_SCAN_BYTES)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(PDF_SCAN_BYTES + 1)
    except FileNotFoundError:
        return none("missing")
    except OSError:
        return none("corrupt")
    header = PDF_HEADER.match(data[:1024].lstrip(b"\x00\t\n\x0c\r "))
    if header is None:
        return none("corrupt")
    pages: int | None = None
    if len(data) <= PDF_SCAN_BYTES:
        pages = len(PDF_PAGE.findall(data)) or None
    return ProofPreview(kind="pdf", pdf_version=header.group(1).decode("ascii"), pdf_pages=pages)


def preview_file(path: Path, media_type: str, max_cols: int, max_rows: int) -> ProofPreview:
    """The preview for a stored proof of `media_type`."""
    if not path.is_file():
        return none("missing")
    if media_type == "application/pdf":
        return pdf_info(path)
    if media_type in IMAGE_FORMATS:
        return preview_image(path, max_cols, max_rows, media_type)
    return none("unsupported")
