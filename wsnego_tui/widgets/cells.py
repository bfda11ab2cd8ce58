"""Ready-made pieces of display for data: literal text, money and table cells, and `show`,
which puts new content into a line only when it differs.

Everything from the data goes through `safe_text` and is wrapped as `Content` or rich `Text`
so it is never parsed as markup (DESIGN.md section 5). Money is right-aligned ¥1,234.56.
Hand-aligned text is measured in terminal cells (rich.cells.cell_len), never in characters:
a Chinese character takes two cells.

Never imports the store or SQLModel; never formats money from float.
"""

from __future__ import annotations

from decimal import Decimal

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual.content import Content
from textual.widgets import Static

from wsnego_tui.i18n import format_money
from wsnego_tui.widgets.safe_text import safe_text


def literal(text: str) -> Content:
    """Data as Content that is shown exactly as it reads, never as markup."""
    return Content(safe_text(text))


def show(widget: Static, content: Content) -> bool:
    """Put `content` into `widget` unless it shows exactly that already (the same text with the
    same styles); whether it changed. `Static.update` lays the whole screen out again even for
    the content already shown, and the forms re-check every field at each key: on the
    application form (about sixty widgets) that was a full layout and repaint per key, and
    another one on Ctrl+N just before the form is covered by the next screen."""
    current = widget.content
    if isinstance(current, Content) and current.plain == content.plain and current.spans == content.spans:
        return False
    widget.update(content)
    return True


def text_cell(text: str) -> Text:
    """A table cell (DataTable or LineTable) holding data as literal text (a plain str cell would
    be parsed as markup by DataTable)."""
    return Text(safe_text(text), no_wrap=True, end="")


def number_cell(text: str) -> Text:
    """A right-aligned cell for an already formatted number."""
    return Text(safe_text(text), justify="right", no_wrap=True, end="")


def money_cell(amount: Decimal | None, none: str = "-") -> Text:
    """A right-aligned money cell: ¥1,234.56 (or `none` when there is no amount)."""
    return number_cell(none if amount is None else format_money(amount))


def pad_cells(text: str, width: int, align: str = "left") -> str:
    """`text` padded (or cut) to exactly `width` terminal cells; wide characters count two."""
    if cell_len(text) > width:
        return set_cell_size(text, width)
    gap = width - cell_len(text)
    if align == "right":
        return " " * gap + text
    if align == "center":
        return " " * (gap // 2) + text + " " * (gap - gap // 2)
    return text + " " * gap
