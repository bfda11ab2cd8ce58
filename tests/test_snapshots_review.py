"""Snapshots of steps 7 to 9 and around them at 100x30, in Chinese and in English: review
progress, the offers with their chart, a full schedule, the agreement (as shown, refused, and
accepted), the inbox and the help dialog.

Regenerate with `pytest tests/test_snapshots_review.py --snapshot-update`, then look at every
changed SVG: Chinese columns aligned, money right-aligned, nothing cut off.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from app_factory import SIZE, make_app, open_screen, reviewed, settle, type_into
from textual.pilot import Pilot
from textual.screen import Screen

from wsnego_tui.config import Settings
from wsnego_tui.core.clock import FixedClock
from wsnego_tui.core.views import CustomerView
from wsnego_tui.screens.confirm import ConfirmScreen
from wsnego_tui.screens.inbox import InboxScreen
from wsnego_tui.screens.offers import OffersScreen
from wsnego_tui.screens.progress import ProgressScreen
from wsnego_tui.services import Services


def on_screen(make_screen: Callable[[CustomerView], Screen[object]], *keys: str, last4: str = "", pin: str = ""):  # type: ignore[no-untyped-def]
    """run_before: log in as 张伟 (80000001), open the screen, type into the agreement's fields
    if asked, then press `keys`."""

    async def run_before(pilot: Pilot[int]) -> None:
        await open_screen(pilot, "80000001", "111111", make_screen)
        if last4:
            await type_into(pilot, "#confirm-last4", last4)
        if pin:
            await type_into(pilot, "#confirm-pin", pin)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run_before


def with_offers(services: Services, tmp_path: Path) -> tuple[int, int, list[int]]:
    customer, application = reviewed(services, tmp_path / "proofs")
    _, offers = services.offers(customer, application)
    return customer, application, [offer.id for offer in offers]


def test_review_progress_in_chinese(snap_compare, settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, application, _ = with_offers(sqlite_demo_services, tmp_path)
    app = make_app(settings, clock, lang="zh", services=sqlite_demo_services)
    assert snap_compare(app, terminal_size=SIZE, run_before=on_screen(lambda c: ProgressScreen(c, application)))


def test_review_progress_in_english(snap_compare, settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, application, _ = with_offers(sqlite_demo_services, tmp_path)
    app = make_app(settings, clock, lang="en", services=sqlite_demo_services)
    assert snap_compare(app, terminal_size=SIZE, run_before=on_screen(lambda c: ProgressScreen(c, application)))


def test_the_offers_with_the_chart_in_chinese(snap_compare, settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, application, _ = with_offers(sqlite_demo_services, tmp_path)
    app = make_app(settings, clock, lang="zh", services=sqlite_demo_services)
    assert snap_compare(app, terminal_size=SIZE, run_before=on_screen(lambda c: OffersScreen(c, application), "right"))


def test_the_offers_with_the_chart_in_english(snap_compare, settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, application, _ = with_offers(sqlite_demo_services, tmp_path)
    app = make_app(settings, clock, lang="en", services=sqlite_demo_services)
    assert snap_compare(app, terminal_size=SIZE, run_before=on_screen(lambda c: OffersScreen(c, application), "right"))


def test_the_full_schedule_of_an_offer_in_chinese(snap_compare, settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, application, _ = with_offers(sqlite_demo_services, tmp_path)
    app = make_app(settings, clock, lang="zh", services=sqlite_demo_services)
    assert snap_compare(app, terminal_size=SIZE, run_before=on_screen(lambda c: OffersScreen(c, application), "right", "s"))


def test_the_full_schedule_of_an_offer_in_english(snap_compare, settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, application, _ = with_offers(sqlite_demo_services, tmp_path)
    app = make_app(settings, clock, lang="en", services=sqlite_demo_services)
    assert snap_compare(app, terminal_size=SIZE, run_before=on_screen(lambda c: OffersScreen(c, application), "right", "s"))


def test_the_agreement_in_chinese(snap_compare, settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, application, offers = with_offers(sqlite_demo_services, tmp_path)
    app = make_app(settings, clock, lang="zh", services=sqlite_demo_services)
    assert snap_compare(app, terminal_size=SIZE, run_before=on_screen(lambda c: ConfirmScreen(c, application, offers[1])))


def test_the_agreement_in_english(snap_compare, settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, application, offers = with_offers(sqlite_demo_services, tmp_path)
    app = make_app(settings, clock, lang="en", services=sqlite_demo_services)
    assert snap_compare(app, terminal_size=SIZE, run_before=on_screen(lambda c: ConfirmScreen(c, application, offers[1])))


def test_the_agreement_refusing_a_wrong_pin(snap_compare, settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, application, offers = with_offers(sqlite_demo_services, tmp_path)
    app = make_app(settings, clock, lang="zh", services=sqlite_demo_services)
    before = on_screen(lambda c: ConfirmScreen(c, application, offers[1]), "enter", last4="0001", pin="000000")
    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_the_agreement_accepted(snap_compare, settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, application, offers = with_offers(sqlite_demo_services, tmp_path)
    app = make_app(settings, clock, lang="zh", services=sqlite_demo_services)
    before = on_screen(lambda c: ConfirmScreen(c, application, offers[1]), "enter", last4="0001", pin="111111")
    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def _accepted_two_hours_later(services: Services, clock: FixedClock, tmp_path: Path) -> None:
    customer, application, offers = with_offers(services, tmp_path)
    clock.advance(dt.timedelta(hours=2))
    services.accept_offer(customer, application, offers[1], pin="111111", last4="0001")


def test_the_inbox_in_chinese(snap_compare, settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _accepted_two_hours_later(sqlite_demo_services, clock, tmp_path)
    app = make_app(settings, clock, lang="zh", services=sqlite_demo_services)
    assert snap_compare(app, terminal_size=SIZE, run_before=on_screen(InboxScreen))


def test_the_inbox_in_english(snap_compare, settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _accepted_two_hours_later(sqlite_demo_services, clock, tmp_path)
    app = make_app(settings, clock, lang="en", services=sqlite_demo_services)
    assert snap_compare(app, terminal_size=SIZE, run_before=on_screen(InboxScreen))


def test_the_help_of_review_progress_in_chinese(snap_compare, settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, application, _ = with_offers(sqlite_demo_services, tmp_path)
    app = make_app(settings, clock, lang="zh", services=sqlite_demo_services)
    assert snap_compare(app, terminal_size=SIZE, run_before=on_screen(lambda c: ProgressScreen(c, application), "f1"))


def test_the_help_of_review_progress_in_english(snap_compare, settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, application, _ = with_offers(sqlite_demo_services, tmp_path)
    app = make_app(settings, clock, lang="en", services=sqlite_demo_services)
    assert snap_compare(app, terminal_size=SIZE, run_before=on_screen(lambda c: ProgressScreen(c, application), "f1"))
