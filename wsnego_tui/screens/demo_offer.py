"""The dialog that offers to load the demo data into an empty database (Yes / No).

Dismisses with True (load) or False (do not); the app does the loading in a worker. Shown only
when the database has no customers and the app was not started with --demo.

Never loads anything itself and never touches the database.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Static

from wsnego_tui.screens.base import WsnegoModal
from wsnego_tui.widgets.footer import KeyFooter


class DemoOfferDialog(WsnegoModal[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="demo.yes"),
        Binding("n,escape", "answer(False)", "No", id="demo.no"),
        # A dialog hides the app's own keys; the language switch must still work here.
        Binding("f2", "app.toggle_language", "Language", id="app.language"),
    ]

    def __init__(self) -> None:
        super().__init__(id="demo-offer")

    def compose(self) -> ComposeResult:
        tr = self.tr
        with Vertical(id="demo-offer-box"):
            yield Static(tr("demo.title"), id="demo-offer-title", classes="heading", markup=False)
            yield Static(tr("demo.body"), id="demo-offer-body", markup=False)
            with Horizontal(id="demo-offer-buttons"):
                yield Button(Content(tr("demo.yes")), id="demo-yes", variant="primary")
                yield Button(Content(tr("demo.no")), id="demo-no")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#demo-yes", Button).focus()

    def refresh_texts(self) -> None:
        tr = self.tr
        self.query_one("#demo-offer-title", Static).update(Content(tr("demo.title")))
        self.query_one("#demo-offer-body", Static).update(Content(tr("demo.body")))
        self.query_one("#demo-yes", Button).label = Content(tr("demo.yes"))
        self.query_one("#demo-no", Button).label = Content(tr("demo.no"))

    def action_answer(self, load: bool) -> None:
        self.dismiss(load)

    @on(Button.Pressed, "#demo-yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#demo-no")
    def _no(self) -> None:
        self.dismiss(False)
