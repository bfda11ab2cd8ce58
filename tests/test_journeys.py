"""The borrower's whole journeys, end to end through the screens, by keyboard, on the demo data.

Each test logs in on the log-in screen, opens a loan from My Loans with Enter, negotiates from
the loan detail (`n`), types the application form key by key, picks the proofs in the folder
tree, submits, follows the progress, reads the offers, confirms the agreement with the last
four digits and the PIN, and repays — whatever part of that its journey needs — and then checks
the database through the services (schedule versions, application status, payments, audit).
What the bank does (an officer's decision) is done with OfficerServices, as the officer's own
terminal would, while the borrower's app keeps running; the progress screen picks it up by
itself.

The journeys: (a) a first negotiation to an active plan and a payment on it; (b) a second
negotiation, decided by an officer; (c) a settlement paid in full; (d) a settlement left to
expire; (e) a materials request answered from the progress screen; (f) a withdrawal; (g) a
third negotiation refused, with the settlement offered instead.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from app_factory import (
    FIRST_FORM,
    PDF,
    SIZE,
    footer_descriptions,
    make_app,
    row_texts,
    settle,
    submit,
    text_of,
    type_log_in,
    wait_for_database,
    wait_until,
)
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from wsnego_tui.config import Settings
from wsnego_tui.core.clock import FixedClock
from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.core.proofs import ProofKind
from wsnego_tui.core.views import LoanStatus
from wsnego_tui.core.views_officer import OfferSpec
from wsnego_tui.screens.application_form import ApplicationFormScreen
from wsnego_tui.screens.confirm import ConfirmScreen, QuestionDialog
from wsnego_tui.screens.loan_detail import LoanDetailScreen
from wsnego_tui.screens.loans import LoansScreen
from wsnego_tui.screens.negotiate import NegotiateScreen
from wsnego_tui.screens.offers import OffersScreen
from wsnego_tui.screens.progress import ProgressScreen
from wsnego_tui.screens.proofs import ProofsScreen
from wsnego_tui.screens.repay import RepayScreen
from wsnego_tui.services import Services
from wsnego_tui.services.officer import OfficerServices
from wsnego_tui.store.engine import read_session
from wsnego_tui.store.models import AuditEntry, Payment

HARDSHIPS = ("income_drop", "job_loss", "illness", "business_failure", "family_emergency", "other")
"""The hardship list in the form, in the default policy's order."""


@pytest.fixture
def proof_folder(tmp_path: Path) -> Path:
    """The folder the file picker is rooted at, with one file for each kind of proof."""
    folder = tmp_path / "proofs"
    folder.mkdir()
    for name in ("1-hardship.pdf", "2-income.pdf", "3-expense.pdf", "4-funds.pdf", "5-hospital.pdf"):
        folder.joinpath(name).write_bytes(PDF + name.encode())
    return folder


@pytest.fixture
def settings(settings: Settings, proof_folder: Path) -> Settings:
    """The test home with proofs allowed from `proof_folder` (settings extra "proof_folders"),
    for the app's picker and for the services' intake alike."""
    return dataclasses.replace(settings, extra={**settings.extra, "proof_folders": [str(proof_folder)]})


# --- the borrower at the keyboard ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Sent:
    """The screens an application went through on its way in, for what a test asks of them."""

    form: ApplicationFormScreen
    proofs: ProofsScreen
    progress: ProgressScreen


class Borrower:
    """Drives the app by keys only, waiting after each key for the screen it leads to."""

    def __init__(self, pilot: Pilot[int], proof_folder: Path) -> None:
        self.pilot = pilot
        self.app = pilot.app
        self.proof_folder = proof_folder

    @property
    def screen(self):  # type: ignore[no-untyped-def]
        return self.app.screen

    async def until(self, condition, seconds: float = 15.0) -> None:  # type: ignore[no-untyped-def]
        await wait_until(self.pilot, condition, seconds)
        await settle(self.pilot)

    async def log_in(self, customer_no: str, pin: str) -> LoansScreen:
        await type_log_in(self.pilot, customer_no, pin)
        await self.until(lambda: isinstance(self.screen, LoansScreen) and self.screen.loans is not None)
        return self.screen

    async def log_in_and_open_loan(self, customer_no: str, pin: str) -> LoanDetailScreen:
        """Log in and open the first loan on My Loans."""
        await self.log_in(customer_no, pin)
        return await self.open_loan()

    async def open_loan(self, *keys: str) -> LoanDetailScreen:
        """On My Loans: move with `keys`, then Enter."""
        await self.pilot.press(*keys, "enter")
        await self.until(
            lambda: isinstance(self.screen, LoanDetailScreen)
            and self.screen.detail is not None and self.screen.eligibility is not None and not self.screen.reading
        )
        return self.screen

    async def negotiate(self) -> NegotiateScreen:
        await self.pilot.press("n")
        await self.until(
            lambda: isinstance(self.screen, NegotiateScreen) and self.screen.eligibility is not None and not self.screen.reading
        )
        return self.screen

    async def apply_for(self, number: str) -> ApplicationFormScreen:
        """On the negotiation step: 1 / 2 / 3 chooses the kind, Enter opens its form."""
        await self.pilot.press(number, "enter")
        await self.until(
            lambda: isinstance(self.screen, ApplicationFormScreen)
            and self.screen.view is not None and self.screen.detail is not None
        )
        return self.screen

    async def fill_form(
        self, *, hardship: str, text: str, income: str, expenses: str, other_debt: str,
        months: str | None = None, lump_sum: str | None = None, lump_date: str | None = None,
    ) -> None:
        """Type the whole form key by key, from the first field (where the focus starts)."""
        screen = self.screen
        assert isinstance(screen, ApplicationFormScreen)
        assert screen.query_one("#hardship-category").has_focus
        press = self.pilot.press
        await press("enter", *["down"] * (HARDSHIPS.index(hardship) + 1), "enter")
        await press("tab", *text, "tab")
        await press(*income, "tab", *expenses, "tab", *other_debt, "tab")
        if screen.kind == ApplicationKind.SETTLEMENT:
            assert lump_sum is not None and lump_date is not None
            await press(*lump_sum, "tab", *lump_date, "tab")
        else:
            assert months is not None
            await press("tab", *months, "tab")  # no monthly amount: a term
        await settle(self.pilot)

    async def go_on_to_proofs(self) -> ProofsScreen:
        await self.pilot.press("ctrl+n")
        await self.until(lambda: isinstance(self.screen, ProofsScreen) and self.screen.view is not None)
        return self.screen

    async def pick(self, name: str) -> None:
        """In the folder tree: arrow down to `name`, Enter; wait until it is attached."""
        screen = self.screen
        assert isinstance(screen, ProofsScreen)
        before = len(screen.view.proofs) if screen.view else 0
        tree = screen.query_one("#proofs-tree")
        tree.focus()
        tree.cursor_line = 0
        await self.pilot.pause()
        names = [str(node.label) for node in tree.root.children]
        await self.pilot.press(*["down"] * (names.index(name) + 1), "enter")
        await self.until(lambda: screen.view is not None and len(screen.view.proofs) == before + 1)

    async def submit(self) -> ProgressScreen:
        await self.pilot.press("s")
        await self.until(lambda: isinstance(self.screen, ProgressScreen) and self.screen.view is not None)
        return self.screen

    async def send_application(self, number: str, *proofs: str, **form: str) -> Sent:
        """From the negotiation step: choose the kind `number`, type the form (`fill_form`'s
        fields), pick each of `proofs` in the folder tree and submit."""
        form_screen = await self.apply_for(number)
        await self.fill_form(**form)
        proofs_screen = await self.go_on_to_proofs()
        for name in proofs:
            await self.pick(name)
        return Sent(form_screen, proofs_screen, await self.submit())

    async def wait_for_status(self, status: str) -> None:
        """On the progress screen, without a key: until the application is in `status`."""
        screen = self.screen
        assert isinstance(screen, ProgressScreen)
        await self.until(lambda: screen.view is not None and screen.view.status == status)

    async def see_offers(self) -> OffersScreen:
        await self.pilot.press("o")
        await self.until(lambda: isinstance(self.screen, OffersScreen) and self.screen.loaded and bool(self.screen.offers))
        return self.screen

    async def accept(self, customer_no: str, pin: str) -> ConfirmScreen:
        """On the offers: Enter on the chosen offer, then the last four digits and the PIN."""
        await self.pilot.press("enter")
        await self.until(lambda: isinstance(self.screen, ConfirmScreen) and self.screen.offer is not None)
        screen = self.screen
        assert screen.query_one("#confirm-last4", Input).has_focus
        await self.pilot.press(*customer_no[-4:], "tab", *pin, "enter")
        await self.until(lambda: screen.result is not None)
        return screen

    async def back_to_loan(self) -> LoanDetailScreen:
        """After the agreement: Enter goes back to the loan, which is read again."""
        await self.pilot.press("enter")
        await self.until(lambda: isinstance(self.screen, LoanDetailScreen) and not self.screen.reading)
        return self.screen

    async def repay(self, choice: str) -> RepayScreen:
        """`p`, the number of the amount, Enter (the allocation), `y`: the receipt."""
        await self.pilot.press("p")
        await self.until(lambda: isinstance(self.screen, RepayScreen) and self.screen.stage == "choose")
        screen = self.screen
        await self.pilot.press(choice)
        await self.until(lambda: screen.preview is not None)
        await self.pilot.press("enter")
        await self.until(lambda: screen.stage == "confirm")
        await self.pilot.press("y")
        await self.until(lambda: screen.stage == "done")
        return screen


@contextlib.asynccontextmanager
async def at_the_keyboard(
    settings: Settings, clock: FixedClock, services: Services, proof_folder: Path
) -> AsyncIterator[Borrower]:
    """The borrower's app on `services`, running at the test size, and a Borrower at its keys."""
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        yield Borrower(pilot, proof_folder)


# --- reading the database -------------------------------------------------------------------------


def plans(services: Services, customer_id: int, loan_id: int) -> list[tuple[str, str]]:
    """(origin, status) of every schedule version of the loan, the active one first."""
    return [(plan.origin, plan.status) for plan in services.loan_detail(customer_id, loan_id).plans]


def audit_actions(services: Services, subject: str) -> list[str]:
    with read_session(services.engine) as s:
        rows = s.exec(select(AuditEntry).where(AuditEntry.subject == subject).order_by(AuditEntry.id)).all()  # type: ignore[arg-type]
        return [row.action for row in rows]


def audit_detail(services: Services, action: str) -> list[dict[str, object]]:
    with read_session(services.engine) as s:
        rows = s.exec(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()  # type: ignore[arg-type]
        return [json.loads(row.detail) for row in rows]


def payments_now(services: Services, loan_id: int) -> list[Payment]:
    """The payments made on the loan during the test (the demo's are all dated earlier)."""
    with read_session(services.engine) as s:
        rows = s.exec(select(Payment).where(Payment.loan_id == loan_id)).all()
        return [row for row in rows if row.paid_at == services.clock.now()]


def the_application(services: Services, customer_id: int, loan_id: int):  # type: ignore[no-untyped-def]
    (view,) = [a for a in services.applications_of(customer_id, loan_id) if a.status != "draft"][:1]
    return view


# --- (a) a first negotiation ----------------------------------------------------------------------


async def test_a_first_negotiation_typed_and_proved_by_keyboard_ends_in_an_active_plan_and_a_payment_on_it(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, proof_folder: Path
) -> None:
    services = sqlite_demo_services
    async with at_the_keyboard(settings, clock, services, proof_folder) as me:
        app = me.app
        detail = await me.log_in_and_open_loan("80000001", "111111")
        loan_id = detail.loan_id
        customer_id = app.customer.id
        assert detail.detail.summary.status == LoanStatus.OVERDUE
        await me.negotiate()
        sent = await me.send_application(
            "1", "1-hardship.pdf",
            hardship="job_loss", text="shop closed", income="8000", expenses="3000.50", other_debt="500", months="24",
        )
        form, progress = sent.form, sent.progress
        assert sent.proofs.application_id == form.view.id
        assert [type(s).__name__ for s in app.screen_stack][-3:] == ["LoanDetailScreen", "NegotiateScreen", "ProgressScreen"]
        await me.wait_for_status("offer_issued")
        offers = await me.see_offers()
        chosen = offers.selected_offer
        confirm = await me.accept("80000001", "111111")
        assert "新还款计划已生效" in text_of(confirm.query_one("#confirm-done"))
        detail = await me.back_to_loan()
        assert detail.detail.active_plan.origin == "first"
        assert progress.application_id == form.view.id
        repay = await me.repay("1")
        receipt = repay.receipt
        assert receipt is not None
        shown = text_of(repay.query_one("#repay-receipt"))
        assert shown.startswith("还款成功") and f"凭证号：{receipt.receipt_no}" in shown

    application = services.application(customer_id, form.view.id)
    assert application.status == "plan_active"
    assert application.form.hardship_category == "job_loss"
    assert application.form.hardship_text == "shop closed"
    assert (application.form.monthly_income, application.form.essential_expenses, application.form.other_debt) == (
        Decimal("8000.00"), Decimal("3000.50"), Decimal("500.00"),
    )
    assert application.form.wish_months == 24
    assert [(p.kind, p.original_name) for p in application.proofs] == [("hardship", "1-hardship.pdf")]
    assert [e.status for e in application.events] == ["submitted", "under_review", "offer_issued", "accepted", "plan_active"]
    assert plans(services, customer_id, loan_id) == [("first", "active"), ("original", "closed")]
    active = services.loan_detail(customer_id, loan_id).active_plan
    assert active.months == chosen.months and active.installments[0].payment == chosen.installment
    summary = next(loan for loan in services.loans_of(customer_id) if loan.loan_id == loan_id)
    assert summary.status == LoanStatus.NEGOTIATED and summary.negotiations_used == 1
    (payment,) = payments_now(services, loan_id)
    assert payment.amount == receipt.amount == chosen.installment
    assert payment.receipt_no == receipt.receipt_no
    assert audit_actions(services, f"application:{application.id}") == [
        "proof.attach", "application.submit", "application.advance", "agreement.accept",
    ]
    (accepted,) = audit_detail(services, "agreement.accept")
    assert accepted["offer"] == chosen.id
    assert "payment" in audit_actions(services, f"loan:{summary.loan_no}")


# --- (b) a second negotiation, decided by an officer -----------------------------------------------


def officer(services: Services, number: str = "O0001", pin: str = "900001") -> tuple[OfficerServices, int]:
    officers = OfficerServices(services)
    result = officers.login(number, pin)
    assert result.officer is not None
    return officers, result.officer.id


async def test_a_second_negotiation_goes_to_an_officer_and_the_borrower_accepts_the_officers_offer_and_pays(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, proof_folder: Path
) -> None:
    """李娜 (80000002) is on her first negotiated plan and one payment behind."""
    services = sqlite_demo_services
    async with at_the_keyboard(settings, clock, services, proof_folder) as me:
        app = me.app
        detail = await me.log_in_and_open_loan("80000002", "222222")
        loan_id, customer_id = detail.loan_id, app.customer.id
        assert detail.detail.active_plan.origin == "first"
        negotiate = await me.negotiate()
        assert negotiate.highlighted_kind == ApplicationKind.SECOND
        sent = await me.send_application(
            "2", "2-income.pdf", "3-expense.pdf",  # the kind list moves on to the next missing kind by itself
            hardship="income_drop", text="salary cut again", income="6000", expenses="2500", other_debt="0", months="36",
        )
        progress = sent.progress
        assert "【二次协商还款】" in sent.form.sub_title
        await me.wait_for_status("under_review")
        assert progress.view.events[-1].reason == "needs_officer"
        assert "o" not in footer_descriptions(app)

        officers, zhao = officer(services)
        case = officers.case(zhao, progress.application_id)
        decided = officers.issue_offers(zhao, progress.application_id, [OfferSpec(months=36)], note="收入下降属实", version=case.version)
        assert decided.application_status == "offer_issued"

        await me.wait_for_status("offer_issued")  # the progress screen picks it up by itself
        offers = await me.see_offers()
        (chosen,) = offers.offers
        await me.accept("80000002", "222222")
        detail = await me.back_to_loan()
        assert detail.detail.active_plan.origin == "second"
        repay = await me.repay("1")
        receipt = repay.receipt

    application = services.application(customer_id, progress.application_id)
    assert (application.kind, application.status) == ("second", "plan_active")
    assert sorted((p.kind, p.original_name) for p in application.proofs) == [("expense", "3-expense.pdf"), ("income", "2-income.pdf")]
    assert plans(services, customer_id, loan_id) == [("second", "active"), ("first", "closed"), ("original", "closed")]
    summary = services.loans_of(customer_id)[0]
    assert summary.status == LoanStatus.NEGOTIATED and summary.negotiations_used == 2
    active = services.loan_detail(customer_id, loan_id).active_plan
    assert (active.months, active.installments[0].payment) == (36, chosen.installment)
    (payment,) = payments_now(services, loan_id)
    assert payment.amount == receipt.amount
    actions = audit_actions(services, f"application:{application.id}")
    assert actions.index("officer.issue_offers") < actions.index("agreement.accept")


# --- (c) and (d) a settlement ------------------------------------------------------------------------


async def settle_by_keyboard(me: Borrower) -> tuple[int, int, int]:
    """刘洋 (80000004) applies for a settlement and accepts the bank's settlement offer:
    (customer id, loan id, application id), back on the loan's detail."""
    detail = await me.log_in_and_open_loan("80000004", "444444")
    await me.negotiate()
    progress = (await me.send_application(
        "3", "4-funds.pdf",
        hardship="business_failure", text="shop closed, family lends the sum", income="3000", expenses="2500",
        other_debt="0", lump_sum="60000", lump_date="2026-12-01",
    )).progress
    await me.wait_for_status("offer_issued")
    await me.see_offers()
    confirm = await me.accept("80000004", "444444")
    assert "一次性结清已确认：请于2026年12月5日前还清" in text_of(confirm.query_one("#confirm-done"))
    await me.back_to_loan()
    return me.app.customer.id, detail.loan_id, progress.application_id


async def test_a_settlement_paid_in_full_leaves_the_loan_settled(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, proof_folder: Path
) -> None:
    services = sqlite_demo_services
    async with at_the_keyboard(settings, clock, services, proof_folder) as me:
        app, pilot = me.app, me.pilot
        customer_id, loan_id, application_id = await settle_by_keyboard(me)
        _, (offer,) = services.offers(customer_id, application_id)
        repay = await me.repay("3")
        assert repay.receipt.amount == offer.total_payment
        assert "此贷款已结清（协商结清）。" in text_of(repay.query_one("#repay-receipt"))
        await pilot.press("escape")
        await me.until(lambda: isinstance(me.screen, LoanDetailScreen) and not me.screen.reading)
        assert "结清" in text_of(me.screen.query_one("#detail-heading"))
        assert "n" not in footer_descriptions(app) and "p" not in footer_descriptions(app)
        await pilot.press("escape")
        await me.until(lambda: isinstance(me.screen, LoansScreen) and not me.screen.reading)
        assert "协商结清" in row_texts(me.screen.query_one("#loans-table"))[0]

    summary = services.loans_of(customer_id)[0]
    assert summary.status == LoanStatus.SETTLED
    assert summary.outstanding_principal == 0 and summary.overdue_total == 0
    assert services.application(customer_id, application_id).status == "completed"
    assert plans(services, customer_id, loan_id) == [("settlement", "active"), ("original", "closed")]
    (payment,) = payments_now(services, loan_id)
    assert payment.amount == offer.total_payment
    assert payment.to_principal == offer.principal
    assert "settled" in [n.kind for n in services.inbox(customer_id)]


async def test_a_settlement_not_paid_by_its_deadline_expires_and_the_loan_returns_to_its_earlier_plan(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, proof_folder: Path
) -> None:
    services = sqlite_demo_services
    async with at_the_keyboard(settings, clock, services, proof_folder) as me:
        app, pilot = me.app, me.pilot
        await wait_for_database(pilot)
        before = services.loans_of(services.login("80000004", "444444").customer.id)[0]
        customer_id, loan_id, application_id = await settle_by_keyboard(me)
        assert me.screen.detail.active_plan.origin == "settlement"
        before_plan = services.loan_detail(customer_id, loan_id).plans[1]
        pay_by = services.payment_options(customer_id, loan_id).settlement_pay_by

        clock.advance(dt.timedelta(days=(pay_by - clock.now().date()).days + 1))  # the day after the pay-by date
        await pilot.press("escape")  # My Loans reads the loans again
        await me.until(lambda: isinstance(me.screen, LoansScreen) and not me.screen.reading)
        detail = await me.open_loan()
        assert detail.detail.active_plan.origin == "original"
        assert "p" in footer_descriptions(app) and "n" in footer_descriptions(app)
        assert "已过期" in text_of(detail.query_one("#detail-history"))

    application = services.application(customer_id, application_id)
    assert application.status == "expired"
    assert application.events[-1].reason == "deadline.accepted"
    assert plans(services, customer_id, loan_id) == [("original", "active"), ("settlement", "closed")]
    after = services.loans_of(customer_id)[0]
    assert after.status == before.status
    assert (after.principal, after.repaid_principal, after.outstanding_principal) == (
        before.principal, before.repaid_principal, before.outstanding_principal,
    )
    restored = services.loan_detail(customer_id, loan_id).active_plan
    assert [(i.period, i.payment) for i in restored.installments] == [(i.period, i.payment) for i in before_plan.installments]
    assert payments_now(services, loan_id) == []
    _, offers = services.offers(customer_id, application_id)
    assert [offer.status for offer in offers] == ["expired"]
    assert "expired" in [n.kind for n in services.inbox(customer_id)]


# --- (e) a materials request answered ---------------------------------------------------------------


async def test_a_materials_request_is_answered_from_the_progress_screen_and_the_review_goes_on(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, proof_folder: Path
) -> None:
    services = sqlite_demo_services
    async with at_the_keyboard(settings, clock, services, proof_folder) as me:
        app, pilot = me.app, me.pilot
        await me.log_in_and_open_loan("80000002", "222222")
        customer_id = app.customer.id
        await me.negotiate()
        progress = (await me.send_application(
            "2", "2-income.pdf", "3-expense.pdf",
            hardship="illness", text="in hospital", income="6000", expenses="2500", other_debt="0", months="36",
        )).progress
        await me.wait_for_status("under_review")
        application_id = progress.application_id

        officers, zhao = officer(services)
        case = officers.case(zhao, application_id)
        officers.request_materials(
            zhao, application_id, [ProofKind.HARDSHIP], message="请补充住院证明", note="疾病需要证明", version=case.version,
        )
        await me.wait_for_status("materials_requested")
        assert footer_descriptions(app)["a"] == "补交材料"
        await pilot.press("a")
        await me.until(lambda: isinstance(me.screen, ProofsScreen) and me.screen.view is not None)
        proofs = me.screen
        assert "银行留言：请补充住院证明" in text_of(proofs.query_one("#proofs-required"))
        assert footer_descriptions(app)["s"] == "发送补充材料"
        await me.pick("5-hospital.pdf")
        await pilot.press("s")
        await me.until(lambda: me.screen is progress and progress.view.status == "under_review")

        clock.advance(dt.timedelta(hours=2))
        case = officers.case(zhao, application_id)
        officers.issue_offers(zhao, application_id, [OfferSpec(months=36)], note="材料齐全", version=case.version)
        await me.wait_for_status("offer_issued")
        await me.see_offers()
        await me.accept("80000002", "222222")

    application = services.application(customer_id, application_id)
    assert application.status == "plan_active"
    events = application.events[[e.status for e in application.events].index("materials_requested"):]
    assert [(e.status, e.actor) for e in events[:2]] == [("materials_requested", "officer:O0001"), ("under_review", "customer")]
    assert events[2].reason == "needs_officer"  # a second negotiation always goes back to an officer
    assert [e.status for e in events[-3:]] == ["offer_issued", "accepted", "plan_active"]
    assert ("hardship", "5-hospital.pdf") in [(p.kind, p.original_name) for p in application.proofs]
    actions = audit_actions(services, f"application:{application_id}")
    assert actions.index("officer.request_materials") < actions.index("application.materials") < actions.index("agreement.accept")


# --- (f) a withdrawal ----------------------------------------------------------------------------------


async def test_an_application_withdrawn_from_the_progress_screen_leaves_the_plan_and_opens_negotiation_again(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, proof_folder: Path
) -> None:
    services = sqlite_demo_services
    async with at_the_keyboard(settings, clock, services, proof_folder) as me:
        app, pilot = me.app, me.pilot
        detail = await me.log_in_and_open_loan("80000001", "111111")
        loan_id, customer_id = detail.loan_id, app.customer.id
        await me.negotiate()
        progress = (await me.send_application(
            "1", "1-hardship.pdf",
            hardship="income_drop", text="sales fell", income="8000", expenses="3000", other_debt="0", months="24",
        )).progress
        await me.wait_for_status("offer_issued")
        await pilot.press("w")
        await me.until(lambda: isinstance(me.screen, QuestionDialog))
        await pilot.press("y")
        await me.until(lambda: me.screen is progress and progress.view.status == "withdrawn")
        assert "w" not in footer_descriptions(app) and "o" not in footer_descriptions(app)
        await pilot.press("escape")  # back to the negotiation step, which reads the checklist again
        await me.until(lambda: isinstance(me.screen, NegotiateScreen) and not me.screen.reading)
        assert me.screen.eligibility[ApplicationKind.FIRST].open

    application = services.application(customer_id, progress.application_id)
    assert application.status == "withdrawn"
    assert plans(services, customer_id, loan_id) == [("original", "active")]
    assert services.loans_of(customer_id)[0].negotiations_used == 0
    assert audit_actions(services, f"application:{application.id}")[-1] == "application.withdraw"
    assert payments_now(services, loan_id) == []


async def test_the_offers_of_a_withdrawn_application_are_no_longer_issued(
    sqlite_demo_services: Services, proof_folder: Path
) -> None:
    from app_factory import reviewed

    services = sqlite_demo_services
    customer_id, application_id = reviewed(services, proof_folder)
    services.withdraw_application(customer_id, application_id)
    _, offers = services.offers(customer_id, application_id)
    assert offers and {offer.status for offer in offers} == {"withdrawn"}


# --- (g) a third negotiation refused ----------------------------------------------------------------------


async def test_a_third_negotiation_is_refused_with_its_reason_and_the_settlement_is_offered_instead(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, proof_folder: Path
) -> None:
    """李娜's loan has used both negotiations: the first (demo data) and a second one, decided
    by an officer and accepted before this session."""
    services = sqlite_demo_services
    customer_id, second = submit(
        services, proof_folder, "80000002", "222222", kind=ApplicationKind.SECOND,
        form=FIRST_FORM.merged(wish_months=36), proofs=(ProofKind.INCOME, ProofKind.EXPENSE),
    )
    services.catch_up()
    officers, zhao = officer(services)
    officers.issue_offers(zhao, second, [OfferSpec(months=36)], note="同意", version=officers.case(zhao, second).version)
    (offer,) = services.offers(customer_id, second)[1]
    services.accept_offer(customer_id, second, offer.id, pin="222222", last4="0002")
    applications_before = services.applications_of(customer_id)

    async with at_the_keyboard(settings, clock, services, proof_folder) as me:
        app, pilot = me.app, me.pilot
        detail = await me.log_in_and_open_loan("80000002", "222222")
        negotiate = await me.negotiate()
        listed = [" ".join(str(o.prompt).split()) for o in negotiate.query_one(OptionList)._options]
        assert listed == ["1 协商还款 暂不可申请", "2 二次协商还款 暂不可申请", "3 协商一次性还款 可以申请"]
        await pilot.press("2")
        await settle(pilot)
        assert text_of(negotiate.query_one("#negotiate-hint")) == "二次协商还款暂不可申请：此贷款已协商2次，已达上限2次，不能再协商"
        assert text_of(negotiate.query_one("#negotiate-note")) == "怎样才能申请：仍可申请协商一次性还款：按 3 选中它，再按回车"
        assert "enter" not in footer_descriptions(app)
        await pilot.press("enter")
        await settle(pilot)
        assert me.screen is negotiate
        await pilot.press("1", "enter")
        await settle(pilot)
        assert me.screen is negotiate
        assert services.applications_of(customer_id) == applications_before

        form = await me.apply_for("3")
        assert form.kind == ApplicationKind.SETTLEMENT and form.loan_id == detail.loan_id

    drafts = [a for a in services.applications_of(customer_id) if a not in applications_before]
    assert [(a.kind, a.status) for a in drafts] == [("settlement", "draft")]
    summary = services.loans_of(customer_id)[0]
    assert summary.negotiations_used == 2
    assert plans(services, customer_id, detail.loan_id)[0] == ("second", "active")
