"""Step 5, the application form (填写申请): hardship, income and expenditure, the wished plan or
the settlement sum, with a live preview of what such a plan would look like.

The screen paints its frame (title, heading, status line, preview) first. A thread worker then
calls `services.start_application`, which resumes the draft, and the fields are mounted holding
every saved value (a refused application gets no fields, only the reason). Each field is
checked as the borrower types and when the field is left, by the same rules the services apply
(core.money.parse_amount and core.application_form.check_fields / check_for_submission); the
message stands next to the field in the UI language. Valid changes are saved about a second
after the last key press, in a thread worker, with the version the screen holds; a field in
error is never saved (the database keeps its last valid value). When someone else changed the
application meanwhile it is reloaded and the borrower is told. The preview is computed on the
UI thread with the shared calculator (pure and cheap): for a plan the installment, term, end
date, total interest, annualized rate and affordability (core.review.max_installment); for a
settlement the quote (core.charges.settlement_quote). Ctrl+N saves and goes on to the proof
materials (step 6); Escape saves and goes back.

A pasted text holding control or bidi characters is refused whole, next to the field.
Never touches the database on the UI thread, never shows data as markup, never uses float.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Label, OptionList, Select, Static, TextArea

from wsnego_tui.core.application_form import (
    HARDSHIP_TEXT_MAX,
    MAX_MONTHLY_AMOUNT,
    FieldError,
    FormFields,
    check_fields,
    check_for_submission,
)
from wsnego_tui.core.apr import AnnualizedRate, annualized_rate
from wsnego_tui.core.charges import SettlementQuote, settlement_quote
from wsnego_tui.core.clock import today
from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.core.money import AmountError, parse_amount
from wsnego_tui.core.policy import Policy
from wsnego_tui.core.review import max_installment
from wsnego_tui.core.schedule import GraceKind, Rate, Schedule, build_schedule, pmt
from wsnego_tui.core.text import FULL_WIDTH_NUMBERS, UNSAFE_CODEPOINTS
from wsnego_tui.core.views import ApplicationView, CustomerView, LoanDetail, LoanSummary
from wsnego_tui.i18n import Translator, enum_label, has_key
from wsnego_tui.screens.base import WsnegoScreen
from wsnego_tui.widgets.cells import show
from wsnego_tui.widgets.footer import KeyFooter
from wsnego_tui.widgets.safe_text import safe_text
from wsnego_tui.widgets.title_bar import TitleBar

log = logging.getLogger(__name__)

SAVE_DELAY = 1.0
"""Seconds after the last change before the draft is saved."""

AMOUNT_FIELDS = ("monthly_income", "essential_expenses", "other_debt", "wish_monthly", "lump_sum")
TYPED_FIELDS = (*AMOUNT_FIELDS, "wish_months", "lump_date")
PLAN_ONLY = ("wish_monthly", "wish_months", "grace_months", "grace_kind")
SETTLEMENT_ONLY = ("lump_sum", "lump_date")
WISH_GROUP = ("wish_monthly", "wish_months")
EMPTY_MEANS_MISSING = ("required", "amount_or_term_required")
REQUIRED_GROUPS: dict[str, tuple[str, ...]] = {
    "wish_monthly": WISH_GROUP,
    "wish_months": WISH_GROUP,
    "grace_kind": ("grace_kind", "grace_months"),
}
"""A missing value is flagged once the borrower has been in any field of its group."""

WIDGET_IDS: dict[str, str] = {
    "hardship_category": "hardship-category",
    "hardship_text": "hardship-text",
    "monthly_income": "monthly-income",
    "essential_expenses": "essential-expenses",
    "other_debt": "other-debt",
    "wish_monthly": "wish-monthly",
    "wish_months": "wish-months",
    "grace_months": "grace-months",
    "grace_kind": "grace-kind",
    "lump_sum": "lump-sum",
    "lump_date": "lump-date",
}
FIELD_OF_WIDGET = {widget_id: name for name, widget_id in WIDGET_IDS.items()}

_ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", re.ASCII)
_ZH_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]?", re.ASCII)
_UNSAFE_KEEP_NEWLINES = frozenset(UNSAFE_CODEPOINTS - {0x0A})


# --- reading what was typed (pure) ---------------------------------------------------------------


def has_unsafe(text: str, *, keep_newlines: bool = False) -> bool:
    """Whether `text` holds a control or bidi formatting character (newlines allowed if asked)."""
    unsafe = _UNSAFE_KEEP_NEWLINES if keep_newlines else UNSAFE_CODEPOINTS
    return any(ord(char) in unsafe for char in text)


def _error(code: str, **params: object) -> FieldError:
    return FieldError(code, tuple(sorted(params.items())))


def parse_money_field(text: str) -> tuple[Decimal | None, FieldError | None]:
    """An amount typed into the form: (value, None), (None, None) when empty, or (None, error).
    Full-width digits from a Chinese input method count as digits."""
    cleaned = text.translate(FULL_WIDTH_NUMBERS).strip()
    if not cleaned:
        return None, None
    try:
        return parse_amount(cleaned, maximum=MAX_MONTHLY_AMOUNT), None
    except AmountError as exc:
        params = {"limit": exc.limit} if exc.code == "above_maximum" and exc.limit is not None else {}
        return None, _error(exc.code, **params)


def parse_months_field(text: str) -> tuple[int | None, FieldError | None]:
    cleaned = text.translate(FULL_WIDTH_NUMBERS).strip()
    if not cleaned:
        return None, None
    if not (cleaned.isascii() and cleaned.isdigit()) or len(cleaned) > 4:
        return None, _error("not_whole_number")
    return int(cleaned), None


def parse_date_field(text: str) -> tuple[dt.date | None, FieldError | None]:
    """2026-12-01 (also 2026/12/01), or 2026年12月1日 as a Chinese user writes it."""
    cleaned = text.translate(FULL_WIDTH_NUMBERS).replace(" ", "")
    if not cleaned:
        return None, None
    match = _ISO_DATE.fullmatch(cleaned) or _ZH_DATE.fullmatch(cleaned)
    if match is None:
        return None, _error("bad_date")
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3))), None
    except ValueError:
        return None, _error("bad_date")


@dataclass(frozen=True)
class FormReading:
    """The form as typed: the values that could be read, and what could not (by field)."""

    form: FormFields
    errors: dict[str, FieldError]


def read_form(
    typed: Mapping[str, str],
    *,
    hardship_category: str | None,
    hardship_text: str,
    grace_months: int,
    grace_kind: str | None,
) -> FormReading:
    """Parse the typed fields (`typed`: field name -> text) into FormFields."""
    values: dict[str, Any] = {}
    errors: dict[str, FieldError] = {}
    for name in TYPED_FIELDS:
        text = typed.get(name, "")
        if name in AMOUNT_FIELDS:
            value, problem = parse_money_field(text)
        elif name == "wish_months":
            value, problem = parse_months_field(text)
        else:
            value, problem = parse_date_field(text)
        values[name] = value
        if problem is not None:
            errors[name] = problem
    form = FormFields(
        hardship_category=hardship_category,
        hardship_text=hardship_text,
        grace_months=grace_months,
        grace_kind=grace_kind if grace_months else None,
        **values,
    )
    return FormReading(form, errors)


def visible_errors(
    kind: ApplicationKind, reading: FormReading, touched: set[str], policy: Policy, today: dt.date
) -> dict[str, FieldError]:
    """The message to show next to each field: what cannot be read, what breaks a rule, and
    what is required but empty once the borrower has been in that field."""
    errors = dict(reading.errors)
    for name, problem in check_fields(kind, reading.form, policy, today).items():
        errors.setdefault(name, problem)
    for name, problem in check_for_submission(kind, reading.form, policy, today).items():
        if name in errors:
            continue
        if problem.code in EMPTY_MEANS_MISSING:
            if not touched & set(REQUIRED_GROUPS.get(name, (name,))):
                continue
        errors[name] = problem
    return errors


def savable_form(
    kind: ApplicationKind, form: FormFields, errors: Mapping[str, FieldError], saved: FormFields,
    policy: Policy, today: dt.date,
) -> FormFields | None:
    """The form to store: every field in error keeps its saved value (a required field emptied
    is an error too). None when no such combination passes the rules."""
    held = set(errors)
    if any(problem.code == "amount_or_term_required" for problem in errors.values()):
        held |= set(WISH_GROUP)
    candidate = form
    for _ in range(len(fields(FormFields)) + 1):
        candidate = replace(candidate, **{name: getattr(saved, name) for name in held})
        problems = check_fields(kind, candidate, policy, today)
        if not problems:
            return candidate
        if set(problems) <= held:
            return None
        held |= set(problems)
    return None  # pragma: no cover - every round holds back at least one more field


BUDGET_FIELDS = ("monthly_income", "essential_expenses", "other_debt")


def usable_form(form: FormFields, errors: Mapping[str, FieldError]) -> FormFields:
    """`form` without the fields in error, for the preview; no disposable income while any
    of its three parts is in error."""
    defaults = FormFields()
    usable = replace(form, **{name: getattr(defaults, name) for name in errors})
    if set(errors) & set(BUDGET_FIELDS):
        usable = replace(usable, monthly_income=None)
    return usable


# --- the preview (pure, shared calculator) -------------------------------------------------------


def negotiated_principal(summary: LoanSummary, kind: ApplicationKind, policy: Policy) -> Decimal:
    """The balance a negotiated plan would repay, as the review engine builds it: the
    outstanding principal, the overdue interest, and the penalty interest the kind may not
    waive (a first negotiation waives all of it by default)."""
    waiver_pct = policy.first_penalty_waiver_pct if kind == ApplicationKind.FIRST else policy.second_penalty_waiver_pct
    with localcontext(prec=50):
        waived = (summary.overdue_penalty * waiver_pct / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return summary.outstanding_principal + summary.overdue_interest + summary.overdue_penalty - waived


def contract_rate(detail: LoanDetail) -> Rate:
    """The annual rate of the plan in force (the loan's contract rate without one)."""
    plan = detail.active_plan
    return Rate.annual(plan.annual_rate_pct if plan is not None else detail.annual_rate_pct)


@dataclass(frozen=True)
class PlanPreview:
    """What a plan built from the form would look like (equal installment, starting today)."""

    principal: Decimal
    rate: Rate
    schedule: Schedule | None = None
    apr: AnnualizedRate | None = None
    need: str | None = None
    """What is missing before a plan can be shown: "wish" or "grace_kind"."""
    wished_amount: Decimal | None = None
    """The monthly amount the term was found from (None when the term was given)."""
    unreachable_lowest: Decimal | None = None
    """When the wished amount cannot be reached: the lowest payment at the longest term."""
    disposable: Decimal | None = None
    limit: Decimal | None = None

    @property
    def highest_payment(self) -> Decimal | None:
        return max(row.payment for row in self.schedule.rows) if self.schedule else None

    @property
    def grace_payment(self) -> Decimal | None:
        """The payment in a grace month (interest only, or nothing when deferred)."""
        if self.schedule is None or not self.schedule.grace_months:
            return None
        return self.schedule.rows[0].payment

    @property
    def over_limit(self) -> Decimal | None:
        """By how much the highest payment exceeds the affordable limit (0: affordable)."""
        highest = self.highest_payment
        if highest is None or self.limit is None:
            return None
        return max(highest - self.limit, Decimal("0.00"))


def _plan(principal: Decimal, rate: Rate, months: int, grace: int, grace_kind: GraceKind | None, start: dt.date) -> Schedule:
    return build_schedule(principal, rate, months, start=start, grace_months=grace, grace_kind=grace_kind)


def shortest_term_for(
    principal: Decimal, rate: Rate, amount: Decimal, grace: int, grace_kind: GraceKind | None,
    policy: Policy, start: dt.date,
) -> Schedule | None:
    """The plan with the fewest months (grace included, at most policy.max_term_months) whose
    every payment is at most `amount`; None when no such plan exists."""
    for months in range(grace + 1, policy.max_term_months + 1):
        # The amortised balance is at least the principal: this payment is a lower bound.
        if pmt(principal, rate.period_rate, months - grace) > amount:
            continue
        schedule = _plan(principal, rate, months, grace, grace_kind, start)
        if max(row.payment for row in schedule.rows) <= amount:
            return schedule
    return None


def plan_preview(principal: Decimal, rate: Rate, form: FormFields, policy: Policy, start: dt.date) -> PlanPreview:
    """The preview of the plan the (valid part of the) form asks for."""
    disposable = form.disposable
    limit = max_installment(disposable, policy) if disposable is not None else None
    base = PlanPreview(principal, rate, disposable=disposable, limit=limit)
    grace = form.grace_months
    grace_kind = GraceKind(form.grace_kind) if grace and form.grace_kind else None
    if grace and grace_kind is None:
        return replace(base, need="grace_kind")
    if principal <= 0:
        return replace(base, need="wish")
    if form.wish_months is not None and form.wish_months > grace:
        schedule = _plan(principal, rate, form.wish_months, grace, grace_kind, start)
        return replace(base, schedule=schedule, apr=annualized_rate(schedule))
    if form.wish_monthly is not None and form.wish_monthly > 0:
        found = shortest_term_for(principal, rate, form.wish_monthly, grace, grace_kind, policy, start)
        if found is None:
            longest = _plan(principal, rate, policy.max_term_months, grace, grace_kind, start)
            return replace(
                base, wished_amount=form.wish_monthly,
                unreachable_lowest=max(row.payment for row in longest.rows),
            )
        return replace(base, schedule=found, apr=annualized_rate(found), wished_amount=form.wish_monthly)
    return replace(base, need="wish")


@dataclass(frozen=True)
class SettlementPreview:
    quote: SettlementQuote
    lump_sum: Decimal | None
    lump_date: dt.date | None

    @property
    def shortfall(self) -> Decimal | None:
        if self.lump_sum is None:
            return None
        return max(self.quote.amount_due - self.lump_sum, Decimal("0.00"))


def settlement_preview(summary: LoanSummary, form: FormFields, policy: Policy, day: dt.date) -> SettlementPreview:
    """The settlement quote with the policy's largest waivers, against the lump sum."""
    quote = settlement_quote(
        summary.outstanding_principal, summary.overdue_interest, summary.overdue_penalty,
        policy=policy, accepted_on=day,
    )
    return SettlementPreview(quote, form.lump_sum, form.lump_date)


def field_message(tr: Translator, problem: FieldError) -> str:
    """A FieldError (or a parse error of the form) in the UI language."""
    key = f"appform.error.{problem.code}"
    try:
        return tr.fill(key, **dict(problem.params))
    except KeyError:
        return tr("appform.error.invalid")


def percent_text(pct: Decimal) -> str:
    """70 -> "70", 12.5 -> "12.5" (no exponent, no trailing zeros)."""
    return format(pct.normalize(), "f")


# --- widgets that refuse a dangerous paste -------------------------------------------------------


class PasteRefused(Message):
    """A paste into a form field held control or bidi characters and was not inserted."""

    def __init__(self, widget: Widget) -> None:
        super().__init__()
        self.widget = widget


class FormInput(Input):
    """An Input that refuses a paste with control or bidi characters instead of inserting it."""

    def _on_paste(self, event: events.Paste) -> None:
        first_line = event.text.splitlines()[0] if event.text else ""
        if has_unsafe(first_line):
            event.prevent_default()
            event.stop()
            self.post_message(PasteRefused(self))


class FormTextArea(TextArea):
    """A TextArea that refuses a paste with control or bidi characters (newlines are fine)."""

    async def _on_paste(self, event: events.Paste) -> None:
        if has_unsafe(event.text.replace("\r\n", "\n").replace("\r", "\n"), keep_newlines=True):
            event.prevent_default()
            event.stop()
            self.post_message(PasteRefused(self))


def _placeholder_key(name: str) -> str:
    return "appform.placeholder." + {"wish_months": "months", "lump_date": "date"}.get(name, "amount")


def _typed_text(value: object) -> str:
    """A stored value as it stands in its text field."""
    return "" if value is None else value.isoformat() if isinstance(value, dt.date) else str(value)


# --- the screen ----------------------------------------------------------------------------------


class ApplicationFormScreen(WsnegoScreen[None]):
    """The application form of one kind for one loan of the logged-in customer."""

    STEP_KEY = "appform.step"

    BINDINGS = [
        Binding("ctrl+n", "next", "Next: proofs", id="appform.next"),
        Binding("escape", "back", "Back", id="appform.back"),
    ]

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    AUTO_FOCUS = ""
    """Nothing takes the focus until the draft is loaded and its fields are mounted: the
    form's scroll area would take it only to hand it to the first field (a focus change of
    the scroll area restyles every field in it)."""
    PREVIEW_CELLS = 32
    """The preview's inner width before the first layout (the width it has at 100 columns)."""

    class Loaded(Message):
        """The draft, or the code of the refusal (None: the services failed)."""

        def __init__(self, view: ApplicationView | None, refusal: str | None = None, reload: bool = False) -> None:
            super().__init__()
            self.view = view
            self.refusal = refusal
            self.reload = reload

    class DetailLoaded(Message):
        def __init__(self, detail: LoanDetail | None) -> None:
            super().__init__()
            self.detail = detail

    class Saved(Message):
        """The save worker's answer: the application as stored, or why not."""

        def __init__(self, view: ApplicationView | None, code: str | None = None, problems: dict[str, FieldError] | None = None) -> None:
            super().__init__()
            self.view = view
            self.code = code
            self.problems = problems or {}

    def __init__(self, customer: CustomerView, loan_id: int, kind: ApplicationKind) -> None:
        super().__init__(id="appform")
        self.customer = customer
        self.loan_id = loan_id
        self.kind = ApplicationKind(kind)
        self.view: ApplicationView | None = None
        self.detail: LoanDetail | None = None
        self.detail_failed = False
        self.saved = FormFields()
        self.version: int | None = None
        self.editable = False
        self.touched: set[str] = set()
        self.reading = FormReading(FormFields(), {})
        self.errors: dict[str, FieldError] = {}
        self.service_problems: dict[str, FieldError] = {}
        self.paste_refused: set[str] = set()
        self.preview: PlanPreview | SettlementPreview | None = None
        self._known: dict[str, object] = {}
        self._typed: dict[str, str] = {}
        self._save_timer: Timer | None = None
        self._saving = False
        self._save_again = False
        self._after_save: Callable[[], None] | None = None
        self._status: tuple[str, dict[str, object], bool] = ("appform.loading", {}, False)
        self._refusal: str | None = None
        self._resumed_once = False
        self._save_failed = False
        self._fields_mounted = False

    # Building -------------------------------------------------------------------------------

    @property
    def field_names(self) -> tuple[str, ...]:
        """The fields of this kind of application, in screen (and Tab) order."""
        common = ("hardship_category", "hardship_text", "monthly_income", "essential_expenses", "other_debt")
        return common + (SETTLEMENT_ONLY if self.kind == ApplicationKind.SETTLEMENT else PLAN_ONLY)

    @property
    def policy(self) -> Policy:
        return self.app.services.policy

    @property
    def today(self) -> dt.date:
        return today(self.app.clock)

    def compose(self) -> ComposeResult:
        """The frame: the fields are mounted when the draft arrives (`_mount_fields`), with
        its values and enabled, so the first paint does not wait for some sixty widgets that
        could not be typed into yet."""
        tr = self.tr
        yield TitleBar(icon="¥")
        with Horizontal(id="appform-body"):
            with VerticalScroll(id="appform-fields"):
                yield Static("", id="appform-heading", classes="heading", markup=False)
                yield Static("", id="appform-status", markup=False)
            with Vertical(id="appform-preview"):
                yield Static(tr("appform.preview.title"), id="appform-preview-title", classes="heading", markup=False)
                yield Static("", id="appform-preview-body", markup=False)
        yield KeyFooter()

    def _field_widgets(self, form: FormFields, editable: bool) -> list[Widget]:
        """The sections and rows of the form, holding `form`'s values."""
        tr = self.tr

        def section(key: str, section_id: str) -> Static:
            return Static(tr(key), id=section_id, classes="appform-section", markup=False)

        def typed_row(name: str) -> Horizontal:
            return self._row(name, self._input(name, _typed_text(getattr(form, name)), editable))

        text_area = FormTextArea(
            form.hardship_text or "", id=WIDGET_IDS["hardship_text"], compact=True, soft_wrap=True, disabled=not editable
        )
        text_area.cursor_blink = self.app.input_cursor_blink
        hardship = self._select("hardship_category", self._hardship_options(), form.hardship_category, editable)
        widgets: list[Widget] = [
            section("appform.section.hardship", "appform-section-hardship"),
            self._row("hardship_category", hardship),
            self._row("hardship_text", text_area),
            section("appform.section.budget", "appform-section-budget"),
            *(typed_row(name) for name in ("monthly_income", "essential_expenses", "other_debt")),
            self._row("disposable", Static("-", id="disposable", classes="appform-value", markup=False)),
        ]
        if self.kind == ApplicationKind.SETTLEMENT:
            widgets.append(section("appform.section.settlement", "appform-section-plan"))
            widgets += [typed_row(name) for name in SETTLEMENT_ONLY]
        else:
            widgets.append(section("appform.section.plan", "appform-section-plan"))
            widgets += [typed_row(name) for name in WISH_GROUP]
            grace = self._select("grace_months", self._grace_options(), form.grace_months, editable, blank=False)
            grace_kind_open = editable and bool(form.grace_months)
            grace_kind = self._select("grace_kind", self._grace_kind_options(), form.grace_kind, grace_kind_open)
            widgets += [self._row("grace_months", grace), self._row("grace_kind", grace_kind)]
        return widgets

    def _row(self, name: str, field: Widget) -> Horizontal:
        widget_id = WIDGET_IDS.get(name, name)
        return Horizontal(
            Label(self.tr(f"appform.field.{name}"), id=f"{widget_id}-label", classes="appform-label", markup=False),
            field,
            Static("", id=f"{widget_id}-message", classes="appform-message", markup=False),
            classes="appform-row",
            id=f"{widget_id}-row",
        )

    def _input(self, name: str, value: str, editable: bool) -> Input:
        field = FormInput(
            value, placeholder=self.tr(_placeholder_key(name)), id=WIDGET_IDS[name], compact=True,
            max_length=32, disabled=not editable,
        )
        field.set_reactive(Input.cursor_blink, self.app.input_cursor_blink)
        return field

    def _select(
        self, name: str, options: list[tuple[Text, Any]], value: object, editable: bool, *, blank: bool = True
    ) -> Select[Any]:
        legal = {option_value for _, option_value in options}
        if value not in legal:
            value = Select.NULL if blank else options[0][1]
        return Select(
            options, prompt=self.tr("appform.placeholder.choose"), allow_blank=blank, compact=True,
            id=WIDGET_IDS[name], disabled=not editable, value=value,
        )

    def _hardship_options(self) -> list[tuple[Text, str]]:
        tr = self.tr
        return [(Text(enum_label(tr.lang, "appform.hardship", code)), code) for code in self.policy.hardship_categories]

    def _grace_options(self) -> list[tuple[Text, int]]:
        most = max(self.policy.max_grace_months, self.saved.grace_months)
        return [(Text(self._grace_label(n)), n) for n in range(most + 1)]

    def _grace_label(self, months: int) -> str:
        """不申请 / 1个月 / 3个月 (None / 1 month / 3 months)."""
        tr = self.tr
        if months == 0:
            return tr("appform.grace.none")
        return tr("appform.grace.one_month") if months == 1 else tr("appform.grace.months", months=months)

    def _term_text(self, months: int) -> str:
        tr = self.tr
        return tr("appform.preview.term_one") if months == 1 else tr("appform.preview.term_value", months=months)

    def _grace_kind_options(self) -> list[tuple[Text, str]]:
        return [(Text(self.tr(f"appform.grace_kind.{kind.value}")), kind.value) for kind in GraceKind]

    def on_mount(self) -> None:
        self.show_step()
        self._show_heading()
        self._show_status()
        self._show_preview()
        self.after_paint(self._load)  # once the screen has been painted

    def show_step(self) -> None:
        """The step and the kind of application in the title line ("二次协商" stands out)."""
        super().show_step()
        self.sub_title = self.tr(
            "appform.step_kind", step=self.tr(self.STEP_KEY or ""), kind=enum_label(self.tr.lang, "kind", self.kind)
        )

    # Loading --------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="appform-load", exit_on_error=False)
    def _load(self) -> None:
        from wsnego_tui.services import ServiceError

        services = self.app.services
        try:
            view = services.start_application(self.customer.id, self.loan_id, self.kind)
        except ServiceError as exc:
            self.post_message(self.Loaded(None, exc.code))
        except Exception:
            log.exception("starting the application failed")
            self.post_message(self.Loaded(None, "failed"))
        else:
            self.post_message(self.Loaded(view))
        try:
            detail = services.loan_detail(self.customer.id, self.loan_id)
        except Exception:
            log.exception("reading the loan failed")
            detail = None
        self.post_message(self.DetailLoaded(detail))

    @work(thread=True, exclusive=True, group="appform-load", exit_on_error=False)
    def _reload(self) -> None:
        try:
            view = self.app.services.application(self.customer.id, self.view.id if self.view else 0)
        except Exception:
            log.exception("reloading the application failed")
            return
        self.post_message(self.Loaded(view, reload=True))

    async def on_application_form_screen_loaded(self, message: Loaded) -> None:
        view = message.view
        if view is None:
            self._refusal = message.refusal or "failed"
            self._set_status("appform.refused", error=True, reason=self._refusal_text(self._refusal))
            self.query_one("#appform-fields").focus()
            return
        if not self._fields_mounted:
            await self._mount_fields(view)
            return
        changed_elsewhere = message.reload and view.form != self.saved
        self.view = view
        self.version = view.version
        self.editable = view.status == "draft"
        if message.reload and not changed_elsewhere:
            if not self.editable:
                self._set_editable(False)
                self._set_status("appform.not_editable", error=True)
            return
        self.saved = view.form
        self._fill(view.form)
        self._set_editable(self.editable)
        self._show_heading()
        if not self.editable:
            self._set_status("appform.not_editable", error=True)
        elif changed_elsewhere:
            self._set_status("appform.changed", error=True)
        else:
            self._show_saved()
        self._evaluate()

    async def _mount_fields(self, view: ApplicationView) -> None:
        """The draft's first arrival: mount the fields holding its values, then take it."""
        editable = view.status == "draft"
        self.saved = view.form
        self._remember(view.form)  # before mounting: the fields' first Changed are not typing
        rows = self._field_widgets(view.form, editable)
        try:
            await self.query_one("#appform-fields").mount_all(rows, before="#appform-status")
        except Exception:
            if not self.is_attached:  # left before the draft arrived
                return
            raise
        self._fields_mounted = True
        self.view = view
        self.version = view.version
        self.editable = editable
        self.refresh_bindings()
        self._show_heading()
        if editable:
            self._show_saved()
        else:
            self._set_status("appform.not_editable", error=True)
        self._evaluate()
        first = f"#{WIDGET_IDS['hardship_category']}" if editable else "#appform-fields"
        self.query_one(first).focus()

    def on_application_form_screen_detail_loaded(self, message: DetailLoaded) -> None:
        self.detail = message.detail
        self.detail_failed = message.detail is None
        self._show_heading()
        self._show_preview()

    def on_screen_resume(self) -> None:
        """Back from the proofs: the version moved on (files were attached); take it, and
        reload the fields only if the form itself was changed elsewhere."""
        if self.view is not None and self._resumed_once:
            self._reload()
        self._resumed_once = True

    def _refusal_text(self, code: str) -> str:
        key = f"appform.refusal.{code}"
        return self.tr(key) if has_key(key) else code

    # Filling and reading the widgets ----------------------------------------------------------

    def _fill(self, form: FormFields) -> None:
        """Put every value of `form` into its mounted field, without treating it as typing."""
        for name in self.field_names:
            widget = self.query_one(f"#{WIDGET_IDS[name]}")
            value = getattr(form, name)
            if isinstance(widget, Input):
                with widget.prevent(Input.Changed):
                    widget.value = _typed_text(value)
            elif isinstance(widget, TextArea):
                with widget.prevent(TextArea.Changed):
                    widget.load_text(value or "")
            elif isinstance(widget, Select):
                if name == "grace_months":
                    with widget.prevent(Select.Changed):
                        widget.set_options(self._grace_options())
                legal = {option_value for _, option_value in widget._options}
                with widget.prevent(Select.Changed):
                    if value is None or value not in legal:
                        if widget._allow_blank:
                            widget.clear()
                    else:
                        widget.value = value
        self._remember(form)

    def _remember(self, form: FormFields) -> None:
        """`form` is what the fields hold now: nothing typed, nothing refused."""
        for name in self.field_names:
            value = getattr(form, name)
            if name in TYPED_FIELDS:
                self._typed[name] = self._known[name] = _typed_text(value)
            elif name == "hardship_text":
                self._known[name] = value or ""
            else:
                self._known[name] = value
        self.paste_refused.clear()
        self.service_problems.clear()

    def _set_editable(self, editable: bool) -> None:
        for name in self.field_names:
            self.query_one(f"#{WIDGET_IDS[name]}").disabled = not editable
        self._update_grace_kind_state()
        self.refresh_bindings()

    def _update_grace_kind_state(self) -> None:
        if self.kind == ApplicationKind.SETTLEMENT:
            return
        grace_kind = self.query_one(f"#{WIDGET_IDS['grace_kind']}", Select)
        grace_kind.disabled = not self.editable or not self._grace_months_value()

    def _grace_months_value(self) -> int:
        if self.kind == ApplicationKind.SETTLEMENT:
            return 0
        value = self.query_one(f"#{WIDGET_IDS['grace_months']}", Select).value
        return value if isinstance(value, int) else 0

    def _select_value(self, name: str) -> str | None:
        value = self.query_one(f"#{WIDGET_IDS[name]}", Select).value
        return value if isinstance(value, str) else None

    def _read(self) -> FormReading:
        plan = self.kind != ApplicationKind.SETTLEMENT
        return read_form(
            self._typed,
            hardship_category=self._select_value("hardship_category"),
            hardship_text=self.query_one(f"#{WIDGET_IDS['hardship_text']}", TextArea).text,
            grace_months=self._grace_months_value() if plan else 0,
            grace_kind=self._select_value("grace_kind") if plan else None,
        )

    # Typing ------------------------------------------------------------------------------------

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        name = FIELD_OF_WIDGET.get(event.input.id or "")
        if name is None or self.view is None:
            return
        value = event.value
        if has_unsafe(value):  # a terminal without bracketed paste: refuse the characters
            previous = self._typed.get(name, "")
            with event.input.prevent(Input.Changed):
                event.input.value = previous
            self.paste_refused.add(name)
            self._evaluate()
            return
        if value == self._known.get(name):
            return
        self._typed[name] = value
        self._known[name] = value
        self.paste_refused.discard(name)
        if name in WISH_GROUP and value.strip():
            # A monthly amount OR a term: typing one clears the other.
            other = WISH_GROUP[1] if name == WISH_GROUP[0] else WISH_GROUP[0]
            other_input = self.query_one(f"#{WIDGET_IDS[other]}", Input)
            if other_input.value:
                with other_input.prevent(Input.Changed):
                    other_input.value = ""
                self._typed[other] = ""
                self._known[other] = ""
        self._changed(name)

    @on(TextArea.Changed)
    def _text_changed(self, event: TextArea.Changed) -> None:
        name = FIELD_OF_WIDGET.get(event.text_area.id or "")
        if name is None or self.view is None:
            return
        text = event.text_area.text
        if has_unsafe(text, keep_newlines=True):
            previous = str(self._known.get(name, ""))
            with event.text_area.prevent(TextArea.Changed):
                event.text_area.load_text(previous)
            self.paste_refused.add(name)
            self._evaluate()
            return
        if text == self._known.get(name):
            return
        self._known[name] = text
        self.paste_refused.discard(name)
        self._changed(name)

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        name = FIELD_OF_WIDGET.get(event.select.id or "")
        if name is None or self.view is None:
            return
        value = None if event.select.is_blank() else event.value
        if value == self._known.get(name):
            return
        self._known[name] = value
        if name == "grace_months":
            self._update_grace_kind_state()
        self._changed(name)

    def on_paste_refused(self, message: PasteRefused) -> None:
        name = FIELD_OF_WIDGET.get(message.widget.id or "")
        if name is not None:
            self.paste_refused.add(name)
            self._evaluate()

    @staticmethod
    def _field_widget(widget: Widget) -> Widget | None:
        """The form field `widget` belongs to (a Select's overlay belongs to the Select)."""
        owner: Widget | None = widget
        while owner is not None and FIELD_OF_WIDGET.get(owner.id or "") is None:
            owner = owner.parent if isinstance(owner.parent, Widget) else None
        return owner

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Light up the label of the row being filled in."""
        owner = self._field_widget(event.widget)
        for row in self.query(".appform-row"):
            row.set_class(owner is not None and owner.parent is row, "-current")

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        owner = self._field_widget(event.widget)
        if owner is None:
            return
        name = FIELD_OF_WIDGET[owner.id or ""]

        def left() -> None:
            if owner.has_focus_within:
                return
            if owner.parent is not None and isinstance(owner.parent, Widget):
                owner.parent.set_class(False, "-current")
            if self.view is not None and name not in self.touched:
                self.touched.add(name)
                self._evaluate()
                self._schedule_save()

        self.call_after_refresh(left)

    @on(Input.Submitted)
    def _enter_goes_on(self, event: Input.Submitted) -> None:
        """Enter in a field moves on to the next one, as in a paper form."""
        if FIELD_OF_WIDGET.get(event.input.id or ""):
            self.focus_next()

    def _changed(self, name: str) -> None:
        self.touched.add(name)
        self.service_problems.pop(name, None)
        self._evaluate()
        self._schedule_save()

    # Checking and showing -------------------------------------------------------------------------

    def _evaluate(self) -> None:
        self.reading = self._read()
        self.errors = visible_errors(self.kind, self.reading, self.touched, self.policy, self.today)
        for name, problem in self.service_problems.items():
            self.errors.setdefault(name, problem)
        for name in self.paste_refused:
            self.errors.setdefault(name, FieldError("control_chars"))
        self._show_messages()
        self._show_disposable()
        self._show_preview()

    def _show_messages(self) -> None:
        tr = self.tr
        for name in self.field_names:
            widget_id = WIDGET_IDS[name]
            problem = self.errors.get(name)
            message = self.query_one(f"#{widget_id}-message", Static)
            text = field_message(tr, problem) if problem else ""
            if name == "hardship_text":
                counter = tr("appform.counter", count=len(self.reading.form.hardship_text), limit=HARDSHIP_TEXT_MAX)
                text = f"{counter}\n{text}" if text else counter
            elif name == "wish_monthly" and not text:
                text = tr("appform.or_hint")
            show(message, Content(text))
            message.set_class(problem is not None, "-error")
            self.query_one(f"#{widget_id}").set_class(problem is not None, "-invalid")

    def _show_disposable(self) -> None:
        form = usable_form(self.reading.form, self.errors)
        disposable = form.disposable
        value = self.tr.money(disposable) if disposable is not None else "-"
        show(self.query_one("#disposable", Static), Content(value))
        show(self.query_one("#disposable-message", Static), Content(self.tr("appform.disposable_hint")))

    def _show_heading(self) -> None:
        tr = self.tr
        loan_no = self.view.loan_no if self.view else (self.detail.summary.loan_no if self.detail else "")
        heading = tr("appform.heading", kind=enum_label(tr.lang, "kind", self.kind), loan_no=safe_text(loan_no))
        self.query_one("#appform-heading", Static).update(Content(heading))

    def _set_status(self, key: str, *, error: bool = False, **values: object) -> None:
        self._status = (key, values, error)
        self._show_status()

    def _show_status(self) -> None:
        key, values, error = self._status
        status = self.query_one("#appform-status", Static)
        show(status, Content(self.tr.fill(key, **values)))
        status.set_class(error, "-error")

    def _show_saved(self) -> None:
        if self.view is None:
            return
        if self.saved == FormFields():
            self._set_status("appform.saved_never")
        else:
            self._set_status("appform.saved", at=self.view.updated_at)

    # The preview ------------------------------------------------------------------------------

    def _pair(self, label_key: str, value: str, **values: object) -> str:
        """A label and its value right-aligned at the preview's edge (measured in cells)."""
        label = self.tr(label_key, **values)
        width = self.query_one("#appform-preview").content_region.width or self.PREVIEW_CELLS
        gap = width - cell_len(label) - cell_len(value)
        return label + " " * max(gap, 1) + value

    def on_resize(self) -> None:
        self._show_preview()

    def _show_preview(self) -> None:
        body = self.query_one("#appform-preview-body", Static)
        show(body, Content("\n".join(self._preview_lines())))

    def _preview_lines(self) -> list[str]:
        tr = self.tr
        self.preview = None
        if self.detail is None:
            return [tr("appform.preview.unavailable" if self.detail_failed else "appform.preview.loading")]
        form = usable_form(self.reading.form, self.errors)
        summary = self.detail.summary
        try:
            if self.kind == ApplicationKind.SETTLEMENT:
                self.preview = settlement_preview(summary, form, self.policy, self.today)
                return self._settlement_lines(self.preview)
            principal = negotiated_principal(summary, self.kind, self.policy)
            self.preview = plan_preview(principal, contract_rate(self.detail), form, self.policy, self.today)
        except (ValueError, ArithmeticError):
            log.exception("the preview could not be computed")
            return [tr("appform.preview.unavailable")]
        return self._plan_lines(self.preview)

    def _plan_lines(self, preview: PlanPreview) -> list[str]:
        tr = self.tr
        pct = percent_text(self.policy.affordability_pct)
        lines = [
            self._pair("appform.preview.principal", tr.money(preview.principal)),
            self._pair("appform.preview.rate", f"{preview.rate.annual_pct.quantize(Decimal('0.01'))}%"),
            "",
        ]
        schedule = preview.schedule
        if schedule is None:
            if preview.unreachable_lowest is not None and preview.wished_amount is not None:
                lines.append(
                    tr.fill(
                        "appform.preview.unreachable", amount=preview.wished_amount,
                        months=self.policy.max_term_months, lowest=preview.unreachable_lowest,
                    )
                )
            else:
                lines.append(tr(f"appform.preview.need_{preview.need or 'wish'}"))
            return lines
        lines.append(self._pair("appform.preview.term", self._term_text(schedule.months)))
        if schedule.grace_months:
            lines.append(self._pair("appform.preview.grace", self._term_text(schedule.grace_months)))
            lines.append(self._pair("appform.preview.grace_payment", tr.money(preview.grace_payment or Decimal(0))))
        lines += [
            self._pair("appform.preview.installment", tr.money(schedule.installment)),
            *(
                [self._pair("appform.preview.highest", tr.money(preview.highest_payment))]
                if preview.highest_payment is not None and preview.highest_payment > schedule.installment
                else []
            ),
            self._pair("appform.preview.end_date", tr.date(schedule.end_date)),
            self._pair("appform.preview.total_interest", tr.money(schedule.total_interest)),
        ]
        if preview.apr is not None:
            lines.append(self._pair("appform.preview.apr_nominal", f"{preview.apr.nominal_str}%"))
            lines.append(self._pair("appform.preview.apr_effective", f"{preview.apr.effective_str}%"))
        if preview.wished_amount is not None:
            lines.append(tr.fill("appform.preview.by_amount", amount=preview.wished_amount, months=schedule.months))
        lines.append("")
        if preview.limit is None:
            lines.append(tr("appform.preview.need_budget"))
        elif preview.limit <= 0:
            lines.append(tr("appform.preview.no_disposable"))
        else:
            lines.append(self._pair("appform.preview.limit", tr.money(preview.limit), pct=pct))
            over = preview.over_limit or Decimal(0)
            if over > 0:
                lines.append(tr.fill("appform.preview.over_limit", pct=pct, over=over))
            else:
                lines.append(tr("appform.preview.affordable"))
        lines.append(tr("appform.preview.basis"))
        return lines

    def _settlement_lines(self, preview: SettlementPreview) -> list[str]:
        tr = self.tr
        quote = preview.quote
        lines = [
            self._pair("appform.preview.owed", tr.money(quote.total_owed)),
            self._pair("appform.preview.waived", tr.money(quote.total_waived)),
            self._pair("appform.preview.amount_due", tr.money(quote.amount_due)),
            self._pair("appform.preview.pay_by", tr.date(quote.pay_by)),
            "",
        ]
        if preview.lump_sum is None:
            lines.append(tr("appform.preview.need_lump_sum"))
        else:
            lines.append(self._pair("appform.preview.lump_sum", tr.money(preview.lump_sum)))
            shortfall = preview.shortfall or Decimal(0)
            lines.append(tr.fill("appform.preview.short", shortfall=shortfall) if shortfall > 0 else tr("appform.preview.covers"))
        if preview.lump_date is not None and preview.lump_date > quote.pay_by:
            lines.append(tr("appform.preview.date_late"))
        lines.append(tr("appform.preview.pay_by_note", days=self.policy.settlement_pay_days))
        return lines

    # Saving -------------------------------------------------------------------------------------

    def _candidate(self) -> FormFields | None:
        return savable_form(self.kind, self.reading.form, self.errors, self.saved, self.policy, self.today)

    def _schedule_save(self) -> None:
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        if not self.editable or self.view is None:
            return
        candidate = self._candidate()
        if candidate is None or candidate == self.saved:
            if self.errors and set(self.errors) & self.touched:
                self._set_status("appform.held_back", error=True)
            elif not self._saving:
                self._show_saved()
            return
        self._set_status("appform.unsaved")
        self._save_timer = self.set_timer(SAVE_DELAY, self.save_now)

    def save_now(self, then: Callable[[], None] | None = None) -> None:
        """Save the valid part of the form now (then call `then`, if the save succeeded or
        there was nothing to save)."""
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        if then is not None:
            self._after_save = then
        if self._saving:
            self._save_again = True
            return
        candidate = self._candidate() if self.editable and self.view is not None else None
        if candidate is None or candidate == self.saved:
            self._continue_after_save()
            return
        self._saving = True
        self._set_status("appform.saving")
        assert self.view is not None
        self._save(self.view.id, candidate, self.version)

    async def save_before_quit(self, timeout: float = 3.0) -> None:
        """The app is quitting (Ctrl+Q): save the changes still waiting for their save, waiting
        at most `timeout` seconds for it to be stored. A save refused or failed keeps nothing
        more; the app then ends when the wait is over."""
        if self._save_timer is None and not self._saving:
            return
        saved = asyncio.Event()
        self.save_now(then=saved.set)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(saved.wait(), timeout)

    def _continue_after_save(self) -> None:
        then, self._after_save = self._after_save, None
        if then is not None:
            then()

    @work(thread=True, exclusive=False, group="appform-save", exit_on_error=False)
    def _save(self, application_id: int, form: FormFields, version: int | None) -> None:
        from wsnego_tui.services import ServiceError

        try:
            view = self.app.services.save_application_form(self.customer.id, application_id, form, version=version)
        except ServiceError as exc:
            self.post_message(self.Saved(None, exc.code, dict(exc.fields)))
        except Exception:
            log.exception("saving the draft failed")
            self.post_message(self.Saved(None, "failed"))
        else:
            self.post_message(self.Saved(view))

    def on_application_form_screen_saved(self, message: Saved) -> None:
        self._saving = False
        self._save_failed = message.view is None and message.code == "failed"
        if message.view is not None:
            self.view = message.view
            self.saved = message.view.form
            self.version = message.view.version
            if self._save_again:
                self._save_again = False
                self.save_now()
                return
            self._show_saved()
            if self.errors and set(self.errors) & self.touched:
                self._set_status("appform.held_back", error=True)
            self._continue_after_save()
            return
        self._save_again = False
        self._after_save = None
        if message.code == "changed":
            self._reload()
            self._set_status("appform.changed", error=True)
        elif message.code in ("not_editable", "materials_expired"):
            self.editable = False
            self._set_editable(False)
            self._set_status(f"appform.{message.code}", error=True)
        elif message.code == "invalid":
            self.service_problems = {name: problem for name, problem in message.problems.items() if isinstance(problem, FieldError)}
            self._evaluate()
            self._set_status("appform.held_back", error=True)
        else:
            self._set_status("appform.save_failed", error=True)

    # Keys ---------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next":
            return self.view is not None and self.editable
        return True

    def action_back(self) -> None:
        """Save what is valid, then go back."""
        if self.view is None or not self.editable or self._save_failed:
            # Nothing to save, or the database refuses every save: never trap the borrower.
            self.app.pop_screen()
            return
        self.save_now(then=self._leave)

    def _leave(self) -> None:
        if self.app.screen is self:
            self.app.pop_screen()

    def action_next(self) -> None:
        """Check the whole form; if it is complete, save it and open the proof materials."""
        if self.view is None or not self.editable:
            return
        self.touched |= set(self.field_names)
        self._evaluate()
        if self.errors:
            self._set_status("appform.fix_first", error=True)
            first = next(name for name in self.field_names if name in self.errors)
            self.query_one(f"#{WIDGET_IDS[first]}").focus()
            return
        self.save_now(then=self._open_proofs)

    def _open_proofs(self) -> None:
        from wsnego_tui.screens.proofs import ProofsScreen

        if self.view is not None and self.app.screen is self:
            self.app.push_screen(ProofsScreen(self.customer, self.view.id))

    # Language -----------------------------------------------------------------------------------

    def refresh_texts(self) -> None:
        tr = self.tr
        self._show_heading()
        self.query_one("#appform-preview-title", Static).update(Content(tr("appform.preview.title")))
        self._show_status()
        if not self._fields_mounted:
            self._show_preview()
            return
        for section in ("hardship", "budget"):
            self.query_one(f"#appform-section-{section}", Static).update(Content(tr(f"appform.section.{section}")))
        plan_section = "settlement" if self.kind == ApplicationKind.SETTLEMENT else "plan"
        self.query_one("#appform-section-plan", Static).update(Content(tr(f"appform.section.{plan_section}")))
        for name in (*self.field_names, "disposable"):
            widget_id = WIDGET_IDS.get(name, name)
            self.query_one(f"#{widget_id}-label", Label).update(Content(tr(f"appform.field.{name}")))
        for name in TYPED_FIELDS:
            if name in self.field_names:
                self.query_one(f"#{WIDGET_IDS[name]}", Input).placeholder = tr(_placeholder_key(name))
        options = {"hardship_category": self._hardship_options}
        if self.kind != ApplicationKind.SETTLEMENT:
            options.update(grace_months=self._grace_options, grace_kind=self._grace_kind_options)
        for name, build in options.items():
            select = self.query_one(f"#{WIDGET_IDS[name]}", Select)
            value = select.value
            # An open drop-down keeps the option the borrower had moved to; rebuilding the
            # options would move it back to the chosen one.
            overlay = select.query_one(OptionList) if select.expanded else None
            highlighted = overlay.highlighted if overlay is not None else None
            with select.prevent(Select.Changed):
                select.prompt = tr("appform.placeholder.choose")
                select.set_options(build())
                if value is not Select.NULL and value in {option for _, option in select._options}:
                    select.value = value
            if overlay is not None and highlighted is not None and highlighted < overlay.option_count:
                overlay.highlighted = highlighted
        self._evaluate()
