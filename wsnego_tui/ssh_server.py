"""`wsnego-tui serve-ssh`: a built-in SSH server that gives every connection its own kiosk app.

The SSH protocol is asyncssh's; this module only decides what a connection may do:

- Each session that asks for a terminal gets its own `wsnego-tui --kiosk` process on its own
  pseudo-terminal (DESIGN.md section 7): the pty gets the client's size, is put in raw mode
  before the child starts, and becomes the controlling terminal of the child's new session
  (setsid + TIOCSCTTY), so window-size changes reach the app as SIGWINCH and a dropped server
  hangs its children up. The child's environment is built from scratch: PATH, HOME, TERM
  (from the pty request), LANG=C.UTF-8, two glibc malloc settings that keep a session's memory
  down, the server's own WSNEGO_* settings and the configured
  allowlist; nothing the client sends (TEXTUAL_*, COLUMNS, LINES, ...) ever reaches it.
- `prefork = true` (the default): the child is forked by the fork server
  (wsnego_tui/forkserver.py), a separate single-threaded process started with the kiosk
  child's environment, which has imported the kiosk app once; the server hands it the pty
  slave (SCM_RIGHTS) and the session's environment and gets back the child's pid and, later,
  its exit status. Same pty set-up, same environment, same command-line code path as the
  subprocess. A fork server that dies is restarted once and logged; after that, or with
  `prefork = false`, or where there is none, the child is the subprocess above.
- Bytes flow unchanged both ways (no encoding, no line editor). The session ends when the
  child ends (with its exit status) and the child is ended (SIGHUP to its process group,
  then SIGKILL, then reaped) when the session ends.
- Refused: sessions without a terminal (with a message), exec and subsystem requests (sftp,
  scp), agent, X11, TCP and Unix-socket forwarding, a second session on one connection. A
  connection whose session was refused is closed; so is one that has not started a session
  (a kiosk on a pty) within `login_timeout_seconds` of connecting.
- Access: public keys from an authorized_keys file, and/or an open kiosk user named in the
  configuration (the customer then logs in inside the app). With neither it will not start.
- Limits: concurrent sessions (extra ones are told the kiosk is busy), concurrent connections
  (`max_sessions` + CONNECTION_SLACK; extra ones are disconnected with "too many
  connections"), connections per address per minute, idle time without input, session
  length, time to log in and start a session.
- One log line per session: address, user, start, end, exit status, why it ended.
- SIGTERM / SIGINT: every open session is told, its child ended and reaped, then the server
  stops.

Configuration: the `[ssh]` table of config.toml (see `SSHSettings`), overridden by options.
The host key is generated on first start as <data>/ssh_host_ed25519_key with mode 0600; a key
readable by others is refused.

Never implements any SSH protocol itself; never runs anything but the kiosk command; never
passes the client's environment on.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import pty
import re
import signal
import socket
import struct
import subprocess
import sys
import termios
import time
import tty
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh
import click

from wsnego_tui.config import ConfigError, Settings

log = logging.getLogger("wsnego_tui.ssh")

HOST_KEY_NAME = "ssh_host_ed25519_key"
DEFAULT_TERM = "xterm-256color"
FORBIDDEN_ENV = re.compile(r"^(TEXTUAL|TEXTUAL_.*|COLUMNS|LINES|LD_.*|PYTHON.*)$", re.IGNORECASE)
SERVER_ENV = ("WSNEGO_HOME", "WSNEGO_DB_URL", "WSNEGO_LANG", "ESCDELAY")
TERM_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")
# What a terminal needs after an app that was killed mid-screen: leave the alternate screen,
# show the cursor, stop mouse reporting and bracketed paste, reset colours.
TERMINAL_RESET = b"\x1b[?1049l\x1b[?25h\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l\x1b[0m\r\n"
HANGUP_GRACE_SECONDS = 2.0
CONNECTION_SLACK = 4
FORK_SERVER_FLAGS = ("-OO", "-P")
"""Python's flags for the fork server, and so for every app it forks. `-P`: the working folder
is never searched for modules. `-OO`: no docstrings and no asserts in what it imports: every
forked app maps the fork server's memory, and without the docstrings of Textual, SQLAlchemy,
pydantic and the app that is about 5 MB less in each. Nothing a kiosk runs reads a
docstring, and the app's own asserts only restate what its types say. (Python compiles the
`.opt-2.pyc` files on the first start; the fork server then starts over from them.)"""
"""Connections allowed at once beyond `max_sessions`: clients still logging in, and those
being told the kiosk is busy. More are refused before the key exchange."""
CLOSE_AFTER_REFUSAL_SECONDS = 0.5  # lets the refusal's message and exit status go out first
FORK_REPLY_SECONDS = 60.0  # the first reply waits for the fork server's imports
FORK_SERVER_RESTARTS = 1

MESSAGES = {
    "no_pty": "This service needs an interactive terminal (connect with ssh -t).\r\n本服务需要交互式终端。\r\n",
    "busy": "All kiosk sessions are in use. Please try again in a few minutes.\r\n所有会话均在使用中，请稍后再试。\r\n",
    "idle": "The session was closed after a period without input.\r\n长时间无操作，会话已关闭。\r\n",
    "too_long": "The session reached its maximum length and was closed.\r\n会话已达最长时间，已关闭。\r\n",
    "shutdown": "The service is stopping. Goodbye.\r\n服务正在停止，再见。\r\n",
    "failed": "Sorry, the session could not be started.\r\n抱歉，无法开始会话。\r\n",
}


@dataclass(frozen=True)
class SSHSettings:
    """How `serve-ssh` listens and what it allows; `[ssh]` in config.toml."""

    host_key: Path
    listen: str = "127.0.0.1"
    port: int = 2222
    authorized_keys: Path | None = None
    open_user: str | None = None
    max_sessions: int = 20
    connections_per_minute: int = 20
    idle_timeout_seconds: float = 900.0
    max_session_seconds: float = 3600.0
    login_timeout_seconds: float = 30.0
    env_allowlist: tuple[str, ...] = ("TZ",)
    log_file: Path | None = None
    prefork: bool = True

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> SSHSettings:
        source = settings.paths.config_file
        table = settings.extra.get("ssh", {})
        if not isinstance(table, dict):
            raise ConfigError(f"{source}: [ssh] must be a table")
        values: dict[str, Any] = {"host_key": settings.paths.data_dir / HOST_KEY_NAME}
        for key, kind in (
            ("listen", str), ("port", int), ("authorized_keys", str), ("open_user", str),
            ("max_sessions", int), ("connections_per_minute", int), ("idle_timeout_seconds", (int, float)),
            ("max_session_seconds", (int, float)), ("login_timeout_seconds", (int, float)),
            ("host_key", str), ("log_file", str),
        ):
            if key in table:
                value = table[key]
                if isinstance(value, bool) or not isinstance(value, kind):
                    raise ConfigError(f"{source}: ssh.{key} has the wrong type")
                values[key] = value
        if "prefork" in table:
            if not isinstance(table["prefork"], bool):
                raise ConfigError(f"{source}: ssh.prefork must be true or false")
            values["prefork"] = table["prefork"]
        if "env_allowlist" in table:
            allow = table["env_allowlist"]
            if not isinstance(allow, list) or not all(isinstance(v, str) for v in allow):
                raise ConfigError(f"{source}: ssh.env_allowlist must be a list of variable names")
            values["env_allowlist"] = tuple(allow)
        values.update({k: v for k, v in overrides.items() if v is not None})
        for key in ("authorized_keys", "host_key", "log_file"):
            if values.get(key) is not None:
                values[key] = Path(str(values[key])).expanduser()
        cfg = cls(**values)
        cfg.check(source)
        return cfg

    def check(self, source: Path | str) -> None:
        if self.authorized_keys is None and not self.open_user:
            raise ConfigError(
                f"{source}: serve-ssh needs ssh.authorized_keys (public-key access) or ssh.open_user "
                "(an open kiosk user, for closed branch networks only)"
            )
        if self.authorized_keys is not None and not self.authorized_keys.is_file():
            raise ConfigError(f"authorized_keys file not found: {self.authorized_keys}")
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"{source}: ssh.port must be 0-65535")
        for name, value in (
            ("max_sessions", self.max_sessions), ("connections_per_minute", self.connections_per_minute),
            ("idle_timeout_seconds", self.idle_timeout_seconds), ("max_session_seconds", self.max_session_seconds),
            ("login_timeout_seconds", self.login_timeout_seconds),
        ):
            if value <= 0:
                raise ConfigError(f"{source}: ssh.{name} must be positive")
        bad = [name for name in self.env_allowlist if FORBIDDEN_ENV.match(name)]
        if bad:
            raise ConfigError(f"{source}: ssh.env_allowlist may not pass {', '.join(bad)}")


def load_host_key(path: Path) -> asyncssh.SSHKey:
    """The server's private key, generated (ed25519, mode 0600) if there is none yet."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = asyncssh.generate_private_key("ssh-ed25519")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key.export_private_key())
        log.info("generated host key %s (%s)", path, key.get_fingerprint())
        return key
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise ConfigError(f"host key {path} is readable by others (mode {mode:o}); chmod 600 it")
    return asyncssh.read_private_key(str(path))


def child_environment(term: str | None, allowlist: tuple[str, ...], environ: dict[str, str] | None = None) -> dict[str, str]:
    """The kiosk child's environment, from scratch; the client's variables never get in."""
    source = dict(os.environ if environ is None else environ)
    env = {
        "PATH": source.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": source.get("HOME", "/"),
        "TERM": term if term and TERM_PATTERN.match(term) else DEFAULT_TERM,
        "LANG": "C.UTF-8",
        # glibc: give large freed blocks (a PIN check's 16 MB of scrypt) back to the system,
        # and keep the worker threads to two malloc arenas: about 16 MB less per session.
        "MALLOC_MMAP_THRESHOLD_": "131072",
        "MALLOC_ARENA_MAX": "2",
    }
    for name in (*SERVER_ENV, *allowlist):
        if name in source and not FORBIDDEN_ENV.match(name):
            env[name] = source[name]
    return env


def set_window_size(fd: int, columns: int, rows: int) -> None:
    columns = max(1, min(int(columns), 1000))
    rows = max(1, min(int(rows), 1000))
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def _take_controlling_terminal() -> None:  # pragma: no cover - runs in the child
    """In the child, after setsid(): make the pty on stdin its controlling terminal."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class ForkServerError(Exception):
    """The fork server could not start a session (not running, refused, no reply)."""


class ForkedChild:
    """A kiosk child forked by the fork server: what KioskSession uses of asyncio's Process
    (`pid`, `returncode`, `wait()`), with the status the fork server reaped."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._exited = asyncio.Event()

    def set_returncode(self, returncode: int) -> None:
        if self.returncode is None:
            self.returncode = returncode
            self._exited.set()

    async def wait(self) -> int:
        await self._exited.wait()
        assert self.returncode is not None
        return self.returncode


class ForkServerClient:
    """The server's end of wsnego_tui/forkserver.py: starts it, asks it for kiosk children,
    gets their exit statuses. Started and restarted from the event loop's (main) thread,
    since PR_SET_PDEATHSIG follows the thread that started a process. Restarted
    FORK_SERVER_RESTARTS times after it died; after that sessions start as subprocesses."""

    def __init__(self, kiosk_args: tuple[str, ...], allowlist: tuple[str, ...]) -> None:
        self.kiosk_args = kiosk_args
        self.allowlist = allowlist
        self.restarts_left = FORK_SERVER_RESTARTS
        self.proc: subprocess.Popen[bytes] | None = None
        self.sock: socket.socket | None = None
        self.children: dict[int, ForkedChild] = {}
        self._replies: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._next_id = 0
        self._closing = False

    @property
    def running(self) -> bool:
        return self.sock is not None

    def start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.proc = subprocess.Popen(
                [sys.executable, *FORK_SERVER_FLAGS, "-m", "wsnego_tui.forkserver", str(theirs.fileno()),
                 str(os.getpid()), "--", *self.kiosk_args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=child_environment(None, self.allowlist),
                cwd="/",
                pass_fds=(theirs.fileno(),),
                start_new_session=True,
            )
        except OSError:
            ours.close()
            raise
        finally:
            theirs.close()
        ours.setblocking(False)
        self.sock = ours
        asyncio.get_running_loop().add_reader(ours.fileno(), self._readable)
        log.info("fork server pid=%d started", self.proc.pid)

    async def spawn(self, tty_fd: int, env: dict[str, str], cwd: str) -> ForkedChild:
        """A kiosk child on the pty `tty_fd` (the fork server gets its own copy)."""
        if self.sock is None:
            raise ForkServerError("not running")
        self._next_id += 1
        request_id = self._next_id
        reply: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._replies[request_id] = reply
        try:
            message = json.dumps({"op": "start", "id": request_id, "env": env, "cwd": cwd}).encode()
            try:
                socket.send_fds(self.sock, [message], [tty_fd])
            except OSError as exc:
                raise ForkServerError(f"cannot send the request: {exc}") from None
            try:
                answer = await asyncio.wait_for(asyncio.shield(reply), FORK_REPLY_SECONDS)
            except TimeoutError:
                log.warning("fork server gave no answer in %.0f s; killing it", FORK_REPLY_SECONDS)
                if self.proc is not None:
                    with contextlib.suppress(OSError):
                        self.proc.kill()
                raise ForkServerError("no answer") from None
        finally:
            self._replies.pop(request_id, None)
        if answer.get("op") != "started":
            raise ForkServerError(str(answer.get("error", "refused")))
        child = answer["child"]
        assert isinstance(child, ForkedChild)
        return child

    def _readable(self) -> None:
        assert self.sock is not None
        while self.sock is not None:
            try:
                data = self.sock.recv(1 << 16)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._lost()
                return
            try:
                message = json.loads(data)
                self._handle(message)
            except (ValueError, TypeError, KeyError, AttributeError):
                log.warning("fork server sent an unreadable message")

    def _handle(self, message: dict[str, Any]) -> None:
        op = message.get("op")
        if op == "ready":
            log.info("fork server pid=%d ready after %.1f s of imports%s", message["pid"], message["seconds"],
                     "".join(f"; {note}" for note in message.get("notes", [])))
        elif op == "refused":
            log.warning("fork server refused to start sessions: %s", "; ".join(message.get("problems", [])))
        elif op == "started":
            child = ForkedChild(int(message["pid"]))
            self.children[child.pid] = child
            self._answer({**message, "child": child})
        elif op == "failed":
            self._answer(message)
        elif op == "exit":
            child = self.children.pop(int(message["pid"]), None)
            if child is not None:
                child.set_returncode(int(message["returncode"]))

    def _answer(self, message: dict[str, Any]) -> None:
        reply = self._replies.get(message.get("id"))  # type: ignore[arg-type]
        if reply is not None and not reply.done():
            reply.set_result(message)

    def _lost(self) -> None:
        """The fork server ended: its children die with it (PR_SET_PDEATHSIG, and SIGKILL
        here for good measure); restart it once, or leave sessions to subprocesses."""
        assert self.sock is not None
        loop = asyncio.get_running_loop()
        loop.remove_reader(self.sock.fileno())
        self.sock.close()
        self.sock = None
        for reply in self._replies.values():
            if not reply.done():
                reply.set_result({"op": "failed", "error": "the fork server ended"})
        for pid, child in list(self.children.items()):
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
            child.set_returncode(-signal.SIGKILL)
        self.children.clear()
        proc = self.proc
        returncode = proc.poll() if proc is not None else None
        if proc is not None and returncode is None:
            loop.run_in_executor(None, proc.wait)
        if self._closing:
            return
        if self.restarts_left > 0:
            self.restarts_left -= 1
            log.warning("fork server pid=%s ended (status %s); restarting it", proc and proc.pid, returncode)
            try:
                self.start()
                return
            except OSError as exc:
                log.warning("cannot restart the fork server: %s", exc)
        log.warning("fork server pid=%s ended (status %s); kiosk sessions now start as subprocesses",
                    proc and proc.pid, returncode)

    async def close(self) -> None:
        """Close the socket (the fork server then ends its children and exits) and reap it."""
        self._closing = True
        if self.sock is not None:
            self._lost()
        proc = self.proc
        if proc is not None:
            try:
                await asyncio.wait_for(asyncio.to_thread(proc.wait), 15)
            except TimeoutError:
                proc.kill()
                await asyncio.to_thread(proc.wait)


class KioskSession(asyncssh.SSHServerSession):  # type: ignore[type-arg]
    """One SSH session channel: a kiosk child on a pty, or a refusal."""

    def __init__(self, server: KioskServer, peer: str, user: str) -> None:
        self.server = server
        self.peer = peer
        self.user = user
        self.chan: asyncssh.SSHServerChannel[bytes] | None = None
        self.term: str | None = None
        self.size = (80, 24)
        self.master: int | None = None
        self.proc: asyncio.subprocess.Process | ForkedChild | None = None
        self.started = time.monotonic()
        self.started_at = _now()
        self.last_input = time.monotonic()
        self.reason = "ended"
        self._pending = bytearray()
        self._reading = False
        self._closed = False
        self._task: asyncio.Task[None] | None = None
        self._done = asyncio.Event()
        self._holds_slot = False
        self._closing = False

    # Requests -------------------------------------------------------------------------------

    def connection_made(self, chan: asyncssh.SSHServerChannel[bytes]) -> None:
        self.chan = chan

    def pty_requested(self, term_type: str, term_size: tuple[int, int, int, int], term_modes: Any) -> bool:
        self.term = term_type
        if term_size[0] and term_size[1]:
            self.size = (term_size[0], term_size[1])
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        log.info("refused exec request from %s", self.peer)
        if self.chan is not None:
            _close_soon(self.chan.get_connection())
        return False

    def subsystem_requested(self, subsystem: str) -> bool:
        log.info("refused subsystem %r from %s", subsystem[:40], self.peer)
        if self.chan is not None:
            _close_soon(self.chan.get_connection())
        return False

    def break_received(self, msec: int) -> bool:
        return False

    def signal_received(self, signal: str) -> None:
        """Signals from the client are ignored: the kiosk app is not the client's to stop."""

    def session_started(self) -> None:
        assert self.chan is not None
        if self.term is None:
            self._refuse("no_pty", "no pty")
            return
        if not self.server.reserve_slot():
            self._refuse("busy", "busy")
            return
        self._holds_slot = True
        self._task = asyncio.ensure_future(self._run())

    @property
    def running(self) -> bool:
        """Whether this session has started its kiosk child (holds a slot)."""
        return self._task is not None

    def _refuse(self, message: str, reason: str) -> None:
        assert self.chan is not None
        self.reason = reason
        self.chan.write_stderr(MESSAGES[message].encode())
        self.chan.exit(1)
        self.server.log_session(self, 1)
        self._done.set()
        _close_soon(self.chan.get_connection())

    # Data -----------------------------------------------------------------------------------

    def data_received(self, data: bytes, datatype: int | None) -> None:
        self.last_input = time.monotonic()
        if self.master is None or self._closed:
            return
        if len(self._pending) > 1 << 20:  # a client pasting megabytes: drop the excess
            return
        self._pending += data
        self._flush_input()

    def _flush_input(self) -> None:
        assert self.master is not None
        loop = asyncio.get_running_loop()
        while self._pending:
            try:
                written = os.write(self.master, self._pending)
            except BlockingIOError:
                loop.add_writer(self.master, self._writable)
                return
            except OSError:
                self._pending.clear()
                return
            del self._pending[:written]
        with contextlib.suppress(Exception):
            loop.remove_writer(self.master)

    def _writable(self) -> None:
        if self.master is not None:
            self._flush_input()

    def eof_received(self) -> bool:
        return False

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        self.size = (width or self.size[0], height or self.size[1])
        if self.master is not None:
            with contextlib.suppress(OSError):
                set_window_size(self.master, *self.size)

    def pause_writing(self) -> None:
        self._stop_reading()

    def resume_writing(self) -> None:
        self._start_reading()

    def _start_reading(self) -> None:
        if self.master is not None and not self._reading and not self._closed:
            asyncio.get_running_loop().add_reader(self.master, self._readable)
            self._reading = True

    def _stop_reading(self) -> None:
        if self.master is not None and self._reading:
            asyncio.get_running_loop().remove_reader(self.master)
            self._reading = False

    def _readable(self) -> None:
        assert self.master is not None and self.chan is not None
        try:
            data = os.read(self.master, 65536)
        except BlockingIOError:
            return
        except OSError:  # EIO: every holder of the slave side has gone
            self._stop_reading()
            return
        if data:
            self.chan.write(data)
        else:
            self._stop_reading()

    def _drain(self) -> None:
        """What the child wrote just before it ended, still in the pty."""
        if self.master is None or self.chan is None:
            return
        for _ in range(64):
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.chan.write(data)

    # The child ------------------------------------------------------------------------------

    async def _run(self) -> None:
        assert self.chan is not None
        status = 1
        try:
            master, slave = pty.openpty()
            self.master = master
            set_window_size(slave, *self.size)
            tty.setraw(slave)  # before the app starts: Ctrl+C typed during its imports is a byte
            env = child_environment(self.term, self.server.cfg.env_allowlist)
            cwd = env["HOME"] if os.path.isdir(env["HOME"]) else "/"
            how = "forked"
            try:
                forkserver = self.server.forkserver
                if forkserver is not None and forkserver.running:
                    try:
                        self.proc = await forkserver.spawn(slave, env, cwd)
                    except ForkServerError as exc:
                        log.warning("fork server did not start a child for %s (%s); starting a subprocess",
                                    self.peer, exc)
                if self.proc is None:
                    how = "subprocess"
                    self.proc = await asyncio.create_subprocess_exec(
                        *self.server.kiosk_command,
                        stdin=slave,
                        stdout=slave,
                        stderr=slave,
                        env=env,
                        cwd=cwd,
                        start_new_session=True,
                        preexec_fn=_take_controlling_terminal,
                        close_fds=True,
                    )
            finally:
                os.close(slave)
            os.set_blocking(master, False)
            self.server.children[self.proc.pid] = self
            self._start_reading()
            if self._pending:
                self._flush_input()
            log.info("session child pid=%d (%s) for %s", self.proc.pid, how, self.peer)
            if self._closed or self._closing:  # the client left, or the server closed it, meanwhile
                await self._end_child()
            returncode = await self.proc.wait()
            status = returncode if returncode >= 0 else 128 - returncode
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not run the kiosk child for %s", self.peer)
            self.reason = "failed"
            if not self._closed:
                self.chan.write_stderr(MESSAGES["failed"].encode())
        finally:
            await self._finish(status)

    async def _finish(self, status: int) -> None:
        if self.proc is not None and self.proc.returncode is None:
            await self._end_child()
        self._stop_reading()
        if not self._closed:
            self._drain()
        if self.master is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_writer(self.master)
            os.close(self.master)
            self.master = None
        if self.proc is not None:
            self.server.children.pop(self.proc.pid, None)
            if self.proc.returncode is not None:
                rc = self.proc.returncode
                status = rc if rc >= 0 else 128 - rc
        if self._holds_slot:
            self.server.release_slot()
            self._holds_slot = False
        if not self._closed and self.chan is not None:
            message = MESSAGES.get(self.reason)
            if self.reason in ("idle", "too_long", "shutdown"):
                self.chan.write(TERMINAL_RESET)
                if message:
                    self.chan.write(message.encode())
            self.chan.exit(status)
            _close_soon(self.chan.get_connection())
        self.server.log_session(self, status)
        self._done.set()

    async def _end_child(self) -> None:
        """Hang up the child's process group, give it a moment, then kill it; reap it."""
        proc = self.proc
        assert proc is not None
        for signum, wait in ((signal.SIGHUP, HANGUP_GRACE_SECONDS), (signal.SIGKILL, 10.0)):
            if proc.returncode is not None:
                return
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signum)
            try:
                await asyncio.wait_for(proc.wait(), wait)
                return
            except TimeoutError:
                continue

    async def close(self, reason: str) -> None:
        """End the session from the server's side (timeout, shutdown)."""
        if self._done.is_set() or self._closing:
            return
        self._closing = True
        self.reason = reason
        if self.proc is not None and self.proc.returncode is None:
            await self._end_child()
        await self._done.wait()

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        if self.reason == "ended":
            self.reason = "disconnected"
        if self.proc is not None and self.proc.returncode is None:
            asyncio.ensure_future(self._end_child())


class KioskSSHServer(asyncssh.SSHServer):
    """One connection: rate limit, authentication, one session, no forwarding."""

    def __init__(self, server: KioskServer) -> None:
        self.server = server
        self.conn: asyncssh.SSHServerConnection | None = None
        self.peer = "?"
        self.user = "?"
        self.sessions = 0
        self.session: KioskSession | None = None
        self._counted = False
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        address = conn.get_extra_info("peername") or ("?", 0)
        self.peer = f"{address[0]}:{address[1]}"
        loop = asyncio.get_running_loop()
        if not self.server.add_connection():
            log.warning("refused connection from %s: %d connections open already", self.peer,
                        self.server.connections)
            loop.call_soon(
                conn.disconnect, asyncssh.DISC_TOO_MANY_CONNECTIONS, "Too many connections, try again later"
            )
            return
        self._counted = True
        if not self.server.allow_connection(str(address[0])):
            log.warning("refused connection from %s: too many connections per minute", self.peer)
            loop.call_soon(
                conn.disconnect, asyncssh.DISC_TOO_MANY_CONNECTIONS, "Too many connections, try again later"
            )
            return
        self._deadline = loop.call_later(self.server.cfg.login_timeout_seconds, self._no_session_in_time)

    def _no_session_in_time(self) -> None:
        """`login_timeout_seconds` after connecting: a connection that has not started a kiosk
        session by now (not logged in, no session asked for, or one that was refused or
        never got going) is closed."""
        self._deadline = None
        if self.session is not None and self.session.running:
            return
        log.info("closed connection from %s user=%s: no session within %.0f s", self.peer, _quote(self.user),
                 self.server.cfg.login_timeout_seconds)
        if self.conn is not None:
            self.conn.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        if self._counted:
            self._counted = False
            self.server.remove_connection()

    def begin_auth(self, username: str) -> bool:
        self.user = username
        cfg = self.server.cfg
        if cfg.open_user and username == cfg.open_user:
            return False
        if cfg.authorized_keys is not None and self.conn is not None:
            try:
                self.conn.set_authorized_keys(asyncssh.read_authorized_keys(str(cfg.authorized_keys)))
            except (OSError, ValueError):
                log.exception("cannot read %s", cfg.authorized_keys)
        return True

    def public_key_auth_supported(self) -> bool:
        return self.server.cfg.authorized_keys is not None

    def session_requested(self) -> KioskSession | bool:
        if self.sessions:
            return False
        self.sessions += 1
        self.session = KioskSession(self.server, self.peer, self.user)
        return self.session

    def connection_requested(self, *args: Any) -> bool:
        log.info("refused forwarding request from %s", self.peer)
        return False

    def server_requested(self, *args: Any) -> bool:
        log.info("refused remote forwarding request from %s", self.peer)
        return False

    def unix_connection_requested(self, *args: Any) -> bool:
        return False

    def unix_server_requested(self, *args: Any) -> bool:
        return False


@dataclass
class KioskServer:
    """The server's shared state: settings, the kiosk command, slots, rates and children."""

    cfg: SSHSettings
    kiosk_command: tuple[str, ...]
    forkserver: ForkServerClient | None = None
    active: int = 0
    connections: int = 0
    children: dict[int, KioskSession] = field(default_factory=dict)
    _recent: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def reserve_slot(self) -> bool:
        if self.active >= self.cfg.max_sessions:
            return False
        self.active += 1
        return True

    def release_slot(self) -> None:
        self.active -= 1

    @property
    def max_connections(self) -> int:
        return self.cfg.max_sessions + CONNECTION_SLACK

    def add_connection(self) -> bool:
        if self.connections >= self.max_connections:
            return False
        self.connections += 1
        return True

    def remove_connection(self) -> None:
        self.connections -= 1

    def allow_connection(self, address: str) -> bool:
        now = time.monotonic()
        recent = self._recent[address]
        while recent and now - recent[0] > 60.0:
            recent.popleft()
        if len(recent) >= self.cfg.connections_per_minute:
            return False
        recent.append(now)
        return True

    def log_session(self, session: KioskSession, status: int) -> None:
        log.info(
            "session address=%s user=%s start=%s end=%s exit_status=%d reason=%s",
            session.peer, _quote(session.user), session.started_at, _now(), status, session.reason,
        )

    def sessions(self) -> list[KioskSession]:
        return list(self.children.values())

    async def watch_limits(self) -> None:
        """Close sessions idle for too long or open for too long."""
        cfg = self.cfg
        while True:
            await asyncio.sleep(min(1.0, cfg.idle_timeout_seconds / 4, cfg.max_session_seconds / 4))
            now = time.monotonic()
            for session in self.sessions():
                if now - session.started >= cfg.max_session_seconds:
                    asyncio.ensure_future(session.close("too_long"))
                elif now - session.last_input >= cfg.idle_timeout_seconds:
                    asyncio.ensure_future(session.close("idle"))


def _close_soon(conn: asyncssh.SSHServerConnection) -> None:
    """Close `conn` once what was just written to it (a refusal, an exit status) has gone."""
    asyncio.get_running_loop().call_later(CLOSE_AFTER_REFUSAL_SECONDS, conn.close)


def _quote(text: str) -> str:
    cleaned = "".join(ch if ch.isprintable() and not ch.isspace() else "?" for ch in text)[:64]
    return cleaned or "?"


async def serve(cfg: SSHSettings, kiosk_command: tuple[str, ...], *, ready: Any = None) -> None:
    """Run the server until SIGTERM or SIGINT; then close every session and reap every child."""
    host_key = load_host_key(cfg.host_key)
    state = KioskServer(cfg, kiosk_command)
    acceptor = await asyncssh.create_server(
        lambda: KioskSSHServer(state),
        cfg.listen,
        cfg.port,
        server_host_keys=[host_key],
        encoding=None,
        line_editor=False,
        allow_pty=True,
        agent_forwarding=False,
        x11_forwarding=False,
        allow_scp=False,
        sftp_factory=None,
        login_timeout=cfg.login_timeout_seconds,
        keepalive_interval=30,
        keepalive_count_max=3,
    )
    if cfg.prefork:
        state.forkserver = start_fork_server(cfg, kiosk_command)
    sockets = acceptor.sockets
    port = sockets[0].getsockname()[1] if sockets else cfg.port
    log.info("listening on %s:%d (host key %s)", cfg.listen, port, host_key.get_fingerprint())
    if ready is not None:
        ready(port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    watcher = asyncio.ensure_future(state.watch_limits())
    try:
        await stop.wait()
    finally:
        log.info("stopping: closing %d session(s)", len(state.children))
        watcher.cancel()
        acceptor.close()
        await asyncio.gather(*(session.close("shutdown") for session in state.sessions()), return_exceptions=True)
        await asyncio.sleep(0.3)  # let the goodbye messages go out
        await acceptor.wait_closed()
        if state.forkserver is not None:
            await state.forkserver.close()
        log.info("stopped")


def start_fork_server(cfg: SSHSettings, kiosk_command: tuple[str, ...]) -> ForkServerClient | None:
    """The fork server for `kiosk_command` (`python -m wsnego_tui ... --kiosk`), or None (then
    every session starts as a subprocess)."""
    prefix = (sys.executable, "-P", "-m", "wsnego_tui")
    if tuple(kiosk_command[: len(prefix)]) != prefix or not hasattr(socket, "send_fds") or not sys.platform.startswith("linux"):
        log.warning("no fork server here; kiosk sessions start as subprocesses")
        return None
    client = ForkServerClient(tuple(kiosk_command[len(prefix) :]), cfg.env_allowlist)
    try:
        client.start()
    except OSError as exc:
        log.warning("cannot start the fork server (%s); kiosk sessions start as subprocesses", exc)
        return None
    return client


def kiosk_command_for(home: str | None, db_url: str | None, lang: str | None) -> tuple[str, ...]:
    """`wsnego-tui --kiosk` with the server's own --home/--db/--lang, run by this Python (`-P`:
    the working folder, the session's home, is never searched for modules)."""
    command = [sys.executable, "-P", "-m", "wsnego_tui"]
    if home:
        command += ["--home", str(Path(home).expanduser().resolve())]
    if db_url:
        command += ["--db", db_url]
    if lang:
        command += ["--lang", lang]
    return (*command, "--kiosk")


def _configure_logging(cfg: SSHSettings) -> None:
    handler: logging.Handler
    if cfg.log_file is not None:
        cfg.log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(cfg.log_file, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


@click.command("serve-ssh")
@click.option("--listen", metavar="ADDRESS", help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (default 2222; 0 picks a free one).")
@click.option("--authorized-keys", type=click.Path(dir_okay=False), help="Public keys allowed to connect.")
@click.option("--open-user", metavar="NAME", help="A user name that may connect without a key (closed networks only).")
@click.option("--max-sessions", type=click.IntRange(1), help="Concurrent sessions (default 20).")
@click.pass_obj
def serve_ssh(
    obj: Any,
    listen: str | None,
    port: int | None,
    authorized_keys: str | None,
    open_user: str | None,
    max_sessions: int | None,
) -> None:
    """Serve the kiosk app over SSH: one `wsnego-tui --kiosk` per connection."""
    settings: Settings = obj.settings()
    try:
        cfg = SSHSettings.from_settings(
            settings,
            listen=listen,
            port=port,
            authorized_keys=authorized_keys,
            open_user=open_user,
            max_sessions=max_sessions,
        )
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    _configure_logging(cfg)
    command = kiosk_command_for(obj.home, obj.db_url, obj.lang)

    def ready(actual_port: int) -> None:
        click.echo(f"serve-ssh listening on {cfg.listen}:{actual_port}", err=True)

    try:
        asyncio.run(serve(cfg, command, ready=ready))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {cfg.listen}:{cfg.port}: {exc.strerror or exc}") from None


