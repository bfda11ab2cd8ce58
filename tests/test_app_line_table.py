"""LineTable: the loan detail's schedule table. It must look like the DataTable it replaced,
line up wide characters, keep its header while scrolling and follow the keys and the mouse."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import DataTable

from wsnego_tui.widgets.cells import money_cell, text_cell
from wsnego_tui.widgets.line_table import LineColumn, LineTable

COLUMNS = [LineColumn("期数", 4, right=True), LineColumn("还款日", 13), LineColumn("应还金额", 10, right=True)]
TALL_COLUMNS = [LineColumn("期数", 4, right=True), LineColumn("还款日\n(到期)", 13), LineColumn("应还\n金额", 10, right=True)]


def rows(count: int) -> list[list[Text]]:
    table = []
    for n in range(1, count + 1):
        cells = [text_cell(str(n)), text_cell(f"2026年{n % 12 + 1}月1日"), money_cell(None if n == 3 else n * 1000)]
        cells[0].justify = "right"
        if n == 2:
            for cell in cells:
                cell.stylize("bold red")
        if n == 4:  # a style of the whole text, not a span (the inbox's unread messages)
            cells[1] = Text(f"2026年{n}月1日", style="bold", no_wrap=True, end="")
        if n == 5:  # wider than its column: cut, a wide character that would straddle the edge too
            cells[1] = text_cell("2026年12月1日到期")
            cells[0] = text_cell("12345")
        table.append(cells)
    return table


class Tables(App[None]):
    """A LineTable and a DataTable side by side, the same size, holding the same rows."""

    CSS = "LineTable, DataTable { width: 40; height: 8; }"
    AUTO_FOCUS = None

    def __init__(self, count: int, cursor: bool = True, zebra: bool = True, columns: list[LineColumn] = COLUMNS) -> None:
        super().__init__()
        self.count = count
        self.cursor = cursor
        self.zebra = zebra
        self.columns = columns

    def compose(self) -> ComposeResult:
        yield LineTable(id="lines", show_cursor=self.cursor, zebra_stripes=self.zebra)
        yield DataTable(id="data", cursor_type="row" if self.cursor else "none", zebra_stripes=self.zebra)

    def on_mount(self) -> None:
        self.query_one(LineTable).set_table(self.columns, rows(self.count), cursor_row=1)
        data = self.query_one(DataTable)
        data.header_height = max(column.label.count("\n") + 1 for column in self.columns)
        for column in self.columns:
            data.add_column(Text(column.label, justify="right" if column.right else "left"), width=column.width)
        for cells in rows(self.count):
            data.add_row(*cells)
        data.move_cursor(row=1, animate=False)


def cells_of(strip: Strip) -> list[tuple[str, str | None, str | None, bool]]:
    """One entry per terminal cell: the character and its colours and boldness."""
    cells = []
    for segment in strip:
        style = segment.style
        for char in segment.text:
            cells.append((char, str(style.color) if style and style.color else None,
                          str(style.bgcolor) if style and style.bgcolor else None, bool(style and style.bold)))
            cells.extend([("", None, None, False)] * (cell_len(char) - 1))
    return cells


def screen_text(table: LineTable | DataTable[object]) -> list[str]:
    return [strip.text for strip in table.render_lines(Region(0, 0, table.size.width, table.size.height))]


@pytest.mark.parametrize(
    ("focused", "cursor", "zebra", "columns"),
    [
        (False, True, True, COLUMNS),
        (True, True, True, COLUMNS),
        (True, False, True, COLUMNS),
        (False, False, False, COLUMNS),
        (True, True, True, TALL_COLUMNS),  # headings of two lines and of one (My Loans)
    ],
)
async def test_a_line_table_draws_the_same_cells_as_a_data_table(
    focused: bool, cursor: bool, zebra: bool, columns: list[LineColumn]
) -> None:
    app = Tables(5, cursor, zebra, columns)
    assert cell_len(rows(5)[4][1].plain) > COLUMNS[1].width  # the last row is cut
    async with app.run_test(size=(90, 12)) as pilot:
        lines, data = app.query_one(LineTable), app.query_one(DataTable)
        if focused:
            lines.focus()
        await pilot.pause()
        mine = [cells_of(strip) for strip in lines.render_lines(Region(0, 0, 40, 8))]
        if focused:
            data.focus()
        await pilot.pause()
        theirs = [cells_of(strip) for strip in data.render_lines(Region(0, 0, 40, 8))]
        assert mine == theirs


async def test_columns_line_up_in_terminal_cells_with_wide_characters_and_right_aligned_money() -> None:
    app = Tables(4)
    async with app.run_test(size=(90, 12)):
        text = screen_text(app.query_one(LineTable))
        assert text[0].startswith(" 期数  还款日           应还金额 ")
        assert text[1].startswith("    1  2026年2月1日    ¥1,000.00 ")
        assert text[3].startswith("    3  2026年4月1日            - ")
        assert all(cell_len(line) == 40 for line in text)


async def test_the_header_stays_while_the_keys_move_the_cursor_and_scroll() -> None:
    app = Tables(30)
    async with app.run_test(size=(90, 12)) as pilot:
        table = app.query_one(LineTable)
        table.focus()
        await pilot.pause()
        assert table.cursor_row == 1 and table.scroll_y == 0
        await pilot.press("end")
        assert table.cursor_row == 29
        assert table.scroll_y == 30 + 1 - 8  # the last row at the bottom, under the header
        text = screen_text(table)
        assert text[0].startswith(" 期数") and text[-1].startswith("   30 ")
        await pilot.press("home")
        assert table.cursor_row == 0 and table.scroll_y == 0
        await pilot.press("pagedown")
        assert table.cursor_row == 7 and table.scroll_y == 1
        await pilot.press("up", "up")
        assert table.cursor_row == 5 and table.scroll_y == 1
        await pilot.press("pageup", "up")
        assert table.cursor_row == 0 and table.scroll_y == 0


async def test_a_shorter_table_set_while_scrolled_down_leaves_no_empty_lines_at_the_end() -> None:
    app = Tables(30)
    async with app.run_test(size=(90, 12)) as pilot:
        table = app.query_one(LineTable)
        table.focus()
        await pilot.press("end")
        assert table.scroll_y == 30 + 1 - 8
        table.set_table(COLUMNS, rows(28), cursor_row=25)  # the cursor row is still in view
        await pilot.pause()
        assert table.scroll_y == 28 + 1 - 8 and table.cursor_row == 25
        assert screen_text(table)[-1].startswith("   28 ")
        table.set_table(COLUMNS, rows(5), cursor_row=4)
        await pilot.pause()
        assert table.scroll_y == 0 and table.cursor_row == 4
        assert screen_text(table)[1].startswith("    1 ")


async def test_without_a_cursor_the_keys_scroll() -> None:
    app = Tables(30, cursor=False)
    async with app.run_test(size=(90, 12)) as pilot:
        table = app.query_one(LineTable)
        table.focus()
        await pilot.press("down", "down")
        assert table.scroll_y == 2
        assert screen_text(table)[1].startswith("    3 ")
        await pilot.press("end")
        assert table.scroll_y == 30 + 1 - 8
        await pilot.press("pageup")
        assert table.scroll_y == 30 + 1 - 8 - 7
        await pilot.press("home")
        assert table.scroll_y == 0


async def test_a_click_puts_the_cursor_on_the_row_and_the_header_is_not_a_row() -> None:
    app = Tables(5)
    async with app.run_test(size=(90, 12)) as pilot:
        table = app.query_one(LineTable)
        await pilot.click(LineTable, offset=(5, 3))
        assert table.cursor_row == 2
        await pilot.click(LineTable, offset=(5, 0))
        assert table.cursor_row == 2


async def test_a_click_on_a_heading_names_its_column_and_a_second_click_on_a_row_selects_it() -> None:
    """As DataTable: a click on a heading (of several lines too) reports the column; a click on
    a row moves the cursor there, and a click on the row the cursor is on selects it."""
    headings: list[int] = []
    selected: list[int] = []

    class Recording(Tables):
        def on_line_table_header_selected(self, message: LineTable.HeaderSelected) -> None:
            headings.append(message.column)

        def on_line_table_row_selected(self, message: LineTable.RowSelected) -> None:
            selected.append(message.row)

    app = Recording(5, columns=TALL_COLUMNS)
    async with app.run_test(size=(90, 12)) as pilot:
        table = app.query_one(LineTable)
        assert table.header_height == 2
        await pilot.click(LineTable, offset=(2, 0))
        await pilot.click(LineTable, offset=(10, 1))  # the second line of the second heading
        await pilot.click(LineTable, offset=(25, 0))
        await pilot.click(LineTable, offset=(39, 1))  # beyond the last column: none
        assert headings == [0, 1, 2]
        assert table.cursor_row == 1 and selected == []
        await pilot.click(LineTable, offset=(5, 4))  # the third row: the cursor moves
        assert table.cursor_row == 2 and selected == []
        await pilot.click(LineTable, offset=(5, 4))  # again: selected
        assert selected == [2]


async def test_cells_are_cut_to_their_column_and_markup_in_data_is_literal() -> None:
    app = Tables(0)
    async with app.run_test(size=(90, 12)) as pilot:
        table = app.query_one(LineTable)
        table.set_table([LineColumn("名称", 6)], [[text_cell("[b]网商贷网商贷[/b]")]])
        await pilot.pause()
        assert screen_text(table)[1].startswith(" [b]网  ")
        assert table.get_row_at(0)[0].plain == "[b]网商贷网商贷[/b]"
        with pytest.raises(ValueError):
            table.set_table([LineColumn("名称", 6)], [[text_cell("a"), text_cell("b")]])
        table.clear()
        await pilot.pause()
        assert table.row_count == 0 and screen_text(table)[1].strip() == ""


class Recording(Tables):
    def __init__(self) -> None:
        super().__init__(10)
        self.moves: list[int] = []

    def on_line_table_cursor_moved(self, message: LineTable.CursorMoved) -> None:
        self.moves.append(message.row)


async def test_the_cursor_reports_each_row_it_moves_to() -> None:
    app = Recording()
    async with app.run_test(size=(90, 12)) as pilot:
        table = app.query_one(LineTable)
        table.focus()
        app.moves.clear()
        await pilot.press("down", "down", "up", "home", "home")
        await pilot.click(LineTable, offset=(5, 4))
        await pilot.pause()
        assert app.moves == [2, 3, 2, 0, 3]


async def test_a_table_wider_than_its_space_scrolls_sideways_with_the_arrow_keys() -> None:
    app = Tables(3)
    async with app.run_test(size=(90, 12)) as pilot:
        table = app.query_one(LineTable)
        table.styles.width = 20
        table.focus()
        await pilot.pause()
        assert table.virtual_size.width > table.scrollable_content_region.width
        await pilot.press("right", "right")
        assert table.scroll_x == 2
        assert screen_text(table)[1].startswith("  1  2026年2月1日")
        await pilot.press("left")
        assert table.scroll_x == 1



async def test_the_row_under_the_mouse_is_highlighted_as_in_a_data_table() -> None:
    """Hovering a row shows DataTable's hover colour on it, cell by cell; moving away, or a key
    that moves the cursor, takes the highlight off. A table without a cursor has none."""
    app = Tables(5)
    async with app.run_test(size=(90, 12)) as pilot:
        lines, data = app.query_one(LineTable), app.query_one(DataTable)
        await pilot.hover(LineTable, offset=(5, 3))  # the third row (the cursor is on the second)
        await pilot.pause()
        assert lines.hover_row == 2
        mine = [cells_of(strip) for strip in lines.render_lines(Region(0, 0, 40, 8))]
        await pilot.hover(DataTable, offset=(5, 3))
        await pilot.pause()
        theirs = [cells_of(strip) for strip in data.render_lines(Region(0, 0, 40, 8))]
        assert mine[3] == theirs[3] and mine == theirs
        plain = [cells_of(strip) for strip in lines.render_lines(Region(0, 0, 40, 8))]
        assert lines.hover_row is None and plain[3] != mine[3]  # the pointer left it

        await pilot.hover(LineTable, offset=(5, 4))
        lines.focus()
        await pilot.press("down")
        assert lines.hover_row is None and lines.cursor_row == 2

    no_cursor = Tables(5, cursor=False)
    async with no_cursor.run_test(size=(90, 12)) as pilot:
        await pilot.hover(LineTable, offset=(5, 4))
        assert no_cursor.query_one(LineTable).hover_row is None
