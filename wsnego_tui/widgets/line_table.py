"""`LineTable`: a read-only table of one-line rows, drawn line by line.

It looks like Textual's DataTable with a row cursor and zebra stripes (the same component
colours: header, cursor, even rows), and is driven the same way: arrow keys, Page Up/Down,
Home/End and the mouse move the cursor (or, in a table shown without a cursor, scroll it); the
left and right arrows, the wheel and the scroll bars scroll; the header stays. Headings may
have several lines. A click on a heading posts `HeaderSelected` with its column; a click on
the row under the cursor posts `RowSelected` (the first click on a row moves the cursor).

Why not DataTable: DataTable renders every cell through rich's console (a Padding inside a
Styled, wrapped and cropped), keeps three caches of rendered cells, rows and lines, and lays
itself out a second time on the idle after rows are added. On the loan detail, the costliest
screen of the kiosk, rendering the schedule took 16-36 ms of the 35-71 ms spent rendering all
the screen's widgets. Here a row is a handful of segments made from its cells' text: columns
have fixed widths measured in terminal cells (wide characters count two), the cursor and the
stripes are styles added to those segments, and nothing is cached beyond what Textual keeps of
any widget's rendered lines.

Cells are rich `Text` (see widgets/cells.py: data is never markup); the text's own style and
its spans' styles are kept, and `justify="right"` right-aligns the cell. Cells never wrap: a
cell wider than its column is cut to the column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip


@dataclass(frozen=True)
class LineColumn:
    """A column: its heading (lines separated by newlines; the header is as tall as the
    tallest heading, shorter ones at its top), its width in terminal cells (padding not
    included) and whether its cells and heading are right-aligned."""

    label: str
    width: int
    right: bool = False


def fitted_columns(headings: Sequence[tuple[str, bool]], rows: Sequence[Sequence[Text]]) -> list[LineColumn]:
    """Columns as wide as their widest heading or cell: `headings` holds each column's label
    and whether it is right-aligned."""
    return [
        LineColumn(label, max([heading_width(label)] + [row[index].cell_len for row in rows]), right=right)
        for index, (label, right) in enumerate(headings)
    ]


def heading_width(label: str) -> int:
    """The width of a heading in terminal cells: that of its widest line."""
    return max(cell_len(line) for line in label.split("\n"))


class _TableMessage(Message):
    """What every message of a LineTable carries: the table, also as `control` (for `@on`
    with a selector). Never posted itself, so a handler of one message never gets another."""

    def __init__(self, table: LineTable) -> None:
        super().__init__()
        self.table = table

    @property
    def control(self) -> LineTable:
        return self.table


class LineTable(ScrollView, can_focus=True):
    """A read-only table with a fixed header and a row cursor (see the module docstring)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "line-table--header",
        "line-table--cursor",
        "line-table--even-row",
        "line-table--hover",
    }

    DEFAULT_CSS = """
    LineTable {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;
        &:focus {
            background-tint: $foreground 5%;
            & > .line-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .line-table--header {
                background-tint: $foreground 5%;
            }
        }
        &:dark > .line-table--even-row {
            background: $surface-darken-1 40%;
        }
        & > .line-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .line-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .line-table--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .line-table--hover {
            background: $block-hover-background;
        }
        & > .line-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    class CursorMoved(_TableMessage):
        """The cursor is on another row (by a key, a click or `move_cursor`)."""

        def __init__(self, table: LineTable, row: int) -> None:
            super().__init__(table)
            self.row = row

    class RowSelected(_TableMessage):
        """A click on the row the cursor is already on (the first click moves the cursor)."""

        def __init__(self, table: LineTable, row: int) -> None:
            super().__init__(table)
            self.row = row

    class HeaderSelected(_TableMessage):
        """A click on a column's heading."""

        def __init__(self, table: LineTable, column: int) -> None:
            super().__init__(table)
            self.column = column

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first_row", "First row", show=False),
        Binding("end", "last_row", "Last row", show=False),
    ]

    def __init__(
        self,
        *,
        cell_padding: int = 1,
        zebra_stripes: bool = True,
        show_cursor: bool = True,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.cell_padding = cell_padding
        self.zebra_stripes = zebra_stripes
        self.show_cursor = show_cursor
        self.columns: tuple[LineColumn, ...] = ()
        self._rows: list[tuple[Text, ...]] = []
        self.cursor_row = 0
        self.header_height = 1
        """Lines of the header: those of the tallest heading."""
        self.hover_row: int | None = None
        """The row under the mouse pointer, drawn highlighted (as in DataTable): only in a table
        with a cursor, and hidden when a key moves the cursor or the pointer leaves."""

    # The table's content ---------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._rows)

    def get_row_at(self, index: int) -> list[Text]:
        """The cells of row `index` (0 is the first row under the header)."""
        return list(self._rows[index])

    def set_table(self, columns: Sequence[LineColumn], rows: Sequence[Sequence[Text]], cursor_row: int = 0) -> None:
        """Show these columns and rows, with the cursor on `cursor_row` (scrolled into view).
        Every row has one cell per column."""
        if any(len(row) != len(columns) for row in rows):
            raise ValueError("every row needs one cell per column")
        self.columns = tuple(columns)
        self._rows = [tuple(row) for row in rows]
        if self.hover_row is not None and self.hover_row >= len(self._rows):
            self.hover_row = None
        self.header_height = max((column.label.count("\n") + 1 for column in self.columns), default=1)
        self.virtual_size = Size(self._table_width(), len(self._rows) + self.header_height)
        self.cursor_row = 0
        self.move_cursor(cursor_row)
        self.refresh()

    def clear(self) -> None:
        self.set_table((), ())

    def _table_width(self) -> int:
        return sum(column.width + 2 * self.cell_padding for column in self.columns)

    # The cursor ------------------------------------------------------------------------------

    def move_cursor(self, row: int) -> None:
        """Put the cursor on `row` (clamped to the rows there are) and scroll it into view."""
        row = max(0, min(row, len(self._rows) - 1))
        if row != self.cursor_row:
            self.cursor_row = row
            self.refresh()
            self.post_message(self.CursorMoved(self, row))
        self._scroll_to_cursor()

    def _rows_in_view(self) -> int:
        return max(1, self.scrollable_content_region.height - self.header_height)

    def _scroll_to_cursor(self) -> None:
        if not self._rows or self.scrollable_content_region.height <= self.header_height:
            return
        top = round(self.scroll_y)
        in_view = self._rows_in_view()
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + in_view:
            self.scroll_to(y=self.cursor_row - in_view + 1, animate=False, immediate=True)

    def on_resize(self) -> None:
        self._scroll_to_cursor()

    def _step(self, rows: int) -> None:
        """Move the cursor `rows` down (up when negative); without a cursor, scroll instead."""
        if self.show_cursor:
            self._hover(None)  # the keys lead now, as in DataTable
            self.move_cursor(self.cursor_row + rows)
        else:
            self.scroll_to(y=self.scroll_y + rows, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self._step(-1)

    def action_cursor_down(self) -> None:
        self._step(1)

    def action_page_up(self) -> None:
        self._step(-self._rows_in_view())

    def action_page_down(self) -> None:
        self._step(self._rows_in_view())

    def action_first_row(self) -> None:
        self._step(-len(self._rows))

    def action_last_row(self) -> None:
        self._step(len(self._rows))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y < self.header_height:
            column = self._column_at(round(self.scroll_x) + offset.x)
            if column is not None:
                self.post_message(self.HeaderSelected(self, column))
            return
        row = self._row_at(event)
        if row is not None:
            if row == self.cursor_row:
                self.post_message(self.RowSelected(self, row))
            else:
                self.move_cursor(row)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._hover(self._row_at(event))

    def on_leave(self, event: events.Leave) -> None:
        self._hover(None)

    def _row_at(self, event: events.MouseEvent) -> int | None:
        """The row under the pointer, in a table with a cursor (None over the header)."""
        offset = event.get_content_offset(self)
        if offset is None or offset.y < self.header_height or not self.show_cursor:
            return None
        row = round(self.scroll_y) + offset.y - self.header_height
        return row if row < len(self._rows) else None

    def _hover(self, row: int | None) -> None:
        old, self.hover_row = self.hover_row, row
        if old != row:
            for changed in (old, row):
                if changed is not None:
                    self.refresh_line(changed + self.header_height)  # the row's line in the content

    def _column_at(self, x: int) -> int | None:
        """The column drawn at `x` (cells from the table's left edge), if any."""
        for index, column in enumerate(self.columns):
            x -= column.width + 2 * self.cell_padding
            if x < 0:
                return index
        return None

    # Drawing ---------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        scroll_x, scroll_y = self.scroll_offset
        if y < self.header_height:
            header = self.get_component_rich_style("line-table--header")
            cells = [Text(_heading_line(column.label, y), justify="right" if column.right else "left") for column in self.columns]
            segments = self._line(cells, header, Style())
        else:
            row = scroll_y + y - self.header_height
            if not 0 <= row < len(self._rows):
                return Strip.blank(width, base)
            style = base
            if self.zebra_stripes and row % 2 == 0:
                style = self.get_component_rich_style("line-table--even-row")
            after = Style()
            if row == self.hover_row:
                after = self.get_component_rich_style("line-table--hover")
            if row == self.cursor_row and self.show_cursor:
                after = self.get_component_rich_style("line-table--cursor")
            segments = self._line(list(self._rows[row]), style, after)
        return Strip(segments).crop(scroll_x, scroll_x + width).adjust_cell_length(width, base).simplify()

    def _line(self, cells: list[Text], style: Style, after: Style) -> list[Segment]:
        """One line: each cell padded to its column under `style`, `after` laid over all of it
        (the cursor's colours), the rest of the width filled in the same style."""
        console = self.app.console
        pad = Segment(" " * self.cell_padding, style + after)
        segments: list[Segment] = []
        for column, cell in zip(self.columns, cells):
            text = cell.copy()
            text.truncate(column.width)
            gap = column.width - text.cell_len
            segments.append(pad)
            if gap and (column.right or cell.justify == "right"):
                segments.append(Segment(" " * gap, style + after))
                gap = 0
            if text.spans:
                pieces = list(text.render(console, end=""))
            else:  # Text.render applies the text's own style only together with spans
                pieces = [Segment(text.plain, console.get_style(text.style or "", default=Style.null()))]
            segments.extend(Segment(piece.text, style + (piece.style or Style()) + after) for piece in pieces)
            if gap:
                segments.append(Segment(" " * gap, style + after))
            segments.append(pad)
        rest = max(0, self.size.width - self._table_width())
        if rest:
            segments.append(Segment(" " * rest, style + after if self.show_cursor else self._faded(style)))
        return segments

    def _faded(self, style: Style) -> Style:
        """Beyond the last column of a table without a cursor: the row's colour, its background
        a quarter of the way to the table's own (as DataTable draws it)."""
        if style.bgcolor is None:
            return Style.from_color(style.color)
        background = Color.from_rich_color(style.bgcolor).blend(self.background_colors[1], factor=0.25)
        return Style.from_color(style.color, background.rich_color)


def _heading_line(label: str, line: int) -> str:
    """Line `line` of a heading (empty below its last line)."""
    lines = label.split("\n")
    return lines[line] if line < len(lines) else ""
