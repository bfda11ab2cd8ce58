"""Messages from the bank (消息): the borrower's inbox, newest first, unread ones marked.

Each notification is phrased here from its kind and parameters in the UI language (materials
requested, offer ready, rejected, expired, an officer reviews it, plan active, installment due,
plan broken, settled): a short title in the table and the whole message below it for the
highlighted row. Enter marks the message read (services.mark_read) and, when it belongs to an
application, opens that application's progress (ProgressScreen); on a reminder of an
installment due soon, it opens the payment of that loan (RepayScreen). `r` reads again; Esc goes
back. Coming back to the screen reads the inbox again.

Never touches the database on the UI thread (services in thread workers) and never shows data
as markup: cells are rich Text of `safe_text`, the message Content.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from wsnego_tui.i18n import Translator, has_key
from wsnego_tui.screens.base import WsnegoScreen
from wsnego_tui.screens.progress import proof_names, rule_text
from wsnego_tui.widgets.footer import KeyFooter
from wsnego_tui.widgets.line_table import LineTable, fitted_columns
from wsnego_tui.widgets.safe_text import safe_text
from wsnego_tui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from wsnego_tui.core.views import CustomerView, NotificationView

log = logging.getLogger(__name__)


def _date_param(tr: Translator, value: object) -> str:
    try:
        return tr.date(dt.date.fromisoformat(str(value)))
    except ValueError:
        return safe_text(str(value or ""))


def _money_param(tr: Translator, value: object) -> str:
    try:
        return tr.money(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return safe_text(str(value or ""))


def notification_title(tr: Translator, note: NotificationView) -> str:
    key = f"inbox.title.{note.kind}"
    return tr(key) if has_key(key) else safe_text(note.kind)


def notification_text(tr: Translator, note: NotificationView) -> str:
    """The whole message, phrased from the notification's kind and parameters, with what an
    officer wrote (a materials request's message, what would change a rejection) after it."""
    text = _notification_body(tr, note)
    p = note.params or {}
    written = p.get("message") if note.kind == "materials_requested" else p.get("remedy") if note.kind == "rejected" else None
    if isinstance(written, str) and safe_text(written).strip():
        text = f"{text}\n{tr('progress.officer_note', note=safe_text(written).strip())}"
    return text


def _notification_body(tr: Translator, note: NotificationView) -> str:
    p = note.params or {}
    kind = note.kind
    if kind == "materials_requested":
        missing = p.get("missing")
        kinds = missing if isinstance(missing, list) else [missing] if missing else []
        return tr("inbox.body.materials_requested", missing=proof_names(tr, kinds), answer_by=_date_param(tr, p.get("answer_by")))
    if kind == "offer_ready":
        return tr("inbox.body.offer_ready", count=safe_text(str(p.get("count", ""))), expires=_date_param(tr, p.get("expires")))
    if kind == "rejected":
        return tr("inbox.body.rejected", rule=rule_text(tr, p.get("rule", "")))
    if kind == "expired":
        key = f"progress.reason.deadline.{p.get('was')}"
        return tr("inbox.body.expired", why=tr(key) if has_key(key) else "")
    if kind == "plan_active":
        return tr(
            "inbox.body.plan_active",
            months=safe_text(str(p.get("months", ""))),
            installment=_money_param(tr, p.get("installment")),
        )
    if kind == "installment_due":
        due = p.get("due_date") or p.get("due_on") or p.get("date")
        if due is None or p.get("amount") is None:
            return tr("inbox.body.installment_due.plain")
        return tr("inbox.body.installment_due", due_date=_date_param(tr, due), amount=_money_param(tr, p.get("amount")))
    key = f"inbox.body.{kind}"
    return tr(key) if has_key(key) else tr("inbox.body.unknown")


def _opens_repay(note: NotificationView) -> bool:
    """A reminder of an installment due soon leads to paying it."""
    return note.kind == "installment_due" and note.loan_id is not None


class InboxScreen(WsnegoScreen[None]):
    """The logged-in customer's messages."""

    AUTO_FOCUS = "LineTable"

    STEP_KEY = "step.inbox"

    BINDINGS = [
        Binding("enter", "open", "Open", id="inbox.open", priority=True),
        Binding("r", "reload", "Refresh", id="inbox.refresh"),
        Binding("escape", "back", "Back", id="inbox.back"),
    ]

    class Loaded(Message):
        def __init__(self, notes: list[NotificationView] | None) -> None:
            super().__init__()
            self.notes = notes

    class Marked(Message):
        def __init__(self, note: NotificationView, ok: bool) -> None:
            super().__init__()
            self.note = note
            self.ok = ok

    def __init__(self, customer: CustomerView) -> None:
        super().__init__(id="inbox")
        self.customer = customer
        self.notes: list[NotificationView] | None = None
        self.reading = False  # a read is under way (Textual's own `loading` would cover the screen)
        self.failed = False
        self.shown_ids: list[int] = []  # the notes in the table, row by row

    def compose(self) -> ComposeResult:
        yield TitleBar(icon="¥")
        with Vertical(id="inbox-panel"):
            yield Static(self.tr("inbox.loading"), id="inbox-summary", markup=False)
            yield LineTable(id="inbox-table")
            yield Static("", id="inbox-detail", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.action_reload()

    def on_screen_resume(self) -> None:
        if self.notes is not None:
            self.action_reload()

    # Reading ----------------------------------------------------------------------------------

    def action_reload(self) -> None:
        if self.reading or self.app.services is None:
            return
        self.reading = True
        self.refresh_bindings()
        self._load(self.customer.id)

    @work(thread=True, exclusive=True, group="inbox", exit_on_error=False)
    def _load(self, customer_id: int) -> None:
        try:
            notes = self.app.services.inbox(customer_id)
        except Exception:
            log.exception("reading the inbox failed")
            self.post_message(self.Loaded(None))
            return
        self.post_message(self.Loaded(list(notes)))

    def on_inbox_screen_loaded(self, message: Loaded) -> None:
        self.reading = False
        self.failed = message.notes is None
        if message.notes is not None:
            self.notes = message.notes
        self._fill()

    # Showing ----------------------------------------------------------------------------------

    @property
    def selected(self) -> NotificationView | None:
        table = self.query_one(LineTable)
        if not self.notes or not self.shown_ids:
            return None
        shown = self.shown_ids[table.cursor_row]
        return next((note for note in self.notes if note.id == shown), None)

    def refresh_texts(self) -> None:
        self._fill()

    def _fill(self) -> None:
        tr = self.tr
        summary = self.query_one("#inbox-summary", Static)
        summary.set_class(self.failed, "-error")
        table = self.query_one(LineTable)
        keep = self.selected.id if self.selected else None
        if not self.notes:
            self.shown_ids = []
            table.clear()
        if self.notes is None:
            summary.update(Content(tr("inbox.failed" if self.failed else "inbox.loading")))
        elif not self.notes:
            summary.update(Content(tr("inbox.empty")))
        else:
            unread = sum(1 for note in self.notes if not note.read)
            text = tr("inbox.summary", count=len(self.notes), unread=unread)
            summary.update(Content(text if not self.failed else f"{text}   {tr('inbox.failed')}"))
            rows = []
            for note in self.notes:
                style = "" if note.read else "bold"
                rows.append(
                    (
                        Text(tr("inbox.read" if note.read else "inbox.unread"), style=style, no_wrap=True, end=""),
                        Text(tr.datetime(note.created_at), style=style, no_wrap=True, end=""),
                        Text(notification_title(tr, note), style=style, no_wrap=True, end=""),
                    )
                )
            headings = [(tr(f"inbox.col.{key}"), False) for key in ("state", "time", "title")]
            self.shown_ids = [note.id for note in self.notes]
            cursor = self.shown_ids.index(keep) if keep in self.shown_ids else 0
            table.set_table(fitted_columns(headings, rows), rows, cursor_row=cursor)
        self._show_detail()
        self.refresh_bindings()

    @on(LineTable.CursorMoved)
    def _show_detail(self) -> None:
        tr = self.tr
        detail = self.query_one("#inbox-detail", Static)
        note = self.selected
        if note is None:
            detail.update("")
            return
        lines = [notification_text(tr, note)]
        if note.application_id is not None:
            lines.append(tr("inbox.open_hint"))
        elif _opens_repay(note):
            lines.append(tr("inbox.open_hint.repay"))
        detail.update(Content("\n".join(lines)))

    # Actions ----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open":
            return self.selected is not None
        if action == "reload":
            return not self.reading
        return True

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_open(self) -> None:
        note = self.selected
        if note is None:
            return
        if note.application_id is not None:
            from wsnego_tui.screens.progress import ProgressScreen

            self.app.push_screen(ProgressScreen(self.customer, note.application_id))
        elif _opens_repay(note):
            from wsnego_tui.screens.repay import RepayScreen

            assert note.loan_id is not None
            self.app.push_screen(RepayScreen(self.customer, note.loan_id))
        if not note.read:
            self._mark(self.customer.id, note)

    @work(thread=True, group="inbox-mark", exit_on_error=False)
    def _mark(self, customer_id: int, note: NotificationView) -> None:
        try:
            self.app.services.mark_read(customer_id, note.id)
        except Exception:
            log.exception("marking a message read failed")
            self.post_message(self.Marked(note, False))
            return
        self.post_message(self.Marked(note, True))

    def on_inbox_screen_marked(self, message: Marked) -> None:
        if message.ok and self.notes is not None:
            from dataclasses import replace

            self.notes = [replace(note, read=True) if note.id == message.note.id else note for note in self.notes]
            self._fill()
