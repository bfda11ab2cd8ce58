"""Plain, immutable objects that the officer-side services hand to the officer console.

The bank side's counterpart of `core.views`: the queue, the case, the offer builder's preview and
the outcome of a decision. Borrower text (names, the hardship description, proof file names)
arrives here exactly as stored — already stripped of control and bidi characters at intake, but
otherwise untouched, Rich markup included: the console must show it as data (DESIGN §5).

Pure: no UI, no SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from wsnego_tui.core.lifecycle import OPEN_STATUSES, ApplicationKind, ApplicationStatus
from wsnego_tui.core.views import LoanSummary, LoginOutcome, OfferView, ProofView, TimelineEvent

if TYPE_CHECKING:
    from wsnego_tui.core.review import OfferProposal

QUEUE_STATUSES = tuple(s.value for s in ApplicationStatus if s in OPEN_STATUSES)
"""The statuses the queue can be filtered by: every status with a deadline running."""

WAITING_FOR_OFFICER = (ApplicationStatus.UNDER_REVIEW.value,)
"""The queue's default: applications the engine handed to an officer (a committed application
is under review only while it waits for one)."""

MAX_PAGE_SIZE = 200


class OfficerRole(StrEnum):
    OFFICER = "officer"  # 审核员
    SENIOR = "senior"  # 高级审核员: may give the second approval (four eyes)


class DecisionAction(StrEnum):
    ISSUE_OFFERS = "issue_offers"
    REQUEST_MATERIALS = "request_materials"
    REJECT = "reject"


class DecisionStatus(StrEnum):
    PENDING = "pending"  # awaiting a second officer's approval
    EFFECTIVE = "effective"  # taken effect (directly, or once approved)
    RETURNED = "returned"  # sent back by the second officer
    WITHDRAWN = "withdrawn"  # taken back by the officer who proposed it


@dataclass(frozen=True)
class OfficerView:
    id: int
    officer_no: str
    name: str
    role: OfficerRole

    @property
    def actor(self) -> str:
        """How the officer appears in the audit log and on timelines."""
        return f"officer:{self.officer_no}"


@dataclass(frozen=True)
class OfficerLoginResult:
    outcome: LoginOutcome
    officer: OfficerView | None = None
    locked_until: dt.datetime | None = None


# -- the queue --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows. Empty tuples mean "any"; `statuses` empty means the applications
    waiting for an officer (WAITING_FOR_OFFICER). Ages are whole days since submission."""

    kinds: tuple[ApplicationKind, ...] = ()
    statuses: tuple[ApplicationStatus, ...] = ()
    min_age_days: int | None = None
    max_age_days: int | None = None
    awaiting_second_approval: bool | None = None
    """True: only cases with a proposal waiting for a second officer; False: only those without."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kinds", tuple(ApplicationKind(k) for k in self.kinds))
        statuses = tuple(ApplicationStatus(s) for s in self.statuses)
        for status in statuses:
            if status.value not in QUEUE_STATUSES:
                raise ValueError(f"the queue holds open applications only, not {status.value!r}")
        object.__setattr__(self, "statuses", statuses)
        for name in ("min_age_days", "max_age_days"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ValueError(f"{name} must be a whole number of days >= 0, not {value!r}")

    @property
    def effective_statuses(self) -> tuple[str, ...]:
        return tuple(s.value for s in self.statuses) or WAITING_FOR_OFFICER


@dataclass(frozen=True)
class QueueRow:
    application_id: int
    customer_no_masked: str
    """`****1234`: the queue is seen over shoulders; the case view shows the full number."""
    customer_name: str
    loan_no: str
    kind: str
    status: str
    submitted_at: dt.datetime | None
    deadline_at: dt.datetime | None
    days_left: int | None
    """Whole business days (Beijing) from today to the deadline's day; negative when passed."""
    recommended_waiver: Decimal | None
    """The most the engine's recommended offers would waive (penalty + interest), if any."""
    awaiting_second_approval: bool
    proposed_by: str | None
    """The officer whose proposal waits for approval (officer number), when one does."""


@dataclass(frozen=True)
class QueuePage:
    rows: tuple[QueueRow, ...]
    total: int
    """How many applications match the filter (all pages)."""
    page: int
    page_size: int
    filter: QueueFilter

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


# -- the case ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FinancialsView:
    """The income & expenditure statement (收支情况) and what the policy makes of it."""

    monthly_income: Decimal | None
    essential_expenses: Decimal | None
    other_debt: Decimal | None
    disposable: Decimal | None
    affordability_pct: Decimal
    max_installment: Decimal | None
    """The largest affordable monthly payment by policy (None until the figures are known)."""


@dataclass(frozen=True)
class WishView:
    """What the borrower asked for."""

    monthly: Decimal | None
    months: int | None
    grace_months: int
    grace_kind: str | None
    lump_sum: Decimal | None
    lump_date: dt.date | None


@dataclass(frozen=True)
class RuleLine:
    """One rule the engine evaluated on the current facts (core.review.RuleResult, flattened)."""

    rule: str
    passed: bool
    effect: str
    explain: str
    remedy: str
    params: Mapping[str, object] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class BuilderLimits:
    """The bounds the offer builder works within, for this case today (core.review.PlanLimits)."""

    kind: str
    start: dt.date
    max_months: int
    max_grace_months: int
    max_penalty_waiver: Decimal
    max_interest_waiver: Decimal
    min_down_payment: Decimal
    contract_rate_pct: Decimal
    max_installment: Decimal | None
    single_officer_waiver_limit: Decimal
    """Total waivers above this need a second officer (policy second_officer_waiver_limit)."""


@dataclass(frozen=True)
class DecisionView:
    """An officer's decision on the case: taken, or proposed and waiting for a second officer."""

    id: int
    action: DecisionAction
    status: DecisionStatus
    made_by: str
    made_at: dt.datetime
    note: str
    params: Mapping[str, object] = field(hash=False)
    approval_reasons: tuple[str, ...]
    """Rule ids that made it need a second officer (empty for a direct decision)."""
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    review_note: str


@dataclass(frozen=True)
class CaseView:
    """Everything the officer's case view shows about one application."""

    application_id: int
    version: int
    """Pass it back with a decision: the decision is refused if the case changed meanwhile."""
    kind: str
    status: str
    customer_id: int
    customer_no: str
    customer_name: str
    loan_id: int
    loan_no: str
    loans: tuple[LoanSummary, ...]
    """All the borrower's loans, this one included."""
    submitted_at: dt.datetime | None
    deadline_at: dt.datetime | None
    days_left: int | None
    financials: FinancialsView
    hardship_category: str | None
    hardship_text: str
    wish: WishView
    proofs: tuple[ProofView, ...]
    recommendation: tuple[OfferView, ...]
    """The engine's recommended offers (stored when it handed the case over)."""
    officer_reasons: tuple[str, ...]
    """Why the engine handed the case to an officer (rule ids), from its last hand-over."""
    outcome_now: str
    """What the engine would decide on today's facts (core.review.Outcome)."""
    rules: tuple[RuleLine, ...]
    """Every rule the engine applies to today's facts, passed or not, in order."""
    limits: BuilderLimits | None
    """None for a case the builder cannot serve (e.g. a plan whose cap date has passed)."""
    timeline: tuple[TimelineEvent, ...]
    decisions: tuple[DecisionView, ...]
    offers: tuple[OfferView, ...]
    """Offers issued to the borrower on this application (any status but proposed)."""

    @property
    def pending(self) -> DecisionView | None:
        return next((d for d in self.decisions if d.status == DecisionStatus.PENDING), None)


# -- the offer builder ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfferSpec:
    """What the officer set in the offer builder. None means the policy's default: the most
    penalty waived, the least down payment, the contract rate. `months` is required for a plan
    and ignored for a settlement; a settlement's waivers are amounts of the overdue penalty and
    interest (up to the policy's shares)."""

    months: int | None = None
    grace_months: int = 0
    grace_kind: str | None = None
    waived_penalty: Decimal | None = None
    waived_interest: Decimal | None = None
    down_payment: Decimal | None = None
    rate_pct: Decimal | None = None
    """Annual rate in percent; at most the contract rate."""

    def as_params(self) -> dict[str, object]:
        """A JSON-ready record of the spec (amounts as strings)."""
        return {
            "months": self.months, "grace_months": self.grace_months, "grace_kind": self.grace_kind,
            "waived_penalty": _s(self.waived_penalty), "waived_interest": _s(self.waived_interest),
            "down_payment": _s(self.down_payment), "rate_pct": _s(self.rate_pct),
        }

    @classmethod
    def from_params(cls, params: Mapping[str, object]) -> OfferSpec:
        def dec(name: str) -> Decimal | None:
            value = params.get(name)
            return None if value is None else Decimal(str(value))

        months = params.get("months")
        return cls(
            months=None if months is None else int(months),  # type: ignore[call-overload]
            grace_months=int(params.get("grace_months") or 0),  # type: ignore[call-overload]
            grace_kind=params.get("grace_kind"),  # type: ignore[arg-type]
            waived_penalty=dec("waived_penalty"), waived_interest=dec("waived_interest"),
            down_payment=dec("down_payment"), rate_pct=dec("rate_pct"),
        )


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class OfferPreview:
    """The offer the builder's settings give, as the shared calculator builds it."""

    proposal: "OfferProposal"
    spec: OfferSpec
    """The settings with every default filled in: issuing this spec issues exactly this offer
    (on the same business day)."""
    affordable: bool
    max_installment: Decimal | None
    needs_second_officer: bool
    second_approval_reasons: tuple[RuleLine, ...]


@dataclass(frozen=True)
class DecisionResult:
    """What a decision did: took effect (the application moved on) or waits for a second officer."""

    decision_id: int
    action: DecisionAction
    status: DecisionStatus
    application_status: str
    application_version: int
    offer_ids: tuple[int, ...] = ()
    approval_reasons: tuple[str, ...] = ()


def mask_customer_no(customer_no: str) -> str:
    """All but the last four characters hidden: `80000001` -> `****0001`."""
    return "*" * max(len(customer_no) - 4, 0) + customer_no[-4:]


RGB = tuple[int, int, int]


@dataclass(frozen=True)
class ProofPreview:
    """What the console may show of a stored proof, computed without running anything.

    `kind` is "image" (then `cells` holds `rows` rows of `cols` (top, bottom) colour pairs, one
    terminal cell drawing two pixels stacked, `bottom` None under an odd last pixel row; `width`
    and `height` are the image's own size), "pdf" (its `pdf_version` and `pdf_pages` when they
    could be read; None otherwise) or "none" (`reason` says why: missing, too_large, corrupt,
    unsupported)."""

    kind: str
    reason: str = ""
    width: int = 0
    height: int = 0
    cells: tuple[tuple[tuple[RGB, RGB | None], ...], ...] = ()
    pdf_version: str | None = None
    pdf_pages: int | None = None

    @property
    def cols(self) -> int:
        return len(self.cells[0]) if self.cells else 0

    @property
    def rows(self) -> int:
        return len(self.cells)


@dataclass(frozen=True)
class ProofPreviewView:
    """One proof of a case with its preview (OfficerServices.proof_preview)."""

    application_id: int
    proof: ProofView
    preview: ProofPreview
