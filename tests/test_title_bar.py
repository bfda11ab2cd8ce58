"""The title line (widgets/title_bar.py) draws what Textual's Header draws, cell by cell, in
one widget, and follows its screen's title."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Header, Label

from wsnego_tui.widgets.title_bar import TitleBar

TITLES = [
    ("网商贷协商还款", "第2步 我的贷款"),
    ("MYbank Repayment Negotiation", "Step 5 Application   [1st negotiation]"),
    ("网商贷协商还款", "第5步 填写申请   [二次协商]  " + "很长的副标题" * 6),
    ("MYbank Repayment Negotiation", ""),
]


class Titled(Screen[None]):
    def __init__(self, bar: type, title: str, sub_title: str) -> None:
        super().__init__()
        self.bar = bar
        self.title = title
        self.sub_title = sub_title

    def compose(self) -> ComposeResult:
        yield Header(icon="¥") if self.bar is Header else TitleBar(icon="¥")
        yield Label("body")


class Both(App[None]):
    ENABLE_COMMAND_PALETTE = False  # as in the app: Textual's header icon is then disabled

    def format_title(self, title: str, sub_title: str) -> Content:
        from wsnego_tui.app import WsnegoApp

        return WsnegoApp.format_title(self, title, sub_title)  # type: ignore[arg-type]


def cells(app: App[None]) -> list[tuple[object, ...]]:
    """The first line of the screen as it looks: per character its background, its colour
    (not for a blank) and its attributes (mouse metadata left out)."""
    line = app.screen._compositor.render_strips()[0]
    return [
        (char, style.bgcolor, None if char == " " else style.color,
         *(bool(flag) for flag in (style.bold, style.dim, style.italic, style.underline, style.reverse, style.strike)))
        for segment in line
        for char in segment.text
        for style in (segment.style,)
    ]


@pytest.mark.parametrize("width", [100, 80, 36])
@pytest.mark.parametrize(("title", "sub_title"), TITLES)
async def test_it_draws_what_textuals_header_draws(width: int, title: str, sub_title: str) -> None:
    app = Both()
    async with app.run_test(size=(width, 10)) as pilot:
        drawn = {}
        for bar in (Header, TitleBar):
            await app.push_screen(Titled(bar, title, sub_title))
            await pilot.pause()
            drawn[bar] = cells(app)
            await app.pop_screen()
    assert drawn[TitleBar] == drawn[Header]


async def test_it_follows_its_screens_title_and_the_apps_when_the_screen_has_none() -> None:
    app = Both()
    async with app.run_test(size=(60, 10)) as pilot:
        app.title = "App"
        screen = Titled(TitleBar, "网商贷", "第2步")
        await app.push_screen(screen)
        await pilot.pause()
        text = "".join(cell[0] for cell in cells(app))
        assert "网商贷   第2步" in text
        screen.sub_title = "Step 3"
        await pilot.pause()
        assert "网商贷   Step 3" in "".join(cell[0] for cell in cells(app))
        screen.title = None
        screen.sub_title = None
        await pilot.pause()
        assert "App" in "".join(cell[0] for cell in cells(app))
