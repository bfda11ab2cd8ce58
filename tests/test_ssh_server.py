"""`wsnego-tui serve-ssh` end to end: a real server process on a loopback port, an asyncssh
client with a pyte screen, the demo data in a temp home. Needs no SSH server on the machine.

The servers are started once per module (each start costs a Python start-up), with limits
small enough to test: the "strict" one allows one session and four seconds without input.
Tests on it that must not be closed as idle keep pressing a harmless key (`keep_alive`).
Sessions are forked by the server's fork server (`prefork`, the default); the
`subprocess_server` runs the same walk with `prefork = false`.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import pytest
from ssh_terminal import (
    ENTER,
    TAB,
    Server,
    TerminalClient,
    alive,
    load_demo,
    open_terminal,
    start_server,
    write_config,
)

from wsnego_tui.config import Settings
from wsnego_tui.ssh_server import child_environment

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc to find the children")


def wait_gone(pid: int, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while alive(pid):
        assert time.monotonic() < deadline, f"process {pid} outlived its session"
        time.sleep(0.05)


async def new_child(server: Server, before: set[int], seconds: float = 10.0) -> int:
    """The pid of the kiosk child started since `before` (the children then)."""
    deadline = time.monotonic() + seconds
    while not (pids := set(server.children()) - before):
        assert time.monotonic() < deadline, "no kiosk child was started"
        await asyncio.sleep(0.05)
    [pid] = pids
    return pid


async def log_in(term: TerminalClient, customer_no: str = "80000001", pin: str = "111111") -> None:
    """Type at the log-in screen as a customer would: number, Tab, PIN, Enter."""
    await term.wait_for("⏎ 登录")  # offered once the database is open
    term.send(customer_no)
    await term.wait_for(customer_no)
    term.send(TAB)
    await asyncio.sleep(0.3)  # the focus moves after the Tab key has been handled
    term.send(pin)
    await term.wait_for("•" * len(pin))
    term.send(ENTER)
    await term.wait_for("张伟")


def keep_alive(term: TerminalClient) -> asyncio.Task[None]:
    """Press Left every second (input for the server's idle timeout, nothing for the app)."""

    async def press() -> None:
        while not term.closed.is_set():
            term.send("\x1b[D")
            await asyncio.sleep(1.0)

    return asyncio.ensure_future(press())


@pytest.fixture(scope="module")
def client_key() -> asyncssh.SSHKey:
    return asyncssh.generate_private_key("ssh-ed25519")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, client_key: asyncssh.SSHKey) -> Iterator[Server]:
    """Open user `kiosk`, and key access for the key in `client_key`."""
    home = tmp_path_factory.mktemp("ssh-home")
    keys = home / "authorized_keys"
    keys.write_bytes(client_key.export_public_key())
    write_config(home, {"open_user": "kiosk", "authorized_keys": str(keys), "max_sessions": 4})
    load_demo(home)
    started = start_server(home)
    yield started
    started.stop()


@pytest.fixture(scope="module")
def subprocess_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`prefork = false`: every session is a `python -m wsnego_tui --kiosk` subprocess."""
    home = tmp_path_factory.mktemp("ssh-subprocess")
    write_config(home, {"open_user": "kiosk", "prefork": False})
    load_demo(home)
    started = start_server(home)
    yield started
    started.stop()


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/status").read_text().split("PPid:")[1].split()[0])


def environment_of(pid: int) -> dict[str, str]:
    """The environment a process was started with (for a forked child: its fork server's)."""
    return dict(item.split("=", 1) for item in Path(f"/proc/{pid}/environ").read_text().split("\0") if "=" in item)


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("ssh-strict")
    write_config(home, {"open_user": "kiosk", "max_sessions": 1, "idle_timeout_seconds": 4})
    load_demo(home)
    started = start_server(home)
    yield started
    started.stop()


@pytest.mark.parametrize("kind", ["server", "subprocess_server"])
async def test_a_customer_logs_in_over_ssh_walks_to_the_loans_and_leaves_no_process_behind(
    kind: str, request: pytest.FixtureRequest
) -> None:
    server: Server = request.getfixturevalue(kind)
    before = set(server.children())
    conn, chan, term = await open_terminal(server.port, columns=100, rows=30)
    pid = await new_child(server, before)
    await log_in(term)
    await term.wait_for("我的贷款")
    screen = term.text()
    assert "网商贷" in screen and "80000001" in screen
    await term.wait_for(lambda _: "退出登录" in term.line(29))  # the Footer, on row 30
    term.resize(120, 40)
    await term.wait_for(lambda _: "退出登录" in term.line(39))
    term.send("\x1b")  # Escape on My Loans logs out
    await term.wait_for("客户号")
    conn.close()
    await term.closed.wait()
    await asyncio.to_thread(wait_gone, pid)
    await asyncio.sleep(0.2)
    assert "user=kiosk" in server.log_text() and "reason=disconnected" in server.log_text()
    assert f"session child pid={pid} ({'forked' if kind == 'server' else 'subprocess'})" in server.log_text()


async def test_ctrl_c_ctrl_z_ctrl_backslash_and_ctrl_q_do_not_end_a_session(server: Server) -> None:
    before = set(server.children())
    conn, chan, term = await open_terminal(server.port)
    try:
        await term.wait_for("客户号")
        pid = await new_child(server, before)
        term.send("\x03\x1a\x1c\x11")
        await log_in(term)
        assert alive(pid) and not term.closed.is_set()
        term.send("\x03\x1a\x1c\x11")
        await asyncio.sleep(0.5)
        assert alive(pid) and not term.closed.is_set()
        assert "我的贷款" in term.text()
    finally:
        conn.close()


@pytest.mark.parametrize("kind", ["server", "subprocess_server"])
async def test_the_client_environment_never_reaches_the_app(kind: str, request: pytest.FixtureRequest) -> None:
    """The client asks for TEXTUAL_DRIVER (a module of its choosing), TEXTUAL_DEBUG and a
    40-column COLUMNS; the app gets none of them and fills the 100 columns of its pty.

    /proc/PID/environ is the environment a process was exec'd with: the subprocess's own, and
    for a forked child its fork server's (the child's os.environ, set after the fork, is
    checked in tests/test_forkserver.py: exactly what the server built)."""
    server: Server = request.getfixturevalue(kind)
    sent = {"TEXTUAL_DRIVER": "evil:Driver", "TEXTUAL_DEBUG": "1", "COLUMNS": "40", "LINES": "10", "LANG": "en_US.ISO-8859-1"}
    before = set(server.children())
    conn, chan, term = await open_terminal(server.port, env=sent, term="xterm")
    try:
        await term.wait_for("客户号")
        pid = await new_child(server, before)
        environ = environment_of(pid)
        assert not [name for name in environ if name.startswith("TEXTUAL")]
        assert "COLUMNS" not in environ and "LINES" not in environ
        assert environ["LANG"] == "C.UTF-8"
        if kind == "subprocess_server":
            assert environ["TERM"] == "xterm"
        else:  # the fork server's start-up environment: child_environment without a pty request
            assert environ == environment_of(parent_of(pid)) and environ["TERM"] == "xterm-256color"
        await term.wait_for(lambda _: "f1 帮助" in term.line(29))  # 30 rows, not 10
        assert max(len(line) for line in term.text().splitlines()) > 80, "drawn at 100 columns, not 40"
    finally:
        conn.close()


def test_the_child_environment_is_built_from_scratch() -> None:
    env = child_environment(
        "xterm-256color",
        ("TZ",),
        {"PATH": "/bin", "HOME": "/h", "TZ": "Asia/Shanghai", "SECRET": "x", "WSNEGO_DB_URL": "postgresql://db"},
    )
    assert env == {
        "PATH": "/bin", "HOME": "/h", "TERM": "xterm-256color", "LANG": "C.UTF-8",
        "MALLOC_MMAP_THRESHOLD_": "131072", "MALLOC_ARENA_MAX": "2",
        "TZ": "Asia/Shanghai", "WSNEGO_DB_URL": "postgresql://db",
    }
    assert child_environment("x\x1b]0;evil", (), {})["TERM"] == "xterm-256color"


async def test_a_session_without_a_terminal_is_refused_with_a_message(server: Server) -> None:
    async with asyncssh.connect(
        "127.0.0.1", server.port, username="kiosk", known_hosts=None, client_keys=[], agent_path=None
    ) as conn:
        result = await conn.run(timeout=10)
    assert result.exit_status == 1
    assert "interactive terminal" in str(result.stderr)


@pytest.mark.parametrize("request_kind", ["exec", "sftp", "local-forward", "remote-forward"])
async def test_exec_sftp_and_forwarding_are_refused(server: Server, request_kind: str) -> None:
    async with asyncssh.connect(
        "127.0.0.1", server.port, username="kiosk", known_hosts=None, client_keys=[], agent_path=None
    ) as conn:
        if request_kind == "exec":
            with pytest.raises(asyncssh.ChannelOpenError):
                await conn.run("id", timeout=10)
        elif request_kind == "sftp":
            with pytest.raises((asyncssh.ChannelOpenError, asyncssh.SFTPError)):
                await conn.start_sftp_client()
        elif request_kind == "local-forward":
            with pytest.raises(asyncssh.ChannelOpenError):
                await conn.open_connection("127.0.0.1", server.port)
        else:
            with pytest.raises(asyncssh.ChannelListenError):
                await conn.forward_remote_port("127.0.0.1", 0, "127.0.0.1", 80)


async def test_a_listed_key_gets_in_and_an_unlisted_user_does_not(server: Server, client_key: asyncssh.SSHKey) -> None:
    conn, chan, term = await open_terminal(server.port, username="clerk", client_keys=[client_key])
    try:
        await term.wait_for("客户号")
    finally:
        conn.close()
    with pytest.raises(asyncssh.PermissionDenied):
        await open_terminal(server.port, username="clerk", client_keys=[asyncssh.generate_private_key("ssh-ed25519")])
    with pytest.raises(asyncssh.PermissionDenied):
        await open_terminal(server.port, username="root")


def test_the_host_key_is_generated_private(server: Server) -> None:
    key = server.home / "data" / "ssh_host_ed25519_key"
    assert key.stat().st_mode & 0o777 == 0o600


async def test_a_second_session_beyond_the_limit_is_told_the_kiosk_is_busy(strict_server: Server) -> None:
    conn, chan, term = await open_terminal(strict_server.port)
    alive_task = keep_alive(term)
    try:
        await term.wait_for("客户号")
        conn2, chan2, term2 = await open_terminal(strict_server.port)
        await asyncio.wait_for(term2.closed.wait(), 10)
        assert term2.exit_status == 1 and b"in use" in term2.stderr
        conn2.close()
        assert not term.closed.is_set()
    finally:
        alive_task.cancel()
        conn.close()
        await term.closed.wait()


async def test_an_idle_session_is_closed_and_its_app_ended(strict_server: Server) -> None:
    await asyncio.sleep(0.5)  # the previous test's session gives its slot back
    before = set(strict_server.children())
    conn, chan, term = await open_terminal(strict_server.port)
    try:
        pid = await new_child(strict_server, before)
        await asyncio.wait_for(term.closed.wait(), 30)
        assert "without input" in term.text()
        await asyncio.to_thread(wait_gone, pid)
    finally:
        conn.close()
    assert "reason=idle" in strict_server.log_text()


async def test_sigterm_tells_open_sessions_closes_them_and_leaves_no_child(strict_server: Server) -> None:
    await asyncio.sleep(0.5)
    before = set(strict_server.children())
    conn, chan, term = await open_terminal(strict_server.port)
    alive_task = keep_alive(term)
    try:
        pid = await new_child(strict_server, before)
        await term.wait_for("客户号")
        strict_server.proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(term.closed.wait(), 15)
    finally:
        alive_task.cancel()
    assert "stopping" in term.text()
    assert await asyncio.to_thread(strict_server.proc.wait, 15) == 0
    assert not alive(pid)
    assert "reason=shutdown" in strict_server.log_text()


@pytest.fixture(scope="module")
def short_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Sessions of at most three seconds; four connections a minute from one address."""
    home = tmp_path_factory.mktemp("ssh-short")
    write_config(home, {"open_user": "kiosk", "max_session_seconds": 3, "connections_per_minute": 4})
    started = start_server(home)
    yield started
    started.stop()


async def test_a_session_is_closed_at_its_maximum_length(short_server: Server) -> None:
    before = set(short_server.children())
    conn, chan, term = await open_terminal(short_server.port)
    alive_task = keep_alive(term)  # not idle: it is the length that ends it
    try:
        pid = await new_child(short_server, before)
        await asyncio.wait_for(term.closed.wait(), 30)
        assert "maximum length" in term.text()
        await asyncio.to_thread(wait_gone, pid)
    finally:
        alive_task.cancel()
        conn.close()
    assert "reason=too_long" in short_server.log_text()


async def test_connections_beyond_the_per_address_rate_are_refused(short_server: Server) -> None:
    refused_at = None
    for attempt in range(1, 7):
        try:
            async with asyncssh.connect(
                "127.0.0.1", short_server.port, username="kiosk", known_hosts=None, client_keys=[], agent_path=None
            ):
                pass
        except (asyncssh.DisconnectError, ConnectionError, OSError):
            refused_at = attempt
            break
    assert refused_at is not None and refused_at <= 5, "the fifth connection within a minute is refused"
    await asyncio.sleep(0.2)
    assert "too many connections per minute" in short_server.log_text()


@pytest.fixture(scope="module")
def closing_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One session at a time, three seconds to log in and start a session; so at most
    1 + CONNECTION_SLACK connections at once."""
    home = tmp_path_factory.mktemp("ssh-closing")
    write_config(home, {"open_user": "kiosk", "max_sessions": 1, "login_timeout_seconds": 3,
                        "connections_per_minute": 100})
    load_demo(home)
    started = start_server(home)
    yield started
    started.stop()


async def connect_only(port: int) -> asyncssh.SSHClientConnection:
    """An authenticated connection that asks for nothing."""
    return await asyncssh.connect(
        "127.0.0.1", port, username="kiosk", known_hosts=None, client_keys=[], agent_path=None, password=None
    )


async def test_a_connection_that_starts_no_session_is_closed_after_the_login_timeout(closing_server: Server) -> None:
    start = time.monotonic()
    conn = await connect_only(closing_server.port)
    try:
        await asyncio.wait_for(conn.wait_closed(), 10)
    finally:
        conn.close()
    assert 2.5 <= time.monotonic() - start < 8
    await asyncio.sleep(0.2)
    assert "no session within 3 s" in closing_server.log_text()


@pytest.mark.parametrize("refused", ["no pty", "exec", "sftp", "busy"])
async def test_the_connection_of_a_refused_session_is_closed(closing_server: Server, refused: str) -> None:
    """Closed just after the refusal, well before the three seconds to start a session; a
    running session is not closed by that limit."""
    first = None
    if refused == "busy":
        first = await open_terminal(closing_server.port)
        await first[2].wait_for("客户号")
    conn = await connect_only(closing_server.port)
    try:
        if refused == "no pty":
            result = await conn.run(timeout=10)
            assert result.exit_status == 1 and "interactive terminal" in str(result.stderr)
        elif refused == "exec":
            with pytest.raises(asyncssh.ChannelOpenError):
                await conn.run("id", timeout=10)
        elif refused == "sftp":
            with pytest.raises((asyncssh.ChannelOpenError, asyncssh.SFTPError)):
                await conn.start_sftp_client()
        else:
            _chan, term = await conn.create_session(
                lambda: TerminalClient(80, 24), term_type="xterm", term_size=(80, 24), encoding=None
            )
            await asyncio.wait_for(term.closed.wait(), 10)
            assert b"in use" in term.stderr
        refused_at = time.monotonic()
        await asyncio.wait_for(conn.wait_closed(), 10)
        assert time.monotonic() - refused_at < 1.5
        if first is not None:
            await asyncio.sleep(3.5)  # past the three seconds to start a session
            assert not first[2].closed.is_set()
    finally:
        conn.close()
        if first is not None:
            first[0].close()
            await first[2].closed.wait()
            await asyncio.sleep(0.5)  # the slot is given back


async def test_connections_beyond_the_sessions_and_a_small_slack_are_refused(closing_server: Server) -> None:
    from wsnego_tui.ssh_server import CONNECTION_SLACK

    await asyncio.sleep(0.5)  # the previous tests' connections are gone
    held = [await connect_only(closing_server.port) for _ in range(1 + CONNECTION_SLACK)]
    try:
        with pytest.raises((asyncssh.DisconnectError, ConnectionError, OSError)):
            extra = await connect_only(closing_server.port)
            extra.close()
    finally:
        for conn in held:
            conn.close()
    await asyncio.sleep(0.5)
    assert "connections open already" in closing_server.log_text()
    conn, chan, term = await open_terminal(closing_server.port)  # room again once they have gone
    try:
        await term.wait_for("客户号")
    finally:
        conn.close()


def test_the_textual_feature_switch_may_not_be_passed_on(settings: Settings) -> None:
    from dataclasses import replace

    from wsnego_tui.config import ConfigError
    from wsnego_tui.ssh_server import SSHSettings

    for name in ("TEXTUAL", "textual", "TEXTUAL_DRIVER"):
        bad = replace(settings, extra={"ssh": {"open_user": "kiosk", "env_allowlist": ["TZ", name]}})
        with pytest.raises(ConfigError, match="env_allowlist may not pass"):
            SSHSettings.from_settings(bad)
    assert "TEXTUAL" not in child_environment("xterm", ("TEXTUAL",), {"TEXTUAL": "devtools"})


def test_serve_ssh_refuses_to_start_without_any_access_rule(tmp_path: Path) -> None:
    home = tmp_path / "home"
    write_config(home, {"max_sessions": 2})
    with pytest.raises(AssertionError, match="authorized_keys"):
        start_server(home)
    assert os.path.exists(home / "serve-ssh.log")


async def test_over_ssh_the_idle_lock_counts_down_and_a_mouse_click_keeps_the_session(tmp_path: Path) -> None:
    """A real terminal's click (SGR mouse report) reaches the kiosk's idle lock, which the
    pilot tests cannot show: the pilot hands mouse events to the screen directly."""
    home = tmp_path / "home"
    write_config(home, {"open_user": "kiosk"}, extra="kiosk_idle_seconds = 2\nkiosk_countdown_seconds = 30\n")
    await asyncio.to_thread(load_demo, home)
    started = await asyncio.to_thread(start_server, home)
    try:
        conn, chan, term = await open_terminal(started.port)
        try:
            await log_in(term)
            await term.wait_for("您还在吗")
            term.send("\x1b[<0;50;20M\x1b[<0;50;20m")  # a click in the middle of the screen
            await term.wait_for(lambda screen: "您还在吗" not in screen and "我的贷款" in screen)
            assert not term.closed.is_set()
        finally:
            conn.close()
    finally:
        await asyncio.to_thread(started.stop)


async def test_two_sessions_are_two_processes_forked_by_the_fork_server(server: Server) -> None:
    [fork_server] = server.fork_servers()
    assert parent_of(fork_server) == server.proc.pid
    before = set(server.children())
    first = await open_terminal(server.port)
    try:
        first_pid = await new_child(server, before)
        second = await open_terminal(server.port)
        try:
            second_pid = await new_child(server, before | {first_pid})
            await first[2].wait_for("客户号")
            await second[2].wait_for("客户号")
            assert first_pid != second_pid
            assert parent_of(first_pid) == parent_of(second_pid) == fork_server
            assert os.getsid(first_pid) == first_pid and os.getsid(second_pid) == second_pid
            # Forked, not run: each app is the fork server's Python, flags included (-OO:
            # no docstrings in the memory every app maps).
            command = Path(f"/proc/{fork_server}/cmdline").read_bytes().split(b"\0")
            assert command[1:4] == [b"-OO", b"-P", b"-m"]
            assert Path(f"/proc/{first_pid}/cmdline").read_bytes().split(b"\0") == command
        finally:
            second[0].close()
    finally:
        first[0].close()
    for pid in (first_pid, second_pid):
        await asyncio.to_thread(wait_gone, pid)
        assert f"session child pid={pid} (forked)" in server.log_text()


async def test_textual_variables_of_the_server_and_the_client_reach_neither_the_fork_server_nor_the_app(
    tmp_path: Path,
) -> None:
    """TEXTUAL_DRIVER in the server's own environment would make Textual, imported by the fork
    server, load a module of that name in every session (and the fork server refuses to
    serve when Textual read any such setting); the sessions here are forked and work."""
    home = tmp_path / "home"
    write_config(home, {"open_user": "kiosk"})
    await asyncio.to_thread(load_demo, home)
    planted = {"TEXTUAL_DRIVER": "evil:Driver", "TEXTUAL_DEBUG": "1", "TEXTUAL_PRESS": "q", "TEXTUAL_LOG": str(tmp_path / "t.log")}
    started = await asyncio.to_thread(start_server, home, env=planted)
    try:
        [fork_server] = started.fork_servers()
        assert "TEXTUAL_DRIVER" in environment_of(started.proc.pid), "the server itself has them"
        conn, chan, term = await open_terminal(started.port, env={"TEXTUAL_DRIVER": "evil:Driver", "TEXTUAL": "devtools"})
        try:
            pid = await new_child(started, set())
            await log_in(term)
            assert parent_of(pid) == fork_server
            for process in (fork_server, pid):
                assert not [name for name in environment_of(process) if name.upper().startswith("TEXTUAL")]
        finally:
            conn.close()
        await asyncio.to_thread(wait_gone, pid)
        assert "refused" not in started.log_text() and not (tmp_path / "t.log").exists()
    finally:
        await asyncio.to_thread(started.stop)


async def test_an_exit_status_reaches_the_client_and_the_session_log_line(server: Server) -> None:
    """A kiosk child killed by SIGTERM: status 128+15, as the shell reports it."""
    before = set(server.children())
    conn, chan, term = await open_terminal(server.port)
    try:
        await term.wait_for("客户号")
        pid = await new_child(server, before)
        os.kill(pid, signal.SIGTERM)
        await asyncio.wait_for(term.closed.wait(), 15)
    finally:
        conn.close()
    assert term.exit_status == 143
    await asyncio.sleep(0.2)
    assert any("exit_status=143 reason=ended" in line for line in server.log_text().splitlines() if "session address" in line)


async def test_a_kiosk_that_cannot_start_ends_the_session_with_its_exit_status(tmp_path: Path) -> None:
    home = tmp_path / "home"
    write_config(home, {"open_user": "kiosk"}, extra="kiosk_idle_seconds = -1\n")
    started = await asyncio.to_thread(start_server, home)
    try:
        conn, chan, term = await open_terminal(started.port)
        try:
            await asyncio.wait_for(term.closed.wait(), 30)
        finally:
            conn.close()
        assert term.exit_status == 1 and "must be a positive number" in term.text()
        await asyncio.sleep(0.2)
        assert "exit_status=1 reason=ended" in started.log_text() and "(forked)" in started.log_text()
    finally:
        await asyncio.to_thread(started.stop)


async def test_a_killed_server_leaves_neither_fork_server_nor_sessions_behind(tmp_path: Path) -> None:
    home = tmp_path / "home"
    write_config(home, {"open_user": "kiosk"})
    await asyncio.to_thread(load_demo, home)
    started = await asyncio.to_thread(start_server, home)
    terminals = []
    try:
        for _ in range(2):
            terminals.append(await open_terminal(started.port))
            await terminals[-1][2].wait_for("客户号")
        processes = [*started.fork_servers(), *started.children()]
        assert len(processes) == 3
        started.proc.kill()
        await asyncio.to_thread(started.proc.wait, 10)
        for pid in processes:
            await asyncio.to_thread(wait_gone, pid, 5.0)
    finally:
        for conn, _, _ in terminals:
            conn.close()
        await asyncio.to_thread(started.stop)


async def test_a_dead_fork_server_is_restarted_once_then_sessions_start_as_subprocesses(tmp_path: Path) -> None:
    home = tmp_path / "home"
    write_config(home, {"open_user": "kiosk"})
    await asyncio.to_thread(load_demo, home)
    started = await asyncio.to_thread(start_server, home)

    async def next_fork_server(old: int | None) -> int | None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            current = started.fork_servers()
            if current and current != [old]:
                return current[0]
            await asyncio.sleep(0.05)
        return None

    async def one_session() -> tuple[int, int]:
        """A new session's app and its parent, read while the session is open (the app ends
        with the connection)."""
        before = set(started.children())
        conn, chan, term = await open_terminal(started.port)
        try:
            await term.wait_for("客户号", timeout=40)
            pid = await new_child(started, before)
            return pid, parent_of(pid)
        finally:
            conn.close()

    try:
        first = await next_fork_server(None)
        assert first is not None
        os.kill(first, signal.SIGKILL)
        second = await next_fork_server(first)
        assert second is not None and second != first
        _, parent = await one_session()
        assert parent == second
        os.kill(second, signal.SIGKILL)
        await asyncio.to_thread(wait_gone, second)
        pid, parent = await one_session()
        assert parent == started.proc.pid and started.fork_servers() == []
        log_text = started.log_text()
        assert "restarting it" in log_text and "now start as subprocesses" in log_text
        assert f"session child pid={pid} (subprocess)" in log_text
    finally:
        await asyncio.to_thread(started.stop)
