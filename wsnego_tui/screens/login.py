"""Step 1, log in (登录): customer number and 6-digit PIN, checked by the services in a worker.

The form validates as the borrower types (digits only) and on Enter (both fields filled, six
PIN digits); full-width digits typed through a Chinese input method count as digits. Enter is
offered in the Footer once the database is open (before that it says to wait). A
rejected log-in shows one message that never says whether the customer number exists; a
locked one says until when. Outside kiosk mode the last customer number that logged in is
remembered in the state file (written atomically, in the worker) and prefilled next time.

Never touches the database on the UI thread, never shows data as markup, and never keeps the
PIN anywhere but in its Input (it is cleared after every attempt).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Footer, Header, Input, Label, Static

from wsnego_tui.screens.base import WsnegoScreen

if TYPE_CHECKING:
    # core.views defines many dataclasses (~25 ms to import): the log-in screen must paint
    # without it, so the outcomes are imported where a log-in answer is handled.
    from wsnego_tui.core.views import LoginResult

log = logging.getLogger(__name__)

PIN_LENGTH = 6
CUSTOMER_NO_MAX_LENGTH = 8
STATE_KEY = "last_customer_no"

_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def normalize_digits(text: str) -> str:
    """`text` without surrounding spaces and with full-width digits (０-９) made ASCII."""
    return text.strip().translate(_FULL_WIDTH_DIGITS)


def _all_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def customer_no_problem(value: str, *, submitting: bool) -> str | None:
    """The i18n key of what is wrong with a typed customer number, or None."""
    number = normalize_digits(value)
    if not number:
        return "login.error.customer_no_required" if submitting else None
    if not _all_ascii_digits(number):
        return "login.error.digits_only"
    return None


def pin_problem(value: str, *, submitting: bool) -> str | None:
    """The i18n key of what is wrong with a typed PIN, or None."""
    pin = normalize_digits(value)
    if not pin:
        return "login.error.pin_required" if submitting else None
    if not _all_ascii_digits(pin):
        return "login.error.digits_only"
    if submitting and len(pin) != PIN_LENGTH:
        return "login.error.pin_length"
    return None


def read_remembered_customer_no(state_file: Path) -> str:
    """The customer number remembered on this terminal, or "" (also for a damaged file)."""
    try:
        data = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    value = data.get(STATE_KEY) if isinstance(data, dict) else None
    if isinstance(value, str) and _all_ascii_digits(value) and len(value) <= CUSTOMER_NO_MAX_LENGTH:
        return value
    return ""


def remember_customer_no(state_file: Path, customer_no: str) -> None:
    """Store `customer_no` in the state file, keeping its other keys; atomic (temp + replace)."""
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


class LoginScreen(WsnegoScreen[None]):
    """The first screen: always at the bottom of the stack; logging out comes back here."""

    STEP_KEY = "step.login"

    BINDINGS = [Binding("enter", "submit", "Log in", id="login.submit", priority=True)]

    class Finished(Message):
        """The log-in worker's answer (None when the services failed)."""

        def __init__(self, result: LoginResult | None) -> None:
            super().__init__()
            self.result = result

    def __init__(self) -> None:
        super().__init__(id="login")
        self._field_problems: dict[str, str | None] = {"customer-no": None, "pin": None}
        self._status: tuple[str, dict[str, object]] | None = None
        self._status_is_error = False
        self._busy = False

    # Building -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        app = self.app
        tr = self.tr
        remembered = self._remembered_customer_no()
        notice = app.database_notice
        # Focus lands once, where typing starts: the PIN when the number is remembered.
        self.AUTO_FOCUS = "#pin" if remembered else "#customer-no"
        yield Header(icon="¥")
        with Vertical(id="login-panel"):
            yield Static(tr("login.heading"), id="login-heading", classes="heading", markup=False)
            yield Static(tr("login.intro"), id="login-intro", markup=False)
            # One grid (label | field | message) rather than a container per row: every
            # widget less is start-up time saved before the first paint.
            with Grid(id="login-form"):
                yield Label(tr("login.customer_no"), id="customer-no-label", classes="field-label", markup=False)
                customer_no = Input(
                    remembered,
                    placeholder=tr("login.customer_no.placeholder"),
                    max_length=CUSTOMER_NO_MAX_LENGTH,
                    id="customer-no",
                )
                customer_no.set_reactive(Input.cursor_blink, app.input_cursor_blink)
                yield customer_no
                yield Static("", id="customer-no-message", classes="field-message", markup=False)
                yield Label(tr("login.pin"), id="pin-label", classes="field-label", markup=False)
                pin = Input(
                    placeholder=tr("login.pin.placeholder"),
                    password=True,
                    max_length=PIN_LENGTH,
                    id="pin",
                )
                pin.set_reactive(Input.cursor_blink, app.input_cursor_blink)
                yield pin
                yield Static("", id="pin-message", classes="field-message", markup=False)
            yield Static("", id="login-status", markup=False)
            yield Static(
                Content(tr.fill(notice.key, **notice.values) if notice else ""),
                id="database-status",
                classes="-error" if notice and notice.error else "",
            )
        yield Footer()

    def on_mount(self) -> None:
        self.call_after_refresh(self.app.first_screen_painted)

    def _remembered_customer_no(self) -> str:
        settings = self.app.settings
        if settings.kiosk:
            return ""
        return read_remembered_customer_no(settings.paths.state_file)

    # Texts ----------------------------------------------------------------------------------

    def refresh_texts(self) -> None:
        tr = self.tr
        self.query_one("#login-heading", Static).update(Content(tr("login.heading")))
        self.query_one("#login-intro", Static).update(Content(tr("login.intro")))
        self.query_one("#customer-no-label", Label).update(Content(tr("login.customer_no")))
        self.query_one("#pin-label", Label).update(Content(tr("login.pin")))
        self.query_one("#customer-no", Input).placeholder = tr("login.customer_no.placeholder")
        self.query_one("#pin", Input).placeholder = tr("login.pin.placeholder")
        self._show_field_problems()
        self._show_status()
        self.refresh_database_status()

    def _show_field_problems(self) -> None:
        for field, problem in self._field_problems.items():
            self.query_one(f"#{field}", Input).set_class(problem is not None, "-invalid")
            self.query_one(f"#{field}-message", Static).update(
                Content(self.tr(problem) if problem else "")
            )

    def _set_status(self, key: str | None, *, error: bool = False, **values: object) -> None:
        self._status = (key, values) if key else None
        self._status_is_error = error
        self._show_status()

    def _show_status(self) -> None:
        status = self.query_one("#login-status", Static)
        text = self.tr.fill(self._status[0], **self._status[1]) if self._status else ""
        status.update(Content(text))
        status.set_class(self._status_is_error, "-error")

    def refresh_database_status(self) -> None:
        """Show what the app knows about the database (opening, failed, empty, ...)."""
        notice = self.app.database_notice
        widget = self.query_one("#database-status", Static)
        widget.update(Content(self.tr.fill(notice.key, **notice.values) if notice else ""))
        widget.set_class(bool(notice and notice.error), "-error")
        self.refresh_bindings()

    # Validation and submitting --------------------------------------------------------------

    @on(Input.Changed)
    def _field_changed(self, event: Input.Changed) -> None:
        field = event.input.id or ""
        if field == "customer-no":
            self._field_problems[field] = customer_no_problem(event.value, submitting=False)
        elif field == "pin":
            self._field_problems[field] = pin_problem(event.value, submitting=False)
        self._show_field_problems()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "submit":
            # Offered (in the Footer) only when a log-in can be tried now; otherwise Enter
            # falls through to the Input, whose Submitted message says why not.
            return self.app.services is not None and not self._busy
        return True

    def action_submit(self) -> None:
        self.submit()

    @on(Input.Submitted)
    def submit(self) -> None:
        """Enter in either field: check the form, then log in in a worker."""
        if self._busy:
            return
        customer_no = self.query_one("#customer-no", Input)
        pin = self.query_one("#pin", Input)
        self._field_problems["customer-no"] = customer_no_problem(customer_no.value, submitting=True)
        self._field_problems["pin"] = pin_problem(pin.value, submitting=True)
        self._show_field_problems()
        if self._field_problems["customer-no"]:
            customer_no.focus()
            return
        if self._field_problems["pin"]:
            pin.focus()
            return
        if self.app.services is None:
            self._set_status("login.wait_for_database")
            return
        self._busy = True
        self._set_status("login.busy")
        self.refresh_database_status()
        self._log_in(normalize_digits(customer_no.value), normalize_digits(pin.value))

    @work(thread=True, exclusive=True, group="login", exit_on_error=False)
    def _log_in(self, customer_no: str, pin: str) -> None:
        from wsnego_tui.core.views import LoginOutcome

        app = self.app
        try:
            result = app.services.login(customer_no, pin)
        except Exception:
            log.exception("logging in failed")
            self.post_message(self.Finished(None))
            return
        if result.outcome is LoginOutcome.OK and not app.settings.kiosk:
            try:
                remember_customer_no(app.settings.paths.state_file, customer_no)
            except OSError:
                log.warning("could not remember the customer number", exc_info=True)
        self.post_message(self.Finished(result))

    def on_login_screen_finished(self, message: Finished) -> None:
        from wsnego_tui.core.views import LoginOutcome

        self._busy = False
        pin = self.query_one("#pin", Input)
        pin.value = ""
        self._field_problems["pin"] = None
        result = message.result
        if result is None:
            self._set_status("login.failed", error=True)
        elif result.outcome is LoginOutcome.OK and result.customer is not None:
            self._set_status(None)
            self.app.open_loans(result.customer)
        elif result.outcome is LoginOutcome.LOCKED and result.locked_until is not None:
            self._set_status("login.locked", error=True, until=result.locked_until)
        else:
            self._set_status("login.rejected", error=True)
        self._show_field_problems()
        self.refresh_database_status()
        if result is None or result.outcome is not LoginOutcome.OK:
            pin.focus()

    def reset(self) -> None:
        """Back from a session: no PIN, no messages; the remembered number (not in kiosk)."""
        self._busy = False
        self._field_problems = {"customer-no": None, "pin": None}
        self._set_status(None)
        customer_no = self.query_one("#customer-no", Input)
        with customer_no.prevent(Input.Changed):
            customer_no.value = self._remembered_customer_no()
        pin = self.query_one("#pin", Input)
        with pin.prevent(Input.Changed):
            pin.value = ""
        self._show_field_problems()
        self.refresh_database_status()
        (pin if customer_no.value else customer_no).focus()
