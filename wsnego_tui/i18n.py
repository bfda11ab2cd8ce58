"""Every string the borrower's screens show, in Chinese (the default) and English, by key.

`t(lang, key, **fmt)` looks a string up and fills its `{placeholders}`; `Translator` binds a
language. Dates, instants and money are formatted here too, so every screen writes them the
same way: 2026年11月28日 / 28 Nov 2026, and ¥1,234.56 (via core.money.format_yuan).

Pure: never imports textual, rich, SQLModel or the store, and never turns user data into a
template (user data only ever goes into a placeholder's value). Strings avoid characters of
ambiguous East Asian width (·, …, —, ▲, ↑): a CJK terminal draws them two cells wide and the
layout would shift.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum

from wsnego_tui.core.clock import CHINA_TZ

LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

MESSAGES: dict[str, dict[str, str]] = {
    "zh": {
        # The app: title line, bindings shown in the Footer (key "binding.<binding id>").
        "app.title": "网商贷协商还款",
        "step.login": "第1步 登录",
        "step.loans": "第2步 我的贷款",
        "binding.app.language": "English",
        "binding.app.theme": "深浅色",
        "binding.app.quit": "退出",
        "binding.login.submit": "登录",
        "binding.loans.sort": "排序",
        "binding.loans.refresh": "刷新",
        "binding.loans.columns_previous": "前面的列",
        "binding.loans.columns_next": "更多列",
        "binding.loans.logout": "退出登录",
        "binding.demo.yes": "是",
        "binding.demo.no": "否",
        "app.quit_hint": "按 {key} 退出程序",
        "app.language_changed": "已切换为中文",
        # Opening the database.
        "db.opening": "正在打开数据库，请稍候...",
        "db.outdated": "数据库结构版本过旧：{detail}\n请先运行 wsnego-tui db upgrade，然后重新启动本程序。",
        "db.failed": "无法打开数据库：{detail}",
        "db.empty": "数据库中还没有客户，暂时无法登录。",
        "db.demo_loading": "正在载入演示数据...",
        "db.demo_loaded": "演示数据已载入。",
        "db.demo_failed": "无法载入演示数据：{detail}",
        # The demo offer dialog.
        "demo.title": "载入演示数据？",
        "demo.body": "数据库是空的。要载入演示客户和贷款，以便试用本程序吗？",
        "demo.yes": "是",
        "demo.no": "否",
        # Step 1: log in.
        "login.heading": "登录",
        "login.intro": "请输入客户号和6位数字密码，然后按回车键登录。",
        "login.customer_no": "客户号",
        "login.customer_no.placeholder": "请输入客户号",
        "login.pin": "密码",
        "login.pin.placeholder": "6位数字",
        "login.error.customer_no_required": "请输入客户号",
        "login.error.digits_only": "只能输入数字",
        "login.error.pin_required": "请输入密码",
        "login.error.pin_length": "密码为6位数字",
        "login.busy": "正在登录...",
        "login.wait_for_database": "数据库尚未就绪，请稍候再登录。",
        "login.rejected": "客户号或密码不正确。",
        "login.locked": "登录已暂时锁定，请于{until}之后再试。",
        "login.failed": "暂时无法登录，请稍后再试。",
        # Step 2: My Loans.
        "loans.heading": "我的贷款",
        "loans.greeting": "{name}，您好（客户号 {customer_no}）",
        "loans.loading": "正在读取您的贷款...",
        "loans.failed": "暂时无法读取您的贷款，请稍后按 r 重试。",
        "loans.empty": "您名下没有贷款。",
        "loans.summary": "共{count}笔贷款　剩余本金合计 {outstanding}　逾期合计 {overdue}",
        "loans.sorted": "按{column}{direction}排列",
        "loans.columns_page": "列 {page}/{pages}",
        "loans.sort.asc": "升序",
        "loans.sort.desc": "降序",
        "loans.selected": "当前选择：{product}（贷款编号 {loan_no}）",
        "loans.selected.details": "下期还款：{date} {amount}　逾期合计：{overdue}　协商阶段：{stage}",
        "loans.col.product": "产品",
        "loans.col.principal": "本金",
        "loans.col.repaid": "已还本金",
        "loans.col.outstanding": "剩余本金",
        "loans.col.overdue_principal": "逾期本金",
        "loans.col.overdue_interest": "逾期利息",
        "loans.col.overdue_penalty": "罚息",
        "loans.col.days_past_due": "逾期天数",
        "loans.col.next_due_date": "下期还款日",
        "loans.col.next_due_amount": "下期应还",
        "loans.col.status": "状态",
        "loans.col.stage": "协商阶段",
        "loans.none": "-",
        # Loan statuses (core.views.LoanStatus).
        "status.current": "正常",
        "status.overdue": "逾期",
        "status.negotiated": "协商还款中",
        "status.broken": "协商计划违约",
        "status.settled": "协商结清",
        "status.closed": "已结清",
        # Negotiation kinds and application statuses (core.lifecycle).
        "kind.first": "协商还款",
        "kind.second": "二次协商还款",
        "kind.settlement": "协商一次性还款",
        "stage.draft": "草稿",
        "stage.submitted": "已提交",
        "stage.under_review": "审核中",
        "stage.materials_requested": "待补材料",
        "stage.offer_issued": "方案待确认",
        "stage.accepted": "已接受",
        "stage.plan_active": "计划执行中",
        "stage.completed": "已完成",
        "stage.broken": "已违约",
        "stage.rejected": "未通过",
        "stage.expired": "已过期",
        "stage.withdrawn": "已撤回",
        "stage.joined": "{kind}{stage}",
    },
    "en": {
        "app.title": "MYbank Repayment Negotiation",
        "step.login": "Step 1 Log in",
        "step.loans": "Step 2 My Loans",
        "binding.app.language": "中文",
        "binding.app.theme": "Theme",
        "binding.app.quit": "Quit",
        "binding.login.submit": "Log in",
        "binding.loans.sort": "Sort",
        "binding.loans.refresh": "Refresh",
        "binding.loans.columns_previous": "Previous columns",
        "binding.loans.columns_next": "More columns",
        "binding.loans.logout": "Log out",
        "binding.demo.yes": "Yes",
        "binding.demo.no": "No",
        "app.quit_hint": "Press {key} to quit",
        "app.language_changed": "Switched to English",
        "db.opening": "Opening the database, please wait...",
        "db.outdated": "The database schema is out of date: {detail}\nRun wsnego-tui db upgrade, then start the app again.",
        "db.failed": "Could not open the database: {detail}",
        "db.empty": "There are no customers in the database yet, so nobody can log in.",
        "db.demo_loading": "Loading the demo data...",
        "db.demo_loaded": "The demo data is loaded.",
        "db.demo_failed": "Could not load the demo data: {detail}",
        "demo.title": "Load the demo data?",
        "demo.body": "The database is empty. Load the demo customers and loans to try the app?",
        "demo.yes": "Yes",
        "demo.no": "No",
        "login.heading": "Log in",
        "login.intro": "Enter your customer number and your 6-digit PIN, then press Enter.",
        "login.customer_no": "Customer no.",
        "login.customer_no.placeholder": "Your customer number",
        "login.pin": "PIN",
        "login.pin.placeholder": "6 digits",
        "login.error.customer_no_required": "Enter your customer number",
        "login.error.digits_only": "Digits only",
        "login.error.pin_required": "Enter your PIN",
        "login.error.pin_length": "The PIN has 6 digits",
        "login.busy": "Logging in...",
        "login.wait_for_database": "The database is not ready yet; please try again in a moment.",
        "login.rejected": "The customer number or the PIN is not correct.",
        "login.locked": "Logging in is locked for now. Please try again after {until}.",
        "login.failed": "Logging in is not possible right now. Please try again later.",
        "loans.heading": "My Loans",
        "loans.greeting": "Hello {name} (customer no. {customer_no})",
        "loans.loading": "Loading your loans...",
        "loans.failed": "Your loans could not be loaded. Press r to try again.",
        "loans.empty": "You have no loans.",
        "loans.summary": "Loans: {count}   Outstanding principal: {outstanding}   Overdue: {overdue}",
        "loans.sorted": "sorted by {column}, {direction}",
        "loans.columns_page": "columns {page}/{pages}",
        "loans.sort.asc": "ascending",
        "loans.sort.desc": "descending",
        "loans.selected": "Selected: {product} (loan no. {loan_no})",
        "loans.selected.details": "Next due: {date} {amount}   Overdue in total: {overdue}   Stage: {stage}",
        "loans.col.product": "Product",
        "loans.col.principal": "Principal",
        "loans.col.repaid": "Repaid\nprincipal",
        "loans.col.outstanding": "Outstanding\nprincipal",
        "loans.col.overdue_principal": "Overdue\nprincipal",
        "loans.col.overdue_interest": "Overdue\ninterest",
        "loans.col.overdue_penalty": "Penalty\ninterest",
        "loans.col.days_past_due": "Days\noverdue",
        "loans.col.next_due_date": "Next due\ndate",
        "loans.col.next_due_amount": "Next due\namount",
        "loans.col.status": "Status",
        "loans.col.stage": "Negotiation\nstage",
        "loans.none": "-",
        "status.current": "Current",
        "status.overdue": "Overdue",
        "status.negotiated": "On new plan",
        "status.broken": "Plan broken",
        "status.settled": "Settled",
        "status.closed": "Paid off",
        "kind.first": "1st negotiation",
        "kind.second": "2nd negotiation",
        "kind.settlement": "Settlement",
        "stage.draft": "draft",
        "stage.submitted": "submitted",
        "stage.under_review": "under review",
        "stage.materials_requested": "materials requested",
        "stage.offer_issued": "offer to answer",
        "stage.accepted": "accepted",
        "stage.plan_active": "plan active",
        "stage.completed": "completed",
        "stage.broken": "broken",
        "stage.rejected": "rejected",
        "stage.expired": "expired",
        "stage.withdrawn": "withdrawn",
        "stage.joined": "{kind}: {stage}",
    },
}



def _merge_catalogs() -> None:
    import importlib

    from wsnego_tui.locales import CATALOGS

    for name in CATALOGS:
        module = importlib.import_module(f"wsnego_tui.locales.{name}")
        for lang, extra in (("zh", module.ZH), ("en", module.EN)):
            clash = MESSAGES[lang].keys() & extra.keys()
            if clash:
                raise RuntimeError(f"locales.{name} redefines {sorted(clash)}")
            MESSAGES[lang].update(extra)


_merge_catalogs()

_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def check_language(lang: str) -> str:
    if lang not in MESSAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    return lang


def t(lang: str, key: str, **fmt: object) -> str:
    """The string `key` in `lang`, with its placeholders filled from `fmt`.

    A missing key is a programming error and raises KeyError (a test checks both languages
    have the same keys, so it cannot happen in one language only)."""
    template = MESSAGES[check_language(lang)][key]
    return template.format(**fmt) if fmt else template


def has_key(key: str) -> bool:
    return key in MESSAGES[DEFAULT_LANGUAGE]


def other_language(lang: str) -> str:
    """The language the switch key goes to from `lang`."""
    index = LANGUAGES.index(check_language(lang))
    return LANGUAGES[(index + 1) % len(LANGUAGES)]


def format_date(lang: str, day: dt.date) -> str:
    """2026年11月28日 in Chinese, 28 Nov 2026 in English."""
    if check_language(lang) == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {_EN_MONTHS[day.month - 1]} {day.year}"


def format_datetime(lang: str, instant: dt.datetime) -> str:
    """A date and a time of day, on the bank's clock (China Standard Time)."""
    local = instant.astimezone(CHINA_TZ) if instant.tzinfo else instant
    return f"{format_date(lang, local.date())} {local:%H:%M}"


def format_money(amount: Decimal) -> str:
    """¥1,234.56: the same in both languages (core.money, imported on first use: the log-in
    screen paints without it)."""
    from wsnego_tui.core.money import format_yuan

    return format_yuan(amount)


def localize(lang: str, value: object) -> str:
    """One value as text in `lang`: dates, instants and money formatted, the rest as str()."""
    if isinstance(value, dt.datetime):
        return format_datetime(lang, value)
    if isinstance(value, dt.date):
        return format_date(lang, value)
    if isinstance(value, Decimal):
        return format_money(value)
    return str(value)


def enum_label(lang: str, prefix: str, value: Enum | str) -> str:
    """The label of an enum member (`status.overdue`), or the raw value if it has none."""
    raw = value.value if isinstance(value, Enum) else value
    key = f"{prefix}.{raw}"
    return t(lang, key) if has_key(key) else str(raw)


def stage_label(lang: str, stage: str) -> str:
    """A negotiation stage as the services report it: an application status (`under_review`),
    or a kind and a status (`second:plan_active`). Unknown parts are shown as they are."""
    kind, sep, status = stage.partition(":")
    if not sep:
        return enum_label(lang, "stage", stage)
    return t(lang, "stage.joined", kind=enum_label(lang, "kind", kind), stage=enum_label(lang, "stage", status))


class Translator:
    """`t` with the language bound: `tr = Translator("en"); tr("login.pin")`."""

    def __init__(self, lang: str = DEFAULT_LANGUAGE) -> None:
        self.lang = check_language(lang)

    def __call__(self, key: str, **fmt: object) -> str:
        return t(self.lang, key, **fmt)

    def date(self, day: dt.date) -> str:
        return format_date(self.lang, day)

    def datetime(self, instant: dt.datetime) -> str:
        return format_datetime(self.lang, instant)

    def money(self, amount: Decimal) -> str:
        return format_money(amount)

    def fill(self, key: str, **values: object) -> str:
        """`key` with its placeholders filled by values formatted for this language: a
        datetime as a local date and time, a date as a date, a Decimal as money."""
        return t(self.lang, key, **{name: localize(self.lang, value) for name, value in values.items()})
