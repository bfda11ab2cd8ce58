"""The append-only audit log: a hash chain written inside the caller's transaction.

Each entry's hash covers the previous entry's hash and its own content; `prev_hash` is unique,
so two writers can never both extend the chain from the same entry (on PostgreSQL an advisory
lock also serialises appends; on SQLite the write lock already does). Database triggers
refuse UPDATE and DELETE on the table. No textual, no rich.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session, select

from wsnego_tui.store.engine import serialize_on
from wsnego_tui.store.models import AuditEntry

GENESIS = "0" * 64
_PG_AUDIT_LOCK = 0x5753_4E45  # an arbitrary advisory-lock key owned by the audit log


def _json_default(value: object) -> str:
    if isinstance(value, Decimal):
        return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(f"cannot audit a {type(value).__name__}")


def entry_hash(prev_hash: str, at: dt.datetime, actor: str, action: str, subject: str, detail: str) -> str:
    body = json.dumps(
        [prev_hash, at.astimezone(dt.timezone.utc).isoformat(), actor, action, subject, detail],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def append(
    session: Session,
    *,
    at: dt.datetime,
    actor: str,
    action: str,
    subject: str,
    detail: dict[str, object] | None = None,
) -> AuditEntry:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})
    last = session.exec(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()  # type: ignore[union-attr]
    prev = last or GENESIS
    body = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=_json_default)
    entry = AuditEntry(
        at=at,
        actor=actor,
        action=action,
        subject=subject,
        detail=body,
        prev_hash=prev,
        hash=entry_hash(prev, at, actor, action, subject, body),
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainBreak:
    entry_id: int
    reason: str


def verify(entries: Iterable[AuditEntry]) -> list[ChainBreak]:
    """Walk the chain in id order; report every entry whose link or content does not match."""
    problems: list[ChainBreak] = []
    prev = GENESIS
    for entry in entries:
        assert entry.id is not None
        if entry.prev_hash != prev:
            problems.append(ChainBreak(entry.id, "link to the previous entry is broken (an entry was removed or reordered)"))
        expected = entry_hash(entry.prev_hash, entry.at, entry.actor, entry.action, entry.subject, entry.detail)
        if entry.hash != expected:
            problems.append(ChainBreak(entry.id, "content does not match its hash (the entry was altered)"))
        prev = entry.hash
    return problems


POLICY_CHANGE = "policy.change"


def record_policy(session: Session, *, at: dt.datetime, values: dict[str, str], source: str) -> bool:
    """Append a `policy.change` entry when the policy in force differs from the one the log last
    recorded (or none was recorded yet): the source, every setting, and each changed setting as
    [before, after]. Returns whether an entry was written. Call it inside a write transaction,
    so two processes starting with a new policy record it once."""
    serialize_on(session, POLICY_CHANGE)
    before = recorded_policy(session)
    if before == values:
        return False
    changed = {} if before is None else {
        key: [before.get(key), value] for key, value in values.items() if before.get(key) != value
    }
    fingerprint = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()
    append(
        session, at=at, actor="system", action=POLICY_CHANGE, subject=f"policy:{fingerprint[:16]}",
        detail={"source": source, "values": values, "changed": changed, "first": before is None},
    )
    return True


def recorded_policy(session: Session) -> dict[str, str] | None:
    """The settings of the policy the log last recorded, or None."""
    last = session.exec(
        select(AuditEntry.detail).where(AuditEntry.action == POLICY_CHANGE).order_by(AuditEntry.id.desc()).limit(1)  # type: ignore[union-attr]
    ).first()
    return json.loads(last)["values"] if last is not None else None

