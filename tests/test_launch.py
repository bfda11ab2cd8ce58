"""The `wsnego-tui` entry point (wsnego_tui/launch.py): opening the app reads its options
without click, reads them as click would, and leaves everything else to click."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import click
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wsnego_tui.cli import cli
from wsnego_tui.launch import APP_OPTIONS, parse_app_options

DEFAULTS = {"db_url": None, "home": None, "lang": None, "demo": False, "kiosk": False}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], {}),
        (["--lang", "en"], {"lang": "en"}),
        (["--lang=zh", "--demo"], {"lang": "zh", "demo": True}),
        (["--home", "/h", "--db", "sqlite:///x.db", "--kiosk"], {"home": "/h", "db_url": "sqlite:///x.db", "kiosk": True}),
        (["--lang", "en", "--lang", "zh"], {"lang": "zh"}),  # the last one counts, as in click
        (["--home=/a=b"], {"home": "/a=b"}),
    ],
)
def test_the_options_for_opening_the_app_are_read(args: list[str], expected: dict[str, object]) -> None:
    assert parse_app_options(args, environ={}) == {**DEFAULTS, **expected}


@pytest.mark.parametrize(
    "args",
    [
        ["paths"], ["db", "upgrade"], ["--help"], ["-h"], ["--version"], ["--lang", "fr"], ["--lang"],
        ["--demo=yes"], ["--home", "--kiosk"], ["--db", "-x"], ["--unknown"], ["--", "--demo"], ["--lang", "en", "schedule"],
    ],
)
def test_everything_else_is_left_to_click(args: list[str]) -> None:
    assert parse_app_options(args, environ={}) is None


def test_the_home_comes_from_the_environment_unless_given() -> None:
    assert parse_app_options([], environ={"WSNEGO_HOME": "/env"})["home"] == "/env"  # type: ignore[index]
    assert parse_app_options(["--home", "/arg"], environ={"WSNEGO_HOME": "/env"})["home"] == "/arg"  # type: ignore[index]
    assert parse_app_options([], environ={"WSNEGO_HOME": ""})["home"] is None  # type: ignore[index]


def test_click_declares_exactly_these_options() -> None:
    declared = [(param.opts[0], param.name) for param in cli.params if isinstance(param, click.Option)
                and param.name not in ("version", "help")]
    assert declared == [(option.name, option.dest) for option in APP_OPTIONS]


TOKENS = st.sampled_from(
    ["--db", "--home", "--lang", "--demo", "--kiosk", "en", "zh", "fr", "/tmp/h", "sqlite:///a.db", "--lang=en",
     "--home=/x", "--demo=1", "-x", "--", "paths", "--help", "", "=", "--db=", "--home="]
)


@settings(max_examples=400, deadline=None)
@given(args=st.lists(TOKENS, max_size=6), home_env=st.sampled_from([None, "", "/from-env"]))
def test_whenever_it_reads_the_options_click_reads_the_same(args: list[str], home_env: str | None) -> None:
    environ = {key: value for key, value in os.environ.items() if key != "WSNEGO_HOME"}
    if home_env is not None:
        environ["WSNEGO_HOME"] = home_env
    values = parse_app_options(args, environ=environ)
    if values is None:
        return
    with mock.patch.dict(os.environ, environ, clear=True):
        ctx = cli.make_context("wsnego-tui", list(args))
    # nothing left over for a subcommand (click 8.2 keeps it apart from `args`)
    assert [*ctx.args, *getattr(ctx, "_protected_args", [])] == []
    assert values == ctx.params


PROBE = """
import json, sys
from wsnego_tui import launch
def opened(settings):
    print(json.dumps({"click": "click" in sys.modules, "lang": settings.lang, "demo": settings.demo,
                      "home": str(settings.paths.config_dir.parent)}))
    return 0
launch.open_app = opened
sys.argv = ["wsnego-tui", *sys.argv[1:]]
launch.main()
"""


def run(args: list[str]) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "WSNEGO_HOME"}
    return subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=60, env=env,
                          stdin=subprocess.DEVNULL)


def test_the_app_opens_without_importing_click(tmp_path: Path) -> None:
    done = run(["--home", str(tmp_path / "home"), "--lang", "en", "--demo"])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"click": False, "lang": "en", "demo": True, "home": str(tmp_path / "home")}


def test_a_subcommand_and_bad_options_go_to_click(tmp_path: Path) -> None:
    done = run(["--home", str(tmp_path / "home"), "paths"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("config:") and str(tmp_path / "home") in done.stdout
    done = run(["--lang", "fr"])
    assert done.returncode == 2 and "Invalid value for '--lang'" in done.stderr


def test_a_kiosk_without_a_terminal_gets_clicks_error_message(tmp_path: Path) -> None:
    done = run(["--home", str(tmp_path / "home"), "--kiosk"])
    assert done.returncode == 1
    assert done.stderr.startswith("Error: ") and "interactive terminal" in done.stderr
    assert done.stdout == ""  # the app was not opened
