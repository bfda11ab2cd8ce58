"""The log-in form both apps start with: an account number and a 6-digit PIN (masked).

`PinLoginScreen` validates as the user types (the number field's own rule, digits only for the
PIN) and on Enter (both fields filled, six PIN digits); full-width digits typed through a
Chinese input method count as digits. Enter is offered in the Footer only once the app's
services are ready and no attempt is running; before the database is open Enter says to wait.
The attempt runs in a thread worker; a rejected log-in shows one message that never says
whether the number exists, a locked one says until when, and the PIN is cleared after every
attempt.

The PIN's scrypt starts as soon as both fields are complete, before Enter
(screens/early_pin.py): it answers nothing and counts no attempt; only Enter does.

A subclass names its number field (`NUMBER_FIELD`, its label and placeholder keys and length),
the app attribute holding its services (`SERVICES_ATTR`), how a typed number is checked
(`number_problem`) and normalised (`normalize_number`), how to log in (`log_in_with`, run in
the worker) and what a successful log-in opens (`open_session`). The borrower's screen is
screens/login.py, the officer console's screens/officer_login.py.

Imports nothing heavy (the log-in screen paints before the store and the services are
imported); never shows data as markup.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Footer, Input, Label, Static

from wsnego_tui.screens.base import WsnegoScreen
from wsnego_tui.screens.early_pin import EarlyPinCheck, PinPrecheck
from wsnego_tui.widgets.cells import show
from wsnego_tui.widgets.title_bar import TitleBar

log = logging.getLogger(__name__)

PIN_LENGTH = 6

_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def normalize_digits(text: str) -> str:
    """`text` without surrounding spaces and with full-width digits (０-９) made ASCII."""
    return text.strip().translate(_FULL_WIDTH_DIGITS)


def all_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def pin_problem(value: str, *, submitting: bool) -> str | None:
    """The i18n key of what is wrong with a typed PIN, or None."""
    pin = normalize_digits(value)
    if not pin:
        return "login.error.pin_required" if submitting else None
    if not all_ascii_digits(pin):
        return "login.error.digits_only"
    if submitting and len(pin) != PIN_LENGTH:
        return "login.error.pin_length"
    return None


class PinLoginScreen(WsnegoScreen[None]):
    """A number + PIN log-in form; subclasses fill in the class attributes and hooks below."""

    NUMBER_FIELD: ClassVar[str]
    """The id of the number's Input (its label is `<id>-label`, its message `<id>-message`)."""
    NUMBER_MAX_LENGTH: ClassVar[int]
    HEADING_KEY: ClassVar[str]
    INTRO_KEY: ClassVar[str]
    NUMBER_LABEL_KEY: ClassVar[str]
    NUMBER_PLACEHOLDER_KEY: ClassVar[str]
    REJECTED_KEY: ClassVar[str] = "login.rejected"
    SERVICES_ATTR: ClassVar[str]
    """The app attribute that holds the services once the database is open (None before)."""
    FOOTER: ClassVar[type[Footer]] = Footer

    BINDINGS = [Binding("enter", "submit", "Log in", id="login.submit", priority=True)]

    class Finished(Message):
        """The log-in worker's answer (None when the services failed)."""

        def __init__(self, result: Any) -> None:
            super().__init__()
            self.result = result

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)
        self._field_problems: dict[str, str | None] = {self.NUMBER_FIELD: None, "pin": None}
        self._status: tuple[str, dict[str, object]] | None = None
        self._status_is_error = False
        self._busy = False
        self.early_pin = EarlyPinCheck(self, self._pin_check, group="pin-precheck")

    # What a subclass says -------------------------------------------------------------------

    def number_problem(self, value: str, *, submitting: bool) -> str | None:
        """The i18n key of what is wrong with a typed number, or None."""
        raise NotImplementedError

    def normalize_number(self, value: str) -> str:
        """The typed number as the services take it."""
        return normalize_digits(value)

    def initial_number(self) -> str:
        """The number the form starts with (and returns to after a session)."""
        return ""

    def log_in_with(self, services: Any, number: str, pin: str, check: Any) -> Any:
        """Log in through `services` (in the worker thread), with the early PIN check (or
        None); the services' result."""
        raise NotImplementedError

    def after_log_in(self, result: Any, number: str) -> None:
        """Work that can wait until the answer is on its way (in the worker thread)."""

    def open_session(self, result: Any) -> bool:
        """Open what a successful log-in leads to; False when `result` names no account."""
        raise NotImplementedError

    @property
    def services(self) -> Any:
        return getattr(self.app, self.SERVICES_ATTR)

    # Building -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        app = self.app
        tr = self.tr
        number_id = self.NUMBER_FIELD
        initial = self.initial_number()
        notice = app.database_notice
        # Focus lands once, where typing starts: the PIN when the number is already there.
        self.AUTO_FOCUS = "#pin" if initial else f"#{number_id}"
        yield TitleBar(icon="¥")
        with Vertical(id="login-panel"):
            yield Static(tr(self.HEADING_KEY), id="login-heading", classes="heading", markup=False)
            yield Static(tr(self.INTRO_KEY), id="login-intro", markup=False)
            # One grid (label | field | message) rather than a container per row: every
            # widget less is start-up time saved before the first paint.
            with Grid(id="login-form"):
                yield Label(tr(self.NUMBER_LABEL_KEY), id=f"{number_id}-label", classes="field-label", markup=False)
                number = Input(
                    initial,
                    placeholder=tr(self.NUMBER_PLACEHOLDER_KEY),
                    max_length=self.NUMBER_MAX_LENGTH,
                    id=number_id,
                )
                number.set_reactive(Input.cursor_blink, app.input_cursor_blink)
                yield number
                yield Static("", id=f"{number_id}-message", classes="field-message", markup=False)
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
        yield self.FOOTER()

    def on_mount(self) -> None:
        self.call_after_refresh(self.app.first_screen_painted)

    # Texts ----------------------------------------------------------------------------------

    def refresh_texts(self) -> None:
        tr = self.tr
        number_id = self.NUMBER_FIELD
        self.query_one("#login-heading", Static).update(Content(tr(self.HEADING_KEY)))
        self.query_one("#login-intro", Static).update(Content(tr(self.INTRO_KEY)))
        self.query_one(f"#{number_id}-label", Label).update(Content(tr(self.NUMBER_LABEL_KEY)))
        self.query_one("#pin-label", Label).update(Content(tr("login.pin")))
        self.query_one(f"#{number_id}", Input).placeholder = tr(self.NUMBER_PLACEHOLDER_KEY)
        self.query_one("#pin", Input).placeholder = tr("login.pin.placeholder")
        self._show_field_problems()
        self._show_status()
        self.refresh_database_status()

    def _show_field_problems(self) -> None:
        for field, problem in self._field_problems.items():
            self.query_one(f"#{field}", Input).set_class(problem is not None, "-invalid")
            show(self.query_one(f"#{field}-message", Static), Content(self.tr(problem) if problem else ""))

    def _set_status(self, key: str | None, *, error: bool = False, **values: object) -> None:
        self._status = (key, values) if key else None
        self._status_is_error = error
        self._show_status()

    def _show_status(self) -> None:
        status = self.query_one("#login-status", Static)
        text = self.tr.fill(self._status[0], **self._status[1]) if self._status else ""
        show(status, Content(text))
        status.set_class(self._status_is_error, "-error")

    def refresh_database_status(self) -> None:
        """Show what the app knows about the database (opening, failed, empty, ...)."""
        notice = self.app.database_notice
        widget = self.query_one("#database-status", Static)
        show(widget, Content(self.tr.fill(notice.key, **notice.values) if notice else ""))
        widget.set_class(bool(notice and notice.error), "-error")
        self.refresh_bindings()

    # Validation and submitting --------------------------------------------------------------

    @on(Input.Changed)
    def _field_changed(self, event: Input.Changed) -> None:
        field = event.input.id or ""
        if field == self.NUMBER_FIELD:
            self._field_problems[field] = self.number_problem(event.value, submitting=False)
        elif field == "pin":
            self._field_problems[field] = pin_problem(event.value, submitting=False)
        self._show_field_problems()
        self.early_pin.update(self._complete_form())

    def _complete_form(self) -> tuple[str, str] | None:
        """The number and PIN as the services take them, if Enter would try them now."""
        number = self.query_one(f"#{self.NUMBER_FIELD}", Input).value
        pin = self.query_one("#pin", Input).value
        if self._busy or self.services is None:
            return None
        if self.number_problem(number, submitting=True) or pin_problem(pin, submitting=True):
            return None
        return self.normalize_number(number), normalize_digits(pin)

    def _pin_check(self, number: str, pin: str) -> Any:
        """The early check (in its worker): the services' `pin_check`."""
        return self.services.pin_check(number, pin)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "submit":
            # Offered (in the Footer) only when a log-in can be tried now; otherwise Enter
            # falls through to the Input, whose Submitted message says why not.
            return self.services is not None and not self._busy
        return True

    def action_submit(self) -> None:
        self.behind_typing(self.submit)

    @on(Input.Submitted)
    def submit(self) -> None:
        """Enter in either field: check the form, then log in in a worker."""
        if self._busy:
            return
        number = self.query_one(f"#{self.NUMBER_FIELD}", Input)
        pin = self.query_one("#pin", Input)
        self._field_problems[self.NUMBER_FIELD] = self.number_problem(number.value, submitting=True)
        self._field_problems["pin"] = pin_problem(pin.value, submitting=True)
        self._show_field_problems()
        if self._field_problems[self.NUMBER_FIELD]:
            number.focus()
            return
        if self._field_problems["pin"]:
            pin.focus()
            return
        if self.services is None:
            self._set_status("login.wait_for_database")
            return
        self._busy = True
        self._set_status("login.busy")
        self.refresh_database_status()
        number_value, pin_value = self.normalize_number(number.value), normalize_digits(pin.value)
        self._log_in(number_value, pin_value, self.early_pin.take(number_value, pin_value))

    @work(thread=True, exclusive=True, group="login", exit_on_error=False)
    def _log_in(self, number: str, pin: str, pending: PinPrecheck | None) -> None:
        check = pending.result() if pending is not None else None
        try:
            result = self.log_in_with(self.services, number, pin, check)
        except Exception:
            log.exception("logging in failed")
            result = None
        self.post_message(self.Finished(result))
        if result is not None:
            try:
                self.after_log_in(result, number)
            except Exception:
                log.exception("the work after a log-in failed")

    def on_pin_login_screen_finished(self, message: Finished) -> None:
        from wsnego_tui.core.views import LoginOutcome

        self._busy = False
        pin = self.query_one("#pin", Input)
        with pin.prevent(Input.Changed):
            pin.value = ""
        self._field_problems["pin"] = None
        result = message.result
        opened = False
        if result is None:
            self._set_status("login.failed", error=True)
        elif result.outcome is LoginOutcome.OK and self.open_session(result):
            self._set_status(None)
            opened = True
        elif result.outcome is LoginOutcome.LOCKED and result.locked_until is not None:
            self._set_status("login.locked", error=True, until=result.locked_until)
        else:
            self._set_status(self.REJECTED_KEY, error=True)
        self._show_field_problems()
        self.refresh_database_status()
        if not opened:
            pin.focus()

    def reset(self) -> None:
        """Back from a session: no PIN, no messages; the number the form starts with."""
        self._busy = False
        self.early_pin.drop()
        self._field_problems = {self.NUMBER_FIELD: None, "pin": None}
        self._set_status(None)
        number = self.query_one(f"#{self.NUMBER_FIELD}", Input)
        with number.prevent(Input.Changed):
            number.value = self.initial_number()
        pin = self.query_one("#pin", Input)
        with pin.prevent(Input.Changed):
            pin.value = ""
        self._show_field_problems()
        self.refresh_database_status()
        (pin if number.value else number).focus()
