"""Properties every schedule keeps, whatever the principal, rate, term, method and grace."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from wsnego_tui.core.apr import annualize, annualized_rate, irr
from wsnego_tui.core.money import from_fen
from wsnego_tui.core.schedule import (
    GraceKind,
    Method,
    Rate,
    Renegotiation,
    RowKind,
    Schedule,
    build_schedule,
    renegotiate,
)

D = Decimal
QUICK = settings(max_examples=200, deadline=None)

principals = st.integers(min_value=1, max_value=10**10).map(from_fen)  # 0.01 … 100 million
rates = st.integers(min_value=0, max_value=3600).map(lambda hundredths: Rate.annual(D(hundredths) / 100))
positive_rates = st.integers(min_value=1, max_value=3600).map(lambda hundredths: Rate.annual(D(hundredths) / 100))
starts = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))


@dataclass(frozen=True)
class Inputs:
    principal: Decimal
    rate: Rate
    months: int
    method: Method
    start: date
    grace_months: int
    grace_kind: GraceKind | None

    def build(self) -> Schedule:
        return build_schedule(
            self.principal,
            self.rate,
            self.months,
            method=self.method,
            start=self.start,
            grace_months=self.grace_months,
            grace_kind=self.grace_kind,
        )


@st.composite
def inputs(draw: st.DrawFn) -> Inputs:
    months = draw(st.integers(min_value=1, max_value=72))
    grace = draw(st.integers(min_value=0, max_value=min(6, months - 1)))
    kind = draw(st.sampled_from(GraceKind)) if grace else None
    return Inputs(draw(principals), draw(rates), months, draw(st.sampled_from(Method)), draw(starts), grace, kind)


@given(inputs())
@QUICK
def test_the_rows_repay_the_principal_plus_what_was_capitalised_and_end_at_zero(case: Inputs) -> None:
    plan = case.build()
    assert len(plan.rows) == case.months
    assert sum(row.principal for row in plan.rows) == plan.principal + plan.total_capitalised
    assert plan.rows[-1].balance == 0
    assert plan.total_payment == plan.principal + plan.total_interest


@given(inputs())
@QUICK
def test_no_amount_is_ever_negative_or_below_the_fen(case: Inputs) -> None:
    for row in case.build().rows:
        for amount in (row.payment, row.interest, row.principal, row.balance, row.capitalised):
            assert amount >= 0
            assert amount.as_tuple().exponent == -2


@given(inputs())
@QUICK
def test_every_payment_is_its_interest_plus_its_principal(case: Inputs) -> None:
    for row in case.build().rows:
        assert row.payment == row.interest + row.principal


@given(inputs())
@QUICK
def test_each_balance_follows_from_the_one_before(case: Inputs) -> None:
    """balance_k = balance_(k−1) − principal_k + capitalised_k, and principal_k <= balance_(k−1)."""
    plan = case.build()
    before = plan.principal
    for row in plan.rows:
        assert row.principal <= before
        assert row.balance == before - row.principal + row.capitalised
        before = row.balance


@given(inputs())
@QUICK
def test_grace_rows_come_first_and_repay_no_principal(case: Inputs) -> None:
    plan = case.build()
    kinds = [row.kind for row in plan.rows]
    assert kinds == [RowKind.GRACE] * case.grace_months + [RowKind.REGULAR] * (case.months - case.grace_months)
    for row in plan.rows[: case.grace_months]:
        assert row.principal == 0
        if case.grace_kind is GraceKind.DEFERRAL:
            assert row.payment == 0
        else:
            assert row.capitalised == 0
    assert [row.period for row in plan.rows] == list(range(1, case.months + 1))
    dates = [row.due_date for row in plan.rows]
    assert dates == sorted(dates) and len(set(dates)) == len(dates) and dates[0] > case.start


@given(principals, positive_rates, st.integers(min_value=1, max_value=119), starts)
@QUICK
def test_a_longer_term_never_raises_the_installment_nor_lowers_the_total_interest(
    principal: Decimal, rate: Rate, months: int, start: date
) -> None:
    shorter = build_schedule(principal, rate, months, start=start)
    longer = build_schedule(principal, rate, months + 1, start=start)
    assert longer.installment <= shorter.installment
    assert longer.total_interest >= shorter.total_interest


@st.composite
def waivers(draw: st.DrawFn) -> tuple[Renegotiation, Decimal]:
    """A renegotiation of up to 60 months (the policy cap) and a further waiver of >= ¥1."""
    months = draw(st.integers(min_value=1, max_value=60))
    grace = draw(st.integers(min_value=0, max_value=min(3, months - 1)))
    outstanding = draw(st.integers(min_value=200, max_value=10**9))
    arrears = draw(st.integers(min_value=0, max_value=10**7))
    waived = draw(st.integers(min_value=0, max_value=outstanding + arrears - 200))
    more = draw(st.integers(min_value=100, max_value=outstanding + arrears - waived - 1))
    base = Renegotiation(
        outstanding_principal=from_fen(outstanding),
        arrears_capitalised=from_fen(arrears),
        waived=from_fen(waived),
        rate=draw(rates),
        months=months,
        method=draw(st.sampled_from(Method)),
        grace_months=grace,
        grace_kind=draw(st.sampled_from(GraceKind)) if grace else None,
        start=draw(starts),
    )
    return base, from_fen(more)


@given(waivers())
@QUICK
def test_waiving_more_never_raises_the_installment_or_the_total(case: tuple[Renegotiation, Decimal]) -> None:
    """A waiver of at least ¥1 more always lowers what the borrower pays.

    (At fen scale it need not: one fen less principal can round the installment down a fen, and
    the slightly slower repayment then costs a few fen more interest over a long term. So the
    total is checked for waivers of ¥1 or more, the installment for any waiver.)
    """
    base, more = case
    generous = replace(base, waived=base.waived + more)
    before, after = renegotiate(base), renegotiate(generous)
    assert after.installment <= before.installment
    assert after.total_payment <= before.total_payment
    assert after.total_interest <= before.total_interest + more


@given(
    principals.filter(lambda p: p >= 10000),
    positive_rates,
    st.integers(min_value=1, max_value=120),
    starts,
)
@QUICK
def test_the_annualized_rate_of_a_fee_free_plan_is_its_contract_rate(
    principal: Decimal, rate: Rate, months: int, start: date
) -> None:
    """IRR × 12 equals the contract rate up to the fen rounding of the payments (< 0.01 points)."""
    plan = build_schedule(principal, rate, months, start=start)
    assert abs(annualized_rate(plan).nominal_pct - rate.annual_pct) < D("0.01")


@given(inputs(), st.integers(min_value=1, max_value=10**6))
@QUICK
def test_an_upfront_fee_always_raises_the_annualized_rate(case: Inputs, fee_fen: int) -> None:
    fee = from_fen(fee_fen)
    assume(fee < case.principal)
    plain = case.build()
    assume(plain.total_payment > 0)
    charged = build_schedule(
        case.principal,
        case.rate,
        case.months,
        method=case.method,
        start=case.start,
        grace_months=case.grace_months,
        grace_kind=case.grace_kind,
        upfront_fee=fee,
    )
    assert charged.rows == plain.rows
    charged_irr, plain_irr = irr(charged.cash_flows()), irr(plain.cash_flows())
    assert charged_irr > plain_irr
    assert annualize(charged_irr).nominal_pct >= annualize(plain_irr).nominal_pct
