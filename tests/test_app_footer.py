"""The key bar (widgets.footer.KeyFooter): rebuilt once when the keys change, not on every
`refresh_bindings()`, yet always showing what Textual's own Footer would show.

Textual's Footer rebuilt every key after each `refresh_bindings()` call, about ten times per
screen on the way in; that was a fifth of the UI thread's time between the journey's screens
(scripts/bench_journey.py).
"""

from __future__ import annotations

from app_factory import (
    SIZE,
    footer_descriptions,
    log_in,
    make_app,
    settle,
    wait_for_database,
)
from textual.widgets import Footer

from wsnego_tui.config import Settings
from wsnego_tui.core.clock import FixedClock
from wsnego_tui.widgets.footer import KeyFooter


def shown_keys(footer: Footer) -> list[str]:
    return [str(key.description) for key in footer.query("FooterKey")]


async def test_refreshing_unchanged_bindings_does_not_rebuild_the_keys(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await log_in(pilot, "80000001", "111111")
        footer = app.screen.query_one(KeyFooter)
        before = list(footer.query("FooterKey"))
        assert before
        for _ in range(5):
            app.screen.refresh_bindings()
        await settle(pilot)
        assert list(footer.query("FooterKey")) == before  # the same widgets: nothing rebuilt


async def test_a_change_of_the_keys_rebuilds_them_once_with_what_the_screen_offers(
    settings: Settings, clock: FixedClock
) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await log_in(pilot, "80000001", "111111")
        footer = app.screen.query_one(KeyFooter)
        rebuilt = 0
        original = footer.recompose

        async def counting_recompose() -> None:
            nonlocal rebuilt
            rebuilt += 1
            await original()

        footer.recompose = counting_recompose  # type: ignore[method-assign]
        assert "退出登录" in shown_keys(footer)
        await pilot.press("f2")  # the language: every description changes
        await settle(pilot)
        assert rebuilt == 1
        assert set(shown_keys(footer)) == set(footer_descriptions(app).values())
        assert "Log out" in shown_keys(footer)
