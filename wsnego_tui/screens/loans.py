"""Step 2, My Loans (我的贷款): every loan of the logged-in borrower in one table.

One row per loan: product, status, outstanding principal, overdue principal / interest /
penalty (罚息), days past due, the next due date and amount, principal, repaid principal and
the negotiation stage; money right-aligned as ¥1,234.56, and a summary line with the totals.
Twelve columns do not fit 100 cells, and a table scrolled sideways cuts amounts at the edge
(¥4,498 of ¥4,498.77), so the columns come in pages of whole columns that fit the width
(left / right keys), the product column on every page; below the table the highlighted loan's
next payment, overdue total and negotiation stage are always shown.
`s` cycles the sort column and a click on a header sorts by it (again: the other direction).
Enter (or a click on the highlighted row) opens that loan's detail (step 3), `i` the inbox of
messages from the bank; the loans are read again whenever this screen comes back on top, so a
payment made on a later screen shows at once. Escape logs out.

Loans are read by a thread worker through the services (the later steps' screens were
imported when the database was opened: WsnegoApp.SCREENS_AHEAD). Never touches the database
on the UI thread and never shows data as markup: every cell is a rich Text of
`safe_text(value)`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from wsnego_tui.core.views import CustomerView, LoanStatus, LoanSummary
from wsnego_tui.i18n import Translator, enum_label, stage_label
from wsnego_tui.screens.base import WsnegoScreen
from wsnego_tui.widgets.cells import money_cell, number_cell, text_cell
from wsnego_tui.widgets.footer import KeyFooter
from wsnego_tui.widgets.line_table import LineColumn, LineTable, heading_width
from wsnego_tui.widgets.safe_text import safe_text
from wsnego_tui.widgets.title_bar import TitleBar

log = logging.getLogger(__name__)

# The order a borrower worries in: broken and overdue loans before calm ones.
_STATUS_ORDER = {
    LoanStatus.BROKEN: 0,
    LoanStatus.OVERDUE: 1,
    LoanStatus.NEGOTIATED: 2,
    LoanStatus.CURRENT: 3,
    LoanStatus.SETTLED: 4,
    LoanStatus.CLOSED: 5,
}


@dataclass(frozen=True)
class LoanColumn:
    """One column of the table: its key, header text key, cell, sort value, first direction."""

    key: str
    label_key: str
    cell: Callable[[Translator, LoanSummary], Text]
    sort_value: Callable[[Translator, LoanSummary], Any]
    descending_first: bool = False
    right_aligned: bool = False


def _none(tr: Translator) -> str:
    return tr("loans.none")


def _date_cell(tr: Translator, day: dt.date | None) -> Text:
    return text_cell(tr.date(day) if day else _none(tr))


def _stage(tr: Translator, loan: LoanSummary) -> str:
    return stage_label(tr.lang, loan.negotiation_stage) if loan.negotiation_stage else ""


def _product(tr: Translator, loan: LoanSummary) -> str:
    return loan.product_zh if tr.lang == "zh" else loan.product_en


def _money(attribute: str, label_key: str) -> LoanColumn:
    def cell(tr: Translator, loan: LoanSummary) -> Text:
        return money_cell(getattr(loan, attribute), _none(tr))

    def value(tr: Translator, loan: LoanSummary) -> Decimal | None:
        return getattr(loan, attribute)

    return LoanColumn(attribute, label_key, cell, value, descending_first=True, right_aligned=True)


# What is wrong now comes first (status, what is owed and overdue, what is due next), the
# history (principal, repaid) and the negotiation stage after; the product column stays put
# when the table scrolls sideways, and the highlighted loan's details show below the table.
COLUMNS: tuple[LoanColumn, ...] = (
    LoanColumn(
        "product",
        "loans.col.product",
        lambda tr, loan: text_cell(_product(tr, loan)),
        _product,
    ),
    LoanColumn(
        "status",
        "loans.col.status",
        lambda tr, loan: text_cell(enum_label(tr.lang, "status", loan.status)),
        lambda tr, loan: _STATUS_ORDER.get(loan.status, len(_STATUS_ORDER)),
    ),
    _money("outstanding_principal", "loans.col.outstanding"),
    _money("overdue_principal", "loans.col.overdue_principal"),
    _money("overdue_interest", "loans.col.overdue_interest"),
    _money("overdue_penalty", "loans.col.overdue_penalty"),
    LoanColumn(
        "days_past_due",
        "loans.col.days_past_due",
        lambda tr, loan: number_cell(str(loan.days_past_due)),
        lambda tr, loan: loan.days_past_due,
        descending_first=True,
        right_aligned=True,
    ),
    LoanColumn(
        "next_due_date",
        "loans.col.next_due_date",
        lambda tr, loan: _date_cell(tr, loan.next_due_date),
        lambda tr, loan: loan.next_due_date,
    ),
    _money("next_due_amount", "loans.col.next_due_amount"),
    _money("principal", "loans.col.principal"),
    _money("repaid_principal", "loans.col.repaid"),
    LoanColumn(
        "stage",
        "loans.col.stage",
        lambda tr, loan: text_cell(_stage(tr, loan) or _none(tr)),
        lambda tr, loan: _stage(tr, loan) or None,
    ),
)

_COLUMN_BY_KEY = {column.key: column for column in COLUMNS}


def sort_loans(
    tr: Translator, loans: list[LoanSummary], column_key: str | None, descending: bool
) -> list[LoanSummary]:
    """The loans ordered by a column; loans without a value (no next due date) always last,
    ties in loan-number order. No column: the order the services gave."""
    if column_key is None:
        return list(loans)
    column = _COLUMN_BY_KEY[column_key]
    by_number = sorted(loans, key=lambda loan: loan.loan_no)
    present = [loan for loan in by_number if column.sort_value(tr, loan) is not None]
    missing = [loan for loan in by_number if column.sort_value(tr, loan) is None]
    present.sort(key=lambda loan: column.sort_value(tr, loan), reverse=descending)
    return present + missing


def column_pages(widths: list[int], available: int) -> list[list[int]]:
    """Split columns (by index, rendered widths in cells) into pages that fit `available`
    cells; the first column (the product) starts every page. A column is never split: a
    money amount cut at the screen edge (¥4,498 of ¥4,498.77) would be misread."""
    if not widths:
        return [[]]
    first, rest = widths[0], list(enumerate(widths))[1:]
    pages: list[list[int]] = []
    current: list[int] = [0]
    used = first
    for index, width in rest:
        if len(current) > 1 and used + width > available:
            pages.append(current)
            current, used = [0], first
        current.append(index)
        used += width
    pages.append(current)
    return pages


class LoansScreen(WsnegoScreen[None]):
    """My Loans for one customer; dropped entirely (with its data) on log-out."""

    AUTO_FOCUS = "LineTable"

    STEP_KEY = "step.loans"

    BINDINGS = [
        Binding("enter", "open_loan", "Loan detail", id="loans.open", priority=True),
        Binding("i", "inbox", "Inbox", id="loans.inbox"),
        Binding("s", "cycle_sort", "Sort", id="loans.sort"),
        Binding("left", "column_page(-1)", "Columns", id="loans.columns_previous", priority=True),
        Binding("right", "column_page(1)", "More columns", id="loans.columns_next", priority=True),
        Binding("r", "reload", "Refresh", id="loans.refresh"),
        Binding("escape", "logout", "Log out", id="loans.logout"),
    ]

    CELL_PADDING = 1
    """The table's cell padding, on each side of every cell."""
    SCROLLBAR_ALLOWANCE = 2
    """Kept free for the vertical scrollbar when there are more loans than lines."""

    class Loaded(Message):
        """The loans worker's answer (None when the services failed)."""

        def __init__(self, loans: list[LoanSummary] | None) -> None:
            super().__init__()
            self.loans = loans

    def __init__(self, customer: CustomerView) -> None:
        super().__init__(id="loans")
        self.customer = customer
        self.loans: list[LoanSummary] | None = None
        self.reading = False  # a read is under way (Textual's own `loading` would cover the screen)
        self.failed = False
        self.sort_column: str | None = None
        self.sort_descending = False
        self.column_page = 0
        self._filled_lang: str | None = None
        self._pages: list[list[int]] = [list(range(len(COLUMNS)))]
        self.shown_ids: list[int] = []  # the loans in the table, row by row

    def compose(self) -> ComposeResult:
        yield TitleBar(icon="¥")
        with Vertical(id="loans-panel"):
            yield Static("", id="loans-greeting", markup=False)
            yield Static("", id="loans-summary", markup=False)
            yield LineTable(id="loans-table", zebra_stripes=True, cell_padding=self.CELL_PADDING)
            yield Static("", id="loans-selected", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.action_reload()

    def on_screen_resume(self) -> None:
        """Back on top (after a loan's detail, a payment, the inbox): read the loans again."""
        if self.loans is not None:
            self.action_reload()

    # Loading --------------------------------------------------------------------------------

    def action_reload(self) -> None:
        if self.reading:
            return
        self.reading = True
        self.failed = False
        self._show_summary()
        self.refresh_bindings()
        self._load(self.customer.id)

    @work(thread=True, exclusive=True, group="loans", exit_on_error=False)
    def _load(self, customer_id: int) -> None:
        try:
            loans = self.app.services.loans_of(customer_id)
        except Exception:
            log.exception("reading the loans failed")
            self.post_message(self.Loaded(None))
            return
        self.post_message(self.Loaded(list(loans)))

    def on_loans_screen_loaded(self, message: Loaded) -> None:
        # Back from a loan with nothing changed: the table already shows these loans, and
        # filling it again would redraw every cell.
        unchanged = message.loans is not None and message.loans == self.loans and self._filled_lang == self.app.lang
        self.reading = False
        self.failed = message.loans is None
        if message.loans is not None:
            self.loans = message.loans
        if not unchanged:
            self._fill_table()
        self.refresh_bindings()

    # Bindings -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cycle_sort":
            return bool(self.loans) and len(self.loans) > 1
        if action == "column_page":
            step = parameters[0] if parameters else 1
            return isinstance(step, int) and 0 <= self.column_page + step < len(self._pages)
        if action == "reload":
            return not self.reading
        if action == "open_loan":
            return self.selected_loan_id is not None
        return True

    def action_open_loan(self, loan_id: int | None = None) -> None:
        """Step 3: the detail of the highlighted loan (or of `loan_id`)."""
        from wsnego_tui.screens.loan_detail import LoanDetailScreen

        loan_id = self.selected_loan_id if loan_id is None else loan_id
        if loan_id is not None:
            self.app.push_screen(LoanDetailScreen(self.customer, loan_id))

    def action_inbox(self) -> None:
        from wsnego_tui.screens.inbox import InboxScreen

        self.app.push_screen(InboxScreen(self.customer))

    @on(LineTable.RowSelected)
    def _row_clicked(self, event: LineTable.RowSelected) -> None:
        """A click on the highlighted row opens it (Enter is the screen's own key, so this is
        the mouse; the first click on a row highlights it)."""
        if 0 <= event.row < len(self.shown_ids):
            self.action_open_loan(self.shown_ids[event.row])

    def action_column_page(self, step: int) -> None:
        page = self.column_page + step
        if 0 <= page < len(self._pages):
            self.column_page = page
            self._fill_table()
            self.refresh_bindings()

    def action_cycle_sort(self) -> None:
        keys = [column.key for column in COLUMNS]
        following = 0 if self.sort_column is None else (keys.index(self.sort_column) + 1) % len(keys)
        self._sort_by(keys[following], _COLUMN_BY_KEY[keys[following]].descending_first, show_column=True)

    @on(LineTable.HeaderSelected)
    def _header_clicked(self, event: LineTable.HeaderSelected) -> None:
        key = COLUMNS[self._pages[self.column_page][event.column]].key
        if key == self.sort_column:
            self._sort_by(key, not self.sort_descending)
        else:
            self._sort_by(key, _COLUMN_BY_KEY[key].descending_first)

    def _sort_by(self, column_key: str, descending: bool, *, show_column: bool = False) -> None:
        if not self.loans:
            return
        self.sort_column = column_key
        self.sort_descending = descending
        if show_column:
            index = [column.key for column in COLUMNS].index(column_key)
            self.column_page = next(
                (number for number, page in enumerate(self._pages) if index in page), self.column_page
            )
        self._fill_table()
        self.refresh_bindings()

    def action_logout(self) -> None:
        self.app.logout()

    def on_resize(self) -> None:
        if self.loans is not None and self._pages != self._paginate(self.shown_loans)[1]:
            self._fill_table()
            self.refresh_bindings()

    # Showing --------------------------------------------------------------------------------

    @property
    def shown_loans(self) -> list[LoanSummary]:
        """The loans in the order the table shows them."""
        return sort_loans(self.tr, self.loans or [], self.sort_column, self.sort_descending)

    @property
    def shown_columns(self) -> list[str]:
        """The keys of the columns on the current page."""
        return [COLUMNS[index].key for index in self._pages[self.column_page]]

    @property
    def selected_loan_id(self) -> int | None:
        """The loan under the cursor (for the loan detail step), or None."""
        table = self.query_one(LineTable)
        if not self.loans or not 0 <= table.cursor_row < min(table.row_count, len(self.shown_ids)):
            return None
        return self.shown_ids[table.cursor_row]

    def refresh_texts(self) -> None:
        self._fill_table()

    def _paginate(self, loans: list[LoanSummary]) -> tuple[list[int], list[list[int]]]:
        """Each column's content width (cells) and the pages of columns that fit the table."""
        tr = self.tr
        widths = []
        for column in COLUMNS:
            label_width = heading_width(tr(column.label_key))
            cells_width = max((column.cell(tr, loan).cell_len for loan in loans), default=0)
            widths.append(max(label_width, cells_width))
        table = self.query_one(LineTable)
        region = table.scrollable_content_region
        header_lines = max(tr(column.label_key).count("\n") + 1 for column in COLUMNS)
        scrollbar = self.SCROLLBAR_ALLOWANCE if len(loans) + header_lines > region.height else 0
        available = region.width - scrollbar
        if available <= 0:
            return widths, [list(range(len(COLUMNS)))]
        return widths, column_pages([width + 2 * self.CELL_PADDING for width in widths], available)

    def _fill_table(self) -> None:
        tr = self.tr
        self._filled_lang = tr.lang
        self.query_one("#loans-greeting", Static).update(
            Content(
                tr(
                    "loans.greeting",
                    name=safe_text(self.customer.name),
                    customer_no=safe_text(self.customer.customer_no),
                )
            )
        )
        table = self.query_one(LineTable)
        keep = self.selected_loan_id
        loans = self.shown_loans
        widths, self._pages = self._paginate(loans)
        self.column_page = min(self.column_page, len(self._pages) - 1)
        indexes = self._pages[self.column_page]
        columns = [COLUMNS[index] for index in indexes]
        self.shown_ids = [loan.loan_id for loan in loans]
        table.set_table(
            [LineColumn(tr(column.label_key), widths[index], right=column.right_aligned) for index, column in zip(indexes, columns)],
            [[column.cell(tr, loan) for column in columns] for loan in loans],
            cursor_row=self.shown_ids.index(keep) if keep in self.shown_ids else 0,
        )
        self._show_summary()
        self._show_selected()

    def _show_summary(self) -> None:
        tr = self.tr
        summary = self.query_one("#loans-summary", Static)
        summary.set_class(self.failed, "-error")
        if self.reading and self.loans is None:
            summary.update(Content(tr("loans.loading")))
        elif self.failed:
            summary.update(Content(tr("loans.failed")))
        elif not self.loans:
            summary.update(Content(tr("loans.empty")))
        else:
            parts = [
                tr.fill(
                    "loans.summary",
                    count=len(self.loans),
                    outstanding=sum((loan.outstanding_principal for loan in self.loans), Decimal(0)),
                    overdue=sum((loan.overdue_total for loan in self.loans), Decimal(0)),
                )
            ]
            if self.sort_column is not None:
                column_name = tr(_COLUMN_BY_KEY[self.sort_column].label_key).replace("\n", " ")
                direction = tr("loans.sort.desc" if self.sort_descending else "loans.sort.asc")
                parts.append(tr("loans.sorted", column=column_name, direction=direction))
            if len(self._pages) > 1:
                parts.append(tr("loans.columns_page", page=self.column_page + 1, pages=len(self._pages)))
            summary.update(Content("   ".join(parts)))

    @on(LineTable.CursorMoved)
    def _show_selected(self) -> None:
        tr = self.tr
        selected = self.query_one("#loans-selected", Static)
        loan_id = self.selected_loan_id
        loan = next((loan for loan in self.loans or [] if loan.loan_id == loan_id), None)
        if loan is None:
            selected.update("")
            return
        none = _none(tr)
        lines = [
            tr("loans.selected", product=safe_text(_product(tr, loan)), loan_no=safe_text(loan.loan_no)),
            tr(
                "loans.selected.details",
                date=tr.date(loan.next_due_date) if loan.next_due_date else none,
                amount=tr.money(loan.next_due_amount) if loan.next_due_amount is not None else none,
                overdue=tr.money(loan.overdue_total),
                stage=safe_text(_stage(tr, loan)) or none,
            ),
        ]
        selected.update(Content("\n".join(lines)))
