"""Step 4, negotiate: the three kinds with their eligibility checklists for each demo customer,
Enter only on an open kind, a third negotiation refused with settlement pointed to, and every
rule of core.eligibility phrased in both languages."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from app_factory import SIZE, footer_descriptions, make_app, settle, text_of, wait_for_database
from test_app_loan_detail import fake_screen_module, open_detail
from textual.widgets import OptionList

from wsnego_tui.config import Settings
from wsnego_tui.core.clock import FixedClock
from wsnego_tui.core.eligibility import FirstPlanFacts, LoanFacts, PlanStatus, eligibility
from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.core.policy import DEFAULT_POLICY
from wsnego_tui.core.schedule import Rate
from wsnego_tui.i18n import Translator
from wsnego_tui.screens.negotiate import NegotiateScreen, check_text, down_payment, remedy_text


async def open_negotiate(pilot, customer_no: str, pin: str) -> NegotiateScreen:  # type: ignore[no-untyped-def]
    await open_detail(pilot, customer_no, pin)
    await pilot.press("n")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, NegotiateScreen)
    return screen


def kinds_listed(screen: NegotiateScreen) -> list[str]:
    option_list = screen.query_one(OptionList)
    return [" ".join(str(option_list.get_option_at_index(i).prompt).split()) for i in range(option_list.option_count)]


def checklist(screen: NegotiateScreen) -> list[str]:
    return text_of(screen.query_one("#negotiate-checks")).splitlines()[1:]


async def test_a_first_negotiation_is_open_for_a_loan_in_arrears_and_enter_starts_its_form(
    settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = fake_screen_module(monkeypatch, "wsnego_tui.screens.application_form", "ApplicationFormScreen")
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_negotiate(pilot, "80000001", "111111")
        assert kinds_listed(screen) == ["1 协商还款 可以申请", "2 二次协商还款 暂不可申请", "3 协商一次性还款 可以申请"]
        assert screen.highlighted_kind == ApplicationKind.FIRST
        assert checklist(screen) == [
            "符合    贷款仍在还款中",
            "符合    此贷款没有正在办理中的申请",
            "符合    此贷款已协商0次，最多可协商2次",
            "符合    此贷款此前没有协商过",
            "符合    已逾期 ¥9,226.90，逾期61天",
        ]
        assert text_of(screen.query_one("#negotiate-proofs")) == "需提供的证明材料：困难证明"
        assert text_of(screen.query_one("#negotiate-hint")) == "按回车开始申请协商还款。"
        assert footer_descriptions(app)["enter"] == "申请此项"
        await pilot.press("enter")
        await settle(pilot)
        assert built == [(app.customer, screen.loan_id, ApplicationKind.FIRST)]


async def test_after_a_first_plan_the_second_negotiation_is_open_and_the_first_is_closed_with_its_reason(
    settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = fake_screen_module(monkeypatch, "wsnego_tui.screens.application_form", "ApplicationFormScreen")
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_negotiate(pilot, "80000002", "222222")
        assert kinds_listed(screen) == ["1 协商还款 暂不可申请", "2 二次协商还款 可以申请", "3 协商一次性还款 可以申请"]
        assert screen.highlighted_kind == ApplicationKind.SECOND  # the first kind that is open
        assert text_of(screen.query_one("#negotiate-kind-title")).startswith("二次协商还款")
        assert "二次协商：" in text_of(screen.query_one("#negotiate-about"))
        assert checklist(screen)[-1] == "符合    首次协商计划执行中（原定2029年7月1日还清）"
        assert text_of(screen.query_one("#negotiate-proofs")) == "需提供的证明材料：收入证明、支出证明"
        assert text_of(screen.query_one("#negotiate-note")) == ""  # the first plan is not broken

        await pilot.press("1")
        assert screen.highlighted_kind == ApplicationKind.FIRST
        assert "不符合  此贷款已协商过，首次协商只能申请一次" in checklist(screen)
        assert text_of(screen.query_one("#negotiate-note")) == "怎样才能申请：下一步可申请二次协商还款"
        hint = text_of(screen.query_one("#negotiate-hint"))
        assert hint == "协商还款暂不可申请：此贷款已协商过，首次协商只能申请一次"
        assert "enter" not in footer_descriptions(app)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen and built == []  # a closed kind starts nothing

        await pilot.press("2", "enter")
        await settle(pilot)
        assert built == [(app.customer, screen.loan_id, ApplicationKind.SECOND)]


async def test_after_a_broken_first_plan_the_second_negotiation_states_its_down_payment(
    settings: Settings, clock: FixedClock
) -> None:
    from wsnego_tui.core.review import plan_limits
    from wsnego_tui.store import review_flow
    from wsnego_tui.store.engine import read_session
    from wsnego_tui.store.models import Loan

    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_negotiate(pilot, "80000003", "333333")
        assert screen.highlighted_kind == ApplicationKind.SECOND
        assert checklist(screen)[-1] == "符合    首次协商计划已违约（原定2028年3月28日还清）"
        services = app.services
        with read_session(services.engine) as session:
            loan = session.get(Loan, screen.loan_id)
            facts = review_flow.loan_facts(session, loan, clock.now().date(), services.policy)
        expected = plan_limits(ApplicationKind.SECOND, facts, services.policy, clock.now().date()).min_down_payment
        assert expected == down_payment(facts.outstanding_principal, services.policy) == Decimal("785.31")
        assert text_of(screen.query_one("#negotiate-note")) == "首次协商计划已违约：二次协商须首付剩余本金的5%，不少于 ¥785.31。"


async def test_a_loan_repaid_on_time_may_use_no_kind_and_each_says_why(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_negotiate(pilot, "80000005", "555555")
        assert [line.split()[-1] for line in kinds_listed(screen)] == ["暂不可申请"] * 3
        reasons = {}
        for key, kind in (("1", "first"), ("2", "second"), ("3", "settlement")):
            await pilot.press(key)
            assert "enter" not in footer_descriptions(app)
            reasons[kind] = (text_of(screen.query_one("#negotiate-hint")), text_of(screen.query_one("#negotiate-note")))
        assert reasons == {
            "first": ("协商还款暂不可申请：此贷款没有逾期（协商还款适用于已逾期的贷款）", "怎样才能申请：按时还款无需协商；一旦出现逾期，即可申请协商"),
            "second": ("二次协商还款暂不可申请：此贷款还没有首次协商计划（二次协商须在其后）", "怎样才能申请：请先申请协商还款"),
            "settlement": (
                "协商一次性还款暂不可申请：此贷款既未逾期，也没有协商过",
                "怎样才能申请：按时还款的贷款可随时提前还清",
            ),
        }


def third_negotiation() -> LoanFacts:
    """A loan on its second negotiated plan: both negotiations used."""
    return LoanFacts(
        outstanding_principal=Decimal("20000.00"),
        overdue_principal=Decimal("1000.00"),
        overdue_interest=Decimal("100.00"),
        rate=Rate.daily(Decimal("0.04")),
        days_past_due=40,
        negotiations_used=2,
        first_plan=FirstPlanFacts(PlanStatus.BROKEN, dt.date(2025, 1, 1), dt.date(2027, 1, 1)),
    )


async def test_a_third_negotiation_is_refused_with_the_reason_and_points_to_settlement(
    settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No demo loan has used both negotiations: the checklist of such a loan comes from the
    real core rules and is handed to the screen in place of the services' answer."""
    built = fake_screen_module(monkeypatch, "wsnego_tui.screens.application_form", "ApplicationFormScreen")
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        monkeypatch.setattr(app.services, "eligibility", lambda customer_id, loan_id: eligibility(third_negotiation(), DEFAULT_POLICY))
        screen = await open_negotiate(pilot, "80000002", "222222")
        assert kinds_listed(screen) == ["1 协商还款 暂不可申请", "2 二次协商还款 暂不可申请", "3 协商一次性还款 可以申请"]
        assert screen.highlighted_kind == ApplicationKind.SETTLEMENT
        await pilot.press("2")
        assert "不符合  此贷款已协商2次，已达上限2次，不能再协商" in checklist(screen)
        assert text_of(screen.query_one("#negotiate-hint")) == "二次协商还款暂不可申请：此贷款已协商2次，已达上限2次，不能再协商"
        assert text_of(screen.query_one("#negotiate-note")) == "怎样才能申请：仍可申请协商一次性还款：按 3 选中它，再按回车"
        await pilot.press("enter")
        assert built == []
        await pilot.press("3", "enter")
        await settle(pilot)
        assert built == [(app.customer, screen.loan_id, ApplicationKind.SETTLEMENT)]


async def test_an_application_under_way_closes_every_kind_and_says_what_to_do(
    settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    """A draft closes nothing; a submitted application does, until it is decided."""
    from wsnego_tui.core.application_form import FormFields
    from wsnego_tui.core.proofs import ProofKind

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    app = make_app(dataclasses.replace(settings, extra={"proof_folders": [str(inbox)]}), clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        services = app.services
        customer = services.login("80000004", "444444").customer
        assert customer is not None
        loan = services.loans_of(customer.id)[0]
        draft = services.start_application(customer.id, loan.loan_id, ApplicationKind.FIRST)
        form = FormFields(
            hardship_category="income_drop", hardship_text="订单减少。",
            monthly_income=Decimal("9000.00"), essential_expenses=Decimal("3000.00"), other_debt=Decimal("0.00"),
            wish_months=24,
        )
        draft = services.save_application_form(customer.id, draft.id, form, version=draft.version)
        assert services.eligibility(customer.id, loan.loan_id)[ApplicationKind.FIRST].open
        proof = inbox / "hardship.pdf"
        proof.write_bytes(b"%PDF-1.4\n%hardship\n")
        draft = services.attach_proof(customer.id, draft.id, ProofKind.HARDSHIP, proof)
        services.submit_application(customer.id, draft.id, version=draft.version, idempotency_key="submit-once")

        screen = await open_negotiate(pilot, "80000004", "444444")
        assert [line.split()[-1] for line in kinds_listed(screen)] == ["暂不可申请"] * 3
        await pilot.press("1")
        assert "不符合  此贷款已有一笔申请正在办理中" in checklist(screen)
        assert text_of(screen.query_one("#negotiate-note")) == "怎样才能申请：请等待审核结果，或在审核进度中撤回该申请"
        assert "enter" not in footer_descriptions(app)


async def test_the_language_key_re_renders_the_checklist_in_english(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_negotiate(pilot, "80000002", "222222")
        await pilot.press("f2")
        await settle(pilot)
        assert kinds_listed(screen) == ["1 1st negotiation not open", "2 2nd negotiation open", "3 Settlement open"]
        assert checklist(screen)[-1] == "Met      The first negotiated plan is in force (to end 1 Jul 2029)"
        assert text_of(screen.query_one("#negotiate-proofs")) == "Proofs you will need: income proof, expense proof"
        assert footer_descriptions(app)["enter"] == "Apply"
        assert "Step 4 Negotiate" in str(screen.sub_title)


def every_check():  # type: ignore[no-untyped-def]
    """Checks of every rule, met and not met, from loans in every situation."""
    rate = Rate.daily(Decimal("0.04"))
    plan = lambda status: FirstPlanFacts(status, dt.date(2025, 1, 1), dt.date(2027, 1, 1))  # noqa: E731
    loans = [
        LoanFacts(outstanding_principal=Decimal("100.00"), overdue_principal=Decimal("10.00"), rate=rate, days_past_due=3),
        LoanFacts(outstanding_principal=Decimal("100.00"), rate=rate),
        LoanFacts(outstanding_principal=Decimal("0.00"), rate=rate, closed=True),
        LoanFacts(outstanding_principal=Decimal("100.00"), rate=rate, has_open_application=True),
        LoanFacts(outstanding_principal=Decimal("100.00"), rate=rate, negotiations_used=1, first_plan=plan(PlanStatus.ACTIVE)),
        LoanFacts(outstanding_principal=Decimal("100.00"), rate=rate, negotiations_used=1, first_plan=plan(PlanStatus.COMPLETED)),
        LoanFacts(outstanding_principal=Decimal("100.00"), rate=rate, negotiations_used=1, first_plan=plan(PlanStatus.BROKEN)),
        third_negotiation(),
    ]
    checks = {}
    for loan in loans:
        for answer in eligibility(loan, DEFAULT_POLICY).values():
            for check in answer.checks:
                checks[(check.rule, check.met, repr(sorted(check.params.items())))] = check
    return list(checks.values())


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_rule_of_the_checklist_is_phrased_in_both_languages_met_or_not(lang: str) -> None:
    checks = every_check()
    rules = {(check.rule, check.met) for check in checks}
    for rule in (
        "loan.open", "application.none_open", "negotiations.within_limit", "first.no_earlier_negotiation",
        "first.loan_in_arrears", "second.after_first_plan", "settlement.loan_in_arrears_or_negotiated",
    ):
        assert (rule, True) in rules and (rule, False) in rules, rule
    tr = Translator(lang)
    for check in checks:
        text = check_text(tr, check, DEFAULT_POLICY)
        assert text and text != check.explain, check
        if lang == "zh":
            assert not any("a" <= ch.lower() <= "z" for ch in text), text  # no English left in Chinese
        remedy = remedy_text(tr, check, DEFAULT_POLICY)
        assert (remedy == "") == check.met, check
        assert check.met or remedy != check.remedy, check  # phrased, not the core's English


def test_a_rule_the_screen_does_not_know_falls_back_to_the_cores_explanation() -> None:
    from wsnego_tui.core.eligibility import Check

    check = Check("future.rule", False, "Some [b]new[/b] rule.\x1b[2J", {}, "Do this.")
    assert check_text(Translator("zh"), check) == "Some [b]new[/b] rule.[2J"
    assert remedy_text(Translator("zh"), check) == "Do this."
