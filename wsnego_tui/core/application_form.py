"""The negotiation application form (step 5): its fields and the rules each must meet.

One set of rules serves the form (an error next to the field as the borrower types) and the
services (which check again before anything is stored or submitted). `check_fields` judges the
values present, for saving a draft; `check_for_submission` also insists on what is required.
Errors are codes with parameters, phrased in each language by the UI.

Pure: no UI, no database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields, replace
from decimal import Decimal

from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.core.policy import Policy
from wsnego_tui.core.schedule import GraceKind

HARDSHIP_TEXT_MAX = 500
MAX_MONTHLY_AMOUNT = Decimal("9999999.99")
SETTLEMENT_DATE_WINDOW_DAYS = 30
"""How far ahead a borrower may name the day the lump sum will be available."""


@dataclass(frozen=True)
class FormFields:
    """What the borrower entered; None means not (validly) entered yet."""

    hardship_category: str | None = None
    hardship_text: str = ""
    monthly_income: Decimal | None = None
    essential_expenses: Decimal | None = None
    other_debt: Decimal | None = None
    wish_monthly: Decimal | None = None
    wish_months: int | None = None
    grace_months: int = 0
    grace_kind: str | None = None
    lump_sum: Decimal | None = None
    lump_date: dt.date | None = None

    @property
    def disposable(self) -> Decimal | None:
        """Monthly income − essential expenses − other debt payments, once all three are known."""
        if self.monthly_income is None or self.essential_expenses is None:
            return None
        return self.monthly_income - self.essential_expenses - (self.other_debt or Decimal(0))

    def merged(self, **changes: object) -> "FormFields":
        return replace(self, **changes)  # type: ignore[arg-type]


FIELD_NAMES = tuple(f.name for f in fields(FormFields))


@dataclass(frozen=True)
class FieldError:
    code: str
    params: tuple[tuple[str, object], ...] = ()

    def param(self, name: str) -> object:
        return dict(self.params)[name]


def _err(code: str, **params: object) -> FieldError:
    return FieldError(code, tuple(sorted(params.items())))


def check_fields(kind: ApplicationKind, f: FormFields, policy: Policy, today: dt.date) -> dict[str, FieldError]:
    """Errors in the values present (a draft may be incomplete, never wrong)."""
    errors: dict[str, FieldError] = {}
    if f.hardship_category is not None and f.hardship_category not in policy.hardship_categories:
        errors["hardship_category"] = _err("unknown_choice")
    if len(f.hardship_text) > HARDSHIP_TEXT_MAX:
        errors["hardship_text"] = _err("too_long", limit=HARDSHIP_TEXT_MAX)
    for name in ("monthly_income", "essential_expenses", "other_debt", "wish_monthly", "lump_sum"):
        value = getattr(f, name)
        if value is None:
            continue
        if value < 0:
            errors[name] = _err("negative")
        elif value != value.quantize(Decimal("0.01")):
            errors[name] = _err("too_many_decimals")
        elif value > MAX_MONTHLY_AMOUNT:
            errors[name] = _err("above_maximum", limit=MAX_MONTHLY_AMOUNT)
    if f.monthly_income is not None and f.monthly_income == 0 and "monthly_income" not in errors:
        errors["monthly_income"] = _err("zero")
    if kind == ApplicationKind.SETTLEMENT:
        if f.lump_sum is not None and f.lump_sum == 0 and "lump_sum" not in errors:
            errors["lump_sum"] = _err("zero")
        if f.lump_date is not None:
            latest = today + dt.timedelta(days=SETTLEMENT_DATE_WINDOW_DAYS)
            if f.lump_date < today:
                errors["lump_date"] = _err("in_the_past")
            elif f.lump_date > latest:
                errors["lump_date"] = _err("too_far_ahead", days=SETTLEMENT_DATE_WINDOW_DAYS)
        return errors
    if f.wish_monthly is not None and f.wish_monthly == 0 and "wish_monthly" not in errors:
        errors["wish_monthly"] = _err("zero")
    if f.wish_months is not None and not 1 <= f.wish_months <= policy.max_term_months:
        errors["wish_months"] = _err("out_of_range", low=1, high=policy.max_term_months)
    if not 0 <= f.grace_months <= policy.max_grace_months:
        errors["grace_months"] = _err("out_of_range", low=0, high=policy.max_grace_months)
    elif f.wish_months is not None and f.grace_months >= f.wish_months and "wish_months" not in errors:
        errors["grace_months"] = _err("grace_not_shorter_than_term")
    if f.grace_kind is not None and f.grace_kind not in {g.value for g in GraceKind}:
        errors["grace_kind"] = _err("unknown_choice")
    return errors


def check_for_submission(
    kind: ApplicationKind, f: FormFields, policy: Policy, today: dt.date
) -> dict[str, FieldError]:
    """Everything `check_fields` finds, plus every required field that is missing."""
    errors = check_fields(kind, f, policy, today)
    required = ["hardship_category", "monthly_income", "essential_expenses"]
    if kind == ApplicationKind.SETTLEMENT:
        required += ["lump_sum", "lump_date"]
    for name in required:
        if getattr(f, name) is None and name not in errors:
            errors[name] = _err("required")
    if not f.hardship_text.strip() and "hardship_text" not in errors:
        errors["hardship_text"] = _err("required")
    if kind != ApplicationKind.SETTLEMENT:
        if f.wish_monthly is None and f.wish_months is None and not {"wish_monthly", "wish_months"} & errors.keys():
            errors["wish_months"] = _err("amount_or_term_required")
        if f.grace_months and f.grace_kind is None and "grace_months" not in errors:
            errors["grace_kind"] = _err("required")
        if kind == ApplicationKind.SECOND and f.grace_months and f.hardship_category not in policy.second_grace_hardships:
            errors.setdefault("grace_months", _err("second_grace_needs_illness_or_job_loss"))
    return errors
