"""A correction to a defect of the pinned Textual, applied when the app module is imported.

Every widget keeps the lines it last rendered in its StylesCache. Textual's
`StylesCache.get_inner_outer` (textual/_styles_cache.py) is an instance method cached with
`functools.lru_cache(1024)`, so each cache key holds the StylesCache itself: the style caches of
up to 1,024 widgets, long after their screens were closed, stay in memory with every line they
last rendered and the pieces cut from those lines (Textualize/textual#6665). After one borrower's
journey that was about 190 removed widgets and 4,400 lines, some 5 MB, and it grew in a long
session.

`fix_style_cache_retention` puts in its place a cache keyed by the two colours alone. The
result is computed by Textual's own function (which does not use the instance), so the styles
are the same as before. Idempotent; does nothing if a later Textual no longer caches the method
this way.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from textual._styles_cache import StylesCache

_CACHE_SIZE = 1024  # as many colour pairs as Textual's own cache kept


def fix_style_cache_retention() -> bool:
    """Replace StylesCache.get_inner_outer with a cache that holds no StylesCache. True when
    the replacement is in place (now or from an earlier call)."""
    current = StylesCache.__dict__.get("get_inner_outer")
    if getattr(current, "_wsnego_fixed", False):
        return True
    compute = getattr(current, "__wrapped__", None)
    if compute is None or not hasattr(current, "cache_clear"):
        return False  # not the lru_cache'd method this corrects

    @lru_cache(_CACHE_SIZE)
    def inner_outer(base_background: Any, background: Any) -> Any:
        return compute(None, base_background, background)

    def get_inner_outer(self: StylesCache, base_background: Any, background: Any) -> Any:
        return inner_outer(base_background, background)

    get_inner_outer._wsnego_fixed = True  # type: ignore[attr-defined]
    get_inner_outer.__wrapped__ = compute  # type: ignore[attr-defined]
    StylesCache.get_inner_outer = get_inner_outer  # type: ignore[method-assign]
    current.cache_clear()  # let go of the style caches the old cache held
    return True
