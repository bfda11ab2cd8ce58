"""Column types that keep money and rates exact in every database.

Money lives in the domain as Decimal yuan and in the database as integer fen (BIGINT): SQLite's
NUMERIC affinity goes through a C double and silently changes amounts, so no money column is
ever NUMERIC. A sub-fen amount or a float is refused on the way in, never rounded.

Pure persistence helpers: no textual, no rich.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.types import TypeDecorator

from wsnego_tui.core.money import from_fen, to_fen

RATE_SCALE = Decimal(10_000)  # percent stored in ten-thousandths: 4.9 % -> 49000, 0.05 % -> 500


class Fen(TypeDecorator[Decimal]):
    """A money amount: Decimal yuan in Python, integer fen in the database."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: object, dialect: object) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
            raise TypeError(f"money must be Decimal, not {type(value).__name__}")
        return to_fen(Decimal(value))

    def process_result_value(self, value: object, dialect: object) -> Decimal | None:
        if value is None:
            return None
        return from_fen(int(value))  # type: ignore[arg-type]


class Percent(TypeDecorator[Decimal]):
    """A rate in percent with up to four decimals (0.0001 %), stored as an integer."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: object, dialect: object) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
            raise TypeError(f"a rate must be Decimal, not {type(value).__name__}")
        scaled = Decimal(value) * RATE_SCALE
        if scaled != scaled.to_integral_value():
            raise ValueError(f"rate {value} has more than four decimals")
        return int(scaled)

    def process_result_value(self, value: object, dialect: object) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)) / RATE_SCALE  # type: ignore[arg-type]


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware instant, stored as naive UTC so SQLite and PostgreSQL agree."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: object, dialect: object) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise ValueError("instants must be timezone-aware datetimes")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: object, dialect: object) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.timezone.utc)
