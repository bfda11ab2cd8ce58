"""The review engine: applies the bank's policy to one application and decides, or says who must.

`review(application, loan, policy, today)` returns a `Decision` whose outcome is one of
- OFFERS: plans the borrower may accept, built with the shared calculator;
- MATERIALS_REQUEST: the proofs that are missing, each with the reason it is needed;
- REJECTED: the rule that failed (`failed_rule`) and what would change it;
- NEEDS_OFFICER: the reasons an officer must decide, with the engine's offers attached as its
  recommendation.
Every decision lists every rule it evaluated (`rules_applied`), passed or not, in order.

How it decides (DESIGN §2; rule ids in brackets):
1. Eligibility, exactly as the checklist shows it (core/eligibility.py): a failed check rejects,
   e.g. a third negotiation [negotiations.within_limit], with "settlement is still open".
2. Plans need a known hardship category [hardship.category_known]; then the required proofs
   [proofs.required_present]; each missing kind is named in a materials request.
3. Plans (first and second negotiation): disposable = income − essential expenses − other debt
   [affordability.disposable_positive]; the largest affordable payment is disposable ×
   affordability_pct, rounded down to the fen, and an offer is affordable when every payment of
   its schedule is at most that. Terms are capped [term.cap] (a second plan also ends at most
   second_max_extension_months after the first plan's end [second.end_cap]). Overdue interest is
   capitalised into the new principal; penalty interest is waived up to the kind's share and the
   rest capitalised [waiver.penalty]; a second negotiation after a broken first plan needs a down
   payment [second.down_payment]. Offers: the shortest affordable term, the lowest installment
   (the longest term allowed), grace-then-amortise where allowed [grace.allowed] and the
   borrower's own wish when it fits [wish.achievable]; duplicates are dropped. Nothing affordable
   within the caps [affordability.plan_within_cap] goes to an officer with the lowest-installment
   plan as the recommendation.
4. Settlement: principal is never discounted; penalty and overdue interest are waived up to the
   policy's shares [settlement.quote]; the lump sum must cover the amount due
   [settlement.lump_sum_covers] by a date the offer can still be paid on
   [settlement.pay_date_in_window].
5. Who decides: first negotiations within the limits are decided automatically [auto.kind_allowed];
   every second negotiation goes to an officer; waivers above officer_waiver_limit go to an
   officer [auto.waiver_within_limit]. Offers that an officer may only issue with a second
   officer's approval carry the reasons (`second_approval_reasons`: approval.second_officer_waiver,
   approval.second_with_grace), and the engine never issues those itself [auto.single_approval].
   A second plan that cannot end before its cap date goes to an officer [second.end_cap].

Decisions the policy left open, taken here:
- A loan repaid on time is eligible for no kind (see core/eligibility.py).
- Disposable income of zero or less: a first negotiation is REJECTED (no plan can be affordable;
  updated figures or a settlement would change it); a second one still goes to an officer when
  the policy sends every second negotiation to one.
- Settlements waive the policy maxima, so a borrower who declares more funds is never offered
  less; a lump sum below the amount due is REJECTED naming the amount needed.
- Negotiated plans are equal installment (等额本息) at the contract rate, starting `today`;
  the default grace offer is interest-only for the policy's longest grace (or the grace asked for).
- Waivers are rounded down to the fen, as in `settlement_quote` (a waiver never exceeds its
  cap); a down payment rounds up.

Pure and deterministic: no textual, no SQL, no files, no clock (today is an argument); the same
input always gives an equal Decision. It must never use float.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_UP, Decimal, localcontext
from enum import StrEnum

from wsnego_tui.core.apr import AnnualizedRate, annualized_rate
from wsnego_tui.core.charges import SettlementQuote, settlement_quote
from wsnego_tui.core.dates import add_months
from wsnego_tui.core.eligibility import (
    KIND_NAMES,
    Check,
    FirstPlanFacts,
    LoanFacts,
    PlanStatus,
    eligibility,
)
from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.core.money import FEN, checked_amount, format_yuan, quantize_fen
from wsnego_tui.core.policy import Policy
from wsnego_tui.core.proofs import ProofKind
from wsnego_tui.core.schedule import (
    PRECISION,
    GraceKind,
    Method,
    Rate,
    Renegotiation,
    Schedule,
    pmt,
    renegotiate,
)

__all__ = [
    "ApplicationFacts",
    "Decision",
    "FirstPlanFacts",
    "LoanFacts",
    "MissingProof",
    "OfferLabel",
    "OfferProposal",
    "Outcome",
    "PlanLimits",
    "PlanStatus",
    "RuleEffect",
    "RuleResult",
    "build_plan_offer",
    "build_settlement_offer",
    "max_installment",
    "plan_limits",
    "review",
    "second_approval_reasons",
]

ZERO = Decimal("0.00")
K = ApplicationKind


class Outcome(StrEnum):
    OFFERS = "offers"
    MATERIALS_REQUEST = "materials_request"
    REJECTED = "rejected"
    NEEDS_OFFICER = "needs_officer"


class OfferLabel(StrEnum):
    SHORTEST_AFFORDABLE = "shortest_affordable"  # 最短可负担期限
    LOWEST_INSTALLMENT = "lowest_installment"  # 最低月供
    GRACE_THEN_AMORTISE = "grace_then_amortise"  # 宽限期后分期
    AS_REQUESTED = "as_requested"  # 按申请
    SETTLEMENT = "settlement"  # 一次性还款
    OFFICER = "officer"  # built by an officer in the offer builder


class RuleEffect(StrEnum):
    """What a rule does when it does not pass."""

    REJECT = "reject"
    MATERIALS = "materials"
    OFFICER = "officer"
    LIMIT = "limit"  # bounds or shapes the offers (caps, waivers, down payment)
    INFO = "info"  # recorded for the explanation; decides nothing


@dataclass(frozen=True)
class RuleResult:
    """One rule the engine evaluated: its stable id, whether it passed, and why."""

    rule: str
    passed: bool
    explain: str
    params: Mapping[str, object] = field(default_factory=dict, hash=False)
    effect: RuleEffect = RuleEffect.INFO
    remedy: str = ""
    """What would change the outcome when the rule did not pass ("" otherwise)."""

    @classmethod
    def from_check(cls, check: Check) -> RuleResult:
        return cls(check.rule, check.met, check.explain, dict(check.params), RuleEffect.REJECT, check.remedy)


@dataclass(frozen=True)
class MissingProof:
    kind: ProofKind
    rule: str
    reason: str




@dataclass(frozen=True, kw_only=True)
class ApplicationFacts:
    """What the borrower applied for, as the engine sees it; amounts in yuan to the fen, monthly.

    The wished plan is a monthly amount (`wished_installment`) or a term (`wished_months`,
    grace included), not both; grace months come with a grace kind. A settlement names the lump
    sum available and the date it is available by. `proofs` are the kinds attached.
    """

    kind: ApplicationKind
    hardship_category: str | None = None
    monthly_income: Decimal = ZERO
    essential_expenses: Decimal = ZERO
    other_debt: Decimal = ZERO
    wished_installment: Decimal | None = None
    wished_months: int | None = None
    grace_months: int = 0
    grace_kind: GraceKind | None = None
    lump_sum: Decimal | None = None
    lump_date: date | None = None
    proofs: frozenset[ProofKind] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ApplicationKind(self.kind))
        for name in ("monthly_income", "essential_expenses", "other_debt"):
            object.__setattr__(self, name, checked_amount(getattr(self, name), name))
        if self.wished_installment is not None:
            wished = checked_amount(self.wished_installment, "wished_installment")
            if wished <= 0:
                raise ValueError("wished_installment must be more than zero")
            object.__setattr__(self, "wished_installment", wished)
        if self.wished_installment is not None and self.wished_months is not None:
            raise ValueError("wish a monthly amount or a term, not both")
        grace = self.grace_months
        if isinstance(grace, bool) or not isinstance(grace, int) or grace < 0:
            raise ValueError(f"grace_months must be a whole number >= 0, not {grace!r}")
        if grace and self.grace_kind is None:
            raise ValueError("grace_kind is required when grace_months > 0")
        if not grace and self.grace_kind is not None:
            raise ValueError("grace_kind needs grace_months > 0")
        if self.grace_kind is not None:
            object.__setattr__(self, "grace_kind", GraceKind(self.grace_kind))
        if self.wished_months is not None:
            months = self.wished_months
            if isinstance(months, bool) or not isinstance(months, int) or months <= grace:
                raise ValueError(f"wished_months must be a whole number above grace_months, not {months!r}")
        if self.lump_sum is not None:
            object.__setattr__(self, "lump_sum", checked_amount(self.lump_sum, "lump_sum"))
        if self.kind == K.SETTLEMENT and (self.lump_sum is None or self.lump_date is None):
            raise ValueError("a settlement application names the lump sum and the date it is available")
        object.__setattr__(self, "proofs", frozenset(ProofKind(p) for p in self.proofs))

    @property
    def disposable(self) -> Decimal:
        """Income − essential expenses − other debt payments; may be zero or negative."""
        return self.monthly_income - self.essential_expenses - self.other_debt


@dataclass(frozen=True, kw_only=True)
class OfferProposal:
    """One plan the bank may propose, with everything the offer screen shows.

    For a plan: `renegotiation` and `schedule` are set; `principal` is the new plan's principal
    = outstanding principal + capitalised_arrears − down_payment, where capitalised_arrears is
    the overdue interest plus the penalty not waived. For a settlement: `settlement` is set, the
    one payment is `installment` = total_payment = the amount due, `months` is 1 and `end_date`
    is the last day to pay if accepted today.
    """

    kind: ApplicationKind
    label: OfferLabel
    renegotiation: Renegotiation | None
    settlement: SettlementQuote | None
    schedule: Schedule | None
    principal: Decimal
    installment: Decimal
    highest_payment: Decimal
    months: int
    grace_months: int
    grace_kind: GraceKind | None
    start_date: date
    end_date: date
    total_payment: Decimal
    total_interest: Decimal
    waived_penalty: Decimal
    waived_interest: Decimal
    down_payment: Decimal
    capitalised_arrears: Decimal
    annualized_rate: AnnualizedRate | None
    affordable: bool
    """Every payment is within the stated affordability (always true for a settlement)."""
    expires_on: date
    second_approval_reasons: tuple[RuleResult, ...] = ()
    """Why an officer issuing this offer needs a second officer's approval (empty: one suffices)."""

    @property
    def total_waived(self) -> Decimal:
        return self.waived_penalty + self.waived_interest

    @property
    def is_settlement(self) -> bool:
        return self.settlement is not None


@dataclass(frozen=True, kw_only=True)
class Decision:
    """The engine's answer to one application; see the module docstring."""

    kind: ApplicationKind
    outcome: Outcome
    decided_on: date
    rules_applied: tuple[RuleResult, ...]
    offers: tuple[OfferProposal, ...] = ()
    """OFFERS: the plans to issue; NEEDS_OFFICER: the engine's recommendation."""
    missing: tuple[MissingProof, ...] = ()
    answer_by: date | None = None
    """MATERIALS_REQUEST: the last day for the borrower to answer."""
    failed_rule: str | None = None
    what_would_change_it: str | None = None
    officer_reasons: tuple[RuleResult, ...] = ()
    disposable: Decimal | None = None
    max_installment: Decimal | None = None

    @property
    def recommendation(self) -> tuple[OfferProposal, ...]:
        return self.offers if self.outcome == Outcome.NEEDS_OFFICER else ()

    def rule(self, rule_id: str) -> RuleResult:
        """The result of `rule_id`; KeyError when the engine did not evaluate it."""
        for result in self.rules_applied:
            if result.rule == rule_id:
                return result
        raise KeyError(rule_id)

    @property
    def summary(self) -> str:
        """One English sentence for the audit log and the officer's queue."""
        if self.outcome == Outcome.OFFERS:
            return f"{len(self.offers)} offer(s) issued automatically."
        if self.outcome == Outcome.MATERIALS_REQUEST:
            kinds = ", ".join(m.kind.value for m in self.missing)
            return f"Materials requested ({kinds}), answer by {self.answer_by}."
        if self.outcome == Outcome.REJECTED:
            return f"Rejected by rule {self.failed_rule}: {self.what_would_change_it}"
        reasons = "; ".join(r.rule for r in self.officer_reasons)
        return f"An officer must decide ({reasons}); {len(self.offers)} offer(s) recommended."


# --- limits and offers ---------------------------------------------------------------------------


def max_installment(disposable: Decimal, policy: Policy) -> Decimal:
    """The largest affordable monthly payment: disposable × affordability_pct / 100, rounded down
    to the fen; zero when nothing is disposable."""
    if disposable <= 0:
        return ZERO
    with localcontext(prec=PRECISION):
        return (disposable * policy.affordability_pct / 100).quantize(FEN, rounding=ROUND_DOWN)


def _pct_of(amount: Decimal, pct: Decimal, rounding: str = ROUND_DOWN) -> Decimal:
    with localcontext(prec=PRECISION):
        return (amount * pct / 100).quantize(FEN, rounding=rounding)


@dataclass(frozen=True)
class PlanLimits:
    """What the policy allows a plan of one kind on one loan, from `start`; for the engine and
    the officer's offer builder alike."""

    kind: ApplicationKind
    start: date
    max_months: int
    """The longest term allowed (grace included); 0 when no plan fits (a second plan whose cap
    date has passed)."""
    end_cap: date | None
    """A second plan's latest end date (the first plan's end + the extension); None otherwise."""
    max_grace_months: int
    """0 when grace is not allowed (a second negotiation for a hardship outside the policy's list)."""
    penalty_waiver_pct: Decimal
    interest_waiver_pct: Decimal
    max_penalty_waiver: Decimal
    max_interest_waiver: Decimal
    min_down_payment: Decimal


def plan_limits(
    kind: ApplicationKind, loan: LoanFacts, policy: Policy, start: date, hardship_category: str | None = None
) -> PlanLimits:
    """The policy's limits for an offer of `kind` on `loan` starting on `start`."""
    kind = ApplicationKind(kind)
    if kind == K.SETTLEMENT:
        penalty_pct, interest_pct = policy.settlement_penalty_waiver_pct, policy.settlement_interest_waiver_pct
        return PlanLimits(
            kind, start, 0, None, 0, penalty_pct, interest_pct,
            _pct_of(loan.overdue_penalty, penalty_pct), _pct_of(loan.overdue_interest, interest_pct), ZERO,
        )
    max_months = policy.max_term_months
    end_cap = None
    grace = policy.max_grace_months
    down = ZERO
    if kind == K.FIRST:
        penalty_pct = policy.first_penalty_waiver_pct
    else:
        penalty_pct = policy.second_penalty_waiver_pct
        if loan.first_plan is None:
            raise ValueError("a second negotiation needs the loan's first plan")
        end_cap = add_months(loan.first_plan.end_date, policy.second_max_extension_months)
        max_months = 0
        for n in range(1, policy.max_term_months + 1):
            if add_months(start, n) > end_cap:
                break
            max_months = n
        if hardship_category not in policy.second_grace_hardships:
            grace = 0
        if loan.first_plan.status == PlanStatus.BROKEN:
            down = _pct_of(loan.outstanding_principal, policy.second_broken_down_payment_pct, ROUND_UP)
    return PlanLimits(
        kind, start, max_months, end_cap, min(grace, max(max_months - 1, 0)), penalty_pct, Decimal(0),
        _pct_of(loan.overdue_penalty, penalty_pct), ZERO, down,
    )


def second_approval_reasons(
    kind: ApplicationKind, total_waived: Decimal, grace_months: int, policy: Policy
) -> tuple[RuleResult, ...]:
    """Why an officer's decision on such an offer needs a second officer (four eyes); empty if not."""
    reasons = []
    if total_waived > policy.second_officer_waiver_limit:
        reasons.append(
            RuleResult(
                "approval.second_officer_waiver", False,
                f"{format_yuan(total_waived)} waived is above the single-officer limit of "
                f"{format_yuan(policy.second_officer_waiver_limit)}.",
                {"waived": total_waived, "limit": policy.second_officer_waiver_limit}, RuleEffect.OFFICER,
                "A second officer approves it, or the waiver is reduced to the limit.",
            )
        )
    if kind == K.SECOND and grace_months > 0 and policy.second_grace_needs_second_officer:
        reasons.append(
            RuleResult(
                "approval.second_with_grace", False,
                "A second negotiation with grace months needs a second officer's approval.",
                {"grace_months": grace_months}, RuleEffect.OFFICER,
                "A second officer approves it, or the offer is made without grace.",
            )
        )
    return tuple(reasons)


def _highest_payment(schedule: Schedule) -> Decimal:
    return max(row.payment for row in schedule.rows)


def build_plan_offer(
    kind: ApplicationKind,
    loan: LoanFacts,
    limits: PlanLimits,
    policy: Policy,
    *,
    months: int,
    label: OfferLabel = OfferLabel.OFFICER,
    grace_months: int = 0,
    grace_kind: GraceKind | None = None,
    waived_penalty: Decimal | None = None,
    down_payment: Decimal | None = None,
    rate: Rate | None = None,
    affordable_up_to: Decimal | None = None,
) -> OfferProposal:
    """A negotiated plan offer within `limits` (the engine's, or one built by an officer).

    Overdue interest and the penalty not waived are capitalised; `waived_penalty` defaults to
    the most the limits allow, `down_payment` to the least, `rate` to the contract rate.
    `affordable_up_to` is the largest affordable payment (None: not judged, counted affordable).
    Raises ValueError naming the limit for a term, grace, waiver or down payment outside it.
    """
    kind = ApplicationKind(kind)
    if kind == K.SETTLEMENT:
        raise ValueError("a settlement is built with build_settlement_offer")
    if not 1 <= months <= limits.max_months:
        raise ValueError(f"months must be between 1 and {limits.max_months}, not {months}")
    if grace_months > limits.max_grace_months:
        raise ValueError(f"grace_months must be at most {limits.max_grace_months}, not {grace_months}")
    waived = limits.max_penalty_waiver if waived_penalty is None else checked_amount(waived_penalty, "waived_penalty")
    if waived > limits.max_penalty_waiver:
        raise ValueError(f"waived_penalty must be at most {limits.max_penalty_waiver}, not {waived}")
    down = limits.min_down_payment if down_payment is None else checked_amount(down_payment, "down_payment")
    if down < limits.min_down_payment:
        raise ValueError(f"down_payment must be at least {limits.min_down_payment}, not {down}")
    arrears = loan.overdue_interest + loan.overdue_penalty
    renegotiation = Renegotiation(
        outstanding_principal=loan.outstanding_principal,
        arrears_capitalised=arrears,
        waived=waived,
        down_payment=down,
        rate=rate or loan.rate,
        months=months,
        method=Method.EQUAL_INSTALLMENT,
        grace_months=grace_months,
        grace_kind=grace_kind,
        start=limits.start,
    )
    schedule = renegotiate(renegotiation)
    return _plan_offer(kind, label, loan, renegotiation, schedule, policy, affordable_up_to)


def _plan_offer(
    kind: ApplicationKind,
    label: OfferLabel,
    loan: LoanFacts,
    renegotiation: Renegotiation,
    schedule: Schedule,
    policy: Policy,
    affordable_up_to: Decimal | None,
) -> OfferProposal:
    highest = _highest_payment(schedule)
    waived = quantize_fen(renegotiation.waived)
    return OfferProposal(
        kind=kind,
        label=label,
        renegotiation=renegotiation,
        settlement=None,
        schedule=schedule,
        principal=schedule.principal,
        installment=schedule.installment,
        highest_payment=highest,
        months=schedule.months,
        grace_months=schedule.grace_months,
        grace_kind=schedule.grace_kind,
        start_date=schedule.start,
        end_date=schedule.end_date,
        total_payment=schedule.total_payment,
        total_interest=schedule.total_interest,
        waived_penalty=waived,
        waived_interest=ZERO,
        down_payment=quantize_fen(renegotiation.down_payment),
        capitalised_arrears=loan.overdue_interest + loan.overdue_penalty - waived,
        annualized_rate=annualized_rate(schedule),
        affordable=affordable_up_to is None or highest <= affordable_up_to,
        expires_on=schedule.start + timedelta(days=policy.offer_valid_days),
        second_approval_reasons=second_approval_reasons(kind, waived, schedule.grace_months, policy),
    )


def build_settlement_offer(
    loan: LoanFacts,
    policy: Policy,
    today: date,
    *,
    penalty_waiver_pct: Decimal | None = None,
    interest_waiver_pct: Decimal | None = None,
    label: OfferLabel = OfferLabel.SETTLEMENT,
) -> OfferProposal:
    """A settlement offer: the whole outstanding principal plus the overdue interest and penalty
    not waived (waivers default to the policy maxima and may not exceed them)."""
    quote = settlement_quote(
        loan.outstanding_principal,
        loan.overdue_interest,
        loan.overdue_penalty,
        policy=policy,
        accepted_on=today,
        interest_waiver_pct=interest_waiver_pct,
        penalty_waiver_pct=penalty_waiver_pct,
    )
    return OfferProposal(
        kind=K.SETTLEMENT,
        label=label,
        renegotiation=None,
        settlement=quote,
        schedule=None,
        principal=quote.outstanding_principal,
        installment=quote.amount_due,
        highest_payment=quote.amount_due,
        months=1,
        grace_months=0,
        grace_kind=None,
        start_date=today,
        end_date=quote.pay_by,
        total_payment=quote.amount_due,
        total_interest=quote.interest_due - quote.interest_waiver,
        waived_penalty=quote.penalty_waiver,
        waived_interest=quote.interest_waiver,
        down_payment=ZERO,
        capitalised_arrears=ZERO,
        annualized_rate=None,
        affordable=True,
        expires_on=today + timedelta(days=policy.offer_valid_days),
        second_approval_reasons=second_approval_reasons(K.SETTLEMENT, quote.total_waived, 0, policy),
    )


# --- the engine ------------------------------------------------------------------------------------


def review(application: ApplicationFacts, loan: LoanFacts, policy: Policy, today: date) -> Decision:
    """The decision on `application` for `loan` under `policy`, as of `today` (see the module doc)."""
    if not isinstance(application, ApplicationFacts) or not isinstance(loan, LoanFacts):
        raise TypeError("review needs ApplicationFacts and LoanFacts")
    if not isinstance(today, date):
        raise TypeError(f"today must be a date, not {type(today).__name__}")
    kind = application.kind
    rules: list[RuleResult] = []

    verdict = eligibility(loan, policy)[kind]
    rules.extend(RuleResult.from_check(check) for check in verdict.checks)
    if not verdict.open:
        return _rejected(kind, today, rules, rules[[c.met for c in verdict.checks].index(False)])

    if kind != K.SETTLEMENT:
        hardship = _hardship_rule(application, policy)
        rules.append(hardship)
        if not hardship.passed:
            return _rejected(kind, today, rules, hardship)

    missing = tuple(
        MissingProof(proof, "proofs.required_present", f"{proof.value} proof is required for {KIND_NAMES[kind]}")
        for proof in verdict.required_proofs
        if proof not in application.proofs
    )
    rules.append(
        RuleResult(
            "proofs.required_present",
            not missing,
            "Every required proof is attached." if not missing
            else "Missing proof: " + ", ".join(m.kind.value for m in missing) + ".",
            {"required": tuple(p.value for p in verdict.required_proofs), "missing": tuple(m.kind.value for m in missing)},
            RuleEffect.MATERIALS,
            "" if not missing else "Attach the missing proof within "
            f"{policy.materials_answer_days} days.",
        )
    )
    if missing:
        return Decision(
            kind=kind,
            outcome=Outcome.MATERIALS_REQUEST,
            decided_on=today,
            rules_applied=tuple(rules),
            missing=missing,
            answer_by=today + timedelta(days=policy.materials_answer_days),
        )
    if kind == K.SETTLEMENT:
        return _review_settlement(application, loan, policy, today, rules)
    return _review_plan(application, loan, policy, today, rules)


def _rejected(kind: ApplicationKind, today: date, rules: list[RuleResult], failed: RuleResult, **extra: object) -> Decision:
    return Decision(
        kind=kind,
        outcome=Outcome.REJECTED,
        decided_on=today,
        rules_applied=tuple(rules),
        failed_rule=failed.rule,
        what_would_change_it=failed.remedy,
        **extra,  # type: ignore[arg-type]
    )


def _hardship_rule(application: ApplicationFacts, policy: Policy) -> RuleResult:
    category = application.hardship_category
    params = {"category": category, "categories": policy.hardship_categories}
    if category in policy.hardship_categories:
        return RuleResult("hardship.category_known", True, f"Hardship: {category}.", params, RuleEffect.REJECT)
    said = "No hardship category was given." if category is None else f"{category!r} is not a hardship category."
    return RuleResult(
        "hardship.category_known", False, said, params, RuleEffect.REJECT,
        "Apply again choosing one of: " + ", ".join(policy.hardship_categories) + ".",
    )


def _auto_kind_rule(kind: ApplicationKind, policy: Policy) -> RuleResult:
    if kind == K.FIRST:
        allowed = policy.auto_decide_first
        explain = (
            "A first negotiation within the policy limits is decided automatically."
            if allowed else "The policy sends every first negotiation to an officer."
        )
    elif kind == K.SECOND:
        allowed = not policy.second_always_officer_review
        explain = (
            "The policy lets the engine decide a second negotiation within the limits."
            if allowed else "Every second negotiation (二次协商) is decided by an officer."
        )
    else:
        allowed = True
        explain = "A settlement within the waiver limit is decided automatically."
    return RuleResult(
        "auto.kind_allowed", allowed, explain, {"kind": kind.value}, RuleEffect.OFFICER,
        "" if allowed else "An officer reviews the recommendation.",
    )


def _waiver_limit_rule(waived: Decimal, policy: Policy) -> RuleResult:
    within = waived <= policy.officer_waiver_limit
    params = {"waived": waived, "limit": policy.officer_waiver_limit}
    if within:
        explain = f"{format_yuan(waived)} waived is within the automatic limit of {format_yuan(policy.officer_waiver_limit)}."
        return RuleResult("auto.waiver_within_limit", True, explain, params, RuleEffect.OFFICER)
    return RuleResult(
        "auto.waiver_within_limit", False,
        f"{format_yuan(waived)} waived is above the automatic limit of {format_yuan(policy.officer_waiver_limit)}.",
        params, RuleEffect.OFFICER, "An officer reviews the waiver.",
    )


def _officer(
    kind: ApplicationKind, today: date, rules: list[RuleResult], reasons: Sequence[RuleResult],
    offers: Sequence[OfferProposal], disposable: Decimal | None = None, limit: Decimal | None = None,
) -> Decision:
    return Decision(
        kind=kind,
        outcome=Outcome.NEEDS_OFFICER,
        decided_on=today,
        rules_applied=tuple(rules),
        offers=tuple(offers),
        officer_reasons=tuple(reasons),
        disposable=disposable,
        max_installment=limit,
    )


def _shortest_affordable(
    kind: ApplicationKind, loan: LoanFacts, limits: PlanLimits, policy: Policy, label: OfferLabel,
    limit: Decimal, grace_months: int, grace_kind: GraceKind | None, principal: Decimal, judged_by: Decimal,
) -> OfferProposal | None:
    """The plan with the fewest months (grace included) whose every payment is <= `limit`."""
    for months in range(grace_months + 1, limits.max_months + 1):
        # The amortising balance is at least the principal, so this payment is a lower bound.
        if pmt(principal, loan.rate.period_rate, months - grace_months) > limit:
            continue
        offer = build_plan_offer(
            kind, loan, limits, policy, months=months, label=label, grace_months=grace_months,
            grace_kind=grace_kind, affordable_up_to=judged_by,
        )
        if offer.highest_payment <= limit:
            return offer
    return None


def _review_plan(
    application: ApplicationFacts, loan: LoanFacts, policy: Policy, today: date, rules: list[RuleResult]
) -> Decision:
    kind = application.kind
    disposable = application.disposable
    limit = max_installment(disposable, policy)
    rules.append(
        RuleResult(
            "affordability.disposable_positive",
            disposable > 0,
            f"Disposable income {format_yuan(disposable)} a month (income − essential expenses − other debt); "
            f"an installment is affordable up to {policy.affordability_pct} % of it: {format_yuan(limit)}.",
            {
                "income": application.monthly_income,
                "expenses": application.essential_expenses,
                "other_debt": application.other_debt,
                "disposable": disposable,
                "affordability_pct": policy.affordability_pct,
                "max_installment": limit,
            },
            RuleEffect.REJECT if kind == K.FIRST or not policy.second_always_officer_review else RuleEffect.OFFICER,
            "" if disposable > 0 else
            "Income above essential expenses and other debt payments (updated figures), "
            "or a one-time settlement with funds from elsewhere.",
        )
    )
    limits = plan_limits(kind, loan, policy, today, application.hardship_category)
    rules.append(
        RuleResult(
            "term.cap", True,
            f"A negotiated term is at most {policy.max_term_months} months from the new plan's start.",
            {"max_term_months": policy.max_term_months, "start": today}, RuleEffect.LIMIT,
        )
    )
    if kind == K.SECOND:
        plan = loan.first_plan
        assert plan is not None  # eligibility guarantees it
        rules.append(
            RuleResult(
                "second.end_cap", limits.max_months >= 1,
                f"A second plan ends by {limits.end_cap} ({policy.second_max_extension_months} months after "
                f"the first plan's end, {plan.end_date}): at most {limits.max_months} months from {today}.",
                {
                    "first_plan_end": plan.end_date, "extension_months": policy.second_max_extension_months,
                    "end_cap": limits.end_cap, "max_months": limits.max_months,
                },
                RuleEffect.LIMIT, "" if limits.max_months >= 1 else "An officer decides what is possible.",
            )
        )
    grace_rule = _grace_rule(kind, application, limits, policy)
    rules.append(grace_rule)
    rules.append(
        RuleResult(
            "waiver.penalty", True,
            f"Penalty interest waived: {limits.penalty_waiver_pct} % of {format_yuan(loan.overdue_penalty)} = "
            f"{format_yuan(limits.max_penalty_waiver)}; overdue interest {format_yuan(loan.overdue_interest)} "
            "and any penalty not waived are added to the new principal.",
            {
                "pct": limits.penalty_waiver_pct, "penalty": loan.overdue_penalty,
                "waived": limits.max_penalty_waiver, "overdue_interest": loan.overdue_interest,
            },
            RuleEffect.LIMIT,
        )
    )
    if kind == K.SECOND:
        broken = loan.first_plan is not None and loan.first_plan.status == PlanStatus.BROKEN
        rules.append(
            RuleResult(
                "second.down_payment", True,
                f"The first plan was broken: a down payment of {policy.second_broken_down_payment_pct} % of the "
                f"outstanding principal, {format_yuan(limits.min_down_payment)}." if broken
                else "No down payment: the first plan was not broken.",
                {"broken": broken, "pct": policy.second_broken_down_payment_pct, "amount": limits.min_down_payment},
                RuleEffect.LIMIT,
            )
        )

    auto_rule = _auto_kind_rule(kind, policy)
    if disposable <= 0 and (kind == K.FIRST or not policy.second_always_officer_review):
        failed = _find(rules, "affordability.disposable_positive")
        return _rejected(kind, today, rules, failed, disposable=disposable, max_installment=limit)
    if limits.max_months < 1:
        rules.append(auto_rule)
        reasons = [_find(rules, "second.end_cap")] + ([] if auto_rule.passed else [auto_rule])
        return _officer(kind, today, rules, reasons, (), disposable, limit)

    candidates: list[OfferProposal] = []
    principal = loan.outstanding_principal + loan.overdue_interest + loan.overdue_penalty \
        - limits.max_penalty_waiver - limits.min_down_payment
    if disposable > 0:
        shortest = _shortest_affordable(
            kind, loan, limits, policy, OfferLabel.SHORTEST_AFFORDABLE, limit, 0, None, principal, limit
        )
        if shortest is not None:
            candidates.append(shortest)
    lowest = build_plan_offer(
        kind, loan, limits, policy, months=limits.max_months, label=OfferLabel.LOWEST_INSTALLMENT,
        affordable_up_to=limit,
    )
    if lowest.affordable:
        candidates.append(lowest)
    if limits.max_grace_months > 0 and disposable > 0:
        grace = application.grace_months if 0 < application.grace_months <= limits.max_grace_months \
            else limits.max_grace_months
        grace_kind = application.grace_kind if application.grace_months else GraceKind.INTEREST_ONLY
        offer = _shortest_affordable(
            kind, loan, limits, policy, OfferLabel.GRACE_THEN_AMORTISE, limit, grace, grace_kind, principal, limit
        )
        if offer is not None:
            candidates.append(offer)
    wish_rule, wished = _wish(application, loan, limits, policy, limit, principal)
    rules.append(wish_rule)
    if wished is not None:
        candidates.append(wished)
    offers = _unique(candidates)

    rules.append(
        RuleResult(
            "affordability.plan_within_cap", bool(offers),
            f"The shortest affordable plan takes {offers[0].months} months." if offers
            else f"No plan within {limits.max_months} months is affordable: the lowest installment is "
            f"{format_yuan(lowest.highest_payment)}, above {format_yuan(limit)}.",
            {"max_months": limits.max_months, "max_installment": limit, "lowest_installment": lowest.highest_payment},
            RuleEffect.OFFICER,
            "" if offers else "An officer considers a lower rate or other terms.",
        )
    )
    rules.append(auto_rule)
    waiver_rule = _waiver_limit_rule(limits.max_penalty_waiver, policy)
    rules.append(waiver_rule)
    if not offers:
        reasons = [_find(rules, "affordability.plan_within_cap")]
        if disposable <= 0:
            reasons.insert(0, _find(rules, "affordability.disposable_positive"))
        reasons += [r for r in (auto_rule, waiver_rule) if not r.passed]
        return _officer(kind, today, rules, reasons, (lowest,), disposable, limit)
    four_eyes = [reason for offer in offers for reason in offer.second_approval_reasons]
    single_rule = RuleResult(
        "auto.single_approval", not four_eyes,
        "One approval suffices for these offers." if not four_eyes
        else "An offer needs a second officer's approval, which the engine cannot give.",
        {"reasons": tuple(sorted({r.rule for r in four_eyes}))}, RuleEffect.OFFICER,
        "" if not four_eyes else "Two officers decide.",
    )
    rules.append(single_rule)
    reasons = [r for r in (auto_rule, waiver_rule, single_rule) if not r.passed]
    if reasons:
        return _officer(kind, today, rules, reasons, offers, disposable, limit)
    return Decision(
        kind=kind, outcome=Outcome.OFFERS, decided_on=today, rules_applied=tuple(rules), offers=offers,
        disposable=disposable, max_installment=limit,
    )


def _find(rules: Sequence[RuleResult], rule_id: str) -> RuleResult:
    return next(rule for rule in rules if rule.rule == rule_id)


def _grace_rule(kind: ApplicationKind, application: ApplicationFacts, limits: PlanLimits, policy: Policy) -> RuleResult:
    params = {"max_grace_months": limits.max_grace_months, "hardship": application.hardship_category}
    if limits.max_grace_months > 0:
        return RuleResult(
            "grace.allowed", True,
            f"Grace of up to {limits.max_grace_months} months (interest-only or deferral) may come first.",
            params, RuleEffect.LIMIT,
        )
    if kind == K.SECOND and application.hardship_category not in policy.second_grace_hardships:
        explain = ("A second negotiation has grace only for these hardships: "
                   + ", ".join(policy.second_grace_hardships) + ".")
    else:
        explain = "The policy allows no grace months here."
    return RuleResult("grace.allowed", False, explain, params, RuleEffect.LIMIT, "")


def _wish(
    application: ApplicationFacts, loan: LoanFacts, limits: PlanLimits, policy: Policy, limit: Decimal,
    principal: Decimal,
) -> tuple[RuleResult, OfferProposal | None]:
    """The plan the borrower asked for, when it is within the policy and affordable."""
    kind = application.kind
    grace, grace_kind = application.grace_months, application.grace_kind
    params: dict[str, object] = {
        "wished_installment": application.wished_installment,
        "wished_months": application.wished_months,
        "grace_months": grace,
    }

    def result(passed: bool, explain: str) -> RuleResult:
        return RuleResult("wish.achievable", passed, explain, params, RuleEffect.INFO)

    if application.wished_installment is None and application.wished_months is None:
        return result(True, "No particular term or amount was asked for."), None
    if grace > limits.max_grace_months:
        return result(False, f"The grace asked for ({grace} months) is beyond the {limits.max_grace_months} allowed."), None
    if application.wished_months is not None:
        months = application.wished_months
        if months > limits.max_months:
            return result(False, f"The term asked for ({months} months) is beyond the {limits.max_months} allowed."), None
        offer = build_plan_offer(
            kind, loan, limits, policy, months=months, label=OfferLabel.AS_REQUESTED, grace_months=grace,
            grace_kind=grace_kind, affordable_up_to=limit,
        )
        if not offer.affordable:
            return result(False, f"The term asked for needs {format_yuan(offer.highest_payment)} a month, "
                                 f"above the affordable {format_yuan(limit)}."), None
        return result(True, f"The term asked for ({months} months) is possible."), offer
    wished = application.wished_installment
    assert wished is not None
    offer = _shortest_affordable(
        kind, loan, limits, policy, OfferLabel.AS_REQUESTED, min(wished, limit), grace, grace_kind, principal, limit
    )
    if offer is None:
        return result(False, f"No plan within {limits.max_months} months keeps every payment at or below "
                             f"{format_yuan(min(wished, limit))}."), None
    return result(True, f"A plan of {offer.months} months keeps to the amount asked for."), offer


def _unique(offers: Sequence[OfferProposal]) -> tuple[OfferProposal, ...]:
    seen = set()
    kept = []
    for offer in offers:
        key = (offer.months, offer.grace_months, offer.grace_kind)
        if key not in seen:
            seen.add(key)
            kept.append(offer)
    return tuple(kept)


def _review_settlement(
    application: ApplicationFacts, loan: LoanFacts, policy: Policy, today: date, rules: list[RuleResult]
) -> Decision:
    kind = K.SETTLEMENT
    offer = build_settlement_offer(loan, policy, today)
    quote = offer.settlement
    assert quote is not None and application.lump_sum is not None and application.lump_date is not None
    rules.append(
        RuleResult(
            "settlement.quote", True,
            f"Principal {format_yuan(quote.outstanding_principal)} is never discounted; penalty waived "
            f"{policy.settlement_penalty_waiver_pct} % ({format_yuan(quote.penalty_waiver)}), overdue interest "
            f"{policy.settlement_interest_waiver_pct} % ({format_yuan(quote.interest_waiver)}); "
            f"amount due {format_yuan(quote.amount_due)}.",
            {
                "principal": quote.outstanding_principal, "interest_due": quote.interest_due,
                "penalty_due": quote.penalty_due, "interest_waiver": quote.interest_waiver,
                "penalty_waiver": quote.penalty_waiver, "amount_due": quote.amount_due,
                "penalty_pct": policy.settlement_penalty_waiver_pct,
                "interest_pct": policy.settlement_interest_waiver_pct,
            },
            RuleEffect.LIMIT,
        )
    )
    covers = application.lump_sum >= quote.amount_due
    shortfall = max(quote.amount_due - application.lump_sum, ZERO)
    rules.append(
        RuleResult(
            "settlement.lump_sum_covers", covers,
            f"The lump sum {format_yuan(application.lump_sum)} covers the amount due {format_yuan(quote.amount_due)}."
            if covers else
            f"The lump sum {format_yuan(application.lump_sum)} is {format_yuan(shortfall)} short of the amount due "
            f"{format_yuan(quote.amount_due)}.",
            {"lump_sum": application.lump_sum, "amount_due": quote.amount_due, "shortfall": shortfall},
            RuleEffect.REJECT,
            "" if covers else f"A lump sum of at least {format_yuan(quote.amount_due)}.",
        )
    )
    latest = today + timedelta(days=policy.offer_valid_days + policy.settlement_pay_days)
    in_window = application.lump_date <= latest
    rules.append(
        RuleResult(
            "settlement.pay_date_in_window", in_window,
            f"The funds are available by {application.lump_date}, within the offer's window (by {latest})."
            if in_window else
            f"The funds are available only on {application.lump_date}, after the last possible pay day {latest}.",
            {"lump_date": application.lump_date, "latest": latest},
            RuleEffect.REJECT,
            "" if in_window else f"Apply again when the funds are available (by {latest} at the latest).",
        )
    )
    for rule_id in ("settlement.lump_sum_covers", "settlement.pay_date_in_window"):
        failed = _find(rules, rule_id)
        if not failed.passed:
            return _rejected(kind, today, rules, failed)
    auto_rule = _auto_kind_rule(kind, policy)
    waiver_rule = _waiver_limit_rule(quote.total_waived, policy)
    rules += [auto_rule, waiver_rule]
    reasons = [r for r in (auto_rule, waiver_rule) if not r.passed]
    if reasons:
        return _officer(kind, today, rules, reasons, (offer,))
    return Decision(kind=kind, outcome=Outcome.OFFERS, decided_on=today, rules_applied=tuple(rules), offers=(offer,))
