"""`wsnego-tui audit`: check the audit log's hash chain, and export the log as CSV.

    wsnego-tui audit verify                 # exit 0: "N entries, chain intact"; 1: each break
    wsnego-tui audit export [--output FILE] [--bom]

`verify` walks every entry in id order (store.audit.verify) and lists each one whose link to the
one before or whose content does not match its hash: an altered, removed or reordered entry.
A chain alone cannot show that the newest entries were cut off, so it also prints the last
entry's hash, for the operator to keep elsewhere and compare next time.

`export` writes id, at (ISO 8601, UTC), actor, action, subject, detail (JSON), prev_hash, hash
as UTF-8 CSV (with a byte-order mark if asked, for spreadsheets that need one). A value that a
spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return) is
written with a leading ' so it is only ever shown.

Both only read: they never create, migrate or change a database. Entries are streamed, so a
long log does not need to fit in memory. No textual, no rich.
"""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from wsnego_tui.cli import Context
    from wsnego_tui.store.models import AuditEntry

COLUMNS = ("id", "at", "actor", "action", "subject", "detail", "prev_hash", "hash")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
STREAM_BATCH = 1000


def csv_safe(value: str) -> str:
    """`value` as a spreadsheet will only ever show it: a leading ' before a formula start."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _engine(obj: "Context") -> "Engine":
    """The configured database, opened read-only in effect: refused when there is none yet."""
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url

    from wsnego_tui.store.engine import create_db_engine, normalise_url

    settings = obj.settings()
    url = make_url(normalise_url(settings.db_url))
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        if not Path(url.database).exists():
            raise click.ClickException(f"no database at {url.database}")
    try:
        engine = create_db_engine(settings.db_url)
        has_log = inspect(engine).has_table("audit_log")
    except Exception as exc:  # a connection failure: one line, no traceback
        from wsnego_tui.cli import _one_line

        raise click.ClickException(_one_line(exc)) from None
    if not has_log:
        engine.dispose()
        raise click.ClickException("the database has no audit log (run the app or `wsnego-tui db upgrade` first)")
    return engine


def _entries(engine: "Engine") -> Iterator["AuditEntry"]:
    """Every entry in id order, fetched a batch at a time, in one read transaction."""
    from sqlmodel import select

    from wsnego_tui.store.engine import read_session
    from wsnego_tui.store.models import AuditEntry

    with read_session(engine) as s:
        rows = s.exec(
            select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=STREAM_BATCH)  # type: ignore[arg-type]
        )
        for entry in rows:
            yield entry
            s.expunge(entry)


@click.group()
def audit() -> None:
    """The append-only audit log: verify its hash chain, export it as CSV."""


@audit.command("verify")
@click.pass_obj
def verify(obj: "Context") -> None:
    """Check every entry's link and hash; exit 1 listing each broken entry."""
    from wsnego_tui.store import audit as audit_log

    engine = _engine(obj)
    count = 0
    last: tuple[int | None, str] | None = None

    def counted() -> Iterator["AuditEntry"]:
        nonlocal count, last
        for entry in _entries(engine):
            count += 1
            last = (entry.id, entry.hash)
            yield entry

    try:
        problems = audit_log.verify(counted())
    finally:
        engine.dispose()
    if not problems:
        click.echo(f"{count} entries, chain intact")
        if last is not None:
            click.echo(f"last entry {last[0]}, hash {last[1]}")
        return
    for problem in problems:
        click.echo(f"entry {problem.entry_id}: {problem.reason}", err=True)
    broken = len({p.entry_id for p in problems})
    click.echo(f"{count} entries, chain BROKEN at {broken} {'entry' if broken == 1 else 'entries'}", err=True)
    sys.exit(1)


@audit.command("export")
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write to FILE instead of standard output.")
@click.option("--bom", is_flag=True, help="Start with a UTF-8 byte-order mark (for spreadsheets that need one).")
@click.pass_obj
def export(obj: "Context", output: Path | None, bom: bool) -> None:
    """Write the audit log as CSV (UTF-8), one row per entry, oldest first."""
    engine = _engine(obj)
    try:
        if output is None:
            sys.stdout.flush()
            text = _text_stream(sys.stdout.buffer)  # UTF-8 whatever the terminal's encoding
            try:
                _write_csv(engine, text, bom)
                text.flush()
            except BrokenPipeError:  # the reader stopped early (`| head`): no traceback
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                sys.exit(1)
            text.detach()  # leave standard output open
        else:
            with output.open("w", encoding="utf-8", newline="") as fh:
                count = _write_csv(engine, fh, bom)
            click.echo(f"{count} entries written to {output}", err=True)
    finally:
        engine.dispose()


def _text_stream(binary: IO[bytes]):  # type: ignore[no-untyped-def]
    import io

    return io.TextIOWrapper(binary, encoding="utf-8", newline="", write_through=True)


def _write_csv(engine: "Engine", fh: IO[str], bom: bool) -> int:
    from datetime import timezone

    if bom:
        fh.write("\ufeff")
    writer = csv.writer(fh, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    count = 0
    for e in _entries(engine):
        at = e.at.astimezone(timezone.utc).isoformat()
        writer.writerow([csv_safe(str(v)) for v in (e.id, at, e.actor, e.action, e.subject, e.detail, e.prev_hash, e.hash)])
        count += 1
    return count
