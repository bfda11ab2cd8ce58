"""Snapshots of steps 3, 4 and 10 (loan detail, negotiate, repay) at 100x30 in both languages,
and the loan detail once at 80x24 (review the SVG diffs like code).

Regenerate with `pytest tests/test_snapshots_detail.py --snapshot-update` and look at every
changed SVG under tests/__snapshots__/test_snapshots_detail/: Chinese columns must line up,
money must be right-aligned and nothing may be cut off.
"""

from __future__ import annotations

import uuid

import pytest
from app_factory import SIZE, log_in, make_app, settle, wait_for_database
from textual.pilot import Pilot

from wsnego_tui.config import Settings
from wsnego_tui.core.clock import FixedClock


def walked(customer_no: str, pin: str, *keys: str):  # type: ignore[no-untyped-def]
    """Log in, then press `keys` one at a time, letting each screen load before the next."""

    async def run_before(pilot: Pilot[int]) -> None:
        await wait_for_database(pilot)
        await log_in(pilot, customer_no, pin)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run_before


@pytest.fixture
def fixed_payment_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The receipt number comes from the payment's idempotency key: fix it for the picture."""
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=0x2026_1128))


def test_the_loan_detail_of_a_negotiated_loan_in_chinese(snap_compare, settings: Settings, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, clock, lang="zh")
    assert snap_compare(app, terminal_size=SIZE, run_before=walked("80000002", "222222", "enter"))


def test_the_loan_detail_of_a_negotiated_loan_in_english(snap_compare, settings: Settings, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, clock, lang="en")
    assert snap_compare(app, terminal_size=SIZE, run_before=walked("80000002", "222222", "enter"))


def test_the_original_plan_of_a_negotiated_loan_in_chinese(snap_compare, settings: Settings, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, clock, lang="zh")
    assert snap_compare(app, terminal_size=SIZE, run_before=walked("80000002", "222222", "enter", "v"))


def test_the_loan_detail_of_an_overdue_loan_at_80_by_24(snap_compare, settings: Settings, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    """The smallest common terminal: whole columns are dropped, none is cut."""
    app = make_app(settings, clock, lang="zh")
    assert snap_compare(app, terminal_size=(80, 24), run_before=walked("80000001", "111111", "enter"))


def test_negotiate_after_a_broken_plan_in_chinese(snap_compare, settings: Settings, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, clock, lang="zh")
    assert snap_compare(app, terminal_size=SIZE, run_before=walked("80000003", "333333", "enter", "n"))


def test_negotiate_for_a_current_loan_in_english(snap_compare, settings: Settings, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, clock, lang="en")
    assert snap_compare(app, terminal_size=SIZE, run_before=walked("80000005", "555555", "enter", "n", "3"))


def test_repay_asking_for_the_confirmation_in_chinese(snap_compare, settings: Settings, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, clock, lang="zh")
    assert snap_compare(app, terminal_size=SIZE, run_before=walked("80000001", "111111", "enter", "p", "enter"))


def test_repay_refusing_an_amount_with_three_decimals_in_english(snap_compare, settings: Settings, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, clock, lang="en")
    assert snap_compare(app, terminal_size=SIZE, run_before=walked("80000001", "111111", "enter", "p", "4", "1", ".", "2", "3", "4"))


def test_repay_receipt_in_chinese(snap_compare, settings: Settings, clock: FixedClock, fixed_payment_key: None) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, clock, lang="zh")
    assert snap_compare(app, terminal_size=SIZE, run_before=walked("80000001", "111111", "enter", "p", "2", "enter", "y"))


def test_repay_receipt_in_english(snap_compare, settings: Settings, clock: FixedClock, fixed_payment_key: None) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, clock, lang="en")
    assert snap_compare(app, terminal_size=SIZE, run_before=walked("80000001", "111111", "enter", "p", "enter", "y"))
