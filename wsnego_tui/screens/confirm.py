"""Step 9, confirm the agreement (确认协商协议), and the yes/no question of steps 7 to 9.

ConfirmScreen shows the agreement, generated from the offer's figures and the borrower's
name and customer number in the UI language (a scrollable text), beside the comparison of
the plan in force and the new one (installment, term, end date, total paid, total interest,
waived). Accepting needs an explicit step: the last 4 digits of the customer number AND the
PIN again (masked, digits only; full-width digits count), each checked next to its field.
Then `services.accept_offer` runs in a worker, which replaces the plan in one transaction or
changes nothing; a refusal is shown by its code (last4 and pin next to their fields; locked,
offer_expired, not_offered below the form), the PIN field is cleared after every attempt. The
PIN's scrypt starts once six digits are typed, before Enter (screens/early_pin.py); only
Enter answers and counts a wrong PIN.
While it runs the form is disabled and Enter does nothing, so a double press accepts once.
On success a short summary replaces the form (新还款计划已生效 with the first due date and
amount, or for a settlement the amount and the pay-by date) and Enter goes back to the loan
(the loan detail screen when it is in the stack, otherwise My Loans). `d` declines every offer
(after a question) when the focus is not in a field.

QuestionDialog is the yes/no dialog of withdrawing and declining.

Never touches the database on the UI thread, never keeps the PIN anywhere but in its Input
and its early check (both dropped after every attempt), and never shows data as markup.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Input, Label, Static

from wsnego_tui.core.clock import today
from wsnego_tui.i18n import Translator, enum_label
from wsnego_tui.screens.base import WsnegoModal, WsnegoScreen
from wsnego_tui.screens.early_pin import EarlyPinCheck, PinPrecheck
from wsnego_tui.screens.login import normalize_digits
from wsnego_tui.screens.offers import (
    format_rate,
    grace_kind_text,
    is_settlement,
    offer_label,
    term_text,
)
from wsnego_tui.widgets.cells import money_cell, number_cell, show, text_cell
from wsnego_tui.widgets.footer import KeyFooter
from wsnego_tui.widgets.line_table import LineTable, fitted_columns
from wsnego_tui.widgets.safe_text import safe_text
from wsnego_tui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from wsnego_tui.core.policy import Policy
    from wsnego_tui.core.views import ApplicationView, CurrentPlanView, CustomerView, OfferView

log = logging.getLogger(__name__)

LAST4_LENGTH = 4
PIN_LENGTH = 6
FIELD_ERRORS = {"last4": "last4", "pin": "pin"}
"""Refusal codes shown next to a field (the rest go below the form)."""


# -- the yes/no question ------------------------------------------------------------------------


class QuestionDialog(WsnegoModal[bool]):
    """A question answered yes (True) or no (False); No has the focus, Esc answers no."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
        # A dialog hides the app's own keys; the language switch must still work here.
        Binding("f2", "app.toggle_language", "Language", id="app.language"),
    ]

    def __init__(self, question_key: str) -> None:
        super().__init__(classes="question-dialog")
        self.question_key = question_key

    def compose(self) -> ComposeResult:
        tr = self.tr
        with Vertical(classes="question-box"):
            yield Static(tr(self.question_key), classes="question-text", markup=False)
            with Horizontal(classes="question-buttons"):
                yield Button(Content(tr("confirm.yes")), id="question-yes", variant="warning")
                yield Button(Content(tr("confirm.no")), id="question-no", variant="primary")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#question-no", Button).focus()

    def refresh_texts(self) -> None:
        tr = self.tr
        self.query_one(".question-text", Static).update(Content(tr(self.question_key)))
        self.query_one("#question-yes", Button).label = Content(tr("confirm.yes"))
        self.query_one("#question-no", Button).label = Content(tr("confirm.no"))

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    @on(Button.Pressed, "#question-yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#question-no")
    def _no(self) -> None:
        self.dismiss(False)


# -- what the agreement says --------------------------------------------------------------------


def last4_problem(value: str, *, submitting: bool) -> str | None:
    """The i18n key of what is wrong with the typed last four digits, or None."""
    digits = normalize_digits(value)
    if not digits:
        return "confirm.error.last4_required" if submitting else None
    if not (digits.isascii() and digits.isdigit()):
        return "confirm.error.digits_only"
    if submitting and len(digits) != LAST4_LENGTH:
        return "confirm.error.last4_length"
    return None


def pin_problem(value: str, *, submitting: bool) -> str | None:
    """The i18n key of what is wrong with the typed PIN, or None."""
    digits = normalize_digits(value)
    if not digits:
        return "confirm.error.pin_required" if submitting else None
    if not (digits.isascii() and digits.isdigit()):
        return "confirm.error.digits_only"
    if submitting and len(digits) != PIN_LENGTH:
        return "confirm.error.pin_length"
    return None


def settlement_pay_by(day: dt.date, policy: Policy | None) -> dt.date:
    """The last day to pay a settlement accepted on `day`."""
    return day + dt.timedelta(days=policy.settlement_pay_days if policy else 7)


def agreement_text(
    tr: Translator,
    customer: CustomerView,
    application: ApplicationView,
    offer: OfferView,
    policy: Policy | None,
) -> str:
    """The agreement in the UI language, from the offer's figures and the borrower's name and
    number (both `safe_text`)."""
    title = tr("confirm.agreement.title", kind=enum_label(tr.lang, "kind", application.kind))
    common = {
        "name": safe_text(customer.name),
        "customer_no": safe_text(customer.customer_no),
        "loan_no": safe_text(application.loan_no),
        "principal": tr.money(offer.principal),
        "interest": tr.money(offer.total_interest),
        "total": tr.money(offer.total_payment),
        "waived_penalty": tr.money(offer.waived_penalty),
        "waived_interest": tr.money(offer.waived_interest),
    }
    if is_settlement(offer):
        days = policy.settlement_pay_days if policy else 7
        body = tr("confirm.agreement.settlement", days=days, **common)
    else:
        grace = (
            tr("confirm.agreement.grace", months=offer.grace_months, kind=grace_kind_text(tr, offer))
            if offer.grace_months
            else ""
        )
        label = offer_label(tr, offer).replace("\n", " ")
        body = tr(
            "confirm.agreement.plan",
            start=tr.date(offer.start_date),
            label=label,
            capitalised=tr.money(offer.capitalised_arrears),
            down_payment=tr.money(offer.down_payment),
            rate=format_rate(offer.annual_rate_pct),
            months=offer.months,
            grace=grace,
            installment=tr.money(offer.installment),
            end=tr.date(offer.end_date),
            apr_nominal=format_rate(offer.apr_nominal_pct),
            apr_effective=format_rate(offer.apr_effective_pct),
            missed=policy.broken_consecutive_missed if policy else 2,
            late=policy.broken_days_late if policy else 30,
            **common,
        )
    return f"{title}\n\n{body}"


def comparison_rows(
    tr: Translator, current: CurrentPlanView, offer: OfferView, day: dt.date, policy: Policy | None
) -> list[tuple[str, Text, Text]]:
    """(label, current plan, new plan) for the old -> new comparison."""
    dash = tr("offers.dash")
    end = settlement_pay_by(day, policy) if is_settlement(offer) else offer.end_date
    return [
        (tr("confirm.compare.installment"), money_cell(current.installment, dash), money_cell(offer.installment)),
        (
            tr("confirm.compare.term"),
            number_cell(tr("offers.term", months=current.remaining_months)),
            number_cell(term_text(tr, offer)),
        ),
        (
            tr("confirm.compare.end_date"),
            number_cell(tr.date(current.end_date) if current.end_date else dash),
            number_cell(tr.date(end)),
        ),
        (tr("confirm.compare.total_payment"), money_cell(current.total_payment), money_cell(offer.total_payment)),
        (tr("confirm.compare.total_interest"), money_cell(current.total_interest), money_cell(offer.total_interest)),
        (
            tr("confirm.compare.waived"),
            number_cell(dash),
            money_cell(offer.waived_penalty + offer.waived_interest),
        ),
    ]


# -- the screen -----------------------------------------------------------------------------------


class ConfirmScreen(WsnegoScreen[None]):
    """The agreement for one offer of one application of the logged-in customer."""

    AUTO_FOCUS = "#confirm-last4"

    STEP_KEY = "step.confirm"

    BINDINGS = [
        Binding("enter", "accept", "Confirm", id="confirm.accept", priority=True),
        Binding("enter", "done", "Back to the loan", id="confirm.done", priority=True),
        Binding("d", "decline", "Decline", id="confirm.decline"),
        Binding("escape", "back", "Back", id="confirm.back"),
    ]

    class Loaded(Message):
        def __init__(
            self,
            application: ApplicationView | None,
            current: CurrentPlanView | None,
            offer: OfferView | None,
            *,
            failed: bool = False,
        ) -> None:
            super().__init__()
            self.application = application
            self.current = current
            self.offer = offer
            self.failed = failed

    class Answered(Message):
        """The accepting (or declining) worker's answer: the application now, or a code."""

        def __init__(self, view: ApplicationView | None, code: str | None, *, declined: bool = False) -> None:
            super().__init__()
            self.view = view
            self.code = code
            self.declined = declined

    def __init__(self, customer: CustomerView, application_id: int, offer_id: int) -> None:
        super().__init__(id="confirm")
        self.customer = customer
        self.application_id = application_id
        self.offer_id = offer_id
        self.application: ApplicationView | None = None
        self.current: CurrentPlanView | None = None
        self.offer: OfferView | None = None
        self.loaded = False
        self.failed = False
        self.busy = False
        self.result: ApplicationView | None = None
        """The application after a successful acceptance."""
        self._field_problems: dict[str, str | None] = {"last4": None, "pin": None}
        self._status: str | None = None
        self._status_error = False
        self.early_pin = EarlyPinCheck(self, self._pin_check, group="confirm-pin-check")

    def compose(self) -> ComposeResult:
        tr = self.tr
        yield TitleBar(icon="¥")
        with Vertical(id="confirm-panel"):
            yield Static(tr("confirm.intro"), id="confirm-intro", markup=False)
            with Horizontal(id="confirm-top"):
                with VerticalScroll(id="confirm-agreement", can_focus=True):
                    yield Static(tr("confirm.loading"), id="confirm-agreement-text", markup=False)
                with Vertical(id="confirm-side"):
                    yield Static(tr("confirm.compare.heading"), id="confirm-compare-heading", markup=False)
                    yield LineTable(id="confirm-compare", show_cursor=False, zebra_stripes=False)
                    with Grid(id="confirm-form"):
                        yield Label(tr("confirm.last4"), id="confirm-last4-label", classes="field-label", markup=False)
                        last4 = Input(
                            placeholder=tr("confirm.last4.placeholder"), max_length=LAST4_LENGTH, id="confirm-last4"
                        )
                        last4.set_reactive(Input.cursor_blink, self.app.input_cursor_blink)
                        yield last4
                        yield Static("", classes="field-gap")
                        yield Static("", id="confirm-last4-message", classes="field-message", markup=False)
                        yield Label(tr("confirm.pin"), id="confirm-pin-label", classes="field-label", markup=False)
                        pin = Input(
                            placeholder=tr("confirm.pin.placeholder"),
                            password=True,
                            max_length=PIN_LENGTH,
                            id="confirm-pin",
                        )
                        pin.set_reactive(Input.cursor_blink, self.app.input_cursor_blink)
                        yield pin
                        yield Static("", classes="field-gap")
                        yield Static("", id="confirm-pin-message", classes="field-message", markup=False)
                    yield Static("", id="confirm-status", markup=False)
                    yield Static("", id="confirm-done", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#confirm-done").display = False
        # Read once the screen has been painted: the reading (every offer's schedule) would
        # otherwise share the interpreter with the first paint and hold it back.
        self.after_paint(self._load, self.customer.id, self.application_id)

    # Reading ----------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="confirm", exit_on_error=False)
    def _load(self, customer_id: int, application_id: int) -> None:
        from wsnego_tui.services import ServiceError

        services = self.app.services
        try:
            current, offers = services.offers(customer_id, application_id)
            application = services.application(customer_id, application_id)
        except ServiceError:
            self.post_message(self.Loaded(None, None, None))
            return
        except Exception:
            log.exception("reading the agreement failed")
            self.post_message(self.Loaded(None, None, None, failed=True))
            return
        offer = next((o for o in offers if o.id == self.offer_id), None)
        self.post_message(self.Loaded(application, current, offer))

    def on_confirm_screen_loaded(self, message: Loaded) -> None:
        self.loaded = True
        self.failed = message.failed
        self.application, self.current, self.offer = message.application, message.current, message.offer
        if not self.failed and self.offer is not None and self.application is not None:
            if self.application.status != "offer_issued" or self.offer.status != "issued":
                self._status, self._status_error = "confirm.error.not_offered", True
        self.refresh_texts()

    # Showing ----------------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return self.offer is not None and self.application is not None and self.current is not None

    def refresh_texts(self) -> None:
        tr = self.tr
        intro = "confirm.intro.done" if self.result is not None else "confirm.intro"
        self.query_one("#confirm-intro", Static).update(Content(tr(intro)))
        self.query_one("#confirm-compare-heading", Static).update(Content(tr("confirm.compare.heading")))
        self.query_one("#confirm-last4-label", Label).update(Content(tr("confirm.last4")))
        self.query_one("#confirm-pin-label", Label).update(Content(tr("confirm.pin")))
        self.query_one("#confirm-last4", Input).placeholder = tr("confirm.last4.placeholder")
        self.query_one("#confirm-pin", Input).placeholder = tr("confirm.pin.placeholder")
        text = self.query_one("#confirm-agreement-text", Static)
        policy = self.app.services.policy if self.app.services is not None else None
        if not self.loaded:
            text.update(Content(tr("confirm.loading")))
        elif self.failed:
            text.update(Content(tr("confirm.failed")))
        elif not self.ready:
            text.update(Content(tr("confirm.missing")))
        else:
            assert self.application is not None and self.offer is not None and self.current is not None
            text.update(Content(agreement_text(tr, self.customer, self.application, self.offer, policy)))
            rows = comparison_rows(tr, self.current, self.offer, today(self.app.clock), policy)
            cells = [(text_cell(label), old, new) for label, old, new in rows]
            headings = [(tr("confirm.compare.item"), False), (tr("confirm.compare.old"), True), (tr("confirm.compare.new"), True)]
            self.query_one("#confirm-compare", LineTable).set_table(fitted_columns(headings, cells), cells)
        self._show_field_problems()
        self._show_status()
        self._show_done()
        self.refresh_bindings()

    def _show_field_problems(self) -> None:
        for field, problem in self._field_problems.items():
            self.query_one(f"#confirm-{field}", Input).set_class(problem is not None, "-invalid")
            show(self.query_one(f"#confirm-{field}-message", Static), Content(self.tr(problem) if problem else ""))

    def _set_status(self, key: str | None, *, error: bool = False) -> None:
        self._status, self._status_error = key, error
        self._show_status()

    def _show_status(self) -> None:
        status = self.query_one("#confirm-status", Static)
        show(status, Content(self.tr(self._status) if self._status else ""))
        status.set_class(self._status_error, "-error")

    def _show_done(self) -> None:
        done = self.query_one("#confirm-done", Static)
        if self.result is None:
            return
        tr = self.tr
        lines = [self._done_text(tr, self.result), tr("confirm.done.next")]
        done.update(Content("\n".join(line for line in lines if line)))

    def _done_text(self, tr: Translator, view: ApplicationView) -> str:
        offer = self.offer
        assert offer is not None
        if is_settlement(offer):
            event = next((e for e in reversed(view.events) if e.reason == "settlement_due"), None)
            detail = event.detail if event else {}
            try:
                pay_by = dt.date.fromisoformat(str(detail.get("pay_by")))
            except ValueError:
                pay_by = settlement_pay_by(today(self.app.clock), self.app.services.policy if self.app.services else None)
            try:
                amount = Decimal(str(detail.get("amount")))
            except ArithmeticError:
                amount = offer.total_payment
            return tr("confirm.done.settlement", pay_by=tr.date(pay_by), amount=tr.money(amount))
        first = offer.rows[0] if offer.rows else None
        text = tr(
            "confirm.done.plan",
            date=tr.date(first.due_date) if first else tr("offers.dash"),
            amount=tr.money(first.payment) if first else tr("offers.dash"),
        )
        if offer.down_payment > 0:
            text += " " + tr("confirm.done.down_payment", amount=tr.money(offer.down_payment))
        return text

    # Validating and accepting -------------------------------------------------------------------

    @on(Input.Changed)
    def _field_changed(self, event: Input.Changed) -> None:
        if event.input.id == "confirm-last4":
            self._field_problems["last4"] = last4_problem(event.value, submitting=False)
        elif event.input.id == "confirm-pin":
            self._field_problems["pin"] = pin_problem(event.value, submitting=False)
        self._show_field_problems()
        self.early_pin.update(self._complete_pin())

    def _complete_pin(self) -> tuple[str, str] | None:
        """Whom and which PIN Enter would check now, if it would (see _check_and_accept)."""
        pin = self.query_one("#confirm-pin", Input).value
        if self.busy or self.result is not None or not self.ready or pin_problem(pin, submitting=True):
            return None
        return str(self.customer.id), normalize_digits(pin)

    def _pin_check(self, customer_id: str, pin: str) -> Any:
        """The early check (in its worker)."""
        return self.app.services.customer_pin_check(int(customer_id), pin)

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        answerable = (
            self.ready
            and self.result is None
            and self.application is not None
            and self.application.status == "offer_issued"
        )
        if action == "accept":
            return answerable and self.offer is not None and self.offer.status == "issued" and not self.busy
        if action == "done":
            return self.result is not None
        if action == "decline":
            # Not while typing in a field: there `d` is a character (refused as not a digit).
            return answerable and not self.busy and not isinstance(self.focused, Input)
        return True

    def action_accept(self) -> None:
        self.behind_typing(self._check_and_accept)

    def _check_and_accept(self) -> None:
        if self.busy or self.result is not None or not self.ready:
            return
        last4 = self.query_one("#confirm-last4", Input)
        pin = self.query_one("#confirm-pin", Input)
        self._field_problems["last4"] = last4_problem(last4.value, submitting=True)
        self._field_problems["pin"] = pin_problem(pin.value, submitting=True)
        self._show_field_problems()
        if self._field_problems["last4"]:
            last4.focus()
            return
        if self._field_problems["pin"]:
            pin.focus()
            return
        self.busy = True
        last4.disabled = pin.disabled = True
        self._set_status("confirm.busy")
        self.refresh_bindings()
        assert self.offer is not None
        pin_value = normalize_digits(pin.value)
        early = self.early_pin.take(str(self.customer.id), pin_value)
        self._accept(self.customer.id, self.application_id, self.offer.id, normalize_digits(last4.value), pin_value, early)

    @work(thread=True, exclusive=True, group="confirm-answer", exit_on_error=False)
    def _accept(
        self, customer_id: int, application_id: int, offer_id: int, last4: str, pin: str, early: PinPrecheck | None
    ) -> None:
        from wsnego_tui.services import ServiceError

        check = early.result() if early is not None else None
        try:
            view = self.app.services.accept_offer(customer_id, application_id, offer_id, pin=pin, last4=last4, check=check)
        except ServiceError as exc:
            self.post_message(self.Answered(None, exc.code))
            return
        except Exception:
            log.exception("accepting the offer failed")
            self.post_message(self.Answered(None, "failed"))
            return
        self.post_message(self.Answered(view, None))

    def on_confirm_screen_answered(self, message: Answered) -> None:
        self.busy = False
        last4 = self.query_one("#confirm-last4", Input)
        pin = self.query_one("#confirm-pin", Input)
        last4.disabled = pin.disabled = False
        with pin.prevent(Input.Changed):
            pin.value = ""
        if message.declined:
            self._declined(message)
            return
        if message.view is not None:
            self.result = message.view
            self.application = message.view
            self._set_status(None)
            self.query_one("#confirm-intro", Static).update(Content(self.tr("confirm.intro.done")))
            self.query_one("#confirm-form").display = False
            self.query_one("#confirm-done").display = True
            self._show_done()
            self.query_one("#confirm-agreement").focus()
            self.refresh_bindings()
            return
        code = message.code or "failed"
        if code in FIELD_ERRORS:
            self._field_problems[FIELD_ERRORS[code]] = f"confirm.error.{code}"
            self._set_status(None)
            self._show_field_problems()
            (last4 if code == "last4" else pin).focus()
        else:
            key = f"confirm.error.{code}"
            self._set_status(key if key in _KNOWN_ERRORS else "confirm.error.failed", error=True)
            pin.focus()
            if code in ("offer_expired", "not_offered", "no_offer", "offer_stale"):
                self._reload_application()
        self.refresh_bindings()

    def _reload_application(self) -> None:
        self._load(self.customer.id, self.application_id)

    # Declining and leaving ------------------------------------------------------------------------

    def action_decline(self) -> None:
        def answered(yes: bool | None) -> None:
            if yes and not self.busy and self.result is None:
                self.busy = True
                self.refresh_bindings()
                self._decline(self.customer.id, self.application_id)

        self.app.push_screen(QuestionDialog("confirm.decline.question"), answered)

    @work(thread=True, exclusive=True, group="confirm-answer", exit_on_error=False)
    def _decline(self, customer_id: int, application_id: int) -> None:
        from wsnego_tui.services import ServiceError

        try:
            view = self.app.services.decline_offers(customer_id, application_id)
        except ServiceError as exc:
            self.post_message(self.Answered(None, exc.code, declined=True))
            return
        except Exception:
            log.exception("declining the offers failed")
            self.post_message(self.Answered(None, "failed", declined=True))
            return
        self.post_message(self.Answered(view, None, declined=True))

    def _declined(self, message: Answered) -> None:
        if message.view is None:
            code = message.code or "failed"
            key = f"confirm.error.{code}"
            self._set_status(key if key in _KNOWN_ERRORS else "confirm.error.failed", error=True)
            self.refresh_bindings()
            return
        self.notify(self.tr("confirm.declined"), markup=False)
        # Past the offers (they can no longer be answered), back to what came before them.
        self._leave(lambda screen: type(screen).__name__ not in ("OffersScreen", "ConfirmScreen"))

    def action_back(self) -> None:
        if self.result is not None:
            self.action_done()
        else:
            self.app.pop_screen()

    def action_done(self) -> None:
        """Back to the loan: its detail screen when it is in the stack, else My Loans."""
        names = [type(screen).__name__ for screen in self.app.screen_stack]
        wanted = "LoanDetailScreen" if "LoanDetailScreen" in names else "LoansScreen"
        self._leave(lambda screen: type(screen).__name__ == wanted)

    def _leave(self, is_target) -> None:  # type: ignore[no-untyped-def]
        stack = self.app.screen_stack
        target = next((screen for screen in reversed(stack[:-1]) if is_target(screen)), None)
        if target is None:
            self.app.pop_screen()
            return
        target.pop_until_active()  # the loan screens read their data again when resumed


_KNOWN_ERRORS = frozenset(
    f"confirm.error.{code}"
    for code in ("locked", "offer_expired", "not_offered", "no_offer", "offer_stale", "failed")
)
