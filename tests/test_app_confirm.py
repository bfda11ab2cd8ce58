"""Step 9, the agreement: its text, the old -> new comparison, the explicit confirmation (the
last four digits of the customer number and the PIN, checked next to each field), acceptance
in one go or not at all, a double press, a settlement's pay-by date, and declining."""

from __future__ import annotations

from pathlib import Path

from app_factory import (
    early_check_done,
    SETTLEMENT_FORM,
    SIZE,
    footer_descriptions,
    make_app,
    open_screen,
    reviewed,
    row_texts,
    settle,
    text_of,
    type_into,
    wait_until,
)
from sqlmodel import func, select
from textual.widgets import Input

from wsnego_tui.config import Settings
from wsnego_tui.core.clock import FixedClock
from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.core.proofs import ProofKind
from wsnego_tui.i18n import format_money
from wsnego_tui.screens.confirm import ConfirmScreen, QuestionDialog
from wsnego_tui.screens.loans import LoansScreen
from wsnego_tui.services import Services
from wsnego_tui.store.engine import read_session
from wsnego_tui.store.models import AuditEntry, Customer
from wsnego_tui.widgets.line_table import LineTable


def message(screen: ConfirmScreen, field: str) -> str:
    return text_of(screen.query_one(f"#confirm-{field}-message"))


def plans_of(services: Services, customer: int) -> list[tuple[str, str]]:
    loan = services.loans_of(customer)[0]
    return [(plan.origin, plan.status) for plan in services.loan_detail(customer, loan.loan_id).plans]


async def confirm_with(pilot, last4: str, pin: str) -> None:  # type: ignore[no-untyped-def]
    await type_into(pilot, "#confirm-last4", last4)
    await type_into(pilot, "#confirm-pin", pin)
    await pilot.press("enter")
    await settle(pilot)


async def test_the_agreement_names_the_borrower_and_the_offers_figures_beside_the_old_and_new_plans(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    customer, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    current, offers = sqlite_demo_services.offers(customer, application)
    lowest = offers[1]
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000001", "111111", lambda c: ConfirmScreen(c, application, lowest.id))
        agreement = text_of(screen.query_one("#confirm-agreement-text"))
        assert agreement.startswith("协商还款协议\n\n甲方（贷款人）：网商银行\n乙方（借款人）：张伟（客户号80000001）\n贷款编号：WS202603000001")
        for part in (
            "按以下新还款计划执行（最低月供）",
            f"新本金{format_money(lowest.principal)}",
            "减免罚息¥229.36",
            "共60期，每月还款¥720.81，最后一期还款日为2031年11月28日",
            f"还款总额{format_money(lowest.total_payment)}，其中利息{format_money(lowest.total_interest)}",
            "名义年化利率14.40%，实际年化利率15.39%",
            "连续2期未按时还款，或任一期逾期超过30天",
        ):
            assert part in agreement
        compare = row_texts(screen.query_one("#confirm-compare", LineTable))
        assert compare == [
            ["月供", format_money(current.installment), "¥720.81"],
            ["期数", f"{current.remaining_months}期", "60期"],
            ["结束日期", "2027年3月28日", "2031年11月28日"],
            ["还款总额", format_money(current.total_payment), format_money(lowest.total_payment)],
            ["利息总额", format_money(current.total_interest), format_money(lowest.total_interest)],
            ["减免金额", "-", "¥229.36"],
        ]
        await pilot.press("f2")
        await settle(pilot)
        agreement = text_of(screen.query_one("#confirm-agreement-text"))
        assert agreement.startswith("1st negotiation agreement\n\nThe lender: MYbank\nThe borrower: 张伟 (customer no. 80000001)")
        assert "60 months, ¥720.81 a month, the last payment on 28 Nov 2031." in agreement
        assert text_of(screen.query_one("#confirm-last4-label")) == "Last 4 digits"


async def test_a_wrong_last_four_is_refused_next_to_its_field_and_changes_nothing(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    customer, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    _, offers = sqlite_demo_services.offers(customer, application)
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000001", "111111", lambda c: ConfirmScreen(c, application, offers[0].id))
        assert isinstance(screen, ConfirmScreen)
        await confirm_with(pilot, "9999", "111111")
        assert message(screen, "last4") == "与客户号后4位不符"
        assert message(screen, "pin") == ""
        assert screen.query_one("#confirm-pin", Input).value == ""  # the PIN never stays
        assert screen.result is None
    assert sqlite_demo_services.application(customer, application).status == "offer_issued"
    assert plans_of(sqlite_demo_services, customer) == [("original", "active")]


async def test_a_wrong_pin_is_refused_next_to_its_field_and_changes_nothing(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    customer, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    _, offers = sqlite_demo_services.offers(customer, application)
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000001", "111111", lambda c: ConfirmScreen(c, application, offers[0].id))
        await confirm_with(pilot, "0001", "000000")
        assert message(screen, "pin") == "密码不正确"
        assert message(screen, "last4") == ""
        assert screen.query_one("#confirm-pin", Input).has_focus
        assert footer_descriptions(app)["enter"] == "确认接受"
    assert sqlite_demo_services.application(customer, application).status == "offer_issued"
    assert plans_of(sqlite_demo_services, customer) == [("original", "active")]


async def test_letters_short_entries_and_empty_fields_are_refused_before_anything_is_sent(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    customer, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    _, offers = sqlite_demo_services.offers(customer, application)
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000001", "111111", lambda c: ConfirmScreen(c, application, offers[0].id))
        await pilot.press("enter")
        await settle(pilot)
        assert message(screen, "last4") == "请输入客户号后4位"
        await type_into(pilot, "#confirm-last4", "0a1")
        assert message(screen, "last4") == "只能输入数字"  # as it is typed
        await type_into(pilot, "#confirm-last4", "001")
        await type_into(pilot, "#confirm-pin", "12")
        await pilot.press("enter")
        await settle(pilot)
        assert message(screen, "last4") == "请输入4位数字"
        await type_into(pilot, "#confirm-last4", "0001")
        await pilot.press("enter")
        await settle(pilot)
        assert (message(screen, "last4"), message(screen, "pin")) == ("", "密码为6位数字")
        screen.query_one("#confirm-pin", Input).value = "1\x1b[2J1111"  # pasted control characters
        await pilot.press("enter")
        await settle(pilot)
        assert message(screen, "pin") == "只能输入数字"
    assert sqlite_demo_services.application(customer, application).status == "offer_issued"
    with read_session(sqlite_demo_services.engine) as s:
        assert s.exec(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "agreement.pin_rejected")).one() == 0


async def test_the_right_last_four_and_pin_put_the_new_plan_in_force(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    customer, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    _, offers = sqlite_demo_services.offers(customer, application)
    lowest = offers[1]
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000001", "111111", lambda c: ConfirmScreen(c, application, lowest.id))
        await confirm_with(pilot, "０００１", "111111")  # full-width digits from a Chinese input method count
        assert text_of(screen.query_one("#confirm-done")) == (
            "新还款计划已生效。首期还款日2026年12月28日，应还¥720.81。\n按回车返回贷款。"
        )
        assert not screen.query_one("#confirm-form").display
        assert text_of(screen.query_one("#confirm-intro")) == "协议已确认。"
        keys = footer_descriptions(app)
        assert keys["enter"] == "返回贷款" and "d" not in keys
        view = sqlite_demo_services.application(customer, application)
        assert view.status == "plan_active"
        assert [e.status for e in view.events][-2:] == ["accepted", "plan_active"]
        assert plans_of(sqlite_demo_services, customer) == [("first", "active"), ("original", "closed")]
        loan = sqlite_demo_services.loans_of(customer)[0]
        plan = sqlite_demo_services.loan_detail(customer, loan.loan_id).active_plan
        assert plan is not None and plan.months == 60
        assert [row.payment for row in plan.installments] == [row.payment for row in lowest.rows]

        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LoansScreen)


async def test_a_double_press_accepts_once(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    customer, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    _, offers = sqlite_demo_services.offers(customer, application)
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000001", "111111", lambda c: ConfirmScreen(c, application, offers[0].id))
        await type_into(pilot, "#confirm-last4", "0001")
        await type_into(pilot, "#confirm-pin", "111111")
        app.set_focus(None)  # off the fields, Enter acts at once (in one, behind the keys typed)
        screen.action_accept()
        assert screen.busy and screen.query_one("#confirm-pin", Input).disabled
        assert "enter" not in footer_descriptions(app)
        screen.action_accept()  # the second press, while the first is under way
        await settle(pilot)
        assert text_of(screen.query_one("#confirm-status")) == ""
        assert text_of(screen.query_one("#confirm-done")).startswith("新还款计划已生效。")
    with read_session(sqlite_demo_services.engine) as s:
        assert s.exec(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "agreement.accept")).one() == 1
    events = [e.status for e in sqlite_demo_services.application(customer, application).events]
    assert events.count("accepted") == 1 and events.count("plan_active") == 1


async def test_two_quick_enter_presses_accept_once(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    customer, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    _, offers = sqlite_demo_services.offers(customer, application)
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        await open_screen(pilot, "80000001", "111111", lambda c: ConfirmScreen(c, application, offers[0].id))
        await type_into(pilot, "#confirm-last4", "0001")
        await type_into(pilot, "#confirm-pin", "111111")
        await pilot.press("enter", "enter")
        await settle(pilot)
    with read_session(sqlite_demo_services.engine) as s:
        assert s.exec(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "agreement.accept")).one() == 1
    assert sqlite_demo_services.application(customer, application).status == "plan_active"


async def test_a_settlement_confirmed_shows_the_amount_and_the_pay_by_date(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    customer, application = reviewed(
        sqlite_demo_services, tmp_path / "proofs", "80000004", "444444",
        kind=ApplicationKind.SETTLEMENT, form=SETTLEMENT_FORM, proofs=(ProofKind.FUNDS,),
    )
    _, (offer,) = sqlite_demo_services.offers(customer, application)
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000004", "444444", lambda c: ConfirmScreen(c, application, offer.id))
        agreement = text_of(screen.query_one("#confirm-agreement-text"))
        assert agreement.startswith("协商一次性还款协议")
        assert f"结清金额{format_money(offer.total_payment)}，其中本金{format_money(offer.principal)}（本金不打折）" in agreement
        assert "乙方应在确认本协议后7天内一次性付清结清金额" in agreement
        compare = dict((row[0], row[1:]) for row in row_texts(screen.query_one("#confirm-compare", LineTable)))
        assert compare["期数"][1] == "一次付清" and compare["结束日期"][1] == "2026年12月5日"
        await confirm_with(pilot, "0004", "444444")
        assert text_of(screen.query_one("#confirm-done")).startswith(
            f"一次性结清已确认：请于2026年12月5日前还清{format_money(offer.total_payment)}，逾期未付则本次结清失效。"
        )
    assert sqlite_demo_services.application(customer, application).status == "accepted"


async def test_declining_from_the_agreement_asks_first_and_ends_the_application(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    customer, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    _, offers = sqlite_demo_services.offers(customer, application)
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000001", "111111", lambda c: ConfirmScreen(c, application, offers[0].id))
        assert "d" not in footer_descriptions(app)  # in a field `d` is a character, not the key
        await pilot.press("d")
        assert screen.query_one("#confirm-last4", Input).value == "d"
        screen.query_one("#confirm-agreement").focus()
        await settle(pilot)
        assert footer_descriptions(app)["d"] == "拒绝方案"
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, QuestionDialog)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, LoansScreen)
    assert sqlite_demo_services.application(customer, application).status == "withdrawn"
    assert plans_of(sqlite_demo_services, customer) == [("original", "active")]


async def test_five_wrong_pins_lock_the_confirmation_and_say_so(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    customer, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    _, offers = sqlite_demo_services.offers(customer, application)
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000001", "111111", lambda c: ConfirmScreen(c, application, offers[0].id))
        for _ in range(5):
            await confirm_with(pilot, "0001", "000000")
        await confirm_with(pilot, "0001", "111111")
        assert text_of(screen.query_one("#confirm-status")) == "密码错误次数过多，已暂时锁定，请稍后再试。"
        assert screen.result is None
    assert sqlite_demo_services.application(customer, application).status == "offer_issued"


async def test_after_acceptance_enter_goes_back_to_the_loan_the_journey_started_from(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    from wsnego_tui.screens.loan_detail import LoanDetailScreen
    from wsnego_tui.screens.offers import OffersScreen

    customer, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    loan = sqlite_demo_services.loans_of(customer)[0]
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        detail = await open_screen(pilot, "80000001", "111111", lambda c: LoanDetailScreen(c, loan.loan_id))
        app.push_screen(OffersScreen(app.customer, application))
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await confirm_with(pilot, "0001", "111111")
        assert app.screen.result is not None
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is detail


async def test_a_name_that_looks_like_markup_reads_literally_in_the_agreement(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    from wsnego_tui.store.engine import write_session
    from wsnego_tui.store.models import Customer

    customer, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    _, offers = sqlite_demo_services.offers(customer, application)
    with write_session(sqlite_demo_services.engine) as s:
        row = s.exec(select(Customer).where(Customer.customer_no == "80000001")).one()
        row.name = "[@click=app.quit]x[/]\x1b[2J张\u202e伟"
        s.add(row)
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000001", "111111", lambda c: ConfirmScreen(c, application, offers[0].id))
        assert "乙方（借款人）：[@click=app.quit]x[/][2J张伟（客户号80000001）" in text_of(screen.query_one("#confirm-agreement-text"))
        await pilot.click("#confirm-agreement-text", offset=(20, 3))
        await settle(pilot)
        assert app.is_running and app.screen is screen


async def test_the_pin_and_enter_arriving_in_one_burst_confirm_with_the_whole_pin(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    """Enter is taken before the keys sent just before it reach the field: a fast typist's
    (or a paste's) last digits must not be lost to a "PIN incomplete" refusal."""
    from textual import events

    customer, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    _, offers = sqlite_demo_services.offers(customer, application)
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000001", "111111", lambda c: ConfirmScreen(c, application, offers[0].id))
        await type_into(pilot, "#confirm-last4", "0001")
        screen.query_one("#confirm-pin", Input).focus()
        await pilot.pause()
        for key in [*"111111", "enter"]:
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await settle(pilot)
        assert text_of(screen.query_one("#confirm-done")).startswith("新还款计划已生效。")
    assert sqlite_demo_services.application(customer, application).status == "plan_active"


def failed_pins(services: Services, customer: int) -> int:
    """The customer's count of wrong PINs since the last good one."""
    with read_session(services.engine) as s:
        return s.exec(select(Customer.failed_logins).where(Customer.id == customer)).one()


async def test_the_pin_is_checked_as_its_sixth_digit_is_typed_and_enter_only_answers(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path, scrypt_runs: list[str]
) -> None:
    customer, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    _, offers = sqlite_demo_services.offers(customer, application)
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000001", "111111", lambda c: ConfirmScreen(c, application, offers[0].id))
        scrypt_runs.clear()  # the log-in's
        await type_into(pilot, "#confirm-last4", "0001")
        await type_into(pilot, "#confirm-pin", "00000")
        await settle(pilot)
        assert scrypt_runs == []
        await pilot.press("0")  # a wrong PIN, checked early: it counts nothing
        await wait_until(pilot, lambda: early_check_done(screen))
        assert scrypt_runs == ["000000"] and failed_pins(sqlite_demo_services, customer) == 0
        await type_into(pilot, "#confirm-pin", "111111")  # corrected before Enter
        await wait_until(pilot, lambda: scrypt_runs == ["000000", "111111"])
        await pilot.press("enter")
        await settle(pilot)
        assert screen.result is not None and screen.result.status == "plan_active"
        assert scrypt_runs == ["000000", "111111"]  # Enter ran no scrypt of its own
        assert failed_pins(sqlite_demo_services, customer) == 0
        assert screen.early_pin.pending is None


async def test_a_pin_changed_after_its_early_check_is_refused_as_typed_and_counted_once(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path, scrypt_runs: list[str]
) -> None:
    customer, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    _, offers = sqlite_demo_services.offers(customer, application)
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000001", "111111", lambda c: ConfirmScreen(c, application, offers[0].id))
        await type_into(pilot, "#confirm-last4", "0001")
        await type_into(pilot, "#confirm-pin", "111111")
        await wait_until(pilot, lambda: early_check_done(screen))
        await type_into(pilot, "#confirm-pin", "000000")
        await pilot.press("enter")
        await settle(pilot)
        assert message(screen, "pin") == "密码不正确"
        assert failed_pins(sqlite_demo_services, customer) == 1
        assert screen.early_pin.pending is None
    assert sqlite_demo_services.application(customer, application).status == "offer_issued"
