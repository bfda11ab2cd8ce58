"""The correction to Textual's style cache (wsnego_tui/textual_fixes.py): a widget's style
cache, with the lines it rendered, is freed with the widget, and styles come out the same."""

from __future__ import annotations

import gc
import weakref

from textual._styles_cache import StylesCache
from textual.color import Color

import wsnego_tui.app  # noqa: F401  (applies the correction, as the app does on import)
from wsnego_tui.textual_fixes import fix_style_cache_retention

COLOURS = [
    (Color(0, 0, 0), Color(255, 255, 255)),
    (Color(18, 18, 18), Color(0, 120, 215, 0.5)),
    (Color(255, 255, 255), Color(0, 0, 0, 0)),
    (Color(30, 30, 30, 0.2), Color(200, 10, 10, 0.8)),
]


def test_a_style_cache_is_freed_once_its_widget_lets_go_of_it() -> None:
    refs = []
    for base, background in COLOURS:
        cache = StylesCache()
        cache.get_inner_outer(base, background)
        refs.append(weakref.ref(cache))
        del cache
    gc.collect()
    assert [ref for ref in refs if ref() is not None] == []


def test_the_styles_are_the_ones_textual_computes() -> None:
    compute = StylesCache.get_inner_outer.__wrapped__  # Textual's own function
    cache = StylesCache()
    for base, background in COLOURS:
        assert cache.get_inner_outer(base, background) == compute(None, base, background)
        assert cache.get_inner_outer(base, background) == StylesCache().get_inner_outer(base, background)


def test_applying_it_again_changes_nothing() -> None:
    fixed = StylesCache.get_inner_outer
    assert fix_style_cache_retention() is True
    assert StylesCache.get_inner_outer is fixed
