"""The officer's queue: applications waiting for a decision, soonest deadline first.

One page of the queue at a time, read by `OfficerServices.queue` (filtered, sorted and paged in
SQL) in a thread worker. Filters change the query itself: `k` cycles the kind (any, first,
second, settlement), `s` the status (waiting for an officer, materials requested, offer issued,
accepted, submitted), `g` the age since submission (any, 7+ days, 14+ days, up to 3 days), `2`
the second approval (any, awaiting it, not awaiting it). `n`/PgDn and `p`/PgUp page, Enter
opens the case (screens.officer_case), `r` reads the page again, Esc logs out. Every filter
change and page starts at a new request number; an answer to an older request is dropped,
so keys pressed quickly never show a stale page.

The table fits a 100-column terminal: dates without the year (the Left column counts the days),
short kind and status names, the name column capped at `NAME_WIDTH` cells; the loan number is
in the case view. So does the Footer: when the queue has more than one page, `n` and `p` are
shown together under one word ("n p 翻页") and `r` (which still works) leaves the Footer for
the status line.

Never touches the database on the UI thread and never shows data as markup (cells are
`text_cell`/`money_cell`, safe_text applied).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from wsnego_tui.core.clock import CHINA_TZ
from wsnego_tui.i18n import enum_label, has_key, t
from wsnego_tui.screens.base import WsnegoScreen
from wsnego_tui.widgets.cells import money_cell, number_cell, text_cell
from wsnego_tui.widgets.safe_text import safe_text
from wsnego_tui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from textual.binding import ActiveBinding

    from wsnego_tui.core.views_officer import OfficerView, QueueFilter, QueuePage
    from wsnego_tui.officer_app import OfficerApp

log = logging.getLogger(__name__)

KINDS: tuple[str | None, ...] = (None, "first", "second", "settlement")
STATUSES: tuple[str | None, ...] = (None, "materials_requested", "offer_issued", "accepted", "submitted")
AGES: tuple[tuple[int | None, int | None], ...] = ((None, None), (7, None), (14, None), (None, 3))
APPROVALS: tuple[bool | None, ...] = (None, True, False)
NAME_WIDTH = 8
"""The name column's width in terminal cells (four Chinese characters)."""
COLUMNS = ("no", "deadline", "left", "kind", "status", "customer", "name", "filed", "waiver", "approval")
PAGES = Binding.Group("binding.queue.pages")
"""The Footer group of `n` and `p`; its description is a translation key (`active_bindings`)."""


def month_day(moment: dt.datetime | None) -> str:
    """`12-19`: the Beijing date of `moment` without the year (the queue's deadlines are weeks
    away, the Left column says how many days), or "-"."""
    return moment.astimezone(CHINA_TZ).strftime("%m-%d") if moment else "-"


def short_label(lang: str, what: str, value: str) -> str:
    """The queue's short name of a kind or status (`queue.kind.first`), or the usual label."""
    key = f"queue.{what}.{value}"
    if has_key(key):
        return t(lang, key)
    return enum_label(lang, "kind" if what == "kind" else "stage", value)


@dataclass(frozen=True)
class QueueChoice:
    """The filter as the screen's keys set it: an index into each cycle above."""

    kind: int = 0
    status: int = 0
    age: int = 0
    approval: int = 0

    def as_filter(self) -> QueueFilter:
        from wsnego_tui.core.views_officer import QueueFilter

        kind, status = KINDS[self.kind], STATUSES[self.status]
        low, high = AGES[self.age]
        return QueueFilter(
            kinds=(kind,) if kind else (),  # type: ignore[arg-type]
            statuses=(status,) if status else (),  # type: ignore[arg-type]
            min_age_days=low, max_age_days=high, awaiting_second_approval=APPROVALS[self.approval],
        )


class QueueScreen(WsnegoScreen[None]):
    """The queue of the logged-in officer."""

    STEP_KEY = "step.officer.queue"
    PAGE_SIZE = 15

    BINDINGS = [
        Binding("enter", "open_case", "Open", id="queue.open", priority=True),
        Binding("k", "cycle('kind')", "Kind", id="queue.kind"),
        Binding("s", "cycle('status')", "Status", id="queue.status"),
        Binding("g", "cycle('age')", "Age", id="queue.age"),
        Binding("2", "cycle('approval')", "Second approval", id="queue.approval"),
        Binding("n", "page(1)", "Next page", id="queue.next", group=PAGES),
        Binding("pagedown", "page(1)", "Next page", id="queue.next", show=False, priority=True),
        Binding("p", "page(-1)", "Previous page", id="queue.previous", group=PAGES),
        Binding("pageup", "page(-1)", "Previous page", id="queue.previous", show=False, priority=True),
        Binding("r", "reload", "Refresh", id="queue.refresh"),
        Binding("escape", "logout", "Log out", id="queue.logout"),
    ]

    app: OfficerApp

    class Loaded(Message):
        def __init__(self, request: int, page: QueuePage | None) -> None:
            super().__init__()
            self.request = request
            self.page = page

    def __init__(self, officer: OfficerView) -> None:
        super().__init__(id="officer-queue")
        self.officer = officer
        self.choice = QueueChoice()
        self.page_no = 0
        self.page: QueuePage | None = None
        self.request = 0
        self.shown_request = 0
        """The request whose rows the table shows (benchmarks and tests wait for it)."""
        self.failed = False
        self._keys_shown: tuple[bool, ...] = ()

    def compose(self) -> ComposeResult:
        yield TitleBar(icon="¥")
        with Vertical(id="queue-panel"):
            yield Static("", id="queue-heading", classes="heading", markup=False)
            yield Static("", id="queue-filters", markup=False)
            yield DataTable(id="queue-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="queue-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.refresh_texts()
        self.query_one(DataTable).focus()
        self.load()

    # Loading --------------------------------------------------------------------------------

    def load(self) -> None:
        """Read the current page of the current filter (in a worker)."""
        self.request += 1
        self.failed = False
        self._show_status()
        self._read(self.request, self.choice, self.page_no)

    @work(thread=True, group="queue", exit_on_error=False)
    def _read(self, request: int, choice: QueueChoice, page_no: int) -> None:
        try:
            page = self.app.officer_services.queue(  # type: ignore[union-attr]
                self.officer.id, choice.as_filter(), page=page_no, page_size=self.PAGE_SIZE
            )
        except Exception:
            log.exception("reading the queue failed")
            page = None
        self.post_message(self.Loaded(request, page))

    def on_queue_screen_loaded(self, message: Loaded) -> None:
        if message.request != self.request:
            return  # an answer to a filter or page that is no longer asked for
        if message.page is None:
            self.failed = True
        else:
            self.page = message.page
            if self.page.rows == () and self.page_no > 0 and self.page.total:
                self.page_no = self.page.pages - 1
                self.load()
                return
            self._fill()
        self.shown_request = message.request
        self._show_status()
        keys = self._key_state()
        if keys != self._keys_shown:  # the Footer rebuilds itself on every refresh: only when needed
            self._keys_shown = keys
            self.refresh_bindings()

    def _key_state(self) -> tuple[bool, ...]:
        return (self._paged, *(bool(self.check_action(action, params)) for action, params in
                               (("open_case", ()), ("page", (1,)), ("page", (-1,)))))

    @property
    def _paged(self) -> bool:
        """Whether the queue has more than one page (so the Footer offers `n`/`p`)."""
        return self.page is not None and self.page.pages > 1

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """The bindings as the Footer and the help list show them: the `n`/`p` group's word
        translated, and, while the queue has several pages, `r` not shown (it still works; the
        status line names it) so that every key shown fits 100 columns."""
        bindings = super().active_bindings
        group = Binding.Group(self.tr(PAGES.description))
        for key, active in bindings.items():
            binding = active.binding
            if binding.group == PAGES:
                bindings[key] = active._replace(binding=replace(binding, group=group))
            elif binding.id == "queue.refresh" and self._paged:
                bindings[key] = active._replace(binding=replace(binding, show=False))
        return bindings

    # Texts ----------------------------------------------------------------------------------

    def refresh_texts(self) -> None:
        tr = self.tr
        role = tr(f"officer.role.{self.officer.role}")
        self.query_one("#queue-heading", Static).update(
            Content(tr("queue.heading", name=safe_text(self.officer.name), number=safe_text(self.officer.officer_no),
                       role=role)))
        self._show_filters()
        self._fill()
        self._show_status()

    def _show_filters(self) -> None:
        tr = self.tr
        c = self.choice
        kind = KINDS[c.kind]
        status = STATUSES[c.status]
        parts = [
            tr("queue.filter.kind", value=enum_label(tr.lang, "kind", kind) if kind else tr("queue.filter.any")),
            tr("queue.filter.status", value=enum_label(tr.lang, "stage", status) if status else tr("queue.filter.waiting")),
            tr("queue.filter.age", value=tr(f"queue.age.{c.age}")),
            tr("queue.filter.approval", value=tr(f"queue.approval.{c.approval}")),
        ]
        self.query_one("#queue-filters", Static).update(Content("   ".join(parts)))

    def _show_status(self) -> None:
        tr = self.tr
        widget = self.query_one("#queue-status", Static)
        if self.failed:
            text = tr("queue.failed")
        elif self.shown_request != self.request:
            text = tr("queue.loading")
        elif self.page is None or self.page.total == 0:
            text = tr("queue.empty")
        else:
            page = self.page
            first = page.page * page.page_size + 1
            text = tr("queue.page", first=first, last=first + len(page.rows) - 1, total=page.total,
                      page=page.page + 1, pages=page.pages)
            if self._paged:
                text += tr("queue.refresh_hint")
        widget.update(Content(text))
        widget.set_class(self.failed, "-error")

    def _fill(self) -> None:
        tr = self.tr
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        rows, keys = [], []
        for row in self.page.rows if self.page is not None else ():
            keys.append(str(row.application_id))
            days = "-" if row.days_left is None else str(row.days_left)
            approval = tr("queue.awaiting", officer=safe_text(row.proposed_by or "")) if row.awaiting_second_approval else ""
            rows.append((
                number_cell(str(row.application_id)),
                text_cell(month_day(row.deadline_at)),
                number_cell(days),
                text_cell(short_label(tr.lang, "kind", row.kind)),
                text_cell(short_label(tr.lang, "status", row.status)),
                text_cell(row.customer_no_masked),
                text_cell(row.customer_name),
                text_cell(month_day(row.submitted_at)),
                money_cell(row.recommended_waiver),
                text_cell(approval),
            ))
        # Widths set from the header and the cells (wide characters counting two), never left
        # to the table's own measuring, which happens later, when idle: a page drawn before it
        # would show cut cells. Names get NAME_WIDTH cells, longer ones are cut (by whole cells:
        # a wide character that does not fit leaves a space), so the table fits 100 columns.
        headers = [Text(tr(f"queue.col.{key}"), end="") for key in COLUMNS]
        widths = [max([header.cell_len] + [cells[i].cell_len for cells in rows]) for i, header in enumerate(headers)]
        widths[COLUMNS.index("name")] = NAME_WIDTH
        table.clear(columns=True)
        for key, header, width in zip(COLUMNS, headers, widths):
            table.add_column(header, key=key, width=width)
        for key, cells in zip(keys, rows):
            table.add_row(*cells, key=key)
        if table.row_count:
            table.move_cursor(row=min(max(cursor, 0), table.row_count - 1))

    # Keys -----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        page = self.page
        if action == "open_case":
            return bool(page and page.rows)
        if action == "page":
            if page is None:
                return False
            step = parameters[0] if parameters else 1
            return 0 <= self.page_no + int(step) < page.pages  # type: ignore[call-overload]
        return True

    def action_cycle(self, which: str) -> None:
        sizes = {"kind": len(KINDS), "status": len(STATUSES), "age": len(AGES), "approval": len(APPROVALS)}
        current = getattr(self.choice, which)
        self.choice = QueueChoice(**{**self.choice.__dict__, which: (current + 1) % sizes[which]})
        self.page_no = 0
        self._show_filters()
        self.load()

    def action_page(self, step: int) -> None:
        if self.page is None or not 0 <= self.page_no + step < self.page.pages:
            return
        self.page_no += step
        self.load()

    def action_reload(self) -> None:
        self.load()

    def action_open_case(self) -> None:
        from wsnego_tui.screens.officer_case import CaseScreen

        table = self.query_one(DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        self.app.push_screen(CaseScreen(self.officer, int(key or 0)), lambda _: self.load())

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_case()

    def action_logout(self) -> None:
        self.app.logout()
