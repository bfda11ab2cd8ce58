"""Snapshots of the screens at 100x30 in both languages (review the SVG diffs like code).

Regenerate with `pytest tests/test_snapshots.py --snapshot-update` and look at every changed
SVG under tests/__snapshots__/: Chinese columns must line up and nothing may be cut off.
"""

from __future__ import annotations

from app_factory import SIZE, log_in, make_app, settle, wait_for_database
from textual.pilot import Pilot

from wsnego_tui.config import Settings
from wsnego_tui.core.clock import FixedClock
from wsnego_tui.screens.demo_offer import DemoOfferDialog


async def ready(pilot: Pilot[int]) -> None:
    await wait_for_database(pilot)


async def with_form_errors(pilot: Pilot[int]) -> None:
    await wait_for_database(pilot)
    await pilot.press(*"8000a")
    await pilot.press("tab", "1", "2", "enter")
    await settle(pilot)


def logged_in_as(customer_no: str, pin: str, *keys: str):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[int]) -> None:
        await wait_for_database(pilot)
        await log_in(pilot, customer_no, pin)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)

    return run_before


async def demo_offer_shown(pilot: Pilot[int]) -> None:
    await settle(pilot)
    for _ in range(100):
        if isinstance(pilot.app.screen, DemoOfferDialog):
            break
        await pilot.pause(0.05)
    await settle(pilot)


def test_the_log_in_screen_in_chinese(snap_compare, settings: Settings, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(settings, clock, lang="zh"), terminal_size=SIZE, run_before=ready)


def test_the_log_in_screen_in_english(snap_compare, settings: Settings, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(settings, clock, lang="en"), terminal_size=SIZE, run_before=ready)


def test_the_log_in_screen_with_validation_messages(snap_compare, settings: Settings, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(settings, clock, lang="zh"), terminal_size=SIZE, run_before=with_form_errors)


def test_the_log_in_screen_in_the_light_theme(snap_compare, settings: Settings, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    async def light(pilot: Pilot[int]) -> None:
        await wait_for_database(pilot)
        await pilot.press("f3")

    assert snap_compare(make_app(settings, clock, lang="zh"), terminal_size=SIZE, run_before=light)


def test_my_loans_in_chinese(snap_compare, settings: Settings, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, clock, lang="zh")
    assert snap_compare(app, terminal_size=SIZE, run_before=logged_in_as("80000001", "111111"))


def test_my_loans_in_english(snap_compare, settings: Settings, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, clock, lang="en")
    assert snap_compare(app, terminal_size=SIZE, run_before=logged_in_as("80000001", "111111"))


def test_my_loans_second_column_page_in_chinese(snap_compare, settings: Settings, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, clock, lang="zh")
    assert snap_compare(app, terminal_size=SIZE, run_before=logged_in_as("80000001", "111111", "right"))


def test_my_loans_of_a_broken_plan_at_80_by_24(snap_compare, settings: Settings, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    """The smallest common terminal: still readable, still no amount cut at the edge."""
    app = make_app(settings, clock, lang="zh")
    assert snap_compare(app, terminal_size=(80, 24), run_before=logged_in_as("80000003", "333333"))


def test_the_demo_offer_dialog(snap_compare, settings: Settings, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, clock, lang="zh", demo=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=demo_offer_shown)
