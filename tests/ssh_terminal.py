"""An SSH client with a screen, for the serve-ssh tests and scripts/load_ssh.py.

`open_terminal()` connects with asyncssh, asks for a pty of the given size and feeds every
byte the server sends into a pyte screen, so a test can wait for text to appear where a
person would see it. The bytes are stamped with the time they arrive and parsed only when the
screen is read: with many sessions in one client process, one session's parsing does not
delay when another's bytes are seen, and `wait_for` reports when the bytes that made the
screen show its text arrived (what a terminal of its own would have shown then), not when
this process got round to parsing them. Also starts `wsnego-tui serve-ssh` on a free loopback port
(`start_server`), with a temp home and the demo data.

Test support only: never used by the app.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import asyncssh
import pyte

ENTER = "\r"
ESCAPE = "\x1b"
DOWN = "\x1b[B"
TAB = "\t"


class TerminalClient(asyncssh.SSHClientSession):  # type: ignore[type-arg]
    """What the client's terminal shows, from the channel's bytes (parsed when it is read)."""

    def __init__(self, columns: int, rows: int) -> None:
        self.screen = pyte.Screen(columns, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.stderr = bytearray()
        self.received = 0
        self.chunks: list[tuple[float, bytes]] = []  # (arrival time, bytes), every chunk received
        self.parsed = 0  # how many of them the screen has been fed
        self.shown_at = 0.0  # when the bytes of the screen as parsed so far arrived
        self.exit_status: int | None = None
        self.closed = asyncio.Event()
        self.changed = asyncio.Event()
        self.chan: asyncssh.SSHClientChannel[bytes] | None = None

    def connection_made(self, chan: asyncssh.SSHClientChannel[bytes]) -> None:  # type: ignore[override]
        self.chan = chan

    def data_received(self, data: bytes, datatype: int | None) -> None:  # type: ignore[override]
        if datatype == asyncssh.EXTENDED_DATA_STDERR:
            self.stderr += data
        self.chunks.append((time.monotonic(), data))
        self.received += len(data)
        self.changed.set()

    def exit_status_received(self, status: int) -> None:
        self.exit_status = status

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed.set()
        self.changed.set()

    def _parse_next(self) -> bool:
        """Parse the oldest bytes not parsed yet; False when there were none."""
        if self.parsed == len(self.chunks):
            return False
        self.shown_at, data = self.chunks[self.parsed]
        self.parsed += 1
        self.stream.feed(data)
        return True

    def _parse_all(self) -> None:
        while self._parse_next():
            pass

    def line(self, row: int) -> str:
        """One row as text, every byte received parsed."""
        self._parse_all()
        return self._parsed_line(row)

    def text(self) -> str:
        self._parse_all()
        return self._parsed_text()

    def _parsed_text(self) -> str:
        return "\n".join(self._parsed_line(row) for row in range(self.screen.lines))

    def _parsed_line(self, row: int) -> str:
        """One row as parsed so far. (pyte's own `display` fails on the empty stub cell a wide
        character leaves when a narrow one overwrites it; joining the cells skips stubs.)"""
        cells = self.screen.buffer[row]
        return "".join(cells[x].data for x in range(self.screen.columns)).rstrip()

    def resize(self, columns: int, rows: int) -> None:
        self._parse_all()
        self.screen.resize(rows, columns)
        assert self.chan is not None
        self.chan.change_terminal_size(columns, rows)

    def send(self, data: str) -> None:
        assert self.chan is not None
        self.chan.write(data.encode())

    async def wait_for(self, condition: str | Callable[[str], bool], timeout: float = 20.0) -> float:
        """Until the screen shows `condition` (text, or a test of the whole screen's text);
        returns the time (time.monotonic) the bytes that made it show arrived. The screen is
        checked after each chunk of bytes, so that time is the first it showed the text."""
        check = (lambda screen: condition in screen) if isinstance(condition, str) else condition
        start = time.monotonic()
        while True:
            if check(self._parsed_text()):
                return self.shown_at
            if self._parse_next():
                await asyncio.sleep(0)  # other sessions' bytes are stamped as they arrive
                continue
            await self._more(start, timeout, f"the screen never showed {condition!r}")

    async def _more(self, start: float, timeout: float, failure: str) -> None:
        """Wait for more bytes; AssertionError (`failure`, then what the screen shows) once
        `timeout` seconds have passed since `start`, or the connection has ended."""
        left = timeout - (time.monotonic() - start)
        if left <= 0 or self.closed.is_set():
            raise AssertionError(f"{failure}; the screen shows:\n{self.text()}")
        self.changed.clear()
        try:
            await asyncio.wait_for(self.changed.wait(), left)
        except TimeoutError:
            pass

    def mark(self) -> int:
        """Where the bytes received so far end, for `wait_for_bytes`."""
        return len(self.chunks)

    async def wait_for_bytes(self, text: str, since: int, timeout: float = 20.0) -> float:
        """Until the bytes received after `since` (a `mark`) contain `text`, written out in
        one piece as the app writes a line's run of same-styled text; returns the time the
        chunk that completed it arrived. Nothing is parsed: the load script times keys this
        way and checks the screen itself (`wait_for`) after its walk."""
        needle = text.encode()
        start = time.monotonic()
        scanned, tail = since, b""
        while True:
            while scanned < len(self.chunks):
                arrived, data = self.chunks[scanned]
                scanned += 1
                window = tail + data
                if needle in window:
                    return arrived
                tail = window[-(len(needle) - 1) :] if len(needle) > 1 else b""
            await self._more(start, timeout, f"no bytes showing {text!r} arrived")


async def open_terminal(
    port: int,
    *,
    username: str = "kiosk",
    columns: int = 100,
    rows: int = 30,
    client_keys: list[asyncssh.SSHKey] | None = None,
    env: dict[str, str] | None = None,
    term: str | None = "xterm-256color",
) -> tuple[asyncssh.SSHClientConnection, asyncssh.SSHClientChannel[bytes], TerminalClient]:
    conn = await asyncssh.connect(
        "127.0.0.1", port, username=username, known_hosts=None,
        client_keys=client_keys or [], agent_path=None, password=None,
    )
    chan, session = await conn.create_session(
        lambda: TerminalClient(columns, rows),
        term_type=term,
        term_size=(columns, rows) if term else None,
        encoding=None,
        env=env or {},
    )
    return conn, chan, session


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    home: Path
    log: Path

    def children(self) -> list[int]:
        """The pids of the kiosk apps (one per session): the server's own child processes
        and the fork server's children; not the fork server itself."""
        pids: list[int] = []
        for pid in child_pids(self.proc.pid):
            if pid in self.fork_servers():
                pids += child_pids(pid)
            else:
                pids.append(pid)
        return pids

    def fork_servers(self) -> list[int]:
        """The server's fork server (normally one; none with prefork = false)."""
        return [pid for pid in child_pids(self.proc.pid) if is_fork_server(pid)]

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 20.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.wait()


def alive(pid: int) -> bool:
    """Whether `pid` is a running (not reaped, not zombie) process."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def child_pids(pid: int) -> list[int]:
    pids: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return pids
    for task in tasks:
        try:
            pids += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            pass
    return pids


def is_fork_server(pid: int) -> bool:
    """Whether `pid` runs `python -m wsnego_tui.forkserver` (its children, which never exec,
    have the same command line, so this holds only for the server's direct children)."""
    try:
        return b"wsnego_tui.forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def write_config(home: Path, ssh: dict[str, object], extra: str = "") -> None:
    lines = ["[ssh]"]
    for key, value in ssh.items():
        if isinstance(value, bool):
            lines.append(f"{key} = {str(value).lower()}")
        else:
            lines.append(f"{key} = {value!r}" if not isinstance(value, str) else f'{key} = "{value}"')
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(extra + "\n" + "\n".join(lines) + "\n", encoding="utf-8")


def load_demo(home: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "wsnego_tui", "--home", str(home), "demo", "load"],
        check=True, capture_output=True, env=_clean_env(),
    )


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "WSNEGO_"))}
    env.update(extra)
    return env


def start_server(home: Path, *args: str, env: dict[str, str] | None = None) -> Server:
    """`wsnego-tui --home HOME serve-ssh --port 0 ARGS`, once it listens."""
    log = home / "serve-ssh.log"
    handle = log.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "wsnego_tui", "--home", str(home), "serve-ssh", "--port", "0", *args],
        stdout=handle, stderr=subprocess.STDOUT, env=_clean_env(**(env or {})),
    )
    handle.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        match = re.search(r"serve-ssh listening on [\d.]+:(\d+)", log.read_text(errors="replace"))
        if match:
            return Server(proc, int(match.group(1)), home, log)
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"serve-ssh did not start:\n{log.read_text(errors='replace')}")
