"""Step 8, the offers: side by side with the current plan, the chart, the full schedule of any
plan, going on to the agreement, and declining every offer."""

from __future__ import annotations

from pathlib import Path

from app_factory import (
    SETTLEMENT_FORM,
    SIZE,
    footer_descriptions,
    make_app,
    open_screen,
    reviewed,
    row_texts,
    settle,
    text_of,
)
from rich.cells import cell_len
from textual.widgets import DataTable

from wsnego_tui.config import Settings
from wsnego_tui.core.clock import FixedClock
from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.core.proofs import ProofKind
from wsnego_tui.core.views import LoanStatus
from wsnego_tui.i18n import format_date, format_money
from wsnego_tui.screens.confirm import ConfirmScreen, QuestionDialog
from wsnego_tui.screens.offers import OffersScreen, ScheduleScreen
from wsnego_tui.services import Services
from wsnego_tui.widgets.chart import BarChart
from wsnego_tui.widgets.line_table import LineTable


async def test_every_offer_stands_beside_the_current_plan_with_its_figures(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    customer, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    current, offers = sqlite_demo_services.offers(customer, application)
    assert [o.label for o in offers] == ["shortest_affordable", "lowest_installment", "grace_then_amortise", "as_requested"]
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000001", "111111", lambda c: OffersScreen(c, application))
        table = screen.query_one(DataTable)
        headers = [column.label.plain for column in table.columns.values()]
        assert headers == ["当前计划\n尚未还清", "方案1\n最短可负担期限", "方案2\n最低月供", "方案3\n先宽限后分期", "方案4\n按您的申请"]
        rows = dict(zip([str(key.value) for key in table.rows], row_texts(table)))
        assert rows["installment"] == [format_money(current.installment)] + [format_money(o.installment) for o in offers]
        assert rows["term"] == [f"{current.remaining_months}期", "10期", "60期", "13期", "24期"]
        assert rows["grace"] == ["-", "-", "-", "3个月", "-"]
        assert rows["end_date"] == [format_date("zh", current.end_date)] + [format_date("zh", o.end_date) for o in offers]
        assert rows["total_payment"] == [format_money(current.total_payment)] + [format_money(o.total_payment) for o in offers]
        assert rows["total_interest"] == [format_money(current.total_interest)] + [format_money(o.total_interest) for o in offers]
        assert rows["waived_penalty"] == ["-"] + ["¥229.36"] * 4
        assert rows["waived_interest"] == ["-"] + ["¥0.00"] * 4
        assert rows["down_payment"] == ["-"] + ["¥0.00"] * 4
        assert rows["apr_nominal"] == ["-"] + ["14.40%"] * 4
        assert rows["apr_effective"] == ["-"] + ["15.39%"] * 4
        assert rows["expires"] == ["-"] + ["2026年12月5日"] * 4
        labels = [table.rows[key].label.plain for key in table.rows]  # type: ignore[union-attr]
        assert labels[-3:] == ["名义年化利率", "实际年化利率", "有效期至"]
        assert "共4个方案，有效期至2026年12月5日。目前逾期 ¥9,226.90。" in text_of(screen.query_one("#offers-intro"))

        # Money is right-aligned: every amount of a column ends where the column ends.
        line = "".join(segment.text for segment in table.render_line(table.header_height + 4))
        assert line.rstrip().endswith(format_money(offers[3].total_payment))
        for amount in (format_money(current.total_payment), format_money(offers[0].total_payment)):
            end = cell_len(line[: line.index(amount) + len(amount)])
            assert line[line.index(amount) + len(amount)] == " " and end > 0
        widths = {cell_len("".join(s.text for s in table.render_line(y))) for y in range(table.header_height + table.row_count)}
        assert len(widths) == 1


async def test_the_chart_compares_the_current_plan_with_the_chosen_offer(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    customer, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    current, offers = sqlite_demo_services.offers(customer, application)
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000001", "111111", lambda c: OffersScreen(c, application))
        payments = screen.query_one("#offers-chart-payments", BarChart)
        balance = screen.query_one("#offers-chart-balance", BarChart)
        assert payments.title == "每期还款" and balance.title == "剩余本金"
        old, new = payments.series
        assert (old.label, old.role, new.label, new.role) == ("当前", "old", "方案1", "new")
        assert old.values == tuple(row.payment for row in current.rows)
        assert new.values == tuple(row.payment for row in offers[0].rows)
        assert balance.series[1].values == tuple(row.balance for row in offers[0].rows)
        drawn = payments.plain_lines()
        assert drawn[0].startswith("每期还款")
        assert any(line.startswith("当前") and line.rstrip().endswith(format_money(max(old.values))) for line in drawn)
        assert any(line.startswith("方案1") and line.rstrip().endswith("¥3,276.65") for line in drawn)
        assert drawn[-1].strip() == "第1至10期"

        await pilot.press("right")
        await settle(pilot)
        assert screen.selected_offer == offers[1]
        assert payments.series[1].values == tuple(row.payment for row in offers[1].rows)
        assert len(payments.series[1].values) == 60
        assert payments.plain_lines()[-1].strip() == "第1至60期"
        assert text_of(screen.query_one("#offers-selected")) == "已选：方案2 最低月供。"

        await pilot.press("right")
        await settle(pilot)
        assert text_of(screen.query_one("#offers-selected")) == (
            f"已选：方案3 先宽限后分期。 前3个月只还利息（首月 {format_money(offers[2].rows[0].payment)}），"
            "之后每月 ¥3,276.65。"
        )


async def test_s_opens_the_full_schedule_of_the_chosen_plan(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    customer, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    current, offers = sqlite_demo_services.offers(customer, application)
    lowest = offers[1]
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000001", "111111", lambda c: OffersScreen(c, application))
        await pilot.press("right", "s")
        await settle(pilot)
        schedule = app.screen
        assert isinstance(schedule, ScheduleScreen)
        assert text_of(schedule.query_one("#schedule-heading")) == "方案2 最低月供的完整还款计划"
        table = schedule.query_one(LineTable)
        assert [column.label for column in table.columns] == ["期数", "还款日", "还款额", "利息", "本金", "剩余本金"]
        rows = row_texts(table)
        assert len(rows) == lowest.months == 60
        first = lowest.rows[0]
        assert rows[0] == [
            "1", format_date("zh", first.due_date), format_money(first.payment), format_money(first.interest),
            format_money(first.principal), format_money(first.balance),
        ]
        assert rows[-1][-1] == "¥0.00"
        assert text_of(schedule.query_one("#schedule-summary")) == (
            f"共60期  还款总额 {format_money(lowest.total_payment)}  利息总额 {format_money(lowest.total_interest)}"
        )
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen

        await pilot.press("left", "left")
        await settle(pilot)
        assert screen.selected_offer is None
        keys = footer_descriptions(app)
        assert "enter" not in keys and keys["s"] == "完整还款计划"
        assert text_of(screen.query_one("#offers-selected")) == "光标在当前计划上：按 s 查看尚未还清的还款计划。"
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, ScheduleScreen)
        assert len(row_texts(app.screen.query_one(LineTable))) == len(current.rows)
        assert text_of(app.screen.query_one("#schedule-heading")) == "当前计划尚未还清的部分（利息含罚息）"


async def test_enter_goes_to_the_agreement_of_the_chosen_offer(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    customer, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    _, offers = sqlite_demo_services.offers(customer, application)
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        await open_screen(pilot, "80000001", "111111", lambda c: OffersScreen(c, application))
        assert footer_descriptions(app)["enter"] == "接受此方案"
        await pilot.press("right", "right", "right", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert (app.screen.application_id, app.screen.offer_id) == (application, offers[3].id)


async def test_declining_every_offer_asks_first_then_ends_the_application_and_keeps_the_plan(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    customer, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000001", "111111", lambda c: OffersScreen(c, application))
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, QuestionDialog)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert sqlite_demo_services.application(customer, application).status == "offer_issued"

        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is not screen
        view = sqlite_demo_services.application(customer, application)
        assert view.status == "withdrawn" and view.events[-1].reason == "offers_declined"
        loan = sqlite_demo_services.loans_of(customer)[0]
        assert loan.status == LoanStatus.OVERDUE and loan.negotiations_used == 0


async def test_offers_that_can_no_longer_be_answered_are_shown_but_not_offered(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    customer, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    sqlite_demo_services.decline_offers(customer, application)
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000001", "111111", lambda c: OffersScreen(c, application))
        assert text_of(screen.query_one("#offers-intro")) == "这些方案目前不能接受（申请状态：已撤回）。"
        keys = footer_descriptions(app)
        assert "enter" not in keys and "d" not in keys and "s" in keys
        assert "此方案已拒绝。" in text_of(screen.query_one("#offers-selected"))


async def test_a_settlement_offer_reads_as_one_payment(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    customer, application = reviewed(
        sqlite_demo_services, tmp_path / "proofs", "80000004", "444444",
        kind=ApplicationKind.SETTLEMENT, form=SETTLEMENT_FORM, proofs=(ProofKind.FUNDS,),
    )
    _, (offer,) = sqlite_demo_services.offers(customer, application)
    app = make_app(settings, clock, lang="en", services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000004", "444444", lambda c: OffersScreen(c, application))
        table = screen.query_one(DataTable)
        assert [column.label.plain for column in table.columns.values()][1] == "Offer 1\nOne-time\nsettlement"
        rows = dict(zip([str(key.value) for key in table.rows], row_texts(table)))
        assert rows["term"][1] == "one payment"
        assert rows["total_payment"][1] == format_money(offer.total_payment)
        assert text_of(screen.query_one("#offers-selected")) == (
            f"Chosen: Offer 1 One-time settlement. Pay {format_money(offer.total_payment)} in one payment within "
            "7 days of accepting; the principal is never discounted."
        )
