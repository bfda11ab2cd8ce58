"""The `wsnego-tui` entry point: opening the app without importing the command-line library.

Opening the app (no subcommand) takes only the options of APP_OPTIONS. `main` reads them here,
without click, whose import took 8-19 ms before the log-in screen's first paint. Anything else
goes to the click command line in wsnego_tui/cli.py, unchanged: a subcommand, --help,
--version, an option given in a form this reader does not take (a value that starts with a
dash, a short option), an unknown option or a bad value (click then prints its usage error),
and a configuration or kiosk check that fails (click prints the error). cli.py declares its
group's options from APP_OPTIONS and opens the app with the same `open_app`, so the two ways
cannot disagree (tests/test_launch.py compares them).

Imports nothing heavy: the config module, and the app only once the options are read.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from wsnego_tui.config import LANGUAGES, ConfigError, Settings, load_settings, set_default_escape_delay


@dataclass(frozen=True)
class AppOption:
    """One option of `wsnego-tui` for opening the app (click's declaration is built from it)."""

    name: str
    dest: str
    help: str
    flag: bool = False
    metavar: str | None = None
    envvar: str | None = None
    choices: tuple[str, ...] | None = None


APP_OPTIONS: tuple[AppOption, ...] = (
    AppOption("--db", "db_url", "Database URL (default: SQLite in the data folder).", metavar="URL"),
    AppOption("--home", "home", "Keep config, data and proofs under DIR (also WSNEGO_HOME).", metavar="DIR",
              envvar="WSNEGO_HOME"),
    AppOption("--lang", "lang", "Interface language (default zh).", choices=LANGUAGES),
    AppOption("--demo", "demo", "Load the demo data into an empty database on start.", flag=True),
    AppOption("--kiosk", "kiosk", "Branch kiosk mode.", flag=True),
)


def parse_app_options(args: Sequence[str], environ: Mapping[str, str] | None = None) -> dict[str, str | bool | None] | None:
    """The values of APP_OPTIONS in `args` (environment variables filling in what is not
    given), or None when `args` ask for anything else or in another form: click then reads them."""
    by_name = {option.name: option for option in APP_OPTIONS}
    values: dict[str, str | bool | None] = {option.dest: False if option.flag else None for option in APP_OPTIONS}
    given: set[str] = set()
    position = 0
    while position < len(args):
        name, equals, value = args[position].partition("=")
        option = by_name.get(name)
        if option is None:
            return None
        if option.flag:
            if equals:
                return None
            values[option.dest] = True
        else:
            if not equals:
                position += 1
                if position == len(args):
                    return None
                value = args[position]
            if value.startswith("-") or (option.choices is not None and value not in option.choices):
                return None
            values[option.dest] = value
            given.add(option.dest)
        position += 1
    environ = os.environ if environ is None else environ
    for option in APP_OPTIONS:
        if option.envvar is not None and option.dest not in given:
            values[option.dest] = environ.get(option.envvar) or None
    return values


def app_settings(values: dict[str, str | bool | None]) -> Settings:
    """The settings the app opens with; raises ConfigError."""
    def text(dest: str) -> str | None:
        value = values[dest]
        return value if isinstance(value, str) else None

    return load_settings(home=text("home"), db_url=text("db_url"), lang=text("lang"),
                         demo=values["demo"] is True, kiosk=values["kiosk"] is True)


def prepare_process(settings: Settings) -> None:
    """What the process needs before Textual is imported: kiosk mode's checks and clean-up
    (raises ConfigError or KioskRefused before changing anything)."""
    if settings.kiosk:  # before Textual is imported: it reads TEXTUAL_* at import
        from wsnego_tui.kiosk import prepare_kiosk_process

        prepare_kiosk_process(settings)


def open_app(settings: Settings) -> int:
    """Run the app (after prepare_process); its exit status."""
    set_default_escape_delay()  # before Textual is imported, which reads it
    from wsnego_tui.app import run_app

    return run_app(settings)


def main() -> None:
    values = parse_app_options(sys.argv[1:])
    if values is not None:
        from wsnego_tui.kiosk import KioskRefused

        try:
            settings = app_settings(values)
            prepare_process(settings)
        except (ConfigError, KioskRefused):
            pass  # click reads the same arguments, fails the same way and prints the error
        else:
            sys.exit(open_app(settings))
    from wsnego_tui.cli import main as click_main

    click_main()
