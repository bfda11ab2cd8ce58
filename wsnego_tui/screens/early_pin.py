"""The early PIN check of the forms that ask for the 6-digit PIN: the log-ins and the agreement.

scrypt takes about 50 ms on purpose, and it was the first thing Enter did. A form now starts
it as soon as everything Enter would send is complete, in a thread worker, so that by the time
a person presses Enter it is usually done and the step only has its transaction left.

An early check answers nothing and counts no attempt. The services' step it is handed to
(a log-in, accepting an offer) answers, counts a wrong PIN, ignores a check made for another
PIN and checks again when the hash has changed since (core.pins.PinCheck). A form starts one
check at a time: when it changes meanwhile, the next one starts as that one ends. Besides its
Input, the PIN is kept only in the check, which is dropped at the attempt, when the form no
longer matches it, and when the form is reset.

Imports nothing heavy: the log-in screen paints before the services are imported.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from textual.widget import Widget

log = logging.getLogger(__name__)

WAIT_SECONDS = 10.0
"""How long an attempt waits for an early check before making its own."""


class PinPrecheck:
    """A PIN check started before Enter, for the subject (a customer or officer number, a
    customer id) and PIN typed then. `check` is the services' answer (None if it failed) once
    `done` is set."""

    def __init__(self, subject: str, pin: str) -> None:
        self.subject = subject
        self.pin = pin
        self.done = threading.Event()
        self.check: Any = None

    def is_for(self, subject: str, pin: str) -> bool:
        import hmac  # with hashlib and OpenSSL's: about 2.5 ms, kept out of the first paint

        return self.subject == subject and hmac.compare_digest(self.pin.encode(), pin.encode())

    def result(self) -> Any:
        """In the attempt's worker: the check, once done (None if it failed or took too long)."""
        return self.check if self.done.wait(WAIT_SECONDS) else None


class EarlyPinCheck:
    """The early checks of one form. `check(subject, pin)` runs in a thread worker of `owner`
    and returns the services' PinCheck."""

    def __init__(self, owner: Widget, check: Callable[[str, str], Any], *, group: str) -> None:
        self._owner = owner
        self._check = check
        self._group = group
        self._wanted: tuple[str, str] | None = None
        self._pending: PinPrecheck | None = None

    @property
    def pending(self) -> PinPrecheck | None:
        """The check kept now (running or done), if any."""
        return self._pending

    def update(self, form: tuple[str, str] | None) -> None:
        """The form changed: `form` is the subject and PIN Enter would send now, or None."""
        self._wanted = form
        self._advance()

    def take(self, subject: str, pin: str) -> PinPrecheck | None:
        """At Enter: the check made for exactly this subject and PIN, if any. Nothing is kept
        here afterwards (a check still running for something else just ends)."""
        pending = self._pending
        self.drop()
        return pending if pending is not None and pending.is_for(subject, pin) else None

    def drop(self) -> None:
        self._wanted = None
        self._pending = None

    def _advance(self) -> None:
        pending, wanted = self._pending, self._wanted
        if pending is not None and (wanted is None or not pending.is_for(*wanted)):
            if not pending.done.is_set():
                return  # one at a time: _advance runs again when it ends
            self._pending = pending = None
        if wanted is None or pending is not None:
            return
        self._pending = PinPrecheck(*wanted)
        self._owner.run_worker(partial(self._run, self._pending), thread=True, group=self._group, exit_on_error=False)

    def _run(self, pending: PinPrecheck) -> None:
        try:
            pending.check = self._check(pending.subject, pending.pin)
        except Exception:
            log.exception("checking the PIN early failed")  # the attempt checks it itself
        finally:
            pending.done.set()
        self._owner.call_later(self._advance)  # thread-safe; a closed screen takes nothing
