"""The terminal driver: Textual's Linux driver, with an input thread that reports a lone Esc
as soon as the escape delay is over.

A lone Esc byte may be the start of an arrow key's sequence, so Textual's input parser holds
it for the escape delay (`ESCDELAY`, in milliseconds, as for curses programs) before it
reports the Esc key. But Textual's input thread asks the parser whether that delay is over
only when its wait for more input ends, every 100 ms, whatever the delay: with it, Esc (the
key that goes back on every screen of this app) comes 100 ms after it is pressed even with
`ESCDELAY=10`. Here the wait for input ends when the parser's delay does.

The command line and the SSH server's fork server set `ESCDELAY` to 25 ms when it is not set
(`config.set_default_escape_delay`).

Imports Textual: used by the apps only, never by core/ or store/.
"""

from __future__ import annotations

import contextlib
import os
import selectors
from codecs import getincrementaldecoder

from textual._parser import ParseError
from textual._time import get_time
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

IDLE_WAIT_SECONDS = 0.1
"""The longest wait for input before the thread checks whether the app is ending."""


def seconds_to_wait(parser: XTermParser) -> float:
    """How long the input thread may wait for input: until the parser's pending Esc (or the
    rest of a sequence) times out, and never longer than IDLE_WAIT_SECONDS."""
    deadline = parser._timeout_time
    if deadline is None:
        return IDLE_WAIT_SECONDS
    return min(IDLE_WAIT_SECONDS, max(0.0, deadline - get_time()))


class PromptEscapeDriver(LinuxDriver):
    """LinuxDriver whose input thread wakes when the parser's escape delay ends."""

    def run_input_thread(self) -> None:
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode
        with selectors.DefaultSelector() as selector:
            selector.register(self.fileno, selectors.EVENT_READ)
            try:
                while not self.exit_event.is_set():
                    if selector.select(seconds_to_wait(parser)):
                        data = os.read(self.fileno, 4096)
                        if not data:  # end of input (a pipe): stop reading, keep the timeouts
                            selector.unregister(self.fileno)
                            continue
                        for event in parser.feed(decode(data)):
                            self.process_message(event)
                    for event in parser.tick():
                        self.process_message(event)
            finally:
                # The app is ending: what is left in the parser is dropped, as Textual does.
                with contextlib.suppress(EOFError, ParseError):
                    for _event in parser.feed(""):
                        pass
