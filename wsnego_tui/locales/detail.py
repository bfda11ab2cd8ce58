"""UI strings of this part of the journey (see wsnego_tui.locales). Pure: no textual, no rich."""

ZH: dict[str, str] = {}
EN: dict[str, str] = {}
