"""The clock the whole app reads, injectable so that tests and demos run at a fixed time.

Pure: no UI, no database.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware (UTC)."""


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc)


class FixedClock:
    """A clock that stands still until moved; for tests and reproducible demos."""

    def __init__(self, at: dt.datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at

    def now(self) -> dt.datetime:
        return self._at

    def advance(self, delta: dt.timedelta) -> None:
        self._at += delta


def today(clock: Clock) -> dt.date:
    """The bank's business date: the calendar day in China Standard Time."""
    return clock.now().astimezone(CHINA_TZ).date()
