"""The key bar at the bottom of every screen: Textual's Footer, rebuilt only when what it shows
changes.

Textual's Footer rebuilds all of its keys (new widgets, styled from scratch) after every
`refresh_bindings()` of its screen, and once per call: a screen that refreshes its bindings
after each worker answer, highlight and focus change rebuilds the same keys about ten times on
its way in, which was a fifth of the UI thread's time between screens of the journey
(scripts/bench_journey.py). This one coalesces the requests of one refresh into one, and
rebuilds only when the keys, their descriptions (the language), their enabled state or their
tooltips differ from what it shows.

Shows exactly what Textual's Footer shows (same compose); never reads data, never shows markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Footer

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.screen import Screen

Signature = tuple[object, ...]


class KeyFooter(Footer):
    """A Footer that is recomposed once per refresh at most, and only when its keys changed."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._shown: Signature | None = None
        self._recompose_pending = False

    def _signature(self) -> Signature:
        """What compose would show now: each shown binding's key, label, state and tooltip."""
        keys = tuple(
            (binding.key, binding.action, binding.description, binding.group, enabled, tooltip,
             self.app.get_key_display(binding))
            for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show
        )
        return (keys, self.compact, self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE)

    def compose(self) -> ComposeResult:
        self._shown = self._signature() if self._bindings_ready else None
        yield from super().compose()

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._recompose_pending:
            self._recompose_pending = True
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        self._recompose_pending = False
        # As Footer.recompose: nothing to do for a footer (or a screen) on its way out.
        if not self.is_attached or self._pruning or self.screen._pruning:
            return
        if self._signature() != self._shown:
            await self.recompose()
