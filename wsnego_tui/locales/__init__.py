"""More UI strings, one module per part of the journey, merged into `wsnego_tui.i18n.MESSAGES`.

Each module defines `ZH` and `EN`, two dicts with the same keys. Keys are prefixed with the
screen they belong to; a key defined twice is an error at import. Pure: no textual, no rich.
"""

from __future__ import annotations

CATALOGS = ("detail", "application", "review", "kiosk", "officer")
"""The modules merged, in order: loan detail / negotiate / repay; the application form and
proofs; progress, offers, agreement, inbox and help; kiosk mode's idle lock and apology."""
