"""What every screen of the app shares (screens/base.py, WsnegoApp.on_database_opened): a new
screen is styled once and laid out once before its first paint, a resized terminal still
lays it out again with its breakpoint classes, the widgets' CSS is parsed before the log-in
instead of inside the first visit of each step, and a screen that was left is freed."""

from __future__ import annotations

import gc
import weakref

import pytest
from app_factory import SIZE, log_in, make_app, settle, wait_for_database, wait_until
from textual.app import App
from textual.dom import DOMNode
from textual.pilot import Pilot

from wsnego_tui.app import drop_closed_watchers
from wsnego_tui.config import Settings
from wsnego_tui.core.clock import FixedClock
from wsnego_tui.screens.application_form import ApplicationFormScreen
from wsnego_tui.screens.base import breakpoint_classes
from wsnego_tui.screens.loan_detail import LoanDetailScreen
from wsnego_tui.screens.loans import LoansScreen
from wsnego_tui.screens.negotiate import NegotiateScreen
from wsnego_tui.widgets.line_table import LineTable
from wsnego_tui.widgets.title_bar import TitleBar


def test_the_widest_breakpoint_reached_is_the_one_class_set() -> None:
    points = [(0, "-narrow"), (100, "-wide")]
    assert breakpoint_classes(80, points) == {"-narrow": True, "-wide": False}
    assert breakpoint_classes(100, points) == {"-narrow": False, "-wide": True}
    assert breakpoint_classes(160, points) == {"-narrow": False, "-wide": True}
    assert breakpoint_classes(10, [(40, "-small")]) == {"-small": False}


async def walk_to_the_form(pilot: Pilot[int]) -> ApplicationFormScreen:
    """My Loans → first loan → negotiate → the first kind: the way a borrower gets there."""
    app = pilot.app
    await log_in(pilot, "80000001", "111111")
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, LoanDetailScreen) and app.screen.detail is not None)
    await pilot.press("n")
    await wait_until(pilot, lambda: isinstance(app.screen, NegotiateScreen) and app.screen.eligibility is not None)
    await pilot.press("1", "enter")
    await wait_until(pilot, lambda: isinstance(app.screen, ApplicationFormScreen) and app.screen.view is not None)
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, ApplicationFormScreen)
    return screen


async def test_a_new_screen_is_styled_once_and_not_restyled_whole_before_it_is_used(
    settings: Settings, clock: FixedClock
) -> None:
    """Textual restyles a whole new screen when it first resumes and when its first resize sets
    its breakpoint classes; the application form (76 widgets) paid for both before its first
    paint. Neither happens now, yet the form has its breakpoint class from the start."""
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        restyled: list[DOMNode] = []
        update_styles = app.update_styles

        def recorded(node: DOMNode, animate: bool = True) -> None:
            restyled.append(node)
            update_styles(node, animate)

        app.update_styles = recorded  # type: ignore[method-assign]
        screen = await walk_to_the_form(pilot)
        assert restyled  # focus changes and the like still restyle their own widgets
        assert not [node for node in restyled if isinstance(node, ApplicationFormScreen)]
        assert screen.has_class("-wide") and not screen.has_class("-narrow")


async def test_a_resized_terminal_lays_the_screen_out_again_with_its_breakpoint_class(
    settings: Settings, clock: FixedClock
) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        screen = await walk_to_the_form(pilot)
        preview = screen.query_one("#appform-preview")
        assert preview.outer_size.width == 36
        await pilot.resize_terminal(80, 24)
        await wait_until(pilot, lambda: preview.outer_size.width == 30)
        assert screen.has_class("-narrow") and not screen.has_class("-wide")
        assert screen.size.width == 80
        await pilot.resize_terminal(120, 40)
        await wait_until(pilot, lambda: preview.outer_size.width == 36)
        assert screen.has_class("-wide") and not screen.has_class("-narrow")
        assert screen.query_one("#appform-body").outer_size.width == 120


async def test_the_widgets_css_is_parsed_before_the_log_in_and_not_again_on_the_way_to_the_form(
    settings: Settings, clock: FixedClock
) -> None:
    """Textual parses a widget class's default CSS (and then the whole stylesheet again) when
    the first such widget is mounted: 10-60 ms inside the first visit of a step."""
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        stylesheet = app.stylesheet
        assert not stylesheet._require_parse
        assert any(location[1] == "DataTable.DEFAULT_CSS" for location in stylesheet.source)
        parses: list[int] = []
        parse = stylesheet.parse

        def counted() -> None:
            parses.append(1)
            parse()

        stylesheet.parse = counted  # type: ignore[method-assign]
        screen = await walk_to_the_form(pilot)
        assert screen.query_one("#hardship-text")  # the form's TextArea and Selects are mounted
        assert parses == []


async def test_a_screen_that_is_being_closed_is_not_restyled(
    settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closing a screen takes the focus from its focused widget, and Textual restyles that
    widget with everything in it: for a container (the review progress's timeline) tens of
    milliseconds spent on widgets about to be dropped."""
    restyled: list[tuple[DOMNode, bool]] = []
    update_styles = App.update_styles

    def recorded(self: App[object], node: DOMNode, animate: bool = True) -> None:
        restyled.append((node, node._pruning))
        update_styles(self, node, animate)

    monkeypatch.setattr(App, "update_styles", recorded)
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await log_in(pilot, "80000001", "111111")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanDetailScreen) and app.screen.detail is not None)
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail.focused, LineTable)
        restyled.clear()
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, LoansScreen) and not detail.is_attached)
        await settle(pilot)
    assert [node for node, pruning in restyled if pruning] == []


class Watched:
    """Stands in for a node other widgets watch: Textual keeps the watches in `__watchers`."""


class Watcher:
    def __init__(self, closing: bool) -> None:
        self._closing = closing


def test_only_the_watches_of_closed_widgets_are_dropped() -> None:
    node = Watched()
    live, closed = Watcher(False), Watcher(True)
    setattr(node, "__watchers", {"title": [(closed, print), (live, print)], "theme": [(closed, len)]})
    assert drop_closed_watchers(node) == 2
    assert getattr(node, "__watchers") == {"title": [(live, print)], "theme": []}
    assert drop_closed_watchers(node) == 0
    assert drop_closed_watchers(Watched()) == 0  # nothing ever watched it


async def test_the_screens_that_were_left_are_freed_with_their_title_lines(settings: Settings, clock: FixedClock) -> None:
    """Nothing that watches the app keeps a screen that was left: the title line watches only
    its own screen (Textual's Header watched the app's title, which never changes, and kept
    every screen's header alive until the quiet-time clean-up dropped such watches). Nor does
    anything keep the lines its widgets rendered (Textual's style cache did: textual_fixes)."""
    app = make_app(settings, clock)
    style_caches: list[weakref.ref[object]] = []
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await log_in(pilot, "80000001", "111111")
        await wait_until(pilot, lambda: isinstance(app.screen, LoansScreen) and bool(app.screen.loans))
        for _ in range(5):
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, LoanDetailScreen) and app.screen.detail is not None)
            await settle(pilot)
            style_caches += [weakref.ref(node._styles_cache) for node in app.screen.walk_children(with_self=True)]
            await pilot.press("escape")
            await wait_until(pilot, lambda: isinstance(app.screen, LoansScreen))
        await settle(pilot)
        app._collect_garbage()  # what runs once the app has been quiet for a second
        for kind in (LoanDetailScreen, TitleBar):
            left = [obj for obj in gc.get_objects() if isinstance(obj, kind) and not obj.is_attached]
            assert len(left) <= 1  # the last one may still sit in a message queue; never all five
        watchers = getattr(app, "__watchers", {})
        assert all(node.is_attached for entries in watchers.values() for node, _ in entries)
        kept = [ref for ref in style_caches if ref() is not None]
        assert len(kept) <= len(style_caches) // 5  # at most the last screen's, never all five


async def test_the_journeys_styles_are_read_after_the_first_paint_and_once(
    settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first screen paints with app.tcss alone; journey.tcss (every later screen's styles)
    is added right after that paint, before any later screen can open, and only once."""
    import os

    from wsnego_tui.app import WsnegoApp

    seen: list[bool] = []
    painted = WsnegoApp.first_screen_painted

    def recorded(self: WsnegoApp) -> None:
        seen.append(journey_key in self.stylesheet.source)
        painted(self)

    journey_key = (os.path.abspath(WsnegoApp.JOURNEY_CSS), "")
    monkeypatch.setattr(WsnegoApp, "first_screen_painted", recorded)
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        assert seen == [False]  # the first paint came without it
        assert list(app.stylesheet.source).count(journey_key) == 1
        sources = list(app.stylesheet.source)
        assert sources.index(journey_key) > sources.index((os.path.abspath(app.css_path[0]), ""))
        rules = len(app.stylesheet.rules)
        app.read_journey_css()
        assert len(app.stylesheet.rules) == rules
        await log_in(pilot, "80000001", "111111")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, LoanDetailScreen) and app.screen.detail is not None)
        panel = app.screen.query_one("#detail-panel")
        assert panel.styles.padding.left == 1  # a rule of journey.tcss
