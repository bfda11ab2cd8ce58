"""Properties of the review engine over generated loans, applications and policies: no offer runs
past the term cap (nor a second plan past its end cap), every offer issued is affordable by the
figures the borrower stated, waivers stay within the policy's shares, principal is never
discounted, every decision explains itself, and the same input always gives the same decision."""

from __future__ import annotations

import dataclasses
import functools
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, ROUND_UP, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wsnego_tui.core.dates import add_months
from wsnego_tui.core.eligibility import FirstPlanFacts, LoanFacts, PlanStatus
from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.core.money import from_fen
from wsnego_tui.core.policy import DEFAULT_POLICY, HARDSHIP_CATEGORIES, Policy
from wsnego_tui.core.proofs import ProofKind
from wsnego_tui.core.review import (
    ApplicationFacts,
    Decision,
    OfferLabel,
    Outcome,
    build_plan_offer,
    max_installment,
    plan_limits,
    review,
)
from wsnego_tui.core.schedule import GraceKind, Rate

D = Decimal
K = ApplicationKind
TODAY = date(2026, 11, 28)
FEN = D("0.01")
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@functools.cache
def yuan(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low * 100, high * 100).map(from_fen)


@functools.cache
def pct(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low * 10, high * 10).map(lambda tenths: D(tenths).scaleb(-1))


rates = st.one_of(
    st.integers(0, 2400).map(lambda bp: Rate.annual(D(bp).scaleb(-2))),
    st.sampled_from(["0.02", "0.03", "0.04", "0.05", "0.098"]).map(lambda daily: Rate.daily(D(daily))),
)


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    if draw(st.booleans()):
        return DEFAULT_POLICY
    term = draw(st.sampled_from([12, 24, 36, 60, 84]) | st.integers(2, 84))
    return dataclasses.replace(
        DEFAULT_POLICY,
        max_term_months=term,
        max_grace_months=draw(st.integers(0, min(term - 1, 6))),
        second_max_extension_months=draw(st.integers(0, 36)),
        affordability_pct=draw(st.sampled_from([D("50"), D("70"), D("100")]) | pct(10, 100)),
        first_penalty_waiver_pct=draw(pct(0, 100)),
        second_penalty_waiver_pct=draw(pct(0, 100)),
        settlement_penalty_waiver_pct=draw(pct(0, 100)),
        settlement_interest_waiver_pct=draw(pct(0, 100)),
        second_broken_down_payment_pct=draw(pct(0, 30)),
        auto_decide_first=draw(st.booleans()),
        second_always_officer_review=draw(st.booleans()),
        offer_valid_days=draw(st.integers(1, 30)),
    )


@st.composite
def loans(draw: st.DrawFn, kind: ApplicationKind | None = None) -> LoanFacts:
    """A loan; most of the time (when `kind` is given) one on which `kind` is open."""
    outstanding = draw(yuan(500, 300_000))
    eligible = kind is not None and draw(st.integers(0, 9)) < 8
    if eligible and kind == K.FIRST:
        used = 0
    elif eligible and kind == K.SECOND:
        used = 1
    else:
        used = draw(st.sampled_from([0, 0, 1, 1, 2, 3]))
    plan = None
    if used:
        start = TODAY - timedelta(days=draw(st.integers(0, 1500)))
        statuses = [PlanStatus.ACTIVE, PlanStatus.BROKEN] if eligible else list(PlanStatus)
        plan = FirstPlanFacts(draw(st.sampled_from(statuses)), start, add_months(start, draw(st.integers(3, 60))))
    days = draw(st.sampled_from([0, 15, 45, 120, 400]) if not eligible or used else st.sampled_from([15, 45, 120, 400]))
    return LoanFacts(
        outstanding_principal=outstanding,
        overdue_principal=draw(st.integers(0, int(outstanding * 100)).map(from_fen)) if days else D("0.00"),
        overdue_interest=draw(st.one_of(st.just(D("0.00")), yuan(0, 8_000))) if days else D("0.00"),
        overdue_penalty=draw(st.one_of(st.just(D("0.00")), yuan(0, 8_000))) if days else D("0.00"),
        rate=draw(rates),
        days_past_due=days,
        negotiations_used=used,
        first_plan=plan,
        has_open_application=not eligible and draw(st.sampled_from([False] * 4 + [True])),
        closed=False,
    )


some_proofs = st.frozensets(st.sampled_from(list(ProofKind)))


@st.composite
def applications(draw: st.DrawFn, kind: ApplicationKind, loan: LoanFacts) -> ApplicationFacts:
    """An application of `kind`; mostly complete, with a valid hardship and enough funds."""
    grace = draw(st.sampled_from([0, 0, 0, 1, 2, 3, 4]))
    wish = draw(st.sampled_from(["none", "months", "amount"]))
    every_proof = frozenset(ProofKind)
    lump = lump_date = None
    if kind == K.SETTLEMENT:
        owed = loan.outstanding_principal + loan.overdue_interest + loan.overdue_penalty
        lump = draw(st.one_of(yuan(0, 400_000), st.integers(0, 10_000).map(lambda fen: owed + from_fen(fen))))
        lump_date = TODAY + timedelta(days=draw(st.sampled_from([-5, 0, 3, 7, 14, 30])))
    # Mostly a disposable income of the order of the loan over a few years; sometimes anything.
    if draw(st.integers(0, 4)):
        expenses, debt = draw(yuan(0, 20_000)), draw(yuan(0, 5_000))
        per_cent = draw(st.sampled_from([3, 4, 6, 10, 20, 40]))  # of the outstanding, a month
        spare = from_fen(int(loan.outstanding_principal * per_cent) + draw(st.integers(-99, 99)))
        income = expenses + debt + max(spare, D("0.00"))
    else:
        income, expenses, debt = draw(yuan(0, 60_000)), draw(yuan(0, 20_000)), draw(yuan(0, 10_000))
    return ApplicationFacts(
        kind=kind,
        hardship_category=draw(st.sampled_from([*HARDSHIP_CATEGORIES * 3, None, "bad_luck"])),
        monthly_income=income,
        essential_expenses=expenses,
        other_debt=debt,
        wished_months=draw(st.integers(grace + 1, 90)) if wish == "months" else None,
        wished_installment=draw(yuan(1, 20_000)) if wish == "amount" else None,
        grace_months=grace,
        grace_kind=draw(st.sampled_from(list(GraceKind))) if grace else None,
        lump_sum=lump,
        lump_date=lump_date,
        proofs=draw(st.sampled_from([every_proof] * 4 + [frozenset()]) | some_proofs),
    )


@st.composite
def inputs(draw: st.DrawFn) -> tuple[Policy, LoanFacts, ApplicationFacts]:
    kind = draw(st.sampled_from(list(ApplicationKind)))
    loan = draw(loans(kind))
    return draw(policies()), loan, draw(applications(kind, loan))


def case() -> st.SearchStrategy[tuple[Policy, LoanFacts, ApplicationFacts, Decision]]:
    return inputs().map(lambda t: (*t, review(t[2], t[1], t[0], TODAY)))


def share(amount: Decimal, percent: Decimal) -> Decimal:
    return (amount * percent / 100).quantize(FEN, rounding=ROUND_HALF_UP)


@FAST
@given(case())
def test_no_offer_runs_past_the_term_cap_nor_a_second_plan_past_its_end_cap(c) -> None:
    policy, loan, application, decision = c
    for offer in decision.offers:
        if offer.is_settlement:
            assert offer.months == 1 and offer.schedule is None
            continue
        assert 1 <= offer.months <= policy.max_term_months
        assert offer.end_date <= add_months(TODAY, policy.max_term_months)
        assert offer.grace_months <= policy.max_grace_months
        if offer.kind == K.SECOND:
            assert offer.end_date <= add_months(loan.first_plan.end_date, policy.second_max_extension_months)
            if offer.grace_months:
                assert application.hardship_category in policy.second_grace_hardships


@FAST
@given(case())
def test_every_offer_is_affordable_by_the_stated_figures_or_says_it_is_not(c) -> None:
    policy, loan, application, decision = c
    limit = max_installment(application.disposable, policy)
    for offer in decision.offers:
        if offer.is_settlement:
            continue
        assert offer.highest_payment == max(row.payment for row in offer.schedule.rows)
        assert offer.affordable == (offer.highest_payment <= limit)
        if decision.outcome == Outcome.OFFERS:
            assert offer.affordable
            assert offer.highest_payment * 100 <= application.disposable * policy.affordability_pct
        if offer.label == OfferLabel.SHORTEST_AFFORDABLE and offer.months > 1:
            limits = plan_limits(offer.kind, loan, policy, TODAY, application.hardship_category)
            shorter = build_plan_offer(offer.kind, loan, limits, policy, months=offer.months - 1)
            assert shorter.highest_payment > limit


@FAST
@given(case())
def test_waivers_stay_within_the_policy_shares(c) -> None:
    policy, loan, _, decision = c
    for offer in decision.offers:
        assert 0 <= offer.waived_penalty <= loan.overdue_penalty
        assert 0 <= offer.waived_interest <= loan.overdue_interest
        if offer.kind == K.SETTLEMENT:
            assert offer.waived_penalty <= share(loan.overdue_penalty, policy.settlement_penalty_waiver_pct)
            assert offer.waived_interest <= share(loan.overdue_interest, policy.settlement_interest_waiver_pct)
        else:
            most = policy.first_penalty_waiver_pct if offer.kind == K.FIRST else policy.second_penalty_waiver_pct
            assert offer.waived_penalty <= share(loan.overdue_penalty, most)
            assert offer.waived_interest == 0
        if decision.outcome == Outcome.OFFERS:
            assert offer.total_waived <= policy.officer_waiver_limit


@FAST
@given(case())
def test_principal_is_never_discounted(c) -> None:
    policy, loan, _, decision = c
    for offer in decision.offers:
        if offer.is_settlement:
            assert offer.principal == loan.outstanding_principal
            assert offer.total_payment >= loan.outstanding_principal
            assert offer.total_payment == offer.settlement.total_owed - offer.total_waived
            continue
        assert offer.capitalised_arrears >= 0
        assert offer.principal == loan.outstanding_principal + offer.capitalised_arrears - offer.down_payment
        assert offer.principal >= loan.outstanding_principal - offer.down_payment
        assert offer.total_payment == offer.principal + offer.total_interest
        if offer.kind == K.SECOND and loan.first_plan.status == PlanStatus.BROKEN:
            needed = (loan.outstanding_principal * policy.second_broken_down_payment_pct / 100).quantize(
                FEN, rounding=ROUND_UP
            )
            assert offer.down_payment >= needed
        else:
            assert offer.down_payment == 0


@FAST
@given(case())
def test_every_decision_explains_itself(c) -> None:
    policy, _, _, decision = c
    rules = {r.rule: r for r in decision.rules_applied}
    assert decision.rules_applied and len(rules) == len(decision.rules_applied)
    assert all(r.explain for r in decision.rules_applied)
    assert decision.decided_on == TODAY
    if decision.outcome == Outcome.REJECTED:
        assert not rules[decision.failed_rule].passed and decision.what_would_change_it
        assert not decision.offers
    elif decision.outcome == Outcome.MATERIALS_REQUEST:
        assert decision.missing and not rules["proofs.required_present"].passed
        assert decision.answer_by == TODAY + timedelta(days=policy.materials_answer_days)
    elif decision.outcome == Outcome.NEEDS_OFFICER:
        assert decision.officer_reasons and all(not r.passed for r in decision.officer_reasons)
    else:
        assert decision.offers and not decision.officer_reasons
        assert all(r.passed for r in decision.rules_applied if r.effect in ("reject", "materials", "officer"))
    for offer in decision.offers:
        assert offer.expires_on == TODAY + timedelta(days=policy.offer_valid_days)


@FAST
@given(inputs())
def test_the_same_input_always_gives_the_same_decision(given_inputs) -> None:
    policy, loan, application = given_inputs
    assert review(application, loan, policy, TODAY) == review(application, loan, policy, TODAY)
