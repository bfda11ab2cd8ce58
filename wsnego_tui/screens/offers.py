"""Step 8, the offers (协商方案): every offer side by side with the plan in force.

One column per plan: the current plan (what is still owed on it) first, then each offer,
labelled (最短可负担期限, 最低月供, 先宽限后分期, 按您的申请, 一次性结清, 审核员方案); one row per
figure: installment, term, grace, end date, total paid, total interest, penalty and interest
waived, down payment, the annualized rate (nominal and effective, both labelled) and the
offer's expiry. Left/right choose a plan (the column cursor); below the table, a chart of the
payment each month and of the remaining principal, current plan against the chosen offer
(widgets.chart.BarChart, one band per plan on a shared scale).

Keys: Enter goes to the agreement (ConfirmScreen) for the chosen offer; `s` opens the full
schedule of the chosen plan (ScheduleScreen: period, due date, payment, interest, principal,
balance); `d` declines every offer after a yes/no question (services.decline_offers), which
ends the application; Esc goes back. The Footer offers only what the application's status
and the chosen column allow.

Never touches the database on the UI thread (services in thread workers) and never shows
data as markup: cells are rich Text, other texts Content; amounts are Decimal throughout.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Static

from wsnego_tui.i18n import Translator, enum_label, has_key
from wsnego_tui.screens.base import WsnegoScreen
from wsnego_tui.widgets.cells import money_cell, number_cell, text_cell
from wsnego_tui.widgets.chart import BarChart, ChartSeries
from wsnego_tui.widgets.footer import KeyFooter
from wsnego_tui.widgets.line_table import LineTable, fitted_columns
from wsnego_tui.widgets.safe_text import safe_text
from wsnego_tui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from wsnego_tui.core.views import (
        ApplicationView,
        CurrentPlanView,
        CustomerView,
        OfferView,
        ScheduleRowView,
    )

log = logging.getLogger(__name__)

SETTLEMENT = "settlement"


# -- DataTables (the offers comparison; shared with the officer console) --------------------------


def fill_table(
    table: DataTable[object],
    headers: Sequence[tuple[str, Text]],
    rows: Sequence[Sequence[Text]],
    *,
    row_keys: Sequence[str] | None = None,
    row_labels: Sequence[Text] | None = None,
) -> None:
    """Replace the table's columns and rows. Column widths are set from the widest header line
    and cell (in terminal cells, wide characters counting two), so right-aligned money lines up
    and a refill never keeps widths measured for other content."""
    table.clear(columns=True)
    widths = [
        max([cell_len(line) for line in header.plain.split("\n")] + [row[index].cell_len for row in rows])
        for index, (_, header) in enumerate(headers)
    ]
    table.header_height = max((header.plain.count("\n") + 1 for _, header in headers), default=1)
    for (key, header), width in zip(headers, widths):
        table.add_column(header, key=key, width=width)
    for index, row in enumerate(rows):
        table.add_row(
            *row,
            key=row_keys[index] if row_keys else None,
            label=row_labels[index] if row_labels else None,
        )


# -- how an offer reads (shared with the agreement) -------------------------------------------


def format_rate(pct: Decimal) -> str:
    """An annual rate in percent, to two decimals: 15.39%."""
    return f"{pct.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}%"


def offer_label(tr: Translator, offer: OfferView) -> str:
    """The offer's label in the UI language (may hold a line break, for column headers)."""
    key = f"offers.label.{offer.label}"
    return tr(key) if has_key(key) else safe_text(offer.label)


def offer_name(tr: Translator, number: int, offer: OfferView) -> str:
    """One line naming an offer: 方案2 最低月供 / Offer 2 Lowest installment."""
    return f"{tr('offers.col.offer', number=number)} {offer_label(tr, offer).replace(chr(10), ' ')}"


def is_settlement(offer: OfferView) -> bool:
    return offer.kind == SETTLEMENT


def term_text(tr: Translator, offer: OfferView) -> str:
    return tr("offers.term.one_payment") if is_settlement(offer) else tr("offers.term", months=offer.months)


def grace_text(tr: Translator, offer: OfferView) -> str:
    if not offer.grace_months:
        return tr("offers.dash")
    return tr("offers.grace", months=offer.grace_months)


def grace_kind_text(tr: Translator, offer: OfferView) -> str:
    key = f"offers.grace_kind.{offer.grace_kind}"
    return tr(key) if has_key(key) else safe_text(str(offer.grace_kind or ""))


@dataclass(frozen=True)
class FigureRow:
    """One row of the side-by-side table: a label, the offer's cell and the current plan's."""

    key: str
    offer_cell: Callable[[Translator, OfferView], Text]
    current_cell: Callable[[Translator, CurrentPlanView], Text]


def _dash(tr: Translator) -> Text:
    return number_cell(tr("offers.dash"))


def _date(tr: Translator, day: dt.date | None) -> Text:
    return number_cell(tr.date(day) if day else tr("offers.dash"))


FIGURES: tuple[FigureRow, ...] = (
    FigureRow(
        "installment",
        lambda tr, o: money_cell(o.installment),
        lambda tr, c: money_cell(c.installment, tr("offers.dash")),
    ),
    FigureRow(
        "term",
        lambda tr, o: number_cell(term_text(tr, o)),
        lambda tr, c: number_cell(tr("offers.term", months=c.remaining_months)),
    ),
    FigureRow("grace", lambda tr, o: number_cell(grace_text(tr, o)), lambda tr, c: _dash(tr)),
    FigureRow("end_date", lambda tr, o: _date(tr, o.end_date), lambda tr, c: _date(tr, c.end_date)),
    FigureRow("total_payment", lambda tr, o: money_cell(o.total_payment), lambda tr, c: money_cell(c.total_payment)),
    FigureRow("total_interest", lambda tr, o: money_cell(o.total_interest), lambda tr, c: money_cell(c.total_interest)),
    FigureRow("waived_penalty", lambda tr, o: money_cell(o.waived_penalty), lambda tr, c: _dash(tr)),
    FigureRow("waived_interest", lambda tr, o: money_cell(o.waived_interest), lambda tr, c: _dash(tr)),
    FigureRow("down_payment", lambda tr, o: money_cell(o.down_payment), lambda tr, c: _dash(tr)),
    FigureRow(
        "apr_nominal",
        lambda tr, o: number_cell(format_rate(o.apr_nominal_pct)) if o.apr_nominal_pct else _dash(tr),
        lambda tr, c: _dash(tr),
    ),
    FigureRow(
        "apr_effective",
        lambda tr, o: number_cell(format_rate(o.apr_effective_pct)) if o.apr_effective_pct else _dash(tr),
        lambda tr, c: _dash(tr),
    ),
    FigureRow(
        "expires",
        lambda tr, o: _date(tr, _bank_date(o.expires_at)) if o.expires_at is not None else _dash(tr),
        lambda tr, c: _dash(tr),
    ),
)


def _bank_date(instant: dt.datetime) -> dt.date:
    from wsnego_tui.core.clock import CHINA_TZ

    return instant.astimezone(CHINA_TZ).date() if instant.tzinfo else instant.date()


# -- the full schedule --------------------------------------------------------------------------


class ScheduleScreen(WsnegoScreen[None]):
    """The full schedule of one offer, or what is still owed on the current plan (offer None)."""

    AUTO_FOCUS = "LineTable"

    STEP_KEY = "step.offers"

    BINDINGS = [Binding("escape", "close", "Close", id="offers.schedule_close")]

    COLUMNS = ("period", "due_date", "payment", "interest", "principal", "balance")

    def __init__(self, rows: tuple[ScheduleRowView, ...], offer: OfferView | None = None, number: int = 0) -> None:
        super().__init__(id="offer-schedule")
        self.rows = rows
        self.offer = offer
        self.number = number

    def compose(self) -> ComposeResult:
        yield TitleBar(icon="¥")
        with Vertical(id="schedule-panel"):
            yield Static("", id="schedule-heading", classes="heading", markup=False)
            yield Static("", id="schedule-summary", markup=False)
            yield LineTable(id="schedule-table")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.refresh_texts()

    def refresh_texts(self) -> None:
        tr = self.tr
        if self.offer is None:
            heading = tr("offers.schedule.heading.current")
        else:
            heading = tr("offers.schedule.heading", name=offer_name(tr, self.number, self.offer))
        self.query_one("#schedule-heading", Static).update(Content(heading))
        total = sum((row.payment for row in self.rows), Decimal("0.00"))
        interest = sum((row.interest for row in self.rows), Decimal("0.00"))
        self.query_one("#schedule-summary", Static).update(
            Content(tr.fill("offers.schedule.summary", count=len(self.rows), total=total, interest=interest))
        )
        rows = [
            (
                number_cell(str(row.period)),
                text_cell(tr.date(row.due_date)),
                money_cell(row.payment),
                money_cell(row.interest),
                money_cell(row.principal),
                money_cell(row.balance),
            )
            for row in self.rows
        ]
        headings = [(tr(f"offers.schedule.col.{key}"), key != "due_date") for key in self.COLUMNS]
        self.query_one(LineTable).set_table(fitted_columns(headings, rows), rows)

    def action_close(self) -> None:
        self.app.pop_screen()


# -- the offers ---------------------------------------------------------------------------------


class OffersScreen(WsnegoScreen[None]):
    """The offers on one application of the logged-in customer."""

    AUTO_FOCUS = "DataTable"

    STEP_KEY = "step.offers"

    BINDINGS = [
        Binding("enter", "accept", "Accept this offer", id="offers.accept", priority=True),
        Binding("s", "schedule", "Full schedule", id="offers.schedule"),
        Binding("d", "decline", "Decline all", id="offers.decline"),
        Binding("escape", "back", "Back", id="offers.back"),
    ]

    class Loaded(Message):
        """The reading worker's answer (current None: the services failed)."""

        def __init__(
            self,
            application: ApplicationView | None,
            current: CurrentPlanView | None,
            offers: list[OfferView],
            *,
            missing: bool = False,
        ) -> None:
            super().__init__()
            self.application = application
            self.current = current
            self.offers = offers
            self.missing = missing

    class Declined(Message):
        def __init__(self, code: str | None) -> None:
            super().__init__()
            self.code = code

    def __init__(self, customer: CustomerView, application_id: int) -> None:
        super().__init__(id="offers")
        self.customer = customer
        self.application_id = application_id
        self.application: ApplicationView | None = None
        self.current: CurrentPlanView | None = None
        self.offers: list[OfferView] = []
        self.loaded = False
        self.failed = False
        self.busy = False

    def compose(self) -> ComposeResult:
        yield TitleBar(icon="¥")
        with Vertical(id="offers-panel"):
            yield Static("", id="offers-heading", markup=False)
            yield Static(self.tr("offers.loading"), id="offers-intro", markup=False)
            yield DataTable(id="offers-table", cursor_type="column", zebra_stripes=True)
            yield Static("", id="offers-selected", markup=False)
            with Horizontal(id="offers-charts"):
                yield BarChart(id="offers-chart-payments")
                yield BarChart(id="offers-chart-balance")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.after_paint(self.action_reload)  # once the screen has been painted

    def on_screen_resume(self) -> None:
        if self.loaded:
            self.action_reload()  # back from the agreement: the offers may have moved on

    # Reading ----------------------------------------------------------------------------------

    def action_reload(self) -> None:
        if self.app.services is not None:
            self._load(self.customer.id, self.application_id)

    @work(thread=True, exclusive=True, group="offers", exit_on_error=False)
    def _load(self, customer_id: int, application_id: int) -> None:
        from wsnego_tui.services import ServiceError

        services = self.app.services
        try:
            current, offers = services.offers(customer_id, application_id)
            application = services.application(customer_id, application_id)
        except ServiceError:
            self.post_message(self.Loaded(None, None, [], missing=True))
            return
        except Exception:
            log.exception("reading the offers failed")
            self.post_message(self.Loaded(None, None, []))
            return
        self.post_message(self.Loaded(application, current, list(offers)))

    def on_offers_screen_loaded(self, message: Loaded) -> None:
        self.loaded = True
        self.failed = message.current is None
        if message.current is not None:
            self.application = message.application
            self.current = message.current
            self.offers = message.offers
        self._fill()

    # Showing ----------------------------------------------------------------------------------

    @property
    def selected_offer(self) -> OfferView | None:
        """The offer under the column cursor (None: the current plan, or nothing loaded)."""
        index = self.query_one(DataTable).cursor_column - 1
        return self.offers[index] if 0 <= index < len(self.offers) else None

    @property
    def selected_number(self) -> int:
        return self.query_one(DataTable).cursor_column

    @property
    def open_for_answer(self) -> bool:
        return self.application is not None and self.application.status == "offer_issued"

    def refresh_texts(self) -> None:
        if self.loaded:
            self._fill()
        else:
            self.query_one("#offers-intro", Static).update(Content(self.tr("offers.loading")))

    def _fill(self) -> None:
        tr = self.tr
        table = self.query_one(DataTable)
        keep = table.cursor_column if table.columns else 1
        heading = self.query_one("#offers-heading", Static)
        intro = self.query_one("#offers-intro", Static)
        intro.set_class(self.failed, "-error")
        application = self.application
        if application is not None:
            heading.update(
                Content(
                    tr(
                        "offers.heading",
                        kind=enum_label(tr.lang, "kind", application.kind),
                        number=application.id,
                        loan_no=safe_text(application.loan_no),
                    )
                )
            )
        if self.failed or self.current is None:
            intro.update(Content(tr("offers.failed")))
            self.refresh_bindings()
            return
        intro.update(Content(self._intro_text()))
        if not self.offers:
            table.clear(columns=True)
        else:
            headers = [("current", Text(tr("offers.col.current"), justify="right", end=""))]
            for number, offer in enumerate(self.offers, start=1):
                label = f"{tr('offers.col.offer', number=number)}\n{offer_label(tr, offer)}"
                headers.append((str(offer.id), Text(label, justify="right", end="")))
            current = self.current
            rows = [
                [figure.current_cell(tr, current)] + [figure.offer_cell(tr, offer) for offer in self.offers]
                for figure in FIGURES
            ]
            fill_table(
                table,
                headers,
                rows,
                row_keys=[figure.key for figure in FIGURES],
                row_labels=[Text(tr(f"offers.row.{figure.key}"), end="") for figure in FIGURES],
            )
            table.move_cursor(column=min(max(keep, 0), len(self.offers)), animate=False)
        self._show_selected()

    def _intro_text(self) -> str:
        tr = self.tr
        assert self.current is not None
        if not self.offers:
            return tr("offers.none")
        if not self.open_for_answer:
            status = enum_label(tr.lang, "stage", self.application.status if self.application else "")
            return tr("offers.closed", status=status)
        expiries = [offer.expires_at for offer in self.offers if offer.expires_at is not None]
        expires = tr.date(_bank_date(min(expiries))) if expiries else tr("offers.dash")
        return tr(
            "offers.intro",
            count=len(self.offers),
            expires=expires,
            overdue=tr.money(self.current.overdue_total),
        )

    @on(DataTable.ColumnHighlighted)
    def _show_selected(self) -> None:
        tr = self.tr
        selected = self.query_one("#offers-selected", Static)
        offer = self.selected_offer
        if self.current is None or not self.offers:
            selected.update("")
        elif offer is None:
            selected.update(Content(tr("offers.selected.current")))
        else:
            parts = [tr("offers.selected", name=offer_name(tr, self.selected_number, offer))]
            if is_settlement(offer):
                days = self.app.services.policy.settlement_pay_days if self.app.services else 7
                parts.append(tr("offers.selected.settlement", days=days, amount=tr.money(offer.total_payment)))
            elif offer.grace_months and offer.rows:
                parts.append(
                    tr(
                        "offers.selected.grace",
                        grace=offer.grace_months,
                        grace_kind=grace_kind_text(tr, offer),
                        first=tr.money(offer.rows[0].payment),
                        installment=tr.money(offer.installment),
                    )
                )
            status_key = f"offers.selected.status.{offer.status}"
            if has_key(status_key):
                parts.append(tr(status_key))
            selected.update(Content(" ".join(parts)))
        self._show_charts()
        self.refresh_bindings()

    def _show_charts(self) -> None:
        tr = self.tr
        payments = self.query_one("#offers-chart-payments", BarChart)
        balance = self.query_one("#offers-chart-balance", BarChart)
        current = self.current
        if current is None or not self.offers:
            payments.show("", ())
            balance.show("", ())
            return
        offer = self.selected_offer
        now = tr("offers.chart.current")
        old_payments = ChartSeries(now, tuple(row.payment for row in current.rows), "old")
        old_balance = ChartSeries(now, tuple(row.balance for row in current.rows), "old")
        if offer is None:
            payment_series, balance_series = [old_payments], [old_balance]
            months = len(current.rows)
        else:
            name = tr("offers.chart.offer", number=self.selected_number)
            payment_series = [old_payments, ChartSeries(name, tuple(r.payment for r in offer.rows), "new")]
            balance_series = [old_balance, ChartSeries(name, tuple(r.balance for r in offer.rows), "new")]
            months = max(len(current.rows), len(offer.rows))
        axis = tr("offers.chart.axis", months=months)
        payments.show(tr("offers.chart.payments"), payment_series, axis)
        balance.show(tr("offers.chart.balance"), balance_series, axis)

    # Actions ----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "accept":
            offer = self.selected_offer
            return offer is not None and offer.status == "issued" and self.open_for_answer and not self.busy
        if action == "schedule":
            return self.current is not None and bool(self.offers)
        if action == "decline":
            return self.open_for_answer and not self.busy
        return True

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_accept(self) -> None:
        from wsnego_tui.screens.confirm import ConfirmScreen

        offer = self.selected_offer
        if offer is None:
            return
        self.app.push_screen(ConfirmScreen(self.customer, self.application_id, offer.id))

    def action_schedule(self) -> None:
        offer = self.selected_offer
        if offer is not None:
            self.app.push_screen(ScheduleScreen(offer.rows, offer, self.selected_number))
        elif self.current is not None:
            self.app.push_screen(ScheduleScreen(self.current.rows))

    def action_decline(self) -> None:
        from wsnego_tui.screens.confirm import QuestionDialog

        def answered(yes: bool | None) -> None:
            if yes and self.open_for_answer and not self.busy:
                self.busy = True
                self.refresh_bindings()
                self._decline(self.customer.id, self.application_id)

        self.app.push_screen(QuestionDialog("offers.decline.question"), answered)

    @work(thread=True, exclusive=True, group="offers-decline", exit_on_error=False)
    def _decline(self, customer_id: int, application_id: int) -> None:
        from wsnego_tui.services import ServiceError

        try:
            self.app.services.decline_offers(customer_id, application_id)
        except ServiceError as exc:
            self.post_message(self.Declined(exc.code))
            return
        except Exception:
            log.exception("declining the offers failed")
            self.post_message(self.Declined("failed"))
            return
        self.post_message(self.Declined(None))

    def on_offers_screen_declined(self, message: Declined) -> None:
        self.busy = False
        if message.code is None:
            self.notify(self.tr("offers.declined"), markup=False)
            self.app.pop_screen()
            return
        key = "offers.error.not_offered" if message.code == "not_offered" else "offers.error.failed"
        self.notify(self.tr(key), severity="error", markup=False)
        self.action_reload()
