"""The annualized rate (年化利率) of a plan, by internal rate of return on its actual cash flows.

The borrower receives the principal less any upfront fee and pays each row's payment a month
apart; the monthly IRR is the rate that discounts those flows to zero. It is reported two ways,
both labelled wherever shown: nominal = IRR × 12 (名义年化利率, what products quote) and
effective = (1 + IRR)^12 − 1 (实际年化利率, with monthly compounding).

Pure: no textual, no SQL, no I/O. It must never use float: the root is found by bisection in a
high-precision Decimal context (Newton steps
guarded by a bisection bracket).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from wsnego_tui.core.schedule import Schedule

PRECISION = 50
TOLERANCE = Decimal("1e-18")
"""The search stops when a step or the bracket is this small; the IRR is returned to 1e-15."""
IRR_QUANTUM = Decimal("1e-15")
PCT_QUANTUM = Decimal("0.0001")
DISPLAY_QUANTUM = Decimal("0.01")

_MAX_RATE = Decimal("1000000")  # a monthly rate beyond this is not a loan
_MIN_RATE = Decimal("-0.999999999999")


def _npv(flows: Sequence[Decimal], rate: Decimal) -> Decimal:
    """Σ flow_k / (1 + rate)^k, by Horner's rule in the discount factor."""
    return _npv_and_slope(flows, rate)[0]


def _npv_and_slope(flows: Sequence[Decimal], rate: Decimal) -> tuple[Decimal, Decimal]:
    """The NPV at `rate` and its derivative with respect to the rate.

    With d = 1 / (1 + rate), NPV = P(d) = Σ flow_k d^k and dNPV/drate = −d² P'(d); Horner's
    rule gives P and P' together.
    """
    discount = 1 / (1 + rate)
    value = Decimal(0)
    slope = Decimal(0)
    for flow in reversed(flows):
        slope = slope * discount + value
        value = value * discount + flow
    return value, -discount * discount * slope


def irr(cash_flows: Sequence[Decimal]) -> Decimal:
    """The monthly internal rate of return of `cash_flows` (one per month, flow 0 now), to ~1e-15.

    Flow 0 is normally negative (what the borrower receives, net of fees, seen from the
    borrower paying it back) and the rest payments. Raises ValueError when the flows do not
    change sign (no rate can discount them to zero). With more than one sign change the rate
    found is one root in (−1, 10^6).
    """
    flows = [Decimal(flow) for flow in cash_flows]
    for flow in flows:
        if not flow.is_finite():
            raise ValueError(f"cash flows must be finite, not {flow}")
    if not any(flow < 0 for flow in flows) or not any(flow > 0 for flow in flows):
        raise ValueError("cash flows need both a negative and a positive amount to have an IRR")
    with localcontext(prec=PRECISION, rounding=ROUND_HALF_UP):
        at_zero = _npv(flows, Decimal(0))
        if at_zero == 0:
            return Decimal(0)
        # Bracket a root: walk away from zero, upwards when the flows gain at rate 0.
        if (at_zero > 0) == (flows[0] < 0):
            low, high = Decimal(0), Decimal("0.01")
            while _sign(_npv(flows, high)) == _sign(at_zero):
                if high >= _MAX_RATE:
                    raise ValueError("no IRR below 10^6 per month for these cash flows")
                low, high = high, min(high * 4, _MAX_RATE)
        else:
            high, low = Decimal(0), Decimal("-0.01")
            while _sign(_npv(flows, low)) == _sign(at_zero):
                high, low = low, max((low - 1) / 2, _MIN_RATE)  # halve the distance to −1
                if low == _MIN_RATE and _sign(_npv(flows, low)) == _sign(at_zero):
                    raise ValueError("no IRR above −100 % per month for these cash flows")
        return _refine(flows, low, high).quantize(IRR_QUANTUM)


def _refine(flows: Sequence[Decimal], low: Decimal, high: Decimal) -> Decimal:
    """The root inside [low, high] (where the NPV changes sign): Newton steps, kept inside the
    bracket, falling back to bisection whenever a step would leave it."""
    low_sign = _sign(_npv(flows, low))
    guess = (low + high) / 2
    for _ in range(400):
        value, slope = _npv_and_slope(flows, guess)
        if value == 0:
            return guess
        if _sign(value) == low_sign:
            low = guess
        else:
            high = guess
        step_ok = slope != 0
        candidate = guess - value / slope if step_ok else guess
        if not step_ok or not low < candidate < high:
            candidate = (low + high) / 2
        if abs(candidate - guess) <= TOLERANCE or high - low <= TOLERANCE:
            return candidate
        guess = candidate
    return guess  # pragma: no cover - Newton and bisection converge long before


def _sign(value: Decimal) -> int:
    return (value > 0) - (value < 0)


@dataclass(frozen=True)
class AnnualizedRate:
    """A plan's annualized rate in percent, kept to 4 decimals; the *_str forms show 2."""

    nominal_pct: Decimal
    """Monthly IRR × 12 × 100 (名义年化利率)."""
    effective_pct: Decimal
    """((1 + monthly IRR)^12 − 1) × 100 (实际年化利率)."""

    @property
    def nominal_str(self) -> str:
        """The nominal rate to two decimals, without a % sign: "4.90"."""
        return str(self.nominal_pct.quantize(DISPLAY_QUANTUM, rounding=ROUND_HALF_UP))

    @property
    def effective_str(self) -> str:
        """The effective rate to two decimals, without a % sign: "5.01"."""
        return str(self.effective_pct.quantize(DISPLAY_QUANTUM, rounding=ROUND_HALF_UP))


def annualize(monthly_irr: Decimal) -> AnnualizedRate:
    """Both annual forms of a monthly rate, in percent to 4 decimals."""
    with localcontext(prec=PRECISION, rounding=ROUND_HALF_UP):
        nominal = monthly_irr * 1200
        effective = ((1 + monthly_irr) ** 12 - 1) * 100
        return AnnualizedRate(nominal.quantize(PCT_QUANTUM), effective.quantize(PCT_QUANTUM))


def annualized_rate(schedule: Schedule) -> AnnualizedRate:
    """The annualized rate of `schedule` on its actual cash flows, the upfront fee included."""
    return annualize(irr(schedule.cash_flows()))
