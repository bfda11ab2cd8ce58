"""The demo data's own text (product, customer and officer names) lines up in a CJK terminal:
no character of ambiguous East Asian width, which such a terminal draws two cells wide while
Textual counts one (a product name with "·" shifted every column after it on My Loans)."""

from __future__ import annotations

import unicodedata

from wsnego_tui.store.demo import DEMO_CUSTOMERS, DEMO_OFFICERS, PRODUCTS


def test_no_demo_name_holds_a_character_of_ambiguous_width() -> None:
    names = [text for product in PRODUCTS for text in product[1:3]]
    names += [customer.name for customer in DEMO_CUSTOMERS]
    names += [officer[2] for officer in DEMO_OFFICERS]
    ambiguous = {(name, char) for name in names for char in name if unicodedata.east_asian_width(char) == "A"}
    assert ambiguous == set()
    assert "网商贷-随借随还" in names
