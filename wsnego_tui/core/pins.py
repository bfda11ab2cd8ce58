"""PINs: six digits, stored only as a salted scrypt hash, compared in constant time.

Pure: no UI, no database. The hash string carries its own parameters, so they can be raised
later without breaking old hashes: `scrypt$N$r$p$salt$hash` (salt and hash in base64).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
PIN_LENGTH = 6


def is_well_formed_pin(pin: str) -> bool:
    return len(pin) == PIN_LENGTH and pin.isascii() and pin.isdigit()


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    if not is_well_formed_pin(pin):
        raise ValueError("a PIN is six digits")
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_pin(pin: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            pin.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


# Verified against when a customer number does not exist, so that a wrong number and a wrong PIN
# take the same time.
UNKNOWN_CUSTOMER_HASH = hash_pin("000000", salt=b"\x00" * 16)


class PinCheck:
    """A PIN checked ahead of the transaction that acts on the answer.

    scrypt takes tens of milliseconds on purpose; run inside a write transaction it held the
    database's write lock (SQLite) or the row's lock (PostgreSQL) all that time, so logins at
    several kiosks queued behind each other. So the PIN is checked against the hash a plain read
    found (`PinCheck(pin, hash)`), and the write transaction, which re-reads the row, asks
    `matches(hash_now)`: the same answer when the hash has not changed since, a fresh check
    against the new hash when it has (the PIN was changed, or the row appeared, meanwhile).
    Pass UNKNOWN_CUSTOMER_HASH for a row that does not exist, so every answer costs the same.

    A check says nothing by itself and counts no attempt: a form may make one as soon as the PIN
    is complete, before Enter, and hand it to the step (a log-in, the agreement), which answers
    and counts."""

    def __init__(self, pin: str, stored: str) -> None:
        self._pin = pin
        self._stored = stored
        self._ok = is_well_formed_pin(pin) and verify_pin(pin, stored)

    def is_for(self, pin: str) -> bool:
        """Whether this check was made for `pin` (compared in constant time)."""
        return hmac.compare_digest(self._pin.encode(), pin.encode())

    def matches(self, stored: str) -> bool:
        if stored != self._stored:  # both read from the database: nothing secret to time
            self._stored = stored
            self._ok = is_well_formed_pin(self._pin) and verify_pin(self._pin, stored)
        return self._ok
