"""Step 3, loan detail (贷款详情): one loan of the logged-in borrower, and what can be done with it.

Shows the loan's product, number, rate as the product quotes it (日利率 0.04% or 年利率 14.4%),
term and start; a breakdown of every charge (outstanding and overdue principal, overdue interest,
penalty interest 罚息 with how it is computed, days past due, the payoff amount); the plan in
force as a table whose rows are marked paid / overdue / due / upcoming in words (overdue rows
also bold in the theme's error colour); earlier plans (原计划, 第1次协商计划 ...) one `v` away;
the negotiation history (1st / 2nd, dates, outcome); and the actions open now, each saying why
when it is not: `n` negotiate (step 4), `p` repay (step 10), `g` the review progress of the
loan's latest application (only when there is one). Esc goes back to My Loans.

The loan is read (eligibility first: it brings the customer's applications and plans up to
date) by a thread worker through the services, again whenever the screen comes back on top, so
a payment or a decision made on a later screen shows here at once.

Never touches the database on the UI thread, never imports the store, and never shows data as
markup: data reaches the screen as Content or rich Text of `safe_text(value)`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable

from rich.cells import cell_len
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from wsnego_tui.core.clock import CHINA_TZ
from wsnego_tui.core.views import CustomerView, InstallmentStatus, InstallmentView, LoanDetail, LoanStatus, PlanView
from wsnego_tui.i18n import Translator, enum_label, has_key, stage_label
from wsnego_tui.screens.base import WsnegoScreen
from wsnego_tui.widgets.cells import money_cell, number_cell, pad_cells, text_cell
from wsnego_tui.widgets.footer import KeyFooter
from wsnego_tui.widgets.line_table import LineTable, fitted_columns
from wsnego_tui.widgets.safe_text import safe_text
from wsnego_tui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from wsnego_tui.core.eligibility import Eligibility
    from wsnego_tui.core.lifecycle import ApplicationKind

log = logging.getLogger(__name__)

CLOSED_STATUSES = frozenset({LoanStatus.SETTLED, LoanStatus.CLOSED})
"""A loan in one of these is paid off: nothing to negotiate, nothing to repay."""

DAYS_PER_YEAR = Decimal(360)
"""A daily rate is the annual rate / 360 (DESIGN section 3)."""


def plain_number(value: Decimal) -> str:
    """A rate or a multiplier as people write it: 14.4, 0.04, 1.5, 10 (never 1E+1)."""
    return format(value.normalize(), "f")


def daily_rate_pct(annual_pct: Decimal) -> Decimal:
    """The daily rate (%) of an annual rate (%), to four decimals: 14.4 -> 0.04."""
    return (annual_pct / DAYS_PER_YEAR).quantize(Decimal("0.0001"))


def quoted_rate(tr: Translator, detail: LoanDetail) -> str:
    """The loan's rate as its product quotes it: 日利率 0.04%（折合年利率 14.4%）or 年利率 14.4%."""
    annual = plain_number(detail.annual_rate_pct)
    if detail.rate_basis == "daily":
        return tr("detail.rate.daily", daily=plain_number(detail.quoted_rate_pct), annual=annual)
    return tr("detail.rate.annual", annual=annual)


def product_name(tr: Translator, detail: LoanDetail) -> str:
    summary = detail.summary
    return safe_text(summary.product_zh if tr.lang == "zh" else summary.product_en)


def plan_name(tr: Translator, plan: PlanView) -> str:
    """原计划 / 第1次协商计划 / 第2次协商计划（二次协商）/ 协商结清计划."""
    key = f"detail.plan.{plan.origin}"
    return tr(key) if has_key(key) else safe_text(plan.origin)


def bank_date(instant: dt.datetime) -> dt.date:
    """The calendar day of an instant on the bank's clock (China Standard Time)."""
    return (instant.astimezone(CHINA_TZ) if instant.tzinfo else instant).date()


def ordinal(tr: Translator, n: int) -> str:
    """第1次 / #1 (the English kind names say 1st and 2nd already)."""
    return tr("detail.ordinal", n=n)


# The schedule table -------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleColumn:
    key: str
    label_key: str
    cell: Callable[[Translator, InstallmentView], Text]
    right_aligned: bool = False
    drop_rank: int = 0
    """0: always shown; otherwise dropped, highest rank first, when the table is too narrow."""


def _money_column(key: str, label_key: str, attribute: str, drop_rank: int = 0) -> ScheduleColumn:
    return ScheduleColumn(key, label_key, lambda tr, row: money_cell(getattr(row, attribute)), True, drop_rank)


SCHEDULE_COLUMNS: tuple[ScheduleColumn, ...] = (
    ScheduleColumn("period", "detail.col.period", lambda tr, row: number_cell(str(row.period)), True),
    ScheduleColumn("due_date", "detail.col.due_date", lambda tr, row: text_cell(tr.date(row.due_date))),
    _money_column("payment", "detail.col.payment", "payment"),
    _money_column("principal", "detail.col.principal", "principal", drop_rank=2),
    _money_column("interest", "detail.col.interest", "interest", drop_rank=3),
    _money_column("penalty", "detail.col.penalty", "penalty_due"),
    _money_column("paid", "detail.col.paid", "paid", drop_rank=4),
    _money_column("amount_due", "detail.col.amount_due", "amount_due", drop_rank=1),
    ScheduleColumn(
        "status", "detail.col.status", lambda tr, row: text_cell(tr(f"detail.row.{row.status.value}"))
    ),
)


def fit_columns(widths: list[int], drop_ranks: list[int], available: int) -> list[int]:
    """The indexes of the columns to show so that their widths fit `available` cells: columns
    are dropped whole (highest drop rank first), never cut; rank-0 columns always stay."""
    shown = list(range(len(widths)))
    droppable = sorted((i for i, rank in enumerate(drop_ranks) if rank), key=lambda i: -drop_ranks[i])
    while sum(widths[i] for i in shown) > available and droppable:
        shown.remove(droppable.pop(0))
    return shown


def row_style(status: InstallmentStatus, colours: dict[str, str]) -> str:
    """The rich style of a schedule row: overdue bold in the error colour, the row to pay now
    bold, paid and replaced rows dim. The status word says the same without colour."""
    if status == InstallmentStatus.OVERDUE:
        return f"bold {colours.get('text-error', '')}".strip()
    if status in (InstallmentStatus.DUE, InstallmentStatus.PARTIAL):
        return "bold"
    if status in (InstallmentStatus.PAID, InstallmentStatus.REPLACED):
        return "dim"
    return ""


class LoanDetailScreen(WsnegoScreen[None]):
    """One loan: its charges, its plans, its history and the actions open now."""

    AUTO_FOCUS = "LineTable"

    STEP_KEY = "step.detail"

    BINDINGS = [
        Binding("n", "negotiate", "Negotiate", id="detail.negotiate"),
        Binding("p", "repay", "Repay", id="detail.repay"),
        Binding("g", "progress", "Progress", id="detail.progress"),
        Binding("v", "next_plan", "Other plan", id="detail.plans"),
        Binding("r", "reload", "Refresh", id="detail.refresh"),
        Binding("escape", "back", "Back", id="detail.back"),
    ]

    CELL_PADDING = 1
    SCROLLBAR_ALLOWANCE = 2

    class Loaded(Message):
        """The worker's answer: the loan and its eligibility, or None for both on failure."""

        def __init__(self, detail: LoanDetail | None, eligibility: dict[Any, Eligibility] | None) -> None:
            super().__init__()
            self.detail = detail
            self.eligibility = eligibility

    def __init__(self, customer: CustomerView, loan_id: int) -> None:
        super().__init__()
        self.customer = customer
        self.loan_id = loan_id
        self.detail: LoanDetail | None = None
        self.eligibility: dict[ApplicationKind, Eligibility] | None = None
        self.reading = False
        self.failed = False
        self.plan_index = 0
        self.shown_schedule_columns: list[str] = []

    def compose(self) -> ComposeResult:
        yield TitleBar(icon="¥")
        with Vertical(id="detail-panel"):
            yield Static("", id="detail-heading", markup=False)
            yield Static("", id="detail-terms", markup=False)
            with Horizontal(id="detail-overview"):
                yield Static("", id="detail-charges", markup=False)
                yield Static("", id="detail-actions", markup=False)
            yield Static("", id="detail-penalty-note", markup=False)
            yield Static("", id="detail-payoff-note", markup=False)
            yield Static("", id="detail-plan", markup=False)
            yield LineTable(id="detail-schedule", cell_padding=self.CELL_PADDING)
            yield Static("", id="detail-history", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        # The rows' colours come from the theme. A signal subscription, dropped at unmount: a
        # watch on the app's `theme` would keep every loan detail ever opened alive (Textual
        # forgets a closed watcher only when the theme next changes).
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._fill_schedule())
        self._show()

    def on_unmount(self) -> None:
        self.app.theme_changed_signal.unsubscribe(self)

    def on_screen_resume(self) -> None:
        """Shown first, or back on top after repaying or negotiating: read the loan again
        (once the screen has been painted, not alongside its paint)."""
        self.after_paint(self.action_reload)

    # Loading --------------------------------------------------------------------------------

    def action_reload(self) -> None:
        if self.reading or self.app.services is None:
            return
        self.reading = True
        self.failed = False
        self.refresh_bindings()
        self._load(self.customer.id, self.loan_id)

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def _load(self, customer_id: int, loan_id: int) -> None:
        services = self.app.services
        try:
            eligibility = services.eligibility(customer_id, loan_id)  # catches up first
            detail = services.loan_detail(customer_id, loan_id)
        except Exception:
            log.exception("reading the loan failed")
            self.post_message(self.Loaded(None, None))
            return
        self.post_message(self.Loaded(detail, eligibility))

    def on_loan_detail_screen_loaded(self, message: Loaded) -> None:
        self.reading = False
        self.failed = message.detail is None
        if message.detail is not None:
            previous = self._shown_plan()
            self.detail = message.detail
            self.eligibility = message.eligibility
            # keep showing the plan the borrower was looking at, if it is still there
            seqs = [plan.seq for plan in self.detail.plans]
            self.plan_index = seqs.index(previous.seq) if previous is not None and previous.seq in seqs else 0
        self._show()
        self.refresh_bindings()

    # Keys -----------------------------------------------------------------------------------

    @property
    def loan_closed(self) -> bool:
        return self.detail is not None and self.detail.summary.status in CLOSED_STATUSES

    @property
    def can_repay(self) -> bool:
        detail = self.detail
        return detail is not None and not self.loan_closed and detail.active_plan is not None and detail.payoff_amount > 0

    @property
    def latest_application_id(self) -> int | None:
        """The loan's latest application that is not a draft (the history holds no drafts)."""
        if self.detail is None or not self.detail.history:
            return None
        return max(record.application_id for record in self.detail.history)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "negotiate":
            return self.eligibility is not None and self.detail is not None and not self.loan_closed
        if action == "repay":
            return self.can_repay
        if action == "progress":
            return self.latest_application_id is not None
        if action == "next_plan":
            return self.detail is not None and len(self.detail.plans) > 1
        if action == "reload":
            # offered after a failed read; otherwise the loan is read again whenever the
            # screen comes back on top
            return self.failed and not self.reading
        return True

    def action_negotiate(self) -> None:
        from wsnego_tui.screens.negotiate import NegotiateScreen

        self.app.push_screen(NegotiateScreen(self.customer, self.loan_id))

    def action_repay(self) -> None:
        from wsnego_tui.screens.repay import RepayScreen

        self.app.push_screen(RepayScreen(self.customer, self.loan_id))

    def action_progress(self) -> None:
        application_id = self.latest_application_id
        if application_id is None:
            return
        from wsnego_tui.screens.progress import ProgressScreen

        self.app.push_screen(ProgressScreen(self.customer, application_id))

    def action_next_plan(self) -> None:
        if self.detail is None or len(self.detail.plans) < 2:
            return
        self.plan_index = (self.plan_index + 1) % len(self.detail.plans)
        self._show_plan()

    def action_back(self) -> None:
        self.app.pop_screen()

    # Showing --------------------------------------------------------------------------------

    def refresh_texts(self) -> None:
        self._show()

    def _shown_plan(self) -> PlanView | None:
        if self.detail is None or not self.detail.plans:
            return None
        return self.detail.plans[min(self.plan_index, len(self.detail.plans) - 1)]

    def _show(self) -> None:
        tr = self.tr
        heading = self.query_one("#detail-heading", Static)
        heading.set_class(self.failed, "-error")
        detail = self.detail
        if detail is None:
            heading.update(Content(tr("detail.failed" if self.failed else "detail.loading")))
            for selector in (
                "#detail-terms", "#detail-charges", "#detail-actions", "#detail-penalty-note", "#detail-payoff-note", "#detail-history",
            ):
                self.query_one(selector, Static).update("")
            self._show_plan()
            return
        summary = detail.summary
        heading.update(
            Content(
                tr(
                    "detail.heading",
                    product=product_name(tr, detail),
                    loan_no=safe_text(summary.loan_no),
                    status=enum_label(tr.lang, "status", summary.status),
                )
            )
        )
        self.query_one("#detail-terms", Static).update(
            Content(
                tr(
                    "detail.terms",
                    rate=quoted_rate(tr, detail),
                    months=detail.term_months,
                    start=tr.date(detail.start_date),
                    principal=tr.money(summary.principal),
                )
            )
        )
        self.query_one("#detail-charges", Static).update(self._charges())
        self.query_one("#detail-actions", Static).update(self._actions())
        plan = detail.active_plan
        annual = plan.annual_rate_pct if plan is not None else detail.annual_rate_pct
        multiplier = self.app.services.policy.penalty_multiplier if self.app.services else Decimal("1.5")
        self.query_one("#detail-penalty-note", Static).update(
            Content(tr("detail.penalty_explained", daily=plain_number(daily_rate_pct(annual)), multiplier=plain_number(multiplier)))
        )
        self.query_one("#detail-payoff-note", Static).update(Content(tr("detail.payoff_explained")))
        self.query_one("#detail-history", Static).update(self._history())
        self._show_plan()

    def _charges(self) -> Content:
        tr = self.tr
        assert self.detail is not None
        summary = self.detail.summary
        rows = [
            ("detail.charge.outstanding", tr.money(summary.outstanding_principal)),
            ("detail.charge.overdue_principal", tr.money(summary.overdue_principal)),
            ("detail.charge.overdue_interest", tr.money(summary.overdue_interest)),
            ("detail.charge.penalty", tr.money(summary.overdue_penalty)),
            ("detail.charge.days", tr("detail.charge.days_value", days=summary.days_past_due)),
            ("detail.charge.payoff", tr.money(self.detail.payoff_amount)),
        ]
        labels = [tr(key) for key, _ in rows]
        label_width = max(cell_len(label) for label in labels)
        value_width = max(cell_len(value) for _, value in rows)
        parts: list[Content | str | tuple[str, str]] = [(tr("detail.charges.title"), "bold $primary")]
        for label, (key, value) in zip(labels, rows):
            # what is overdue in the error colour (the labels say so in words)
            overdue = key not in ("detail.charge.outstanding", "detail.charge.payoff") and summary.days_past_due > 0
            parts += ["\n", pad_cells(label, label_width) + "  ", (pad_cells(value, value_width, "right"), "$text-error" if overdue else "")]
        return Content.assemble(*parts)

    def _actions(self) -> Content:
        tr = self.tr
        assert self.detail is not None
        detail = self.detail
        summary = detail.summary
        lines: list[str] = []
        if self.loan_closed:
            lines.append(tr("detail.action.negotiate_closed", reason=tr("negotiate.rule.loan.open.unmet")))
        elif self.eligibility is not None:
            from wsnego_tui.screens.negotiate import check_text

            policy = self.app.services.policy if self.app.services else None
            for kind, answer in self.eligibility.items():
                name = enum_label(tr.lang, "kind", kind)
                if answer.open:
                    lines.append(tr("detail.action.kind_open", kind=name))
                else:
                    lines.append(tr("detail.action.kind_closed", kind=name))
                    if answer.reason is not None:
                        lines.append(tr("detail.action.reason", reason=check_text(tr, answer.reason, policy)))
        if not self.can_repay:
            lines.append(tr("detail.action.repay_closed"))
        elif summary.overdue_total > 0:
            lines.append(tr("detail.action.repay_overdue", amount=tr.money(summary.overdue_total)))
        elif summary.next_due_date is not None and summary.next_due_amount is not None:
            lines.append(
                tr("detail.action.repay_open", amount=tr.money(summary.next_due_amount), date=tr.date(summary.next_due_date))
            )
        else:
            lines.append(tr("detail.action.repay_payoff", amount=tr.money(detail.payoff_amount)))
        if self.latest_application_id is not None:
            latest = max(detail.history, key=lambda record: record.application_id)
            stage = stage_label(tr.lang, f"{latest.kind}:{latest.status}")
            lines.append(tr("detail.action.progress", stage=safe_text(stage)))
        return Content.assemble((tr("detail.actions.title"), "bold $primary"), "\n", Content("\n".join(lines)))

    def _history(self) -> Content:
        tr = self.tr
        assert self.detail is not None
        history = sorted(self.detail.history, key=lambda record: record.application_id)
        if not history:
            return Content(tr("detail.history.none"))
        none = tr("detail.none")
        lines = [
            tr(
                "detail.history.row",
                ordinal=ordinal(tr, number),
                kind=enum_label(tr.lang, "kind", record.kind),
                submitted=tr.date(bank_date(record.submitted_at)) if record.submitted_at else none,
                decided=tr.date(bank_date(record.decided_at)) if record.decided_at else none,
                outcome=enum_label(tr.lang, "stage", record.status),
            )
            for number, record in enumerate(history, start=1)
        ]
        return Content.assemble((tr("detail.history.title"), "bold $primary"), "\n", Content("\n".join(lines)))

    def _show_plan(self) -> None:
        tr = self.tr
        label = self.query_one("#detail-plan", Static)
        plan = self._shown_plan()
        if self.detail is None:
            label.update("")
        elif plan is None:
            label.update(Content(tr("detail.plan.none")))
        else:
            state = (
                tr("detail.plan.active")
                if plan.status == "active"
                else tr("detail.plan.closed", date=tr.date(bank_date(plan.closed_at)) if plan.closed_at else tr("detail.none"))
            )
            method_key = f"detail.method.{plan.method}"
            several = len(self.detail.plans) > 1
            text = tr(
                "detail.plan.line_of" if several else "detail.plan.line",
                index=self.plan_index + 1,
                count=len(self.detail.plans),
                name=plan_name(tr, plan),
                state=state,
                method=tr(method_key) if has_key(method_key) else safe_text(plan.method),
                months=plan.months,
                rate=plain_number(plan.annual_rate_pct),
            )
            label.update(Content.assemble((text, "bold")))
        self._fill_schedule()

    def _fill_schedule(self) -> None:
        tr = self.tr
        table = self.query_one("#detail-schedule", LineTable)
        plan = self._shown_plan()
        rows = list(plan.installments) if plan is not None else []
        if plan is None:
            self.shown_schedule_columns = []
            table.clear()
            return
        every_cell = [[column.cell(tr, row) for column in SCHEDULE_COLUMNS] for row in rows]
        every_column = fitted_columns([(tr(column.label_key), column.right_aligned) for column in SCHEDULE_COLUMNS], every_cell)
        region = table.region
        available = region.width - (self.SCROLLBAR_ALLOWANCE if len(rows) + 1 > region.height else 0)
        padded = [column.width + 2 * self.CELL_PADDING for column in every_column]
        shown = fit_columns(padded, [column.drop_rank for column in SCHEDULE_COLUMNS], available) if available > 0 else list(range(len(SCHEDULE_COLUMNS)))
        self.shown_schedule_columns = [SCHEDULE_COLUMNS[index].key for index in shown]
        colours = self.app.get_css_variables()
        cells_of_rows = []
        for row, cells in zip(rows, every_cell):
            style = row_style(row.status, colours)
            if style:
                for index in shown:
                    cells[index].stylize(style)
            cells_of_rows.append([cells[index] for index in shown])
        # start at the row that matters now: the oldest overdue, else the one due
        focus_row = next(
            (i for i, row in enumerate(rows) if row.status in (InstallmentStatus.OVERDUE, InstallmentStatus.DUE, InstallmentStatus.PARTIAL)),
            0,
        )
        table.set_table([every_column[index] for index in shown], cells_of_rows, cursor_row=focus_row)

    COMPACT_BELOW_LINES = 30
    """Below this height the screen drops its blank lines and the payoff note (tcss `-compact`),
    so that an 80x24 terminal still shows a useful part of the schedule."""

    def on_resize(self) -> None:
        self.set_class(self.size.height < self.COMPACT_BELOW_LINES, "-compact")
        if self.detail is not None:
            self._fill_schedule()
