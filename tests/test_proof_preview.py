"""Previews of stored proofs (services.proof_preview): pictures as half-block colour grids,
PDFs as a version and page count, and "no preview" for anything broken or too big."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from wsnego_tui.services.proof_preview import pdf_info, preview_file, preview_image

RED, BLUE, GREEN, WHITE = (255, 0, 0), (0, 0, 255), (0, 128, 0), (255, 255, 255)


def _halves(path: Path, fmt: str, size: tuple[int, int], **save: object) -> Path:
    """An image whose top half is red and bottom half blue."""
    im = Image.new("RGB", size, RED)
    im.paste(BLUE, (0, size[1] // 2, size[0], size[1]))
    im.save(path, fmt, **save)
    return path


def _close(a: tuple[int, int, int], b: tuple[int, int, int], slack: int = 24) -> bool:
    return all(abs(x - y) <= slack for x, y in zip(a, b, strict=True))


def test_a_png_is_reduced_to_fit_keeping_its_aspect_ratio_and_its_colours(tmp_path: Path) -> None:
    path = _halves(tmp_path / "p.png", "PNG", (80, 40))
    preview = preview_image(path, 20, 10)
    assert preview.kind == "image" and (preview.width, preview.height) == (80, 40)
    # 20 columns wide: 20 x 10 pixels, two pixels a cell -> 5 rows
    assert (preview.cols, preview.rows) == (20, 5)
    # pixel rows 0-4 red, 5-9 blue: cell rows 0-1 red, 3-4 blue, row 2 red above blue
    assert {cell for row in preview.cells[:2] for cell in row} == {(RED, RED)}
    assert {cell for row in preview.cells[3:] for cell in row} == {(BLUE, BLUE)}
    for top, bottom in preview.cells[2]:
        assert _close(top, RED, 40) and _close(bottom, BLUE, 40)


def test_a_tall_png_is_limited_by_the_rows_and_an_odd_last_pixel_row_has_no_bottom(tmp_path: Path) -> None:
    path = tmp_path / "tall.png"
    Image.new("RGB", (3, 5), GREEN).save(path, "PNG")
    preview = preview_image(path, 40, 40)  # never enlarged
    assert (preview.cols, preview.rows) == (3, 3)
    assert preview.cells[0][0] == (GREEN, GREEN)
    assert preview.cells[2][0] == (GREEN, None)
    tall = tmp_path / "taller.png"
    Image.new("RGB", (10, 100), GREEN).save(tall, "PNG")
    assert (preview_image(tall, 40, 5).cols, preview_image(tall, 40, 5).rows) == (1, 5)


def test_a_jpeg_renders_to_the_expected_grid_and_colours(tmp_path: Path) -> None:
    path = _halves(tmp_path / "j.jpg", "JPEG", (400, 200), quality=95)
    preview = preview_file(path, "image/jpeg", 40, 20)
    assert preview.kind == "image" and (preview.width, preview.height) == (400, 200)
    assert (preview.cols, preview.rows) == (40, 10)
    top, bottom = preview.cells[0][0]
    assert _close(top, RED) and _close(bottom, RED)
    top, bottom = preview.cells[-1][-1]
    assert _close(top, BLUE) and _close(bottom or WHITE, BLUE)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_an_image_whose_header_claims_too_many_pixels_is_not_decoded(tmp_path: Path) -> None:
    """A PNG of a few bytes whose header says 100000 x 100000 pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))
    preview = preview_image(bomb, 40, 20)
    assert (preview.kind, preview.reason, preview.cells) == ("none", "too_large", ())
    # just above Pillow's limit, below the size at which Pillow itself raises
    just = tmp_path / "just.png"
    side = int(Image.MAX_IMAGE_PIXELS**0.5) + 2
    just.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
                     + chunk(b"IEND", b""))
    assert preview_image(just, 40, 20).reason == "too_large"


def test_a_corrupt_or_mistyped_file_gives_no_preview_instead_of_an_error(tmp_path: Path) -> None:
    good = _halves(tmp_path / "g.png", "PNG", (64, 64)).read_bytes()
    cut = tmp_path / "cut.png"
    cut.write_bytes(good[: len(good) // 2])
    assert (preview_image(cut, 20, 10).kind, preview_image(cut, 20, 10).reason) == ("none", "corrupt")
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00garbage" * 50)
    assert preview_file(junk, "image/jpeg", 20, 10).reason == "corrupt"
    # a PNG stored as a JPEG is not decoded by another decoder
    assert preview_file(tmp_path / "g.png", "image/jpeg", 20, 10).reason == "corrupt"
    assert preview_file(tmp_path / "absent.png", "image/png", 20, 10).reason == "missing"
    assert preview_image(tmp_path / "g.png", 0, 10).reason == "no_room"


def test_a_pdf_gives_its_version_and_page_count_without_being_opened(tmp_path: Path) -> None:
    pdf = tmp_path / "d.pdf"
    pdf.write_bytes(
        b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 >> endobj\n"
        b"3 0 obj << /Type /Page /Parent 2 0 R >> endobj\n4 0 obj <</Type/Page/Parent 2 0 R>> endobj\n"
        b"5 0 obj << /Type /Page\n/Parent 2 0 R /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\n%%EOF\n"
    )
    preview = preview_file(pdf, "application/pdf", 40, 20)
    assert (preview.kind, preview.pdf_version, preview.pdf_pages) == ("pdf", "1.7", 3)
    bare = tmp_path / "bare.pdf"
    bare.write_bytes(b"%PDF-1.4\n%proof\n")
    assert (pdf_info(bare).pdf_version, pdf_info(bare).pdf_pages) == ("1.4", None)
    fake = tmp_path / "fake.pdf"
    fake.write_bytes(b"not a pdf")
    assert pdf_info(fake).reason == "corrupt"
