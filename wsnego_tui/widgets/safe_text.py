"""Make text from the outside world (the database, a borrower, an officer) safe to draw.

`safe_text` removes what a terminal would act on instead of showing: C0 controls (including
ESC, tab and newline), DEL, C1 controls, and the bidi formatting characters that can make a
string display in a different order than it is stored (U+202A-U+202E, U+2066-U+2069,
U+200E/U+200F, U+061C). The rule itself lives in `wsnego_tui.core.text` (input is cleaned
with the same rule before it is stored); this is the screens' name for it, applied again on
display. It does not escape markup: data must still be shown as `Content(text)`,
`Text(text)` or with `markup=False` (DESIGN.md section 5).

Pure: no textual, no rich; it never changes any other character.
"""

from __future__ import annotations

from wsnego_tui.core.text import UNSAFE_CODEPOINTS, strip_unsafe

__all__ = ["UNSAFE_CODEPOINTS", "safe_text"]


def safe_text(text: str) -> str:
    """`text` without control and bidi formatting characters; everything else kept as is."""
    return strip_unsafe(text)
