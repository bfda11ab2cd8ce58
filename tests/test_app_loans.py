"""Step 2, My Loans: the table, its totals, sorting, column pages, and the keys on offer."""

from __future__ import annotations

from decimal import Decimal

from app_factory import SIZE, footer_descriptions, log_in, make_app, row_texts, settle, text_of, wait_for_database
from rich.cells import cell_len

from wsnego_tui.config import Settings
from wsnego_tui.core.clock import FixedClock
from wsnego_tui.i18n import Translator, format_money
from wsnego_tui.screens.loan_detail import LoanDetailScreen
from wsnego_tui.screens.loans import COLUMNS, LoansScreen, column_pages, sort_loans
from wsnego_tui.widgets.line_table import LineTable


def table_line(table: LineTable, y: int) -> str:
    return "".join(segment.text for segment in table.render_line(y))


async def open_loans(pilot, customer_no: str, pin: str) -> LoansScreen:  # type: ignore[no-untyped-def]
    await wait_for_database(pilot)
    await log_in(pilot, customer_no, pin)
    screen = pilot.app.screen
    assert isinstance(screen, LoansScreen)
    return screen


async def test_the_summary_line_adds_up_outstanding_and_overdue_amounts(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_loans(pilot, "80000001", "111111")
        loans = screen.loans or []
        outstanding = sum((loan.outstanding_principal for loan in loans), Decimal(0))
        overdue = sum((loan.overdue_total for loan in loans), Decimal(0))
        summary = text_of(screen.query_one("#loans-summary"))
        assert summary.startswith(f"共{len(loans)}笔贷款")
        assert f"剩余本金合计 {format_money(outstanding)}" in summary
        assert f"逾期合计 {format_money(overdue)}" in summary
        assert overdue > 0


async def test_money_is_right_aligned_and_the_chinese_columns_line_up(settings: Settings, clock: FixedClock) -> None:
    """Every rendered line of the table is exactly as wide as the table, and each amount ends
    where its column header ends, although the product names mix wide and narrow characters."""
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_loans(pilot, "80000001", "111111")
        table = screen.query_one(LineTable)
        lines = [table_line(table, y) for y in range(table.header_height + table.row_count)]
        assert len({cell_len(line) for line in lines}) == 1
        header = lines[0]
        label = "剩余本金"
        label_end = cell_len(header[: header.index(label) + len(label)])
        for row, loan in zip(lines[1:], screen.shown_loans):
            amount = format_money(loan.outstanding_principal)
            assert cell_len(row[: row.index(amount) + len(amount)]) == label_end


async def test_s_cycles_the_sort_column_and_keeps_the_selected_loan(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_loans(pilot, "80000001", "111111")
        table = screen.query_one(LineTable)
        await pilot.press("down")
        selected = screen.selected_loan_id
        assert selected is not None
        await pilot.press("s")
        assert (screen.sort_column, screen.sort_descending) == ("product", False)
        await pilot.press("s", "s")
        assert (screen.sort_column, screen.sort_descending) == ("outstanding_principal", True)
        ordered = sort_loans(Translator("zh"), screen.loans or [], "outstanding_principal", True)
        assert screen.shown_ids == [loan.loan_id for loan in ordered]
        assert [row[0] for row in row_texts(table)] == [loan.product_zh for loan in ordered]
        assert ordered[0].outstanding_principal >= ordered[1].outstanding_principal
        assert screen.selected_loan_id == selected
        assert "按剩余本金降序排列" in text_of(screen.query_one("#loans-summary"))


async def test_clicking_a_header_sorts_by_it_and_clicking_again_reverses(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_loans(pilot, "80000001", "111111")
        table = screen.query_one(LineTable)
        x = sum(column.width + 2 * table.cell_padding for column in table.columns[:2]) + 2
        await pilot.click(table, offset=(x, 0))
        await settle(pilot)
        assert (screen.sort_column, screen.sort_descending) == ("outstanding_principal", True)
        await pilot.click(table, offset=(x, 0))
        await settle(pilot)
        assert (screen.sort_column, screen.sort_descending) == ("outstanding_principal", False)
        first, second = screen.shown_loans
        assert first.outstanding_principal <= second.outstanding_principal


async def test_columns_that_do_not_fit_come_on_a_second_page_never_cut(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_loans(pilot, "80000001", "111111")
        table = screen.query_one(LineTable)
        first_page = screen.shown_columns
        assert first_page[:3] == ["product", "status", "outstanding_principal"]
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert "right" in footer_descriptions(app) and "left" not in footer_descriptions(app)

        await pilot.press("right")
        second_page = screen.shown_columns
        assert second_page[0] == "product"
        assert set(first_page) | set(second_page) == {column.key for column in COLUMNS}
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert "left" in footer_descriptions(app) and "right" not in footer_descriptions(app)
        assert "列 2/2" in text_of(screen.query_one("#loans-summary"))
        await pilot.press("left")
        assert screen.shown_columns == first_page


def test_column_pages_start_with_the_product_and_never_split_a_column() -> None:
    assert column_pages([10, 20, 20, 20, 20], 55) == [[0, 1, 2], [0, 3, 4]]
    assert column_pages([10, 20, 20], 100) == [[0, 1, 2]]
    assert column_pages([10, 90, 5], 50) == [[0, 1], [0, 2]]


async def test_enter_opens_the_highlighted_loan_and_the_loans_are_read_again_on_return(
    settings: Settings, clock: FixedClock
) -> None:
    from wsnego_tui.screens.loan_detail import LoanDetailScreen

    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_loans(pilot, "80000001", "111111")
        offered = footer_descriptions(app)
        assert offered["enter"] == "贷款详情" and offered["i"] == "消息"
        assert offered["s"] == "排序" and offered["escape"] == "退出登录"
        await pilot.press("down")
        second_id = screen.selected_loan_id
        assert second_id in {loan.loan_id for loan in screen.loans or []}
        assert "WS" in text_of(screen.query_one("#loans-selected"))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LoanDetailScreen) and app.screen.loan_id == second_id
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and screen.selected_loan_id == second_id


async def test_sorting_is_not_offered_for_a_single_loan(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_loans(pilot, "80000005", "555555")
        assert len(screen.loans or []) == 1
        assert "s" not in footer_descriptions(app)
        assert "r" in footer_descriptions(app)


async def test_loan_statuses_are_shown_in_words(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_loans(pilot, "80000001", "111111")
        statuses = [row[1] for row in row_texts(screen.query_one(LineTable))]
        assert statuses and set(statuses) <= {"Current", "Overdue", "On new plan", "Plan broken", "Settled", "Paid off"}
        assert "Overdue" in statuses


async def test_a_click_highlights_a_loan_and_a_second_click_opens_it(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_loans(pilot, "80000001", "111111")
        table = screen.query_one(LineTable)
        second = screen.shown_ids[1]
        await pilot.click(table, offset=(3, table.header_height + 1))
        await settle(pilot)
        assert app.screen is screen and screen.selected_loan_id == second
        assert screen.shown_loans[1].loan_no in text_of(screen.query_one("#loans-selected"))
        await pilot.click(table, offset=(3, table.header_height + 1))
        await settle(pilot)
        assert isinstance(app.screen, LoanDetailScreen) and app.screen.loan_id == second
