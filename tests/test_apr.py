"""The annualized rate by IRR: exact monthly roots, both annual forms, fees and grace included."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from wsnego_tui.core.apr import AnnualizedRate, annualize, annualized_rate, irr
from wsnego_tui.core.schedule import GraceKind, Method, Rate, build_schedule

D = Decimal
START = date(2024, 1, 31)


def flows(*amounts: str | int) -> list[Decimal]:
    return [D(amount) for amount in amounts]


# --- irr ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cash_flows", "rate"),
    [
        (flows(-100, 110), "0.1"),
        (flows(-100, 0, 121), "0.1"),
        (flows(-100, 90), "-0.1"),
        (flows(100, -110), "0.1"),
        (flows(-1000, 10, 10, 1010), "0.01"),
    ],
)
def test_irr_finds_the_monthly_rate_that_discounts_the_flows_to_zero(cash_flows: list[Decimal], rate: str) -> None:
    assert abs(irr(cash_flows) - D(rate)) < D("1e-12")


def test_irr_of_flows_that_merely_return_the_money_is_zero() -> None:
    assert irr(flows(-100, 50, 50)) == 0


def test_irr_is_precise_to_well_below_a_trillionth() -> None:
    """−1000 then 340.02, 340.02, 340.03 (the 12 % example): NPV at the IRR is ~0."""
    cash_flows = flows(-1000, "340.02", "340.02", "340.03")
    rate = irr(cash_flows)
    npv = sum(flow / (1 + rate) ** k for k, flow in enumerate(cash_flows))
    assert abs(npv) < D("1e-9")
    assert abs(rate - D("0.01")) < D("0.0001")


@pytest.mark.parametrize(
    "cash_flows",
    [flows(100, 10, 10), flows(-100, -10), flows(0, 0), flows(), flows(-100, 0, 0)],
)
def test_irr_refuses_flows_without_a_sign_change(cash_flows: list[Decimal]) -> None:
    with pytest.raises(ValueError, match="negative and a positive"):
        irr(cash_flows)


def test_irr_refuses_flows_that_are_not_finite() -> None:
    with pytest.raises(ValueError, match="finite"):
        irr(flows(-100, "Infinity"))


def test_irr_returns_a_decimal_never_a_float() -> None:
    assert isinstance(irr(flows(-100, 110)), Decimal)


# --- annualized rates ---------------------------------------------------------------------------


def test_nominal_is_irr_times_12_and_effective_compounds_it() -> None:
    """A monthly 1 %: nominal 12.00 %, effective 1.01^12 − 1 = 12.6825… %."""
    rate = annualize(D("0.01"))
    assert rate == AnnualizedRate(nominal_pct=D("12.0000"), effective_pct=D("12.6825"))
    assert (rate.nominal_str, rate.effective_str) == ("12.00", "12.68")


def test_the_strings_round_half_up_to_two_decimals() -> None:
    rate = AnnualizedRate(nominal_pct=D("4.1250"), effective_pct=D("4.1349"))
    assert (rate.nominal_str, rate.effective_str) == ("4.13", "4.13")


def test_the_mortgage_anchor_has_an_annualized_rate_of_4_90_percent() -> None:
    plan = build_schedule(D("1000000"), Rate.annual(D("4.9")), 360, start=START)
    rate = annualized_rate(plan)
    assert rate.nominal_str == "4.90"
    assert rate.effective_str == "5.01"


def test_a_daily_rate_of_0_05_percent_is_18_percent_nominal_and_19_56_effective() -> None:
    plan = build_schedule(D("10000"), Rate.daily(D("0.05")), 12, start=START)
    rate = annualized_rate(plan)
    assert (rate.nominal_str, rate.effective_str) == ("18.00", "19.56")


def test_interest_first_at_a_whole_fen_rate_has_exactly_the_contract_rate() -> None:
    """1,000 at 12 %: flows −1000, 10, 10, 1010 discount to zero at exactly 1 % a month."""
    plan = build_schedule(D("1000"), Rate.annual(12), 3, method=Method.INTEREST_FIRST, start=START)
    assert annualized_rate(plan).nominal_pct == D("12.0000")


def test_a_zero_rate_plan_without_fees_costs_nothing() -> None:
    plan = build_schedule(D("1200"), Rate.annual(0), 12, start=START)
    assert annualized_rate(plan) == AnnualizedRate(D("0.0000"), D("0.0000"))


def test_an_upfront_fee_shows_in_the_annualized_rate() -> None:
    """1,000 at 12 % for one month with a fee of 10: receive 990, repay 1,010.

    IRR = 1010 / 990 − 1 = 2.0202…% a month, nominal 24.2424 % where the contract says 12 %.
    """
    plan = build_schedule(D("1000"), Rate.annual(12), 1, start=START, upfront_fee=D("10"))
    rate = annualized_rate(plan)
    assert rate.nominal_pct == D("24.2424")
    assert rate.nominal_str == "24.24"


def test_a_zero_rate_plan_with_a_fee_is_not_free() -> None:
    plan = build_schedule(D("1200"), Rate.annual(0), 12, start=START, upfront_fee=D("12"))
    assert annualized_rate(plan).nominal_pct > 0


def test_deferral_grace_keeps_the_contract_rate_because_interest_compounds_monthly() -> None:
    """Capitalised interest earns interest at the same monthly rate, so the IRR does not move."""
    plan = build_schedule(
        D("100000"), Rate.annual(12), 24, start=START, grace_months=3, grace_kind=GraceKind.DEFERRAL
    )
    assert abs(annualized_rate(plan).nominal_pct - 12) < D("0.01")


def test_interest_only_grace_keeps_the_contract_rate() -> None:
    plan = build_schedule(
        D("100000"), Rate.annual(D("7.2")), 36, start=START, grace_months=3, grace_kind=GraceKind.INTEREST_ONLY
    )
    assert annualized_rate(plan).nominal_str == "7.20"
