"""The officer console's log-in screen: officer number (O0001) and 6-digit PIN (masked).

The form is the borrower's (screens/login_form.py). The number is trimmed and upper-cased
(`o0001` works); the PIN takes digits only, full-width digits typed through a Chinese input
method included. Enter tries to log in once the database is open, in a thread worker
(`OfficerServices.login`). The answer never says whether the officer number exists; after five
wrong PINs the service locks the officer for 15 minutes and the screen says until when. The
PIN is cleared after every attempt and kept nowhere else.

Paints before the store, SQLModel or the services are imported (the app opens the database
after this screen's first refresh). Never shows data as markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Footer

from wsnego_tui.screens.login_form import PinLoginScreen

if TYPE_CHECKING:
    from wsnego_tui.core.pins import PinCheck
    from wsnego_tui.core.views_officer import OfficerLoginResult
    from wsnego_tui.officer_app import OfficerApp
    from wsnego_tui.services.officer import OfficerServices

OFFICER_NO_MAX_LENGTH = 16


def officer_no_problem(value: str, *, submitting: bool) -> str | None:
    """The i18n key of what is wrong with a typed officer number, or None."""
    number = value.strip()
    if not number:
        return "officer.login.error.number_required" if submitting else None
    if not (number.isascii() and number.isalnum()):
        return "officer.login.error.number_chars"
    return None


class OfficerLoginScreen(PinLoginScreen):
    """The first screen of the console; logging out comes back here (with an empty form)."""

    STEP_KEY = "step.officer.login"
    NUMBER_FIELD = "officer-no"
    NUMBER_MAX_LENGTH = OFFICER_NO_MAX_LENGTH
    HEADING_KEY = "officer.login.heading"
    INTRO_KEY = "officer.login.intro"
    NUMBER_LABEL_KEY = "officer.login.number"
    NUMBER_PLACEHOLDER_KEY = "officer.login.number.placeholder"
    REJECTED_KEY = "officer.login.rejected"
    SERVICES_ATTR = "officer_services"
    FOOTER = Footer

    app: OfficerApp

    def __init__(self) -> None:
        super().__init__(id="officer-login")

    def number_problem(self, value: str, *, submitting: bool) -> str | None:
        return officer_no_problem(value, submitting=submitting)

    def normalize_number(self, value: str) -> str:
        return value.strip().upper()

    def log_in_with(self, services: OfficerServices, number: str, pin: str, check: PinCheck | None) -> OfficerLoginResult:
        return services.login(number, pin, check)

    def open_session(self, result: OfficerLoginResult) -> bool:
        if result.officer is None:
            return False
        self.app.open_queue(result.officer)
        return True
