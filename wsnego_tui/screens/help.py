"""The help dialog: the keys of the screen it was opened from, in the UI language.

Opened by the app's help key (F1, or `?` where it is not typed into a field) over any screen.
It lists the bindings that screen offers now (the same set the Footer shows: enabled, shown,
its own and the app's), each key as the Footer writes it and its translated description. F2
switches the language here too (the list is read again); Esc closes it.

Never changes the screen below it, never touches the database, never shows data as markup.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from wsnego_tui.screens.base import WsnegoModal
from wsnego_tui.widgets.footer import KeyFooter
from wsnego_tui.widgets.line_table import LineTable, fitted_columns


class HelpScreen(WsnegoModal[None]):
    """The keys of `for_screen`, listed; see the module docstring."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="help.close"),
        Binding("f2", "app.toggle_language", "Language", id="app.language"),
    ]

    def __init__(self, for_screen: Screen[object]) -> None:
        super().__init__(id="help")
        self.for_screen = for_screen

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static("", id="help-title", classes="heading", markup=False)
            yield LineTable(id="help-table", show_cursor=False)
            yield Static("", id="help-hint", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.refresh_texts()
        self.query_one(LineTable).focus()

    def keys(self) -> list[tuple[str, str]]:
        """(key as the Footer shows it, what it does) for each key the screen offers now."""
        app = self.app
        listed: list[tuple[str, str]] = []
        for active in self.for_screen.active_bindings.values():
            binding = active.binding
            if not binding.show or not active.enabled or binding.id == "app.help":
                continue
            listed.append((app.get_key_display(binding), binding.description))
        return listed

    def refresh_texts(self) -> None:
        tr = self.tr
        step_key = getattr(self.for_screen, "STEP_KEY", None)
        title = tr("help.title", screen=tr(step_key)) if step_key else tr("help.title.plain")
        self.query_one("#help-title", Static).update(Content(title))
        keys = self.keys()
        rows = [(Text(key, style="bold", no_wrap=True, end=""), Text(description, no_wrap=True, end="")) for key, description in keys]
        headings = [(tr("help.col.key"), False), (tr("help.col.action"), False)]
        self.query_one(LineTable).set_table(fitted_columns(headings, rows), rows)
        hint = tr("help.close_hint") if keys else f"{tr('help.none')} {tr('help.close_hint')}"
        self.query_one("#help-hint", Static).update(Content(hint))

    def action_close(self) -> None:
        self.dismiss(None)
