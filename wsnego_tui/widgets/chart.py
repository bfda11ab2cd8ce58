"""A small bar chart drawn with block characters: one band per series, on a shared scale.

The offers screen compares the current plan with an offer (每期还款, 剩余本金): every series
gets its own band of rows, one bar per month (months are grouped, highest value first, when
there are more months than columns), all bands on one scale from zero to the highest value, so
the bars can be compared by height. Each band is labelled on the left and shows its highest
value on the right; the last line carries an axis caption. Colours come from component classes
(theme variables), the shape from the characters, so the chart still reads under NO_COLOR.

Amounts are Decimal and the heights are computed in Decimal: never float. Labels and captions
arrive translated and are drawn as plain text (never markup); nothing here touches the
database or the services.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from rich.cells import cell_len
from rich.text import Text
from textual.widget import Widget

from wsnego_tui.i18n import format_money
from wsnego_tui.widgets.cells import pad_cells
from wsnego_tui.widgets.safe_text import safe_text

BARS = "▁▂▃▄▅▆▇█"
"""Eighths of a cell, from the lowest to a full block (Textual's Sparkline draws the same)."""

EIGHTHS = len(BARS)


@dataclass(frozen=True)
class ChartSeries:
    """One series: a label (already translated), its values in order, and its role, which
    picks the colour: "old" (the plan in force) or "new" (an offer)."""

    label: str
    values: tuple[Decimal, ...]
    role: str = "new"


def bucket_values(values: Sequence[Decimal], months: int, columns: int) -> list[Decimal | None]:
    """`values` (one per month, `months` months on the axis) as `columns` bars: the highest
    value of each group of months; None where the series has no month in the group."""
    bars: list[Decimal | None] = []
    for column in range(columns):
        start = column * months // columns
        end = max((column + 1) * months // columns, start + 1)
        group = list(values[start:end])
        bars.append(max(group) if group else None)
    return bars


def eighths_for(value: Decimal, top: Decimal, rows: int) -> int:
    """How many eighths of a cell, over `rows` rows, a bar of `value` is high when `top` fills
    all of them; any amount above zero shows at least one eighth."""
    if value <= 0 or top <= 0:
        return 0
    height = (value * rows * EIGHTHS / top).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return max(1, min(int(height), rows * EIGHTHS))


def bar_character(eighths: int, row_from_bottom: int) -> str:
    """The character of one cell of a bar that is `eighths` high, `row_from_bottom` rows up."""
    fill = eighths - row_from_bottom * EIGHTHS
    if fill >= EIGHTHS:
        return BARS[-1]
    if fill <= 0:
        return " "
    return BARS[fill - 1]


class BarChart(Widget):
    """Bars of several series on one scale, band under band; see the module docstring."""

    COMPONENT_CLASSES = {
        "bar-chart--title",
        "bar-chart--label",
        "bar-chart--old",
        "bar-chart--new",
        "bar-chart--axis",
    }

    DEFAULT_CSS = """
    BarChart {
        height: 8;
    }
    BarChart > .bar-chart--title {
        text-style: bold;
    }
    BarChart > .bar-chart--old {
        color: $warning;
    }
    BarChart > .bar-chart--new {
        color: $success;
    }
    BarChart > .bar-chart--axis {
        color: $text-muted;
    }
    """

    MAX_COLUMNS_PER_MONTH = 3
    """A short series is drawn with wider bars, but no wider than this."""

    def __init__(
        self,
        *,
        value_text: Callable[[Decimal], str] = format_money,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.value_text = value_text
        self.title = ""
        self.axis = ""
        self.series: tuple[ChartSeries, ...] = ()

    def show(self, title: str, series: Sequence[ChartSeries], axis: str = "") -> None:
        """Draw these series (replacing what was shown)."""
        self.title = safe_text(title)
        self.series = tuple(series)
        self.axis = safe_text(axis)
        self.refresh()

    @property
    def top(self) -> Decimal:
        """The value that fills a band: the highest of all series."""
        return max((value for s in self.series for value in s.values), default=Decimal(0))

    def render(self) -> Text:
        width, height = self.size.width, self.size.height
        lines = self.render_text_lines(width, height)
        text = Text(no_wrap=True, overflow="crop", end="")
        for index, line in enumerate(lines):
            if index:
                text.append("\n")
            text.append_text(line)
        return text

    def render_text_lines(self, width: int, height: int) -> list[Text]:
        """The chart as `height` lines of rich Text, each `width` cells wide."""
        title_style = self.get_component_rich_style("bar-chart--title", partial=True)
        axis_style = self.get_component_rich_style("bar-chart--axis", partial=True)
        lines = [Text(pad_cells(self.title, width), style=title_style, no_wrap=True, end="")]
        if height < 3 or not self.series or width < 4:
            return lines[:height] + [Text(" " * width, end="") for _ in range(height - len(lines))]
        band_rows = max(1, (height - 2) // len(self.series))
        label_width = max(cell_len(safe_text(s.label)) for s in self.series) + 1
        value_texts = [self.value_text(max(s.values)) if s.values else "" for s in self.series]
        value_width = max(cell_len(v) for v in value_texts) + 1
        bars_width = width - label_width - value_width
        months = max(len(s.values) for s in self.series)
        if bars_width < 1 or months == 0:
            return lines + [Text(" " * width, end="") for _ in range(height - 1)]
        if months <= bars_width:
            per_month = max(1, min(bars_width // months, self.MAX_COLUMNS_PER_MONTH))
            columns = months
        else:
            per_month = 1
            columns = bars_width
        top = self.top
        for series, value_text in zip(self.series, value_texts):
            style = self.get_component_rich_style(f"bar-chart--{series.role}", partial=True)
            heights = [
                None if bar is None else eighths_for(bar, top, band_rows)
                for bar in bucket_values(series.values, months, columns)
            ]
            for row in range(band_rows):
                from_bottom = band_rows - 1 - row
                line = Text(no_wrap=True, end="")
                line.append(pad_cells(safe_text(series.label) if row == 0 else "", label_width))
                drawn = "".join(
                    (" " if h is None else bar_character(h, from_bottom)) * per_month for h in heights
                )
                line.append(pad_cells(drawn, bars_width), style=style)
                line.append(pad_cells(" " + value_text if row == 0 else "", value_width))
                lines.append(line)
        lines = lines[: height - 1]
        while len(lines) < height - 1:
            lines.append(Text(" " * width, end=""))
        lines.append(Text(pad_cells(" " * label_width + self.axis, width), style=axis_style, no_wrap=True, end=""))
        return lines

    def plain_lines(self) -> list[str]:
        """What the chart shows now, as plain strings (for tests and the gallery)."""
        return [line.plain for line in self.render_text_lines(self.size.width, self.size.height)]


__all__ = ["BARS", "BarChart", "ChartSeries", "bar_character", "bucket_values", "eighths_for"]
