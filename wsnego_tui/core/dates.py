"""Calendar arithmetic for monthly repayment schedules: due dates on the same day each month.

A loan started on the 31st falls due on the last day of shorter months and goes back to the 31st
when the month allows (Jan 31 -> Feb 28/29 -> Mar 31 -> Apr 30): each due date is computed from
the start date, never from the previous due date, so a short month never drags later dates.

Pure: no textual, no SQL, and it must never read the system clock (callers pass dates in).
"""

from __future__ import annotations

import calendar
from datetime import date


def add_months(start: date, n: int) -> date:
    """`start` moved by `n` calendar months (n may be negative), day clamped to the month's end."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, not {type(n).__name__}")
    year, month_index = divmod(start.year * 12 + (start.month - 1) + n, 12)
    month = month_index + 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(start.day, last_day))


def due_dates(start: date, n: int) -> list[date]:
    """The `n` monthly due dates after `start`; the first is one month after it."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a whole number of months >= 0, not {n!r}")
    return [add_months(start, k) for k in range(1, n + 1)]
