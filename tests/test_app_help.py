"""The help key: F1 (or ? outside a field) lists the keys of the screen it was opened from, in
the UI language; Esc closes it and leaves that screen as it was."""

from __future__ import annotations

from pathlib import Path

from app_factory import (
    SIZE,
    footer_descriptions,
    log_in,
    make_app,
    open_screen,
    reviewed,
    settle,
    text_of,
    wait_for_database,
)
from textual.widgets import Input

from wsnego_tui.app import WsnegoApp
from wsnego_tui.config import Settings
from wsnego_tui.core.clock import FixedClock
from wsnego_tui.i18n import MESSAGES
from wsnego_tui.screens.confirm import ConfirmScreen, QuestionDialog
from wsnego_tui.screens.help import HelpScreen
from wsnego_tui.screens.inbox import InboxScreen
from wsnego_tui.screens.loans import LoansScreen
from wsnego_tui.screens.offers import OffersScreen, ScheduleScreen
from wsnego_tui.screens.progress import ProgressScreen
from wsnego_tui.services import Services


async def test_f1_lists_the_keys_of_the_current_screen_in_chinese_and_in_english(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    _, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        progress = await open_screen(pilot, "80000001", "111111", lambda c: ProgressScreen(c, application))
        shown = {key: text for key, text in footer_descriptions(app).items() if key != "f1"}
        await pilot.press("f1")
        await settle(pilot)
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen) and help_screen.for_screen is progress
        assert text_of(help_screen.query_one("#help-title")) == "按键说明：第7步 审核进度"
        keys = dict(help_screen.keys())
        assert keys == {app.get_key_display(progress.active_bindings[k].binding): v for k, v in shown.items()}
        assert keys["o"] == "查看方案" and keys["w"] == "撤回申请" and keys["r"] == "刷新" and keys["esc"] == "返回"
        assert "a" not in keys  # not offered for an application with offers

        await pilot.press("f2")
        await settle(pilot)
        keys = dict(help_screen.keys())
        assert text_of(help_screen.query_one("#help-title")) == "Keys: Step 7 Review progress"
        assert keys["o"] == "See offers" and keys["w"] == "Withdraw" and keys["esc"] == "Back" and keys["f2"] == "中文"

        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is progress
        assert footer_descriptions(app)["o"] == "See offers"  # the screen below followed the language


async def test_the_help_of_each_screen_lists_its_own_keys(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    _, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    app = make_app(settings, clock, lang="en", services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await log_in(pilot, "80000001", "111111")
        expected = {
            LoansScreen: {"s": "Sort", "esc": "Log out"},
            OffersScreen: {"⏎": "Accept this offer", "s": "Full schedule", "d": "Decline all"},
            ScheduleScreen: {"esc": "Close"},
            InboxScreen: {"⏎": "Open", "r": "Refresh", "esc": "Back"},
        }
        for kind, wanted in expected.items():
            if kind is OffersScreen:
                app.push_screen(OffersScreen(app.customer, application))
            elif kind is ScheduleScreen:
                await pilot.press("s")
            elif kind is InboxScreen:
                app.push_screen(InboxScreen(app.customer))
            await settle(pilot)
            assert isinstance(app.screen, kind)
            await pilot.press("f1")
            await settle(pilot)
            keys = dict(app.screen.keys())
            assert wanted.items() <= keys.items(), (kind, keys)
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, kind)


async def test_a_question_mark_opens_the_help_but_is_only_a_character_in_a_field(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    customer, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    _, offers = sqlite_demo_services.offers(customer, application)
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000001", "111111", lambda c: ConfirmScreen(c, application, offers[0].id))
        assert screen.query_one("#confirm-last4", Input).has_focus
        await pilot.press("question_mark")
        await settle(pilot)
        assert app.screen is screen
        assert screen.query_one("#confirm-last4", Input).value == "?"
        screen.query_one("#confirm-agreement").focus()
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert dict(app.screen.keys())["d"] == "拒绝方案"
        await pilot.press("f1")  # no help on the help
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen) and len(app.screen_stack) == 4
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


def test_every_binding_of_these_screens_has_a_description_in_both_languages() -> None:
    for owner in (WsnegoApp, ProgressScreen, OffersScreen, ScheduleScreen, ConfirmScreen, QuestionDialog, InboxScreen, HelpScreen):
        for binding in owner.BINDINGS:
            assert binding.id, binding  # type: ignore[union-attr]
            assert f"binding.{binding.id}" in MESSAGES["zh"]  # type: ignore[union-attr]
            assert f"binding.{binding.id}" in MESSAGES["en"]  # type: ignore[union-attr]
