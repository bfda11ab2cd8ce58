"""Previews of stored proof files for the officer console, computed without running anything.

Images (PNG, JPEG) are decoded by Pillow, imported here only when a preview is asked for (never
at start-up), with Pillow's decompression-bomb limit (`Image.MAX_IMAGE_PIXELS`) kept and
enforced as a refusal: an image of more pixels is not decoded. The picture is reduced (JPEG
`draft`, then `thumbnail`) to fit `max_cols` columns and `max_rows` rows of half-block cells,
each cell two pixels stacked, so the aspect ratio is kept; it is never enlarged.

PDF files are not rendered or parsed: the version comes from the `%PDF-x.y` header and the page
count from a bounded byte scan counting `/Type /Page` objects (None when the file is larger than
the scan bound or its pages sit in compressed object streams).

Any failure gives a `ProofPreview` of kind "none" with a reason code, never an exception.
Blocking file work: call from a thread worker. No textual, no rich.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from wsnego_tui.core.views_officer import RGB, ProofPreview

log = logging.getLogger(__name__)

PDF_SCAN_BYTES = 16 * 1024 * 1024
"""The most of a PDF read to count its pages."""
PDF_HEADER = re.compile(rb"%PDF-(\d\.\d)")
PDF_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z0-9])")
IMAGE_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG"}


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
        from PIL import Image

        with Image.open(path, formats=formats) as im:
            width, height = im.size
            if width < 1 or height < 1 or width * height > Image.MAX_IMAGE_PIXELS:
                return none("too_large")
            box = (max_cols, max_rows * 2)
            im.draft("RGB", box)  # JPEG: decode at a reduced scale; others: no effect
            im.thumbnail(box)
            rgb = im.convert("RGB")
            w, h = rgb.size
            data = rgb.tobytes()
    except FileNotFoundError:
        return none("missing")
    except Exception as exc:  # noqa: BLE001 - Pillow raises OSError, SyntaxError, ValueError, DecompressionBombError...
        if type(exc).__name__ == "DecompressionBombError":
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
