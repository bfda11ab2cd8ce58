"""Kiosk mode (`wsnego-tui --kiosk`): no way out of the app, an idle lock that drops the
session, an apology instead of a traceback, proofs only from the kiosk inbox, and no
TEXTUAL_* variable reaching Textual."""

from __future__ import annotations

import asyncio
import os
import pty
import select
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from app_factory import (
    SIZE,
    make_app,
    screen_shown,
    settle,
    text_of,
    type_into,
    wait_for_database,
    wait_until,
)
from textual.widgets import Input

from wsnego_tui.config import ConfigError, Settings
from wsnego_tui.core.clock import FixedClock
from wsnego_tui.kiosk import KioskTimes, scrub_textual_environment
from wsnego_tui.screens.kiosk import ApologyDialog, IdleDialog
from wsnego_tui.screens.loans import LoansScreen
from wsnego_tui.screens.login import LoginScreen


def kiosk_settings(settings: Settings, **extra: object) -> Settings:
    return replace(settings, extra={**settings.extra, **extra})


async def kiosk_log_in(pilot) -> None:  # type: ignore[no-untyped-def]
    """Log in key by key, as a customer at the kiosk would (every key is activity for the
    idle lock, which empties a form left idle), and wait for the loans screen."""
    await type_into(pilot, "#customer-no", "80000001")
    await type_into(pilot, "#pin", "111111")
    await pilot.press("enter")
    await wait_until(pilot, lambda: pilot.app.customer is not None and len(pilot.app.screen_stack) > 1)


def screen_svg(app) -> str:  # type: ignore[no-untyped-def]
    return app.export_screenshot()


async def test_quit_suspend_and_interrupt_keys_do_nothing_in_a_kiosk(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock, kiosk=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await pilot.press("ctrl+q", "ctrl+c", "ctrl+z", "ctrl+backslash")
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, LoginScreen)
        await kiosk_log_in(pilot)
        await pilot.press("ctrl+q", "ctrl+c", "ctrl+z", "ctrl+backslash")
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, LoansScreen)
        assert not app._notifications, "not even a hint about how to quit"
        for action in ("app.quit", "app.suspend_process", "app.screenshot", "app.command_palette", "app.change_theme"):
            assert await app.run_action(action) is False, action
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, LoansScreen)
        assert "ctrl+q" not in app.screen.active_bindings or not app.screen.active_bindings["ctrl+q"].enabled


async def test_outside_a_kiosk_ctrl_q_still_quits(settings: Settings, clock: FixedClock) -> None:
    """The counterpart of the test above: the same key does quit the borrower's own app."""
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause(0.2)
        assert not app.is_running


async def test_an_idle_session_counts_down_then_returns_to_an_empty_log_in_screen(
    settings: Settings, clock: FixedClock
) -> None:
    app = make_app(kiosk_settings(settings, kiosk_idle_seconds=2.0, kiosk_countdown_seconds=1.5), clock, kiosk=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await kiosk_log_in(pilot)
        app.notify("a message for this customer only")
        await pilot.press("f2")  # the customer switched to English
        assert app.lang == "en"
        await wait_until(pilot, lambda: screen_shown(app, IdleDialog), seconds=5)
        assert "logged out in" in text_of(app.screen.query_one("#kiosk-idle-body"))
        await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen), seconds=5)
        assert app.customer is None
        assert len(app.screen_stack) == 1
        assert app.lang == "zh", "the next customer starts in the branch's language"
        assert not app._notifications
        login = app.screen
        assert login.query_one("#customer-no", Input).value == ""
        assert login.query_one("#pin", Input).value == ""
        await wait_until(pilot, lambda: "客户号" in screen_svg(app))  # the repainted log-in screen
        assert "80000001" not in screen_svg(app)


async def test_a_key_during_the_countdown_keeps_the_session_and_only_closes_the_dialog(
    settings: Settings, clock: FixedClock
) -> None:
    app = make_app(kiosk_settings(settings, kiosk_idle_seconds=1.0, kiosk_countdown_seconds=30), clock, kiosk=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await kiosk_log_in(pilot)
        await wait_until(pilot, lambda: screen_shown(app, IdleDialog), seconds=5)
        await pilot.press("escape")  # on the loans screen Escape would log out
        await settle(pilot)
        assert isinstance(app.screen, LoansScreen)
        assert app.customer is not None


async def test_keys_pressed_now_and_then_keep_the_idle_lock_away(settings: Settings, clock: FixedClock) -> None:
    app = make_app(kiosk_settings(settings, kiosk_idle_seconds=1.5, kiosk_countdown_seconds=30), clock, kiosk=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await kiosk_log_in(pilot)
        end = time.monotonic() + 3.0
        while time.monotonic() < end:
            await pilot.press("down")
            await pilot.pause(0.2)
            assert isinstance(app.screen, LoansScreen)
        await wait_until(pilot, lambda: screen_shown(app, IdleDialog), seconds=5)


async def test_an_unexpected_error_shows_an_apology_and_returns_to_the_log_in_screen(
    settings: Settings, clock: FixedClock
) -> None:
    log_file = settings.paths.data_dir / "kiosk-test.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    import logging

    handler = logging.FileHandler(log_file, encoding="utf-8")
    logging.getLogger("wsnego_tui").addHandler(handler)
    try:
        app = make_app(settings, clock, kiosk=True)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_database(pilot)
            await kiosk_log_in(pilot)

            def fail() -> None:
                raise RuntimeError("internal detail 7f3a")

            app.screen.call_later(fail)
            # Not pilot.pause(): it waits for the failed screen, whose message loop has ended.
            for _ in range(100):
                if isinstance(app.screen, ApologyDialog):
                    break
                await asyncio.sleep(0.05)
            await settle(pilot)
            assert isinstance(app.screen, ApologyDialog)
            svg = screen_svg(app)
            assert "7f3a" not in svg and "Traceback" not in svg
            assert "抱歉" in svg
            assert app.customer is None
            await pilot.press("space")
            await settle(pilot)
            assert isinstance(app.screen, LoginScreen) and len(app.screen_stack) == 1
            assert app.is_running
    finally:
        logging.getLogger("wsnego_tui").removeHandler(handler)
        handler.close()
    logged = log_file.read_text(encoding="utf-8")
    assert "RuntimeError: internal detail 7f3a" in logged and "Traceback" in logged


async def test_an_error_the_app_cannot_survive_ends_it_quietly_with_status_1(
    settings: Settings, clock: FixedClock
) -> None:
    """An error in the app's own message loop leaves nothing to log out from: the process
    ends (the SSH session with it) and no traceback is printed."""
    app = make_app(settings, clock, kiosk=True)

    def fail() -> None:
        raise RuntimeError("in the app's own loop")

    asyncio.get_running_loop().call_later(1.0, lambda: app.call_later(fail))
    await asyncio.wait_for(app.run_async(headless=True, size=SIZE), 30)
    assert app.return_code == 1
    assert not app._exit_renderables


def test_proof_files_come_only_from_the_kiosk_inbox(settings: Settings, tmp_path: Path) -> None:
    inbox = tmp_path / "scanner"
    kiosk = replace(kiosk_settings(settings, kiosk_inbox=str(inbox), proof_folders=[str(tmp_path)]), kiosk=True)
    assert kiosk.proof_roots == (inbox,)
    assert replace(kiosk, extra={}).proof_roots == (settings.paths.data_dir / "inbox",)
    assert Path.home() not in kiosk.proof_roots


def test_the_idle_times_come_from_config_toml_and_must_be_positive(settings: Settings) -> None:
    assert KioskTimes.from_settings(settings) == KioskTimes(120.0, 30.0)
    assert KioskTimes.from_settings(kiosk_settings(settings, kiosk_idle_seconds=300)).idle_seconds == 300.0
    with pytest.raises(ConfigError, match="kiosk_idle_seconds"):
        KioskTimes.from_settings(kiosk_settings(settings, kiosk_idle_seconds=0))


def test_the_scrub_removes_every_textual_variable_and_the_size_pins() -> None:
    env = {"TEXTUAL_DRIVER": "x:y", "textual_fps": "1", "TEXTUAL": "dev", "COLUMNS": "20", "LINES": "5", "TERM": "xterm"}
    assert scrub_textual_environment(env) == ["COLUMNS", "LINES", "TEXTUAL", "TEXTUAL_DRIVER", "textual_fps"]
    assert env == {"TERM": "xterm"}
    lower = {"textual": "devtools,debug", "TEXTUALISH": "kept"}
    assert scrub_textual_environment(lower) == ["textual"]
    assert lower == {"TEXTUALISH": "kept"}


EVIL_DRIVER = """
import os, pathlib
pathlib.Path(os.environ["EVIL_MARKER"]).write_text("imported")
from textual.drivers.linux_driver import LinuxDriver as Driver
"""


@pytest.mark.parametrize("kiosk", [True, False], ids=["kiosk", "own-terminal"])
def test_a_textual_driver_named_in_the_environment_is_never_loaded_in_a_kiosk(tmp_path: Path, kiosk: bool) -> None:
    """TEXTUAL_DRIVER=module:Class makes Textual import a module of the caller's choosing;
    a kiosk scrubs it (and every TEXTUAL_*) before Textual is imported. The run without
    --kiosk shows the test would notice."""
    (tmp_path / "evil_driver.py").write_text(EVIL_DRIVER)
    marker, painted = tmp_path / "evil-imported", tmp_path / "painted"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(tmp_path),
        "TEXTUAL_DRIVER": "evil_driver:Driver",
        "EVIL_MARKER": str(marker),
        "WSNEGO_EXIT_AFTER_FIRST_PAINT": str(painted),
    }
    master, slave = pty.openpty()
    args = [sys.executable, "-m", "wsnego_tui", "--home", str(tmp_path / "home"), *(["--kiosk"] if kiosk else [])]
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    try:
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            if select.select([master], [], [], 0.1)[0]:
                try:
                    os.read(master, 65536)  # keep the pty drained
                except OSError:
                    break
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    assert painted.exists()
    assert marker.exists() is (not kiosk)


# --- the officer console is never a kiosk ----------------------------------------------------------


def kiosk_in_config_toml(settings: Settings) -> Settings:
    """The test home's config.toml says `kiosk = true`; the settings read from it."""
    from wsnego_tui.config import load_settings

    settings.paths.config_dir.mkdir(parents=True, exist_ok=True)
    settings.paths.config_file.write_text("kiosk = true\n", encoding="utf-8")
    loaded = load_settings(home=settings.paths.config_dir.parent)
    assert loaded.kiosk and loaded.paths == settings.paths
    return loaded


async def test_the_officer_console_ignores_kiosk_mode_set_in_config_toml(settings: Settings, clock: FixedClock) -> None:
    """A branch that runs both apps from one home sets `kiosk = true` for the borrowers' kiosk;
    the officer at the same machine keeps F1, F2 and Ctrl+Q and is never idle-locked."""
    from app_factory import make_officer_app

    app = make_officer_app(kiosk_in_config_toml(settings), clock)
    assert app.kiosk is None and app.settings.kiosk is False
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        assert not any(isinstance(screen, IdleDialog) for screen in app.screen_stack)
        await pilot.press("ctrl+q")
        await pilot.pause(0.2)
        assert not app.is_running


def test_the_officer_subcommand_starts_the_console_with_kiosk_mode_off(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from wsnego_tui import officer_app
    from wsnego_tui.cli import cli

    kiosk_in_config_toml(settings)
    started: list[Settings] = []
    monkeypatch.setattr(officer_app, "run_officer_app", lambda given: started.append(given) or 0)
    result = CliRunner().invoke(cli, ["--home", str(settings.paths.config_dir.parent), "officer"])
    assert result.exit_code == 0, result.output
    (given,) = started
    assert given.kiosk is False and given.paths == settings.paths
