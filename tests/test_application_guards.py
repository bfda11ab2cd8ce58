"""Guards on an application's way through the services: what may no longer happen once a
deadline has passed or another application holds the loan, automatic work counted and audited
only when it really changed something, and every change to the proofs in the audit log.

Each test names the case that motivated it; all of them go through the services on the demo
database and check what the database then holds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from app_factory import FIRST_FORM, PDF, SETTLEMENT_FORM, allow_proofs
from sqlmodel import select

from wsnego_tui.core.application_form import FormFields
from wsnego_tui.core.clock import today
from wsnego_tui.core.lifecycle import ApplicationKind as K
from wsnego_tui.core.policy import DEFAULT_POLICY
from wsnego_tui.core.proofs import ProofKind
from wsnego_tui.core.views import LoanStatus
from wsnego_tui.services import ServiceError, Services
from wsnego_tui.services.officer import OfficerServices
from wsnego_tui.store.engine import read_session, write_session
from wsnego_tui.store.models import AuditEntry, Loan, Proof, StatusEvent

OFFICER_POLICY = dataclasses.replace(DEFAULT_POLICY, auto_decide_first=False, officer_waiver_limit=Decimal("0.00"))
"""First negotiations go to an officer, who can then ask for materials."""


@pytest.fixture
def svc(demo_services, tmp_path: Path):
    demo_services.inbox_dir = allow_proofs(demo_services, tmp_path / "inbox")
    return demo_services


def _login(svc, number: str, pin: str) -> int:
    return svc.login(number, pin).customer.id


def _proof_file(svc, name: str) -> Path:
    path = svc.inbox_dir / name
    path.write_bytes(PDF + name.encode())
    return path


def _fill(svc, customer: int, loan: int, kind: K, form: FormFields, proofs: list[ProofKind]):
    """A complete draft of `kind`, not yet submitted."""
    app = svc.start_application(customer, loan, kind)
    app = svc.save_application_form(customer, app.id, form, version=app.version)
    for i, proof in enumerate(proofs):
        app = svc.attach_proof(customer, app.id, proof, _proof_file(svc, f"{kind}-{proof}-{i}.pdf"))
    return app


def _submit(svc, customer: int, loan: int, kind: K, form: FormFields, proofs: list[ProofKind]):
    app = _fill(svc, customer, loan, kind, form, proofs)
    return svc.submit_application(customer, app.id, version=app.version, idempotency_key=f"submit-{app.id}")


def _audit(svc, action: str) -> list[AuditEntry]:
    with read_session(svc.engine) as s:
        return list(s.exec(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all())


def _events(svc, application_id: int) -> list[StatusEvent]:
    with read_session(svc.engine) as s:
        return list(s.exec(select(StatusEvent).where(StatusEvent.application_id == application_id).order_by(StatusEvent.id)).all())


def _proof_count(svc, application_id: int) -> int:
    with read_session(svc.engine) as s:
        return len(s.exec(select(Proof).where(Proof.application_id == application_id)).all())


# -- a materials request past its deadline ----------------------------------------------------------


@pytest.fixture
def materials_asked(svc):
    """张伟's first negotiation, with an officer's request for income proof (answer within 14
    days); returns (customer id, application view)."""
    svc.policy = OFFICER_POLICY
    officers = OfficerServices(svc)
    zhao = officers.login("O0001", "900001").officer.id
    customer = _login(svc, "80000001", "111111")
    loan = svc.loans_of(customer)[0]
    app = _submit(svc, customer, loan.loan_id, K.FIRST, FIRST_FORM, [ProofKind.HARDSHIP])
    svc.catch_up(customer)
    case = officers.case(zhao, app.id)
    officers.request_materials(zhao, app.id, [ProofKind.INCOME], message="请补交收入证明。", note="收入不明",
                               version=case.version)
    asked = svc.application(customer, app.id)
    assert asked.status == "materials_requested" and asked.deadline_at is not None
    return customer, asked


def test_materials_answered_after_the_deadline_are_refused_and_the_application_expires(svc, clock, materials_asked) -> None:
    """The borrower attached the proof in time but pressed "send" on day 20: the answer used to
    put the expired request back under review, with a fresh 21-day decision period."""
    customer, asked = materials_asked
    view = svc.attach_proof(customer, asked.id, ProofKind.INCOME, _proof_file(svc, "income.pdf"))
    clock.advance(dt.timedelta(days=20))
    with pytest.raises(ServiceError) as refused:
        svc.answer_materials(customer, asked.id, version=view.version)
    assert refused.value.code == "materials_expired"
    after = svc.application(customer, asked.id)
    assert after.status == "expired"
    assert after.events[-1].reason == "deadline.materials_requested"
    assert "under_review" not in [e.status for e in _events(svc, asked.id)][-2:]
    assert _audit(svc, "application.materials") == []


def test_an_answer_racing_the_deadline_is_refused_without_writing_anything(svc, clock, materials_asked, monkeypatch) -> None:
    """The deadline passes between the catching-up read and the answer's own transaction: the
    answer is still refused, and the request is left for the next read to expire."""
    customer, asked = materials_asked
    view = svc.attach_proof(customer, asked.id, ProofKind.INCOME, _proof_file(svc, "income.pdf"))
    clock.advance(dt.timedelta(days=20))
    monkeypatch.setattr(svc, "catch_up", lambda customer_id=None: 0)
    audit_before = len(_audit(svc, "application.materials"))
    with pytest.raises(ServiceError) as refused:
        svc.answer_materials(customer, asked.id, version=view.version)
    assert refused.value.code == "materials_expired"
    unchanged = svc.application(customer, asked.id)
    assert (unchanged.status, unchanged.version) == ("materials_requested", view.version)
    assert len(_audit(svc, "application.materials")) == audit_before


def test_a_proof_cannot_be_attached_once_the_materials_deadline_has_passed(svc, clock, materials_asked) -> None:
    customer, asked = materials_asked
    clock.advance(dt.timedelta(days=15))
    with pytest.raises(ServiceError) as refused:
        svc.attach_proof(customer, asked.id, ProofKind.INCOME, _proof_file(svc, "late-income.pdf"))
    assert refused.value.code == "materials_expired"
    assert svc.application(customer, asked.id).status == "expired"
    assert _proof_count(svc, asked.id) == 1  # the hardship proof of the submission only
    assert len(_audit(svc, "proof.attach")) == 1


def test_the_form_cannot_be_changed_once_the_materials_deadline_has_passed(svc, clock, materials_asked) -> None:
    """Before the next catch-up has expired the request (no catch-up runs in between here)."""
    customer, asked = materials_asked
    clock.advance(dt.timedelta(days=15))
    with pytest.raises(ServiceError) as refused:
        svc.save_application_form(customer, asked.id, FIRST_FORM.merged(wish_months=36), version=asked.version)
    assert refused.value.code == "materials_expired"
    assert svc.application(customer, asked.id).form == asked.form


def test_materials_answered_on_the_last_day_are_still_taken(svc, clock, materials_asked) -> None:
    customer, asked = materials_asked
    clock.advance(dt.timedelta(days=14))  # the request runs to the end of its 14th day
    view = svc.attach_proof(customer, asked.id, ProofKind.INCOME, _proof_file(svc, "income.pdf"))
    answered = svc.answer_materials(customer, asked.id, version=view.version)
    assert answered.status != "expired"
    assert len(_audit(svc, "application.materials")) == 1


# -- one open application per loan -------------------------------------------------------------------


def test_a_second_draft_on_the_same_loan_cannot_be_submitted_while_the_first_is_under_way(svc) -> None:
    """刘洋 started a first negotiation and a settlement; both drafts could be submitted, and
    the engine then rejected the first one because the other was open."""
    customer = _login(svc, "80000004", "444444")
    loan = svc.loans_of(customer)[0]
    settlement = svc.start_application(customer, loan.loan_id, K.SETTLEMENT)
    first = _submit(svc, customer, loan.loan_id, K.FIRST, FIRST_FORM, [ProofKind.HARDSHIP])
    settlement = svc.save_application_form(customer, settlement.id, SETTLEMENT_FORM, version=settlement.version)
    settlement = svc.attach_proof(customer, settlement.id, ProofKind.FUNDS, _proof_file(svc, "funds.pdf"))
    with pytest.raises(ServiceError) as refused:
        svc.submit_application(customer, settlement.id, version=settlement.version, idempotency_key="submit-settlement")
    assert refused.value.code == "open_application"
    assert svc.application(customer, settlement.id).status == "draft"
    assert len(_audit(svc, "application.submit")) == 1
    svc.catch_up(customer)
    assert svc.application(customer, first.id).status == "offer_issued"  # not rejected for the other one


def test_submitting_the_same_application_again_still_returns_quietly(svc) -> None:
    customer = _login(svc, "80000004", "444444")
    loan = svc.loans_of(customer)[0]
    svc.start_application(customer, loan.loan_id, K.SETTLEMENT)  # another draft on the loan
    draft = _fill(svc, customer, loan.loan_id, K.FIRST, FIRST_FORM, [ProofKind.HARDSHIP])
    once = svc.submit_application(customer, draft.id, version=draft.version, idempotency_key="k1")
    again = svc.submit_application(customer, draft.id, version=draft.version, idempotency_key="k1")
    assert once.status == again.status == "submitted" and again.version == once.version
    assert len(_audit(svc, "application.submit")) == 1


def test_the_other_draft_can_be_submitted_once_the_first_application_is_withdrawn(svc) -> None:
    customer = _login(svc, "80000004", "444444")
    loan = svc.loans_of(customer)[0]
    settlement = svc.start_application(customer, loan.loan_id, K.SETTLEMENT)
    first = _submit(svc, customer, loan.loan_id, K.FIRST, FIRST_FORM, [ProofKind.HARDSHIP])
    svc.withdraw_application(customer, first.id)
    settlement = svc.save_application_form(customer, settlement.id, SETTLEMENT_FORM, version=settlement.version)
    settlement = svc.attach_proof(customer, settlement.id, ProofKind.FUNDS, _proof_file(svc, "funds.pdf"))
    submitted = svc.submit_application(customer, settlement.id, version=settlement.version, idempotency_key="s")
    assert submitted.status == "submitted"


# -- plan outcomes caught up by two sessions at once ---------------------------------------------------


def test_a_plan_outcome_already_settled_is_reported_as_no_change(svc, clock) -> None:
    from wsnego_tui.store import review_flow as rf

    customer = _login(svc, "80000002", "222222")
    loan_id = svc.loans_of(customer)[0].loan_id
    clock.advance(dt.timedelta(days=10))  # two installments in a row missed: the plan is broken
    day, now = today(clock), clock.now()
    with write_session(svc.engine) as s:
        assert rf.settle_plan_outcome(s, s.get(Loan, loan_id), day, now, svc.policy) is True
    with write_session(svc.engine) as s:
        assert rf.settle_plan_outcome(s, s.get(Loan, loan_id), day, now, svc.policy) is False


def test_a_broken_plan_caught_up_by_two_sessions_at_once_is_counted_and_audited_once(svc, clock, monkeypatch) -> None:
    """Two kiosks read 李娜's loans at the same moment: both find the plan broken before
    either writes. The second used to audit a `plan.outcome` from broken to broken."""
    customer = _login(svc, "80000002", "222222")
    loan = svc.loans_of(customer)[0]
    clock.advance(dt.timedelta(days=10))
    other = Services(svc.settings, clock)
    both_read = threading.Barrier(2)
    write = Services._write

    def write_after_both_read(self):  # type: ignore[no-untyped-def]
        try:
            both_read.wait(timeout=5)
        except threading.BrokenBarrierError:
            pass
        return write(self)

    monkeypatch.setattr(Services, "_write", write_after_both_read)
    moved: dict[str, int] = {}
    failures: list[BaseException] = []

    def catch_up(name: str, services: Services) -> None:
        try:
            moved[name] = services.catch_up(customer)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=catch_up, args=(n, s)) for n, s in (("a", svc), ("b", other))]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        other.close()
    assert not failures
    assert sorted(moved.values()) == [0, 1]
    outcomes = _audit(svc, "plan.outcome")
    assert [(e.subject, json.loads(e.detail)) for e in outcomes] == [
        (f"loan:{loan.loan_no}", {"before": "negotiated", "after": "broken"})
    ]
    monkeypatch.setattr(Services, "_write", write)
    assert svc.loans_of(customer)[0].status == LoanStatus.BROKEN


# -- removing a proof is audited ---------------------------------------------------------------------


def test_removing_a_proof_is_audited_like_attaching_it(svc) -> None:
    customer = _login(svc, "80000001", "111111")
    loan = svc.loans_of(customer)[0]
    draft = svc.start_application(customer, loan.loan_id, K.FIRST)
    attached = svc.attach_proof(customer, draft.id, ProofKind.HARDSHIP, _proof_file(svc, "h.pdf"))
    (proof,) = attached.proofs
    removed = svc.remove_proof(customer, draft.id, proof.id)
    assert removed.proofs == ()
    (attach,) = _audit(svc, "proof.attach")
    (remove,) = _audit(svc, "proof.remove")
    assert (remove.actor, remove.subject) == (attach.actor, attach.subject) == (f"customer:{customer}", f"application:{draft.id}")
    detail = json.loads(remove.detail)
    assert detail["proof"] == proof.id
    assert {k: detail[k] for k in ("kind", "sha256", "size")} == json.loads(attach.detail)


def test_a_refused_removal_writes_no_audit_entry(svc) -> None:
    customer = _login(svc, "80000001", "111111")
    loan = svc.loans_of(customer)[0]
    submitted = _submit(svc, customer, loan.loan_id, K.FIRST, FIRST_FORM, [ProofKind.HARDSHIP])
    with pytest.raises(ServiceError) as refused:
        svc.remove_proof(customer, submitted.id, submitted.proofs[0].id)
    assert refused.value.code == "not_editable"
    assert _audit(svc, "proof.remove") == []
    assert _proof_count(svc, submitted.id) == 1
