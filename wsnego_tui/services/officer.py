"""The bank side's use cases: officer log-in, the queue, the case view, the offer builder and
the decisions (issue offers, request materials, reject), with a second officer's approval for
what one officer may not decide alone (four eyes).

`OfficerServices` sits on a borrower-side `Services` and shares its engine, clock, policy,
transactions and audit log. Every decision
- carries the application version the officer saw; the write re-reads the application under the
  write lock (BEGIN IMMEDIATE on SQLite, FOR UPDATE on PostgreSQL) and refuses with
  ServiceError("changed") when it moved, so two officers never both decide one case;
- carries a note (required) and is audited with the amounts before and after;
- rebuilds its offers from the officer's settings (`OfferSpec`) with the shared calculator on the
  facts of the moment: an offer object from the screen is never trusted.
A decision whose offers have `second_approval_reasons` (core.review) is stored as a pending
proposal; a senior officer other than the proposer approves it (it then takes effect exactly as
a direct decision would) or sends it back.

Who approves (the policy names no role, decided here): a second approval needs role `senior`
and is never given by the officer who proposed. Materials requests and rejections never need
one. Methods block (database work): call them from thread workers. Plain objects come back
(core.views, core.views_officer), never ORM rows. No textual, no rich.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from wsnego_tui.core.application_form import FieldError
from wsnego_tui.core.clock import today
from wsnego_tui.core.lifecycle import ApplicationKind, ApplicationStatus
from wsnego_tui.core.pins import UNKNOWN_CUSTOMER_HASH, PinCheck
from wsnego_tui.core.proofs import ProofKind
from wsnego_tui.core.text import strip_unsafe
from wsnego_tui.core.views import LoginOutcome, ProofView
from wsnego_tui.core.views_officer import (
    MAX_PAGE_SIZE,
    BuilderLimits,
    CaseView,
    DecisionAction,
    DecisionResult,
    DecisionStatus,
    FinancialsView,
    OfferPreview,
    OfferSpec,
    OfficerLoginResult,
    OfficerRole,
    OfficerView,
    ProofPreview,
    ProofPreviewView,
    QueueFilter,
    QueuePage,
    RuleLine,
    WishView,
)
from wsnego_tui.services.api import LOCKOUT, MAX_LOGIN_FAILURES, ServiceError, Services

if TYPE_CHECKING:
    from sqlmodel import Session

    from wsnego_tui.core.review import RuleResult
    from wsnego_tui.store.models import Application, Officer, OfficerDecision

S = ApplicationStatus
K = ApplicationKind
TEXT_MAX = 500
"""Longest note, message or "what would change it" (characters), like the hardship text."""
APPROVER_ROLES = (OfficerRole.SENIOR,)
OFFICER_REJECT_REASONS = ("officer.insufficient_evidence", "officer.inconsistent_information", "officer.other")
"""Reasons an officer may reject for besides the engine's own rules on the case."""


class OfficerServices:
    def __init__(self, services: Services) -> None:
        self.svc = services

    # -- log-in -------------------------------------------------------------------------------

    def pin_check(self, officer_no: str, pin: str) -> PinCheck:
        """As `Services.pin_check`, for an officer number."""
        from sqlmodel import select

        from wsnego_tui.store.models import Officer

        with self.svc._read() as s:
            stored = s.exec(select(Officer.pin_hash).where(Officer.officer_no == officer_no)).first()
        return PinCheck(pin, stored or UNKNOWN_CUSTOMER_HASH)

    def login(self, officer_no: str, pin: str, check: PinCheck | None = None) -> OfficerLoginResult:
        """Officer number and PIN, with the customers' rules: one answer for a wrong number and
        a wrong PIN, at the same cost; five wrong PINs lock the officer for 15 minutes. `check`
        as for `Services.login`."""
        from sqlmodel import select

        from wsnego_tui.store.models import Officer

        now = self.svc.clock.now()
        if check is None or not check.is_for(pin):
            check = self.pin_check(officer_no, pin)
        with self.svc._write() as s:
            row = s.exec(select(Officer).where(Officer.officer_no == officer_no).with_for_update()).first()
            pin_ok = check.matches(row.pin_hash if row else UNKNOWN_CUSTOMER_HASH)
            subject = "officer:" + "".join(ch for ch in officer_no if ch.isascii() and ch.isalnum())[:16]
            if row is None:
                outcome, locked_until = LoginOutcome.REJECTED, None
            elif row.locked_until is not None and row.locked_until > now:
                outcome, locked_until = LoginOutcome.LOCKED, row.locked_until
            elif not pin_ok:
                row.failed_logins += 1
                locked_until = None
                if row.failed_logins >= MAX_LOGIN_FAILURES:
                    locked_until = row.locked_until = now + LOCKOUT
                    row.failed_logins = 0
                s.add(row)
                outcome = LoginOutcome.LOCKED if locked_until else LoginOutcome.REJECTED
            else:
                row.failed_logins, row.locked_until = 0, None
                s.add(row)
                self.svc._audit(s, subject, "officer.login.ok", subject)
                return OfficerLoginResult(LoginOutcome.OK, officer=_officer_view(row))
            self.svc._audit(s, "anonymous", f"officer.login.{outcome.value}", subject)
            return OfficerLoginResult(outcome, locked_until=locked_until)

    def officer(self, officer_id: int) -> OfficerView:
        with self.svc._read() as s:
            return _officer_view(self._officer(s, officer_id))

    # -- the queue ----------------------------------------------------------------------------

    def queue(self, officer_id: int, flt: QueueFilter | None = None, *, page: int = 0, page_size: int = 50) -> QueuePage:
        """Applications waiting for an officer (or those of the filter's statuses), soonest
        deadline first, one page of them with the total count. Due automatic work (reviews,
        deadlines) is done first, so the queue never lists a case the engine would move on."""
        from wsnego_tui.store import officer_queries as oq

        if isinstance(page, bool) or not isinstance(page, int) or page < 0:
            raise ServiceError("page", "the page number must be 0 or more")
        if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ServiceError("page_size", f"a page holds 1 to {MAX_PAGE_SIZE} rows")
        self._catch_up_applications()
        now, day = self.svc.clock.now(), today(self.svc.clock)
        with self.svc._read() as s:
            self._officer(s, officer_id)
            return oq.queue_page(s, flt or QueueFilter(), page=page, page_size=page_size, now=now, today=day)

    def _catch_up_applications(self) -> None:
        """Reviews that are due and deadlines that have passed, for every customer (the queue's
        own part of Services.catch_up: plan outcomes concern single loans and are caught up when
        a case is opened)."""
        from wsnego_tui.store import officer_queries as oq
        from wsnego_tui.store import review_flow as rf

        now, day = self.svc.clock.now(), today(self.svc.clock)
        with self.svc._read() as s:
            due = oq.due_application_ids(s, now, self.svc.policy)
        if not due:
            return
        with self.svc._write() as s:
            for application_id in due:
                if rf.advance(s, application_id, now, day, self.svc.policy):
                    self.svc._audit(s, "engine", "application.advance", f"application:{application_id}")

    # -- the case -----------------------------------------------------------------------------

    def case(self, officer_id: int, application_id: int) -> CaseView:
        """Everything about one application the officer decides on; the view is audited."""
        from sqlmodel import select

        from wsnego_tui.core.review import Outcome
        from wsnego_tui.store import applications as apps
        from wsnego_tui.store import officer_queries as oq
        from wsnego_tui.store import queries
        from wsnego_tui.store.models import Customer, Loan, StatusEvent
        from wsnego_tui.store.offers import offer_view, offers_of

        self.svc.catch_up(self._customer_of(application_id))
        day = today(self.svc.clock)
        policy = self.svc.policy
        with self.svc._read() as s:
            officer = self._officer(s, officer_id)
            row = self._application(s, application_id)
            assert row.id is not None
            customer = s.get(Customer, row.customer_id)
            loan = s.get(Loan, row.loan_id)
            assert customer is not None and loan is not None
            loans = s.exec(select(Loan).where(Loan.customer_id == row.customer_id).order_by(Loan.id)).all()  # type: ignore[arg-type]
            view = apps.to_view(s, row, policy)
            decision = self._review_now(s, row, loan, day)
            limits = self._limits(s, row, loan, day)
            handed_over = s.exec(
                select(StatusEvent).where(StatusEvent.application_id == row.id, StatusEvent.reason == "needs_officer")
                .order_by(StatusEvent.id.desc())  # type: ignore[union-attr]
            ).first()
            form = view.form
            disposable = form.disposable
            case = CaseView(
                application_id=row.id, version=row.version, kind=row.kind, status=row.status,
                customer_id=row.customer_id, customer_no=customer.customer_no, customer_name=customer.name,
                loan_id=row.loan_id, loan_no=loan.loan_no,
                loans=tuple(queries.loan_summary(s, each, day, policy) for each in loans),
                submitted_at=row.submitted_at, deadline_at=row.deadline_at,
                days_left=oq.days_left(row.deadline_at, day),
                financials=FinancialsView(
                    monthly_income=form.monthly_income, essential_expenses=form.essential_expenses,
                    other_debt=form.other_debt, disposable=disposable, affordability_pct=policy.affordability_pct,
                    max_installment=_max_installment(disposable, policy),
                ),
                hardship_category=row.hardship_category, hardship_text=row.hardship_text,
                wish=WishView(form.wish_monthly, form.wish_months, form.grace_months, form.grace_kind,
                              form.lump_sum, form.lump_date),
                proofs=view.proofs,
                recommendation=tuple(offer_view(o) for o in oq.engine_recommendation(s, row.id)),
                officer_reasons=tuple(json.loads(handed_over.detail).get("reasons", ())) if handed_over else (),
                outcome_now=decision.outcome.value if decision else Outcome.NEEDS_OFFICER.value,
                rules=tuple(_rule_line(r) for r in decision.rules_applied) if decision else (),
                limits=limits,
                timeline=view.events,
                decisions=tuple(oq.decision_view(d) for d in oq.decisions_of(s, row.id)),
                offers=tuple(offers_of(s, row)),
            )
        with self.svc._write() as s:
            self.svc._audit(s, _actor(officer), "officer.case.view", f"application:{application_id}")
        return case

    def proof_preview(self, officer_id: int, application_id: int, proof_id: int, cols: int, rows: int) -> ProofPreviewView:
        """One proof of the application, with a preview at most `cols` x `rows` cells (a picture
        for an image, the version and page count for a PDF; nothing is run). The view is audited."""
        from wsnego_tui.services.proof_files import stored_path
        from wsnego_tui.services.proof_preview import preview_file
        from wsnego_tui.store.models import Proof

        with self.svc._read() as s:
            officer = self._officer(s, officer_id)
            self._application(s, application_id)
            row = s.get(Proof, proof_id)
            if row is None or row.application_id != application_id:
                raise ServiceError("no_proof", "no such proof on this application")
            proof = ProofView(row.id, row.kind, row.original_name, row.sha256, row.size_bytes,  # type: ignore[arg-type]
                              row.media_type, row.added_at)
        if re.fullmatch(r"[0-9a-f]{64}", proof.sha256):
            preview = preview_file(stored_path(self.svc.settings.paths.proofs_dir, proof.sha256), proof.media_type,
                                   max(1, min(cols, 400)), max(1, min(rows, 200)))
        else:
            preview = ProofPreview(kind="none", reason="missing")
        with self.svc._write() as s:
            self.svc._audit(s, _actor(officer), "officer.proof.view", f"application:{application_id}",
                            proof=proof.id, sha256=proof.sha256, preview=preview.kind)
        return ProofPreviewView(application_id, proof, preview)

    # -- the offer builder --------------------------------------------------------------------

    def preview_offer(self, officer_id: int, application_id: int, spec: OfferSpec) -> OfferPreview:
        """The offer these settings give, built by the shared calculator within the policy's
        limits (a setting outside them is refused, naming the limit), and whether issuing it
        needs a second officer."""
        day = today(self.svc.clock)
        with self.svc._read() as s:
            self._officer(s, officer_id)
            row = self._application(s, application_id)
            if row.status != S.UNDER_REVIEW:
                raise ServiceError("not_under_review", "offers are built for applications under review")
            return self._build(s, row, spec, day)

    def preview_decision(self, officer_id: int, decision_id: int) -> tuple[OfferPreview, ...]:
        """A proposal's offers as approving it now would issue them (the approver's view)."""
        day = today(self.svc.clock)
        with self.svc._read() as s:
            self._officer(s, officer_id)
            decision = self._decision(s, decision_id)
            if decision.action != DecisionAction.ISSUE_OFFERS:
                return ()
            row = self._application(s, decision.application_id)
            return tuple(self._build(s, row, spec, day) for spec in _specs(decision))

    # -- decisions ----------------------------------------------------------------------------

    def issue_offers(
        self, officer_id: int, application_id: int, specs: Sequence[OfferSpec], *, note: str, version: int
    ) -> DecisionResult:
        """Issue one or more offers built from `specs`. Each must be affordable and within the
        policy; when any needs a second officer, the decision waits for one (status pending)."""
        if not specs:
            raise ServiceError("no_offers", "choose at least one offer to issue")
        day = today(self.svc.clock)

        def params(s: "Session", row: "Application") -> tuple[dict[str, object], tuple[str, ...]]:
            built = [self._build(s, row, spec, day) for spec in specs]
            for preview in built:
                _require_affordable(preview)
            reasons = tuple(sorted({r.rule for p in built for r in p.second_approval_reasons}))
            return {"offers": [p.spec.as_params() for p in built]}, reasons

        return self._decide(officer_id, application_id, DecisionAction.ISSUE_OFFERS, note, version, params)

    def request_materials(
        self, officer_id: int, application_id: int, kinds: Sequence[ProofKind | str], *, message: str,
        note: str, version: int,
    ) -> DecisionResult:
        """Ask the borrower for proofs, with a message; they have materials_answer_days to answer."""
        try:
            wanted = sorted({ProofKind(k).value for k in kinds})
        except ValueError:
            raise ServiceError("proof_kind", "unknown proof kind", {"kinds": _field("unknown")}) from None
        if not wanted:
            raise ServiceError("no_kinds", "name at least one proof to ask for", {"kinds": _field("required")})
        text = _text(message, "message")

        def params(s: "Session", row: "Application") -> tuple[dict[str, object], tuple[str, ...]]:
            return {"kinds": wanted, "message": text}, ()

        return self._decide(officer_id, application_id, DecisionAction.REQUEST_MATERIALS, note, version, params)

    def reject(
        self, officer_id: int, application_id: int, *, reason: str, what_would_change_it: str, note: str,
        version: int,
    ) -> DecisionResult:
        """Reject, naming the rule (one the engine applies to this case today, or one of
        OFFICER_REJECT_REASONS) and what would change the outcome."""
        remedy = _text(what_would_change_it, "what_would_change_it")
        day = today(self.svc.clock)

        def params(s: "Session", row: "Application") -> tuple[dict[str, object], tuple[str, ...]]:
            from wsnego_tui.store.models import Loan

            loan = s.get(Loan, row.loan_id)
            assert loan is not None
            decision = self._review_now(s, row, loan, day)
            known = {r.rule for r in decision.rules_applied} if decision else set()
            if reason not in known and reason not in OFFICER_REJECT_REASONS:
                raise ServiceError("reason", "choose one of the case's rules or an officer's reason",
                                   {"reason": _field("unknown")})
            return {"reason": reason, "what_would_change_it": remedy}, ()

        return self._decide(officer_id, application_id, DecisionAction.REJECT, note, version, params)

    def approve(self, officer_id: int, decision_id: int, *, note: str, version: int) -> DecisionResult:
        """The second officer's approval: the proposal takes effect as a direct decision would."""
        return self._review_proposal(officer_id, decision_id, note, version, approve=True)

    def send_back(self, officer_id: int, decision_id: int, *, note: str, version: int) -> DecisionResult:
        """The second officer refuses the proposal; the case is back in the queue."""
        return self._review_proposal(officer_id, decision_id, note, version, approve=False)

    def withdraw_proposal(self, officer_id: int, decision_id: int, *, note: str, version: int) -> DecisionResult:
        """The proposing officer takes the proposal back (to decide differently)."""
        note = _text(note, "note")
        self.svc.catch_up(self._customer_of_decision(decision_id))
        now = self.svc.clock.now()
        with self.svc._write() as s:
            officer = self._officer(s, officer_id)
            decision = self._decision(s, decision_id)
            row = self._lock_case(s, decision.application_id, version, now)
            decision = self._decision(s, decision_id, for_update=True)
            if decision.status != DecisionStatus.PENDING:
                raise ServiceError("not_pending", "this proposal is no longer waiting for approval")
            if decision.made_by != officer.officer_no:
                raise ServiceError("not_yours", "only the officer who proposed it can take it back")
            decision.status = DecisionStatus.WITHDRAWN
            decision.reviewed_at, decision.review_note = now, note
            decision.version += 1
            s.add(decision)
            _touch(row, now)
            s.add(row)
            s.flush()
            self.svc._audit(s, _actor(officer), "officer.proposal.withdraw", f"application:{row.id}",
                            decision=decision.id, note=note)
            return _result(decision, row)

    # -- the machinery of a decision ----------------------------------------------------------

    def _decide(self, officer_id, application_id, action, note, version, params) -> DecisionResult:  # type: ignore[no-untyped-def]
        from wsnego_tui.store import officer_queries as oq
        from wsnego_tui.store.models import OfficerDecision

        note = _text(note, "note")
        self.svc.catch_up(self._customer_of(application_id))
        now, day = self.svc.clock.now(), today(self.svc.clock)
        with self.svc._write() as s:
            officer = self._officer(s, officer_id)
            row = self._lock_case(s, application_id, version, now)
            if oq.pending_decision(s, application_id) is not None:
                raise ServiceError("pending_approval", "a proposal on this case is waiting for a second officer")
            decision_params, reasons = params(s, row)
            decision = OfficerDecision(
                application_id=application_id, action=action,
                status=DecisionStatus.PENDING if reasons else DecisionStatus.EFFECTIVE,
                made_by=officer.officer_no, made_at=now, note=note, params=oq.json_text(decision_params),
                approval_reasons=oq.json_text(list(reasons)), application_version=row.version,
            )
            s.add(decision)
            s.flush()
            before = self._figures(s, row, day)
            if reasons:
                _touch(row, now)
                s.add(row)
                s.flush()
                self.svc._audit(s, _actor(officer), f"officer.propose.{action}", f"application:{application_id}",
                                decision=decision.id, note=note, reasons=list(reasons), before=before,
                                proposed=decision_params)
                return _result(decision, row)
            offer_ids = self._take_effect(s, row, decision, actor=_actor(officer), approved_by=None, now=now, day=day)
            self.svc._audit(s, _actor(officer), f"officer.{action}", f"application:{application_id}",
                            decision=decision.id, note=note, before=before, after=self._after(s, row, offer_ids))
            return _result(decision, row, offer_ids)

    def _review_proposal(self, officer_id: int, decision_id: int, note: str, version: int, *, approve: bool) -> DecisionResult:
        note = _text(note, "note")
        self.svc.catch_up(self._customer_of_decision(decision_id))
        now, day = self.svc.clock.now(), today(self.svc.clock)
        with self.svc._write() as s:
            officer = self._officer(s, officer_id)
            decision = self._decision(s, decision_id)
            row = self._lock_case(s, decision.application_id, version, now)
            decision = self._decision(s, decision_id, for_update=True)
            if decision.status != DecisionStatus.PENDING:
                raise ServiceError("not_pending", "this proposal is no longer waiting for approval")
            if decision.made_by == officer.officer_no:
                raise ServiceError("own_proposal", "a proposal needs a second officer: you cannot review your own")
            if officer.role not in APPROVER_ROLES:
                raise ServiceError("not_senior", "a senior officer gives the second approval")
            decision.status = DecisionStatus.EFFECTIVE if approve else DecisionStatus.RETURNED
            decision.reviewed_by, decision.reviewed_at, decision.review_note = officer.officer_no, now, note
            decision.version += 1
            s.add(decision)
            before = self._figures(s, row, day)
            subject = f"application:{row.id}"
            if not approve:
                _touch(row, now)
                s.add(row)
                s.flush()
                self.svc._audit(s, _actor(officer), "officer.proposal.send_back", subject,
                                decision=decision.id, proposed_by=decision.made_by, note=note)
                return _result(decision, row)
            offer_ids = self._take_effect(
                s, row, decision, actor=_actor(officer), approved_by=_actor(officer), now=now, day=day
            )
            self.svc._audit(s, _actor(officer), "officer.proposal.approve", subject,
                            decision=decision.id, decided=decision.action, proposed_by=decision.made_by, note=note,
                            before=before, after=self._after(s, row, offer_ids))
            return _result(decision, row, offer_ids)

    def _take_effect(
        self, s: "Session", row: "Application", decision: "OfficerDecision", *, actor: str,
        approved_by: str | None, now: dt.datetime, day: dt.date,
    ) -> tuple[int, ...]:
        """Apply a decision to the application, in the caller's transaction."""
        from wsnego_tui.store import review_flow as rf
        from wsnego_tui.store.applications import record_status

        policy = self.svc.policy
        params = json.loads(decision.params)
        ids: list[int] = []
        common = {"loan_id": row.loan_id, "application_id": row.id}
        if decision.action == DecisionAction.ISSUE_OFFERS:
            built = [self._build(s, row, spec, day) for spec in _specs(decision)]
            for preview in built:
                _require_affordable(preview)
            for preview in built:
                offer = rf.add_offer(s, row, preview.proposal, status="issued", created_by=_actor_no(decision.made_by), now=now)
                offer.approved_by = approved_by
                s.add(offer)
                ids.append(offer.id)  # type: ignore[arg-type]
            deadline = rf.end_of_day(day + dt.timedelta(days=policy.offer_valid_days))
            record_status(s, row, S.OFFER_ISSUED, actor=actor, now=now, deadline_at=deadline, reason="offers",
                          detail={"count": len(ids)})
            row.decided_at = now
            rf.notify(s, row.customer_id, "offer_ready", now, count=len(ids), expires=deadline.date().isoformat(), **common)
        elif decision.action == DecisionAction.REQUEST_MATERIALS:
            answer_by = day + dt.timedelta(days=policy.materials_answer_days)
            record_status(s, row, S.MATERIALS_REQUESTED, actor=actor, now=now, deadline_at=rf.end_of_day(answer_by),
                          note=params["message"], reason="missing_proofs", detail={"missing": params["kinds"]})
            rf.notify(s, row.customer_id, "materials_requested", now, missing=params["kinds"],
                      answer_by=answer_by.isoformat(), message=params["message"], **common)
        else:
            record_status(s, row, S.REJECTED, actor=actor, now=now, note=params["what_would_change_it"],
                          reason=params["reason"], detail={"by": "officer"})
            row.decided_at = now
            rf.notify(s, row.customer_id, "rejected", now, rule=params["reason"],
                      remedy=params["what_would_change_it"], **common)
        s.add(row)
        s.flush()
        return tuple(ids)

    def _build(self, s: "Session", row: "Application", spec: OfferSpec, day: dt.date) -> OfferPreview:
        """The offer `spec` gives on this application today; ServiceError("limit") naming the
        limit for a setting outside the policy."""
        from wsnego_tui.core.review import OfferLabel, build_plan_offer, build_settlement_offer, plan_limits
        from wsnego_tui.core.schedule import GraceKind, Rate
        from wsnego_tui.store import review_flow as rf
        from wsnego_tui.store.models import Loan

        policy = self.svc.policy
        loan = s.get(Loan, row.loan_id)
        assert loan is not None and row.id is not None
        facts = rf.loan_facts(s, loan, day, policy, excluding=row.id)
        kind = K(row.kind)
        disposable = (row.monthly_income or Decimal(0)) - (row.essential_expenses or Decimal(0)) - (row.other_debt or Decimal(0))
        cap = _max_installment(disposable, policy)
        try:
            limits = plan_limits(kind, facts, policy, day, row.hardship_category)
        except ValueError as exc:
            raise ServiceError("limit", str(exc)) from None
        if kind == K.SETTLEMENT:
            for name in ("grace_months", "down_payment", "rate_pct"):
                if getattr(spec, name):
                    raise _limit(name, "not_for_settlement", f"a settlement has no {name.replace('_', ' ')}")
            if spec.months not in (None, 1):
                raise _limit("months", "not_for_settlement", "a settlement is paid at once")
            penalty = _waiver(spec.waived_penalty, limits.max_penalty_waiver, "waived_penalty", "settlement_penalty_waiver_pct")
            interest = _waiver(spec.waived_interest, limits.max_interest_waiver, "waived_interest", "settlement_interest_waiver_pct")
            proposal = build_settlement_offer(
                facts, policy, day, label=OfferLabel.OFFICER,
                penalty_waiver_pct=_pct(penalty, facts.overdue_penalty, limits.max_penalty_waiver, limits.penalty_waiver_pct),
                interest_waiver_pct=_pct(interest, facts.overdue_interest, limits.max_interest_waiver, limits.interest_waiver_pct),
            )
            if (proposal.waived_penalty, proposal.waived_interest) != (penalty, interest):  # pragma: no cover
                raise ServiceError("limit", "the waivers cannot be expressed as shares of what is due")
            rate_pct = None
        else:
            months = spec.months
            if isinstance(months, bool) or not isinstance(months, int):
                raise _limit("months", "required", "choose the term in months")
            if not 1 <= months <= limits.max_months:
                rule = "second.end_cap" if limits.end_cap else "max_term_months"
                raise _limit("months", "limit", f"the term must be 1 to {limits.max_months} months ({rule})",
                             max=limits.max_months, rule=rule)
            grace = spec.grace_months
            if isinstance(grace, bool) or not isinstance(grace, int) or not 0 <= grace <= limits.max_grace_months:
                raise _limit("grace_months", "limit",
                             f"grace must be 0 to {limits.max_grace_months} months (grace.allowed)",
                             max=limits.max_grace_months, rule="grace.allowed")
            if grace and grace >= months:
                raise _limit("grace_months", "limit", "grace must be shorter than the term", max=months - 1)
            try:
                grace_kind = GraceKind(spec.grace_kind) if grace else None
            except ValueError:
                raise _limit("grace_kind", "required", "choose interest-only or deferral for the grace months") from None
            if not grace and spec.grace_kind:
                raise _limit("grace_kind", "limit", "a grace kind needs grace months")
            if spec.waived_interest:
                raise _limit("waived_interest", "limit", "a plan capitalises overdue interest; only a settlement waives it",
                             max=Decimal("0.00"))
            penalty = _waiver(spec.waived_penalty, limits.max_penalty_waiver, "waived_penalty",
                              "first_penalty_waiver_pct" if kind == K.FIRST else "second_penalty_waiver_pct")
            down = _amount(spec.down_payment, "down_payment") if spec.down_payment is not None else limits.min_down_payment
            if down < limits.min_down_payment:
                raise _limit("down_payment", "limit", f"the down payment must be at least {limits.min_down_payment} "
                             "(second_broken_down_payment_pct)", min=limits.min_down_payment,
                             rule="second.down_payment")
            if down >= facts.outstanding_principal:
                raise _limit("down_payment", "limit", "the down payment must be below the outstanding principal",
                             max=facts.outstanding_principal)
            rate_pct = facts.rate.annual_pct if spec.rate_pct is None else _rate(spec.rate_pct)
            if rate_pct > facts.rate.annual_pct:
                raise _limit("rate_pct", "limit", f"the rate may not exceed the contract rate of {facts.rate.annual_pct} %",
                             max=facts.rate.annual_pct, rule="contract_rate")
            try:
                proposal = build_plan_offer(
                    kind, facts, limits, policy, months=months, label=OfferLabel.OFFICER, grace_months=grace,
                    grace_kind=grace_kind, waived_penalty=penalty, down_payment=down, rate=Rate.annual(rate_pct),
                    affordable_up_to=cap,
                )
            except ValueError as exc:
                raise ServiceError("limit", str(exc)) from None
        reasons = tuple(_rule_line(r) for r in proposal.second_approval_reasons)
        return OfferPreview(
            proposal=proposal,
            spec=OfferSpec(
                months=proposal.months if kind != K.SETTLEMENT else None, grace_months=proposal.grace_months,
                grace_kind=proposal.grace_kind.value if proposal.grace_kind else None,
                waived_penalty=proposal.waived_penalty,
                waived_interest=proposal.waived_interest if kind == K.SETTLEMENT else None,
                down_payment=proposal.down_payment if kind != K.SETTLEMENT else None, rate_pct=rate_pct,
            ),
            affordable=proposal.affordable,
            max_installment=cap,
            needs_second_officer=bool(reasons),
            second_approval_reasons=reasons,
        )

    def _limits(self, s: "Session", row: "Application", loan, day: dt.date) -> BuilderLimits | None:  # type: ignore[no-untyped-def]
        from wsnego_tui.core.review import plan_limits
        from wsnego_tui.store import review_flow as rf

        policy = self.svc.policy
        facts = rf.loan_facts(s, loan, day, policy, excluding=row.id)
        try:
            limits = plan_limits(K(row.kind), facts, policy, day, row.hardship_category)
        except ValueError:
            return None
        if row.kind != K.SETTLEMENT and limits.max_months < 1:
            return None
        disposable = (row.monthly_income or Decimal(0)) - (row.essential_expenses or Decimal(0)) - (row.other_debt or Decimal(0))
        return BuilderLimits(
            kind=row.kind, start=limits.start, max_months=limits.max_months, max_grace_months=limits.max_grace_months,
            max_penalty_waiver=limits.max_penalty_waiver, max_interest_waiver=limits.max_interest_waiver,
            min_down_payment=limits.min_down_payment, contract_rate_pct=facts.rate.annual_pct,
            max_installment=_max_installment(disposable, policy),
            single_officer_waiver_limit=policy.second_officer_waiver_limit,
        )

    def _review_now(self, s: "Session", row: "Application", loan, day: dt.date):  # type: ignore[no-untyped-def]
        """The engine's decision on today's facts (None when the stored figures no longer make
        a valid application, which the case view then shows without rules)."""
        from wsnego_tui.core.review import review
        from wsnego_tui.store import review_flow as rf

        try:
            return review(rf.application_facts(s, row), rf.loan_facts(s, loan, day, self.svc.policy, excluding=row.id),
                          self.svc.policy, day)
        except (ValueError, TypeError):
            return None

    def _figures(self, s: "Session", row: "Application", day: dt.date) -> dict[str, object]:
        """The audit's "before": where the application and the plan in force stand."""
        from wsnego_tui.store.offers import current_plan

        plan = current_plan(s, row.loan_id, day, self.svc.policy)
        return {"status": row.status, "installment": plan.installment, "months": plan.remaining_months,
                "total_payment": plan.total_payment, "overdue_total": plan.overdue_total}

    def _after(self, s: "Session", row: "Application", offer_ids: Sequence[int]) -> dict[str, object]:
        from wsnego_tui.store.models import Offer

        offers = [s.get(Offer, i) for i in offer_ids]
        return {
            "status": row.status,
            "offers": [
                {"offer": o.id, "kind": o.kind, "principal": o.principal, "installment": o.installment,
                 "months": o.months, "grace_months": o.grace_months, "total_payment": o.total_payment,
                 "waived_penalty": o.waived_penalty, "waived_interest": o.waived_interest,
                 "down_payment": o.down_payment, "annual_rate": o.annual_rate}
                for o in offers if o is not None
            ],
        }

    # -- loading ------------------------------------------------------------------------------

    def _officer(self, s: "Session", officer_id: int) -> "Officer":
        from wsnego_tui.store.models import Officer

        row = s.get(Officer, officer_id)
        if row is None:
            raise ServiceError("no_officer", "no such officer")
        return row

    def _application(self, s: "Session", application_id: int) -> "Application":
        from wsnego_tui.store.models import Application

        row = s.get(Application, application_id)
        if row is None or row.status == S.DRAFT:
            raise ServiceError("no_application", "no such application")
        return row

    def _decision(self, s: "Session", decision_id: int, *, for_update: bool = False) -> "OfficerDecision":
        from sqlmodel import select

        from wsnego_tui.store.models import OfficerDecision

        query = select(OfficerDecision).where(OfficerDecision.id == decision_id)
        if for_update:
            query = query.with_for_update().execution_options(populate_existing=True)
        row = s.exec(query).first()
        if row is None:
            raise ServiceError("no_decision", "no such decision")
        return row

    def _lock_case(self, s: "Session", application_id: int, version: int, now: dt.datetime) -> "Application":
        """The application under the write lock, as the officer saw it, and still to decide."""
        from sqlmodel import select

        from wsnego_tui.store.models import Application

        row = s.exec(
            select(Application).where(Application.id == application_id).with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        if row is None or row.status == S.DRAFT:
            raise ServiceError("no_application", "no such application")
        if isinstance(version, bool) or not isinstance(version, int):
            raise ServiceError("version", "a decision names the version of the case it was made on")
        if row.version != version:
            raise ServiceError("changed", "the case was changed by someone else; it has been reloaded",
                               {"version": _field("changed", current=row.version)})
        if row.status != S.UNDER_REVIEW:
            raise ServiceError("not_under_review", f"the application is {row.status}, not waiting for a decision")
        if row.deadline_at is not None and row.deadline_at <= now:
            raise ServiceError("expired", "the bank's deadline for this application has passed")
        return row

    def _customer_of(self, application_id: int) -> int:
        with self.svc._read() as s:
            return self._application(s, application_id).customer_id

    def _customer_of_decision(self, decision_id: int) -> int:
        with self.svc._read() as s:
            return self._application(s, self._decision(s, decision_id).application_id).customer_id


# -- small helpers ------------------------------------------------------------------------------------


def _officer_view(row: "Officer") -> OfficerView:
    assert row.id is not None
    return OfficerView(id=row.id, officer_no=row.officer_no, name=row.name, role=OfficerRole(row.role))


def _actor(officer: "Officer") -> str:
    return _actor_no(officer.officer_no)


def _actor_no(officer_no: str) -> str:
    return f"officer:{officer_no}"


def _touch(row: "Application", now: dt.datetime) -> None:
    """A change to the case that is not a status change (a proposal made, returned or taken
    back): the version moves so that every officer's open view of it is stale."""
    row.version += 1
    row.updated_at = now


def _result(decision: "OfficerDecision", row: "Application", offer_ids: tuple[int, ...] = ()) -> DecisionResult:
    assert decision.id is not None
    return DecisionResult(
        decision_id=decision.id, action=DecisionAction(decision.action), status=DecisionStatus(decision.status),
        application_status=ApplicationStatus(row.status).value, application_version=row.version, offer_ids=offer_ids,
        approval_reasons=tuple(json.loads(decision.approval_reasons)),
    )


def _specs(decision: "OfficerDecision") -> list[OfferSpec]:
    return [OfferSpec.from_params(p) for p in json.loads(decision.params)["offers"]]


def _rule_line(r: "RuleResult") -> RuleLine:
    return RuleLine(rule=r.rule, passed=r.passed, effect=r.effect.value, explain=r.explain, remedy=r.remedy,
                    params=dict(r.params))


def _max_installment(disposable: Decimal | None, policy) -> Decimal | None:  # type: ignore[no-untyped-def]
    from wsnego_tui.core.review import max_installment

    return None if disposable is None else max_installment(disposable, policy)


def _field(code: str, **params: object) -> FieldError:
    return FieldError(code, tuple(sorted(params.items())))


def _limit(name: str, code: str, message: str, **params: object) -> ServiceError:
    return ServiceError("limit", message, {name: _field(code, **params)})


def _text(value: str, name: str) -> str:
    """Officer-typed text: control and bidi characters removed, trimmed, required, capped."""
    text = strip_unsafe(value if isinstance(value, str) else "", keep_newlines=True).strip()
    if not text:
        raise ServiceError(f"{name}_required", f"the {name.replace('_', ' ')} is required", {name: _field("required")})
    if len(text) > TEXT_MAX:
        raise ServiceError("too_long", f"the {name.replace('_', ' ')} is longer than {TEXT_MAX} characters",
                           {name: _field("too_long", max=TEXT_MAX)})
    return text


def _amount(value: object, name: str) -> Decimal:
    from wsnego_tui.core.money import checked_amount

    try:
        return checked_amount(value, name)
    except (TypeError, ValueError, InvalidOperation) as exc:
        raise _limit(name, "invalid", str(exc)) from None


def _waiver(value: Decimal | None, maximum: Decimal, name: str, rule: str) -> Decimal:
    if value is None:
        return maximum
    amount = _amount(value, name)
    if amount > maximum:
        raise _limit(name, "limit", f"{name.replace('_', ' ')} must be at most {maximum} ({rule})", max=maximum, rule=rule)
    return amount


def _pct(amount: Decimal, due: Decimal, maximum: Decimal, max_pct: Decimal) -> Decimal:
    """The waiver percentage that gives exactly `amount` of `due` (settlement_quote rounds the
    waiver down to the fen, so the share is rounded up in its last of 40 digits); the policy's
    own share when the amount is its maximum."""
    from decimal import ROUND_CEILING, localcontext

    if amount == maximum:
        return max_pct
    if due == 0:
        return Decimal(0)
    with localcontext(prec=40, rounding=ROUND_CEILING):
        return amount * 100 / due


def _rate(value: object) -> Decimal:
    try:
        pct = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise _limit("rate_pct", "invalid", "the rate is not a number") from None
    if isinstance(value, float) or not pct.is_finite() or pct < 0 or pct != pct.quantize(Decimal("0.0001")):
        raise _limit("rate_pct", "invalid", "the rate is a percentage >= 0 with at most four decimals")
    return pct


def _require_affordable(preview: OfferPreview) -> None:
    if not preview.affordable:
        raise ServiceError(
            "unaffordable",
            f"a payment of {preview.proposal.highest_payment} is above the affordable {preview.max_installment} "
            "(affordability_pct); lengthen the term, add grace or lower the rate",
            {"months": _field("unaffordable", highest=preview.proposal.highest_payment, max=preview.max_installment)},
        )


__all__ = ["APPROVER_ROLES", "OFFICER_REJECT_REASONS", "OfficerServices"]
