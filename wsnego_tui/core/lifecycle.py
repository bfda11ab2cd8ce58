"""The life of a negotiation application: its kinds, its states and the moves between them.

Every status change in the app goes through `check_transition`, so an application can never
jump (say) from withdrawn back to under review. Pure: no UI, no SQL.
"""

from __future__ import annotations

from enum import StrEnum


class ApplicationKind(StrEnum):
    FIRST = "first"  # 协商还款
    SECOND = "second"  # 二次协商还款
    SETTLEMENT = "settlement"  # 协商一次性还款


class ApplicationStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    MATERIALS_REQUESTED = "materials_requested"
    OFFER_ISSUED = "offer_issued"
    ACCEPTED = "accepted"
    PLAN_ACTIVE = "plan_active"
    COMPLETED = "completed"
    BROKEN = "broken"
    REJECTED = "rejected"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


S = ApplicationStatus

TRANSITIONS: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    S.DRAFT: frozenset({S.SUBMITTED, S.WITHDRAWN}),
    S.SUBMITTED: frozenset({S.UNDER_REVIEW, S.WITHDRAWN, S.EXPIRED}),
    S.UNDER_REVIEW: frozenset(
        {S.MATERIALS_REQUESTED, S.OFFER_ISSUED, S.REJECTED, S.WITHDRAWN, S.EXPIRED}
    ),
    S.MATERIALS_REQUESTED: frozenset({S.UNDER_REVIEW, S.WITHDRAWN, S.EXPIRED}),
    # back under review when the loan changes under its offers (a payment, a broken plan)
    S.OFFER_ISSUED: frozenset({S.ACCEPTED, S.UNDER_REVIEW, S.REJECTED, S.WITHDRAWN, S.EXPIRED}),
    S.ACCEPTED: frozenset({S.PLAN_ACTIVE, S.COMPLETED, S.EXPIRED}),
    S.PLAN_ACTIVE: frozenset({S.COMPLETED, S.BROKEN}),
    S.COMPLETED: frozenset(),
    S.BROKEN: frozenset(),
    S.REJECTED: frozenset(),
    S.EXPIRED: frozenset(),
    S.WITHDRAWN: frozenset(),
}

OPEN_STATUSES = frozenset(
    {S.SUBMITTED, S.UNDER_REVIEW, S.MATERIALS_REQUESTED, S.OFFER_ISSUED, S.ACCEPTED}
)
"""An application in one of these is still under way: the loan may not start another."""


class TransitionError(ValueError):
    def __init__(self, current: ApplicationStatus, wanted: ApplicationStatus) -> None:
        super().__init__(f"an application that is {current} cannot become {wanted}")
        self.current = current
        self.wanted = wanted


def check_transition(current: ApplicationStatus, wanted: ApplicationStatus) -> None:
    if wanted not in TRANSITIONS[current]:
        raise TransitionError(current, wanted)
