"""The SSH server's fork server (wsnego_tui/forkserver.py) on its own: a real fork server
process whose children run a probe instead of the kiosk app, driven over its socket the way
serve-ssh drives it, each child on its own pty. Linux only (prctl, SOCK_SEQPACKET, /proc)."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time
import tty
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest
from ssh_terminal import alive

from wsnego_tui import forkserver
from wsnego_tui.ssh_server import FORK_SERVER_FLAGS

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not hasattr(socket, "send_fds"), reason="Linux fork server"
)

# The probe a child runs instead of `wsnego-tui --kiosk`: prints what it sees as one JSON line
# on its terminal, optionally ignores hang-ups and lingers, and ends with PROBE_STATUS.
PROBE_SERVER = r"""
import json, os, random, secrets, signal, socket, sys, time, uuid
from wsnego_tui import forkserver

def probe():
    report = {
        "random": random.random(), "uuid1": str(uuid.uuid1()), "uuid4": str(uuid.uuid4()),
        "token": secrets.token_hex(8), "environ": dict(os.environ), "cwd": os.getcwd(),
        "pid": os.getpid(), "ppid": os.getppid(), "sid": os.getsid(0), "tcpgrp": os.tcgetpgrp(0),
        "fds": sorted(int(fd) for fd in os.listdir("/proc/self/fd")),
        "sigint": signal.getsignal(signal.SIGINT) is signal.default_int_handler,
        "sighup_default": signal.getsignal(signal.SIGHUP) == signal.SIG_DFL,
    }
    print("PROBE " + json.dumps(report), flush=True)
    if os.environ.get("PROBE_LINGER"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        time.sleep(120)
    return int(os.environ.get("PROBE_STATUS", "0"))

random.random()  # the fork server's own generator has a state its children must not repeat
forkserver.ForkServer(socket.socket(fileno=int(sys.argv[1])), probe).serve({"pid": os.getpid()})
"""


def wait_gone(pids: list[int], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while [pid for pid in pids if alive(pid)]:
        assert time.monotonic() < deadline, f"still running: {[pid for pid in pids if alive(pid)]}"
        time.sleep(0.05)


@dataclass
class ProbeServer:
    proc: subprocess.Popen[bytes]
    sock: socket.socket
    masters: list[int] = field(default_factory=list)
    pending: list[dict[str, object]] = field(default_factory=list)

    def receive(self, op: str, seconds: float = 20.0) -> dict[str, object]:
        """The next message `op` (earlier messages of other kinds are kept for later)."""
        for message in self.pending:
            if message["op"] == op:
                self.pending.remove(message)
                return message
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no {op!r} message from the fork server"
            if not select.select([self.sock], [], [], left)[0]:
                continue
            data = self.sock.recv(1 << 16)
            assert data, "the fork server closed its socket"
            message = json.loads(data)
            if message["op"] == op:
                return message
            self.pending.append(message)

    def start(self, env: dict[str, str], cwd: str = "/") -> tuple[int, int]:
        """A child on a new raw pty; (pid, pty master)."""
        master, slave = pty.openpty()
        tty.setraw(slave)
        request = {"op": "start", "id": len(self.masters) + 1, "env": env, "cwd": cwd}
        socket.send_fds(self.sock, [json.dumps(request).encode()], [slave])
        os.close(slave)
        self.masters.append(master)
        reply = self.receive("started")
        assert reply["id"] == request["id"]
        return int(reply["pid"]), master  # type: ignore[call-overload]


def read_report(master: int, seconds: float = 20.0) -> dict[str, object]:
    data = b""
    deadline = time.monotonic() + seconds
    while b"\n" not in data.partition(b"PROBE ")[2]:
        assert time.monotonic() < deadline, f"no report from the child: {data!r}"
        if select.select([master], [], [], 0.1)[0]:
            data += os.read(master, 65536)
    line = data.partition(b"PROBE ")[2].split(b"\n")[0]
    return json.loads(line)  # type: ignore[no-any-return]


@pytest.fixture
def probe_server() -> Iterator[ProbeServer]:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    proc = subprocess.Popen(
        [sys.executable, "-c", PROBE_SERVER, str(theirs.fileno())],
        pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, start_new_session=True,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "FORK_SERVER_ONLY": "1"},
    )
    theirs.close()
    server = ProbeServer(proc, ours)
    assert server.receive("ready")["pid"] == proc.pid
    yield server
    ours.close()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for master in server.masters:
        os.close(master)


SESSION_ENV = {"PATH": "/usr/bin:/bin", "HOME": "/", "TERM": "xterm", "LANG": "C.UTF-8", "WSNEGO_LANG": "en"}


def test_each_child_is_its_own_session_on_its_pty_with_the_session_environment(probe_server: ProbeServer, tmp_path: Path) -> None:
    pid, master = probe_server.start(SESSION_ENV, cwd=str(tmp_path))
    report = read_report(master)
    assert report["pid"] == pid and report["ppid"] == probe_server.proc.pid
    assert report["sid"] == pid and report["tcpgrp"] == pid, "session leader, the pty its controlling terminal"
    assert report["environ"] == SESSION_ENV, "exactly the environment the server built, none of the fork server's"
    assert report["cwd"] == str(tmp_path)
    assert [fd for fd in report["fds"] if fd > 2] == [max(report["fds"])], "0, 1, 2 and the listing's own descriptor only"  # type: ignore[union-attr]
    assert report["sigint"] and report["sighup_default"]
    assert probe_server.receive("exit") == {"op": "exit", "pid": pid, "returncode": 0}


def test_two_children_draw_different_random_numbers_and_uuids(probe_server: ProbeServer) -> None:
    first = read_report(probe_server.start(SESSION_ENV)[1])
    second = read_report(probe_server.start(SESSION_ENV)[1])
    assert first["pid"] != second["pid"]
    for key in ("random", "uuid1", "uuid4", "token"):
        assert first[key] != second[key], key


def test_exit_codes_and_signals_are_reported_as_subprocess_reports_them(probe_server: ProbeServer) -> None:
    pid, _ = probe_server.start({**SESSION_ENV, "PROBE_STATUS": "3"})
    assert probe_server.receive("exit") == {"op": "exit", "pid": pid, "returncode": 3}
    pid, master = probe_server.start({**SESSION_ENV, "PROBE_LINGER": "1"})
    read_report(master)
    os.killpg(pid, signal.SIGTERM)
    assert probe_server.receive("exit") == {"op": "exit", "pid": pid, "returncode": -signal.SIGTERM}


def test_when_the_servers_end_of_the_socket_closes_the_children_are_ended(probe_server: ProbeServer) -> None:
    """A child that ignores hang-ups is killed after the grace time; the fork server exits."""
    pids = []
    for _ in range(2):
        pid, master = probe_server.start({**SESSION_ENV, "PROBE_LINGER": "1"})
        read_report(master)
        pids.append(pid)
    probe_server.sock.close()
    assert probe_server.proc.wait(10) == 0
    wait_gone(pids, 5)


def test_children_die_with_a_killed_fork_server(probe_server: ProbeServer) -> None:
    """PR_SET_PDEATHSIG: nobody is left to end them, their ptys are still open, they ignore
    hang-ups, and still they go."""
    pid, master = probe_server.start({**SESSION_ENV, "PROBE_LINGER": "1"})
    read_report(master)
    probe_server.proc.kill()
    probe_server.proc.wait(10)
    wait_gone([pid], 5)


PRELOAD_CHECK = r"""
import json, sys
from wsnego_tui import kiosk
from wsnego_tui.config import load_settings

settings = load_settings(home=sys.argv[1], kiosk=True)
result = {}
if sys.argv[3] == "textual-first":
    import textual
for step in ("scrub", "prepare"):
    try:
        if step == "scrub":
            result["removed"] = kiosk.scrub_before_preloading()
            import textual.constants
            result["driver"] = textual.constants.DRIVER
        else:
            kiosk.prepare_kiosk_process(settings)
            result["prepared"] = True
    except RuntimeError as exc:
        result[step + "_refused"] = str(exc)
open(sys.argv[2], "w").write(json.dumps(result))
"""


@pytest.mark.parametrize("order", ["scrub-first", "textual-first"])
def test_a_preloading_process_must_scrub_before_textual_and_kiosk_mode_then_accepts_it(order: str, tmp_path: Path) -> None:
    """The fork server's guarantee (kiosk.scrub_before_preloading): scrubbed before Textual
    reads its settings, then prepare_kiosk_process accepts the Textual already imported; in
    any other order both refuse. Run on a pty, as kiosk mode needs a terminal."""
    out = tmp_path / "result.json"
    master, slave = pty.openpty()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "TEXTUAL_DRIVER": "evil:Driver"}
    proc = subprocess.Popen(
        [sys.executable, "-c", PRELOAD_CHECK, str(tmp_path / "home"), str(out), order],
        stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
    )
    os.close(slave)
    try:
        deadline = time.monotonic() + 60
        while proc.poll() is None:
            assert time.monotonic() < deadline
            if select.select([master], [], [], 0.1)[0]:
                try:
                    os.read(master, 65536)
                except OSError:
                    break
        assert proc.wait(10) == 0
    finally:
        os.close(master)
    result = json.loads(out.read_text())
    if order == "scrub-first":
        assert result == {"removed": ["TEXTUAL_DRIVER"], "driver": None, "prepared": True}
    else:
        assert "removed" not in result and "prepared" not in result
        assert "scrub_refused" in result and "prepare_refused" in result


def test_the_modules_compiled_since_a_moment_are_those_whose_cache_is_newer(tmp_path: Path) -> None:
    old, new = tmp_path / "old.pyc", tmp_path / "new.pyc"
    old.write_bytes(b"")
    new.write_bytes(b"")
    started = time.time_ns()
    os.utime(old, ns=(started - 10**9, started - 10**9))
    os.utime(new, ns=(started + 10**6, started + 10**6))
    modules = [
        SimpleNamespace(__name__="loaded", __cached__=str(old)),
        SimpleNamespace(__name__="compiled", __cached__=str(new)),
        SimpleNamespace(__name__="uncacheable", __cached__=str(tmp_path / "missing.pyc")),
        SimpleNamespace(__name__="builtin"),
    ]
    assert forkserver.modules_compiled_since(started, modules) == ["compiled"]


def start_real_fork_server(tmp_path: Path, pycache: Path) -> ProbeServer:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "PYTHONPYCACHEPREFIX": str(pycache)}
    proc = subprocess.Popen(
        [sys.executable, *FORK_SERVER_FLAGS, "-m", "wsnego_tui.forkserver", str(theirs.fileno()), str(os.getpid()),
         "--", "--home", str(tmp_path / "home"), "--kiosk"],
        pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, start_new_session=True, env=env, cwd="/",
    )
    theirs.close()
    return ProbeServer(proc, ours)


def stop(server: ProbeServer) -> None:
    server.sock.close()
    try:
        server.proc.wait(10)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()


def test_a_fork_server_that_compiled_its_imports_starts_over_from_them_once(tmp_path: Path) -> None:
    """The first start after an install compiles the bytecode (here: into an empty cache
    folder); the fork server then starts over in the same process, so its sessions do not carry
    the compiler's garbage. The next start finds the bytecode and starts once."""
    for start, restarted in ((1, True), (2, False)):
        server = start_real_fork_server(tmp_path, tmp_path / "pycache")
        try:
            ready = server.receive("ready", seconds=180)
            assert ready["pid"] == server.proc.pid, start
            notes = " ".join(str(note) for note in ready["notes"])  # type: ignore[attr-defined]
            assert ("started again" in notes) is restarted, (start, notes)
        finally:
            stop(server)
