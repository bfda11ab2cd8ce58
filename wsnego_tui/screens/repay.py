"""Step 10, repay on the new plan (按新计划还款): choose an amount, see where it goes, pay once.

The choices come from `services.payment_options`: the next installment (everything overdue
plus the next one due), everything overdue, the full payoff (or, when an accepted settlement
awaits payment, the settlement sum and its pay-by date), or another amount typed in the field.
Keys 1-4 pick a choice (4: into the field). A typed amount is checked with core.money.parse_amount as it is typed and again on Enter; what
is wrong (letters, a minus, three decimals, nothing, more than everything owed) is said next to
the field in the UI language and nothing is paid. Control characters pasted into the field are
stripped at once.

Before paying, the allocation (`services.payment_preview`: overdue first, oldest first; in each
period penalty, then interest, then principal) is shown in a table. Enter moves to the
confirmation, where `y` pays and Esc goes back to change the amount. One idempotency key
(uuid4) is made per prepared amount and reused until the amount changes, so a second `y`, a
retry after a lost answer or a double key press never pays twice; while the payment worker runs
`y` is not offered. Afterwards a receipt (number, amount, split, time) and a sentence on what
on-time repayment means for the credit record (征信); a settlement paid in full shows the loan
as settled (结清). The loan detail and My Loans read the loan again when they come back on top.

Never touches the database on the UI thread, never imports the store, never uses float, and
never shows data as markup.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from wsnego_tui.core.money import AmountError, parse_amount
from wsnego_tui.core.text import FULL_WIDTH_NUMBERS
from wsnego_tui.core.views import (
    CustomerView,
    LoanStatus,
    LoanSummary,
    PaymentOptions,
    PaymentPreview,
    PaymentReceipt,
)
from wsnego_tui.i18n import Translator, enum_label
from wsnego_tui.screens.base import WsnegoScreen
from wsnego_tui.widgets.cells import money_cell, number_cell, pad_cells, show, text_cell
from wsnego_tui.widgets.footer import KeyFooter
from wsnego_tui.widgets.line_table import LineTable, fitted_columns
from wsnego_tui.widgets.safe_text import safe_text
from wsnego_tui.widgets.title_bar import TitleBar

log = logging.getLogger(__name__)

AMOUNT_MAX_LENGTH = 24
"""Longer than any amount anyone types (¥999,999,999,999.99 with grouping is 18)."""

CUSTOM = "custom"

_SPACING_CONTROLS = str.maketrans("\t\n\r\v\f", "     ")

SETTLEMENT_REFUSALS = ("settlement_whole", "settlement_lapsed")
"""The service's refusals of a payment on an accepted settlement (store.queries)."""


@dataclass(frozen=True)
class Choice:
    """One amount the borrower may pick: an option id, its amount (None: not available now)."""

    key: str
    amount: Decimal | None


def choices_of(options: PaymentOptions) -> list[Choice]:
    """The amounts offered for `options`, in the order shown; the custom amount last."""
    overdue = options.overdue_total if options.overdue_total > 0 else None
    last = (
        Choice("settlement", options.settlement_amount)
        if options.settlement_amount is not None
        else Choice("payoff", options.payoff_amount if options.payoff_amount > 0 else None)
    )
    return [Choice("next", options.next_installment), Choice("overdue", overdue), last, Choice(CUSTOM, None)]


def amount_error_text(tr: Translator, error: AmountError, limit: Decimal | None) -> str:
    """What is wrong with a typed amount, by AmountError.code, in the UI language."""
    if error.code == "above_maximum":
        shown = limit if limit is not None else error.limit
        return tr("repay.error.above_maximum", limit=tr.money(shown) if shown is not None else "")
    return tr(f"repay.error.{error.code}")


class RepayScreen(WsnegoScreen[None]):
    """Pay an amount on one loan's plan in force, with the allocation shown first."""

    AUTO_FOCUS = "OptionList"

    STEP_KEY = "step.repay"

    BINDINGS = [
        Binding("enter", "prepare", "Review", id="repay.prepare", priority=True),
        Binding("1", "choose(0)", "Next installment", id="repay.choose_next", show=False),
        Binding("2", "choose(1)", "Everything overdue", id="repay.choose_overdue", show=False),
        Binding("3", "choose(2)", "Pay off", id="repay.choose_payoff", show=False),
        Binding("4", "choose(3)", "Another amount", id="repay.choose_custom", show=False),
        Binding("y", "pay", "Confirm payment", id="repay.pay"),
        Binding("escape", "change", "Change amount", id="repay.change"),
        Binding("a", "again", "Pay again", id="repay.again"),
        Binding("escape", "back", "Back", id="repay.back"),
    ]

    class OptionsLoaded(Message):
        def __init__(self, options: PaymentOptions | None, summary: LoanSummary | None) -> None:
            super().__init__()
            self.options = options
            self.summary = summary

    class Previewed(Message):
        """A preview for `amount`: the allocation, or the refusal code."""

        def __init__(self, amount: Decimal, preview: PaymentPreview | None, code: str | None, then_confirm: bool) -> None:
            super().__init__()
            self.amount = amount
            self.preview = preview
            self.code = code
            self.then_confirm = then_confirm

    class Paid(Message):
        def __init__(self, receipt: PaymentReceipt, options: PaymentOptions | None, summary: LoanSummary | None) -> None:
            super().__init__()
            self.receipt = receipt
            self.options = options
            self.summary = summary

    class PayFailed(Message):
        def __init__(self, code: str | None) -> None:
            super().__init__()
            self.code = code

    def __init__(self, customer: CustomerView, loan_id: int) -> None:
        super().__init__()
        self.customer = customer
        self.loan_id = loan_id
        self.options: PaymentOptions | None = None
        self.summary: LoanSummary | None = None
        self.stage = "loading"
        """loading -> choose -> confirm -> paying -> done (or failed: the options could not be read)."""
        self.preview: PaymentPreview | None = None
        self.preview_code: str | None = None
        self.prepared_amount: Decimal | None = None
        self.idempotency_key: str | None = None
        """One key per prepared payment, reused until the amount changes (never pays twice)."""
        self.receipt: PaymentReceipt | None = None
        self.pay_error: str | None = None

    def compose(self) -> ComposeResult:
        yield TitleBar(icon="¥")
        with Vertical(id="repay-panel"):
            yield Static("", id="repay-heading", markup=False)
            yield Static("", id="repay-owed", markup=False)
            with Vertical(id="repay-choose-box"):
                yield Static("", id="repay-choose-title", markup=False)
                yield OptionList(id="repay-choices")
                with Horizontal(id="repay-custom"):
                    yield Label("", id="repay-amount-label", markup=False)
                    field = Input(id="repay-amount", max_length=AMOUNT_MAX_LENGTH)
                    field.set_reactive(Input.cursor_blink, self.app.input_cursor_blink)
                    yield field
                    yield Static("", id="repay-amount-error", markup=False)
            with Vertical(id="repay-preview-box"):
                yield Static("", id="repay-preview-title", markup=False)
                yield Static("", id="repay-preview-note", markup=False)
                yield LineTable(id="repay-preview", show_cursor=False)
            yield Static("", id="repay-receipt", markup=False)
            yield Static("", id="repay-prompt", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self._show()
        self.after_paint(self._load_options)  # once the screen has been painted

    # Loading --------------------------------------------------------------------------------

    def _load_options(self) -> None:
        if self.app.services is None:
            return
        self.stage = "loading"
        self.refresh_bindings()
        self._read_options(self.customer.id, self.loan_id)

    @work(thread=True, exclusive=True, group="repay-options", exit_on_error=False)
    def _read_options(self, customer_id: int, loan_id: int) -> None:
        services = self.app.services
        try:
            options = services.payment_options(customer_id, loan_id)
            summary = next((loan for loan in services.loans_of(customer_id) if loan.loan_id == loan_id), None)
        except Exception:
            log.exception("reading the payment options failed")
            self.post_message(self.OptionsLoaded(None, None))
            return
        self.post_message(self.OptionsLoaded(options, summary))

    def on_repay_screen_options_loaded(self, message: OptionsLoaded) -> None:
        if message.options is None:
            self.stage = "failed"
        else:
            self.options = message.options
            self.summary = message.summary
            self.stage = "choose"
        self._fill_choices()
        amount_field = self.query_one("#repay-amount", Input)
        if self.stage == "choose" and (amount_field.value or self.focused is amount_field):
            self._choose_custom()  # typed while the amounts were loading: that is the choice
        self._show()
        self._selection_changed()
        self.refresh_bindings()

    # The amount -----------------------------------------------------------------------------

    @property
    def payoff(self) -> Decimal:
        return self.options.payoff_amount if self.options is not None else Decimal(0)

    @property
    def highlighted_choice(self) -> str | None:
        option_list = self.query_one(OptionList)
        if option_list.highlighted is None or option_list.option_count == 0:
            return None
        return option_list.get_option_at_index(option_list.highlighted).id

    def selected_amount(self) -> tuple[Decimal | None, str | None]:
        """The amount chosen now and, for a typed one that cannot be paid, what is wrong."""
        key = self.highlighted_choice
        if key is None or self.options is None:
            return None, None
        if key == CUSTOM:
            text = self.query_one("#repay-amount", Input).value.translate(FULL_WIDTH_NUMBERS)
            try:
                return parse_amount(text, allow_zero=False, maximum=self.payoff), None
            except AmountError as error:
                return None, amount_error_text(self.tr, error, self.payoff)
        amount = next((choice.amount for choice in choices_of(self.options) if choice.key == key), None)
        return amount, None

    def _selection_changed(self) -> None:
        """The choice or the typed amount changed: check it, and preview it when it can be paid.
        An empty field says nothing until Enter."""
        if self.stage != "choose":
            return
        amount, error = self.selected_amount()
        field_error = self.query_one("#repay-amount-error", Static)
        if self.highlighted_choice == CUSTOM:
            empty = not self.query_one("#repay-amount", Input).value.strip()
            show(field_error, Content(error if error and not empty else ""))
        else:
            show(field_error, Content(""))
        self.preview = None
        self.preview_code = None
        if amount is not None:
            self._request_preview(amount, then_confirm=False)
        self._show_preview()
        self.refresh_bindings()

    def _request_preview(self, amount: Decimal, *, then_confirm: bool) -> None:
        self._preview(self.customer.id, self.loan_id, amount, then_confirm)

    @work(thread=True, exclusive=True, group="repay-preview", exit_on_error=False)
    def _preview(self, customer_id: int, loan_id: int, amount: Decimal, then_confirm: bool) -> None:
        from wsnego_tui.services import ServiceError

        try:
            preview = self.app.services.payment_preview(customer_id, loan_id, amount)
        except ServiceError as exc:
            self.post_message(self.Previewed(amount, None, exc.code, then_confirm))
            return
        except Exception:
            log.exception("previewing a payment failed")
            self.post_message(self.Previewed(amount, None, "unavailable", then_confirm))
            return
        self.post_message(self.Previewed(amount, preview, None, then_confirm))

    def on_repay_screen_previewed(self, message: Previewed) -> None:
        amount, _ = self.selected_amount()
        if self.stage != "choose" or amount != message.amount:
            return  # the borrower has moved on: an answer for an amount no longer chosen
        self.preview = message.preview
        self.preview_code = message.code
        if message.code is not None:
            self._show_refusal(message.code)
        self._show_preview()
        if message.then_confirm and message.preview is not None:
            self._enter_confirm(amount)
        self.refresh_bindings()

    def _show_refusal(self, code: str) -> None:
        tr = self.tr
        if code == "overpayment":
            text = tr("repay.error.above_maximum", limit=tr.money(self.payoff))
        elif code == "not_positive":
            text = tr("repay.error.zero")
        elif code in SETTLEMENT_REFUSALS:
            text = self._settlement_refusal(code)
        else:
            text = tr("repay.error.unavailable")
        show(self.query_one("#repay-amount-error", Static), Content(text))

    @on(OptionList.OptionHighlighted, "#repay-choices")
    def _choice_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._selection_changed()

    @on(OptionList.OptionSelected, "#repay-choices")
    def _choice_selected(self, event: OptionList.OptionSelected) -> None:
        """A click on a choice (Enter is the prepare key)."""
        event.stop()
        if event.option.id == CUSTOM:
            self.query_one("#repay-amount", Input).focus()

    @on(Input.Changed, "#repay-amount")
    def _amount_typed(self, event: Input.Changed) -> None:
        field = event.input
        # a tab or line break pasted between figures ("100<tab>50" from a spreadsheet) keeps
        # them apart, so the amount is refused rather than read as 10050
        cleaned = safe_text(field.value.translate(_SPACING_CONTROLS))
        if cleaned != field.value:
            field.value = cleaned  # pasted control characters never stay in the field
            return
        if self.stage != "choose":
            return
        self._choose_custom()
        self._selection_changed()

    @on(Input.Submitted, "#repay-amount")
    def _amount_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_prepare()

    def on_descendant_focus(self, event: object) -> None:
        if self.focused is self.query_one("#repay-amount", Input):
            self._choose_custom()

    def _choose_custom(self) -> None:
        option_list = self.query_one(OptionList)
        for index in range(option_list.option_count):
            if option_list.get_option_at_index(index).id == CUSTOM and option_list.highlighted != index:
                option_list.highlighted = index
                break

    # Keys -----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose":
            return self.stage == "choose"
        if action == "prepare":
            return self.stage == "choose" and self.payoff > 0
        if action == "pay":
            return self.stage == "confirm"
        if action == "change":
            return self.stage == "confirm"
        if action == "again":
            return self.stage == "done" and self.payoff > 0
        if action == "back":
            return self.stage not in ("confirm", "paying")
        return True

    def action_choose(self, index: int) -> None:
        """1-4: the choice with that number (4, another amount: into the field)."""
        option_list = self.query_one(OptionList)
        if self.stage != "choose" or not 0 <= index < option_list.option_count:
            return
        if option_list.get_option_at_index(index).disabled:
            return
        option_list.highlighted = index
        if option_list.get_option_at_index(index).id == CUSTOM:
            self.query_one("#repay-amount", Input).focus()

    def action_prepare(self) -> None:
        """Enter: check the amount; once its allocation is shown, ask for the confirmation."""
        self.behind_typing(self._prepare)

    def _prepare(self) -> None:
        if self.stage != "choose":
            return
        amount, error = self.selected_amount()
        if self.highlighted_choice == CUSTOM:
            field = self.query_one("#repay-amount", Input)
            if error is not None:
                self.query_one("#repay-amount-error", Static).update(Content(error))
                field.focus()
                return
        if amount is None:
            return
        if self.preview is not None and self.preview.amount == amount:
            self._enter_confirm(amount)
        else:
            self._request_preview(amount, then_confirm=True)

    def _enter_confirm(self, amount: Decimal) -> None:
        if amount != self.prepared_amount or self.idempotency_key is None:
            self.prepared_amount = amount
            self.idempotency_key = uuid.uuid4().hex
        self.stage = "confirm"
        self.pay_error = None
        self._set_choosing(False)
        self._show_prompt()
        self.refresh_bindings()

    def action_change(self) -> None:
        if self.stage != "confirm":
            return
        self.stage = "choose"
        self.pay_error = None
        self._set_choosing(True)
        self._show_prompt()
        self.refresh_bindings()

    def action_pay(self) -> None:
        """y: pay the prepared amount with its idempotency key; `y` is off while it runs."""
        if self.stage != "confirm" or self.prepared_amount is None or self.idempotency_key is None:
            return
        self.stage = "paying"
        self.pay_error = None
        self._show_prompt()
        self.refresh_bindings()
        self._pay(self.customer.id, self.loan_id, self.prepared_amount, self.idempotency_key)

    @work(thread=True, exclusive=True, group="repay-pay", exit_on_error=False)
    def _pay(self, customer_id: int, loan_id: int, amount: Decimal, key: str) -> None:
        from wsnego_tui.services import ServiceError

        services = self.app.services
        try:
            services.payment_options(customer_id, loan_id)  # the loan is this customer's
            receipt = services.pay(loan_id, amount, key, actor=f"customer:{customer_id}")
        except ServiceError as exc:
            self.post_message(self.PayFailed(exc.code))
            return
        except Exception:
            log.exception("paying failed")
            self.post_message(self.PayFailed(None))
            return
        try:
            options = services.payment_options(customer_id, loan_id)
            summary = next((loan for loan in services.loans_of(customer_id) if loan.loan_id == loan_id), None)
        except Exception:
            log.exception("reading the loan after paying failed")
            options, summary = None, None
        self.post_message(self.Paid(receipt, options, summary))

    def _settlement_refusal(self, code: str) -> str:
        """A settlement takes one payment of its whole sum, by its pay-by date."""
        if code == "settlement_whole":
            return self.tr("repay.error.settlement_whole", amount=self.tr.money(self.payoff))
        return self.tr("repay.error.settlement_lapsed")

    def on_repay_screen_paid(self, message: Paid) -> None:
        self.receipt = message.receipt
        if message.options is not None:
            self.options = message.options
        if message.summary is not None:
            self.summary = message.summary
        self.stage = "done"
        self.prepared_amount = None
        self.idempotency_key = None  # this payment is made: the next one gets its own key
        self.set_class(True, "-done")
        self._show()
        self.refresh_bindings()

    def on_repay_screen_pay_failed(self, message: PayFailed) -> None:
        tr = self.tr
        if message.code == "overpayment":
            reason = tr("repay.error.above_maximum", limit=tr.money(self.payoff))
        elif message.code == "loan_closed":
            reason = tr("repay.nothing")
        elif message.code in SETTLEMENT_REFUSALS:
            reason = self._settlement_refusal(message.code)
        else:
            reason = tr("repay.pay_failed.unknown")
        self.pay_error = reason
        self.stage = "confirm"  # the same key: trying again never pays twice
        self._show_prompt()
        self.refresh_bindings()

    def action_again(self) -> None:
        if self.stage != "done":
            return
        self.receipt = None
        self.set_class(False, "-done")
        self.query_one("#repay-amount", Input).value = ""
        self._set_choosing(True)
        self.query_one(OptionList).focus()
        self._load_options()
        self._show()

    def action_back(self) -> None:
        self.app.pop_screen()

    # Showing --------------------------------------------------------------------------------

    def refresh_texts(self) -> None:
        self._fill_choices()
        self._show()
        if self.stage == "choose":
            amount, error = self.selected_amount()
            if self.highlighted_choice == CUSTOM and error and self.query_one("#repay-amount", Input).value.strip():
                self.query_one("#repay-amount-error", Static).update(Content(error))
            elif self.preview_code is not None:
                self._show_refusal(self.preview_code)

    def _set_choosing(self, enabled: bool) -> None:
        self.query_one(OptionList).disabled = not enabled
        self.query_one("#repay-amount", Input).disabled = not enabled
        if enabled:
            self.query_one(OptionList).focus()

    def _fill_choices(self) -> None:
        tr = self.tr
        option_list = self.query_one(OptionList)
        keep = option_list.highlighted
        option_list.clear_options()
        if self.options is None:
            return
        choices = choices_of(self.options)
        labels = [self._choice_label(choice) for choice in choices]
        amounts = [tr.money(choice.amount) if choice.amount is not None else "" for choice in choices]
        label_width = max(cell_len(label) for label in labels)
        amount_width = max(cell_len(amount) for amount in amounts)
        options = []
        for number, (choice, label, amount) in enumerate(zip(choices, labels, amounts), start=1):
            unavailable = choice.key != CUSTOM and choice.amount is None
            prompt = Content.assemble(
                f"{number} ", pad_cells(label, label_width), "  ", (pad_cells(amount, amount_width, "right"), "bold")
            )
            options.append(Option(prompt, id=choice.key, disabled=unavailable or self.payoff <= 0))
        option_list.add_options(options)
        if keep is None or keep >= len(options) or options[keep].disabled:
            keep = next((index for index, option in enumerate(options) if not option.disabled), None)
        option_list.highlighted = keep

    def _choice_label(self, choice: Choice) -> str:
        tr = self.tr
        options = self.options
        assert options is not None
        if choice.key == "next":
            if choice.amount is None or options.next_due_date is None:
                return tr("repay.option.next_none")
            return tr("repay.option.next", date=tr.date(options.next_due_date))
        if choice.key == "overdue":
            return tr("repay.option.overdue" if choice.amount is not None else "repay.option.overdue_none")
        if choice.key == "settlement":
            pay_by = options.settlement_pay_by
            return tr("repay.option.settlement", date=tr.date(pay_by) if pay_by else tr("detail.none"))
        if choice.key == "payoff":
            return tr("repay.option.payoff")
        return tr("repay.option.custom")

    def _show(self) -> None:
        tr = self.tr
        heading = self.query_one("#repay-heading", Static)
        owed = self.query_one("#repay-owed", Static)
        owed.set_class(self.stage == "failed", "-error")
        if self.summary is not None:
            product = self.summary.product_zh if tr.lang == "zh" else self.summary.product_en
            heading.update(Content(tr("repay.heading", product=safe_text(product), loan_no=safe_text(self.summary.loan_no))))
        elif self.options is not None:
            heading.update(Content(safe_text(self.options.loan_no)))
        if self.stage == "failed":
            owed.update(Content(tr("repay.failed")))
        elif self.options is None:
            owed.update(Content(tr("repay.loading")))
        elif self.stage == "done":
            owed.update("")
        elif self.options.settlement_amount is not None:
            pay_by = self.options.settlement_pay_by
            owed.update(
                Content(
                    tr(
                        "repay.owed_settlement",
                        amount=tr.money(self.options.settlement_amount),
                        date=tr.date(pay_by) if pay_by else tr("detail.none"),
                    )
                )
            )
        elif self.payoff <= 0:
            owed.update(Content(tr("repay.nothing")))
        else:
            owed.update(Content(tr("repay.owed", payoff=tr.money(self.payoff), overdue=tr.money(self.options.overdue_total))))
        self.query_one("#repay-choose-title", Static).update(Content(tr("repay.choose")))
        self.query_one("#repay-amount-label", Label).update(Content(tr("repay.amount.label")))
        self.query_one("#repay-amount", Input).placeholder = tr("repay.amount.placeholder")
        self.query_one("#repay-preview-title", Static).update(Content(tr("repay.preview.title")))
        self._show_preview()
        self._show_receipt()
        self._show_prompt()

    def _show_preview(self) -> None:
        tr = self.tr
        table = self.query_one("#repay-preview", LineTable)
        labels = [  # each column's heading, and whether it is right-aligned
            ("repay.col.period", True),
            ("repay.col.due_date", False),
            ("repay.col.penalty", True),
            ("repay.col.interest", True),
            ("repay.col.principal", True),
            ("repay.col.total", True),
        ]
        preview = self.preview
        note = self.query_one("#repay-preview-note", Static)
        if preview is not None or self.stage in ("loading", "failed", "done"):
            note_text = ""
        elif self.selected_amount()[0] is not None and self.preview_code is None:
            note_text = tr("repay.preview.loading")
        else:
            note_text = tr("repay.preview.empty")
        note.update(Content(note_text))
        note.set_class(not note_text, "-empty")
        rows: list[list[Text]] = []
        if preview is not None:
            for line in preview.lines:
                rows.append(
                    [
                        number_cell(str(line.period)),
                        text_cell(tr.date(line.due_date)),
                        money_cell(line.to_penalty),
                        money_cell(line.to_interest),
                        money_cell(line.to_principal),
                        money_cell(line.to_penalty + line.to_interest + line.to_principal),
                    ]
                )
            total = [
                text_cell(tr("repay.preview.total")),
                text_cell(""),
                money_cell(preview.to_penalty),
                money_cell(preview.to_interest),
                money_cell(preview.to_principal),
                money_cell(preview.amount),
            ]
            for cell in total:
                cell.stylize("bold")
            rows.append(total)
        table.set_table(fitted_columns([(tr(label_key), right) for label_key, right in labels], rows), rows)

    def _show_prompt(self) -> None:
        tr = self.tr
        prompt = self.query_one("#repay-prompt", Static)
        prompt.set_class(self.pay_error is not None, "-error")
        prompt.set_class(self.stage in ("confirm", "paying"), "-confirm")
        if self.stage == "choose" and self.payoff > 0:
            text = tr("repay.prompt.choose")
        elif self.stage == "confirm" and self.prepared_amount is not None and self.options is not None:
            text = tr("repay.prompt.confirm", amount=tr.money(self.prepared_amount), loan_no=safe_text(self.options.loan_no))
            if self.pay_error is not None:
                text = tr("repay.pay_failed", reason=self.pay_error) + "\n" + text
        elif self.stage == "paying":
            text = tr("repay.prompt.paying")
        else:
            text = ""
        prompt.update(Content(text))

    def _show_receipt(self) -> None:
        tr = self.tr
        widget = self.query_one("#repay-receipt", Static)
        receipt = self.receipt
        if receipt is None:
            widget.update("")
            return
        lines = [
            tr("repay.receipt.no", receipt_no=safe_text(receipt.receipt_no)),
            tr("repay.receipt.amount", amount=tr.money(receipt.amount), time=tr.datetime(receipt.paid_at)),
            tr(
                "repay.receipt.split",
                penalty=tr.money(receipt.to_penalty),
                interest=tr.money(receipt.to_interest),
                principal=tr.money(receipt.to_principal),
            ),
        ]
        status = self.summary.status if self.summary is not None else None
        if self.options is not None and self.payoff <= 0 or status in (LoanStatus.SETTLED, LoanStatus.CLOSED):
            shown = status if status in (LoanStatus.SETTLED, LoanStatus.CLOSED) else LoanStatus.CLOSED
            settled = (tr("repay.receipt.settled", status=enum_label(tr.lang, "status", shown)), "bold $text-success")
        else:
            settled = None
            lines.append(tr("repay.receipt.remaining", payoff=tr.money(self.payoff)))
        parts: list[Content | str | tuple[str, str]] = [(tr("repay.receipt.title"), "bold $text-success"), "\n", Content("\n".join(lines))]
        if settled is not None:
            parts += ["\n", settled]
        parts += ["\n\n", Content(tr("repay.credit"))]
        widget.update(Content.assemble(*parts))
