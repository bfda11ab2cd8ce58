"""The bank side through OfficerServices on the borrower's own database: officers log in, work
the queue, open cases, build offers and decide — alone, or with a second officer's approval
above the policy's limits — while the borrower's side sees the outcome. Two officers (and two
processes) deciding one case at once decide it once.

The demo borrowers supply the cases: 张伟 (80000001) applies for a first negotiation, 李娜
(80000002) for a second one, 刘洋 (80000004) for a settlement. The policy sends first
negotiations and every waiver to an officer, so that each kind lands in the queue.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import multiprocessing
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import func, select

from wsnego_tui.core.application_form import FormFields
from wsnego_tui.core.lifecycle import ApplicationKind as K
from wsnego_tui.core.lifecycle import ApplicationStatus as St
from wsnego_tui.core.pins import hash_pin
from wsnego_tui.core.policy import DEFAULT_POLICY
from wsnego_tui.core.proofs import ProofKind
from wsnego_tui.core.review import build_plan_offer, plan_limits
from wsnego_tui.core.views import LoginOutcome
from wsnego_tui.core.views_officer import DecisionStatus, OfferSpec, QueueFilter
from wsnego_tui.services import ServiceError, Services
from wsnego_tui.services.officer import OfficerServices
from wsnego_tui.store.engine import read_session, write_session
from wsnego_tui.store.models import AuditEntry, Customer, Loan, Offer, Officer, OfficerDecision, StatusEvent
from wsnego_tui.store.review_flow import end_of_day, loan_facts

PDF = b"%PDF-1.4\n%proof\n"
POLICY = dataclasses.replace(DEFAULT_POLICY, auto_decide_first=False, officer_waiver_limit=Decimal("0.00"))
FIRST_FORM = FormFields(
    hardship_category="income_drop", hardship_text="店铺营业额下降。",
    monthly_income=Decimal("8000.00"), essential_expenses=Decimal("3000.00"), other_debt=Decimal("0.00"),
    wish_months=24,
)
SECOND_FORM = FIRST_FORM.merged(hardship_category="illness", wish_months=36, grace_months=2, grace_kind="interest-only")
SETTLEMENT_FORM = FormFields(
    hardship_category="business_failure", hardship_text="店铺关闭，亲属借款一次性结清。",
    monthly_income=Decimal("3000.00"), essential_expenses=Decimal("2500.00"),
    lump_sum=Decimal("60000.00"), lump_date=dt.date(2026, 12, 1),
)
BORROWERS = {
    K.FIRST: ("80000001", "111111", FIRST_FORM, [ProofKind.HARDSHIP]),
    K.SECOND: ("80000002", "222222", SECOND_FORM, [ProofKind.INCOME, ProofKind.EXPENSE]),
    K.SETTLEMENT: ("80000004", "444444", SETTLEMENT_FORM, [ProofKind.FUNDS]),
}


@pytest.fixture
def svc(demo_services, tmp_path: Path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    demo_services.settings = dataclasses.replace(demo_services.settings, extra={"proof_folders": [str(inbox)]})
    demo_services.inbox_dir = inbox
    demo_services.policy = POLICY
    return demo_services


@pytest.fixture
def officers(svc) -> OfficerServices:
    return OfficerServices(svc)


@pytest.fixture
def zhao(officers) -> int:
    """赵敏, an officer."""
    return officers.login("O0001", "900001").officer.id


@pytest.fixture
def sun(officers) -> int:
    """孙强, a senior officer."""
    return officers.login("O0002", "900002").officer.id


def _submit(svc, kind: K, form: FormFields | None = None, proof_names: list[str] | None = None):
    """The demo borrower for `kind` applies; returns (customer id, application view)."""
    number, pin, default_form, proofs = BORROWERS[kind]
    customer = svc.login(number, pin).customer.id
    loan = svc.loans_of(customer)[0]
    app = svc.start_application(customer, loan.loan_id, kind)
    app = svc.save_application_form(customer, app.id, form or default_form, version=app.version)
    for i, proof in enumerate(proofs):
        name = proof_names[i] if proof_names else f"{kind}-{proof}-{i}.pdf"
        path = svc.inbox_dir / name
        path.write_bytes(PDF + f"{kind}{proof}{i}".encode())
        app = svc.attach_proof(customer, app.id, proof, path)
    app = svc.submit_application(customer, app.id, version=app.version, idempotency_key=f"submit-{app.id}")
    svc.catch_up(customer)
    return customer, svc.application(customer, app.id)


def _audit(svc, action: str) -> list[AuditEntry]:
    with read_session(svc.engine) as s:
        return list(s.exec(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all())


def _events(svc, application_id: int) -> list[StatusEvent]:
    with read_session(svc.engine) as s:
        return list(s.exec(select(StatusEvent).where(StatusEvent.application_id == application_id).order_by(StatusEvent.id)).all())


def _today(clock) -> dt.date:
    from wsnego_tui.core.clock import today

    return today(clock)


def _add_officer(svc, number: str, role: str) -> int:
    with write_session(svc.engine) as s:
        row = Officer(officer_no=number, name="钱七", role=role, pin_hash=hash_pin("900003"))
        s.add(row)
        s.flush()
        return row.id


# -- log-in ---------------------------------------------------------------------------------------


def test_an_officer_logs_in_with_number_and_pin_and_the_attempt_is_audited(officers, svc) -> None:
    result = officers.login("O0002", "900002")
    assert result.outcome == LoginOutcome.OK
    assert (result.officer.name, result.officer.role) == ("孙强", "senior")
    assert [(e.actor, e.subject) for e in _audit(svc, "officer.login.ok")] == [("officer:O0002", "officer:O0002")]
    assert not any("900002" in e.detail for e in _audit(svc, "officer.login.ok"))


def test_a_wrong_officer_pin_does_not_say_whether_the_officer_exists(officers, svc) -> None:
    wrong_pin = officers.login("O0001", "000000")
    no_such_officer = officers.login("O9999", "000000")
    assert wrong_pin == no_such_officer
    assert wrong_pin.outcome == LoginOutcome.REJECTED and wrong_pin.officer is None
    assert len(_audit(svc, "officer.login.rejected")) == 2


def test_five_wrong_pins_lock_an_officer_for_fifteen_minutes(officers, clock) -> None:
    for _ in range(4):
        assert officers.login("O0001", "123456").outcome == LoginOutcome.REJECTED
    fifth = officers.login("O0001", "123456")
    assert fifth.outcome == LoginOutcome.LOCKED and fifth.locked_until == clock.now() + dt.timedelta(minutes=15)
    assert officers.login("O0001", "900001").outcome == LoginOutcome.LOCKED
    clock.advance(dt.timedelta(minutes=15, seconds=1))
    assert officers.login("O0001", "900001").outcome == LoginOutcome.OK


# -- the queue ------------------------------------------------------------------------------------


def _three_cases(svc, clock):
    """A first negotiation, then a day later a second one, then a day later a settlement."""
    cases = {}
    for kind in (K.FIRST, K.SECOND, K.SETTLEMENT):
        cases[kind] = _submit(svc, kind)[1]
        assert cases[kind].status == "under_review"
        clock.advance(dt.timedelta(days=1))
    return cases


def test_the_queue_lists_the_cases_waiting_for_an_officer_soonest_deadline_first(svc, officers, zhao, clock) -> None:
    cases = _three_cases(svc, clock)
    page = officers.queue(zhao)
    assert page.total == 3
    assert [r.application_id for r in page.rows] == [cases[K.FIRST].id, cases[K.SECOND].id, cases[K.SETTLEMENT].id]
    first = page.rows[0]
    assert (first.customer_no_masked, first.customer_name, first.kind, first.status) == ("****0001", "张伟", "first", "under_review")
    assert first.loan_no == cases[K.FIRST].loan_no
    assert first.deadline_at == cases[K.FIRST].submitted_at + dt.timedelta(days=21)
    assert first.days_left == 18  # submitted three days before today
    case = officers.case(zhao, first.application_id)
    assert first.recommended_waiver == max(o.waived_penalty + o.waived_interest for o in case.recommendation) > 0
    assert not first.awaiting_second_approval and first.proposed_by is None


def test_the_queue_filters_by_kind_age_and_status_and_pages_with_a_total(svc, officers, zhao, clock) -> None:
    cases = _three_cases(svc, clock)
    ids = lambda page: [r.application_id for r in page.rows]  # noqa: E731
    assert ids(officers.queue(zhao, QueueFilter(kinds=(K.SECOND,)))) == [cases[K.SECOND].id]
    assert ids(officers.queue(zhao, QueueFilter(kinds=(K.FIRST, K.SETTLEMENT)))) == [cases[K.FIRST].id, cases[K.SETTLEMENT].id]
    # submitted 3, 2 and 1 days ago
    older = officers.queue(zhao, QueueFilter(min_age_days=3))
    assert ids(older) == [cases[K.FIRST].id] and older.total == 1
    assert ids(officers.queue(zhao, QueueFilter(min_age_days=2))) == [cases[K.FIRST].id, cases[K.SECOND].id]
    assert ids(officers.queue(zhao, QueueFilter(max_age_days=2))) == [cases[K.SECOND].id, cases[K.SETTLEMENT].id]
    assert ids(officers.queue(zhao, QueueFilter(min_age_days=2, max_age_days=2))) == [cases[K.SECOND].id]
    assert officers.queue(zhao, QueueFilter(statuses=(St.MATERIALS_REQUESTED,))).total == 0
    first_page = officers.queue(zhao, page=0, page_size=2)
    second_page = officers.queue(zhao, page=1, page_size=2)
    assert (first_page.total, second_page.total, first_page.pages) == (3, 3, 2)
    assert ids(first_page) + ids(second_page) == [cases[K.FIRST].id, cases[K.SECOND].id, cases[K.SETTLEMENT].id]


def test_the_queue_refuses_a_filter_or_page_it_cannot_serve(officers, zhao) -> None:
    with pytest.raises(ValueError):
        QueueFilter(statuses=(St.REJECTED,))  # closed applications are not a queue
    with pytest.raises(ValueError):
        QueueFilter(min_age_days=-1)
    with pytest.raises(ServiceError) as refused:
        officers.queue(zhao, page_size=10_000)
    assert refused.value.code == "page_size"


def test_a_case_whose_deadline_passed_leaves_the_queue_when_it_is_next_read(svc, officers, zhao, clock) -> None:
    _, app = _submit(svc, K.FIRST)
    clock.advance(dt.timedelta(days=22))
    assert officers.queue(zhao).total == 0
    assert [e.status for e in _events(svc, app.id)][-1] == "expired"


# -- the case -------------------------------------------------------------------------------------


def test_the_case_shows_the_borrower_their_loans_financials_proofs_and_every_rule(svc, officers, zhao) -> None:
    customer, app = _submit(svc, K.FIRST)
    case = officers.case(zhao, app.id)
    assert (case.customer_no, case.customer_name, case.kind, case.status) == ("80000001", "张伟", "first", "under_review")
    assert [loan.loan_id for loan in case.loans] == [loan.loan_id for loan in svc.loans_of(customer)]
    f = case.financials
    assert (f.monthly_income, f.essential_expenses, f.other_debt, f.disposable) == (
        Decimal("8000.00"), Decimal("3000.00"), Decimal("0.00"), Decimal("5000.00"))
    assert f.max_installment == Decimal("3500.00")  # 70 % of what is disposable
    assert (case.hardship_category, case.wish.months) == ("income_drop", 24)
    (proof,) = case.proofs
    assert (proof.kind, proof.media_type, proof.size_bytes, len(proof.sha256)) == ("hardship", "application/pdf", len(PDF) + 14, 64)
    assert set(case.officer_reasons) == {"auto.kind_allowed", "auto.waiver_within_limit"}
    assert case.outcome_now == "needs_officer"
    rules = {r.rule: r for r in case.rules}
    assert not rules["auto.kind_allowed"].passed and rules["affordability.disposable_positive"].passed
    assert {"loan.open", "proofs.required_present", "term.cap", "waiver.penalty"} <= set(rules)
    assert case.recommendation and all(o.status == "proposed" for o in case.recommendation)
    assert case.limits.max_months == 60 and case.limits.max_penalty_waiver == case.loans[0].overdue_penalty
    assert [e.status for e in case.timeline] == ["submitted", "under_review", "under_review"]
    assert case.decisions == () and case.offers == ()
    assert [e.actor for e in _audit(svc, "officer.case.view")] == ["officer:O0001"]


def _add_png_proof(svc, application_id: int, name: str) -> int:
    """A 40 x 20 PNG (red above, blue below) stored like an attached proof; returns its id."""
    from PIL import Image

    from wsnego_tui.services.proof_files import ingest
    from wsnego_tui.store.models import Proof

    path = svc.inbox_dir / "picture.png"
    im = Image.new("RGB", (40, 20), (255, 0, 0))
    im.paste((0, 0, 255), (0, 10, 40, 20))
    im.save(path, "PNG")
    stored = ingest(path, allowed_roots=[svc.inbox_dir], store_dir=svc.settings.paths.proofs_dir,
                    max_bytes=svc.policy.proof_max_bytes)
    with write_session(svc.engine) as s:
        row = Proof(application_id=application_id, kind="income", original_name=name, sha256=stored.sha256,
                    size_bytes=stored.size_bytes, media_type=stored.media_type, added_at=svc.clock.now())
        s.add(row)
        s.flush()
        return row.id


def test_an_officer_previews_a_proof_of_the_case_and_the_view_is_audited(svc, officers, zhao) -> None:
    _, app = _submit(svc, K.FIRST)
    png = _add_png_proof(svc, app.id, "[@click=app.quit]x[/].png")
    (pdf, image) = officers.case(zhao, app.id).proofs
    shown = officers.proof_preview(zhao, app.id, pdf.id, 40, 10)
    assert (shown.proof, shown.preview.kind, shown.preview.pdf_version) == (pdf, "pdf", "1.4")
    shown = officers.proof_preview(zhao, app.id, png, 20, 10)
    assert shown.proof == image and shown.proof.original_name == "[@click=app.quit]x[/].png"
    assert (shown.preview.kind, shown.preview.cols, shown.preview.rows) == ("image", 20, 5)
    assert shown.preview.cells[0][0] == ((255, 0, 0), (255, 0, 0))
    assert shown.preview.cells[-1][0] == ((0, 0, 255), (0, 0, 255))
    entries = _audit(svc, "officer.proof.view")
    assert [(e.actor, e.subject) for e in entries] == [("officer:O0001", f"application:{app.id}")] * 2
    assert [json.loads(e.detail)["proof"] for e in entries] == [pdf.id, png]


def test_a_proof_of_another_application_is_refused_and_nothing_is_audited(svc, officers, zhao) -> None:
    _, first = _submit(svc, K.FIRST)
    _, second = _submit(svc, K.SECOND)
    other = second.proofs[0]
    with pytest.raises(ServiceError) as refused:
        officers.proof_preview(zhao, first.id, other.id, 40, 10)
    assert refused.value.code == "no_proof"
    with pytest.raises(ServiceError) as refused:
        officers.proof_preview(zhao, first.id, 10_000, 40, 10)
    assert refused.value.code == "no_proof"
    with pytest.raises(ServiceError) as refused:
        officers.proof_preview(10_000, second.id, other.id, 40, 10)
    assert refused.value.code == "no_officer"
    assert _audit(svc, "officer.proof.view") == []
    assert officers.proof_preview(zhao, second.id, other.id, 40, 10).preview.kind == "pdf"


def test_borrower_text_reaches_the_officer_untouched_as_data(svc, officers, zhao) -> None:
    """A borrower typed Rich markup, an ESC sequence and a bidi override into the hardship text
    and named a proof file with them. Control and bidi characters never got past intake; the
    markup is the borrower's text and comes back exactly as typed, for the console to show as
    plain text (DESIGN §5) — the service neither strips nor escapes it."""
    typed = "[@click=app.quit]快退出[/] [/x] \x1b[2J清屏\u202eevil\u202c 正文"
    form = FIRST_FORM.merged(hardship_text=typed)
    _, app = _submit(svc, K.FIRST, form, proof_names=["收入[b]证明[@click=app.quit]\x1b[31m\u202eFDP.exe.pdf"])
    with write_session(svc.engine) as s:
        customer = s.exec(select(Customer).where(Customer.customer_no == "80000001")).one()
        customer.name = "[red]张伟[/red]"
        s.add(customer)
    case = officers.case(zhao, app.id)
    assert case.hardship_text == "[@click=app.quit]快退出[/] [/x] [2J清屏evil 正文"
    assert case.proofs[0].original_name == "收入[b]证明[@click=app.quit][31mFDP.exe.pdf"
    assert case.customer_name == "[red]张伟[/red]"
    (row,) = officers.queue(zhao).rows
    assert row.customer_name == "[red]张伟[/red]"


def test_an_officer_cannot_open_a_draft_or_a_missing_application(svc, officers, zhao) -> None:
    customer = svc.login("80000001", "111111").customer.id
    draft = svc.start_application(customer, svc.loans_of(customer)[0].loan_id, K.FIRST)
    for application_id in (draft.id, 999_999):
        with pytest.raises(ServiceError) as refused:
            officers.case(zhao, application_id)
        assert refused.value.code == "no_application"


# -- the offer builder ----------------------------------------------------------------------------


def test_the_offer_builder_gives_what_the_shared_calculator_gives_within_the_policy(svc, officers, zhao, clock) -> None:
    _, app = _submit(svc, K.FIRST)
    preview = officers.preview_offer(zhao, app.id, OfferSpec(months=24))
    with read_session(svc.engine) as s:
        loan = s.get(Loan, app.loan_id)
        facts = loan_facts(s, loan, _today(clock), POLICY, excluding=app.id)
    expected = build_plan_offer(K.FIRST, facts, plan_limits(K.FIRST, facts, POLICY, _today(clock)), POLICY, months=24)
    assert preview.proposal.installment == expected.installment
    assert preview.proposal.total_payment == expected.total_payment
    assert preview.spec == OfferSpec(months=24, waived_penalty=facts.overdue_penalty, down_payment=Decimal("0.00"),
                                     rate_pct=facts.rate.annual_pct)
    assert preview.affordable and preview.max_installment == Decimal("3500.00")
    assert not preview.needs_second_officer
    cheaper = officers.preview_offer(zhao, app.id, OfferSpec(months=24, rate_pct=Decimal("7.2"), waived_penalty=Decimal("0.00")))
    assert cheaper.proposal.installment < preview.proposal.installment
    assert cheaper.proposal.capitalised_arrears == facts.overdue_interest + facts.overdue_penalty


def test_the_offer_builder_says_when_a_second_officer_is_needed(svc, officers, zhao) -> None:
    _, app = _submit(svc, K.SECOND)
    with_grace = officers.preview_offer(zhao, app.id, OfferSpec(months=30, grace_months=2, grace_kind="interest-only"))
    assert with_grace.needs_second_officer
    assert [r.rule for r in with_grace.second_approval_reasons] == ["approval.second_with_grace"]
    assert not officers.preview_offer(zhao, app.id, OfferSpec(months=30)).needs_second_officer


@pytest.mark.parametrize(
    ("kind", "spec", "field", "named"),
    [
        pytest.param(K.FIRST, OfferSpec(months=61), "months", "max_term_months", id="term beyond 60 months"),
        pytest.param(K.SECOND, OfferSpec(months=56), "months", "second.end_cap", id="second plan past its cap date"),
        pytest.param(K.FIRST, OfferSpec(months=24, grace_months=4, grace_kind="deferral"), "grace_months", "grace.allowed", id="grace beyond 3 months"),
        pytest.param(K.FIRST, OfferSpec(months=24, waived_penalty=Decimal("99999.00")), "waived_penalty", "first_penalty_waiver_pct", id="waiver beyond the penalty"),
        pytest.param(K.FIRST, OfferSpec(months=24, waived_interest=Decimal("1.00")), "waived_interest", "only a settlement", id="interest waived on a plan"),
        pytest.param(K.FIRST, OfferSpec(months=24, rate_pct=Decimal("20")), "rate_pct", "contract rate", id="rate above the contract"),
        pytest.param(K.SETTLEMENT, OfferSpec(waived_interest=Decimal("99999.00")), "waived_interest", "settlement_interest_waiver_pct", id="settlement interest waiver"),
        pytest.param(K.SETTLEMENT, OfferSpec(months=12), "months", "paid at once", id="settlement in instalments"),
    ],
)
def test_the_offer_builder_refuses_settings_beyond_the_policy_naming_the_limit(svc, officers, zhao, kind, spec, field, named) -> None:
    _, app = _submit(svc, kind)
    with pytest.raises(ServiceError) as refused:
        officers.preview_offer(zhao, app.id, spec)
    assert refused.value.code == "limit"
    assert field in refused.value.fields
    assert named in str(refused.value)


def test_a_second_negotiation_without_illness_or_job_loss_has_no_grace(svc, officers, zhao) -> None:
    _, app = _submit(svc, K.SECOND, SECOND_FORM.merged(hardship_category="income_drop", grace_months=0, grace_kind=None))
    assert officers.case(zhao, app.id).limits.max_grace_months == 0
    with pytest.raises(ServiceError) as refused:
        officers.preview_offer(zhao, app.id, OfferSpec(months=30, grace_months=1, grace_kind="interest-only"))
    assert "grace.allowed" in str(refused.value)


# -- decisions ------------------------------------------------------------------------------------


def _issue(officers, officer, app_id, version):
    return officers.issue_offers(officer, app_id, [OfferSpec(months=24), OfferSpec(months=36)], note="收入下降属实", version=version)


def _materials(officers, officer, app_id, version):
    return officers.request_materials(officer, app_id, [ProofKind.INCOME], message="请补交近三个月的银行流水。",
                                      note="收入数字需要核实", version=version)


def _reject(officers, officer, app_id, version):
    return officers.reject(officer, app_id, reason="officer.inconsistent_information",
                           what_would_change_it="提供与申请一致的收入证明。", note="材料前后矛盾", version=version)


@pytest.mark.parametrize(
    ("decide", "status", "notification", "audited"),
    [
        pytest.param(_issue, "offer_issued", "offer_ready", "officer.issue_offers", id="issue offers"),
        pytest.param(_materials, "materials_requested", "materials_requested", "officer.request_materials", id="request materials"),
        pytest.param(_reject, "rejected", "rejected", "officer.reject", id="reject"),
    ],
)
def test_each_officer_decision_moves_the_case_tells_the_borrower_and_is_audited(
    svc, officers, zhao, clock, decide, status, notification, audited
) -> None:
    customer, app = _submit(svc, K.FIRST)
    case = officers.case(zhao, app.id)
    result = decide(officers, zhao, app.id, case.version)
    assert (result.status, result.application_status) == (DecisionStatus.EFFECTIVE, status)
    view = svc.application(customer, app.id)
    assert view.status == status and view.version == result.application_version
    assert view.events[-1].actor == "officer:O0001"
    assert notification in [n.kind for n in svc.inbox(customer)]
    (entry,) = _audit(svc, audited)
    detail = json.loads(entry.detail)
    assert entry.actor == "officer:O0001" and detail["note"] and detail["decision"] == result.decision_id
    assert detail["before"]["status"] == "under_review" and detail["after"]["status"] == status
    assert Decimal(detail["before"]["overdue_total"]) == case.loans[0].overdue_total
    assert officers.queue(zhao).total == 0
    decided = officers.case(zhao, app.id)
    assert [(d.status, d.made_by) for d in decided.decisions] == [(DecisionStatus.EFFECTIVE, "O0001")]
    if status == "offer_issued":
        _, offers = svc.offers(customer, app.id)
        assert [o.months for o in offers] == [24, 36] and [o.id for o in offers] == list(result.offer_ids)
        assert all(o.waived_penalty == case.limits.max_penalty_waiver for o in offers)
        assert [(a["months"], Decimal(a["installment"])) for a in detail["after"]["offers"]] == [
            (o.months, o.installment) for o in offers]
        assert view.deadline_at == end_of_day(_today(clock) + dt.timedelta(days=7))
    elif status == "materials_requested":
        assert view.deadline_at == end_of_day(_today(clock) + dt.timedelta(days=14))
        assert view.events[-1].detail == {"missing": ["income"]} and view.events[-1].note == "请补交近三个月的银行流水。"
    else:
        assert view.events[-1].reason == "officer.inconsistent_information"
        assert view.events[-1].note == "提供与申请一致的收入证明。"


def test_an_issued_officer_offer_is_what_the_borrower_accepts(svc, officers, zhao) -> None:
    customer, app = _submit(svc, K.FIRST)
    preview = officers.preview_offer(zhao, app.id, OfferSpec(months=30, grace_months=1, grace_kind="interest-only"))
    result = officers.issue_offers(zhao, app.id, [preview.spec], note="给一个月宽限期", version=officers.case(zhao, app.id).version)
    _, (offer,) = svc.offers(customer, app.id)
    assert (offer.installment, offer.total_payment, offer.months) == (
        preview.proposal.installment, preview.proposal.total_payment, 30)
    done = svc.accept_offer(customer, app.id, offer.id, pin="111111", last4="0001")
    assert done.status == "plan_active"
    with read_session(svc.engine) as s:
        row = s.get(Offer, result.offer_ids[0])
        assert (row.created_by, row.approved_by, row.label, row.status) == ("officer:O0001", None, "officer", "accepted")


def test_a_decision_needs_a_note_and_a_proper_reason(svc, officers, zhao) -> None:
    _, app = _submit(svc, K.FIRST)
    version = officers.case(zhao, app.id).version
    for note in ("", "   ", "\x1b\u202e"):
        with pytest.raises(ServiceError) as refused:
            officers.issue_offers(zhao, app.id, [OfferSpec(months=24)], note=note, version=version)
        assert refused.value.code == "note_required"
    with pytest.raises(ServiceError) as refused:
        officers.reject(zhao, app.id, reason="because I say so", what_would_change_it="x", note="n", version=version)
    assert refused.value.code == "reason"
    with pytest.raises(ServiceError) as refused:
        officers.request_materials(zhao, app.id, [], message="请补交", note="n", version=version)
    assert refused.value.code == "no_kinds"
    assert officers.case(zhao, app.id).status == "under_review"


def test_an_offer_the_borrower_cannot_afford_is_not_issued(svc, officers, zhao) -> None:
    _, app = _submit(svc, K.FIRST)
    with pytest.raises(ServiceError) as refused:
        officers.issue_offers(zhao, app.id, [OfferSpec(months=3)], note="三个月还清", version=officers.case(zhao, app.id).version)
    assert refused.value.code == "unaffordable"
    assert officers.case(zhao, app.id).status == "under_review"


def test_a_case_that_is_no_longer_under_review_cannot_be_decided(svc, officers, zhao) -> None:
    customer, app = _submit(svc, K.FIRST)
    withdrawn = svc.withdraw_application(customer, app.id)
    with pytest.raises(ServiceError) as refused:
        _reject(officers, zhao, app.id, withdrawn.version)
    assert refused.value.code == "not_under_review"


# -- four eyes ------------------------------------------------------------------------------------


def _propose_with_grace(svc, officers, officer):
    customer, app = _submit(svc, K.SECOND)
    version = officers.case(officer, app.id).version
    result = officers.issue_offers(officer, app.id, [OfferSpec(months=30, grace_months=2, grace_kind="interest-only")],
                                   note="病假期间先还利息", version=version)
    return customer, app, result


def test_a_second_negotiation_with_grace_waits_for_a_second_officer_then_takes_effect(svc, officers, zhao, sun) -> None:
    customer, app, proposal = _propose_with_grace(svc, officers, zhao)
    assert proposal.status == DecisionStatus.PENDING and proposal.approval_reasons == ("approval.second_with_grace",)
    assert proposal.application_status == "under_review" and proposal.offer_ids == ()
    assert svc.offers(customer, app.id)[1] == []  # the borrower sees nothing yet
    (row,) = officers.queue(sun, QueueFilter(awaiting_second_approval=True)).rows
    assert (row.application_id, row.proposed_by) == (app.id, "O0001")
    assert officers.queue(sun, QueueFilter(awaiting_second_approval=False)).total == 0
    (previewed,) = officers.preview_decision(sun, proposal.decision_id)
    assert previewed.needs_second_officer

    with pytest.raises(ServiceError) as refused:
        officers.approve(zhao, proposal.decision_id, note="我自己批准", version=proposal.application_version)
    assert refused.value.code == "own_proposal"
    clerk = _add_officer(svc, "O0003", "officer")
    with pytest.raises(ServiceError) as refused:
        officers.approve(clerk, proposal.decision_id, note="同意", version=proposal.application_version)
    assert refused.value.code == "not_senior"

    approved = officers.approve(sun, proposal.decision_id, note="病历属实，同意宽限", version=proposal.application_version)
    assert approved.status == DecisionStatus.EFFECTIVE and approved.application_status == "offer_issued"
    _, (offer,) = svc.offers(customer, app.id)
    assert (offer.months, offer.grace_months, offer.installment) == (30, 2, previewed.proposal.installment)
    with read_session(svc.engine) as s:
        stored = s.get(Offer, offer.id)
        assert (stored.created_by, stored.approved_by) == ("officer:O0001", "officer:O0002")
        decision = s.get(OfficerDecision, proposal.decision_id)
        assert (decision.made_by, decision.reviewed_by, decision.status) == ("O0001", "O0002", "effective")
    assert "offer_ready" in [n.kind for n in svc.inbox(customer)]
    assert [e.actor for e in _audit(svc, "officer.propose.issue_offers")] == ["officer:O0001"]
    (entry,) = _audit(svc, "officer.proposal.approve")
    assert entry.actor == "officer:O0002" and json.loads(entry.detail)["proposed_by"] == "O0001"
    assert svc.accept_offer(customer, app.id, offer.id, pin="222222", last4="0002").status == "plan_active"


def test_a_senior_officers_proposal_is_approved_by_the_other_demo_senior(svc, officers, sun) -> None:
    """The demo has two senior officers, so a senior's own proposal can be walked through too."""
    zhou = officers.login("O0005", "900005").officer
    assert (zhou.name, zhou.role) == ("周静", "senior")
    customer, app, proposal = _propose_with_grace(svc, officers, sun)
    with pytest.raises(ServiceError) as refused:
        officers.approve(sun, proposal.decision_id, note="我自己批准", version=proposal.application_version)
    assert refused.value.code == "own_proposal"
    approved = officers.approve(zhou.id, proposal.decision_id, note="同意", version=proposal.application_version)
    assert approved.status == DecisionStatus.EFFECTIVE and approved.application_status == "offer_issued"
    assert len(svc.offers(customer, app.id)[1]) == 1


def test_waivers_above_the_single_officer_limit_need_a_second_officer(svc, officers, zhao, sun) -> None:
    svc.policy = dataclasses.replace(POLICY, second_officer_waiver_limit=Decimal("100.00"))
    customer, app = _submit(svc, K.SETTLEMENT)
    case = officers.case(zhao, app.id)
    full = officers.preview_offer(zhao, app.id, OfferSpec())
    assert full.proposal.total_waived > Decimal("100.00")
    assert [r.rule for r in full.second_approval_reasons] == ["approval.second_officer_waiver"]
    within = officers.preview_offer(zhao, app.id, OfferSpec(waived_penalty=Decimal("60.00"), waived_interest=Decimal("40.00")))
    assert not within.needs_second_officer and within.proposal.total_waived == Decimal("100.00")
    assert within.proposal.principal == case.loans[0].outstanding_principal  # principal is never discounted
    pending = officers.issue_offers(zhao, app.id, [full.spec], note="全额减免罚息", version=case.version)
    assert pending.status == DecisionStatus.PENDING
    approved = officers.approve(sun, pending.decision_id, note="同意", version=pending.application_version)
    _, (offer,) = svc.offers(customer, app.id)
    assert approved.offer_ids == (offer.id,) and offer.total_payment == full.proposal.total_payment


def test_a_proposal_sent_back_returns_the_case_to_the_queue_for_a_new_decision(svc, officers, zhao, sun) -> None:
    customer, app, proposal = _propose_with_grace(svc, officers, zhao)
    returned = officers.send_back(sun, proposal.decision_id, note="宽限期证据不足", version=proposal.application_version)
    assert returned.status == DecisionStatus.RETURNED and returned.application_status == "under_review"
    row = officers.queue(zhao).rows[0]
    assert row.application_id == app.id and not row.awaiting_second_approval
    case = officers.case(zhao, app.id)
    assert case.pending is None and case.decisions[0].review_note == "宽限期证据不足"
    again = officers.issue_offers(zhao, app.id, [OfferSpec(months=30)], note="不含宽限期", version=case.version)
    assert again.status == DecisionStatus.EFFECTIVE and svc.application(customer, app.id).status == "offer_issued"
    with pytest.raises(ServiceError) as refused:
        officers.approve(sun, proposal.decision_id, note="再批一次", version=again.application_version)
    assert refused.value.code == "not_under_review"


def test_a_pending_proposal_holds_the_case_until_it_is_reviewed_or_withdrawn(svc, officers, zhao, sun) -> None:
    _, app, proposal = _propose_with_grace(svc, officers, zhao)
    version = proposal.application_version
    with pytest.raises(ServiceError) as refused:
        _reject(officers, sun, app.id, version)
    assert refused.value.code == "pending_approval"
    with pytest.raises(ServiceError) as refused:
        officers.withdraw_proposal(sun, proposal.decision_id, note="不是我的", version=version)
    assert refused.value.code == "not_yours"
    withdrawn = officers.withdraw_proposal(zhao, proposal.decision_id, note="改为无宽限期方案", version=version)
    assert withdrawn.status == DecisionStatus.WITHDRAWN
    assert _reject(officers, sun, app.id, withdrawn.application_version).application_status == "rejected"


# -- races ----------------------------------------------------------------------------------------


def test_an_officer_deciding_on_a_stale_view_is_told_the_case_changed(svc, officers, zhao, sun, clock) -> None:
    """Two officers, each in their own session (their own Services), opened the same case; the
    first decides, the second's decision is refused and changes nothing."""
    customer, app = _submit(svc, K.FIRST)
    other = OfficerServices(Services(svc.settings, clock, svc.policy))
    try:
        seen_by_zhao = officers.case(zhao, app.id).version
        seen_by_sun = other.case(sun, app.id).version
        _issue(officers, zhao, app.id, seen_by_zhao)
        with pytest.raises(ServiceError) as refused:
            _reject(other, sun, app.id, seen_by_sun)
        assert refused.value.code == "changed"
        reloaded = other.case(sun, app.id)
        assert reloaded.status == "offer_issued" and reloaded.version != seen_by_sun
    finally:
        other.svc.close()
    assert [e.status for e in _events(svc, app.id)].count("offer_issued") == 1
    assert "rejected" not in [e.status for e in _events(svc, app.id)]


def test_approving_a_proposal_twice_approves_it_once(svc, officers, zhao, sun) -> None:
    _, app, proposal = _propose_with_grace(svc, officers, zhao)
    officers.approve(sun, proposal.decision_id, note="同意", version=proposal.application_version)
    with pytest.raises(ServiceError) as refused:
        officers.approve(sun, proposal.decision_id, note="同意", version=proposal.application_version)
    assert refused.value.code == "changed"
    assert [e.status for e in _events(svc, app.id)].count("offer_issued") == 1


def _decide_in_a_process(settings, policy, now, application_id: int, version: int, worker: int, start, results) -> None:  # type: ignore[no-untyped-def]
    from wsnego_tui.core.clock import FixedClock

    services = Services(settings, FixedClock(now), policy)
    officers = OfficerServices(services)
    try:
        officer = officers.login("O0001" if worker % 2 else "O0002", "900001" if worker % 2 else "900002").officer
        start.wait(timeout=60)
        if worker % 2:
            officers.issue_offers(officer.id, application_id, [OfferSpec(months=24)], note=f"worker {worker}", version=version)
        else:
            officers.reject(officer.id, application_id, reason="officer.other", what_would_change_it="-", note=f"worker {worker}", version=version)
        results.put(("decided", worker))
    except ServiceError as exc:
        results.put((exc.code, worker))
    except Exception as exc:  # reported to the parent, which fails the test
        results.put((f"{type(exc).__name__}: {exc}", worker))
    finally:
        services.close()


def test_officers_in_several_processes_deciding_one_case_at_once_decide_it_once(svc, officers, zhao, clock) -> None:
    _, app = _submit(svc, K.FIRST)
    version = officers.case(zhao, app.id).version
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Event(), ctx.Queue()
    workers = [
        ctx.Process(target=_decide_in_a_process, args=(svc.settings, svc.policy, clock.now(), app.id, version, w, start, results))
        for w in range(4)
    ]
    for p in workers:
        p.start()
    start.set()
    for p in workers:
        p.join(timeout=120)
    outcomes = sorted(results.get(timeout=10)[0] for _ in workers)
    assert outcomes == ["changed", "changed", "changed", "decided"]
    with read_session(svc.engine) as s:
        assert s.exec(select(func.count()).select_from(OfficerDecision)).one() == 1
        statuses = [e.status for e in s.exec(select(StatusEvent).where(StatusEvent.application_id == app.id)).all()]
    assert statuses.count("offer_issued") + statuses.count("rejected") == 1


# -- materials round trip -------------------------------------------------------------------------


def test_a_materials_request_round_trip_ends_in_an_offer_the_borrower_accepts(svc, officers, zhao, sun, clock) -> None:
    customer, app = _submit(svc, K.SECOND, SECOND_FORM.merged(grace_months=0, grace_kind=None))
    before = officers.case(zhao, app.id)
    asked = officers.request_materials(zhao, app.id, [ProofKind.HARDSHIP], message="请补交住院证明。",
                                       note="疾病需要证明", version=before.version)
    assert asked.application_status == "materials_requested"
    (note,) = [n for n in svc.inbox(customer) if n.kind == "materials_requested"]
    assert note.params["missing"] == ["hardship"] and note.params["message"] == "请补交住院证明。"

    clock.advance(dt.timedelta(hours=20))
    path = svc.inbox_dir / "住院证明.pdf"
    path.write_bytes(PDF + b"hospital")
    view = svc.attach_proof(customer, app.id, ProofKind.HARDSHIP, path)
    answered = svc.answer_materials(customer, app.id, version=view.version)
    assert answered.status == "under_review" and answered.events[-1].reason == "needs_officer"  # second: always an officer

    case = officers.case(sun, app.id)
    assert "hardship" in [p.kind for p in case.proofs] and case.pending is None
    old_ids = {o.id for o in before.recommendation}
    assert case.recommendation and not old_ids & {o.id for o in case.recommendation}  # the latest hand-over's
    issued = officers.issue_offers(sun, app.id, [OfferSpec(months=36)], note="材料齐全", version=case.version)
    _, (offer,) = svc.offers(customer, app.id)
    assert issued.offer_ids == (offer.id,)
    assert svc.accept_offer(customer, app.id, offer.id, pin="222222", last4="0002").status == "plan_active"


def test_answering_a_materials_request_late_in_the_review_gives_the_bank_its_full_period_again(
    svc, officers, zhao, clock
) -> None:
    """Counted from the first submission, the bank's 21 days could already be over when the
    borrower answers on day 20 of a request made on day 15: the application would expire at the
    next read, through no fault of the borrower's."""
    customer, app = _submit(svc, K.FIRST)
    clock.advance(dt.timedelta(days=15))
    officers.request_materials(zhao, app.id, [ProofKind.INCOME], message="请补交收入证明。", note="收入不明",
                               version=officers.case(zhao, app.id).version)
    clock.advance(dt.timedelta(days=5))
    path = svc.inbox_dir / "工资流水.pdf"
    path.write_bytes(PDF + b"payslips")
    view = svc.attach_proof(customer, app.id, ProofKind.INCOME, path)
    answered = svc.answer_materials(customer, app.id, version=view.version)
    assert answered.deadline_at is not None
    assert answered.deadline_at - clock.now() == dt.timedelta(days=DEFAULT_POLICY.bank_decision_days)
    clock.advance(dt.timedelta(days=2))  # past submission + 21 days, well inside the new period
    svc.catch_up(customer)
    assert svc.application(customer, app.id).status != "expired"


def test_an_application_left_with_an_officer_past_the_deadline_never_shows_the_engines_proposals(
    svc, officers, zhao, clock
) -> None:
    """The engine's proposals for an officer stay `proposed` when the application expires: the
    borrower never sees offers the bank did not issue, not even as expired ones."""
    customer, app = _submit(svc, K.FIRST)
    assert officers.case(zhao, app.id).recommendation  # the engine proposed, an officer must decide
    clock.advance(dt.timedelta(days=DEFAULT_POLICY.bank_decision_days + 1))
    svc.catch_up(customer)
    assert svc.application(customer, app.id).status == "expired"
    _, offers = svc.offers(customer, app.id)
    assert offers == []
    with read_session(svc.engine) as s:
        statuses = {o.status for o in s.exec(select(Offer).where(Offer.application_id == app.id)).all()}
    assert statuses == {"proposed"}


def test_offers_on_a_second_negotiation_are_withdrawn_when_the_first_plan_breaks(svc, officers, zhao, clock) -> None:
    """The first plan breaking changes what the bank may offer (a down payment, for one): the
    officer's offers go, and the case comes back to the officers with the loan as it is now."""
    customer, app = _submit(svc, K.SECOND)
    result = officers.issue_offers(zhao, app.id, [OfferSpec(months=36)], note="收入下降属实",
                                   version=officers.case(zhao, app.id).version)
    assert svc.application(customer, app.id).status == "offer_issued"
    clock.advance(dt.timedelta(days=4))  # the first plan 30 days late: broken; the offers still valid
    svc.catch_up(customer)
    view = svc.application(customer, app.id)
    assert view.status == "under_review" and view.events[-1].reason == "needs_officer"
    assert "loan_changed.broken" in [event.reason for event in view.events]
    with read_session(svc.engine) as s:
        assert s.get(Offer, result.offer_ids[0]).status == "withdrawn"
    assert svc.offers(customer, app.id)[1] == []
    with pytest.raises(ServiceError):
        svc.accept_offer(customer, app.id, result.offer_ids[0], pin="222222", last4="0002")
    assert [e.action for e in _audit(svc, "application.loan_changed")] == ["application.loan_changed"]
