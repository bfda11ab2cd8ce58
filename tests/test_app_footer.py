"""The key bar (widgets.footer.KeyFooter): one widget that draws the screen's keys on one line,
updated once when the keys change, not on every `refresh_bindings()`; a click presses a key.

It replaced Textual's Footer (one widget per key, rebuilt whenever the bindings might have
changed), the largest single cost of a screen change (scripts/bench_journey.py). That it looks
exactly like Textual's Footer is shown by the snapshot tests, whose pictures did not change.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from app_factory import (
    SIZE,
    footer_descriptions,
    log_in,
    make_app,
    settle,
    wait_for_database,
    wait_until,
)
from rich.cells import cell_len
from textual._compositor import LayoutUpdate
from textual.pilot import Pilot
from textual.screen import Screen

from wsnego_tui.app import WsnegoApp
from wsnego_tui.config import Settings
from wsnego_tui.core.clock import FixedClock
from wsnego_tui.screens.loan_detail import LoanDetailScreen
from wsnego_tui.widgets.footer import KeyFooter


@asynccontextmanager
async def on_my_loans(settings: Settings, clock: FixedClock) -> AsyncIterator[tuple[WsnegoApp, Pilot[int], KeyFooter]]:
    """80000001 logged in, on My Loans: the app, its pilot and the screen's key bar."""
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await log_in(pilot, "80000001", "111111")
        yield app, pilot, app.screen.query_one(KeyFooter)


def shown(footer: KeyFooter) -> list[str]:
    return [key.description for key in footer.keys]


def line_of(footer: KeyFooter) -> str:
    return footer.render().plain


async def test_refreshing_unchanged_bindings_does_not_repaint_the_bar(settings: Settings, clock: FixedClock) -> None:
    async with on_my_loans(settings, clock) as (app, pilot, footer):
        before = footer.keys
        assert before
        repaints = 0
        original = footer.refresh

        def counting_refresh(*args: object, **kwargs: object) -> KeyFooter:
            nonlocal repaints
            repaints += 1
            return original(*args, **kwargs)  # type: ignore[arg-type]

        footer.refresh = counting_refresh  # type: ignore[method-assign]
        for _ in range(5):
            app.screen.refresh_bindings()
        await settle(pilot)
        assert footer.keys is before
        assert repaints == 0


async def test_a_change_of_the_keys_updates_the_bar_once_with_what_the_screen_offers(
    settings: Settings, clock: FixedClock
) -> None:
    async with on_my_loans(settings, clock) as (app, pilot, footer):
        updates = 0
        original = footer._current_keys

        def counting() -> tuple[object, ...]:
            nonlocal updates
            updates += 1
            return original()

        footer._current_keys = counting  # type: ignore[method-assign]
        assert "退出登录" in shown(footer)
        await pilot.press("f2")  # the language: every description changes
        await settle(pilot)
        assert updates == 1
        assert set(shown(footer)) == set(footer_descriptions(app).values())
        assert "Log out" in shown(footer)
        assert " esc Log out " in line_of(footer)


async def test_the_bar_draws_each_key_then_its_description_and_a_click_presses_the_key(
    settings: Settings, clock: FixedClock
) -> None:
    async with on_my_loans(settings, clock) as (app, pilot, footer):
        line = line_of(footer)
        assert line.startswith(" " + footer.keys[0].display + " " + footer.keys[0].description + " ")
        column = cell_len(line[: line.index(" f2 ")]) + 1  # Chinese descriptions take two cells a character
        await pilot.click(KeyFooter, offset=(column, 0))
        await settle(pilot)
        assert app.lang == "en"
        assert "English" not in shown(footer) and "中文" in shown(footer)


async def test_a_key_the_screen_shows_but_cannot_use_now_is_drawn_dim_and_a_click_on_it_does_nothing(
    settings: Settings, clock: FixedClock
) -> None:
    async with on_my_loans(settings, clock) as (app, pilot, footer):
        screen = app.screen
        key = footer.keys[0]
        footer.keys = (type(key)(key.key, key.display, key.description, False, ""), *footer.keys[1:])
        footer.refresh()
        await settle(pilot)
        dim = [span for span in footer.render().spans if getattr(span.style, "dim", False)]
        assert dim and dim[0].start == 0
        await pilot.click(KeyFooter, offset=(1, 0))
        await settle(pilot)
        assert app.screen is screen  # nothing happened


async def test_the_first_frame_of_a_new_screen_already_shows_its_keys(
    settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The screen's bindings signal comes only after Textual has drawn a new screen's first
    frame; the bar takes the keys as the screen is resumed, so that frame is the whole screen
    and not one with an empty key line."""
    first_frames: dict[int, list[str]] = {}
    display = WsnegoApp._display

    def recorded(self: WsnegoApp, screen: Screen[object], renderable: object) -> None:
        if isinstance(renderable, LayoutUpdate) and screen is self.screen:
            first_frames.setdefault(id(screen), ["".join(strip.text for strip in line) for line in renderable.strips])
        display(self, screen, renderable)  # type: ignore[arg-type]

    monkeypatch.setattr(WsnegoApp, "_display", recorded)
    async with on_my_loans(settings, clock) as (app, pilot, _):
        await settle(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanDetailScreen))
        detail = app.screen
        await settle(pilot)
        key_line = first_frames[id(detail)][-1]  # before the loan is read: n and p come with it
        assert key_line.split() == ["esc", "返回", "^q", "退出", "f2", "English", "f3", "深浅色", "f1", "帮助"]
