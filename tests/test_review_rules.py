"""The review engine's table of cases: one row per rule, input → expected decision and the rule
that decided it; then the figures behind the offers (affordability, waivers, capitalisation, caps,
expiry) worked by hand, and the engine's hygiene (no float, no clock)."""

from __future__ import annotations

import dataclasses
import io
import tokenize
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from wsnego_tui.core.charges import settlement_quote
from wsnego_tui.core.dates import add_months
from wsnego_tui.core.eligibility import FirstPlanFacts, LoanFacts, PlanStatus
from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.core.policy import DEFAULT_POLICY
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
    second_approval_reasons,
)
from wsnego_tui.core.schedule import GraceKind, Rate, pmt

D = Decimal
K = ApplicationKind
TODAY = date(2026, 11, 28)
RATE = Rate.annual(D("14.4"))

OVERDUE = LoanFacts(
    outstanding_principal=D("30000.00"), overdue_principal=D("5000.00"), overdue_interest=D("400.00"),
    overdue_penalty=D("120.00"), rate=RATE, days_past_due=45,
)
ACTIVE_PLAN = dataclasses.replace(
    OVERDUE, negotiations_used=1, first_plan=FirstPlanFacts(PlanStatus.ACTIVE, date(2026, 5, 28), date(2028, 5, 28))
)
BROKEN_PLAN = dataclasses.replace(
    ACTIVE_PLAN, first_plan=FirstPlanFacts(PlanStatus.BROKEN, date(2026, 5, 28), date(2028, 5, 28))
)
TWO_USED = dataclasses.replace(BROKEN_PLAN, negotiations_used=2)
CURRENT = LoanFacts(outstanding_principal=D("30000.00"), rate=RATE)

FIRST = ApplicationFacts(
    kind=K.FIRST, hardship_category="income_drop", monthly_income=D("9000.00"), essential_expenses=D("4000.00"),
    other_debt=D("500.00"), proofs=frozenset({ProofKind.HARDSHIP}),
)
SECOND = dataclasses.replace(FIRST, kind=K.SECOND, proofs=frozenset({ProofKind.INCOME, ProofKind.EXPENSE}))
SETTLEMENT = ApplicationFacts(
    kind=K.SETTLEMENT, lump_sum=D("40000.00"), lump_date=TODAY + timedelta(days=3), proofs=frozenset({ProofKind.FUNDS})
)


def decide(application: ApplicationFacts, loan: LoanFacts = OVERDUE, **policy_changes: object) -> Decision:
    return review(application, loan, dataclasses.replace(DEFAULT_POLICY, **policy_changes), TODAY)


def app(base: ApplicationFacts, **changes: object) -> ApplicationFacts:
    return dataclasses.replace(base, **changes)


def loan(base: LoanFacts = OVERDUE, **changes: object) -> LoanFacts:
    return dataclasses.replace(base, **changes)


O = Outcome
CASES = [
    # eligibility
    pytest.param(FIRST, OVERDUE, {}, O.OFFERS, "auto.kind_allowed", True,
                 id="a first negotiation within the limits is decided automatically with offers"),
    pytest.param(FIRST, loan(closed=True), {}, O.REJECTED, "loan.open", False,
                 id="a closed loan is rejected because there is nothing to negotiate"),
    pytest.param(FIRST, loan(has_open_application=True), {}, O.REJECTED, "application.none_open", False,
                 id="a loan with another application under way is rejected"),
    pytest.param(FIRST, CURRENT, {}, O.REJECTED, "first.loan_in_arrears", False,
                 id="a loan repaid on time cannot open a first negotiation"),
    pytest.param(FIRST, ACTIVE_PLAN, {}, O.REJECTED, "first.no_earlier_negotiation", False,
                 id="a first negotiation on a loan negotiated before is rejected"),
    pytest.param(SECOND, TWO_USED, {}, O.REJECTED, "negotiations.within_limit", False,
                 id="a third negotiation is refused with settlement still open"),
    pytest.param(SECOND, OVERDUE, {}, O.REJECTED, "second.after_first_plan", False,
                 id="a second negotiation without a first plan is rejected"),
    pytest.param(SECOND, loan(ACTIVE_PLAN, first_plan=FirstPlanFacts(PlanStatus.COMPLETED, date(2024, 1, 1),
                                                                        date(2026, 1, 1))),
                 {}, O.REJECTED, "second.after_first_plan", False,
                 id="a second negotiation after a completed first plan is rejected"),
    pytest.param(SETTLEMENT, CURRENT, {}, O.REJECTED, "settlement.loan_in_arrears_or_negotiated", False,
                 id="a settlement of a loan repaid on time is rejected"),
    # hardship and proofs
    pytest.param(app(FIRST, hardship_category="bad_luck"), OVERDUE, {}, O.REJECTED, "hardship.category_known", False,
                 id="an unknown hardship category is rejected"),
    pytest.param(app(FIRST, hardship_category=None), OVERDUE, {}, O.REJECTED, "hardship.category_known", False,
                 id="a negotiation without a hardship category is rejected"),
    pytest.param(app(FIRST, proofs=frozenset()), OVERDUE, {}, O.MATERIALS_REQUEST, "proofs.required_present", False,
                 id="a first negotiation without hardship evidence gets a materials request"),
    pytest.param(app(SECOND, proofs=frozenset({ProofKind.INCOME})), ACTIVE_PLAN, {}, O.MATERIALS_REQUEST,
                 "proofs.required_present", False,
                 id="a second negotiation without expense proof gets a materials request"),
    pytest.param(app(SETTLEMENT, proofs=frozenset()), OVERDUE, {}, O.MATERIALS_REQUEST, "proofs.required_present",
                 False, id="a settlement without proof of funds gets a materials request"),
    pytest.param(app(FIRST, proofs=frozenset()), OVERDUE, {"first_requires_hardship_proof": False}, O.OFFERS,
                 "proofs.required_present", True, id="a policy without the hardship proof decides without it"),
    # affordability
    pytest.param(app(FIRST, monthly_income=D("4500.00")), OVERDUE, {}, O.REJECTED,
                 "affordability.disposable_positive", False,
                 id="a first negotiation with nothing disposable is rejected"),
    pytest.param(app(SECOND, monthly_income=D("4500.00")), ACTIVE_PLAN, {}, O.NEEDS_OFFICER,
                 "affordability.disposable_positive", False,
                 id="a second negotiation with nothing disposable still goes to an officer"),
    pytest.param(app(FIRST, monthly_income=D("4600.00")), OVERDUE, {}, O.NEEDS_OFFICER,
                 "affordability.plan_within_cap", False,
                 id="nothing affordable within the term cap goes to an officer not a silent rejection"),
    pytest.param(FIRST, OVERDUE, {}, O.OFFERS, "term.cap", True,
                 id="the term cap bounds every first negotiation"),
    # grace and wishes
    pytest.param(FIRST, OVERDUE, {}, O.OFFERS, "grace.allowed", True,
                 id="a first negotiation may have grace"),
    pytest.param(FIRST, OVERDUE, {"max_grace_months": 0}, O.OFFERS, "grace.allowed", False,
                 id="a policy without grace offers no grace"),
    pytest.param(app(SECOND, hardship_category="illness"), ACTIVE_PLAN, {}, O.NEEDS_OFFICER, "grace.allowed", True,
                 id="a second negotiation for illness may have grace"),
    pytest.param(SECOND, ACTIVE_PLAN, {}, O.NEEDS_OFFICER, "grace.allowed", False,
                 id="a second negotiation for an income drop has no grace"),
    pytest.param(app(FIRST, wished_months=24), OVERDUE, {}, O.OFFERS, "wish.achievable", True,
                 id="a wished term within the cap and affordable is offered as requested"),
    pytest.param(app(FIRST, wished_months=61), OVERDUE, {}, O.OFFERS, "wish.achievable", False,
                 id="a wished term beyond the cap is not offered but the others are"),
    pytest.param(app(FIRST, grace_months=4, grace_kind=GraceKind.DEFERRAL, wished_installment=D("900.00")), OVERDUE,
                 {}, O.OFFERS, "wish.achievable", False, id="a wished grace beyond the policy is not offered"),
    # waivers and who decides
    pytest.param(FIRST, OVERDUE, {}, O.OFFERS, "waiver.penalty", True,
                 id="a first negotiation waives the penalty"),
    pytest.param(FIRST, loan(overdue_penalty=D("6000.00")), {}, O.NEEDS_OFFICER, "auto.waiver_within_limit", False,
                 id="a waiver above the automatic limit goes to an officer"),
    pytest.param(FIRST, OVERDUE, {"auto_decide_first": False}, O.NEEDS_OFFICER, "auto.kind_allowed", False,
                 id="a policy without automatic decisions sends a first negotiation to an officer"),
    pytest.param(SECOND, ACTIVE_PLAN, {}, O.NEEDS_OFFICER, "auto.kind_allowed", False,
                 id="every second negotiation goes to an officer"),
    pytest.param(SECOND, ACTIVE_PLAN, {"second_always_officer_review": False}, O.OFFERS, "auto.kind_allowed", True,
                 id="a policy may let the engine decide a second negotiation"),
    pytest.param(app(SECOND, hardship_category="illness"), ACTIVE_PLAN, {"second_always_officer_review": False},
                 O.NEEDS_OFFICER, "auto.single_approval", False,
                 id="a second negotiation with grace needs two officers so the engine cannot issue it"),
    # second negotiation caps
    pytest.param(SECOND, ACTIVE_PLAN, {}, O.NEEDS_OFFICER, "second.end_cap", True,
                 id="a second plan ends within the extension after the first plan"),
    pytest.param(SECOND, loan(ACTIVE_PLAN, first_plan=FirstPlanFacts(PlanStatus.BROKEN, date(2019, 1, 1),
                                                                        date(2020, 1, 1))),
                 {}, O.NEEDS_OFFICER, "second.end_cap", False,
                 id="a second plan whose end cap has passed goes to an officer"),
    pytest.param(SECOND, BROKEN_PLAN, {}, O.NEEDS_OFFICER, "second.down_payment", True,
                 id="a second negotiation after a broken plan asks for a down payment"),
    # settlement
    pytest.param(SETTLEMENT, OVERDUE, {}, O.OFFERS, "settlement.lump_sum_covers", True,
                 id="a settlement the lump sum covers is offered automatically"),
    pytest.param(app(SETTLEMENT, lump_sum=D("30000.00")), OVERDUE, {}, O.REJECTED, "settlement.lump_sum_covers",
                 False, id="a lump sum short of the amount due is rejected naming the amount"),
    pytest.param(app(SETTLEMENT, lump_date=TODAY + timedelta(days=15)), OVERDUE, {}, O.REJECTED,
                 "settlement.pay_date_in_window", False, id="funds available too late for the offer are rejected"),
    pytest.param(SETTLEMENT, loan(overdue_penalty=D("6000.00")), {}, O.NEEDS_OFFICER, "auto.waiver_within_limit",
                 False, id="a settlement waiving more than the automatic limit goes to an officer"),
    pytest.param(SETTLEMENT, TWO_USED, {}, O.OFFERS, "settlement.quote",
                 True, id="a settlement stays open after two negotiations"),
]


@pytest.mark.parametrize(("application", "loan_facts", "policy_changes", "outcome", "rule", "passed"), CASES)
def test_the_review_table(
    application: ApplicationFacts, loan_facts: LoanFacts, policy_changes: dict[str, object], outcome: Outcome,
    rule: str, passed: bool,
) -> None:
    decision = decide(application, loan_facts, **policy_changes)
    assert decision.outcome == outcome, decision.summary
    assert decision.rule(rule).passed is passed
    if outcome == O.REJECTED:
        assert decision.failed_rule == rule
        assert decision.what_would_change_it
        assert not decision.offers
    if outcome == O.NEEDS_OFFICER and not passed and decision.rule(rule).effect == "officer":
        assert rule in {reason.rule for reason in decision.officer_reasons}
    if outcome == O.MATERIALS_REQUEST:
        assert decision.missing and not decision.offers
    if outcome == O.OFFERS:
        assert decision.offers and all(offer.affordable for offer in decision.offers)
    assert len({r.rule for r in decision.rules_applied}) == len(decision.rules_applied)


# --- what the decisions say ----------------------------------------------------------------------


def test_a_third_negotiation_is_refused_saying_that_settlement_is_still_open() -> None:
    decision = decide(SECOND, TWO_USED)
    assert decision.failed_rule == "negotiations.within_limit"
    assert "settlement" in decision.what_would_change_it


def test_a_materials_request_names_each_missing_proof_and_the_deadline() -> None:
    decision = decide(app(SECOND, proofs=frozenset()), ACTIVE_PLAN)
    assert [(m.kind, m.rule) for m in decision.missing] == [
        (ProofKind.INCOME, "proofs.required_present"),
        (ProofKind.EXPENSE, "proofs.required_present"),
    ]
    assert all("second negotiation" in m.reason for m in decision.missing)
    assert decision.answer_by == TODAY + timedelta(days=14)


def test_a_short_lump_sum_is_told_the_amount_needed() -> None:
    decision = decide(app(SETTLEMENT, lump_sum=D("30000.00")))
    assert "¥30,200.00" in decision.what_would_change_it  # 30,000 + 400 − 50 % of 400 + 120 − 120
    assert decision.rule("settlement.lump_sum_covers").params["shortfall"] == D("200.00")


def test_every_decision_lists_the_eligibility_checks_first() -> None:
    for application in (FIRST, SECOND, SETTLEMENT):
        rules = [r.rule for r in decide(application, ACTIVE_PLAN).rules_applied]
        assert rules[:2] == ["loan.open", "application.none_open"]


def test_an_officer_gets_the_lowest_installment_plan_as_the_recommendation_when_nothing_is_affordable() -> None:
    decision = decide(app(FIRST, monthly_income=D("4600.00")))
    assert decision.outcome == O.NEEDS_OFFICER
    assert [o.label for o in decision.recommendation] == [OfferLabel.LOWEST_INSTALLMENT]
    offer = decision.recommendation[0]
    assert offer.months == 60 and not offer.affordable
    assert offer.highest_payment > decision.max_installment == D("70.00")


def test_a_second_negotiation_goes_to_an_officer_with_the_engines_offers_attached() -> None:
    decision = decide(SECOND, ACTIVE_PLAN)
    assert decision.outcome == O.NEEDS_OFFICER
    assert {o.label for o in decision.recommendation} >= {OfferLabel.SHORTEST_AFFORDABLE, OfferLabel.LOWEST_INSTALLMENT}
    assert all(o.affordable for o in decision.recommendation)
    assert [r.rule for r in decision.officer_reasons] == ["auto.kind_allowed"]


# --- the figures ---------------------------------------------------------------------------------


def test_the_largest_affordable_payment_is_seventy_percent_of_disposable_rounded_down_to_the_fen() -> None:
    assert max_installment(D("4500.00"), DEFAULT_POLICY) == D("3150.00")
    assert max_installment(D("999.99"), DEFAULT_POLICY) == D("699.99")  # 699.993
    assert max_installment(D("1000.01"), DEFAULT_POLICY) == D("700.00")  # 700.007
    assert max_installment(D("0.01"), DEFAULT_POLICY) == D("0.00")
    assert max_installment(D("-50.00"), DEFAULT_POLICY) == D("0.00")


def test_a_first_negotiation_capitalises_overdue_interest_and_waives_the_whole_penalty() -> None:
    decision = decide(FIRST)
    for offer in decision.offers:
        assert offer.waived_penalty == D("120.00") and offer.waived_interest == 0
        assert offer.capitalised_arrears == D("400.00")
        assert offer.principal == D("30400.00")
        assert offer.down_payment == 0
        assert offer.renegotiation.new_principal == offer.principal


def test_a_second_negotiation_waives_half_the_penalty_and_capitalises_the_rest() -> None:
    for offer in decide(SECOND, ACTIVE_PLAN).offers:
        assert offer.waived_penalty == D("60.00")
        assert offer.capitalised_arrears == D("460.00")
        assert offer.principal == D("30460.00")


def test_a_second_negotiation_after_a_broken_plan_takes_five_percent_of_the_outstanding_down() -> None:
    decision = decide(SECOND, BROKEN_PLAN)
    assert decision.rule("second.down_payment").params["amount"] == D("1500.00")
    for offer in decision.offers:
        assert offer.down_payment == D("1500.00")
        assert offer.principal == D("30000.00") + D("460.00") - D("1500.00")


def test_the_shortest_affordable_term_is_the_first_term_whose_payments_fit() -> None:
    decision = decide(FIRST)
    shortest = next(o for o in decision.offers if o.label == OfferLabel.SHORTEST_AFFORDABLE)
    limit = decision.max_installment
    assert limit == D("3150.00")
    assert shortest.highest_payment <= limit
    assert pmt(shortest.principal, RATE.period_rate, shortest.months - 1) > limit


def test_the_lowest_installment_uses_the_whole_term_cap() -> None:
    lowest = next(o for o in decide(FIRST).offers if o.label == OfferLabel.LOWEST_INSTALLMENT)
    assert lowest.months == 60 and lowest.end_date == add_months(TODAY, 60)


def test_grace_then_amortise_defaults_to_the_longest_interest_only_grace() -> None:
    grace = next(o for o in decide(FIRST).offers if o.label == OfferLabel.GRACE_THEN_AMORTISE)
    assert (grace.grace_months, grace.grace_kind) == (3, GraceKind.INTEREST_ONLY)
    assert grace.schedule.rows[0].payment == RATE.interest_for(grace.principal)


def test_grace_then_amortise_follows_the_grace_the_borrower_asked_for() -> None:
    decision = decide(app(FIRST, grace_months=2, grace_kind=GraceKind.DEFERRAL))
    grace = next(o for o in decision.offers if o.label == OfferLabel.GRACE_THEN_AMORTISE)
    assert (grace.grace_months, grace.grace_kind) == (2, GraceKind.DEFERRAL)


def test_a_wished_monthly_amount_is_kept_to_when_possible() -> None:
    decision = decide(app(FIRST, wished_installment=D("900.00")))
    wished = next(o for o in decision.offers if o.label == OfferLabel.AS_REQUESTED)
    assert wished.highest_payment <= D("900.00")
    assert pmt(wished.principal, RATE.period_rate, wished.months - 1) > D("900.00")


def test_an_offer_identical_to_another_is_offered_once() -> None:
    """With affordability so tight that only the full cap fits, shortest == lowest."""
    lowest = build_plan_offer(K.FIRST, OVERDUE, plan_limits(K.FIRST, OVERDUE, DEFAULT_POLICY, TODAY),
                              DEFAULT_POLICY, months=60)
    income = D("4500.00") + (lowest.highest_payment / D("0.7")).quantize(D("0.01")) + D("0.02")
    decision = decide(app(FIRST, monthly_income=income), max_grace_months=0)
    assert [(o.label, o.months) for o in decision.offers] == [(OfferLabel.SHORTEST_AFFORDABLE, 60)]


def test_a_second_plan_never_ends_more_than_24_months_after_the_first() -> None:
    decision = decide(app(SECOND, monthly_income=D("5000.00")), ACTIVE_PLAN)
    cap = add_months(date(2028, 5, 28), 24)
    assert decision.rule("second.end_cap").params["end_cap"] == cap
    assert decision.offers and all(o.end_date <= cap for o in decision.offers)
    lowest = next(o for o in decision.offers if o.label == OfferLabel.LOWEST_INSTALLMENT)
    assert lowest.months == 42 and add_months(TODAY, 43) > cap


def test_offers_expire_after_the_policys_days_and_carry_their_annualized_rate() -> None:
    for offer in decide(FIRST).offers:
        assert offer.expires_on == TODAY + timedelta(days=7)
        assert offer.annualized_rate.nominal_str == "14.40"
        assert offer.start_date == TODAY
        assert offer.total_payment == offer.principal + offer.total_interest


def test_a_settlement_never_discounts_principal_and_waives_the_policy_shares() -> None:
    decision = decide(SETTLEMENT)
    (offer,) = decision.offers
    assert offer.settlement == settlement_quote(
        D("30000.00"), D("400.00"), D("120.00"), policy=DEFAULT_POLICY, accepted_on=TODAY
    )
    assert offer.total_payment == D("30200.00") and offer.principal == D("30000.00")
    assert (offer.waived_penalty, offer.waived_interest) == (D("120.00"), D("200.00"))
    assert offer.end_date == TODAY + timedelta(days=7) and offer.months == 1


# --- officers' limits ----------------------------------------------------------------------------


def test_the_offer_builder_refuses_terms_beyond_the_policy() -> None:
    limits = plan_limits(K.SECOND, ACTIVE_PLAN, DEFAULT_POLICY, TODAY, "income_drop")
    with pytest.raises(ValueError, match="months"):
        build_plan_offer(K.SECOND, ACTIVE_PLAN, limits, DEFAULT_POLICY, months=limits.max_months + 1)
    with pytest.raises(ValueError, match="grace_months"):
        build_plan_offer(K.SECOND, ACTIVE_PLAN, limits, DEFAULT_POLICY, months=24, grace_months=1,
                         grace_kind=GraceKind.INTEREST_ONLY)
    with pytest.raises(ValueError, match="waived_penalty"):
        build_plan_offer(K.SECOND, ACTIVE_PLAN, limits, DEFAULT_POLICY, months=24, waived_penalty=D("60.01"))


def test_large_waivers_and_second_negotiations_with_grace_need_a_second_officer() -> None:
    assert second_approval_reasons(K.FIRST, D("20000.00"), 0, DEFAULT_POLICY) == ()
    assert [r.rule for r in second_approval_reasons(K.FIRST, D("20000.01"), 0, DEFAULT_POLICY)] == [
        "approval.second_officer_waiver"
    ]
    assert [r.rule for r in second_approval_reasons(K.SECOND, D("0"), 2, DEFAULT_POLICY)] == [
        "approval.second_with_grace"
    ]
    illness = decide(app(SECOND, hardship_category="illness"), ACTIVE_PLAN)
    grace = next(o for o in illness.offers if o.grace_months)
    assert [r.rule for r in grace.second_approval_reasons] == ["approval.second_with_grace"]


# --- hygiene -------------------------------------------------------------------------------------


def test_the_same_application_always_gets_the_same_decision() -> None:
    for application, facts in ((FIRST, OVERDUE), (SECOND, BROKEN_PLAN), (SETTLEMENT, OVERDUE)):
        assert decide(application, facts) == decide(application, facts)


@pytest.mark.parametrize("module", ["review", "eligibility", "policy"])
def test_the_engine_never_uses_float_nor_reads_the_clock(module: str) -> None:
    source = (Path(__file__).resolve().parent.parent / "wsnego_tui" / "core" / f"{module}.py").read_text("utf-8")
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type == tokenize.NAME
              or t.type == tokenize.NUMBER or t.type == tokenize.OP]
    for token, following in zip(tokens, tokens[1:]):
        assert not (token.string == "float" and following.string == "("), f"{module}.py calls float()"
        assert token.string not in ("now", "today", "time", "utcnow") or following.string != "(", (
            f"{module}.py reads the clock at line {token.start[0]}"
        )
    for token in tokens:
        if token.type == tokenize.NUMBER:
            assert "." not in token.string and "e" not in token.string.lower(), f"{module}.py has a float literal"
