"""Kiosk mode inside the app: the idle lock, the end of every session, and the apology.

`KioskSupervisor` is created by the app in kiosk mode only. The app hands it every input
event first (`noticed_activity`), every unexpected exception (`handle_error`) and every
log-out (`session_ended`):

- Idle lock: a session (a customer logged in, or any screen over the log-in screen) left
  without a key press, click or paste for `kiosk_idle_seconds` gets the `IdleDialog`, which
  counts down `kiosk_countdown_seconds` and then logs out. Any key or click resets the timer;
  while a kiosk dialog is up, that key only closes it (it does not reach the screen below). A
  half-typed log-in form left idle is simply emptied.
- Every session ends at an empty log-in screen in the branch's default language and theme,
  with notifications dropped and the whole terminal repainted.
- The inbox: at each log-in (`session_started`) the supervisor's inbox window
  (services.proof_files.InboxWindow) opens at that time, so the picker lists, and the intake
  takes, only the scans made since; at the log-out it closes on everything left there.
- An unexpected error: the traceback goes to the log (kiosk.log), the session is logged out and
  `ApologyDialog` says sorry. When the app itself cannot go on (the error was in the app's
  own message loop or the log-in screen, or errors repeat), it exits with status 1 without
  printing the traceback; `run_app` then prints a one-line apology.

Never shows an exception's text or traceback on the screen; never touches the database.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from textual import events
from textual._context import active_message_pump
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from wsnego_tui.kiosk import KioskTimes
from wsnego_tui.screens.base import WsnegoModal
from wsnego_tui.services.proof_files import INBOX_CLOCK_SLACK_SECONDS, InboxWindow

if TYPE_CHECKING:
    from wsnego_tui.app import WsnegoApp

log = logging.getLogger(__name__)

ACTIVITY_EVENTS = (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp, events.Paste)
"""What counts as the customer being there (a mouse merely moving does not)."""

ERRORS_BEFORE_GIVING_UP = 3
ERROR_WINDOW_SECONDS = 60.0


class KioskNotice(WsnegoModal[None]):
    """A kiosk dialog that the next key or click closes (the supervisor does it)."""


class IdleDialog(KioskNotice):
    """"Are you still there?" with the seconds left before the log-out."""

    def __init__(self, deadline: float) -> None:
        super().__init__(id="kiosk-idle")
        self.deadline = deadline

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def compose(self) -> ComposeResult:
        with Vertical(id="kiosk-idle-box", classes="kiosk-box"):
            yield Static(self.tr("kiosk.idle.title"), id="kiosk-idle-title", classes="heading", markup=False)
            yield Static(self._body(), id="kiosk-idle-body", markup=False)

    def _body(self) -> str:
        return self.tr("kiosk.idle.body", seconds=max(0, round(self.remaining() + 0.49)))

    def show_remaining(self) -> None:
        self.query_one("#kiosk-idle-body", Static).update(Content(self._body()))

    def refresh_texts(self) -> None:
        self.query_one("#kiosk-idle-title", Static).update(Content(self.tr("kiosk.idle.title")))
        self.show_remaining()


class ApologyDialog(KioskNotice):
    """A short apology after an unexpected error; never says what the error was."""

    def __init__(self) -> None:
        super().__init__(id="kiosk-apology")

    def compose(self) -> ComposeResult:
        with Vertical(id="kiosk-apology-box", classes="kiosk-box"):
            yield Static(self.tr("kiosk.apology.title"), id="kiosk-apology-title", classes="heading", markup=False)
            yield Static(self.tr("kiosk.apology.body"), id="kiosk-apology-body", markup=False)

    def refresh_texts(self) -> None:
        self.query_one("#kiosk-apology-title", Static).update(Content(self.tr("kiosk.apology.title")))
        self.query_one("#kiosk-apology-body", Static).update(Content(self.tr("kiosk.apology.body")))


class KioskSupervisor:
    """The kiosk rules of one app; see the module docstring."""

    def __init__(self, app: WsnegoApp) -> None:
        self.app = app
        self.times = KioskTimes.from_settings(app.settings)
        self.last_activity = time.monotonic()
        self._error_times: list[float] = []
        self._inbox_closed_at = time.time()
        """When the inbox was last closed (the app's start, the last log-out): wall clock."""
        self.inbox: InboxWindow = self._closed_inbox()
        """What of the inbox the customer now at the kiosk may see and attach (nothing there
        before their log-in); the proofs screen passes it to the picker and the intake."""

    def start(self) -> None:
        self.app.set_interval(self.times.tick_seconds, self._tick, name="kiosk-idle")

    # The inbox: each customer sees only the scans made since their own log-in ----------------

    def session_started(self) -> None:
        """A customer has logged in: from now on the inbox offers the files modified since
        (less a little for coarse file times, but never from before the last log-out)."""
        since = max(time.time() - INBOX_CLOCK_SLACK_SECONDS, self._inbox_closed_at)
        self.inbox = InboxWindow.opened(self.app.settings.proof_roots, since=since)

    def _closed_inbox(self) -> InboxWindow:
        """No customer: nothing in the inbox so far is anyone's to attach."""
        self._inbox_closed_at = time.time()
        return InboxWindow.opened(self.app.settings.proof_roots, since=self._inbox_closed_at)

    # Activity and the idle lock -------------------------------------------------------------

    def noticed_activity(self, event: events.Event) -> bool:
        """Note a key or click; True when it only closed a kiosk dialog (swallow it)."""
        if not isinstance(event, ACTIVITY_EVENTS):
            return False
        self.last_activity = time.monotonic()
        if isinstance(self.app.screen, KioskNotice):
            self.app.pop_screen()
            return True
        return False

    def _has_session(self) -> bool:
        return self.app.customer is not None or len(self.app.screen_stack) > 1

    def _tick(self) -> None:
        app = self.app
        top = app.screen
        if isinstance(top, IdleDialog):
            if top.remaining() <= 0:
                log.info("kiosk session locked after %.0f s idle", self.times.idle_seconds)
                app.logout()
            else:
                top.show_remaining()
            return
        if time.monotonic() - self.last_activity < self.times.idle_seconds:
            return
        if isinstance(top, ApologyDialog):
            app.pop_screen()
            self.last_activity = time.monotonic()
        elif self._has_session():
            app.push_screen(IdleDialog(time.monotonic() + self.times.countdown_seconds))
        elif self._login_form_has_text():
            app.logout()

    def _login_form_has_text(self) -> bool:
        from textual.widgets import Input

        login = self.app.screen_stack[0]
        if getattr(login, "_busy", False):  # a log-in is being checked: not idle
            return False
        return any(field.value for field in login.query(Input))

    # The end of a session ---------------------------------------------------------------------

    def session_ended(self) -> None:
        """After the app's log-out: the next customer starts with the branch's defaults."""
        app = self.app
        self.inbox = self._closed_inbox()
        app.clear_notifications()
        app._clipboard = ""
        if app.lang != app.settings.lang:
            app.action_toggle_language()
        default_theme = "textual-light" if app.settings.extra.get("theme") == "light" else "textual-dark"
        if app.theme != default_theme:
            app.theme = default_theme
        self.last_activity = time.monotonic()
        app.refresh(repaint=True, layout=True)

    # Unexpected errors ----------------------------------------------------------------------

    def handle_error(self, error: BaseException) -> None:
        """Log the traceback; log out with an apology, or end the process quietly."""
        log.error("unexpected error in a kiosk session", exc_info=error)
        app = self.app
        now = time.monotonic()
        self._error_times = [t for t in self._error_times if now - t < ERROR_WINDOW_SECONDS] + [now]
        if self._can_recover() and len(self._error_times) <= ERRORS_BEFORE_GIVING_UP:
            app.call_later(self._recover)
            return
        log.error("the kiosk app cannot go on after the error; ending the session")
        app._exit_renderables.clear()
        app._return_code = 1
        app._close_messages_no_wait()

    def _can_recover(self) -> bool:
        """Whether the part that failed can be thrown away: a screen above the log-in screen
        (or a widget on one). Its message loop has stopped; logging out removes it."""
        app = self.app
        if not app.is_running or len(app.screen_stack) < 2:
            return False
        pump = active_message_pump.get(None)
        screen: Screen[object] | None = None
        if isinstance(pump, Screen):
            screen = pump
        elif isinstance(pump, Widget):
            try:
                screen = pump.screen
            except Exception:
                screen = None
        return screen is not None and screen is not app.screen_stack[0] and screen in app.screen_stack

    def _recover(self) -> None:
        self.app.logout()
        self.app.push_screen(ApologyDialog())
