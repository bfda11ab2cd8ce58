"""Data shown on screen: control and bidi characters removed, wide characters measured."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.content import Content
from textual.widgets import Static

from wsnego_tui.widgets.cells import money_cell, pad_cells, show, text_cell
from wsnego_tui.widgets.safe_text import UNSAFE_CODEPOINTS, safe_text


def test_safe_text_removes_escape_sequences_introducers_and_other_c0_controls() -> None:
    assert safe_text("张\x1b[31m伟\x07\x00") == "张[31m伟"
    assert safe_text("a\tb\nc\rd") == "abcd"


def test_safe_text_removes_del_and_c1_controls() -> None:
    assert safe_text("a\x7fb\x9bc\x85d\x80\x9f") == "abcd"


def test_safe_text_removes_every_bidi_override_isolate_and_mark() -> None:
    bidi = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
    assert safe_text(f"王{bidi}芳") == "王芳"


def test_safe_text_keeps_markup_lookalikes_cjk_and_emoji_as_they_are() -> None:
    """Escaping markup is not its job: the screens show data as Content/Text instead."""
    text = "[@click=app.quit]x[/] [/x] 网商贷·经营贷 ¥1,234.56 🙂 \u200b"
    assert safe_text(text) == text


@given(st.text())
def test_safe_text_never_leaves_an_unsafe_character_and_is_idempotent(text: str) -> None:
    cleaned = safe_text(text)
    assert not any(ord(ch) in UNSAFE_CODEPOINTS for ch in cleaned)
    assert safe_text(cleaned) == cleaned


def test_hand_aligned_text_is_padded_by_terminal_cells_not_characters() -> None:
    """张伟 is two characters but four cells: padding by len() would shift the next column."""
    assert pad_cells("张伟", 8) == "张伟    "
    assert cell_len(pad_cells("张伟", 8)) == cell_len(pad_cells("Li Na", 8)) == 8
    assert pad_cells("¥8.00", 8, align="right") == "   ¥8.00"
    assert cell_len(pad_cells("网商贷经营贷", 7)) == 7


def test_table_cells_are_literal_text_and_money_is_right_aligned() -> None:
    cell = text_cell("[b]x[/b]\x1b")
    assert cell.plain == "[b]x[/b]" and not cell.spans
    amount = money_cell(Decimal("1234.5"))
    assert amount.plain == "¥1,234.50" and amount.justify == "right"
    assert money_cell(None).plain == "-"


class OneStatic(App[None]):
    def compose(self) -> ComposeResult:
        yield Static(Content("付清 ¥1,000.00"), id="line")


async def test_showing_the_content_already_shown_lays_nothing_out_again() -> None:
    """`show` skips the layout Static.update would do for the same text and styles."""
    app = OneStatic()
    async with app.run_test() as pilot:
        line = app.query_one("#line", Static)
        layouts: list[bool] = []
        real_refresh = line.refresh

        def refresh(*regions, **options):  # type: ignore[no-untyped-def]
            layouts.append(bool(options.get("layout")))
            return real_refresh(*regions, **options)

        line.refresh = refresh  # type: ignore[method-assign]
        assert show(line, Content("付清 ¥1,000.00")) is False
        assert layouts == []
        assert show(line, Content("付清 ¥1,000.01")) is True
        assert show(line, Content.styled("付清 ¥1,000.01", "bold")) is True  # same text, other style
        assert layouts == [True, True]
        await pilot.pause()
        assert line.content.plain == "付清 ¥1,000.01" and line.content.spans
