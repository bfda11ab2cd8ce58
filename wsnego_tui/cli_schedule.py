"""`wsnego-tui schedule`: the repayment schedule calculator on the command line.

Prints the schedule as an aligned table (Chinese or English headers, by the group's language) or
as JSON (`--json`) for scripts. Every option arrives as text and is checked here, so that any bad
input ends in one line naming the option (`Error: --principal: more than two decimals`) and a
non-zero exit, never a traceback or a usage dump.

It must never do arithmetic of its own: every number comes from wsnego_tui.core. It imports no
textual, rich or SQLModel, so the command stays fast.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar

import click

from wsnego_tui.core.apr import AnnualizedRate, annualized_rate
from wsnego_tui.core.money import AmountError, format_amount, format_yuan, parse_amount, parse_decimal_text
from wsnego_tui.core.schedule import (
    MAX_ANNUAL_PCT,
    MAX_MONTHS,
    GraceKind,
    Method,
    Rate,
    RowKind,
    Schedule,
    build_schedule,
)

EXIT_BAD_INPUT = 2

_Choice = TypeVar("_Choice", Method, GraceKind)


class InputError(click.ClickException):
    """Bad input: shown as one line, `Error: --option: what is wrong`, exit status 2."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, option: str, problem: str) -> None:
        super().__init__(f"{option}: {problem}")


_TEXT = {
    "zh": {
        "headers": ("期数", "还款日", "月供", "利息", "本金", "剩余本金"),
        "total": "合计",
        "principal": "本金",
        "annual_rate": "年利率",
        "daily_rate": "日利率",
        "term": "期限",
        "months": "{n} 期",
        "start": "起始日",
        "fee": "前期费用",
        "grace": "宽限期",
        "grace_months": "前 {n} 期",
        "total_payment": "还款总额",
        "total_interest": "总利息（还款总额 − 本金）",
        "capitalised": "其中资本化利息",
        "nominal": "名义年化利率",
        "nominal_note": "月 IRR × 12",
        "effective": "实际年化利率",
        "effective_note": "(1 + 月 IRR)^12 − 1",
        "grace_mark": "* 宽限期",
        Method.EQUAL_INSTALLMENT: "等额本息",
        Method.EQUAL_PRINCIPAL: "等额本金",
        Method.INTEREST_FIRST: "先息后本",
        GraceKind.INTEREST_ONLY: "只还利息",
        GraceKind.DEFERRAL: "暂停还款，利息按月计入本金",
        "sep": "，",
        "colon": "：",
        "paren": "（{}）",
    },
    "en": {
        "headers": ("Period", "Due date", "Payment", "Interest", "Principal", "Balance"),
        "total": "Total",
        "principal": "Principal",
        "annual_rate": "annual rate",
        "daily_rate": "daily rate",
        "term": "term",
        "months": "{n} months",
        "start": "start",
        "fee": "upfront fee",
        "grace": "grace",
        "grace_months": "first {n} months",
        "total_payment": "Total repayment",
        "total_interest": "Total interest (repayment − principal)",
        "capitalised": "of which capitalised",
        "nominal": "Nominal annualized rate",
        "nominal_note": "monthly IRR × 12",
        "effective": "Effective annualized rate",
        "effective_note": "(1 + monthly IRR)^12 − 1",
        "grace_mark": "* grace period",
        Method.EQUAL_INSTALLMENT: "equal installment",
        Method.EQUAL_PRINCIPAL: "equal principal",
        Method.INTEREST_FIRST: "interest first",
        GraceKind.INTEREST_ONLY: "interest only",
        GraceKind.DEFERRAL: "deferral, interest capitalised monthly",
        "sep": ", ",
        "colon": ": ",
        "paren": " ({})",
    },
}


@dataclass(frozen=True)
class _Request:
    principal: Decimal
    rate: Rate
    rate_is_daily: bool
    months: int
    method: Method
    grace_months: int
    grace_kind: GraceKind | None
    upfront_fee: Decimal
    start: date


@click.command()
@click.option("--principal", metavar="AMOUNT", help="Amount borrowed, in yuan (e.g. 10000 or 10,000.00).")
@click.option("--annual-rate", metavar="PCT", help="Annual interest rate in percent (e.g. 4.9).")
@click.option("--daily-rate", metavar="PCT", help="Daily interest rate in percent (e.g. 0.05 = 18 % a year).")
@click.option("--months", metavar="N", help="Whole term in months, grace months included.")
@click.option(
    "--method",
    metavar="[" + "|".join(Method) + "]",
    default=Method.EQUAL_INSTALLMENT.value,
    show_default=True,
    help="等额本息 / 等额本金 / 先息后本.",
)
@click.option("--grace-months", metavar="N", help="Grace months at the start (needs --grace).")
@click.option(
    "--grace", "grace_kind", metavar="[" + "|".join(GraceKind) + "]", help="What happens in grace months."
)
@click.option("--upfront-fee", metavar="AMOUNT", help="Fee deducted when the loan is paid out (raises the APR).")
@click.option(
    "--start", metavar="YYYY-MM-DD", help="Start date; the first payment is due a month later (default: today)."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def schedule(
    principal: str | None,
    annual_rate: str | None,
    daily_rate: str | None,
    months: str | None,
    method: str,
    grace_months: str | None,
    grace_kind: str | None,
    upfront_fee: str | None,
    start: str | None,
    as_json: bool,
) -> None:
    """Print a repayment schedule (还款计划) with totals and the annualized rate (年化利率)."""
    request = _parse_request(
        principal, annual_rate, daily_rate, months, method, grace_months, grace_kind, upfront_fee, start
    )
    try:
        plan = build_schedule(
            request.principal,
            request.rate,
            request.months,
            method=request.method,
            start=request.start,
            grace_months=request.grace_months,
            grace_kind=request.grace_kind,
            upfront_fee=request.upfront_fee,
        )
    except ValueError as exc:  # pragma: no cover - _parse_request checks everything first
        raise click.ClickException(str(exc)) from None
    rates = annualized_rate(plan)
    if as_json:
        click.echo(json.dumps(schedule_json(plan, rates), ensure_ascii=False, indent=2))
    else:
        click.echo(render_table(plan, rates, _language(), rate_is_daily=request.rate_is_daily))


def _language() -> str:
    obj = click.get_current_context().obj
    lang = getattr(obj, "lang", None)
    if lang is None:
        if obj is not None and hasattr(obj, "settings"):
            lang = obj.settings().lang
        else:
            from wsnego_tui.config import ConfigError, load_settings

            try:
                lang = load_settings().lang
            except ConfigError as exc:
                raise click.ClickException(str(exc)) from None
    return lang if lang in _TEXT else "zh"


# ---------------------------------------------------------------------------------------------
# input


def _parse_request(
    principal: str | None,
    annual_rate: str | None,
    daily_rate: str | None,
    months: str | None,
    method: str,
    grace_months: str | None,
    grace_kind: str | None,
    upfront_fee: str | None,
    start: str | None,
) -> _Request:
    amount = _amount("--principal", principal, allow_zero=False)
    rate, is_daily = _rate(annual_rate, daily_rate)
    term = _whole("--months", months, minimum=1, maximum=MAX_MONTHS)
    chosen_method = _choice("--method", method, Method)
    grace = 0
    if grace_months is not None:
        grace = _whole("--grace-months", grace_months, minimum=0, maximum=MAX_MONTHS)
    if grace >= term:
        raise InputError("--grace-months", f"must be less than --months ({term})")
    kind = None if grace_kind is None else _choice("--grace", grace_kind, GraceKind)
    if grace and kind is None:
        raise InputError("--grace", f"required with --grace-months (one of {', '.join(GraceKind)})")
    if kind is not None and not grace:
        raise InputError("--grace-months", "required with --grace (at least 1)")
    fee = Decimal("0.00") if upfront_fee is None else _amount("--upfront-fee", upfront_fee, allow_zero=True)
    if fee >= amount:
        raise InputError("--upfront-fee", "must be less than the principal")
    return _Request(amount, rate, is_daily, term, chosen_method, grace, kind, fee, _start_date(start))


def _amount(option: str, text: str | None, *, allow_zero: bool) -> Decimal:
    if text is None:
        raise InputError(option, "required")
    try:
        return parse_amount(text, allow_zero=allow_zero)
    except AmountError as exc:
        raise InputError(option, str(exc)) from None


def _rate(annual: str | None, daily: str | None) -> tuple[Rate, bool]:
    if annual is not None and daily is not None:
        raise InputError("--annual-rate", "give either --annual-rate or --daily-rate, not both")
    if annual is None and daily is None:
        raise InputError("--annual-rate", "required (or --daily-rate)")
    is_daily = daily is not None
    option = "--daily-rate" if is_daily else "--annual-rate"
    body = (daily if daily is not None else annual or "").strip().removesuffix("%").strip()
    if body.startswith("-") and parse_decimal_text(body[1:]) is not None:
        raise InputError(option, "negative rate")
    pct = parse_decimal_text(body)
    if pct is None:
        raise InputError(option, "not a number")
    maximum = MAX_ANNUAL_PCT / 360 if is_daily else MAX_ANNUAL_PCT
    if pct > maximum:
        per = "a day" if is_daily else "a year"
        raise InputError(option, f"must be between 0 and {maximum} (percent {per})")
    return (Rate.daily(pct) if is_daily else Rate.annual(pct)), is_daily


def _whole(option: str, text: str | None, *, minimum: int, maximum: int) -> int:
    if text is None:
        raise InputError(option, "required")
    body = text.strip()
    if not re.fullmatch(r"-?[0-9]+", body, re.ASCII):
        raise InputError(option, "not a whole number")
    value = int(body)
    if value < minimum:
        raise InputError(option, f"must be at least {minimum}")
    if value > maximum:
        raise InputError(option, f"must be at most {maximum}")
    return value


def _choice(option: str, text: str, enum: type[_Choice]) -> _Choice:
    try:
        return enum(text.strip())
    except ValueError:
        raise InputError(option, f"must be one of {', '.join(enum)}") from None


def _start_date(text: str | None) -> date:
    if text is None:
        from wsnego_tui.core.clock import SystemClock, today

        return today(SystemClock())
    body = text.strip()
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", body, re.ASCII):
        try:
            return date.fromisoformat(body)
        except ValueError:
            pass
    raise InputError("--start", "not a date (YYYY-MM-DD)")


# ---------------------------------------------------------------------------------------------
# output


def schedule_json(plan: Schedule, rates: AnnualizedRate) -> dict[str, object]:
    """The JSON document of `--json`: amounts as strings with two decimals, dates in ISO form."""
    return {
        "principal": str(plan.principal),
        "annual_rate_pct": _plain(plan.rate.annual_pct),
        "method": str(plan.method),
        "months": plan.months,
        "grace_months": plan.grace_months,
        "grace_kind": None if plan.grace_kind is None else str(plan.grace_kind),
        "upfront_fee": str(plan.upfront_fee),
        "start": plan.start.isoformat(),
        "end_date": plan.end_date.isoformat(),
        "installment": str(plan.installment),
        "rows": [
            {
                "period": row.period,
                "due_date": row.due_date.isoformat(),
                "payment": str(row.payment),
                "interest": str(row.interest),
                "principal": str(row.principal),
                "balance": str(row.balance),
            }
            for row in plan.rows
        ],
        "total_payment": str(plan.total_payment),
        "total_interest": str(plan.total_payment - plan.principal),
        "apr_nominal": rates.nominal_str,
        "apr_effective": rates.effective_str,
    }


def display_width(text: str) -> int:
    """Terminal cells taken by `text`: wide and full-width characters (CJK) take two."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def _pad(text: str, width: int, *, right: bool) -> str:
    fill = " " * max(width - display_width(text), 0)
    return fill + text if right else text + fill


def _plain(value: Decimal) -> str:
    """A rate without trailing zeros or exponent: 18.00 -> "18", 4.90 -> "4.9"."""
    return format(value.normalize(), "f")


def render_table(plan: Schedule, rates: AnnualizedRate, lang: str, *, rate_is_daily: bool = False) -> str:
    """The schedule as aligned text: a summary line, the rows, a totals row and the rates."""
    t = _TEXT[lang]
    paren = str(t["paren"])
    rate_text = f"{t['annual_rate']} {_plain(plan.rate.annual_pct)}%"
    if rate_is_daily:
        rate_text = f"{t['daily_rate']} {_plain(plan.rate.daily_pct)}%" + paren.format(rate_text)
    summary = [
        f"{t['principal']} {format_yuan(plan.principal)}",
        rate_text,
        str(t[plan.method]),
        f"{t['term']} {t['months'].format(n=plan.months)}",
    ]
    if plan.grace_kind is not None:
        grace = f"{t['grace']} {t['grace_months'].format(n=plan.grace_months)}"
        summary.append(grace + paren.format(t[plan.grace_kind]))
    if plan.upfront_fee:
        summary.append(f"{t['fee']} {format_yuan(plan.upfront_fee)}")
    summary.append(f"{t['start']} {plan.start.isoformat()}")

    body: list[tuple[str, ...]] = []
    for row in plan.rows:
        mark = "*" if row.kind == RowKind.GRACE else ""
        body.append(
            (
                f"{row.period}{mark}",
                row.due_date.isoformat(),
                format_amount(row.payment),
                format_amount(row.interest),
                format_amount(row.principal),
                format_amount(row.balance),
            )
        )
    totals = (
        t["total"],
        "",
        format_amount(plan.total_payment),
        format_amount(sum((row.interest for row in plan.rows), Decimal("0.00"))),
        format_amount(sum((row.principal for row in plan.rows), Decimal("0.00"))),
        "",
    )
    headers = tuple(t["headers"])
    table = [headers, *body, totals]
    widths = [max(display_width(line[i]) for line in table) for i in range(len(headers))]
    right_aligned = (True, False, True, True, True, True)

    def line(cells: tuple[str, ...], *, label_left: bool = False) -> str:
        aligned = (False, *right_aligned[1:]) if label_left else right_aligned
        return "  ".join(_pad(cell, widths[i], right=aligned[i]) for i, cell in enumerate(cells)).rstrip()

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    lines = [
        str(t["sep"]).join(summary),
        "",
        line(headers),
        rule,
        *(line(cells) for cells in body),
        rule,
        line(totals, label_left=True),
    ]
    if plan.grace_kind is not None:
        lines.append(f"{t['grace_mark']}{t['colon']}{t[plan.grace_kind]}")
    lines.append("")
    colon = t["colon"]
    labels = [
        (t["total_payment"], format_yuan(plan.total_payment)),
        (t["total_interest"], format_yuan(plan.total_payment - plan.principal)),
    ]
    if plan.total_capitalised:
        labels.append((t["capitalised"], format_yuan(plan.total_capitalised)))
    labels += [
        (t["nominal"], f"{rates.nominal_str}%" + paren.format(t["nominal_note"])),
        (t["effective"], f"{rates.effective_str}%" + paren.format(t["effective_note"])),
    ]
    label_width = max(display_width(f"{label}{colon}") for label, _ in labels)
    for label, value in labels:
        lines.append(f"{_pad(f'{label}{colon}', label_width, right=False)} {value}".rstrip())
    return "\n".join(lines)
