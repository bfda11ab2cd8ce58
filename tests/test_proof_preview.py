"""Previews of stored proofs (services.proof_preview): pictures as half-block colour grids,
PDFs as a version and page count, and "no preview" for anything broken or too big."""

from __future__ import annotations

import struct
import warnings
import zlib
from pathlib import Path

import pytest
from PIL import Image

from wsnego_tui.services import proof_preview
from wsnego_tui.services.proof_preview import (
    header_size,
    pdf_info,
    preview_file,
    preview_image,
)

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


def _png_claiming(path: Path, width: int, height: int) -> Path:
    """A PNG of a few bytes whose header says it is `width` x `height` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))
    return path


def _quietly(call):  # type: ignore[no-untyped-def]
    """`call()`, and every warning it let out (none may reach stderr: the console draws there)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    return result, [str(w.category.__name__) for w in caught]


@pytest.mark.parametrize(
    ("width", "height"),
    [
        pytest.param(100_000, 100_000, id="a bomb far above Pillow's own limit"),
        pytest.param(10_000, 10_000, id="above Pillow's limit, below the size at which Pillow raises"),
        pytest.param(8_000, 6_000, id="48 megapixels, below Pillow's limit, above the preview's"),
    ],
)
def test_an_image_whose_header_claims_too_many_pixels_is_refused_without_a_warning(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], width: int, height: int
) -> None:
    bomb = _png_claiming(tmp_path / "bomb.png", width, height)
    preview, warned = _quietly(lambda: preview_image(bomb, 40, 20))
    assert (preview.kind, preview.reason, preview.cells) == ("none", "too_large", ())
    assert warned == [] and capfd.readouterr().err == ""


def test_pillows_bomb_warning_is_a_refusal_when_the_header_was_not_read_first(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pillow warns (on stderr, where the console draws) for an image between its limit and
    twice its limit; whatever reaches Pillow unchecked, that warning is a refusal."""
    monkeypatch.setattr(proof_preview, "header_size", lambda path: None)
    monkeypatch.setattr(proof_preview, "MAX_PREVIEW_PIXELS", 10**12)  # only Pillow's own limit left
    side = int(Image.MAX_IMAGE_PIXELS**0.5) + 2
    bomb = _png_claiming(tmp_path / "just.png", side, side)
    preview, warned = _quietly(lambda: preview_image(bomb, 40, 20))
    assert (preview.kind, preview.reason) == ("none", "too_large")
    assert warned == [] and capfd.readouterr().err == ""


@pytest.mark.parametrize(("fmt", "media_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_the_preview_pixel_limit_is_inclusive_for_png_and_jpeg(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, media_type: str
) -> None:
    path = _halves(tmp_path / f"x.{fmt.lower()}", fmt, (80, 40))
    assert header_size(path) == (80, 40)
    monkeypatch.setattr(proof_preview, "MAX_PREVIEW_PIXELS", 80 * 40)
    assert preview_file(path, media_type, 20, 10).kind == "image"
    monkeypatch.setattr(proof_preview, "MAX_PREVIEW_PIXELS", 80 * 40 - 1)
    assert preview_file(path, media_type, 20, 10).reason == "too_large"


def test_the_size_is_read_from_a_jpeg_header_behind_exif_and_from_a_progressive_one(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x010F] = "camera " * 2000  # a long APP1 segment before the frame header
    with_exif = _halves(tmp_path / "exif.jpg", "JPEG", (123, 45), exif=exif.tobytes())
    progressive = _halves(tmp_path / "prog.jpg", "JPEG", (45, 123), progressive=True)
    assert (header_size(with_exif), header_size(progressive)) == ((123, 45), (45, 123))
    assert header_size(tmp_path / "absent.jpg") is None


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
