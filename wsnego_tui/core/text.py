"""Text from outside (a borrower's typing, a file name, the database) made harmless.

`strip_unsafe` removes what a terminal would act on instead of showing: C0 controls (ESC, tab,
newline...), DEL, C1 controls, and the bidi formatting characters that make a string display in
another order than it is stored (U+202A-U+202E, U+2066-U+2069, U+200E/U+200F, U+061C). Input
is cleaned before it is stored and again before it is drawn. It does not escape markup: the UI
must still show data as plain text, never as markup (DESIGN §5).

Pure: no UI, no database; it never changes any other character.
"""

from __future__ import annotations

_BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
UNSAFE_CODEPOINTS: frozenset[int] = frozenset((*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), *_BIDI))
"""Every code point `strip_unsafe` removes."""

FULL_WIDTH_NUMBERS = str.maketrans("０１２３４５６７８９．，－／", "0123456789.,-/")
"""What a Chinese input method types for digits and number punctuation, made ASCII (amounts,
months and dates typed into forms count them as digits)."""

_DELETE = dict.fromkeys(UNSAFE_CODEPOINTS)
_DELETE_KEEP_NEWLINES = {cp: None for cp in UNSAFE_CODEPOINTS if cp != 0x0A}


def strip_unsafe(text: str, *, keep_newlines: bool = False) -> str:
    """`text` without control and bidi formatting characters (newlines kept if asked)."""
    if keep_newlines:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        return text.translate(_DELETE_KEEP_NEWLINES)
    return text.translate(_DELETE)
