"""Negotiation applications in the store: drafts, proofs, submission, withdrawal, the timeline.

Every change loads the application row FOR UPDATE inside the caller's write transaction (on
SQLite the transaction already holds the write lock), compares the version the caller saw,
moves the status only along `core.lifecycle.TRANSITIONS`, bumps the version and writes a
status event. No textual, no rich.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlmodel import Session, select

from wsnego_tui.core.application_form import FormFields, check_fields, check_for_submission
from wsnego_tui.core.lifecycle import OPEN_STATUSES, ApplicationKind, ApplicationStatus, check_transition
from wsnego_tui.core.policy import Policy
from wsnego_tui.core.eligibility import missing_proofs
from wsnego_tui.core.proofs import ProofKind
from wsnego_tui.core.text import strip_unsafe
from wsnego_tui.core.views import ApplicationView, ProofView, TimelineEvent
from wsnego_tui.store.models import Application, Loan, Offer, Proof, StatusEvent

EDITABLE = (ApplicationStatus.DRAFT, ApplicationStatus.MATERIALS_REQUESTED)
FORM_COLUMNS = (
    "hardship_category", "hardship_text", "monthly_income", "essential_expenses", "other_debt",
    "wish_monthly", "wish_months", "grace_months", "grace_kind", "lump_sum", "lump_date",
)


class ApplicationRefused(Exception):
    """A change that may not be made; `code` for translations and tests, `fields` for form errors."""

    def __init__(self, code: str, message: str, fields: dict | None = None) -> None:  # type: ignore[type-arg]
        super().__init__(message)
        self.code = code
        self.fields = fields or {}


def load_for_update(session: Session, customer_id: int, application_id: int) -> Application:
    row = session.exec(
        select(Application).where(Application.id == application_id).with_for_update()
    ).first()
    if row is None or row.customer_id != customer_id:
        raise ApplicationRefused("no_application", "no such application")
    return row


def load(session: Session, customer_id: int, application_id: int) -> Application:
    row = session.get(Application, application_id)
    if row is None or row.customer_id != customer_id:
        raise ApplicationRefused("no_application", "no such application")
    return row


def _expect(row: Application, version: int | None) -> None:
    if version is not None and row.version != version:
        raise ApplicationRefused("changed", "the application was changed elsewhere; it has been reloaded")


def check_materials_deadline(session: Session, row: Application, now: dt.datetime) -> None:
    """Refuse ("materials_expired") anything done for the bank's materials request once its
    deadline has passed: whether catching up has already expired the application, or the
    deadline passed after it looked (the request then waits for the next read to expire it)."""
    lapsed = (
        row.status == ApplicationStatus.MATERIALS_REQUESTED
        and row.deadline_at is not None
        and row.deadline_at <= now
    )
    if not lapsed and row.status == ApplicationStatus.EXPIRED:
        last = session.exec(
            select(StatusEvent.reason)
            .where(StatusEvent.application_id == row.id)
            .order_by(StatusEvent.at.desc(), StatusEvent.id.desc())  # type: ignore[union-attr]
        ).first()
        lapsed = last == f"deadline.{ApplicationStatus.MATERIALS_REQUESTED.value}"
    if lapsed:
        raise ApplicationRefused(
            "materials_expired", "the deadline for the requested materials has passed; the application has expired"
        )


def form_of(row: Application) -> FormFields:
    return FormFields(**{name: getattr(row, name) for name in FORM_COLUMNS})


def record_status(
    session: Session,
    row: Application,
    status: ApplicationStatus,
    *,
    actor: str,
    now: dt.datetime,
    note: str = "",
    deadline_at: dt.datetime | None = None,
    reason: str | None = None,
    detail: dict[str, object] | None = None,
) -> None:
    check_transition(ApplicationStatus(row.status), status)
    row.status = status
    row.updated_at = now
    row.deadline_at = deadline_at
    row.version += 1
    session.add(row)
    session.add(
        StatusEvent(
            application_id=row.id,  # type: ignore[arg-type]
            status=status, at=now, actor=actor, note=note, deadline_at=deadline_at, reason=reason,
            detail=json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str),
        )
    )


def start(
    session: Session, customer_id: int, loan_id: int, kind: ApplicationKind, now: dt.datetime
) -> Application:
    """The borrower's draft for this loan and kind: the one already started, or a new one."""
    loan = session.exec(select(Loan).where(Loan.id == loan_id).with_for_update()).first()
    if loan is None or loan.customer_id != customer_id:
        raise ApplicationRefused("no_loan", "no such loan")
    under_way = session.exec(
        select(Application).where(
            Application.loan_id == loan_id,
            Application.status.in_([s.value for s in OPEN_STATUSES]),  # type: ignore[attr-defined]
        )
    ).first()
    if under_way is not None:
        raise ApplicationRefused("open_application", "an application for this loan is already under way")
    draft = session.exec(
        select(Application).where(
            Application.loan_id == loan_id, Application.kind == kind, Application.status == ApplicationStatus.DRAFT
        )
    ).first()
    if draft is not None:
        return draft
    draft = Application(
        loan_id=loan_id, customer_id=customer_id, kind=kind, status=ApplicationStatus.DRAFT,
        created_at=now, updated_at=now,
    )
    session.add(draft)
    session.flush()
    return draft


def save_form(
    session: Session, row: Application, form: FormFields, *, version: int | None, now: dt.datetime,
    policy: Policy, today: dt.date,
) -> None:
    """Store the form as it stands. A value that breaks a rule is refused (nothing is saved)."""
    _expect(row, version)
    check_materials_deadline(session, row, now)
    if row.status not in EDITABLE:
        raise ApplicationRefused("not_editable", "the application can no longer be changed")
    form = form.merged(hardship_text=strip_unsafe(form.hardship_text, keep_newlines=True))
    errors = check_fields(ApplicationKind(row.kind), form, policy, today)
    if errors:
        raise ApplicationRefused("invalid", "some fields are not valid", errors)
    for name in FORM_COLUMNS:
        setattr(row, name, getattr(form, name))
    row.updated_at = now
    row.version += 1
    session.add(row)


def proofs_of(session: Session, application_id: int) -> list[Proof]:
    return list(session.exec(select(Proof).where(Proof.application_id == application_id).order_by(Proof.id)).all())


def attach_proof(
    session: Session, row: Application, *, kind: ProofKind, sha256: str, size_bytes: int,
    media_type: str, original_name: str, now: dt.datetime, policy: Policy,
) -> Proof:
    check_materials_deadline(session, row, now)
    if row.status not in EDITABLE:
        raise ApplicationRefused("not_editable", "the application can no longer be changed")
    existing = proofs_of(session, row.id)  # type: ignore[arg-type]
    if any(p.sha256 == sha256 for p in existing):
        raise ApplicationRefused("duplicate", "this file is already attached")
    if len(existing) >= policy.proof_max_files:
        raise ApplicationRefused("too_many", f"at most {policy.proof_max_files} files per application")
    proof = Proof(
        application_id=row.id, kind=kind, original_name=strip_unsafe(original_name)[:255] or "proof",  # type: ignore[arg-type]
        sha256=sha256, size_bytes=size_bytes, media_type=media_type, added_at=now,
    )
    session.add(proof)
    row.version += 1
    row.updated_at = now
    session.add(row)
    session.flush()
    return proof


def remove_proof(session: Session, row: Application, proof_id: int, now: dt.datetime) -> Proof:
    """Remove a file from a draft; returns the removed row (for the audit log)."""
    if row.status != ApplicationStatus.DRAFT:
        raise ApplicationRefused("not_editable", "files can only be removed before submitting")
    proof = session.get(Proof, proof_id)
    if proof is None or proof.application_id != row.id:
        raise ApplicationRefused("no_proof", "no such file")
    session.delete(proof)
    row.version += 1
    row.updated_at = now
    session.add(row)
    return proof


def submit(
    session: Session, row: Application, *, version: int | None, now: dt.datetime, policy: Policy,
    today: dt.date, idempotency_key: str,
) -> None:
    if row.idempotency_key == idempotency_key and row.status != ApplicationStatus.DRAFT:
        return  # the same submission pressed twice
    _expect(row, version)
    # One application under way per loan (as `start` refuses): two drafts of different kinds
    # may exist, but only one may be submitted. The loan row is locked first, as in `start`, so
    # two drafts submitted at once on PostgreSQL cannot both pass.
    session.exec(select(Loan.id).where(Loan.id == row.loan_id).with_for_update()).first()
    under_way = session.exec(
        select(Application.id).where(
            Application.loan_id == row.loan_id,
            Application.id != row.id,
            Application.status.in_([s.value for s in OPEN_STATUSES]),  # type: ignore[attr-defined]
        )
    ).first()
    if under_way is not None:
        raise ApplicationRefused("open_application", "another application for this loan is already under way")
    kind = ApplicationKind(row.kind)
    errors = check_for_submission(kind, form_of(row), policy, today)
    if errors:
        raise ApplicationRefused("invalid", "some fields are missing or not valid", errors)
    missing = missing_proofs(kind, (p.kind for p in proofs_of(session, row.id)), policy)  # type: ignore[arg-type]
    if missing:
        raise ApplicationRefused("missing_proofs", "required proofs are missing: " + ", ".join(missing))
    row.idempotency_key = idempotency_key
    row.submitted_at = now
    deadline = now + dt.timedelta(days=policy.bank_decision_days)
    record_status(session, row, ApplicationStatus.SUBMITTED, actor="customer", now=now, deadline_at=deadline)


def withdraw(session: Session, row: Application, *, now: dt.datetime) -> None:
    if row.status in (ApplicationStatus.ACCEPTED, ApplicationStatus.PLAN_ACTIVE):
        raise ApplicationRefused("too_late", "an accepted agreement cannot be withdrawn")
    # The offers go with the application: none of them can be accepted any more.
    for offer in session.exec(select(Offer).where(Offer.application_id == row.id, Offer.status == "issued")).all():
        offer.status = "withdrawn"
        session.add(offer)
    record_status(session, row, ApplicationStatus.WITHDRAWN, actor="customer", now=now)


def to_view(session: Session, row: Application, policy: Policy) -> ApplicationView:
    assert row.id is not None
    loan = session.get(Loan, row.loan_id)
    assert loan is not None
    proofs = proofs_of(session, row.id)
    events = session.exec(
        select(StatusEvent).where(StatusEvent.application_id == row.id).order_by(StatusEvent.at, StatusEvent.id)  # type: ignore[arg-type]
    ).all()
    kind = ApplicationKind(row.kind)
    return ApplicationView(
        id=row.id,
        loan_id=row.loan_id,
        loan_no=loan.loan_no,
        kind=row.kind,
        status=row.status,
        form=form_of(row),
        proofs=tuple(
            ProofView(p.id, p.kind, p.original_name, p.sha256, p.size_bytes, p.media_type, p.added_at)  # type: ignore[arg-type]
            for p in proofs
        ),
        events=tuple(TimelineEvent(e.status, e.at, e.actor, e.note, e.deadline_at, e.reason, json.loads(e.detail)) for e in events),
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        submitted_at=row.submitted_at,
        deadline_at=row.deadline_at,
        missing_proofs=tuple(str(k) for k in missing_proofs(kind, (p.kind for p in proofs), policy)),
    )
