"""Step 3, loan detail: reached by Enter from My Loans; the charges, the plans (in force and
earlier), the negotiation history, and the actions open now (each saying why when it is not)."""

from __future__ import annotations

import sys
import types
from decimal import Decimal

import pytest
from app_factory import SIZE, footer_descriptions, log_in, make_app, row_texts, settle, text_of, wait_for_database, wait_until
from rich.cells import cell_len
from textual.screen import Screen

from wsnego_tui.config import Settings
from wsnego_tui.core.clock import FixedClock
from wsnego_tui.i18n import MESSAGES, format_money
from wsnego_tui.screens.loan_detail import LoanDetailScreen, daily_rate_pct, fit_columns, plain_number
from wsnego_tui.screens.loans import LoansScreen
from wsnego_tui.screens.negotiate import NegotiateScreen
from wsnego_tui.screens.repay import RepayScreen
from wsnego_tui.widgets.line_table import LineTable


async def open_detail(pilot, customer_no: str, pin: str, *keys: str) -> LoanDetailScreen:  # type: ignore[no-untyped-def]
    """Log in, move the cursor with `keys` on My Loans, press Enter: the loan's detail."""
    await wait_for_database(pilot)
    await log_in(pilot, customer_no, pin)
    assert isinstance(pilot.app.screen, LoansScreen)
    if keys:
        await pilot.press(*keys)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, LoanDetailScreen)
    return screen


def fake_screen_module(monkeypatch: pytest.MonkeyPatch, module: str, class_name: str) -> list[tuple[object, ...]]:
    """Stand in for another step's screen module: records the arguments it was built with."""
    built: list[tuple[object, ...]] = []

    class Stand(Screen[None]):
        def __init__(self, *args: object) -> None:
            super().__init__()
            built.append(args)

    fake = types.ModuleType(module)
    setattr(fake, class_name, Stand)
    monkeypatch.setitem(sys.modules, module, fake)
    return built


async def test_i_on_my_loans_opens_the_inbox_of_the_logged_in_customer(
    settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = fake_screen_module(monkeypatch, "wsnego_tui.screens.inbox", "InboxScreen")
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await log_in(pilot, "80000001", "111111")
        assert footer_descriptions(app)["i"] == "消息"
        await pilot.press("i")
        await settle(pilot)
        assert built == [(app.customer,)]


async def test_enter_on_my_loans_opens_the_highlighted_loan_with_every_charge(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, "80000001", "111111")
        customer = app.customer
        assert customer is not None
        loans = {loan.loan_no: loan for loan in app.services.loans_of(customer.id)}
        detail = app.services.loan_detail(customer.id, screen.loan_id)
        summary = detail.summary
        assert summary.loan_no == "WS202603000001"
        assert text_of(screen.query_one("#detail-heading")) == "网商贷（贷款编号 WS202603000001）　状态：逾期"
        terms = text_of(screen.query_one("#detail-terms"))
        assert terms.startswith("日利率 0.04%（折合年利率 14.4%）")
        assert "期限 12个月" in terms and "起始日 2026年3月28日" in terms and "¥50,000.00" in terms
        charges = text_of(screen.query_one("#detail-charges")).splitlines()
        expected = {
            "剩余本金": format_money(summary.outstanding_principal),
            "逾期本金": format_money(summary.overdue_principal),
            "逾期利息": format_money(summary.overdue_interest),
            "罚息": format_money(summary.overdue_penalty),
            "逾期天数": "61天",
            "结清金额": format_money(detail.payoff_amount),
        }
        for label, value in expected.items():
            line = next(line for line in charges if line.startswith(label))
            assert line.endswith(value), line
        assert len({cell_len(line) for line in charges[1:]}) == 1  # amounts end in one column
        assert summary.overdue_penalty > 0 and loans["WS202603000001"].overdue_total == summary.overdue_total
        note = text_of(screen.query_one("#detail-penalty-note"))
        assert "罚息按日计收" in note and "日利率 0.04% 的1.5倍" in note


async def test_a_product_quoted_by_annual_rate_shows_its_annual_rate(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, "80000004", "444444")
        terms = text_of(screen.query_one("#detail-terms"))
        assert terms.startswith("年利率 14.4%") and "日利率" not in terms
        assert "合同日利率 0.04%" in text_of(screen.query_one("#detail-penalty-note"))


async def test_every_schedule_row_says_its_status_in_words_and_overdue_rows_stand_out(
    settings: Settings, clock: FixedClock
) -> None:
    """Colour alone would be lost under NO_COLOR or to a colour-blind reader: each row carries
    its status word, and overdue rows are bold as well."""
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, "80000001", "111111")
        table = screen.query_one("#detail-schedule", LineTable)
        statuses = [row[-1] for row in row_texts(table)]
        assert statuses == ["已还清"] * 5 + ["逾期", "逾期", "本期应还"] + ["未到期"] * 4
        assert screen.shown_schedule_columns[-1] == "status"
        overdue_cell = table.get_row_at(5)[-1]
        assert any("bold" in str(span.style) for span in overdue_cell.spans)
        upcoming_cell = table.get_row_at(9)[-1]
        assert not any("bold" in str(span.style) for span in upcoming_cell.spans)
        assert table.cursor_row == 5  # the oldest overdue row is where the cursor starts


async def test_v_switches_to_the_original_plan_the_negotiation_replaced(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, "80000002", "222222")
        table = screen.query_one("#detail-schedule", LineTable)
        assert text_of(screen.query_one("#detail-plan")).startswith("还款计划 1/2：第1次协商计划（执行中）　等额本息　36期")
        assert table.row_count == 36
        assert footer_descriptions(app)["v"] == "切换计划"
        await pilot.press("v")
        plan_line = text_of(screen.query_one("#detail-plan"))
        assert plan_line.startswith("还款计划 2/2：原计划（已于2026年7月1日结束）　等额本息　24期")
        assert table.row_count == 24
        statuses = [row[-1] for row in row_texts(table)]
        assert statuses == ["已还清"] * 6 + ["已转入新计划"] * 18
        await pilot.press("v")
        assert table.row_count == 36


async def test_one_plan_offers_no_plan_switch(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, "80000001", "111111")
        assert "v" not in footer_descriptions(app)
        assert text_of(screen.query_one("#detail-plan")) == "还款计划：原计划（执行中）　等额本息　12期　年利率 14.4%"


async def test_the_negotiation_history_gives_each_application_its_dates_and_outcome(
    settings: Settings, clock: FixedClock
) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, "80000003", "333333")
        history = text_of(screen.query_one("#detail-history")).splitlines()
        assert history[0] == "协商记录"
        assert history[1].startswith("第1次　协商还款　提交 2026年3月24日　决定 ")
        assert history[1].endswith("结果：已违约")


async def test_a_loan_never_negotiated_says_it_has_no_history_and_offers_no_progress(
    settings: Settings, clock: FixedClock
) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, "80000001", "111111")
        assert text_of(screen.query_one("#detail-history")) == "协商记录：无"
        offered = footer_descriptions(app)
        assert "g" not in offered
        assert offered["n"] == "协商还款" and offered["p"] == "还款" and offered["escape"] == "返回"
        assert "r" not in offered  # the loan is read again whenever the screen comes back
        await pilot.press("g")
        assert app.screen is screen


async def test_actions_that_are_not_open_say_why_in_plain_words(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, "80000005", "555555")
        actions = text_of(screen.query_one("#detail-actions")).splitlines()
        assert actions[0] == "可办理的业务"
        assert actions[1:7] == [
            "[n] 协商还款：暂不可申请",
            "    此贷款没有逾期（协商还款适用于已逾期的贷款）",
            "[n] 二次协商还款：暂不可申请",
            "    此贷款还没有首次协商计划（二次协商须在其后）",
            "[n] 协商一次性还款：暂不可申请",
            "    此贷款既未逾期，也没有协商过",
        ]
        assert actions[7] == "[p] 还款：下期应还 ¥1,799.51（2026年12月7日）"


async def test_a_paid_off_loan_offers_neither_negotiation_nor_repayment_and_says_so(
    settings: Settings, clock: FixedClock
) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        customer = app.services.login("80000005", "555555").customer
        assert customer is not None
        loan = app.services.loans_of(customer.id)[0]
        payoff = app.services.payment_options(customer.id, loan.loan_id).payoff_amount
        app.services.pay(loan.loan_id, payoff, "pay-it-all-off", actor="test")
        screen = await open_detail(pilot, "80000005", "555555")
        assert "已结清" in text_of(screen.query_one("#detail-heading"))
        actions = text_of(screen.query_one("#detail-actions"))
        assert "协商还款：此贷款已结清，无需协商" in actions
        assert "还款：此贷款已结清，无需还款" in actions
        offered = footer_descriptions(app)
        assert "n" not in offered and "p" not in offered
        await pilot.press("n", "p")
        assert app.screen is screen


async def test_n_opens_the_negotiation_step_and_p_the_repayment_step_for_this_loan(
    settings: Settings, clock: FixedClock
) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, "80000001", "111111", "down")
        assert screen.loan_id == app.services.loans_of(app.customer.id)[1].loan_id
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, NegotiateScreen) and app.screen.loan_id == screen.loan_id
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, RepayScreen) and app.screen.loan_id == screen.loan_id
        await pilot.press("escape")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LoansScreen)


async def test_g_opens_the_progress_of_the_loans_latest_application(
    settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = fake_screen_module(monkeypatch, "wsnego_tui.screens.progress", "ProgressScreen")
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, "80000002", "222222")
        latest = app.services.applications_of(app.customer.id, screen.loan_id)[0]
        assert footer_descriptions(app)["g"] == "审核进度"
        assert "[g] 审核进度：协商还款计划执行中" in text_of(screen.query_one("#detail-actions"))
        await pilot.press("g")
        await settle(pilot)
        assert built == [(app.customer, latest.id)]


async def test_the_language_key_re_renders_the_detail_in_english(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, "80000001", "111111")
        await pilot.press("f2")
        await settle(pilot)
        assert text_of(screen.query_one("#detail-heading")) == "MYbank Loan (loan no. WS202603000001)   Status: Overdue"
        assert text_of(screen.query_one("#detail-terms")).startswith("Daily rate 0.04% (annual 14.4%)")
        assert [row[-1] for row in row_texts(screen.query_one("#detail-schedule", LineTable))][5] == "OVERDUE"
        assert footer_descriptions(app)["n"] == "Negotiate"
        assert "Step 3 Loan detail" in str(screen.sub_title)


async def test_a_language_switch_redraws_the_screen_in_view_now_and_the_covered_one_when_it_is_back(
    settings: Settings, clock: FixedClock
) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, "80000001", "111111")
        loans = app.screen_stack[-2]
        assert isinstance(loans, LoansScreen)
        redrawn: list[str] = []
        original = loans.refresh_texts
        loans.refresh_texts = lambda: (redrawn.append(app.lang), original())[1]  # type: ignore[method-assign]
        await pilot.press("f2")
        await settle(pilot)
        assert "Step 3 Loan detail" in str(screen.sub_title)
        assert redrawn == []  # covered: nothing drawn yet
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("f2")  # English again
        await settle(pilot)
        assert redrawn == []
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is loans and not loans.reading)
        assert redrawn == ["en"]  # once, in the language in force
        assert text_of(loans.query_one("#loans-greeting")).startswith("Hello")
        assert row_texts(loans.query_one(LineTable))[0][0] == "MYbank Loan"
        assert footer_descriptions(app)["enter"] == "Loan detail"


async def test_a_loan_that_cannot_be_read_says_so_and_offers_a_retry(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await log_in(pilot, "80000001", "111111")
        real = app.services.loan_detail

        def broken(customer_id: int, loan_id: int):  # type: ignore[no-untyped-def]
            raise ConnectionError("server closed the connection")

        app.services.loan_detail = broken  # type: ignore[method-assign]
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LoanDetailScreen)
        assert text_of(screen.query_one("#detail-heading")) == "暂时无法读取此贷款，请稍后按 r 重试。"
        assert "r" in footer_descriptions(app) and "p" not in footer_descriptions(app)
        app.services.loan_detail = real  # type: ignore[method-assign]
        await pilot.press("r")
        await settle(pilot)
        assert "WS202603000001" in text_of(screen.query_one("#detail-heading"))


async def test_at_80_by_24_columns_are_dropped_whole_never_cut(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_detail(pilot, "80000001", "111111")
        table = screen.query_one("#detail-schedule", LineTable)
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert {"period", "due_date", "payment", "penalty", "status"} <= set(screen.shown_schedule_columns)


def test_columns_are_dropped_by_rank_and_the_essential_ones_stay() -> None:
    assert fit_columns([5, 10, 10, 10], [0, 2, 1, 0], 100) == [0, 1, 2, 3]
    assert fit_columns([5, 10, 10, 10], [0, 2, 1, 0], 26) == [0, 2, 3]
    assert fit_columns([5, 10, 10, 10], [0, 2, 1, 0], 10) == [0, 3]


def test_rates_read_as_people_write_them() -> None:
    assert plain_number(Decimal("14.40")) == "14.4"
    assert plain_number(Decimal("10")) == "10"
    assert plain_number(daily_rate_pct(Decimal("14.4"))) == "0.04"
    assert plain_number(daily_rate_pct(Decimal("18"))) == "0.05"


def test_every_binding_of_these_steps_has_a_description_in_both_languages() -> None:
    for owner in (LoanDetailScreen, NegotiateScreen, RepayScreen, LoansScreen):
        for binding in owner.BINDINGS:
            assert binding.id, binding  # type: ignore[union-attr]
            assert f"binding.{binding.id}" in MESSAGES["zh"]  # type: ignore[union-attr]
            assert f"binding.{binding.id}" in MESSAGES["en"]  # type: ignore[union-attr]


def overdue_styles(screen: LoanDetailScreen) -> set[str]:
    """The styles of the overdue rows' cells (their colour is the theme's error text)."""
    table = screen.query_one("#detail-schedule", LineTable)
    styles: set[str] = set()
    for index in range(table.row_count):
        cells = table.get_row_at(index)
        if "逾期" in str(cells[-1]):
            styles |= {str(span.style) for cell in cells for span in cell.spans}
    return styles


async def test_the_overdue_rows_take_the_new_theme_s_colour_when_the_theme_is_switched(
    settings: Settings, clock: FixedClock
) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, "80000001", "111111")
        dark = overdue_styles(screen)
        assert dark and all(style.startswith("bold #") for style in dark)
        await pilot.press("f3")
        await wait_until(pilot, lambda: overdue_styles(screen) != dark)
        light = overdue_styles(screen)
        assert light and all(style.startswith("bold #") for style in light)
        assert app.get_css_variables()["text-error"] in next(iter(light))


async def test_a_loan_detail_that_was_left_is_freed(settings: Settings, clock: FixedClock) -> None:
    """Each visit builds a new detail screen; one that was left must not be kept alive (a watch
    on the app's theme did keep every one of them, for as long as the app ran)."""
    import gc

    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_detail(pilot, "80000001", "111111")
        for _ in range(4):
            await pilot.press("escape")
            await wait_until(pilot, lambda: isinstance(app.screen, LoansScreen))
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, LoanDetailScreen) and app.screen.detail is not None)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, LoansScreen))
        await settle(pilot)
        gc.collect()
        alive = [obj for obj in gc.get_objects() if isinstance(obj, LoanDetailScreen)]
        assert len(alive) <= 1  # the last one may still sit in a message queue; never all five
