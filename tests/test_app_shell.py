"""The app around the screens: start-up, the database's answers, language, themes, keys."""

from __future__ import annotations

import threading

import pytest
from app_factory import SIZE, footer_descriptions, log_in, make_app, settle, text_of, wait_for_database
from textual.widgets import Button, Input

from wsnego_tui.app import WsnegoApp
from wsnego_tui.config import Settings
from wsnego_tui.core.clock import FixedClock
from wsnego_tui.core.views import DatabaseState
from wsnego_tui.i18n import MESSAGES
from wsnego_tui.screens.demo_offer import DemoOfferDialog
from wsnego_tui.screens.loans import LoansScreen
from wsnego_tui.screens.login import LoginScreen
from wsnego_tui.services import SchemaOutdated, Services
from wsnego_tui.widgets.line_table import LineTable


class OutdatedServices:
    def prepare(self) -> DatabaseState:
        raise SchemaOutdated("the database schema is out of date; run `wsnego-tui db upgrade` first")


class BrokenServices:
    def prepare(self) -> DatabaseState:
        raise OSError("unable to open database file\x1b[2J")


class SlowServices:
    """Opens the database only when the test says so."""

    def __init__(self) -> None:
        self.go = threading.Event()

    def prepare(self) -> DatabaseState:
        self.go.wait(10)
        return DatabaseState(customers=1, demo_only=True)


class FailingLogin:
    def prepare(self) -> DatabaseState:
        return DatabaseState(customers=1, demo_only=True)

    def pin_check(self, customer_no: str, pin: str) -> None:
        raise ConnectionError("server closed the connection")

    def login(self, customer_no: str, pin: str, check: object = None) -> None:
        raise ConnectionError("server closed the connection")


def database_status(app: WsnegoApp) -> str:
    return text_of(app.screen_stack[0].query_one("#database-status"))


async def test_the_title_line_names_the_step(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        assert app.format_title(app.screen.title, app.screen.sub_title).plain == "网商贷协商还款   第1步 登录"
        await log_in(pilot, "80000001", "111111")
        assert app.format_title(app.screen.title, app.screen.sub_title).plain == "网商贷协商还款   第2步 我的贷款"


async def test_the_language_key_re_renders_the_log_in_screen_and_its_keys(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert text_of(app.screen.query_one("#customer-no-message")) == "请输入客户号"
        assert footer_descriptions(app)["f2"] == "English"
        await pilot.press("f2")
        await settle(pilot)
        assert app.lang == "en"
        assert text_of(app.screen.query_one("#login-heading")) == "Log in"
        assert text_of(app.screen.query_one("#customer-no-label")) == "Customer no."
        assert app.screen.query_one("#pin", Input).placeholder == "6 digits"
        assert text_of(app.screen.query_one("#customer-no-message")) == "Enter your customer number"
        assert app.screen.sub_title == "Step 1 Log in"
        assert footer_descriptions(app) == {"enter": "Log in", "ctrl+q": "Quit", "f2": "中文", "f3": "Theme", "f1": "Help"}
        await pilot.press("f2")
        await settle(pilot)
        assert text_of(app.screen.query_one("#login-heading")) == "登录"


async def test_the_language_key_re_renders_my_loans_and_the_screen_below(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await log_in(pilot, "80000001", "111111")
        screen = app.screen
        assert isinstance(screen, LoansScreen)
        table = screen.query_one(LineTable)
        assert [column.label for column in table.columns][:2] == ["产品", "状态"]
        await pilot.press("f2")
        await settle(pilot)
        assert [column.label for column in table.columns][:2] == ["Product", "Status"]
        assert text_of(screen.query_one("#loans-summary")).startswith("Loans: 2 ")
        assert table.get_row_at(0)[0].plain in {"MYbank Loan", "MYbank Flexi Loan"}
        assert footer_descriptions(app)["escape"] == "Log out"
        await pilot.press("escape")
        await settle(pilot)
        assert text_of(app.screen.query_one("#login-heading")) == "Log in"


def test_every_binding_has_an_id_and_a_description_in_both_languages() -> None:
    from wsnego_tui.screens.demo_offer import DemoOfferDialog as Dialog

    for owner in (WsnegoApp, LoginScreen, LoansScreen, Dialog):
        for binding in owner.BINDINGS:
            assert binding.id, binding  # type: ignore[union-attr]
            assert f"binding.{binding.id}" in MESSAGES["zh"]  # type: ignore[union-attr]
            assert f"binding.{binding.id}" in MESSAGES["en"]  # type: ignore[union-attr]


async def test_the_theme_key_switches_between_light_and_dark(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "textual-dark" and app.current_theme.dark
        await pilot.press("f3")
        assert app.theme == "textual-light" and not app.current_theme.dark
        await pilot.press("f3")
        assert app.theme == "textual-dark"


async def test_the_app_works_under_no_color(
    settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(settings, clock)
    assert app.no_color
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await log_in(pilot, "80000001", "999999")
        assert text_of(app.screen.query_one("#login-status")) == "客户号或密码不正确。"
        await log_in(pilot, "80000001", "111111")
        assert isinstance(app.screen, LoansScreen)


async def test_an_empty_database_offers_the_demo_data_and_yes_loads_it(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock, demo=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for _ in range(100):
            if isinstance(app.screen, DemoOfferDialog):
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, DemoOfferDialog)
        assert app.services is None
        assert footer_descriptions(app)["y"] == "是"
        await pilot.press("f2")
        await settle(pilot)
        assert str(app.screen.query_one("#demo-yes", Button).label) == "Yes"
        assert footer_descriptions(app)["y"] == "Yes"
        await pilot.press("y")
        await wait_for_database(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert database_status(app) == "The demo data is loaded."
        assert text_of(app.screen.query_one("#login-heading")) == "Log in"
        await log_in(pilot, "80000004", "444444")
        assert isinstance(app.screen, LoansScreen)


async def test_declining_the_demo_data_leaves_a_clear_message_and_no_log_in(
    settings: Settings, clock: FixedClock
) -> None:
    app = make_app(settings, clock, demo=False, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for _ in range(100):
            if isinstance(app.screen, DemoOfferDialog):
                break
            await pilot.pause(0.05)
        await pilot.click("#demo-no")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert database_status(app) == "There are no customers in the database yet, so nobody can log in."
        assert "enter" not in footer_descriptions(app)
    services = Services(settings, clock)
    try:
        assert services.database_state().customers == 0
    finally:
        services.close()


async def test_an_outdated_schema_says_to_run_db_upgrade(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock, services=OutdatedServices())  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        status = database_status(app)
        assert "wsnego-tui db upgrade" in status
        assert status.startswith("数据库结构版本过旧")
        assert app.screen.query_one("#database-status").has_class("-error")
        assert "enter" not in footer_descriptions(app)


async def test_a_database_that_cannot_be_opened_is_reported_without_control_characters(
    settings: Settings, clock: FixedClock
) -> None:
    app = make_app(settings, clock, services=BrokenServices(), lang="en")  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        assert database_status(app) == "Could not open the database: unable to open database file[2J"


async def test_logging_in_before_the_database_is_open_asks_to_wait(settings: Settings, clock: FixedClock) -> None:
    services = SlowServices()
    app = make_app(settings, clock, services=services)  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert database_status(app) == "正在打开数据库，请稍候..."
        app.screen.query_one("#customer-no", Input).value = "80000001"
        app.screen.query_one("#pin", Input).value = "111111"
        app.screen.query_one("#pin", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert text_of(app.screen.query_one("#login-status")) == "数据库尚未就绪，请稍候再登录。"
        services.go.set()
        await wait_for_database(pilot)
        assert "enter" in footer_descriptions(app)


async def test_a_failing_log_in_says_to_try_later_without_details(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock, services=FailingLogin())  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await log_in(pilot, "80000001", "111111")
        assert text_of(app.screen.query_one("#login-status")) == "暂时无法登录，请稍后再试。"
        assert app.is_running


class FailingLoans:
    def prepare(self) -> DatabaseState:
        return DatabaseState(customers=1, demo_only=True)

    def pin_check(self, customer_no: str, pin: str) -> None:
        return None

    def login(self, customer_no: str, pin: str, check: object = None) -> object:
        from wsnego_tui.core.views import CustomerView, LoginOutcome, LoginResult

        return LoginResult(LoginOutcome.OK, customer=CustomerView(7, customer_no, "测试"))

    def loans_of(self, customer_id: int) -> list[object]:
        raise TimeoutError("database is locked")


async def test_loans_that_cannot_be_read_say_so_and_offer_a_retry(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock, services=FailingLoans())  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await log_in(pilot, "80000009", "123456")
        screen = app.screen
        assert isinstance(screen, LoansScreen)
        assert text_of(screen.query_one("#loans-summary")) == "暂时无法读取您的贷款，请稍后按 r 重试。"
        assert screen.query_one(LineTable).row_count == 0
        assert footer_descriptions(app)["r"] == "刷新"
        assert "s" not in footer_descriptions(app)


async def test_the_app_releases_the_database_it_opened_but_not_one_it_was_given(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services
) -> None:
    own = make_app(settings, clock)
    async with own.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        opened = own.services
        assert opened is not None and opened._engine is not None
    assert opened._engine is None

    given = make_app(settings, clock, services=sqlite_demo_services)
    async with given.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
    assert sqlite_demo_services._engine is not None


async def test_once_the_database_is_open_the_objects_of_the_start_up_are_frozen_for_the_collector(
    settings: Settings, clock: FixedClock
) -> None:
    """A full garbage collection walked every object Textual and SQLAlchemy had made (90-100 ms
    on the UI thread, in the middle of a screen change); the start-up's objects are frozen."""
    import gc

    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        assert gc.get_freeze_count() > 10_000


async def test_a_full_collection_waits_for_a_quiet_moment_after_a_screen_change(
    settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    from wsnego_tui import app as app_module

    # a quiet moment longer than a log-in takes on a busy machine (the whole suite running)
    monkeypatch.setattr(app_module, "GARBAGE_QUIET_SECONDS", 3.0)
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        assert gc.get_threshold()[2] == app_module.FULL_COLLECTION_THRESHOLD  # rarely on its own
        collections: list[int] = []

        def counted(phase: str, info: dict[str, int]) -> None:
            if phase == "stop" and info["generation"] == 2:
                collections.append(info["generation"])

        gc.callbacks.append(counted)
        try:
            await log_in(pilot, "80000001", "111111")
            assert app._garbage_timer is not None  # the screen change asked for one
            await pilot.pause(app_module.GARBAGE_QUIET_SECONDS + 0.5)
            assert collections and app._garbage_timer is None
        finally:
            gc.callbacks.remove(counted)
