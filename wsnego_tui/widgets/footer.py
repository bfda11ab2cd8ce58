"""The key bar at the bottom of every borrower screen: one widget drawing one line.

It shows what Textual's Footer shows, key by key and in the same colours (the theme's
`$footer-*` variables): each binding the screen shows, its key in bold and its description,
a dimmed key where the screen shows it but it does nothing now; a click on a key presses it,
a key under the pointer is highlighted.

Textual's Footer is a container of one widget per key, rebuilt (unmounted, built, styled,
mounted) whenever its screen's bindings may have changed; at every screen change that was the
largest single cost on the UI thread (scripts/bench_journey.py). This bar keeps a plain list of
its keys and draws them as one line: when the keys change it only repaints, and it does so at
most once per refresh however often the screen refreshes its bindings.

Never reads data; descriptions are text, never markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

if TYPE_CHECKING:
    from textual import events
    from textual.screen import Screen


@dataclass(frozen=True)
class BarKey:
    """One key as the bar shows it."""

    key: str
    display: str
    description: str
    enabled: bool
    tooltip: str


class KeyFooter(Widget):
    """The screen's keys on one line at the bottom."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "key-footer--item",
        "key-footer--key",
        "key-footer--description",
        "key-footer--hover",
        "key-footer--disabled",
    }
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        width: 1fr;
        text-wrap: nowrap;
        text-overflow: clip;
        color: $footer-foreground;
        background: $footer-background;
        & > .key-footer--item {
            background: $footer-item-background;
        }
        & > .key-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .key-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .key-footer--hover {
            color: $footer-key-foreground;
            background: $block-hover-background;
        }
        & > .key-footer--disabled {
            text-style: dim;
        }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.keys: tuple[BarKey, ...] = ()
        """What the bar shows now (empty until the screen's bindings are first known)."""
        self._hover: int | None = None
        self._update_pending = False

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    # What to show -----------------------------------------------------------------------------

    def _current_keys(self) -> tuple[BarKey, ...]:
        """The keys the screen shows now, one per action (the first binding of each), in order."""
        seen: set[str] = set()
        keys = []
        for _, binding, enabled, tooltip in self.screen.active_bindings.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            keys.append(
                BarKey(binding.key, self.app.get_key_display(binding), binding.description, enabled, tooltip or "")
            )
        return tuple(keys)

    def bindings_changed(self, screen: Screen[object]) -> None:
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._update_pending:
            self._update_pending = True
            self.call_after_refresh(self._update_if_changed)

    def _update_if_changed(self) -> None:
        self._update_pending = False
        if not self.is_attached or self._pruning or self.screen._pruning:
            return
        self.show_current_keys()

    def show_current_keys(self) -> None:
        """Take the screen's keys now. Its bindings signal comes only after the screen's first
        frame, which would show an empty bar; the screen calls this as it is resumed, before
        that frame is drawn."""
        keys = self._current_keys()
        if keys != self.keys:
            self.keys = keys
            self._hover = None
            self.tooltip = None
            self.refresh()

    # Drawing ----------------------------------------------------------------------------------

    def _spans(self) -> list[tuple[int, int]]:
        """Each key's first and last-plus-one column on the line."""
        spans = []
        x = 0
        for key in self.keys:
            width = cell_len(f" {key.display} {key.description} " if key.description else key.display)
            spans.append((x, x + width))
            x += width
        return spans

    def render(self) -> Text:
        style = self.get_component_rich_style
        item, key_style, description_style = (
            style("key-footer--item"), style("key-footer--key"), style("key-footer--description")
        )
        hover, disabled = style("key-footer--hover", partial=True), style("key-footer--disabled", partial=True)
        line = Text(no_wrap=True, overflow="crop", end="")
        for index, key in enumerate(self.keys):
            base: Style = item
            if index == self._hover:
                base += hover
            if not key.enabled:
                base += disabled
            if key.description:
                part = Text.assemble((f" {key.display} ", key_style), (f"{key.description} ", description_style))
            else:
                part = Text.assemble((key.display, key_style))
            part.stylize_before(base)
            line.append_text(part)
        return line

    # Mouse ------------------------------------------------------------------------------------

    def _key_at(self, x: int) -> int | None:
        for index, (start, end) in enumerate(self._spans()):
            if start <= x < end:
                return index
        return None

    def on_mouse_move(self, event: events.MouseMove) -> None:
        index = self._key_at(event.x)
        if index != self._hover:
            self._hover = index
            self.tooltip = self.keys[index].tooltip or None if index is not None else None
            self.refresh()

    def on_leave(self) -> None:
        if self._hover is not None:
            self._hover = None
            self.tooltip = None
            self.refresh()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        index = self._key_at(event.x)
        if index is None:
            return
        key = self.keys[index]
        if key.enabled:
            self.app.simulate_key(key.key)
        else:
            self.app.bell()
