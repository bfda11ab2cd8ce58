"""`wsnego-tui officer`: the officer console (imported only when the subcommand runs)."""

from __future__ import annotations

import sys

import click


@click.command()
@click.option("--demo", is_flag=True, help="Load the demo data into an empty database on start.")
@click.pass_obj
def officer(obj, demo: bool) -> None:  # type: ignore[no-untyped-def]
    """The bank's officer console: the queue, cases, the offer builder and decisions (never in
    kiosk mode, whatever config.toml says)."""
    from wsnego_tui.config import set_default_escape_delay

    set_default_escape_delay()  # before Textual is imported, which reads it
    from wsnego_tui.officer_app import officer_settings, run_officer_app

    sys.exit(run_officer_app(officer_settings(obj.settings(demo=demo))))
