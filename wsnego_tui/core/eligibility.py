"""Which kinds of negotiation a loan may use now, and why: the checklist shown before the form.

`eligibility(loan, policy)` answers, for each ApplicationKind (首次协商 FIRST, 二次协商 SECOND,
协商一次性还款 SETTLEMENT), whether it is open and the checks behind that answer. Each `Check`
carries a stable `rule` id and structured `params` from which the UI phrases it in Chinese or
English (translating by rule id), plus a plain English `explain` and, when the check fails,
a `remedy` saying what would change it. The review engine (core/review.py) re-evaluates the
same checks, so the checklist and the decision never disagree.

The rules (DESIGN §2, issue 3 step 4):
- every kind: the loan is not closed or settled (`loan.open`); no other application on this loan
  is under way (`application.none_open`).
- FIRST: the loan has never been negotiated (`first.no_earlier_negotiation`) and something is
  overdue (`first.loan_in_arrears`). A loan repaid on time is eligible for no kind: a negotiation
  changes a contract in arrears, and a current loan can always be repaid early in full.
- SECOND: a first plan exists on this loan and is active or broken (`second.after_first_plan`).
- FIRST and SECOND: fewer than `policy.max_negotiations` negotiations used
  (`negotiations.within_limit`); a third is refused with the reason, settlement stays open.
- SETTLEMENT: the loan is in arrears or has been negotiated
  (`settlement.loan_in_arrears_or_negotiated`).
- proofs each kind will need (`required_proofs`): FIRST hardship evidence, SECOND income AND
  expense proof, SETTLEMENT proof of funds (each switchable in the policy).

Pure: no textual, no SQL, no files, no clock; it must never use float.
"""

from __future__ import annotations

from collections.abc import Iterable

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.core.money import checked_amount, format_yuan
from wsnego_tui.core.policy import Policy
from wsnego_tui.core.proofs import ProofKind
from wsnego_tui.core.schedule import Method, Rate

ZERO = Decimal("0.00")

KIND_NAMES = {
    ApplicationKind.FIRST: "a first negotiation (协商还款)",
    ApplicationKind.SECOND: "a second negotiation (二次协商还款)",
    ApplicationKind.SETTLEMENT: "a one-time settlement (协商一次性还款)",
}


class PlanStatus(StrEnum):
    """Where the loan's first negotiated plan stands."""

    ACTIVE = "active"
    BROKEN = "broken"  # 违约: missed installments (policy: 2 in a row, or one 30 days late)
    COMPLETED = "completed"




def _count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0, not {value!r}")
    return value


@dataclass(frozen=True)
class FirstPlanFacts:
    """The loan's first negotiated plan: its status and its dates."""

    status: PlanStatus
    start_date: date
    end_date: date

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", PlanStatus(self.status))
        if self.end_date < self.start_date:
            raise ValueError(f"end_date {self.end_date} is before start_date {self.start_date}")


@dataclass(frozen=True, kw_only=True)
class LoanFacts:
    """What the policy needs to know about a loan, today; amounts in yuan to the fen.

    `outstanding_principal` includes the overdue principal. `negotiations_used` counts the
    negotiated plans this loan has had (0, 1, 2...), and `first_plan` describes the first of them
    (None exactly when there was none). `has_open_application` means another application on this
    loan is under way (not counting the one being reviewed). `closed` is true for a loan repaid
    (已还清) or settled (结清). `method` is the original contract's; negotiated plans are always
    equal installment (等额本息).
    """

    outstanding_principal: Decimal
    overdue_principal: Decimal = ZERO
    overdue_interest: Decimal = ZERO
    overdue_penalty: Decimal = ZERO
    rate: Rate
    method: Method = Method.EQUAL_INSTALLMENT
    days_past_due: int = 0
    negotiations_used: int = 0
    first_plan: FirstPlanFacts | None = None
    has_open_application: bool = False
    closed: bool = False

    def __post_init__(self) -> None:
        for name in ("outstanding_principal", "overdue_principal", "overdue_interest", "overdue_penalty"):
            object.__setattr__(self, name, checked_amount(getattr(self, name), name))
        if not isinstance(self.rate, Rate):
            raise TypeError(f"rate must be a Rate, not {type(self.rate).__name__}")
        object.__setattr__(self, "method", Method(self.method))
        _count(self.days_past_due, "days_past_due")
        _count(self.negotiations_used, "negotiations_used")
        if self.overdue_principal > self.outstanding_principal:
            raise ValueError("overdue_principal cannot exceed outstanding_principal")
        if not self.closed and self.outstanding_principal <= 0:
            raise ValueError("a loan that is not closed has outstanding principal")
        if (self.first_plan is None) != (self.negotiations_used == 0):
            raise ValueError("first_plan is given exactly when negotiations_used > 0")

    @property
    def overdue_total(self) -> Decimal:
        return self.overdue_principal + self.overdue_interest + self.overdue_penalty

    @property
    def in_arrears(self) -> bool:
        """Something is overdue: an amount, or days past due."""
        return self.overdue_total > 0 or self.days_past_due > 0


@dataclass(frozen=True)
class Check:
    """One line of the checklist. `rule` is stable; the UI phrases it from `params`."""

    rule: str
    met: bool
    explain: str
    params: Mapping[str, object] = field(default_factory=dict, hash=False)
    remedy: str = ""
    """What would change the answer, when `met` is false ("" when met)."""


@dataclass(frozen=True)
class Eligibility:
    """Whether one kind of application is open for the loan, and the checks behind it."""

    kind: ApplicationKind
    open: bool
    checks: tuple[Check, ...]
    required_proofs: tuple[ProofKind, ...]

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if not check.met)

    @property
    def reason(self) -> Check | None:
        """The first check that failed: the reason to show when the kind is not open."""
        failed = self.failed
        return failed[0] if failed else None


def required_proofs(kind: ApplicationKind, policy: Policy) -> tuple[ProofKind, ...]:
    """The proof kinds an application of `kind` cannot be decided without, in a stable order."""
    kind = ApplicationKind(kind)
    if kind == ApplicationKind.FIRST:
        wanted = [ProofKind.HARDSHIP] if policy.first_requires_hardship_proof else []
    elif kind == ApplicationKind.SECOND:
        wanted = [ProofKind.INCOME] if policy.second_requires_income_proof else []
        if policy.second_requires_expense_proof:
            wanted.append(ProofKind.EXPENSE)
    else:
        wanted = [ProofKind.FUNDS] if policy.settlement_requires_funds_proof else []
    return tuple(wanted)


def missing_proofs(
    kind: ApplicationKind, present: Iterable[ProofKind | str], policy: Policy
) -> tuple[ProofKind, ...]:
    """The required kinds not yet attached, in the same stable order."""
    have = {ProofKind(p) for p in present}
    return tuple(k for k in required_proofs(kind, policy) if k not in have)


# --- the checks --------------------------------------------------------------------------------


def _loan_open(loan: LoanFacts) -> Check:
    if loan.closed:
        return Check(
            "loan.open", False, "The loan is closed or settled: there is nothing left to negotiate.",
            {"closed": True}, "Nothing: a closed loan needs no negotiation.",
        )
    return Check("loan.open", True, "The loan is still being repaid.", {"closed": False})


def _none_open(loan: LoanFacts) -> Check:
    if loan.has_open_application:
        return Check(
            "application.none_open", False, "Another application on this loan is under way.",
            {"has_open_application": True},
            "Wait for the decision on the application under way, or withdraw it.",
        )
    return Check(
        "application.none_open", True, "No other application on this loan is under way.",
        {"has_open_application": False},
    )


def _within_limit(loan: LoanFacts, policy: Policy) -> Check:
    params = {"used": loan.negotiations_used, "max": policy.max_negotiations, "settlement_open": True}
    if loan.negotiations_used >= policy.max_negotiations:
        return Check(
            "negotiations.within_limit", False,
            f"This loan has used {loan.negotiations_used} of its {policy.max_negotiations} negotiations; "
            "another negotiation is not possible.",
            params, "A one-time settlement (协商一次性还款) is still open.",
        )
    return Check(
        "negotiations.within_limit", True,
        f"This loan has used {loan.negotiations_used} of its {policy.max_negotiations} negotiations.",
        params,
    )


def _no_earlier_negotiation(loan: LoanFacts, policy: Policy) -> Check:
    params = {"used": loan.negotiations_used}
    if loan.negotiations_used:
        remedy = (
            "A second negotiation (二次协商还款) is the next step."
            if loan.negotiations_used < policy.max_negotiations
            else "A one-time settlement (协商一次性还款) is still open."
        )
        return Check(
            "first.no_earlier_negotiation", False,
            "This loan has been negotiated before; a first negotiation happens only once.", params, remedy,
        )
    return Check("first.no_earlier_negotiation", True, "This loan has not been negotiated before.", params)


def _in_arrears(loan: LoanFacts) -> Check:
    params = {"overdue_total": loan.overdue_total, "days_past_due": loan.days_past_due}
    if not loan.in_arrears:
        return Check(
            "first.loan_in_arrears", False,
            "Nothing is overdue: a negotiation changes a loan in arrears, and this one is repaid on time.",
            params,
            "Nothing needs to change while repayments are on time; if an installment becomes overdue, "
            "a negotiation opens.",
        )
    return Check(
        "first.loan_in_arrears", True,
        f"{format_yuan(loan.overdue_total)} is overdue, {loan.days_past_due} days past due.", params,
    )


def _after_first_plan(loan: LoanFacts) -> Check:
    plan = loan.first_plan
    if plan is None:
        return Check(
            "second.after_first_plan", False,
            "A second negotiation follows a first negotiated plan, and this loan has none.",
            {"first_plan": None}, "Apply for a first negotiation (协商还款) instead.",
        )
    params = {"first_plan": plan.status.value, "first_plan_end": plan.end_date}
    if plan.status == PlanStatus.COMPLETED:
        return Check(
            "second.after_first_plan", False,
            "The first negotiated plan has been completed; there is nothing left to renegotiate.",
            params, "Nothing: the negotiated plan is repaid.",
        )
    return Check(
        "second.after_first_plan", True, f"The first negotiated plan is {plan.status.value}.", params,
    )


def _settlement_open(loan: LoanFacts) -> Check:
    negotiated = loan.first_plan is not None
    params = {"in_arrears": loan.in_arrears, "negotiated": negotiated}
    if not (loan.in_arrears or negotiated):
        return Check(
            "settlement.loan_in_arrears_or_negotiated", False,
            "Nothing is overdue and the loan was never negotiated: a negotiated settlement is for loans "
            "in arrears or on a negotiated plan.",
            params, "A loan repaid on time can be repaid early in full (提前还款) at any time.",
        )
    why = "is in arrears" if loan.in_arrears else "is on a negotiated plan"
    return Check("settlement.loan_in_arrears_or_negotiated", True, f"The loan {why}.", params)


def checks_for(kind: ApplicationKind, loan: LoanFacts, policy: Policy) -> tuple[Check, ...]:
    """Every check of `kind`, in the order they are shown (and the first failure is the reason)."""
    kind = ApplicationKind(kind)
    common = (_loan_open(loan), _none_open(loan))
    if kind == ApplicationKind.FIRST:
        return (*common, _within_limit(loan, policy), _no_earlier_negotiation(loan, policy), _in_arrears(loan))
    if kind == ApplicationKind.SECOND:
        return (*common, _within_limit(loan, policy), _after_first_plan(loan))
    return (*common, _settlement_open(loan))


def eligibility(loan: LoanFacts, policy: Policy) -> dict[ApplicationKind, Eligibility]:
    """For each kind, in the order FIRST, SECOND, SETTLEMENT: open or not, and why."""
    result = {}
    for kind in ApplicationKind:
        checks = checks_for(kind, loan, policy)
        result[kind] = Eligibility(
            kind=kind,
            open=all(check.met for check in checks),
            checks=checks,
            required_proofs=required_proofs(kind, policy),
        )
    return result
