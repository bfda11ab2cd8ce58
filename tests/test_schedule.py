"""The schedule calculator: due dates, rates, published anchors and hand-worked vectors per method."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from wsnego_tui.core.dates import add_months, due_dates
from wsnego_tui.core.schedule import (
    GraceKind,
    Method,
    Rate,
    Renegotiation,
    Row,
    RowKind,
    Schedule,
    build_schedule,
    compare,
    pmt,
    renegotiate,
)

D = Decimal
START = date(2024, 1, 31)


def amounts(schedule: Schedule, field: str) -> list[str]:
    return [str(getattr(row, field)) for row in schedule.rows]


# --- due dates ----------------------------------------------------------------------------------


def test_a_loan_started_on_the_31st_falls_due_on_the_last_day_of_shorter_months() -> None:
    assert due_dates(date(2023, 1, 31), 4) == [
        date(2023, 2, 28),
        date(2023, 3, 31),
        date(2023, 4, 30),
        date(2023, 5, 31),
    ]


def test_february_of_a_leap_year_has_its_29th() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 1, 29), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 1, 28), 1) == date(2024, 2, 28)


def test_a_short_month_never_drags_the_later_due_dates() -> None:
    """Each date comes from the start, so after Feb 29 the 31st returns (not Mar 29)."""
    assert add_months(date(2024, 1, 31), 2) == date(2024, 3, 31)
    assert add_months(add_months(date(2024, 1, 31), 1), 1) == date(2024, 3, 29)


def test_months_carry_over_the_year_end_in_both_directions() -> None:
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)
    assert add_months(date(2024, 3, 31), -1) == date(2024, 2, 29)
    assert add_months(date(2024, 1, 15), -13) == date(2022, 12, 15)
    assert add_months(date(2024, 5, 15), 0) == date(2024, 5, 15)


def test_due_dates_start_one_month_after_the_start() -> None:
    assert due_dates(date(2024, 6, 10), 0) == []
    assert due_dates(date(2024, 6, 10), 1) == [date(2024, 7, 10)]
    with pytest.raises(ValueError):
        due_dates(date(2024, 6, 10), -1)


def test_the_schedule_rows_fall_on_the_clamped_due_dates() -> None:
    plan = build_schedule(D("1000"), Rate.annual(12), 4, start=START)
    assert [row.due_date for row in plan.rows] == due_dates(START, 4)
    assert plan.first_due_date == date(2024, 2, 29)
    assert plan.end_date == date(2024, 5, 31)


# --- rates --------------------------------------------------------------------------------------


def test_a_daily_rate_of_0_05_percent_is_an_annual_18_percent() -> None:
    daily = Rate.daily(D("0.05"))
    assert daily == Rate.annual(D("18"))
    assert daily.annual_pct == 18
    assert daily.period_rate == D("0.015")
    assert daily.daily_pct == D("0.05")


def test_the_period_rate_of_a_daily_product_is_the_daily_rate_times_30() -> None:
    daily = Rate.daily(D("0.0325"))
    assert daily.period_rate == D("0.0325") * 30 / 100
    assert daily.annual_pct == D("11.7")


def test_a_repeating_period_rate_is_carried_far_below_the_fen() -> None:
    """4.9 % / 12 = 0.4083333…%: kept to 50 significant digits, not rounded early."""
    rate = Rate.annual(D("4.9"))
    assert abs(rate.period_rate * 1200 - D("4.9")) < D("1e-45")
    assert str(rate.period_rate).startswith("0.00408333333333333333333333333")


@pytest.mark.parametrize("pct", [D("0"), D("36"), 12, "4.9"])
def test_annual_rates_from_zero_to_36_percent_are_accepted(pct: object) -> None:
    assert Rate.annual(pct).annual_pct == D(str(pct))  # type: ignore[arg-type]


@pytest.mark.parametrize("pct", [D("-0.01"), D("36.01"), D("NaN"), D("Infinity")])
def test_annual_rates_outside_zero_to_36_percent_are_refused(pct: Decimal) -> None:
    with pytest.raises(ValueError, match="annual"):
        Rate.annual(pct)


def test_a_daily_rate_above_0_1_percent_is_refused() -> None:
    assert Rate.daily(D("0.1")).annual_pct == 36
    with pytest.raises(ValueError, match="daily rate must be between 0 and 0.1"):
        Rate.daily(D("0.11"))


def test_a_rate_refuses_a_float() -> None:
    with pytest.raises(TypeError):
        Rate.annual(4.9)  # type: ignore[arg-type]


# --- published anchors --------------------------------------------------------------------------


def test_a_30_year_mortgage_of_a_million_at_4_9_percent_pays_5307_27_a_month() -> None:
    plan = build_schedule(D("1000000"), Rate.annual(D("4.9")), 360, start=START)
    assert plan.installment == D("5307.27")
    assert all(row.payment == D("5307.27") for row in plan.rows[:-1])
    assert plan.rows[-1].balance == 0


def test_pmt_matches_excel_for_10000_at_8_percent_over_10_months() -> None:
    """Excel: PMT(8%/12, 10, 10000) = -1,037.03 (Excel shows the payment as an outflow)."""
    assert pmt(D("10000"), Rate.annual(8).period_rate, 10) == D("1037.03")


def test_100_at_9_4822_percent_over_6_months_pays_17_13() -> None:
    plan = build_schedule(D("100"), Rate.annual(D("9.4822")), 6, start=START)
    assert plan.installment == D("17.13")


def test_pmt_at_a_zero_rate_divides_and_rounds_half_up() -> None:
    assert pmt(D("100"), D("0"), 3) == D("33.33")
    assert pmt(D("0.05"), D("0"), 2) == D("0.03")


def test_pmt_refuses_a_term_below_one_and_a_negative_rate() -> None:
    with pytest.raises(ValueError, match="n must be at least 1"):
        pmt(D("100"), D("0.01"), 0)
    with pytest.raises(ValueError, match="period_rate"):
        pmt(D("100"), D("-0.01"), 3)


# --- worked vectors -----------------------------------------------------------------------------


def test_equal_installment_worked_example() -> None:
    """1,000 at 12 % a year over 3 months, r = 1 % a month.

    A = 1000 × 0.01 / (1 − 1.01^−3) = 340.0221… → 340.02
    1: interest 10.00,                principal 330.02, balance 669.98
    2: interest 669.98 × 1 % = 6.6998 → 6.70, principal 333.32, balance 336.66
    3: interest 3.3666 → 3.37, the last takes the residue 336.66: payment 340.03
    total 1,020.07 = 1,000 + 20.07 interest.
    """
    plan = build_schedule(D("1000"), Rate.annual(12), 3, start=START)
    assert amounts(plan, "payment") == ["340.02", "340.02", "340.03"]
    assert amounts(plan, "interest") == ["10.00", "6.70", "3.37"]
    assert amounts(plan, "principal") == ["330.02", "333.32", "336.66"]
    assert amounts(plan, "balance") == ["669.98", "336.66", "0.00"]
    assert plan.total_payment == D("1020.07")
    assert plan.total_interest == D("20.07")
    assert plan.installment == D("340.02")


def test_the_last_period_takes_the_residue() -> None:
    """Rounding the installment leaves a few fen over or under; the last payment absorbs them."""
    plan = build_schedule(D("1000000"), Rate.annual(D("4.9")), 360, start=START)
    last = plan.rows[-1]
    assert last.payment == D("5305.19")
    assert last.principal == plan.rows[-2].balance
    assert last.balance == 0


def test_equal_principal_worked_example() -> None:
    """1,200 at 12 % over 3 months: principal 400 a month, interest on the falling balance.

    interest 12.00, 8.00, 4.00 → payments 412.00, 408.00, 404.00; total interest 24.00.
    """
    plan = build_schedule(D("1200"), Rate.annual(12), 3, method=Method.EQUAL_PRINCIPAL, start=START)
    assert amounts(plan, "payment") == ["412.00", "408.00", "404.00"]
    assert amounts(plan, "principal") == ["400.00", "400.00", "400.00"]
    assert plan.total_interest == D("24.00")
    assert plan.installment == D("412.00")


def test_equal_principal_leaves_the_odd_fen_to_the_last_period() -> None:
    """1,000 / 3 = 333.33 a month; the last takes 333.34. Interest: 10.00, 6.6667 → 6.67, 3.3334 → 3.33."""
    plan = build_schedule(D("1000"), Rate.annual(12), 3, method=Method.EQUAL_PRINCIPAL, start=START)
    assert amounts(plan, "principal") == ["333.33", "333.33", "333.34"]
    assert amounts(plan, "interest") == ["10.00", "6.67", "3.33"]
    assert amounts(plan, "payment") == ["343.33", "340.00", "336.67"]


def test_interest_first_repays_all_principal_in_the_last_period() -> None:
    """1,000 at 12 % over 3 months: 10.00, 10.00, then 1,010.00."""
    plan = build_schedule(D("1000"), Rate.annual(12), 3, method=Method.INTEREST_FIRST, start=START)
    assert amounts(plan, "payment") == ["10.00", "10.00", "1010.00"]
    assert amounts(plan, "balance") == ["1000.00", "1000.00", "0.00"]
    assert plan.installment == D("10.00")


def test_interest_only_grace_pays_the_interest_then_amortises_over_the_rest() -> None:
    """1,000 at 12 %, 4 months with 1 interest-only month: 10.00, then the 3-month example."""
    plan = build_schedule(
        D("1000"), Rate.annual(12), 4, start=START, grace_months=1, grace_kind=GraceKind.INTEREST_ONLY
    )
    first = plan.rows[0]
    assert (first.kind, first.payment, first.interest, first.principal, first.balance) == (
        RowKind.GRACE,
        D("10.00"),
        D("10.00"),
        D("0.00"),
        D("1000.00"),
    )
    assert amounts(plan, "payment")[1:] == ["340.02", "340.02", "340.03"]
    assert [row.period for row in plan.rows] == [1, 2, 3, 4]
    assert plan.installment == D("340.02")
    assert plan.total_interest == D("30.07")


def test_deferral_grace_capitalises_the_interest_without_any_negative_amount() -> None:
    """1,000 at 12 %, 4 months with 1 deferral month.

    1: nothing paid; interest 10.00 capitalised: balance 1,010.00 (capitalised = 10.00)
    A = 1010 × 0.3400221… = 343.42
    2: interest 10.10, principal 333.32, balance 676.68
    3: interest 6.7668 → 6.77, principal 336.65, balance 340.03
    4: interest 3.4003 → 3.40, principal 340.03, payment 343.43
    total paid 1,030.27 = 1,000 + 30.27, where 30.27 = 10.00 capitalised + 20.27 paid.
    """
    plan = build_schedule(
        D("1000"), Rate.annual(12), 4, start=START, grace_months=1, grace_kind=GraceKind.DEFERRAL
    )
    first = plan.rows[0]
    assert (first.payment, first.interest, first.principal, first.capitalised, first.balance) == (
        D("0.00"),
        D("0.00"),
        D("0.00"),
        D("10.00"),
        D("1010.00"),
    )
    assert amounts(plan, "payment")[1:] == ["343.42", "343.42", "343.43"]
    assert amounts(plan, "interest")[1:] == ["10.10", "6.77", "3.40"]
    assert amounts(plan, "balance")[1:] == ["676.68", "340.03", "0.00"]
    assert plan.total_capitalised == D("10.00")
    assert plan.total_interest == D("30.27")
    assert plan.total_payment == D("1030.27") == plan.principal + plan.total_interest
    assert sum(row.principal for row in plan.rows) == plan.principal + plan.total_capitalised


def test_deferral_interest_is_capitalised_monthly() -> None:
    """Two deferral months on 1,000 at 12 %: 10.00 then 1 % of 1,010.00 = 10.10."""
    plan = build_schedule(
        D("1000"), Rate.annual(12), 5, start=START, grace_months=2, grace_kind=GraceKind.DEFERRAL
    )
    assert amounts(plan, "capitalised")[:2] == ["10.00", "10.10"]
    assert plan.rows[1].balance == D("1020.10")
    assert plan.installment == plan.rows[2].payment


def test_a_zero_rate_divides_the_principal_and_charges_no_interest() -> None:
    plan = build_schedule(D("100"), Rate.annual(0), 3, start=START)
    assert amounts(plan, "payment") == ["33.33", "33.33", "33.34"]
    assert plan.total_interest == 0
    assert plan.total_payment == D("100.00")


def test_principal_is_never_more_than_the_balance() -> None:
    """0.02 over 4 months at 0 %: 0.005 rounds half-up to 0.01, so the debt is gone after two
    months; the last two rows clamp to zero instead of overpaying."""
    plan = build_schedule(D("0.02"), Rate.annual(0), 4, start=START)
    assert amounts(plan, "principal") == ["0.01", "0.01", "0.00", "0.00"]
    assert amounts(plan, "balance") == ["0.01", "0.00", "0.00", "0.00"]
    equal_principal = build_schedule(D("0.02"), Rate.annual(0), 4, method=Method.EQUAL_PRINCIPAL, start=START)
    assert amounts(equal_principal, "principal") == ["0.01", "0.01", "0.00", "0.00"]


def test_a_one_month_term_repays_everything_at_once() -> None:
    plan = build_schedule(D("500"), Rate.annual(12), 1, start=START)
    assert amounts(plan, "payment") == ["505.00"]


def test_every_row_kind_is_grace_or_regular() -> None:
    plan = build_schedule(
        D("1000"), Rate.annual(12), 4, start=START, grace_months=2, grace_kind=GraceKind.INTEREST_ONLY
    )
    assert [row.kind for row in plan.rows] == ["grace", "grace", "regular", "regular"]


def test_a_schedule_remembers_its_inputs() -> None:
    plan = build_schedule(
        D("1000"),
        Rate.annual(12),
        6,
        method=Method.EQUAL_PRINCIPAL,
        start=START,
        grace_months=1,
        grace_kind=GraceKind.DEFERRAL,
        upfront_fee=D("20"),
    )
    assert (plan.principal, plan.rate, plan.method) == (D("1000"), Rate.annual(12), Method.EQUAL_PRINCIPAL)
    assert plan.start == START
    assert (plan.months, plan.term, plan.grace_months, plan.grace_kind) == (6, 6, 1, GraceKind.DEFERRAL)
    assert plan.upfront_fee == D("20.00")
    assert plan.total_cost == plan.total_interest + D("20")
    assert len(plan.rows) == 6


def test_cash_flows_start_with_what_the_borrower_receives_net_of_the_fee() -> None:
    plan = build_schedule(D("1000"), Rate.annual(12), 3, start=START, upfront_fee=D("15"))
    assert plan.cash_flows() == (D("-985.00"), D("340.02"), D("340.02"), D("340.03"))


def test_schedules_and_rows_are_immutable() -> None:
    plan = build_schedule(D("1000"), Rate.annual(12), 3, start=START)
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.months = 4  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.rows[0].payment = D("0")  # type: ignore[misc]
    assert isinstance(plan.rows, tuple) and isinstance(plan.rows[0], Row)


def test_methods_and_grace_kinds_are_spelled_as_on_the_command_line() -> None:
    assert [str(m) for m in Method] == ["equal-installment", "equal-principal", "interest-first"]
    assert [str(k) for k in GraceKind] == ["interest-only", "deferral"]
    plan = build_schedule(D("100"), Rate.annual(12), 2, method="interest-first", start=START)  # type: ignore[arg-type]
    assert plan.method is Method.INTEREST_FIRST


# --- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "argument"),
    [
        ({"principal": D("0")}, "principal"),
        ({"principal": D("-5")}, "principal"),
        ({"principal": D("10.005")}, "principal"),
        ({"principal": D("NaN")}, "principal"),
        ({"months": 0}, "months"),
        ({"months": 601}, "months"),
        ({"months": True}, "months"),
        ({"grace_months": -1}, "grace_months"),
        ({"grace_months": 12, "grace_kind": GraceKind.DEFERRAL}, "grace_months"),
        ({"grace_months": 2}, "grace_kind"),
        ({"grace_kind": GraceKind.INTEREST_ONLY}, "grace_kind"),
        ({"grace_months": 1, "grace_kind": "pause"}, "grace_kind"),
        ({"upfront_fee": D("-1")}, "upfront_fee"),
        ({"upfront_fee": D("0.001")}, "upfront_fee"),
        ({"upfront_fee": D("1000")}, "upfront_fee"),
        ({"method": "balloon"}, "method"),
        ({"rate": D("12")}, "rate"),
        ({"start": "2024-01-31"}, "start"),
    ],
)
def test_bad_inputs_are_refused_with_the_argument_named(changes: dict[str, object], argument: str) -> None:
    arguments: dict[str, object] = {"principal": D("1000"), "rate": Rate.annual(12), "months": 12, "start": START}
    arguments.update(changes)
    with pytest.raises(ValueError, match=argument):
        build_schedule(**arguments)  # type: ignore[arg-type]


def test_a_principal_with_trailing_zeros_is_a_whole_number_of_fen() -> None:
    assert build_schedule(D("1000.000"), Rate.annual(12), 3, start=START).principal == D("1000.00")


# --- renegotiation ------------------------------------------------------------------------------


def reneg(**changes: object) -> Renegotiation:
    arguments: dict[str, object] = {
        "outstanding_principal": D("10000"),
        "arrears_capitalised": D("500"),
        "waived": D("200"),
        "down_payment": D("300"),
        "rate": Rate.annual(12),
        "months": 12,
        "start": START,
    }
    arguments.update(changes)
    return Renegotiation(**arguments)  # type: ignore[arg-type]


def test_the_new_principal_folds_in_arrears_and_takes_off_waivers_and_the_down_payment() -> None:
    """10,000 outstanding + 500 arrears − 200 waived − 300 down payment = 10,000."""
    assert reneg().new_principal == D("10000.00")


def test_a_renegotiation_builds_the_schedule_of_its_new_principal() -> None:
    r = reneg(method=Method.EQUAL_PRINCIPAL, grace_months=2, grace_kind=GraceKind.INTEREST_ONLY, months=24)
    assert renegotiate(r) == build_schedule(
        D("10000"),
        Rate.annual(12),
        24,
        method=Method.EQUAL_PRINCIPAL,
        start=START,
        grace_months=2,
        grace_kind=GraceKind.INTEREST_ONLY,
    )


def test_a_renegotiation_defaults_to_no_arrears_waiver_or_grace() -> None:
    r = Renegotiation(outstanding_principal=D("5000"), rate=Rate.annual(6), months=10, start=START)
    assert r.new_principal == D("5000")
    assert renegotiate(r).method is Method.EQUAL_INSTALLMENT


@pytest.mark.parametrize("field", ["outstanding_principal", "arrears_capitalised", "waived", "down_payment"])
def test_a_negative_renegotiation_amount_is_refused_by_name(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        reneg(**{field: D("-1")}).new_principal


def test_waiving_more_than_is_owed_is_refused() -> None:
    with pytest.raises(ValueError, match="waived"):
        reneg(waived=D("10500.01"), down_payment=D("0")).new_principal


def test_a_down_payment_that_clears_the_debt_leaves_nothing_to_renegotiate() -> None:
    with pytest.raises(ValueError, match="nothing left to repay"):
        reneg(down_payment=D("10300")).new_principal
    with pytest.raises(ValueError, match="nothing left to repay"):
        renegotiate(reneg(down_payment=D("10300")))


def test_renegotiation_inputs_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        Renegotiation(D("1000"), D("0"), D("0"), D("0"), Rate.annual(12), 12, start=START)  # type: ignore[misc]


# --- comparison ---------------------------------------------------------------------------------


def test_a_comparison_sets_old_and_new_side_by_side() -> None:
    old = build_schedule(D("10000"), Rate.annual(18), 12, start=START)
    new = build_schedule(D("10000"), Rate.annual(12), 24, start=START)
    result = compare(old, new)
    assert (result.old_installment, result.new_installment) == (old.installment, new.installment)
    assert (result.old_term, result.new_term) == (12, 24)
    assert (result.old_end_date, result.new_end_date) == (old.end_date, new.end_date)
    assert (result.old_total_payment, result.new_total_payment) == (old.total_payment, new.total_payment)
    assert (result.old_total_interest, result.new_total_interest) == (old.total_interest, new.total_interest)
    assert result.saving == old.total_payment - new.total_payment
    assert result.installment_change == new.installment - old.installment < 0


def test_a_longer_plan_can_cost_more_so_the_saving_is_negative() -> None:
    old = build_schedule(D("10000"), Rate.annual(12), 12, start=START)
    new = build_schedule(D("10000"), Rate.annual(12), 36, start=START)
    assert compare(old, new).saving < 0
