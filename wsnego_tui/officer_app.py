"""The officer console (`wsnego-tui officer`): the bank side's app on the borrower app's database.

`OfficerApp` is the borrower's `WsnegoApp` with another first screen and another flow: the
officer log-in screen paints first, then the same start-up worker opens the database (SQLModel
is imported only there, after the first paint); once it is open an `OfficerServices` is set on
the app. A successful log-in opens the queue (screens.officer_queue), the queue opens cases
(screens.officer_case), a case opens the offer builder (screens.officer_builder) and the
decision dialogs. The app-wide keys are the borrower app's: F2 language, F3 theme (not shown
in the Footer), F1 help, Ctrl+Q quit.

Never runs in kiosk mode: kiosk mode (idle lock, no quitting, the scanner's inbox) is for the
borrowers' branch kiosks, so `kiosk = true` in config.toml is ignored here.

Builds nothing heavy at import time: importing this module or constructing OfficerApp never
imports SQLModel, the store or the services.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from textual.binding import Binding

from wsnego_tui.app import DatabaseOpened, WsnegoApp
from wsnego_tui.config import Settings
from wsnego_tui.screens.officer_login import OfficerLoginScreen

if TYPE_CHECKING:
    from wsnego_tui.core.views_officer import OfficerView
    from wsnego_tui.services.officer import OfficerServices


class OfficerApp(WsnegoApp):
    """The officer console. `services` may be given (tests); otherwise built in a worker."""

    # F3 (theme) works but is not in the Footer: the queue's and the case's keys with the
    # app's own would not fit a 100-column terminal.
    BINDINGS = [Binding("f3", "toggle_theme", "Theme", id="app.theme", show=False)]
    SCREENS_AHEAD = tuple(
        f"wsnego_tui.screens.{name}"
        for name in ("officer_queue", "officer_case", "officer_builder", "officer_decide", "officer_proof", "help")
    )

    def __init__(self, settings: Settings, **kwargs: object) -> None:
        super().__init__(officer_settings(settings), **kwargs)  # type: ignore[arg-type]
        self.title = self.tr("officer.app.title")
        self.officer: OfficerView | None = None
        self.officer_services: OfficerServices | None = None
        """Set with `services` once the database is open."""

    def get_default_screen(self) -> OfficerLoginScreen:  # type: ignore[override]
        return OfficerLoginScreen()

    def _login_screen(self) -> OfficerLoginScreen:  # type: ignore[override]
        screen = self.screen_stack[0]
        assert isinstance(screen, OfficerLoginScreen)
        return screen

    def on_database_opened(self, message: DatabaseOpened) -> None:
        if not message.state.empty:
            from wsnego_tui.services.officer import OfficerServices

            self.officer_services = OfficerServices(message.services)
        super().on_database_opened(message)

    def open_queue(self, officer: OfficerView) -> None:
        """After a successful log-in: the queue."""
        from wsnego_tui.screens.officer_queue import QueueScreen

        self.officer = officer
        self.push_screen(QueueScreen(officer))

    def logout(self) -> None:
        """Drop the officer's session; back to an empty log-in screen."""
        self.officer = None
        super().logout()

    def action_toggle_language(self) -> None:
        super().action_toggle_language()
        self.title = self.tr("officer.app.title")


def officer_settings(settings: Settings) -> Settings:
    """`settings` for the officer console: kiosk mode off, whatever config.toml says."""
    return replace(settings, kiosk=False) if settings.kiosk else settings


def run_officer_app(settings: Settings) -> int:
    """Run the officer console in this terminal; the process exit status."""
    app = OfficerApp(settings)
    app.run()
    return app.return_code or 0
