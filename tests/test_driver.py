"""The terminal driver: a lone Esc is reported when the escape delay ends, not at the input
thread's next 100 ms wake-up; key sequences still arrive whole (wsnego_tui/driver.py)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time

import pytest
from textual import constants, events
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

from wsnego_tui.app import WsnegoApp
from wsnego_tui.config import DEFAULT_ESCAPE_DELAY_MS, load_settings, set_default_escape_delay
from wsnego_tui.driver import IDLE_WAIT_SECONDS, PromptEscapeDriver, seconds_to_wait

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the Linux driver")

ESCAPE_DELAY = 0.02


class RecordingDriver(PromptEscapeDriver):
    """The driver's input thread on a pipe, recording each event with the time it came."""

    def __init__(self, fd: int) -> None:
        handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGTSTP, signal.SIGCONT)}
        try:
            super().__init__(app=None)  # type: ignore[arg-type]  # the thread never posts to an app
        finally:
            for signum, handler in handlers.items():
                signal.signal(signum, handler)
        self.fileno = fd
        self.events: list[tuple[float, events.Event]] = []

    def process_message(self, message) -> None:  # type: ignore[no-untyped-def]
        self.events.append((time.monotonic(), message))


@pytest.fixture
def short_escape_delay(monkeypatch: pytest.MonkeyPatch) -> float:
    monkeypatch.setattr(constants, "ESCAPE_DELAY", ESCAPE_DELAY)  # read by the parser as it waits
    return ESCAPE_DELAY


async def run_thread(writes: list[tuple[float, bytes]], settle: float = 0.3) -> list[tuple[float, str]]:
    """Run the input thread on a pipe, write each chunk after its pause, and return (seconds
    after the last write, key) for every key event."""
    read_fd, write_fd = os.pipe()
    driver = RecordingDriver(read_fd)
    thread = threading.Thread(target=driver.run_input_thread, daemon=True)
    thread.start()
    try:
        await asyncio.sleep(0.05)  # the thread is waiting for input
        for pause, chunk in writes:
            await asyncio.sleep(pause)
            os.write(write_fd, chunk)
        written = time.monotonic()
        await asyncio.sleep(settle)
    finally:
        driver.exit_event.set()
        thread.join(2)
        os.close(write_fd)
        os.close(read_fd)
    assert not thread.is_alive()
    return [(at - written, event.key) for at, event in driver.events if isinstance(event, events.Key)]


def test_the_wait_for_input_ends_with_the_escape_delay(short_escape_delay: float) -> None:
    parser = XTermParser()
    assert seconds_to_wait(parser) == IDLE_WAIT_SECONDS
    list(parser.feed("\x1b"))
    assert 0 <= seconds_to_wait(parser) <= short_escape_delay  # what is left of the delay
    list(parser.feed("[A"))
    assert seconds_to_wait(parser) == IDLE_WAIT_SECONDS


async def test_a_lone_escape_is_reported_after_the_escape_delay(short_escape_delay: float) -> None:
    # Textual's own input thread reports it at its next wake-up, 100 ms after the byte came;
    # the best of three runs tolerates a busy machine.
    delays = []
    for _ in range(3):
        keys = await run_thread([(0, b"\x1b")])
        assert [key for _, key in keys] == ["escape"]
        delays.append(keys[0][0])
    # (timed from just after the write; the thread may have read the byte a moment before)
    assert short_escape_delay - 0.005 <= min(delays) < 0.08


async def test_sequences_and_other_keys_arrive_whole(short_escape_delay: float) -> None:
    keys = await run_thread([(0, b"\x1b[A"), (0, "年a\r".encode())])
    assert [key for _, key in keys] == ["up", "年", "a", "enter"]


async def test_a_key_after_the_escape_delay_is_a_key_of_its_own(short_escape_delay: float) -> None:
    keys = await run_thread([(0, b"\x1b"), (0.1, b"[A")])
    assert [key for _, key in keys] == ["escape", "left_square_bracket", "A"]


async def test_the_thread_does_not_spin_at_the_end_of_input() -> None:
    read_fd, write_fd = os.pipe()
    driver = RecordingDriver(read_fd)
    thread = threading.Thread(target=driver.run_input_thread, daemon=True)
    thread.start()
    os.close(write_fd)  # the end of input (a pipe): nothing more to read, ever
    await asyncio.sleep(0.1)
    cpu_before = time.process_time()
    await asyncio.sleep(0.3)
    busy = time.process_time() - cpu_before
    driver.exit_event.set()
    thread.join(2)
    os.close(read_fd)
    assert not thread.is_alive()
    assert busy < 0.1  # a thread spinning on the readable end would use about 0.3 s


async def test_the_app_uses_it_in_place_of_the_linux_driver(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = WsnegoApp(load_settings(home=tmp_path))
    assert issubclass(PromptEscapeDriver, LinuxDriver)
    assert app.driver_class is PromptEscapeDriver


def test_the_default_escape_delay_leaves_a_set_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ESCDELAY", raising=False)
    set_default_escape_delay()
    assert os.environ["ESCDELAY"] == str(DEFAULT_ESCAPE_DELAY_MS)
    monkeypatch.setenv("ESCDELAY", "200")
    set_default_escape_delay()
    assert os.environ["ESCDELAY"] == "200"
