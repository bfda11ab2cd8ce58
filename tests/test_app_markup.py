"""Data that looks like markup is shown as it reads, never run (DESIGN.md section 5).

A borrower's name such as `[@click=app.quit]x[/]` would plant a live action on the screen if it
were parsed as Rich markup, and `[/x]` would crash the app. The evil values are stored through
the store's own models (no service creates customers or products yet), then the borrower logs
in through the app like anyone else.
"""

from __future__ import annotations

from app_factory import SIZE, log_in, make_app, row_texts, settle, text_of, wait_for_database
from rich.cells import cell_len
from sqlmodel import select

from wsnego_tui.config import Settings
from wsnego_tui.core.clock import FixedClock
from wsnego_tui.screens.loans import LoansScreen
from wsnego_tui.services import Services
from wsnego_tui.store.engine import write_session
from wsnego_tui.store.models import Customer, LoanProduct
from wsnego_tui.widgets.line_table import LineTable

EVIL_NAME = "[@click=app.quit]x[/]\x1b[2J张\u202e伟"
SHOWN_NAME = "[@click=app.quit]x[/][2J张伟"
EVIL_PRODUCT = "[/x]网商贷[b]"


def plant_evil_names(services: Services) -> None:
    with write_session(services.engine) as session:
        customer = session.exec(select(Customer).where(Customer.customer_no == "80000001")).one()
        customer.name = EVIL_NAME
        session.add(customer)
        product = session.exec(select(LoanProduct).where(LoanProduct.code == "WSD-STD")).one()
        product.name_zh = EVIL_PRODUCT
        product.name_en = EVIL_PRODUCT
        session.add(product)


async def test_a_name_that_looks_like_markup_is_shown_literally_and_runs_nothing(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services
) -> None:
    plant_evil_names(sqlite_demo_services)
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await log_in(pilot, "80000001", "111111")
        screen = app.screen
        assert isinstance(screen, LoansScreen)

        greeting = screen.query_one("#loans-greeting")
        assert text_of(greeting) == f"{SHOWN_NAME}，您好（客户号 80000001）"
        table = screen.query_one(LineTable)
        assert EVIL_PRODUCT in [row[0] for row in row_texts(table)]
        rendered = ["".join(s.text for s in table.render_line(y)) for y in range(table.header_height + table.row_count)]
        assert any(EVIL_PRODUCT in line for line in rendered)
        assert len({cell_len(line) for line in rendered}) == 1
        assert EVIL_PRODUCT in text_of(screen.query_one("#loans-selected"))

        await pilot.click(greeting, offset=(1, 0))
        await pilot.click(greeting, offset=(18, 0))
        await settle(pilot)
        assert app.is_running
        assert app.screen is screen

        await pilot.press("f2")
        await settle(pilot)
        assert text_of(greeting).startswith(f"Hello {SHOWN_NAME} ")
        assert app.is_running
