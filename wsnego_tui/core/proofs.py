"""Proof materials (证明材料): their kinds, and what a file really is. (Which kinds an
application needs is policy: `core.eligibility.required_proofs`.)

A file's type is decided by its first bytes, never by its name: `report.pdf` holding a shell
script is refused. Pure: no UI, no database, no file access (callers pass the bytes).
"""

from __future__ import annotations

from enum import StrEnum


class ProofKind(StrEnum):
    INCOME = "income"  # 收入证明
    EXPENSE = "expense"  # 支出证明
    HARDSHIP = "hardship"  # 困难证明
    FUNDS = "funds"  # 资金来源证明 (settlement)


SNIFF_BYTES = 8
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def sniff_media_type(head: bytes) -> str | None:
    """The media type that `head` (a file's first bytes) starts with, or None."""
    for signature, media_type in _SIGNATURES:
        if head.startswith(signature):
            return media_type
    return None
