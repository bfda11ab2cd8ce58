"""Proof materials (证明材料): which kinds each application needs, and what a file really is.

A file's type is decided by its first bytes, never by its name: `report.pdf` holding a shell
script is refused. Pure: no UI, no database, no file access (callers pass the bytes).
"""

from __future__ import annotations

from enum import StrEnum

from wsnego_tui.core.lifecycle import ApplicationKind


class ProofKind(StrEnum):
    INCOME = "income"  # 收入证明
    EXPENSE = "expense"  # 支出证明
    HARDSHIP = "hardship"  # 困难证明
    FUNDS = "funds"  # 资金来源证明 (settlement)


REQUIRED: dict[ApplicationKind, frozenset[ProofKind]] = {
    ApplicationKind.FIRST: frozenset({ProofKind.HARDSHIP}),
    ApplicationKind.SECOND: frozenset({ProofKind.INCOME, ProofKind.EXPENSE}),
    ApplicationKind.SETTLEMENT: frozenset({ProofKind.FUNDS}),
}
"""The kinds without which an application cannot be submitted (DESIGN §2; the first
negotiation asks for evidence of the hardship it claims)."""

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


def missing_kinds(kind: ApplicationKind, present: frozenset[ProofKind] | set[ProofKind]) -> list[ProofKind]:
    """The required kinds not yet attached, in a stable order."""
    return sorted(REQUIRED[kind] - set(present), key=list(ProofKind).index)
