"""Step 4, negotiate (协商还款 / 二次协商还款 / 协商一次性还款): which kinds this loan may use.

The three kinds are listed on the left, each marked open or not; the highlighted kind's
eligibility checklist is on the right: every check of `services.eligibility` as met / not met
with its explanation (phrased here by rule id from the check's params, in the UI language),
the proofs that kind will require, and, when it is not open, what would open it (for a third
negotiation: the refusal and the settlement that stays open). After a broken first plan the
second negotiation also states the down payment it will need. Arrow keys or 1 / 2 / 3 choose
a kind; Enter on an open kind starts the application form (step 5); on a closed kind Enter
starts nothing, the Footer does not offer it and the line below the list says why.

The checklist is read by a thread worker through the services, again whenever the screen comes
back on top (a draft started or an application submitted changes the answer).

Never touches the database on the UI thread, never imports the store, never decides
eligibility itself (core.eligibility does, through the services) and never shows data as markup.
"""

from __future__ import annotations

import logging
from decimal import ROUND_UP, Decimal
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.core.views import CustomerView, LoanDetail
from wsnego_tui.i18n import Translator, enum_label, has_key
from wsnego_tui.screens.base import WsnegoScreen
from wsnego_tui.widgets.cells import pad_cells
from wsnego_tui.widgets.footer import KeyFooter
from wsnego_tui.widgets.safe_text import safe_text
from wsnego_tui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from wsnego_tui.core.eligibility import Check, Eligibility
    from wsnego_tui.core.policy import Policy

log = logging.getLogger(__name__)

KINDS: tuple[ApplicationKind, ...] = (ApplicationKind.FIRST, ApplicationKind.SECOND, ApplicationKind.SETTLEMENT)
FEN = Decimal("0.01")


# Phrasing the checklist -----------------------------------------------------------------------


def _rule_key(check: Check, suffix: str) -> str:
    return f"negotiate.rule.{check.rule}.{suffix}"


def check_text(tr: Translator, check: Check, policy: Policy | None = None) -> str:
    """One check of core.eligibility in the UI language, from its rule id and params. A rule this
    screen does not know is shown by its (English) explanation."""
    params = check.params
    rule = check.rule
    met = check.met
    if rule == "negotiations.within_limit":
        return tr(_rule_key(check, "met" if met else "unmet"), used=params.get("used", 0), max=params.get("max", 0))
    if rule == "first.loan_in_arrears":
        if met:
            overdue = params.get("overdue_total")
            return tr(
                _rule_key(check, "met"),
                overdue=tr.money(overdue) if isinstance(overdue, Decimal) else tr("detail.none"),
                days=params.get("days_past_due", 0),
            )
        return tr(_rule_key(check, "unmet"))
    if rule == "second.after_first_plan":
        plan = params.get("first_plan")
        end = params.get("first_plan_end")
        end_text = tr.date(end) if end is not None and hasattr(end, "year") else tr("detail.none")
        if met:
            return tr(_rule_key(check, "met_broken" if plan == "broken" else "met_active"), end=end_text)
        return tr(_rule_key(check, "unmet_completed" if plan == "completed" else "unmet_none"))
    if rule == "settlement.loan_in_arrears_or_negotiated":
        if met:
            return tr(_rule_key(check, "met_arrears" if params.get("in_arrears") else "met_negotiated"))
        return tr(_rule_key(check, "unmet"))
    key = _rule_key(check, "met" if met else "unmet")
    return tr(key) if has_key(key) else safe_text(check.explain)


def remedy_text(tr: Translator, check: Check, policy: Policy | None = None) -> str:
    """What would change a failed check, in the UI language ("" for a check that is met)."""
    if check.met:
        return ""
    rule = check.rule
    if rule == "first.no_earlier_negotiation":
        limit = policy.max_negotiations if policy is not None else 2
        used = check.params.get("used", 0)
        second_next = isinstance(used, int) and used < limit
        return tr(_rule_key(check, "remedy_second" if second_next else "remedy_settlement"))
    if rule == "second.after_first_plan":
        completed = check.params.get("first_plan") == "completed"
        return tr(_rule_key(check, "remedy_completed" if completed else "remedy_none"))
    key = _rule_key(check, "remedy")
    return tr(key) if has_key(key) else safe_text(check.remedy)


def down_payment(outstanding_principal: Decimal, policy: Policy) -> Decimal:
    """The least down payment of a second negotiation after a broken first plan: the policy's
    share of the outstanding principal, rounded up to the fen (as the review engine does)."""
    return (outstanding_principal * policy.second_broken_down_payment_pct / Decimal(100)).quantize(FEN, rounding=ROUND_UP)


def first_plan_broken(answer: Eligibility) -> bool:
    return any(
        check.rule == "second.after_first_plan" and check.params.get("first_plan") == "broken" for check in answer.checks
    )


class NegotiateScreen(WsnegoScreen[None]):
    """The negotiation kinds of one loan, each with its checklist; Enter applies for an open one."""

    AUTO_FOCUS = "OptionList"

    STEP_KEY = "step.negotiate"

    BINDINGS = [
        Binding("enter", "apply", "Apply", id="negotiate.apply", priority=True),
        Binding("1", "choose('first')", "1st negotiation", id="negotiate.first"),
        Binding("2", "choose('second')", "2nd negotiation", id="negotiate.second"),
        Binding("3", "choose('settlement')", "Settlement", id="negotiate.settlement"),
        Binding("escape", "back", "Back", id="negotiate.back"),
    ]

    class Loaded(Message):
        """The worker's answer (None for both when the services failed)."""

        def __init__(self, eligibility: dict[Any, Eligibility] | None, detail: LoanDetail | None) -> None:
            super().__init__()
            self.eligibility = eligibility
            self.detail = detail

    def __init__(self, customer: CustomerView, loan_id: int) -> None:
        super().__init__()
        self.customer = customer
        self.loan_id = loan_id
        self.eligibility: dict[ApplicationKind, Eligibility] | None = None
        self.detail: LoanDetail | None = None
        self.reading = False
        self.failed = False

    def compose(self) -> ComposeResult:
        yield TitleBar(icon="¥")
        with Vertical(id="negotiate-panel"):
            yield Static("", id="negotiate-heading", markup=False)
            yield Static("", id="negotiate-intro", markup=False)
            with Horizontal(id="negotiate-body"):
                yield OptionList(id="negotiate-kinds")
                with VerticalScroll(id="negotiate-detail"):
                    yield Static("", id="negotiate-kind-title", markup=False)
                    yield Static("", id="negotiate-about", markup=False)
                    yield Static("", id="negotiate-checks", markup=False)
                    yield Static("", id="negotiate-proofs", markup=False)
                    yield Static("", id="negotiate-note", markup=False)
            yield Static("", id="negotiate-hint", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self._show()

    def on_screen_resume(self) -> None:
        self.after_paint(self.reload)  # once the screen has been painted

    # Loading --------------------------------------------------------------------------------

    def reload(self) -> None:
        if self.reading or self.app.services is None:
            return
        self.reading = True
        self.refresh_bindings()
        self._load(self.customer.id, self.loan_id)

    @work(thread=True, exclusive=True, group="negotiate", exit_on_error=False)
    def _load(self, customer_id: int, loan_id: int) -> None:
        services = self.app.services
        try:
            eligibility = services.eligibility(customer_id, loan_id)
            detail = services.loan_detail(customer_id, loan_id)
        except Exception:
            log.exception("checking eligibility failed")
            self.post_message(self.Loaded(None, None))
            return
        self.post_message(self.Loaded(eligibility, detail))

    def on_negotiate_screen_loaded(self, message: Loaded) -> None:
        self.reading = False
        self.failed = message.eligibility is None
        if message.eligibility is not None:
            self.eligibility = {ApplicationKind(kind): answer for kind, answer in message.eligibility.items()}
            self.detail = message.detail
        self._show()
        self.refresh_bindings()

    # Keys -----------------------------------------------------------------------------------

    @property
    def highlighted_kind(self) -> ApplicationKind | None:
        option_list = self.query_one(OptionList)
        if self.eligibility is None or option_list.highlighted is None:
            return None
        option = option_list.get_option_at_index(option_list.highlighted)
        return ApplicationKind(option.id) if option.id else None

    def _answer(self, kind: ApplicationKind | None) -> Eligibility | None:
        if kind is None or self.eligibility is None:
            return None
        return self.eligibility.get(kind)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "apply":
            answer = self._answer(self.highlighted_kind)
            return answer is not None and answer.open and not self.reading
        if action == "choose":
            return self.eligibility is not None
        return True

    def action_choose(self, kind: str) -> None:
        option_list = self.query_one(OptionList)
        for index in range(option_list.option_count):
            if option_list.get_option_at_index(index).id == kind:
                option_list.highlighted = index
                break

    def action_apply(self) -> None:
        kind = self.highlighted_kind
        answer = self._answer(kind)
        if kind is None or answer is None:
            return
        if not answer.open:
            self.notify(self._hint_text(kind, answer), severity="warning", markup=False)
            return
        from wsnego_tui.screens.application_form import ApplicationFormScreen

        self.app.push_screen(ApplicationFormScreen(self.customer, self.loan_id, kind))

    @on(OptionList.OptionSelected)
    def _option_selected(self, event: OptionList.OptionSelected) -> None:
        """A click, or Enter when the binding is off (a closed kind): say why, or apply."""
        event.stop()
        self.action_apply()

    @on(OptionList.OptionHighlighted)
    def _option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show_kind()
        self.refresh_bindings()

    def action_back(self) -> None:
        self.app.pop_screen()

    # Showing --------------------------------------------------------------------------------

    def refresh_texts(self) -> None:
        self._show()

    def _show(self) -> None:
        tr = self.tr
        heading = self.query_one("#negotiate-heading", Static)
        if self.detail is not None:
            summary = self.detail.summary
            product = summary.product_zh if tr.lang == "zh" else summary.product_en
            heading.update(Content(tr("negotiate.heading", product=safe_text(product), loan_no=safe_text(summary.loan_no))))
        else:
            heading.update("")
        self.query_one("#negotiate-intro", Static).update(Content(tr("negotiate.intro")))
        self._fill_kinds()
        self._show_kind()

    def _fill_kinds(self) -> None:
        tr = self.tr
        option_list = self.query_one(OptionList)
        keep = option_list.highlighted
        option_list.clear_options()
        if self.eligibility is None:
            return
        labels = [enum_label(tr.lang, "kind", kind) for kind in KINDS]
        width = max(cell_len(label) for label in labels)
        options = []
        for number, (kind, label) in enumerate(zip(KINDS, labels), start=1):
            answer = self.eligibility.get(kind)
            is_open = answer is not None and answer.open
            state = tr("negotiate.open" if is_open else "negotiate.closed")
            prompt = Content.assemble(
                f"{number} ", pad_cells(label, width) + "  ", (state, "bold $text-success" if is_open else "$text-muted")
            )
            options.append(Option(prompt, id=kind.value))
        option_list.add_options(options)
        if keep is None:
            # start on the first kind that is open, so Enter does the likely thing
            keep = next((i for i, kind in enumerate(KINDS) if self.eligibility.get(kind) and self.eligibility[kind].open), 0)
        option_list.highlighted = keep

    def _show_kind(self) -> None:
        tr = self.tr
        title = self.query_one("#negotiate-kind-title", Static)
        about = self.query_one("#negotiate-about", Static)
        checks = self.query_one("#negotiate-checks", Static)
        proofs = self.query_one("#negotiate-proofs", Static)
        note = self.query_one("#negotiate-note", Static)
        hint = self.query_one("#negotiate-hint", Static)
        kind = self.highlighted_kind
        answer = self._answer(kind)
        if kind is None or answer is None:
            title.update(Content(tr("negotiate.failed" if self.failed else "negotiate.loading")))
            title.set_class(self.failed, "-error")
            for widget in (about, checks, proofs, note, hint):
                widget.update("")
            return
        title.set_class(False, "-error")
        policy = self.app.services.policy if self.app.services is not None else None
        state = tr("negotiate.open" if answer.open else "negotiate.closed")
        title.update(
            Content.assemble(
                (enum_label(tr.lang, "kind", kind), "bold"),
                "   ",
                (state, "bold $text-success" if answer.open else "bold $text-error"),
            )
        )
        about.update(Content(self._about(kind, policy)))
        checks.update(self._checklist(answer, policy))
        names = [tr(f"negotiate.proof.{proof}") for proof in answer.required_proofs]
        proofs.update(
            Content(
                tr("negotiate.proofs", proofs=tr("negotiate.list_separator").join(names)) if names else tr("negotiate.proofs.none")
            )
        )
        notes = []
        if not answer.open and answer.reason is not None:
            notes.append(tr("negotiate.remedy", remedy=remedy_text(tr, answer.reason, policy)))
        if kind == ApplicationKind.SECOND and answer.open and first_plan_broken(answer) and policy is not None and self.detail is not None:
            amount = down_payment(self.detail.summary.outstanding_principal, policy)
            notes.append(
                tr("negotiate.down_payment", pct=format(policy.second_broken_down_payment_pct.normalize(), "f"), amount=tr.money(amount))
            )
        note.update(Content("\n".join(notes)))
        hint.set_class(not answer.open, "-closed")
        hint.update(Content(self._hint_text(kind, answer)))

    def _about(self, kind: ApplicationKind, policy: Policy | None) -> str:
        tr = self.tr
        if kind == ApplicationKind.SECOND:
            return tr("negotiate.about.second", months=policy.second_max_extension_months if policy else 24)
        if kind == ApplicationKind.SETTLEMENT:
            return tr(
                "negotiate.about.settlement",
                penalty_pct=format(policy.settlement_penalty_waiver_pct.normalize(), "f") if policy else "100",
                interest_pct=format(policy.settlement_interest_waiver_pct.normalize(), "f") if policy else "50",
                days=policy.settlement_pay_days if policy else 7,
            )
        return tr("negotiate.about.first")

    def _checklist(self, answer: Eligibility, policy: Policy | None) -> Content:
        tr = self.tr
        met_word, unmet_word = tr("negotiate.check.met"), tr("negotiate.check.unmet")
        width = max(cell_len(met_word), cell_len(unmet_word))
        parts: list[Content | str | tuple[str, str]] = [(tr("negotiate.checks.title"), "bold $primary")]
        for check in answer.checks:
            parts.append("\n")
            if check.met:
                parts.append((pad_cells(met_word, width), "$text-success"))
            else:
                parts.append((pad_cells(unmet_word, width), "bold $text-error"))
            parts.append("  ")
            parts.append(Content(check_text(tr, check, policy)))
        return Content.assemble(*parts)

    def _hint_text(self, kind: ApplicationKind, answer: Eligibility) -> str:
        tr = self.tr
        name = enum_label(tr.lang, "kind", kind)
        if answer.open:
            return tr("negotiate.hint.open", kind=name)
        policy = self.app.services.policy if self.app.services is not None else None
        reason = check_text(tr, answer.reason, policy) if answer.reason is not None else ""
        return tr("negotiate.hint.closed", kind=name, reason=reason)
