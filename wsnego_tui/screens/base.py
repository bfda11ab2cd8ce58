"""What every screen of the app shares: the language, the title line and translated key hints.

A screen names its step (`STEP_KEY`, shown in the title line as "网商贷协商还款 - 第2步 我的贷款")
and implements `refresh_texts()`, which the app calls when the language changes: at once on
the screens in view, and on a covered screen when it is shown again. Binding descriptions are
translation keys: the Footer shows `binding.<binding id>` in the current language, so a
binding without a translated id keeps its own description.

Never imports the store, SQLModel or the services at import time; never shows data as markup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual import events
from textual.binding import ActiveBinding
from textual.screen import ModalScreen, Screen
from textual.types import NoActiveAppError

from wsnego_tui.i18n import Translator, has_key, t
from wsnego_tui.widgets.footer import KeyFooter

if TYPE_CHECKING:
    from wsnego_tui.app import WsnegoApp

ResultType = TypeVar("ResultType")


def translate_bindings(lang: str, bindings: dict[str, ActiveBinding]) -> dict[str, ActiveBinding]:
    """The active bindings with each translated binding id's description in `lang`."""
    translated: dict[str, ActiveBinding] = {}
    for key, active in bindings.items():
        binding = active.binding
        text_key = f"binding.{binding.id}" if binding.id else ""
        if text_key and has_key(text_key):
            active = active._replace(binding=replace(binding, description=t(lang, text_key)))
        translated[key] = active
    return translated


class LocalizedMixin:
    """Language plumbing shared by full screens and dialogs."""

    STEP_KEY: ClassVar[str | None] = None
    """The i18n key of the step this screen is, shown in the title line (None: keep it)."""

    app: WsnegoApp

    @property
    def tr(self) -> Translator:
        return self.app.tr

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        return translate_bindings(self.app.lang, super().active_bindings)  # type: ignore[misc]

    def show_step(self) -> None:
        """Put the app's name and this screen's step in the title line."""
        if self.STEP_KEY is not None:
            self.title = self.tr("app.title")  # type: ignore[attr-defined]
            self.sub_title = self.tr(self.STEP_KEY)  # type: ignore[attr-defined]

    _language_stale = False

    def apply_language(self) -> None:
        """Re-render every text of this screen in the app's current language."""
        self._language_stale = False
        self.show_step()
        self.refresh_texts()
        self.refresh_bindings()  # type: ignore[attr-defined]

    def apply_language_later(self) -> None:
        """The language changed while this screen is covered: re-render it when it is shown
        again (every screen under the one in view would otherwise be redrawn at each switch)."""
        self._language_stale = True

    def show_keys_now(self) -> None:
        """Give the key bar the screen's keys before Textual's own resume handler draws the
        screen's first frame (its bindings signal comes only after that frame, which would
        show the bar empty). Called from `_on_screen_resume`, which Textual dispatches first;
        not defined here as that, because Textual dispatches `_on_x` or `on_x` of a class, not
        both, and this class's `on_screen_resume` must run."""
        for bar in self.query(KeyFooter):  # type: ignore[attr-defined]
            bar.show_current_keys()

    def on_screen_resume(self) -> None:
        # Textual calls this besides a screen's own on_screen_resume (which runs first).
        if self._language_stale:
            self.apply_language()
        collect = getattr(self.app, "collect_garbage_soon", None)
        if collect is not None:
            collect()

    def behind_typing(self, callback: Callable[[], object]) -> None:
        """Run `callback` after the keys already sent to the focused field have reached it.

        Enter is a priority binding on the form screens (so the Footer offers it whatever has
        the focus), and a priority binding is taken before the keys typed just before it have
        reached the field: digits and Enter arriving in one burst (a card reader, a paste,
        typing over SSH) would check a half-typed value. Queued on the field itself, the
        callback runs behind them."""
        from textual.widgets import Input

        focused = self.app.focused
        if isinstance(focused, Input):
            focused.call_later(callback)
        else:
            callback()

    def refresh_texts(self) -> None:
        """Set every translated text of the screen again; each screen overrides it. (Texts
        are first set in compose: the first paint must not lay the screen out twice.)"""


def breakpoint_classes(width: int, breakpoints: list[tuple[int, str]]) -> dict[str, bool]:
    """Which of a screen's breakpoint classes hold at `width` (the widest breakpoint reached)."""
    reached = [(edge, name) for edge, name in breakpoints if width >= edge]
    chosen = max(reached)[1] if reached else None
    return {name: name == chosen for _, name in breakpoints}


class WsnegoScreen(LocalizedMixin, Screen[ResultType]):
    """A full screen of the borrower's flow.

    A new screen is styled once, as its widgets are mounted, and laid out once. Textual would
    style all of it again twice before the first paint: when the first resize sets the
    breakpoint classes (`HORIZONTAL_BREAKPOINTS`), and when the screen is first resumed; and
    it would lay it all out again for the Resize its own first layout sends it. Each is a walk
    over every widget (together half of the application form's first paint). So the
    breakpoint classes are set before mounting, from the app's current size; the first
    resume keeps the styles the mount gave; and a Resize to the size already laid out is
    dropped. A later resume (a screen uncovered again) restyles, and a resized terminal lays
    the screen out again, as Textual does.

    A screen names the widget that takes the focus first in `AUTO_FOCUS` (a selector): with
    Textual's default the first focusable widget took it, and a screen that moved it on in
    `on_mount` restyled both (the agreement's text, the proofs' table).
    """

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._resumed_before = False
        if self.HORIZONTAL_BREAKPOINTS:
            try:
                width = self.app.size.width
            except NoActiveAppError:  # made outside a running app: the first resize sets them
                return
            self.update_classes(breakpoint_classes(width, self.HORIZONTAL_BREAKPOINTS), update=False)

    def _on_resize(self, event: events.Resize) -> None:
        # A new screen's first layout sends the screen a Resize with the size it was just laid
        # out at, and Textual lays the whole screen out again for it (the layout that follows
        # the first frame cost as much as the first frame). Only a size that differs from the
        # last layout (a terminal resized) goes on to Textual's handler.
        if event.size != self._compositor.size:
            return
        if any(screen._compositor.size != event.size for screen in self.app._background_screens):
            return
        event.stop()
        event.prevent_default()
        if self.HORIZONTAL_BREAKPOINTS:
            self.update_classes(breakpoint_classes(event.size.width, self.HORIZONTAL_BREAKPOINTS), animate=False)

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # Textual dispatches this before Screen's own handler, which restyles when asked to.
        if not self._resumed_before:
            self._resumed_before = True
            event.refresh_styles = False
        self.show_keys_now()

    def on_mount(self) -> None:
        self.show_step()

    def after_paint(self, callback: Callable[..., object], *args: object) -> None:
        """Call `callback(*args)` once this screen has been painted, if it is still in the app.
        Screens start reading their data this way: a database worker started alongside the
        first paint shares the interpreter with it and holds the new screen back (measured by
        scripts/bench_journey.py).

        Not for a screen being closed: one passed on the way back to a screen further down is
        resumed for a moment, and a worker started then would keep the closed screen alive."""

        def run() -> None:
            if self.is_attached and not (self._pruning or self._closing):
                callback(*args)

        self.call_after_refresh(run)


class WsnegoModal(LocalizedMixin, ModalScreen[ResultType]):
    """A dialog over the current screen."""

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # Textual dispatches this before Screen's own handler, which draws the first frame.
        self.show_keys_now()
