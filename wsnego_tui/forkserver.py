"""The SSH server's fork server: one process that has imported the kiosk app, forking a child
per session.

`wsnego-tui serve-ssh` (wsnego_tui/ssh_server.py) starts this module as its own process at
start-up, with the same scrubbed environment it gives a kiosk child, and talks to it over a
unix SOCK_SEQPACKET socket pair (one JSON object per message):

- This process scrubs `TEXTUAL_*`, `COLUMNS` and `LINES` from its environment
  (kiosk.scrub_before_preloading) and only then imports Textual, SQLModel/SQLAlchemy, the
  database driver of the configured URL and the kiosk app's modules. It opens no database,
  creates no engine, no thread, no event loop and no App; it checks that Textual read none of
  its settings from the environment and that it is still single-threaded, then freezes the
  garbage collector's objects (gc.freeze) so that the children keep sharing their pages.
  When those imports compiled any bytecode (the first start after an install or an update),
  it first starts itself over, once (execve: the same process and socket), so that the
  compiler's garbage is not part of every session.
- `{"op": "start", "id", "env", "cwd"}` with the session's pty slave attached (SCM_RIGHTS):
  it forks. The child becomes a session leader (setsid) with the pty as its controlling
  terminal (TIOCSCTTY) on 0/1/2, closes every other descriptor, sets the default signal
  handlers back, asks for SIGKILL when this process dies (PR_SET_PDEATHSIG), replaces
  os.environ with the session's environment (built by the server exactly as for a
  subprocess), re-seeds `random`, and then runs the `wsnego-tui --kiosk` command line
  (`cli.main`, the same code path as the subprocess) and ends with its exit status. The
  reply is `{"op": "started", "id", "pid"}` or `{"op": "failed", "id", "error"}`.
- It reaps its children (SIGCHLD) and reports `{"op": "exit", "pid", "returncode"}`
  (negative: killed by that signal, as subprocess reports it).
- When the server's end of the socket closes (the server stopped, or was killed), on SIGTERM
  or SIGHUP, and when the server dies (PR_SET_PDEATHSIG) it hangs up every child's process
  group, kills what is left two seconds later, reaps them and exits.

Fork-safety: the process never has a second thread or an event loop when it forks. What the
children share with it and with each other: the interpreter's hash seed and the memory
layout (ASLR) of everything imported before the fork. `random`'s module instance is re-seeded
in every child (CPython also does this with os.register_at_fork); uuid4, secrets, os.urandom
and the PIN salts read the kernel's generator and need nothing. Code updated on disk reaches
new sessions only after serve-ssh is restarted.

Linux only (prctl, SOCK_SEQPACKET); serve-ssh falls back to a subprocess per session elsewhere.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import fcntl
import gc
import importlib
import json
import os
import pkgutil
import random
import select
import signal
import socket
import sys
import termios
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

MAX_MESSAGE = 1 << 16
HANGUP_GRACE_SECONDS = 2.0
PR_SET_PDEATHSIG = 1
PR_SET_NAME = 15
CHILD_NAME = b"wsnego-kiosk"

# Imported before the first fork; each child then only builds its App and opens the database.
PRELOAD = (
    "wsnego_tui.cli",
    "wsnego_tui.app",
    "wsnego_tui.services",
    "textual.drivers.linux_driver",
    "wsnego_tui.driver",
    "textual._xterm_parser",
    "textual.css.parse",
    "textual.layouts.factory",
    "textual.layouts.horizontal",
    "textual.layouts.stream",
    "textual.scrollbar",
    "concurrent.futures.thread",
    "sqlite3",
)
PRELOAD_PACKAGES = ("wsnego_tui.core", "wsnego_tui.locales", "wsnego_tui.screens", "wsnego_tui.services",
                    "wsnego_tui.store", "wsnego_tui.widgets")
SKIP_PREFIXES = ("officer", "cli_", "migrations")  # the officer console, other commands, Alembic


def _libc() -> Any:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def set_parent_death_signal(signum: int) -> bool:
    """Ask the kernel for `signum` when the parent (thread) of this process ends (Linux)."""
    libc = _libc()
    if not sys.platform.startswith("linux") or libc is None or not hasattr(libc, "prctl"):
        return False
    return bool(libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0)


RESTARTED_ENV = "WSNEGO_FORK_SERVER_RESTARTED"
"""Set by the fork server for its own second start (after compiling, see main), never twice."""


def _set_process_name(name: bytes) -> None:
    libc = _libc()
    if sys.platform.startswith("linux") and libc is not None and hasattr(libc, "prctl"):
        libc.prctl(PR_SET_NAME, ctypes.c_char_p(name), 0, 0, 0)


def _trim_heap() -> None:
    """Give the heap's free pages back (glibc malloc_trim), so that children do not start
    with them resident."""
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


def modules_compiled_since(started_ns: int, modules: Sequence[Any] | None = None) -> list[str]:
    """The modules (of `modules`, default every imported one) whose bytecode cache was written
    at or after `started_ns` (time.time_ns): compiled from source by this process, whose
    compiler left its garbage in the heap."""
    compiled = []
    for module in list(sys.modules.values()) if modules is None else modules:
        cached = getattr(module, "__cached__", None)
        if not isinstance(cached, str):
            continue
        try:
            if os.stat(cached).st_mtime_ns >= started_ns:
                compiled.append(getattr(module, "__name__", cached))
        except OSError:
            continue  # no cache (a folder it cannot write): compiled at every start, see README
    return compiled


def _flush_std_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):
                stream.flush()


def _thread_count() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def preload(kiosk_args: Sequence[str]) -> list[str]:
    """Scrub the environment, then import what a kiosk session needs; problems found (empty:
    fit to fork). Raises RuntimeError when Textual was imported before the scrub."""
    from wsnego_tui.config import set_default_escape_delay
    from wsnego_tui.kiosk import scrub_before_preloading

    scrub_before_preloading()
    set_default_escape_delay()  # Textual reads it as it is imported, here for every child
    for name in PRELOAD:
        importlib.import_module(name)
    for package_name in PRELOAD_PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not any(part.startswith(SKIP_PREFIXES) for part in info.name.split(".")[1:]):
                importlib.import_module(info.name)
    from rich._unicode_data import VERSIONS, load

    load(VERSIONS[-1])  # the cell-width table's module (the "auto" choice is left to the child)
    problems: list[str] = []
    try:  # the configured database's dialect and driver module (no engine, no connection)
        from sqlalchemy.engine import make_url

        from wsnego_tui.cli import cli

        ctx = cli.make_context("wsnego-tui", list(kiosk_args), resilient_parsing=True)
        from wsnego_tui.config import load_settings

        settings = load_settings(home=ctx.params.get("home"), db_url=ctx.params.get("db_url"), kiosk=True)
        make_url(settings.db_url).get_dialect().import_dbapi()
    except Exception as exc:  # noqa: BLE001 - only a head start: a child imports what it needs anyway
        problems.append(f"note: database driver not preloaded ({type(exc).__name__})")
    from textual import constants

    if [name for name in os.environ if name.upper().startswith("TEXTUAL")]:
        return ["TEXTUAL_* variables in the environment", *problems]
    if (constants.DRIVER or constants.DEBUG or constants.LOG_FILE or constants.PRESS or constants.SHOW_RETURN
            or constants.FILTERS or constants.SCREENSHOT_DELAY != -1):
        return ["Textual read settings from the environment", *problems]
    if _thread_count() != 1:
        return [f"{_thread_count()} threads after the imports", *problems]
    return problems


class ForkServer:
    """The loop: requests from the server, children started, children reaped."""

    def __init__(self, sock: socket.socket, run_child: Callable[[], int]) -> None:
        self.sock = sock
        self.run_child = run_child
        self.children: set[int] = set()
        self.stopping = False
        self._wake_r, self._wake_w = os.pipe()

    # Messages ---------------------------------------------------------------------------

    def send(self, message: dict[str, Any]) -> bool:
        try:
            self.sock.send(json.dumps(message).encode())
        except OSError:
            self.stopping = True
            return False
        return True

    # The loop ---------------------------------------------------------------------------

    def serve(self, ready: dict[str, Any]) -> int:
        for fd in (self._wake_r, self._wake_w):
            os.set_blocking(fd, False)
        signal.set_wakeup_fd(self._wake_w)
        signal.signal(signal.SIGCHLD, _ignore_handler)
        signal.signal(signal.SIGTERM, self._stop_handler)
        signal.signal(signal.SIGHUP, self._stop_handler)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        self.send({"op": "ready", **ready})
        poller = select.poll()
        poller.register(self.sock.fileno(), select.POLLIN)
        poller.register(self._wake_r, select.POLLIN)
        try:
            while not self.stopping:
                events = poller.poll()
                self._drain_wakeups()
                self._reap()
                for fd, _ in events:
                    if fd == self.sock.fileno() and not self.stopping:
                        self._receive()
        finally:
            self._end_children()
        return 0

    def _stop_handler(self, signum: int, frame: Any) -> None:
        self.stopping = True

    def _drain_wakeups(self) -> None:
        try:
            while os.read(self._wake_r, 512):
                pass
        except OSError:
            pass

    def _receive(self) -> None:
        try:
            data, fds, _, _ = socket.recv_fds(self.sock, MAX_MESSAGE, 4)
        except BlockingIOError:
            return
        except OSError:
            self.stopping = True
            return
        if not data and not fds:  # the server's end is closed
            self.stopping = True
            return
        try:
            request = json.loads(data)
            if request.get("op") != "start" or len(fds) != 1:
                raise ValueError("expected a start request with one descriptor")
            env = {str(k): str(v) for k, v in dict(request["env"]).items()}
            cwd = str(request["cwd"])
        except (ValueError, TypeError, KeyError) as exc:
            for fd in fds:
                os.close(fd)
            self.send({"op": "failed", "id": _request_id(data), "error": f"bad request: {exc}"[:200]})
            return
        try:
            pid = self._fork(fds[0], env, cwd)
        except OSError as exc:
            self.send({"op": "failed", "id": request.get("id"), "error": str(exc)[:200]})
            return
        finally:
            os.close(fds[0])
        self.children.add(pid)
        self.send({"op": "started", "id": request.get("id"), "pid": pid})

    def _fork(self, tty_fd: int, env: dict[str, str], cwd: str) -> int:
        if _thread_count() != 1:  # never fork a process with other threads
            raise OSError("the fork server has more than one thread")
        _flush_std_streams()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child, which never returns
            status = 1
            try:
                become_session_child(tty_fd, env, cwd, parent)
                status = self.run_child()
            except BaseException:  # noqa: BLE001 - the child must never unwind into the fork server's loop
                with contextlib.suppress(BaseException):
                    traceback.print_exc()
            finally:
                os._exit(status)
        return pid

    def _reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.children.clear()
                return
            if pid == 0:
                return
            self.children.discard(pid)
            self.send({"op": "exit", "pid": pid, "returncode": os.waitstatus_to_exitcode(status)})

    def _end_children(self) -> None:
        """Hang up every child's process group, kill what is left, reap them all."""
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for signum, grace in ((signal.SIGHUP, HANGUP_GRACE_SECONDS), (signal.SIGKILL, 10.0)):
            for pid in list(self.children):
                _signal_group(pid, signum)
            deadline = time.monotonic() + grace
            while self.children and time.monotonic() < deadline:
                try:
                    pid, _ = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    self.children.clear()
                    break
                if pid:
                    self.children.discard(pid)
                else:
                    time.sleep(0.02)
            if not self.children:
                return


def _ignore_handler(signum: int, frame: Any) -> None:
    """SIGCHLD only wakes the loop up (through the wakeup descriptor)."""


def _request_id(data: bytes) -> Any:
    try:
        return json.loads(data).get("id")
    except (ValueError, AttributeError):
        return None


def _signal_group(pid: int, signum: int) -> None:
    try:
        os.killpg(pid, signum)
    except ProcessLookupError:
        pass
    except PermissionError:
        try:
            os.kill(pid, signum)
        except OSError:
            pass


def become_session_child(tty_fd: int, env: dict[str, str], cwd: str, parent: int) -> None:
    """In a freshly forked child: a new session on the pty, nothing else of the fork server's.

    The same state a `wsnego-tui --kiosk` subprocess starts in: session leader with the pty as
    its controlling terminal on 0/1/2, no other descriptor, the signal handlers a new Python
    has (SIGPIPE and SIGXFSZ ignored, SIGINT raising KeyboardInterrupt, the rest default), the
    session's environment, its own random seed. Killed when the fork server dies."""
    signal.set_wakeup_fd(-1)
    for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGTSTP):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    set_parent_death_signal(signal.SIGKILL)
    if os.getppid() != parent:  # the fork server died before the request above took effect
        os._exit(1)
    os.setsid()
    fcntl.ioctl(tty_fd, termios.TIOCSCTTY, 0)
    for target in (0, 1, 2):
        os.dup2(tty_fd, target)
    os.closerange(3, os.sysconf("SC_OPEN_MAX") if os.sysconf("SC_OPEN_MAX") > 0 else 65536)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    random.seed()
    # The fork server's objects stay in the garbage collector's permanent generation (frozen
    # before the first fork): collections in the child never write to their shared pages.
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and hasattr(stream, "reconfigure"):
            stream.reconfigure(line_buffering=True)  # a terminal now, as in a new process
    _set_process_name(CHILD_NAME)


def run_kiosk(kiosk_args: Sequence[str]) -> int:
    """`wsnego-tui KIOSK_ARGS` in this process, through the command line's own code; the exit
    status a separate `python -m wsnego_tui` process would have ended with."""
    from wsnego_tui.cli import cli

    sys.argv = ["wsnego-tui", *kiosk_args]
    try:
        cli.main(args=list(kiosk_args), prog_name="wsnego-tui")
        status = 0
    except SystemExit as exc:
        status = _exit_status(exc.code)
    except BaseException:  # noqa: BLE001 - what the interpreter does with an uncaught exception
        traceback.print_exc()
        status = 1
    return _finish_like_interpreter(status)


def _exit_status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _finish_like_interpreter(status: int) -> int:
    """What the interpreter does at exit: join non-daemon threads, run atexit, flush."""
    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is not None:
        with contextlib.suppress(BaseException):
            shutdown()
    with contextlib.suppress(BaseException):
        atexit._run_exitfuncs()
    _flush_std_streams()
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m wsnego_tui.forkserver SOCKET_FD PARENT_PID -- KIOSK_ARGS...`"""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 3 or args[2] != "--":
        print("usage: python -m wsnego_tui.forkserver SOCKET_FD PARENT_PID -- KIOSK_ARGS...", file=sys.stderr)
        return 2
    sock = socket.socket(fileno=int(args[0]))
    parent, kiosk_args = int(args[1]), args[3:]
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    set_parent_death_signal(signal.SIGTERM)
    if os.getppid() != parent:
        return 1
    started, started_ns = time.monotonic(), time.time_ns()
    again = os.environ.pop(RESTARTED_ENV, None) is not None
    try:
        problems = preload(kiosk_args)
    except Exception as exc:  # noqa: BLE001 - reported to the server, which then uses subprocesses
        problems = [f"preload failed: {type(exc).__name__}: {exc}"]
    fatal = [p for p in problems if not p.startswith("note:")]
    if fatal:
        sock.send(json.dumps({"op": "refused", "problems": fatal}).encode())
        return 1
    if not again and modules_compiled_since(started_ns):
        # A first start after an install or an update compiled the bytecode (with -OO, files of
        # their own). What the compiler left in the heap would stay resident in every session:
        # start over, once, from the caches just written (the same process and socket).
        _flush_std_streams()
        os.execve(sys.executable, sys.orig_argv, {**os.environ, RESTARTED_ENV: "1"})
    if again:
        problems.append("note: started again from the bytecode it had just compiled")
    gc.collect()
    gc.freeze()
    _trim_heap()
    server = ForkServer(sock, lambda: run_kiosk(kiosk_args))
    return server.serve({"pid": os.getpid(), "seconds": round(time.monotonic() - started, 2), "notes": problems})


if __name__ == "__main__":
    sys.exit(main())
