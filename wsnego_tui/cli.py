"""The `wsnego-tui` command: the app by default, plus maintenance and calculator subcommands.

Built on click, the command-line library the Textual ecosystem already uses (Textual's own
`textual` dev command is a click group), so it costs no extra dependency family and gives
subcommands, typed options and clean usage errors. Heavy modules (textual, SQLModel) are
imported only inside the command that needs them, so `wsnego-tui schedule` stays fast.
Opening the app without a subcommand usually does not come here: `wsnego_tui.launch.main`
reads its options without click.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from wsnego_tui.config import ConfigError, Settings, load_settings
from wsnego_tui.launch import APP_OPTIONS, open_app, prepare_process


class Context:
    """What the group's options decided, handed to every subcommand."""

    def __init__(self, home: str | None, db_url: str | None, lang: str | None) -> None:
        self.home = home
        self.db_url = db_url
        self.lang = lang

    def settings(self, **overrides: bool) -> Settings:
        try:
            return load_settings(home=self.home, db_url=self.db_url, lang=self.lang, **overrides)
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None


class LazyGroup(click.Group):
    """A group whose heavier subcommands are imported only when they are run (or listed by
    --help), so that opening the app never pays for the calculator's command."""

    lazy: dict[str, str] = {"schedule": "wsnego_tui.cli_schedule:schedule", "audit": "wsnego_tui.cli_audit:audit",
                             "officer": "wsnego_tui.cli_officer:officer",
                             "serve-ssh": "wsnego_tui.ssh_server:serve_ssh"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            import importlib

            module, _, attr = self.lazy[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attr)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)


def app_options(command: Callable[..., None]) -> Callable[..., None]:
    """Declare launch.APP_OPTIONS (the options for opening the app) on `command`, in order."""
    for option in reversed(APP_OPTIONS):
        if option.flag:
            command = click.option(option.name, option.dest, is_flag=True, help=option.help)(command)
        else:
            command = click.option(
                option.name, option.dest, metavar=option.metavar, envvar=option.envvar, help=option.help,
                type=click.Choice(option.choices) if option.choices is not None else None,
            )(command)
    return command


@click.group(
    cls=LazyGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]}
)
@app_options
@click.version_option(package_name="wsnego-tui")
@click.pass_context
def cli(
    ctx: click.Context,
    db_url: str | None,
    home: str | None,
    lang: str | None,
    demo: bool,
    kiosk: bool,
) -> None:
    """wsnego-tui: negotiate a new repayment plan with the bank (协商还款)."""
    ctx.obj = Context(home, db_url, lang)
    if ctx.invoked_subcommand is None:
        settings = ctx.obj.settings(demo=demo, kiosk=kiosk)
        from wsnego_tui.kiosk import KioskRefused

        try:
            prepare_process(settings)
        except (ConfigError, KioskRefused) as exc:
            raise click.ClickException(str(exc)) from None
        sys.exit(open_app(settings))


@cli.command()
@click.pass_obj
def paths(obj: Context) -> None:
    """Print where config, data and stored proofs live."""
    settings = obj.settings()
    p = settings.paths
    click.echo(f"config:   {p.config_file}")
    click.echo(f"data:     {p.data_dir}")
    click.echo(f"proofs:   {p.proofs_dir}")
    click.echo(f"database: {redact_url(settings.db_url)}")


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(obj: Context) -> None:
    """Bring the database schema up to date (needed for PostgreSQL before first use)."""
    from wsnego_tui.services import Services

    services = Services(obj.settings())
    try:
        before, after = services.upgrade_schema()
    except Exception as exc:  # a connection or migration failure: one line, no traceback
        raise click.ClickException(_one_line(exc)) from None
    finally:
        services.close()
    if before == after:
        click.echo(f"schema already at {after}")
    else:
        click.echo(f"schema upgraded from {before or 'empty'} to {after}")


@cli.group()
def demo() -> None:
    """Demo data."""


@demo.command("load")
@click.pass_obj
def demo_load(obj: Context) -> None:
    """Seed the demo borrowers and officers (refuses a database with real customers)."""
    from wsnego_tui.services import Services
    from wsnego_tui.store.demo import DEMO_CUSTOMERS, DemoRefused

    services = Services(obj.settings())
    try:
        services.prepare()
        added = services.load_demo()
    except DemoRefused as exc:
        raise click.ClickException(str(exc)) from None
    except Exception as exc:
        raise click.ClickException(_one_line(exc)) from None
    finally:
        services.close()
    click.echo(f"demo customers added: {added}" if added else "demo data already loaded")
    for customer in DEMO_CUSTOMERS:
        click.echo(f"  {customer.customer_no}  PIN {customer.pin}  {customer.name}: {customer.story}")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def redact_url(url: str) -> str:
    """A database URL fit to print: any password replaced by ***."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, at, host = rest.rpartition("@")
    user, colon, _ = creds.partition(":")
    return f"{scheme}://{user}{':***' if colon else ''}{at}{host}"


def main() -> None:
    cli(prog_name="wsnego-tui")

