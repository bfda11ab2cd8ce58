"""The corrections to Textual (wsnego_tui/textual_fixes.py): a widget's style cache, with the
lines it rendered, is freed with the widget, and styles come out the same; a rendered line
creates each of its caches only when first used, and every line operation returns what
Textual's own returns."""

from __future__ import annotations

import gc
import weakref

from hypothesis import given
from hypothesis import strategies as st
from rich.segment import Segment
from rich.style import Style
from textual._styles_cache import StylesCache
from textual.cache import FIFOCache
from textual.color import Color
from textual.filter import Monochrome
from textual.strip import Strip

import wsnego_tui.app  # noqa: F401  (applies the corrections, as the app does on import)
from wsnego_tui.textual_fixes import STRIP_CACHES, apply_textual_fixes, fix_strip_caches, fix_style_cache_retention

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


# --- rendered lines (Strip) create their caches on demand ---------------------------------------

STYLES = [Style(), Style(bold=True), Style(color="red", bgcolor="blue"), Style(underline=True, italic=True)]
segments = st.lists(
    st.tuples(st.text(alphabet="ab 协商还款¥1,.", max_size=6), st.sampled_from(STYLES)).map(lambda p: Segment(*p)),
    max_size=5,
)


def textuals_strip(parts: list[Segment]) -> Strip:
    """A Strip as Textual's own __init__ builds it, every cache created up front."""
    strip = Strip.__new__(Strip)
    Strip.__init__.__wrapped__(strip, parts)  # type: ignore[attr-defined]
    return strip


def test_the_pinned_textual_gets_the_fix() -> None:
    """The fix applies to this Textual (it checks Strip's slots and caches first, and would
    leave a different Strip alone): if an upgrade changes Strip, this says so."""
    assert fix_strip_caches() is True
    assert all(getattr(Strip.__dict__[name], "_wsnego_fixed", False) for name in STRIP_CACHES)


def test_a_new_line_holds_no_cache_until_a_method_needs_one() -> None:
    strip = Strip([Segment("协商"), Segment("ab", Style(bold=True))])
    assert [getattr(strip, slot) for slot, _ in STRIP_CACHES.values()] == [None] * len(STRIP_CACHES)
    strip.crop(1, 3)
    assert isinstance(strip._crop_cache, FIFOCache) and strip._crop_cache._maxsize == 16
    assert [slot for slot, _ in STRIP_CACHES.values() if getattr(strip, slot) is not None] == ["_crop_cache"]
    assert len(textuals_strip([Segment("x")])._crop_cache) == 0  # Textual's own builds all seven


def test_each_method_caches_its_result_as_before() -> None:
    strip = Strip([Segment("协商还款", Style()), Segment("abc", Style(italic=True))])
    calls = {
        "adjust_cell_length": (12, Style(bold=True)),
        "apply_filter": (Monochrome(), Color(0, 0, 0)),
        "crop_extend": (1, 9, None),
        "crop": (2, 7),
        "divide": ((3, 6),),
        "apply_style": (Style(underline=True),),
        "apply_offsets": (2, 5),
    }
    assert set(calls) == set(STRIP_CACHES)
    for name, args in calls.items():
        first = getattr(strip, name)(*args)
        assert getattr(strip, name)(*args) is first, name
        slot, size = STRIP_CACHES[name]
        assert getattr(strip, slot)._maxsize == size


@given(segments, st.integers(0, 14), st.integers(0, 14), st.lists(st.integers(0, 14), max_size=3),
       st.sampled_from(STYLES), st.integers(0, 3), st.integers(0, 3))
def test_every_line_operation_returns_what_textuals_own_returns(
    parts: list[Segment], start: int, end: int, cuts: list[int], style: Style, x: int, y: int
) -> None:
    fixed, textuals = Strip(parts), textuals_strip(parts)
    cuts = sorted(cuts)

    def original(name: str, *args: object) -> object:
        return Strip.__dict__[name].__wrapped__(textuals, *args)

    assert fixed.crop(start, end) == original("crop", start, end)
    assert fixed.crop_extend(start, end, style) == original("crop_extend", start, end, style)
    assert list(fixed.divide(cuts)) == list(original("divide", cuts))  # type: ignore[call-overload]
    assert fixed.adjust_cell_length(end, style) == original("adjust_cell_length", end, style)
    assert fixed.apply_style(style) == original("apply_style", style)
    assert fixed.apply_offsets(x, y) == original("apply_offsets", x, y)
    assert fixed.apply_filter(Monochrome(), Color(9, 9, 9)) == original("apply_filter", Monochrome(), Color(9, 9, 9))
    assert fixed.cell_length == textuals.cell_length and fixed.text == textuals.text


def test_applying_the_fixes_again_changes_nothing() -> None:
    methods = {name: Strip.__dict__[name] for name in STRIP_CACHES}
    init, inner_outer = Strip.__init__, StylesCache.get_inner_outer
    apply_textual_fixes()
    assert {name: Strip.__dict__[name] for name in STRIP_CACHES} == methods
    assert Strip.__init__ is init and StylesCache.get_inner_outer is inner_outer
