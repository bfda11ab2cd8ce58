"""Corrections to the pinned Textual, applied when the app module is imported
(`apply_textual_fixes`).

**Removed widgets' style caches stay alive.** Every widget keeps the lines it last rendered in
its StylesCache. Textual's `StylesCache.get_inner_outer` (textual/_styles_cache.py) is an
instance method cached with `functools.lru_cache(1024)`, so each cache key holds the StylesCache
itself: the style caches of up to 1,024 widgets, long after their screens were closed, stay in
memory with every line they last rendered and the pieces cut from those lines
(Textualize/textual#6665). After one borrower's journey that was about 190 removed widgets and
4,400 lines, some 5 MB, and it grew in a long session. `fix_style_cache_retention` puts in its
place a cache keyed by the two colours alone. The result is computed by Textual's own function
(which does not use the instance), so the styles are the same as before.

**Every line builds seven empty caches.** A `Strip` (one rendered line) remembers what it was
cut, padded, styled, filtered or shifted into, each in its own `FIFOCache`, and Textual's
`Strip.__init__` creates all seven for every strip, although most strips are never cut at all:
about 900 bytes of empty caches per line, some 4 MB across the 4,600 lines alive when the journey
has seven screens open, and 32,000 objects more for the garbage collector to walk.
`fix_strip_caches` creates each cache the first time its method is called, with the size
Textual gives it, and the methods themselves are Textual's, so every strip returns what it
returned before and caches it as before. (Textual's `Content` creates its own cache this way.)

Each fix is idempotent, and does nothing (returning False) if a later Textual no longer has
the code it corrects.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any

from textual._styles_cache import StylesCache
from textual.cache import FIFOCache
from textual.strip import Strip

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


STRIP_CACHES = {
    # method: (the slot holding its cache, the cache's size), as Textual's Strip.__init__ sets them
    "adjust_cell_length": ("_line_length_cache", 4),
    "apply_filter": ("_filter_cache", 4),
    "crop_extend": ("_crop_extend_cache", 4),
    "crop": ("_crop_cache", 16),
    "divide": ("_divide_cache", 4),
    "apply_style": ("_style_cache", 16),
    "apply_offsets": ("_offsets_cache", 4),
}
_STRIP_SLOTS = {
    "_segments", "_cell_length", "_render_cache", "_link_ids", "_cell_count",
    *(slot for slot, _ in STRIP_CACHES.values()),
}


def _strip_init(self: Strip, segments: Any, cell_length: int | None = None) -> None:
    """Textual's Strip.__init__ without the caches, which start as None."""
    self._segments = list(segments)
    self._cell_length = cell_length
    self._divide_cache = self._crop_cache = self._style_cache = self._filter_cache = None  # type: ignore[assignment]
    self._line_length_cache = self._crop_extend_cache = self._offsets_cache = None  # type: ignore[assignment]
    self._render_cache = None
    self._link_ids = None
    self._cell_count = None


def _with_cache_on_demand(method: Callable[..., Any], slot: Any, size: int) -> Callable[..., Any]:
    read, write = slot.__get__, slot.__set__

    @wraps(method)
    def cached_on_demand(self: Strip, *args: Any, **kwargs: Any) -> Any:
        if read(self) is None:
            write(self, FIFOCache(size))
        return method(self, *args, **kwargs)

    cached_on_demand._wsnego_fixed = True  # type: ignore[attr-defined]
    return cached_on_demand


def _creates_the_expected_caches() -> bool:
    """Whether this Textual's Strip is the one the fix was written for: the same slots, and
    __init__ filling each cache slot with an empty FIFOCache of the expected size."""
    if set(getattr(Strip, "__slots__", ())) != _STRIP_SLOTS:
        return False
    if not all(callable(Strip.__dict__.get(name)) for name in STRIP_CACHES):
        return False
    try:
        probe = Strip([])
    except Exception:
        return False
    for slot, size in STRIP_CACHES.values():
        cache = getattr(probe, slot, None)
        if not isinstance(cache, FIFOCache) or len(cache) or getattr(cache, "_maxsize", None) != size:
            return False
    return True


def fix_strip_caches() -> bool:
    """Make every Strip create each of its caches when first used. True when the fix is in
    place (now or from an earlier call)."""
    if getattr(Strip.__dict__.get("crop"), "_wsnego_fixed", False):
        return True
    if not _creates_the_expected_caches():
        return False
    for name, (slot, size) in STRIP_CACHES.items():
        setattr(Strip, name, _with_cache_on_demand(Strip.__dict__[name], Strip.__dict__[slot], size))
    _strip_init.__wrapped__ = Strip.__init__  # type: ignore[attr-defined]
    Strip.__init__ = _strip_init  # type: ignore[method-assign]
    return True


def apply_textual_fixes() -> None:
    """Apply every correction above; the app module calls it when imported, before any widget
    renders."""
    fix_style_cache_retention()
    fix_strip_caches()
