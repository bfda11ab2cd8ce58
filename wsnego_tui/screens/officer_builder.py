"""The offer builder: the officer sets term, rate, grace (months and kind), waivers and the down
payment, and sees the offer those settings give, recomputed live.

Every change waits `DEBOUNCE_SECONDS` for the typing to stop, then a thread worker asks
`OfficerServices.preview_offer` (the shared calculator within the policy's limits); an answer to
older settings is dropped. The totals (installment, highest payment, term, end date, total
payment and interest, waivers, capitalised arrears, annualized rate) and the schedule are shown
with whether the offer is affordable and whether issuing it needs a second officer. The
schedule fits its half of a 100-column terminal without scrolling sideways: ISO dates, amounts
without the yuan sign (the totals above carry it), one blank cell between right-aligned
columns. A setting
the policy refuses is shown next to its field with the limit the service names; what cannot be
read as a number is refused next to the field before asking.

Ctrl+S issues the offer with the note (the decision goes to a second officer when the service
says so); the result closes the builder back to the case view, a lost race closes it with
"changed". Empty fields mean the policy's default (the contract rate, the most penalty
waived, the least down payment). Never touches the database on the UI thread; never shows data
as markup.
"""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Label, Select, Static

from wsnego_tui.core.money import format_yuan
from wsnego_tui.i18n import enum_label
from wsnego_tui.screens.base import WsnegoScreen
from wsnego_tui.screens.offers import format_rate
from wsnego_tui.screens.officer_case import money
from wsnego_tui.screens.officer_decide import (
    ServiceAnswer,
    ask_services,
    field_error_text,
    show_sending_status,
    take_answer,
)
from wsnego_tui.screens.progress import rule_text
from wsnego_tui.widgets.cells import number_cell
from wsnego_tui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from wsnego_tui.core.application_form import FieldError
    from wsnego_tui.core.views_officer import (
        CaseView,
        OfferPreview,
        OfferSpec,
        OfficerView,
    )
    from wsnego_tui.officer_app import OfficerApp

log = logging.getLogger(__name__)

PLAN_FIELDS = ("months", "rate_pct", "grace_months", "grace_kind", "waived_penalty", "down_payment")
SETTLEMENT_FIELDS = ("waived_penalty", "waived_interest")
GRACE_KINDS = ("none", "interest-only", "deferral")


def amount_cell(amount: Decimal) -> Text:
    """A right-aligned amount in yuan without the sign: 1,479.98."""
    return number_cell(format_yuan(amount).replace("¥", "", 1))


def fill_schedule(table: DataTable[object], heads: list[tuple[str, Text]], rows: list[list[Text]]) -> None:
    """Replace the schedule's columns and rows. The table has no cell padding: each column is one
    cell wider than its widest head or cell, and heads and cells are right-aligned, so one blank
    cell stands before each column (two, as cell padding puts, would not fit beside the form)."""
    table.clear(columns=True)
    for index, (key, head) in enumerate(heads):
        width = max([head.cell_len] + [row[index].cell_len for row in rows]) + 1
        table.add_column(head, key=key, width=width)
    for row in rows:
        table.add_row(*row)


class BuilderScreen(WsnegoScreen[object]):
    STEP_KEY = "step.officer.builder"
    DEBOUNCE_SECONDS = 0.25

    BINDINGS = [
        Binding("ctrl+s", "issue", "Issue offer", id="builder.issue", priority=True),
        Binding("escape", "back", "Back", id="builder.back"),
    ]

    app: OfficerApp

    class Previewed(Message):
        def __init__(self, request: int, preview: OfferPreview | None, code: str = "", message: str = "",
                     fields: dict[str, FieldError] | None = None) -> None:
            super().__init__()
            self.request = request
            self.preview = preview
            self.code = code
            self.message = message
            self.fields = fields or {}

    class Issued(ServiceAnswer):
        """The services' answer to issuing the offer."""

    def __init__(self, officer: OfficerView, case: CaseView) -> None:
        super().__init__(id="officer-builder")
        self.officer = officer
        self.case = case
        self.settlement = case.kind == "settlement"
        self.fields = SETTLEMENT_FIELDS if self.settlement else PLAN_FIELDS
        self.request = 0
        self.shown_request = 0
        """The request whose answer the screen shows (tests wait for it)."""
        self.preview: OfferPreview | None = None
        self.errors: dict[str, FieldError] = {}
        self.local_errors: dict[str, str] = {}
        self.refusal: tuple[str, str] | None = None
        self.busy = False
        self._timer: Timer | None = None

    def _initial(self, name: str) -> str:
        case = self.case
        if name == "months":
            months = case.wish.months or (case.recommendation[0].months if case.recommendation else None)
            if case.limits is not None and months is not None:
                months = min(months, case.limits.max_months)
            return str(months or "")
        return ""

    def compose(self) -> ComposeResult:
        tr = self.tr
        yield TitleBar(icon="¥")
        with Horizontal(id="builder-body"):
            with VerticalScroll(id="builder-form"):
                yield Static("", id="builder-heading", classes="heading", markup=False)
                yield Static("", id="builder-limits", markup=False)
                with Grid(id="builder-fields"):
                    for name in self.fields:
                        yield Label("", id=f"builder-{name}-label", classes="field-label", markup=False)
                        if name == "grace_kind":
                            yield Select([(tr(f"builder.grace_kind.{k}"), k) for k in GRACE_KINDS], value="none",
                                         allow_blank=False, id="builder-grace_kind")
                        else:
                            field = Input(self._initial(name), id=f"builder-{name}", max_length=16)
                            field.set_reactive(Input.cursor_blink, self.app.input_cursor_blink)
                            yield field
                        yield Static("", id=f"builder-{name}-message", classes="builder-message", markup=False)
                yield Label("", id="builder-note-label", classes="field-label", markup=False)
                note = Input(id="builder-note", max_length=500)
                note.set_reactive(Input.cursor_blink, self.app.input_cursor_blink)
                yield note
                yield Static("", id="builder-note-message", classes="builder-message", markup=False)
            with Vertical(id="builder-preview"):
                yield Static("", id="builder-totals", markup=False)
                yield DataTable(id="builder-schedule", cursor_type="none", show_cursor=False, zebra_stripes=True,
                                cell_padding=0)
                yield Static("", id="builder-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.refresh_texts()
        self.query_one(f"#builder-{self.fields[0]}", Input).focus()
        self.request += 1
        self.ask()

    # The settings ---------------------------------------------------------------------------

    def read_spec(self) -> OfferSpec | None:
        """The settings as an OfferSpec, or None (with `local_errors` set) when a field does not
        read as a number."""
        from wsnego_tui.core.views_officer import OfferSpec

        self.local_errors = {}
        values: dict[str, object] = {}
        for name in self.fields:
            if name == "grace_kind":
                kind = self.query_one("#builder-grace_kind", Select).value
                values[name] = None if kind in ("none", Select.BLANK) else kind
                continue
            text = self.query_one(f"#builder-{name}", Input).value.strip().replace(",", "").lstrip("¥")
            if not text:
                values[name] = 0 if name == "grace_months" else None
                continue
            if name in ("months", "grace_months"):
                if not (text.isascii() and text.isdigit()):
                    self.local_errors[name] = "builder.error.whole_number"
                    continue
                values[name] = int(text)
            else:
                try:
                    number = Decimal(text)
                except InvalidOperation:
                    number = None
                if number is None or not number.is_finite() or number < 0:
                    self.local_errors[name] = "builder.error.number"
                    continue
                values[name] = number
        if self.local_errors:
            return None
        if self.settlement:
            values["months"] = None
        return OfferSpec(**values)  # type: ignore[arg-type]

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self, event: Message) -> None:
        if getattr(getattr(event, "control", None), "id", "") == "builder-note":
            return
        self.request += 1  # the preview shown is stale from now on (Ctrl+S waits for the new one)
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(self.DEBOUNCE_SECONDS, self.ask)
        self.refresh_bindings()

    def ask(self) -> None:
        """Preview the current settings (in a worker), or show why they cannot be read."""
        self._timer = None
        spec = self.read_spec()
        if spec is None:
            self.errors, self.refusal, self.preview = {}, None, None
            self.shown_request = self.request
            self._show()
            return
        self._preview(self.request, spec)

    @work(thread=True, group="preview", exit_on_error=False)
    def _preview(self, request: int, spec: OfferSpec) -> None:
        from wsnego_tui.services import ServiceError

        try:
            preview = self.app.officer_services.preview_offer(  # type: ignore[union-attr]
                self.officer.id, self.case.application_id, spec)
        except ServiceError as exc:
            self.post_message(self.Previewed(request, None, exc.code, str(exc), dict(exc.fields)))
            return
        except Exception as exc:
            log.exception("previewing the offer failed")
            self.post_message(self.Previewed(request, None, "failed", str(exc)))
            return
        self.post_message(self.Previewed(request, preview))

    def on_builder_screen_previewed(self, message: Previewed) -> None:
        if message.request != self.request:
            return
        self.shown_request = message.request
        self.preview = message.preview
        self.errors = {k: v for k, v in message.fields.items() if k != "note"}
        self.refusal = None if message.preview or message.fields else (message.code, message.message)
        self._show()
        self.refresh_bindings()

    # Texts ----------------------------------------------------------------------------------

    def refresh_texts(self) -> None:
        tr = self.tr
        case = self.case
        self.query_one("#builder-heading", Static).update(Content(tr(
            "builder.heading", number=case.application_id, kind=enum_label(tr.lang, "kind", case.kind))))
        for name in (*self.fields, "note"):
            self.query_one(f"#builder-{name}-label", Label).update(Content(tr(f"builder.field.{name}")))
        limits = case.limits
        if limits is None:
            text = tr("builder.no_limits")
        elif self.settlement:
            text = tr("builder.limits.settlement", penalty=money(tr, limits.max_penalty_waiver),
                      interest=money(tr, limits.max_interest_waiver), single=money(tr, limits.single_officer_waiver_limit))
        else:
            text = tr("builder.limits.plan", months=limits.max_months, months_grace=limits.max_grace_months,
                      penalty=money(tr, limits.max_penalty_waiver), down=money(tr, limits.min_down_payment),
                      rate=f"{limits.contract_rate_pct}%", cap=money(tr, limits.max_installment),
                      single=money(tr, limits.single_officer_waiver_limit))
        self.query_one("#builder-limits", Static).update(Content(text))
        self._show()

    def _show(self) -> None:
        tr = self.tr
        for name in (*self.fields, "note"):
            message = ""
            if name in self.local_errors:
                message = tr(self.local_errors[name])
            elif name in self.errors:
                message = field_error_text(tr, name, self.errors[name])
            self.query_one(f"#builder-{name}-message", Static).update(Content(message))
            self.query_one(f"#builder-{name}").set_class(bool(message), "-invalid")
        preview = self.preview
        totals = self.query_one("#builder-totals", Static)
        table = self.query_one("#builder-schedule", DataTable)
        if preview is None:
            totals.update(Content(tr("builder.no_preview") if self.shown_request == self.request else tr("builder.computing")))
            table.clear(columns=True)
        else:
            p = preview.proposal
            lines = [tr("builder.totals", installment=money(tr, p.installment), highest=money(tr, p.highest_payment),
                        months=p.months, end=tr.date(p.end_date), total=money(tr, p.total_payment),
                        interest=money(tr, p.total_interest), penalty=money(tr, p.waived_penalty),
                        waived_interest=money(tr, p.waived_interest), down=money(tr, p.down_payment),
                        arrears=money(tr, p.capitalised_arrears), principal=money(tr, p.principal))]
            if p.annualized_rate is not None:
                lines.append(tr("builder.apr", nominal=format_rate(p.annualized_rate.nominal_pct),
                                effective=format_rate(p.annualized_rate.effective_pct)))
            lines.append(tr("builder.affordable") if preview.affordable
                         else tr("builder.unaffordable", cap=money(tr, preview.max_installment)))
            if preview.needs_second_officer:
                lines.append(tr("builder.second_officer", reasons=tr("progress.list_separator").join(
                    rule_text(tr, r.rule) for r in preview.second_approval_reasons)))
            totals.update(Content("\n".join(lines)))
            totals.set_class(not preview.affordable, "-error")
            heads = [(k, Text(tr(f"builder.col.{k}"), justify="right", end=""))
                     for k in ("period", "date", "payment", "interest", "principal", "balance")]
            rows = []
            if p.schedule is not None:
                for row in p.schedule.rows:
                    rows.append([number_cell(str(row.period)), number_cell(row.due_date.isoformat()),
                                 amount_cell(row.payment), amount_cell(row.interest), amount_cell(row.principal),
                                 amount_cell(row.balance)])
            else:
                rows.append([number_cell("1"), number_cell(p.end_date.isoformat()), amount_cell(p.total_payment),
                             amount_cell(Decimal("0.00")), amount_cell(p.total_payment), amount_cell(Decimal("0.00"))])
            fill_schedule(table, heads, rows)
        show_sending_status(self.query_one("#builder-status", Static), tr, "builder.issuing", self.busy, self.refusal)

    # Issuing --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "issue":
            return (not self.busy and self.preview is not None and self.preview.affordable
                    and self.shown_request == self.request)
        return True

    def action_back(self) -> None:
        if not self.busy:
            self.dismiss(None)

    @on(Input.Submitted, "#builder-note")
    def _note_submitted(self) -> None:
        self.action_issue()

    def action_issue(self) -> None:
        if self.busy or self.preview is None or self.shown_request != self.request:
            return
        self.busy = True
        self.refusal = None
        self._show()
        self.refresh_bindings()
        self._issue(self.preview.spec, self.query_one("#builder-note", Input).value)

    @work(thread=True, exclusive=True, group="issue", exit_on_error=False)
    def _issue(self, spec: OfferSpec, note: str) -> None:
        svc = self.app.officer_services
        assert svc is not None
        ask_services(self, self.Issued, lambda: svc.issue_offers(
            self.officer.id, self.case.application_id, [spec], note=note, version=self.case.version),
            "issuing the offer")

    def on_builder_screen_issued(self, message: Issued) -> None:
        if not take_answer(self, message):
            self._show()
            self.refresh_bindings()
