"""The eligibility checklist shown before the application form (issue 3, step 4), one test per
situation of the demo borrowers: which kinds are open, which rule says no, what would change it,
and which proofs each kind will need."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from wsnego_tui.core.eligibility import (
    Eligibility,
    FirstPlanFacts,
    LoanFacts,
    PlanStatus,
    eligibility,
    missing_proofs,
    required_proofs,
)
from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.core.policy import DEFAULT_POLICY
from wsnego_tui.core.proofs import ProofKind
from wsnego_tui.core.schedule import Rate

D = Decimal
K = ApplicationKind
RATE = Rate.daily(D("0.04"))

OVERDUE_NEVER_NEGOTIATED = LoanFacts(  # 张伟: two installments overdue
    outstanding_principal=D("21000.00"), overdue_principal=D("8300.00"), overdue_interest=D("520.40"),
    overdue_penalty=D("310.12"), rate=RATE, days_past_due=61,
)
ON_ACTIVE_FIRST_PLAN = LoanFacts(  # 李娜: on a first negotiated plan, one payment behind
    outstanding_principal=D("40000.00"), overdue_principal=D("1000.00"), overdue_interest=D("150.00"),
    overdue_penalty=D("9.00"), rate=RATE, days_past_due=12, negotiations_used=1,
    first_plan=FirstPlanFacts(PlanStatus.ACTIVE, date(2026, 7, 1), date(2029, 7, 1)),
)
BROKEN_FIRST_PLAN = LoanFacts(  # 王芳: her first plan is broken
    outstanding_principal=D("15000.00"), overdue_principal=D("2000.00"), overdue_interest=D("300.00"),
    overdue_penalty=D("120.00"), rate=RATE, days_past_due=95, negotiations_used=1,
    first_plan=FirstPlanFacts(PlanStatus.BROKEN, date(2026, 3, 28), date(2028, 3, 28)),
)
TWO_NEGOTIATIONS_USED = dataclasses.replace(BROKEN_FIRST_PLAN, negotiations_used=2)
FULLY_CURRENT = LoanFacts(outstanding_principal=D("12000.00"), rate=RATE)  # 陈静
CLOSED = LoanFacts(outstanding_principal=D("0.00"), rate=RATE, closed=True)


def kinds_open(loan: LoanFacts) -> set[ApplicationKind]:
    return {kind for kind, verdict in eligibility(loan, DEFAULT_POLICY).items() if verdict.open}


def verdict(loan: LoanFacts, kind: ApplicationKind) -> Eligibility:
    return eligibility(loan, DEFAULT_POLICY)[kind]


# --- the demo situations -------------------------------------------------------------------------


def test_an_overdue_loan_never_negotiated_may_open_a_first_negotiation_or_settle() -> None:
    assert kinds_open(OVERDUE_NEVER_NEGOTIATED) == {K.FIRST, K.SETTLEMENT}
    second = verdict(OVERDUE_NEVER_NEGOTIATED, K.SECOND)
    assert second.reason.rule == "second.after_first_plan"
    assert "first negotiation" in second.reason.remedy


def test_a_loan_on_an_active_first_plan_may_ask_for_a_second_negotiation_not_another_first() -> None:
    assert kinds_open(ON_ACTIVE_FIRST_PLAN) == {K.SECOND, K.SETTLEMENT}
    first = verdict(ON_ACTIVE_FIRST_PLAN, K.FIRST)
    assert first.reason.rule == "first.no_earlier_negotiation"
    assert "second negotiation" in first.reason.remedy


def test_a_broken_first_plan_still_allows_a_second_negotiation_and_a_settlement() -> None:
    assert kinds_open(BROKEN_FIRST_PLAN) == {K.SECOND, K.SETTLEMENT}
    check = next(c for c in verdict(BROKEN_FIRST_PLAN, K.SECOND).checks if c.rule == "second.after_first_plan")
    assert check.met and check.params["first_plan"] == "broken"


def test_after_two_negotiations_a_third_is_refused_with_the_reason_and_settlement_stays_open() -> None:
    assert kinds_open(TWO_NEGOTIATIONS_USED) == {K.SETTLEMENT}
    second = verdict(TWO_NEGOTIATIONS_USED, K.SECOND)
    assert second.reason.rule == "negotiations.within_limit"
    assert second.reason.params["used"] == 2 and second.reason.params["max"] == 2
    assert second.reason.params["settlement_open"] is True
    assert "settlement" in second.reason.remedy
    assert verdict(TWO_NEGOTIATIONS_USED, K.FIRST).reason.rule == "negotiations.within_limit"


def test_a_fully_current_loan_is_eligible_for_nothing_and_says_why() -> None:
    """A negotiation changes a contract in arrears; a loan repaid on time keeps its schedule and
    can be repaid early in full without negotiating."""
    assert kinds_open(FULLY_CURRENT) == set()
    first = verdict(FULLY_CURRENT, K.FIRST).reason
    assert first.rule == "first.loan_in_arrears" and "Nothing is overdue" in first.explain
    assert first.params == {"overdue_total": D("0.00"), "days_past_due": 0}
    settlement = verdict(FULLY_CURRENT, K.SETTLEMENT).reason
    assert settlement.rule == "settlement.loan_in_arrears_or_negotiated"
    assert "repaid early" in settlement.remedy
    assert verdict(FULLY_CURRENT, K.SECOND).reason.rule == "second.after_first_plan"


def test_a_closed_loan_is_eligible_for_nothing_because_it_is_closed() -> None:
    assert kinds_open(CLOSED) == set()
    for kind in ApplicationKind:
        assert verdict(CLOSED, kind).reason.rule == "loan.open"


def test_an_application_under_way_blocks_every_other_kind_until_it_is_decided_or_withdrawn() -> None:
    busy = dataclasses.replace(BROKEN_FIRST_PLAN, has_open_application=True)
    assert kinds_open(busy) == set()
    for kind in ApplicationKind:
        reason = verdict(busy, kind).reason
        assert reason.rule == "application.none_open" and "withdraw" in reason.remedy


def test_a_completed_first_plan_leaves_nothing_to_renegotiate() -> None:
    done = dataclasses.replace(
        ON_ACTIVE_FIRST_PLAN, first_plan=FirstPlanFacts(PlanStatus.COMPLETED, date(2024, 1, 1), date(2026, 1, 1))
    )
    assert verdict(done, K.SECOND).reason.rule == "second.after_first_plan"
    assert verdict(done, K.SECOND).reason.params["first_plan"] == "completed"


def test_a_policy_of_one_negotiation_refuses_the_second_even_on_an_active_plan() -> None:
    policy = dataclasses.replace(DEFAULT_POLICY, max_negotiations=1)
    second = eligibility(ON_ACTIVE_FIRST_PLAN, policy)[K.SECOND]
    assert not second.open and second.reason.rule == "negotiations.within_limit"


# --- the checklist itself ------------------------------------------------------------------------


def test_each_kind_lists_the_proofs_it_will_need() -> None:
    checklist = eligibility(OVERDUE_NEVER_NEGOTIATED, DEFAULT_POLICY)
    assert checklist[K.FIRST].required_proofs == (ProofKind.HARDSHIP,)
    assert checklist[K.SECOND].required_proofs == (ProofKind.INCOME, ProofKind.EXPENSE)
    assert checklist[K.SETTLEMENT].required_proofs == (ProofKind.FUNDS,)


def test_the_missing_proofs_follow_the_policy_so_the_upload_and_the_engine_agree() -> None:
    """The upload screen and submission ask `missing_proofs`, the engine `required_proofs`: a
    bank that drops a requirement in its policy file drops it for both."""
    relaxed = dataclasses.replace(DEFAULT_POLICY, first_requires_hardship_proof=False)
    assert missing_proofs(K.FIRST, (), DEFAULT_POLICY) == (ProofKind.HARDSHIP,)
    assert missing_proofs(K.FIRST, (), relaxed) == ()
    assert missing_proofs(K.SECOND, ["income"], DEFAULT_POLICY) == (ProofKind.EXPENSE,)


def test_the_policy_can_drop_a_required_proof() -> None:
    policy = dataclasses.replace(DEFAULT_POLICY, second_requires_expense_proof=False, first_requires_hardship_proof=False)
    assert required_proofs(K.SECOND, policy) == (ProofKind.INCOME,)
    assert required_proofs(K.FIRST, policy) == ()


def test_the_checklist_comes_in_the_order_first_second_settlement() -> None:
    assert list(eligibility(FULLY_CURRENT, DEFAULT_POLICY)) == [K.FIRST, K.SECOND, K.SETTLEMENT]


@pytest.mark.parametrize(
    "loan",
    [OVERDUE_NEVER_NEGOTIATED, ON_ACTIVE_FIRST_PLAN, BROKEN_FIRST_PLAN, TWO_NEGOTIATIONS_USED, FULLY_CURRENT, CLOSED],
    ids=["overdue", "active-plan", "broken-plan", "two-used", "current", "closed"],
)
def test_every_check_has_a_known_rule_an_explanation_and_a_remedy_when_it_fails(loan: LoanFacts) -> None:
    known = {
        "loan.open", "application.none_open", "negotiations.within_limit", "first.no_earlier_negotiation",
        "first.loan_in_arrears", "second.after_first_plan", "settlement.loan_in_arrears_or_negotiated",
    }
    for kind, answer in eligibility(loan, DEFAULT_POLICY).items():
        assert answer.open == (not answer.failed)
        assert len({c.rule for c in answer.checks}) == len(answer.checks), kind
        for check in answer.checks:
            assert check.rule in known
            assert check.explain and isinstance(check.params, dict)
            assert bool(check.remedy) == (not check.met), (kind, check.rule)
        if not answer.open:
            assert answer.reason is answer.failed[0]


# --- the facts are checked -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"first_plan": None},  # negotiations_used 1 without a plan
        {"negotiations_used": 0},  # a plan without a negotiation
        {"overdue_principal": D("40000.01")},
        {"outstanding_principal": D("-1.00")},
        {"overdue_interest": D("0.001")},
        {"days_past_due": -1},
    ],
    ids=["plan-missing", "plan-unexpected", "overdue-above-outstanding", "negative", "sub-fen", "negative-days"],
)
def test_inconsistent_loan_facts_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(ON_ACTIVE_FIRST_PLAN, **changes)


def test_loan_facts_refuse_a_float_amount() -> None:
    with pytest.raises(TypeError):
        LoanFacts(outstanding_principal=1000.5, rate=RATE)  # type: ignore[arg-type]


def test_a_first_plan_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError):
        FirstPlanFacts(PlanStatus.ACTIVE, date(2026, 1, 1), date(2025, 1, 1))
