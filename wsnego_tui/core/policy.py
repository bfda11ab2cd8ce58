"""The bank's negotiation policy: every limit, percentage and deadline of DESIGN §2 in one object.

`DEFAULT_POLICY` holds the defaults; a bank (or a test) overrides fields with
`dataclasses.replace(DEFAULT_POLICY, max_term_months=36)` or `Policy(...)`. Percentages are in
percent (Decimal("70") means 70 %). Loading from a TOML policy file comes later and lives
elsewhere; a loader should parse with `tomllib.load(fh, parse_float=Decimal)` so that no value
ever passes through float.

Pure: no textual, no SQL, no files. It must never hold float values: the constructor refuses
them, and converts ints given for percentage fields to Decimal.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal

MIB = 1024 * 1024

_DECIMAL_FIELDS = (
    "second_broken_down_payment_pct",
    "affordability_pct",
    "penalty_multiplier",
    "first_penalty_waiver_pct",
    "second_penalty_waiver_pct",
    "settlement_penalty_waiver_pct",
    "settlement_interest_waiver_pct",
)
_PERCENT_FIELDS = tuple(name for name in _DECIMAL_FIELDS if name.endswith("_pct"))


@dataclass(frozen=True)
class Policy:
    """A bank's negotiation settings (DESIGN §2); the defaults are the bank's published rules."""

    # negotiations per loan: the first (协商) and the second (二次协商); settlement stays open
    max_negotiations: int = 2
    # longest negotiated term, from the new plan's start (the 5-year cap)
    max_term_months: int = 60
    # grace: up to 3 months, interest-only or full deferral (interest capitalised monthly)
    max_grace_months: int = 3
    # second negotiation: extension beyond the first plan's end, and the rules that come with it
    second_max_extension_months: int = 24
    second_requires_income_proof: bool = True
    second_requires_expense_proof: bool = True
    second_always_officer_review: bool = True
    second_grace_hardships: tuple[str, ...] = ("illness", "job_loss")
    second_broken_down_payment_pct: Decimal = Decimal("5")
    # affordability: an installment is affordable when <= this share of disposable income
    affordability_pct: Decimal = Decimal("70")
    # penalty interest (罚息): multiplier on the contract daily rate, and how much may be waived
    penalty_multiplier: Decimal = Decimal("1.5")
    first_penalty_waiver_pct: Decimal = Decimal("100")
    second_penalty_waiver_pct: Decimal = Decimal("50")
    # settlement (协商一次性还款): principal never discounted
    settlement_penalty_waiver_pct: Decimal = Decimal("100")
    settlement_interest_waiver_pct: Decimal = Decimal("50")
    settlement_pay_days: int = 7
    # deadlines, in calendar days
    bank_decision_days: int = 21
    materials_answer_days: int = 14
    offer_valid_days: int = 7
    # a negotiated plan is broken by this many consecutive missed installments, or one this late
    broken_consecutive_missed: int = 2
    broken_days_late: int = 30
    # proofs: accepted content types (checked by content, not name), size and count limits
    proof_types: tuple[str, ...] = ("application/pdf", "image/png", "image/jpeg")
    proof_max_bytes: int = 10 * MIB
    proof_max_files: int = 10
    # demo walkthroughs: how long the automatic review pretends to think
    review_delay_seconds: int = 0

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, float):
                raise TypeError(f"{spec.name} must not be a float; use Decimal or a string")
        for name in _DECIMAL_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
                raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
            value = Decimal(value)
            if not value.is_finite() or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, not {value}")
            object.__setattr__(self, name, value)
        for name in _PERCENT_FIELDS:
            if getattr(self, name) > 100:
                raise ValueError(f"{name} is a percentage and cannot exceed 100")
        if self.penalty_multiplier < 1:
            raise ValueError("penalty_multiplier must be at least 1")
        for spec in fields(self):
            value = getattr(self, spec.name)
            if spec.type in ("int", int):
                if isinstance(value, bool) or not isinstance(value, int):
                    raise TypeError(f"{spec.name} must be an int, not {type(value).__name__}")
                if value < 0:
                    raise ValueError(f"{spec.name} must be >= 0, not {value}")
        for name in ("max_term_months", "broken_consecutive_missed", "proof_max_files"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.max_grace_months >= self.max_term_months:
            raise ValueError("max_grace_months must be shorter than max_term_months")


DEFAULT_POLICY = Policy()
