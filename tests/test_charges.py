"""Penalty interest, settlement quotes and the policy object that bounds them."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wsnego_tui.core.charges import SettlementQuote, penalty_interest, settlement_quote
from wsnego_tui.core.money import from_fen
from wsnego_tui.core.policy import DEFAULT_POLICY, Policy
from wsnego_tui.core.schedule import Rate

D = Decimal
ACCEPTED = date(2024, 3, 28)


# --- penalty interest -----------------------------------------------------------------------------


def test_penalty_interest_is_one_and_a_half_times_the_daily_rate_per_day() -> None:
    """10,000 overdue at 0.05 % a day for 10 days: 10,000 × 0.0005 × 1.5 × 10 = 75.00."""
    assert penalty_interest(D("10000"), Rate.daily(D("0.05")), 10) == D("75.00")


def test_penalty_interest_uses_the_daily_rate_of_an_annual_product() -> None:
    """1,234.56 at 12 % a year (1/30 % a day) for one day: 1234.56 × 12 × 1.5 / 36000 = 0.61728."""
    assert penalty_interest(D("1234.56"), Rate.annual(12), 1) == D("0.62")


def test_penalty_interest_rounds_half_up_once_at_the_end() -> None:
    """250 × 0.05 % × 1 day at 1× = 0.125 → 0.13 (banker's rounding would say 0.12)."""
    assert penalty_interest(D("250"), Rate.daily(D("0.05")), 1, multiplier=D("1")) == D("0.13")


def test_penalty_interest_is_not_rounded_day_by_day() -> None:
    """0.0075 a day rounds to 0.01, but 30 days are 0.225 → 0.23, not 30 × 0.01."""
    assert penalty_interest(D("10"), Rate.daily(D("0.05")), 1) == D("0.01")
    assert penalty_interest(D("10"), Rate.daily(D("0.05")), 30) == D("0.23")


def test_no_days_or_no_overdue_principal_means_no_penalty() -> None:
    assert penalty_interest(D("10000"), Rate.annual(12), 0) == 0
    assert penalty_interest(D("0"), Rate.annual(12), 30) == 0


def test_the_default_multiplier_is_the_policy_one() -> None:
    rate = Rate.annual(18)
    assert penalty_interest(D("1000"), rate, 7) == penalty_interest(
        D("1000"), rate, 7, multiplier=DEFAULT_POLICY.penalty_multiplier
    )


@pytest.mark.parametrize(
    ("principal", "days", "multiplier"),
    [(D("-1"), 1, D("1.5")), (D("1.005"), 1, D("1.5")), (D("100"), -1, D("1.5")), (D("100"), 1, D("-1"))],
)
def test_penalty_interest_refuses_negative_or_sub_fen_inputs(
    principal: Decimal, days: int, multiplier: Decimal
) -> None:
    with pytest.raises(ValueError):
        penalty_interest(principal, Rate.annual(12), days, multiplier)


@given(
    st.integers(min_value=0, max_value=10**10).map(from_fen),
    st.integers(min_value=0, max_value=3600),
    st.integers(min_value=0, max_value=3650),
)
@settings(max_examples=200, deadline=None)
def test_penalty_interest_grows_with_the_days_and_is_never_negative(
    principal: Decimal, hundredths: int, days: int
) -> None:
    rate = Rate.annual(D(hundredths) / 100)
    today = penalty_interest(principal, rate, days)
    assert today >= 0
    assert penalty_interest(principal, rate, days + 1) >= today
    assert today.as_tuple().exponent == -2


# --- settlement ---------------------------------------------------------------------------------


def test_a_default_settlement_waives_all_penalty_and_half_the_overdue_interest() -> None:
    """10,000 principal, 333.33 interest, 123.45 penalty.

    interest waiver 50 % × 333.33 = 166.665 → 166.66 (a waiver rounds down: never more than its
    share); penalty waiver 100 % = 123.45; amount due 10,000 + 333.33 − 166.66 = 10,166.67; pay
    within 7 days of 28 March.
    """
    quote = settlement_quote(D("10000"), D("333.33"), D("123.45"), policy=DEFAULT_POLICY, accepted_on=ACCEPTED)
    assert quote == SettlementQuote(
        outstanding_principal=D("10000"),
        interest_due=D("333.33"),
        penalty_due=D("123.45"),
        interest_waiver=D("166.66"),
        penalty_waiver=D("123.45"),
        amount_due=D("10166.67"),
        pay_by=date(2024, 4, 4),
    )
    assert quote.total_owed == D("10456.78")
    assert quote.total_waived == D("290.11")


def test_a_settlement_may_waive_less_than_the_policy_allows() -> None:
    quote = settlement_quote(
        D("5000"),
        D("100"),
        D("80"),
        policy=DEFAULT_POLICY,
        accepted_on=ACCEPTED,
        interest_waiver_pct=D("0"),
        penalty_waiver_pct=D("25"),
    )
    assert (quote.interest_waiver, quote.penalty_waiver) == (D("0.00"), D("20.00"))
    assert quote.amount_due == D("5160.00")


@pytest.mark.parametrize(
    ("interest_pct", "penalty_pct", "named"),
    [
        (D("50.01"), None, "interest_waiver_pct"),
        (None, D("100.5"), "penalty_waiver_pct"),
        (D("-1"), None, "interest_waiver_pct"),
    ],
)
def test_a_waiver_beyond_the_policy_is_refused(
    interest_pct: Decimal | None, penalty_pct: Decimal | None, named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        settlement_quote(
            D("5000"),
            D("100"),
            D("80"),
            policy=DEFAULT_POLICY,
            accepted_on=ACCEPTED,
            interest_waiver_pct=interest_pct,
            penalty_waiver_pct=penalty_pct,
        )


def test_a_stricter_policy_changes_the_defaults_and_the_deadline() -> None:
    strict = dataclasses.replace(
        DEFAULT_POLICY,
        settlement_interest_waiver_pct=D("0"),
        settlement_penalty_waiver_pct=D("50"),
        settlement_pay_days=3,
    )
    quote = settlement_quote(D("5000"), D("100"), D("80"), policy=strict, accepted_on=ACCEPTED)
    assert (quote.interest_waiver, quote.penalty_waiver) == (D("0.00"), D("40.00"))
    assert quote.pay_by == date(2024, 3, 31)
    with pytest.raises(ValueError):
        settlement_quote(
            D("5000"), D("100"), D("80"), policy=strict, accepted_on=ACCEPTED, interest_waiver_pct=D("1")
        )


@pytest.mark.parametrize("field", ["outstanding_principal", "interest_due", "penalty_due"])
def test_a_settlement_refuses_negative_amounts_by_name(field: str) -> None:
    amounts = {"outstanding_principal": D("100"), "interest_due": D("10"), "penalty_due": D("5")}
    amounts[field] = D("-0.01")
    with pytest.raises(ValueError, match=field):
        settlement_quote(**amounts, policy=DEFAULT_POLICY, accepted_on=ACCEPTED)


@given(
    st.integers(min_value=0, max_value=10**10).map(from_fen),
    st.integers(min_value=0, max_value=10**8).map(from_fen),
    st.integers(min_value=0, max_value=10**8).map(from_fen),
    st.integers(min_value=0, max_value=5000).map(lambda n: D(n) / 100),
    st.integers(min_value=0, max_value=10000).map(lambda n: D(n) / 100),
)
@settings(max_examples=200, deadline=None)
def test_principal_is_never_discounted_and_nothing_is_waived_beyond_what_is_due(
    principal: Decimal, interest: Decimal, penalty: Decimal, interest_pct: Decimal, penalty_pct: Decimal
) -> None:
    quote = settlement_quote(
        principal,
        interest,
        penalty,
        policy=DEFAULT_POLICY,
        accepted_on=ACCEPTED,
        interest_waiver_pct=interest_pct,
        penalty_waiver_pct=penalty_pct,
    )
    assert quote.amount_due >= principal
    assert 0 <= quote.interest_waiver <= interest
    assert 0 <= quote.penalty_waiver <= penalty
    assert quote.amount_due == quote.total_owed - quote.total_waived


# --- policy -------------------------------------------------------------------------------------


def test_the_default_policy_is_the_one_in_the_design() -> None:
    p = DEFAULT_POLICY
    assert (p.max_negotiations, p.max_term_months, p.max_grace_months) == (2, 60, 3)
    assert p.second_max_extension_months == 24
    assert p.second_broken_down_payment_pct == D("5")
    assert p.affordability_pct == D("70")
    assert p.penalty_multiplier == D("1.5")
    assert (p.first_penalty_waiver_pct, p.second_penalty_waiver_pct) == (D("100"), D("50"))
    assert (p.settlement_penalty_waiver_pct, p.settlement_interest_waiver_pct, p.settlement_pay_days) == (
        D("100"),
        D("50"),
        7,
    )
    assert (p.bank_decision_days, p.materials_answer_days, p.offer_valid_days) == (21, 14, 7)
    assert (p.broken_consecutive_missed, p.broken_days_late) == (2, 30)
    assert (p.proof_max_bytes, p.proof_max_files) == (10 * 1024 * 1024, 10)
    assert p.proof_types == ("application/pdf", "image/png", "image/jpeg")
    assert p.second_grace_hardships == ("illness", "job_loss")
    assert p.review_delay_seconds == 0
    assert DEFAULT_POLICY == Policy()


def test_a_policy_turns_whole_number_percentages_into_decimals() -> None:
    policy = Policy(affordability_pct=60)  # type: ignore[arg-type]
    assert isinstance(policy.affordability_pct, Decimal)
    assert policy.affordability_pct == D("60")


def test_a_policy_refuses_floats() -> None:
    with pytest.raises(TypeError, match="float"):
        Policy(penalty_multiplier=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="float"):
        Policy(max_term_months=60.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "changes",
    [
        {"affordability_pct": D("101")},
        {"settlement_interest_waiver_pct": D("-1")},
        {"penalty_multiplier": D("0.5")},
        {"max_term_months": 0},
        {"offer_valid_days": -1},
        {"max_grace_months": 60},
        {"proof_max_files": True},
    ],
)
def test_a_policy_refuses_nonsense(changes: dict[str, object]) -> None:
    with pytest.raises((ValueError, TypeError)):
        Policy(**changes)  # type: ignore[arg-type]


def test_a_policy_is_immutable_and_overridden_by_replace() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_POLICY.max_term_months = 36  # type: ignore[misc]
    shorter = dataclasses.replace(DEFAULT_POLICY, max_term_months=36)
    assert shorter.max_term_months == 36
    assert DEFAULT_POLICY.max_term_months == 60


def test_a_waiver_never_exceeds_its_share_of_a_tiny_amount() -> None:
    """Up to 50% of one fen of interest is nothing, not the whole fen; up to 50% of three fen
    is one fen."""
    one = settlement_quote(D("1000.00"), D("0.01"), D("0"), policy=DEFAULT_POLICY, accepted_on=ACCEPTED)
    three = settlement_quote(D("1000.00"), D("0.03"), D("0"), policy=DEFAULT_POLICY, accepted_on=ACCEPTED)
    assert (one.interest_waiver, three.interest_waiver) == (D("0.00"), D("0.01"))
