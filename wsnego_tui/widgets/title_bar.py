"""The title line at the top of every screen: the icon, then the app's name and the step,
centred. One widget that draws what Textual's Header draws with four.

Textual's Header is a container of an icon, a title and a clock space, each styled and laid
out on its own; it watches the app's `title` and `sub_title` and the screen's, and sets its
title's text (which lays the whole screen out again) when the screen is mounted. Opening the
loan detail and going back cost about a tenth more CPU with it than with this. TitleBar has
the same colours, the same columns (an 8-column icon area with the icon after one space, a
10-column space on the right, the title centred between them and cut with an ellipsis when
it does not fit) and the same text (`App.format_title`), and watches only its own screen's
`title` and `sub_title`, which go away with it. The header's click to make it three lines
tall is left out, and so is its clock, which this app never showed.
"""

from __future__ import annotations

from textual.app import RenderResult
from textual.content import Content
from textual.widget import Widget

ICON_WIDTH = 8
"""Textual's HeaderIcon: 8 columns, the icon after one column of padding."""
CLOCK_SPACE_WIDTH = 10
"""Textual's HeaderClockSpace: 10 blank columns on the right."""


def fit(title: Content, width: int) -> Content:
    """`title` centred in `width` columns (the odd column on the right), cut with an ellipsis
    when it is wider, as Textual's HeaderTitle shows it."""
    if width <= 0:
        return Content("")
    title = title.truncate(width, ellipsis=True)
    left = (width - title.cell_length) // 2
    return Content.assemble(" " * left, title, " " * (width - title.cell_length - left))


class TitleBar(Widget):
    """The screen's title line (see the module's docstring)."""

    DEFAULT_CSS = """
    TitleBar {
        dock: top;
        width: 100%;
        height: 1;
        background: $panel;
        color: $foreground;
    }
    """

    def __init__(self, icon: str = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.icon = icon

    def on_mount(self) -> None:
        screen = self.screen
        self.watch(screen, "title", self._retitle, init=False)
        self.watch(screen, "sub_title", self._retitle, init=False)

    def _retitle(self) -> None:
        self.refresh()

    @property
    def title_text(self) -> Content:
        """What Textual's Header shows: the screen's title and sub-title, else the app's."""
        screen, app = self.screen, self.app
        title = screen.title if screen.title is not None else app.title
        sub_title = screen.sub_title if screen.sub_title is not None else app.sub_title
        return app.format_title(title, sub_title)

    def render(self) -> RenderResult:
        width = self.size.width
        icon = Content(self.icon).truncate(max(ICON_WIDTH - 1, 0))
        left = Content.assemble(" ", icon).truncate(min(ICON_WIDTH, width), pad=True)
        middle = fit(self.title_text, width - ICON_WIDTH - CLOCK_SPACE_WIDTH)
        right = " " * max(0, min(CLOCK_SPACE_WIDTH, width - ICON_WIDTH))
        return Content.assemble(left, middle, right)
