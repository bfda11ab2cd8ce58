"""Step 1, log in (登录): customer number and 6-digit PIN, checked by the services in a worker.

The form (screens/login_form.py, shared with the officer console) validates as the borrower
types (digits only) and on Enter (both fields filled, six PIN digits); full-width digits typed
through a Chinese input method count as digits. Enter is offered in the Footer once the
database is open (before that it says to wait). A rejected log-in shows one message that never
says whether the customer number exists; a locked one says until when. Outside kiosk mode the
last customer number that logged in is remembered in the state file (written atomically, in
the worker, once the answer is on its way) and prefilled next time.

Never touches the database on the UI thread, never shows data as markup, and never keeps the
PIN anywhere but in its Input and its early check (screens/early_pin.py; both dropped after
every attempt).
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wsnego_tui.screens.login_form import (
    PIN_LENGTH,
    PinLoginScreen,
    all_ascii_digits,
    normalize_digits,
    pin_problem,
)
from wsnego_tui.widgets.footer import KeyFooter

if TYPE_CHECKING:
    # core.views defines many dataclasses (~25 ms to import): the log-in screen must paint
    # without it, so the outcomes are imported where a log-in answer is handled.
    from wsnego_tui.core.pins import PinCheck
    from wsnego_tui.core.views import LoginResult
    from wsnego_tui.services.api import Services

__all__ = [
    "PIN_LENGTH",
    "LoginScreen",
    "customer_no_problem",
    "normalize_digits",
    "pin_problem",
    "read_remembered_customer_no",
    "remember_customer_no",
]

log = logging.getLogger(__name__)

CUSTOMER_NO_MAX_LENGTH = 8
STATE_KEY = "last_customer_no"


def customer_no_problem(value: str, *, submitting: bool) -> str | None:
    """The i18n key of what is wrong with a typed customer number, or None."""
    number = normalize_digits(value)
    if not number:
        return "login.error.customer_no_required" if submitting else None
    if not all_ascii_digits(number):
        return "login.error.digits_only"
    return None


def read_remembered_customer_no(state_file: Path) -> str:
    """The customer number remembered on this terminal, or "" (also for a damaged file)."""
    try:
        text = state_file.read_text(encoding="utf-8")
    except (OSError, ValueError):  # missing, unreadable, or not UTF-8
        return ""
    import json  # about 2 ms before the first paint: only when there is a file to read

    try:
        data = json.loads(text)
    except ValueError:
        return ""
    value = data.get(STATE_KEY) if isinstance(data, dict) else None
    if isinstance(value, str) and all_ascii_digits(value) and len(value) <= CUSTOMER_NO_MAX_LENGTH:
        return value
    return ""


def remember_customer_no(state_file: Path, customer_no: str) -> None:
    """Store `customer_no` in the state file, keeping its other keys; atomic (temp + replace)."""
    import json

    try:
        current = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        current = {}
    data: dict[str, Any] = current if isinstance(current, dict) else {}
    data[STATE_KEY] = customer_no
    state_file.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=".state-", suffix=".tmp", dir=state_file.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, state_file)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


class LoginScreen(PinLoginScreen):
    """The first screen: always at the bottom of the stack; logging out comes back here."""

    STEP_KEY = "step.login"
    NUMBER_FIELD = "customer-no"
    NUMBER_MAX_LENGTH = CUSTOMER_NO_MAX_LENGTH
    HEADING_KEY = "login.heading"
    INTRO_KEY = "login.intro"
    NUMBER_LABEL_KEY = "login.customer_no"
    NUMBER_PLACEHOLDER_KEY = "login.customer_no.placeholder"
    SERVICES_ATTR = "services"
    FOOTER = KeyFooter

    def __init__(self) -> None:
        super().__init__(id="login")

    def number_problem(self, value: str, *, submitting: bool) -> str | None:
        return customer_no_problem(value, submitting=submitting)

    def initial_number(self) -> str:
        """The customer number remembered on this terminal (never in kiosk mode)."""
        settings = self.app.settings
        if settings.kiosk:
            return ""
        return read_remembered_customer_no(settings.paths.state_file)

    def log_in_with(self, services: Services, number: str, pin: str, check: PinCheck | None) -> LoginResult:
        return services.login(number, pin, check)

    def after_log_in(self, result: LoginResult, number: str) -> None:
        """Remember the number that logged in (not in kiosk mode), once My Loans is on its way:
        the state file is written with an fsync."""
        from wsnego_tui.core.views import LoginOutcome

        if result.outcome is LoginOutcome.OK and not self.app.settings.kiosk:
            try:
                remember_customer_no(self.app.settings.paths.state_file, number)
            except OSError:
                log.warning("could not remember the customer number", exc_info=True)

    def open_session(self, result: LoginResult) -> bool:
        if result.customer is None:
            return False
        self.app.open_loans(result.customer)
        return True
