"""Bad input on the forms the other step tests leave out, typed (or pasted) through the screens:
letters, minus signs and decimals where digits are wanted, text longer than the field, pasted
control characters, empty fields. Each is refused next to its field, and the database shows
that nothing was sent or saved: no log-in attempt counted, no draft changed, no agreement
checked, no payment.

Already covered elsewhere: the application form's amounts, term, date, description and pastes
(test_app_application_form.py), the repay amount's letters, minus, decimals, exponents, a
second decimal point, zero, empty, over-long and control characters (test_app_repay.py), the agreement's letters, short and empty fields
(test_app_confirm.py), the log-in's letters and empty fields (test_app_login.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from app_factory import (
    SIZE,
    make_app,
    open_screen,
    reviewed,
    settle,
    text_of,
    type_into,
    type_log_in,
    wait_for_database,
)
from sqlmodel import func, select
from test_app_application_form import (
    COMPLETE_FIRST,
    draft,
    message,
    open_form,
    saved,
    stored_form,
    value,
)
from test_app_confirm import confirm_with
from textual import events
from textual.widgets import Input

from wsnego_tui.config import Settings
from wsnego_tui.core.application_form import FormFields
from wsnego_tui.core.clock import FixedClock
from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.screens import application_form
from wsnego_tui.screens.application_form import WIDGET_IDS, ApplicationFormScreen
from wsnego_tui.screens.confirm import ConfirmScreen
from wsnego_tui.screens.login import LoginScreen
from wsnego_tui.services import Services
from wsnego_tui.store.engine import read_session
from wsnego_tui.store.models import AuditEntry, Customer


@pytest.fixture(autouse=True)
def unhurried_saves(monkeypatch: pytest.MonkeyPatch) -> None:
    """Drafts are saved a second after the last key (the app's own delay), so that a field
    typed key by key is judged as a whole, not by a valid prefix saved on the way."""
    monkeypatch.setattr(application_form, "SAVE_DELAY", 1.0)


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    folder = tmp_path / "proofs"
    folder.mkdir()
    return dataclasses.replace(settings, extra={**settings.extra, "proof_folders": [str(folder)]})


def audit_count(services: Services, prefix: str) -> int:
    with read_session(services.engine) as s:
        return s.exec(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action.startswith(prefix))  # type: ignore[attr-defined]
        ).one()


def failed_logins(services: Services, customer_no: str) -> int:
    with read_session(services.engine) as s:
        return s.exec(select(Customer.failed_logins).where(Customer.customer_no == customer_no)).one()


async def paste(pilot, selector: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """Empty the field, focus it and paste `text` into it, as a terminal's paste would."""
    field = pilot.app.screen.query_one(selector, Input)
    field.value = ""
    field.focus()
    await pilot.pause()
    pilot.app.post_message(events.Paste(text))
    await settle(pilot)


# --- log in ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("customer_no", "pin", "field", "shown"),
    [
        pytest.param("-8000001", "111111", "customer-no", "只能输入数字", id="a minus sign in the customer number"),
        pytest.param("8000.001", "111111", "customer-no", "只能输入数字", id="a decimal point in the customer number"),
        pytest.param("80000001", "-11111", "pin", "只能输入数字", id="a minus sign in the PIN"),
        pytest.param("80000001", "1111.1", "pin", "只能输入数字", id="a decimal point in the PIN"),
        pytest.param("80000001", "", "pin", "请输入密码", id="no PIN"),
    ],
)
async def test_a_log_in_with_a_sign_or_a_decimal_point_is_refused_next_to_the_field_and_never_sent(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, customer_no: str, pin: str, field: str, shown: str
) -> None:
    services = sqlite_demo_services
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        await type_log_in(pilot, customer_no, pin)
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert text_of(app.screen.query_one(f"#{field}-message")) == shown
        assert app.screen.query_one(f"#{field}", Input).has_class("-invalid")
    assert audit_count(services, "login.") == 0
    assert failed_logins(services, "80000001") == 0


async def test_typing_past_the_length_of_a_customer_number_or_pin_is_cut_at_the_field(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services
) -> None:
    """A customer number has 8 digits and a PIN 6: the ninth and seventh keys go nowhere, so
    an over-long entry can never reach the services."""
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await type_into(pilot, "#customer-no", "8000000199")
        await type_into(pilot, "#pin", "11111122")
        assert app.screen.query_one("#customer-no", Input).value == "80000001"
        assert app.screen.query_one("#pin", Input).value == "111111"


@pytest.mark.parametrize("pasted", ["\x1b[2J11", "11\u202e111", "\x0711111"])
async def test_a_pin_pasted_with_control_or_bidi_characters_is_refused_and_never_sent(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, pasted: str
) -> None:
    services = sqlite_demo_services
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await type_into(pilot, "#customer-no", "80000001")
        await paste(pilot, "#pin", pasted)
        assert app.screen.query_one("#pin", Input).value == pasted
        assert text_of(app.screen.query_one("#pin-message")) == "只能输入数字"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert text_of(app.screen.query_one("#login-status")) == ""
    assert audit_count(services, "login.") == 0
    assert failed_logins(services, "80000001") == 0


async def test_a_paste_longer_than_the_pin_field_is_dropped_whole(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services
) -> None:
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await paste(pilot, "#pin", "1111112222")
        assert app.screen.query_one("#pin", Input).value == ""


# --- the application form ----------------------------------------------------------------------------


SETTLEMENT_DRAFT = FormFields(
    hardship_category="business_failure", hardship_text="店铺关闭。",
    monthly_income=Decimal("3000.00"), essential_expenses=Decimal("2500.00"), other_debt=Decimal("0.00"),
    lump_sum=Decimal("60000.00"),
)


@contextlib.asynccontextmanager
async def draft_on_screen(
    settings: Settings, clock: FixedClock, services: Services, customer_no: str, pin: str, kind: ApplicationKind,
    fields: FormFields,
) -> AsyncIterator[tuple[object, ApplicationFormScreen, int]]:
    """A draft of `kind` saved with `fields`, then its form opened in the app by the customer:
    (pilot, form screen, application id)."""
    view = draft(services, customer_no, kind, fields)
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        yield pilot, await open_form(pilot, services, customer_no, pin, kind), view.id


async def each_refused(
    pilot, screen: ApplicationFormScreen, field: str, cases: list[tuple[str, str]]  # type: ignore[no-untyped-def]
) -> AsyncIterator[str]:
    """Type each entry of `cases` into the form's `field`, let the save delay pass, check the
    message shown next to the field, and yield the entry for the caller's own checks."""
    for typed, shown in cases:
        await type_into(pilot, f"#{WIDGET_IDS[field]}", typed)
        await saved(pilot)
        assert (typed, message(screen, field)) == (typed, shown)
        yield typed


async def test_a_bad_settlement_sum_is_refused_next_to_the_field_and_the_draft_keeps_its_sum(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services
) -> None:
    services = sqlite_demo_services
    on_screen = draft_on_screen(settings, clock, services, "80000004", "444444", ApplicationKind.SETTLEMENT, SETTLEMENT_DRAFT)
    async with on_screen as (pilot, screen, application_id):
        cases = [("6万", "请输入数字金额"), ("-60000", "不能为负数"), ("60000.001", "最多两位小数"), ("9" * 40, "不能超过¥9,999,999.99")]
        async for _ in each_refused(pilot, screen, "lump_sum", cases):
            assert screen.query_one(f"#{WIDGET_IDS['lump_sum']}").has_class("-invalid")
            assert stored_form(services, "80000004", application_id).lump_sum == Decimal("60000.00")
        assert len(value(screen, "lump_sum")) == 32  # typing stops at the field's length


async def test_a_bad_wished_monthly_amount_is_refused_next_to_the_field_and_nothing_is_saved(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services
) -> None:
    services = sqlite_demo_services
    on_screen = draft_on_screen(settings, clock, services, "80000001", "111111", ApplicationKind.FIRST, COMPLETE_FIRST)
    async with on_screen as (pilot, screen, application_id):
        cases = [("1500元", "请输入数字金额"), ("-1500", "不能为负数"), ("1500.555", "最多两位小数")]
        async for _ in each_refused(pilot, screen, "wish_monthly", cases):
            assert stored_form(services, "80000001", application_id) == COMPLETE_FIRST


# --- the agreement -----------------------------------------------------------------------------------


@pytest.fixture
def issued(sqlite_demo_services: Services, tmp_path: Path) -> tuple[int, int, int]:
    """80000001's first negotiation submitted and reviewed: (customer id, application id, the
    first offer's id)."""
    customer, application = reviewed(sqlite_demo_services, tmp_path / "submitted")
    _, offers = sqlite_demo_services.offers(customer, application)
    return customer, application, offers[0].id


async def open_agreement(pilot, issued: tuple[int, int, int]) -> ConfirmScreen:  # type: ignore[no-untyped-def]
    """Log 80000001 in and open the agreement of the first offer in `issued`."""
    _, application, offer = issued
    return await open_screen(pilot, "80000001", "111111", lambda c: ConfirmScreen(c, application, offer))  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("field", "entered", "shown"),
    [
        pytest.param("last4", "-001", "只能输入数字", id="a minus sign in the last four"),
        pytest.param("last4", "0.01", "只能输入数字", id="a decimal point in the last four"),
        pytest.param("pin", "-11111", "只能输入数字", id="a minus sign in the PIN"),
        pytest.param("pin", "11.111", "只能输入数字", id="a decimal point in the PIN"),
    ],
)
async def test_a_sign_or_a_decimal_point_in_the_agreement_fields_is_refused_and_nothing_is_checked(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, issued: tuple[int, int, int],
    field: str, entered: str, shown: str,
) -> None:
    services = sqlite_demo_services
    customer, application, _ = issued
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_agreement(pilot, issued)
        values = {"last4": "0001", "pin": "111111", field: entered}
        await confirm_with(pilot, values["last4"], values["pin"])
        assert text_of(screen.query_one(f"#confirm-{field}-message")) == shown
        assert screen.result is None
    assert services.application(customer, application).status == "offer_issued"
    assert audit_count(services, "agreement.") == 0
    assert failed_logins(services, "80000001") == 0


@pytest.mark.parametrize("field", ["last4", "pin"])
async def test_control_characters_pasted_into_the_agreement_fields_are_refused_and_nothing_is_checked(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, issued: tuple[int, int, int], field: str
) -> None:
    services = sqlite_demo_services
    customer, application, _ = issued
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_agreement(pilot, issued)
        await type_into(pilot, "#confirm-last4", "0001")
        await type_into(pilot, "#confirm-pin", "111111")
        await paste(pilot, f"#confirm-{field}", "\x1b001" if field == "last4" else "\x1b]0;\x071")
        assert text_of(screen.query_one(f"#confirm-{field}-message")) == "只能输入数字"
        await pilot.press("enter")
        await settle(pilot)
        assert screen.result is None
    assert services.application(customer, application).status == "offer_issued"
    assert audit_count(services, "agreement.") == 0


async def test_typing_past_four_digits_or_six_pin_digits_is_cut_at_the_field(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, issued: tuple[int, int, int]
) -> None:
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_agreement(pilot, issued)
        await type_into(pilot, "#confirm-last4", "000199")
        await type_into(pilot, "#confirm-pin", "11111199")
        assert screen.query_one("#confirm-last4", Input).value == "0001"
        assert screen.query_one("#confirm-pin", Input).value == "111111"
