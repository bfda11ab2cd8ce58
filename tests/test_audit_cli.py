"""`wsnego-tui audit verify` and `wsnego-tui audit export` on a database the services wrote.

Tampering needs the append-only triggers out of the way: each test that tampers drops them in
its own throwaway database first, as an attacker with direct access to the database could.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text
from sqlmodel import select

from wsnego_tui.cli import cli
from wsnego_tui.cli_audit import csv_safe
from wsnego_tui.store.engine import read_session, write_session
from wsnego_tui.store.models import AuditEntry


def _audit(settings, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", settings.db_url, "audit", *args])


def _entries(svc) -> list[AuditEntry]:
    with read_session(svc.engine) as s:
        return list(s.exec(select(AuditEntry).order_by(AuditEntry.id)).all())


def _drop_append_only_triggers(svc) -> None:
    with write_session(svc.engine) as s:
        if svc.engine.dialect.name == "postgresql":
            s.execute(text("DROP TRIGGER audit_log_no_update_delete ON audit_log"))
        else:
            s.execute(text("DROP TRIGGER audit_log_no_update"))
            s.execute(text("DROP TRIGGER audit_log_no_delete"))


@pytest.fixture
def logged(demo_services):
    """A database whose audit log holds log-ins, a failed one, and a payment."""
    demo_services.login("80000001", "111111")
    demo_services.login("80000001", "000000")
    loan = demo_services.loans_of(demo_services.login("80000004", "444444").customer.id)[0]
    demo_services.pay(loan.loan_id, loan.overdue_total, "audit-cli-payment", actor="customer:4")
    return demo_services


def test_verify_reports_an_intact_chain_and_exits_zero(logged) -> None:
    entries = _entries(logged)
    result = _audit(logged.settings, "verify")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{len(entries)} entries, chain intact"
    assert lines[1] == f"last entry {entries[-1].id}, hash {entries[-1].hash}"


def test_verify_names_an_altered_entry_and_exits_non_zero(logged) -> None:
    victim = _entries(logged)[2]
    _drop_append_only_triggers(logged)
    with write_session(logged.engine) as s:
        s.execute(text("UPDATE audit_log SET actor = 'someone-else' WHERE id = :id"), {"id": victim.id})
    result = _audit(logged.settings, "verify")
    assert result.exit_code == 1
    assert f"entry {victim.id}: content does not match its hash (the entry was altered)" in result.stderr
    assert "chain BROKEN at 1 entry" in result.stderr
    assert "chain intact" not in result.output


def test_verify_names_the_entry_after_a_removed_one(logged) -> None:
    entries = _entries(logged)
    removed, following = entries[1], entries[2]
    _drop_append_only_triggers(logged)
    with write_session(logged.engine) as s:
        s.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": removed.id})
    result = _audit(logged.settings, "verify")
    assert result.exit_code == 1
    assert f"entry {following.id}: link to the previous entry is broken" in result.stderr
    assert f"{len(entries) - 1} entries, chain BROKEN" in result.stderr


def test_verify_catches_an_entry_rewritten_with_a_fresh_hash(logged) -> None:
    """Recomputing the altered entry's own hash does not help: the next entry's link breaks."""
    from wsnego_tui.store.audit import entry_hash

    entries = _entries(logged)
    victim, following = entries[3], entries[4]
    detail = json.dumps({"amount": "0.01"})
    forged = entry_hash(victim.prev_hash, victim.at, victim.actor, victim.action, victim.subject, detail)
    _drop_append_only_triggers(logged)
    with write_session(logged.engine) as s:
        s.execute(text("UPDATE audit_log SET detail = :d, hash = :h WHERE id = :id"),
                  {"d": detail, "h": forged, "id": victim.id})
    result = _audit(logged.settings, "verify")
    assert result.exit_code == 1
    assert f"entry {following.id}: link to the previous entry is broken" in result.stderr
    assert f"entry {victim.id}:" not in result.stderr


def test_export_writes_every_entry_as_utf8_csv(logged, tmp_path) -> None:
    out = tmp_path / "audit.csv"
    result = _audit(logged.settings, "export", "--output", str(out))
    assert result.exit_code == 0, result.output
    entries = _entries(logged)
    assert f"{len(entries)} entries written to {out}" in result.stderr
    raw = out.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert rows[0] == ["id", "at", "actor", "action", "subject", "detail", "prev_hash", "hash"]
    assert len(rows) == len(entries) + 1
    for row, entry in zip(rows[1:], entries, strict=True):
        assert row[0] == str(entry.id) and row[3] == entry.action
        assert row[1] == entry.at.isoformat() and row[1].endswith("+00:00")
        assert json.loads(row[5]) == json.loads(entry.detail)
        assert (row[6], row[7]) == (entry.prev_hash, entry.hash)


def test_export_to_standard_output_matches_the_file_and_can_carry_a_bom(logged, tmp_path) -> None:
    out = tmp_path / "audit.csv"
    _audit(logged.settings, "export", "-o", str(out))
    to_stdout = _audit(logged.settings, "export")
    assert to_stdout.exit_code == 0
    assert to_stdout.stdout_bytes == out.read_bytes()
    with_bom = _audit(logged.settings, "export", "--bom")
    assert with_bom.stdout_bytes == b"\xef\xbb\xbf" + out.read_bytes()


def test_export_never_writes_a_value_a_spreadsheet_would_run(logged, tmp_path) -> None:
    """An entry whose subject a hostile input shaped as a formula (here a kiosk-typed customer
    number that reached the log) is exported with a leading quote."""
    from wsnego_tui.store import audit

    with write_session(logged.engine) as s:
        audit.append(s, at=logged.clock.now(), actor="-anonymous", action="=HYPERLINK(\"http://x\")",
                     subject="@SUM(A1)", detail={"note": "+1"})
    out = tmp_path / "audit.csv"
    assert _audit(logged.settings, "export", "-o", str(out)).exit_code == 0
    last = list(csv.reader(io.StringIO(out.read_text("utf-8"), newline="")))[-1]
    assert last[2:5] == ["'-anonymous", "'=HYPERLINK(\"http://x\")", "'@SUM(A1)"]
    assert _audit(logged.settings, "verify").exit_code == 0  # exporting changed nothing


@pytest.mark.parametrize(
    ("value", "shown"),
    [("=1+1", "'=1+1"), ("+86", "'+86"), ("-5", "'-5"), ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\rx"),
     ("customer:1", "customer:1"), ("{\"a\": 1}", "{\"a\": 1}"), ("", "")],
)
def test_csv_safe_defuses_only_formula_starts(value: str, shown: str) -> None:
    assert csv_safe(value) == shown


def test_verify_refuses_a_database_that_does_not_exist(tmp_path) -> None:
    missing = tmp_path / "nothing" / "here.sqlite3"
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{missing}", "audit", "verify"])
    assert result.exit_code != 0 and "no database" in result.output
    assert not missing.exists()
