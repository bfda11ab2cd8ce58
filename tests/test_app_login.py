"""Step 1, logging in: validation, the services' answers, the remembered customer number."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from textual.widgets import Input

from app_factory import (
    early_check_done,
    SIZE,
    footer_descriptions,
    log_in,
    make_app,
    row_texts,
    settle,
    text_of,
    type_into,
    wait_for_database,
    wait_until,
)
from wsnego_tui.config import Settings
from wsnego_tui.core.clock import FixedClock
from wsnego_tui.i18n import format_money
from wsnego_tui.screens.loans import LoansScreen
from wsnego_tui.screens.login import LoginScreen, read_remembered_customer_no, remember_customer_no
from wsnego_tui.widgets.line_table import LineTable


def login_status(app) -> str:  # type: ignore[no-untyped-def]
    return text_of(app.screen.query_one("#login-status"))


def field_message(app, field: str) -> str:  # type: ignore[no-untyped-def]
    return text_of(app.screen.query_one(f"#{field}-message"))


async def test_a_demo_customer_logs_in_and_sees_their_own_loans_from_the_database(
    settings: Settings, clock: FixedClock
) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await log_in(pilot, "80000001", "111111")
        screen = app.screen
        assert isinstance(screen, LoansScreen)
        assert screen.customer.name == "张伟"
        assert screen.sub_title == "第2步 我的贷款"

        services = app.services
        assert services is not None
        own = services.loans_of(screen.customer.id)
        table = screen.query_one(LineTable)
        assert screen.shown_ids == [loan.loan_id for loan in own]
        rows = row_texts(table)
        assert rows[0][0] == own[0].product_zh
        assert format_money(own[0].outstanding_principal) in rows[0]
        assert format_money(own[0].overdue_principal) in rows[0]

        others = services.loans_of(services.login("80000002", "222222").customer.id)  # type: ignore[union-attr]
        assert others and not {loan.loan_id for loan in others} & {loan.loan_id for loan in own}


async def test_a_wrong_pin_does_not_say_whether_the_customer_exists(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await log_in(pilot, "80000001", "999999")
        wrong_pin = login_status(app)
        assert isinstance(app.screen, LoginScreen)
        assert app.screen.query_one("#pin", Input).value == ""
        assert app.screen.query_one("#pin", Input).has_focus

        await log_in(pilot, "89999999", "123456")
        unknown_customer = login_status(app)
        assert wrong_pin == unknown_customer == "客户号或密码不正确。"


async def test_five_wrong_pins_lock_the_customer_and_the_screen_says_until_when(
    settings: Settings, clock: FixedClock
) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        for _ in range(5):
            await log_in(pilot, "80000003", "000000")
        assert login_status(app) == "登录已暂时锁定，请于2026年11月28日 09:45之后再试。"
        await log_in(pilot, "80000003", "333333")
        assert isinstance(app.screen, LoginScreen)
        assert "09:45" in login_status(app)


async def test_the_fields_accept_digits_only_and_say_so_next_to_the_field(
    settings: Settings, clock: FixedClock
) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await type_into(pilot, "#customer-no", "8000a1")
        await type_into(pilot, "#pin", "12x")
        await pilot.pause()
        assert field_message(app, "customer-no") == "只能输入数字"
        assert field_message(app, "pin") == "只能输入数字"
        assert app.screen.query_one("#customer-no", Input).has_class("-invalid")

        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert app.screen.query_one("#customer-no", Input).has_focus
        assert login_status(app) == ""

        await type_into(pilot, "#customer-no", "80000001")
        await type_into(pilot, "#pin", "1234")
        assert field_message(app, "customer-no") == ""
        assert field_message(app, "pin") == ""
        await pilot.press("enter")
        await settle(pilot)
        assert field_message(app, "pin") == "密码为6位数字"
        assert isinstance(app.screen, LoginScreen)


async def test_submitting_an_empty_form_asks_for_both_fields(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert field_message(app, "customer-no") == "Enter your customer number"
        assert field_message(app, "pin") == "Enter your PIN"


async def test_full_width_digits_from_a_chinese_input_method_count_as_digits(
    settings: Settings, clock: FixedClock
) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        app.screen.query_one("#customer-no", Input).value = "８００００００５"
        await type_into(pilot, "#pin", "555555")
        assert field_message(app, "customer-no") == ""
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LoansScreen)
        assert app.screen.customer.customer_no == "80000005"


async def test_the_last_customer_number_is_remembered_and_the_pin_gets_the_focus(
    settings: Settings, clock: FixedClock
) -> None:
    first = make_app(settings, clock)
    async with first.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await log_in(pilot, "80000002", "222222")
        assert isinstance(first.screen, LoansScreen)
    assert json.loads(settings.paths.state_file.read_text(encoding="utf-8")) == {"last_customer_no": "80000002"}

    second = make_app(settings, clock)
    async with second.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        assert second.screen.query_one("#customer-no", Input).value == "80000002"
        assert second.screen.query_one("#pin", Input).has_focus
        await type_into(pilot, "#pin", "222222")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(second.screen, LoansScreen)


async def test_a_kiosk_neither_remembers_nor_prefills_a_customer_number(
    settings: Settings, clock: FixedClock
) -> None:
    remember_customer_no(settings.paths.state_file, "80000004")
    app = make_app(settings, clock, kiosk=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        assert app.screen.query_one("#customer-no", Input).value == ""
        await log_in(pilot, "80000001", "111111")
        assert isinstance(app.screen, LoansScreen)
    assert read_remembered_customer_no(settings.paths.state_file) == "80000004"


def test_remembering_keeps_the_other_state_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    state = tmp_path / "data" / "state.json"
    state.parent.mkdir()
    state.write_text(json.dumps({"theme": "light", "last_customer_no": "1"}), encoding="utf-8")
    remember_customer_no(state, "80000001")
    assert json.loads(state.read_text(encoding="utf-8")) == {"theme": "light", "last_customer_no": "80000001"}
    assert sorted(p.name for p in state.parent.iterdir()) == ["state.json"]


def test_a_damaged_state_file_prefills_nothing(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    for content in ("{not json", json.dumps(["80000001"]), json.dumps({"last_customer_no": "[b]x"})):
        state.write_text(content, encoding="utf-8")
        assert read_remembered_customer_no(state) == ""
    state.write_bytes(b'{"last_customer_no": "8000\xff0001"}')  # not UTF-8
    assert read_remembered_customer_no(state) == ""
    assert read_remembered_customer_no(tmp_path / "missing.json") == ""
    assert read_remembered_customer_no(tmp_path) == ""  # a folder where the file should be


async def test_logging_out_drops_the_session_and_returns_to_an_empty_pin(
    settings: Settings, clock: FixedClock
) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await log_in(pilot, "80000001", "111111")
        loans_screen = app.screen
        assert isinstance(loans_screen, LoansScreen)
        assert "escape" in footer_descriptions(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert len(app.screen_stack) == 1
        assert app.customer is None
        assert not loans_screen.is_attached
        assert app.screen.query_one("#pin", Input).value == ""
        assert app.screen.query_one("#customer-no", Input).value == "80000001"
        assert app.screen.sub_title == "第1步 登录"


async def test_log_in_is_offered_once_the_database_is_open(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        assert "enter" not in footer_descriptions(app)
        await wait_for_database(pilot)
        assert footer_descriptions(app)["enter"] == "登录"
        assert text_of(app.screen.query_one("#database-status")) == "演示数据已载入。"


async def test_a_kiosk_session_is_dropped_whole_on_log_out(settings: Settings, clock: FixedClock) -> None:
    app = make_app(replace(settings), clock, kiosk=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await log_in(pilot, "80000001", "111111")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.query_one("#customer-no", Input).value == ""
        assert app.screen.query_one("#customer-no", Input).has_focus


async def test_a_number_and_enter_arriving_in_one_burst_are_taken_in_order(
    settings: Settings, clock: FixedClock
) -> None:
    """A card reader, a paste or fast typing over SSH delivers the digits and Enter at once. If
    Enter were taken before the digits reached the field, the log-in would check a half-typed
    number and keep the focus there, and the PIN would be typed into the wrong field."""
    from textual import events

    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        screen = app.screen
        screen.query_one("#customer-no", Input).focus()
        await pilot.pause()
        for key in [*"80000001", "enter"]:  # queued together, none handled before the next arrives
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await settle(pilot)
        assert screen.query_one("#customer-no", Input).value == "80000001"
        assert field_message(app, "customer-no") == ""
        assert app.focused is screen.query_one("#pin", Input)  # on to the PIN, as Enter means
        for key in [*"111111", "enter"]:
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await settle(pilot)
        assert isinstance(app.screen, LoansScreen)


def failed_logins(app, customer_no: str) -> int:  # type: ignore[no-untyped-def]
    from sqlmodel import Session, select

    from wsnego_tui.store.models import Customer

    with Session(app.services.engine) as s:
        return s.exec(select(Customer.failed_logins).where(Customer.customer_no == customer_no)).one()


async def test_the_pin_is_checked_as_its_last_digit_is_typed_and_enter_only_answers(
    settings: Settings, clock: FixedClock, scrypt_runs: list[str]
) -> None:
    """scrypt runs once, before Enter; the check alone logs nobody in and counts nothing."""
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        login = app.screen
        await type_into(pilot, "#customer-no", "80000001")
        await type_into(pilot, "#pin", "11111")
        await settle(pilot)
        assert scrypt_runs == []  # five digits: nothing to check yet
        await pilot.press("1")
        await wait_until(pilot, lambda: early_check_done(login))
        assert scrypt_runs == ["111111"]
        assert isinstance(app.screen, LoginScreen) and login_status(app) == ""
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LoansScreen)
        assert scrypt_runs == ["111111"]
        assert login.early_pin.pending is None  # the PIN is not kept after the attempt


async def test_a_pin_changed_after_its_early_check_is_judged_as_typed(
    settings: Settings, clock: FixedClock, scrypt_runs: list[str]
) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        login = app.screen
        await type_into(pilot, "#customer-no", "80000001")
        await type_into(pilot, "#pin", "111111")
        await wait_until(pilot, lambda: scrypt_runs == ["111111"])
        await pilot.press("backspace", "9")  # now wrong
        await wait_until(pilot, lambda: login.early_pin.pending is not None and login.early_pin.pending.pin == "111119")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert login_status(app) == "客户号或密码不正确。"
        assert failed_logins(app, "80000001") == 1
        assert login.early_pin.pending is None and app.screen.query_one("#pin", Input).value == ""

        # A number changed after the PIN was checked: the check is made again for it.
        await type_into(pilot, "#pin", "222222")
        await wait_until(pilot, lambda: early_check_done(login))
        await type_into(pilot, "#customer-no", "80000002")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LoansScreen)
        assert app.customer is not None and app.customer.customer_no == "80000002"
        assert failed_logins(app, "80000001") == 1


async def test_pins_typed_and_never_submitted_count_no_attempt(
    settings: Settings, clock: FixedClock, scrypt_runs: list[str]
) -> None:
    """Six wrong PINs typed one after the other, none submitted: nothing locked, one check at a
    time (a PIN typed while one runs is checked after it, a stale one never)."""
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        login = app.screen
        await type_into(pilot, "#customer-no", "80000003")
        for digit in "012345":
            await type_into(pilot, "#pin", digit * 6)
        await wait_until(pilot, lambda: login.early_pin.pending is not None and login.early_pin.pending.pin == "555555"
                         and login.early_pin.pending.done.is_set())
        assert scrypt_runs[0] == "000000" and scrypt_runs[-1] == "555555"
        assert len(scrypt_runs) <= 6
        assert failed_logins(app, "80000003") == 0
        await type_into(pilot, "#pin", "")
        await settle(pilot)
        assert login.early_pin.pending is None  # a PIN cleared from the field is not kept either
        await type_into(pilot, "#pin", "333333")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LoansScreen)
