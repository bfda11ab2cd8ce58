"""The bank's negotiation policy: every limit, percentage and deadline of DESIGN §2 in one object.

`DEFAULT_POLICY` holds the defaults; a bank (or a test) overrides fields with
`dataclasses.replace(DEFAULT_POLICY, max_term_months=36)` or `Policy(...)`. Percentages are in
percent (Decimal("70") means 70 %); amounts are in yuan, to the fen.

A bank edits its policy in one TOML file: `load_policy(path)` reads it (parsing numbers with
`parse_float=Decimal`, so no value ever passes through float), keeps the default for every key
the file leaves out, and refuses an unknown key, a value of the wrong type or out of range with
one `PolicyError` that names the file and the key. `policy_to_toml(policy)` writes a policy back
as such a file, every key with a comment in Chinese and English; the packaged
`default_policy.toml` (DEFAULT_POLICY_FILE) is exactly `policy_to_toml(DEFAULT_POLICY)`.

Pure: no textual, no SQL; the only file access in the core is `load_policy` reading the file it
is given. It must never hold float values: the constructor refuses them, and converts ints given
for decimal fields to Decimal.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from dataclasses import dataclass, fields
from decimal import Decimal
from pathlib import Path

MIB = 1024 * 1024

DEFAULT_POLICY_FILE = Path(__file__).with_name("default_policy.toml")
"""The bank-editable policy file shipped with the package; loading it gives DEFAULT_POLICY."""

HARDSHIP_CATEGORIES = ("income_drop", "job_loss", "illness", "business_failure", "family_emergency", "other")
"""The default hardship codes (收入下降, 失业, 疾病, 经营失败, 家庭变故, 其他); the UI translates them."""

KNOWN_PROOF_TYPES = ("application/pdf", "image/png", "image/jpeg")
"""The content types the proof intake can recognise by their first bytes."""

_DECIMAL_FIELDS = (
    "second_broken_down_payment_pct",
    "affordability_pct",
    "penalty_multiplier",
    "first_penalty_waiver_pct",
    "second_penalty_waiver_pct",
    "settlement_penalty_waiver_pct",
    "settlement_interest_waiver_pct",
    "officer_waiver_limit",
    "second_officer_waiver_limit",
)
_PERCENT_FIELDS = tuple(name for name in _DECIMAL_FIELDS if name.endswith("_pct"))
_AMOUNT_FIELDS = ("officer_waiver_limit", "second_officer_waiver_limit")
_AT_LEAST_ONE = ("max_term_months", "broken_consecutive_missed", "proof_max_files", "proof_max_bytes")
_CODE = re.compile(r"[a-z][a-z0-9_]{0,31}")
_FEN = Decimal("0.01")


class PolicyError(ValueError):
    """A policy that cannot be used: names the key (when one is to blame) and the file (if any)."""

    def __init__(self, key: str | None, problem: str, *, path: str | os.PathLike[str] | None = None) -> None:
        self.key = key
        self.problem = problem
        self.path = Path(path) if path is not None else None
        where = f"policy file {self.path}: " if self.path is not None else "policy: "
        what = f"{key}: " if key else ""
        super().__init__(f"{where}{what}{problem}")


@dataclass(frozen=True)
class Policy:
    """A bank's negotiation settings (DESIGN §2); the defaults are the bank's published rules."""

    # negotiations per loan: the first (协商) and the second (二次协商); settlement stays open
    max_negotiations: int = 2
    # longest negotiated term, from the new plan's start (the 5-year cap)
    max_term_months: int = 60
    # grace: up to 3 months, interest-only or full deferral (interest capitalised monthly)
    max_grace_months: int = 3
    # the hardship categories a borrower chooses from (codes; the UI translates them)
    hardship_categories: tuple[str, ...] = HARDSHIP_CATEGORIES
    # first negotiation: hardship evidence, automatic decision when within the limits
    first_requires_hardship_proof: bool = True
    auto_decide_first: bool = True
    # second negotiation: extension beyond the first plan's end, and the rules that come with it
    second_max_extension_months: int = 24
    second_requires_income_proof: bool = True
    second_requires_expense_proof: bool = True
    second_always_officer_review: bool = True
    second_grace_hardships: tuple[str, ...] = ("illness", "job_loss")
    second_broken_down_payment_pct: Decimal = Decimal("5")
    second_grace_needs_second_officer: bool = True
    # affordability: an installment is affordable when <= this share of disposable income
    affordability_pct: Decimal = Decimal("70")
    # penalty interest (罚息): multiplier on the contract daily rate, and how much may be waived
    penalty_multiplier: Decimal = Decimal("1.5")
    first_penalty_waiver_pct: Decimal = Decimal("100")
    second_penalty_waiver_pct: Decimal = Decimal("50")
    # settlement (协商一次性还款): principal never discounted
    settlement_requires_funds_proof: bool = True
    settlement_penalty_waiver_pct: Decimal = Decimal("100")
    settlement_interest_waiver_pct: Decimal = Decimal("50")
    settlement_pay_days: int = 7
    # officers: waivers (yuan, penalty + interest) the engine may grant alone / one officer may grant
    officer_waiver_limit: Decimal = Decimal("5000.00")
    second_officer_waiver_limit: Decimal = Decimal("20000.00")
    # deadlines, in calendar days
    bank_decision_days: int = 21
    materials_answer_days: int = 14
    offer_valid_days: int = 7
    # days before an installment's due date that the borrower's inbox reminds them (0: never)
    reminder_days: int = 3
    # a negotiated plan is broken by this many consecutive missed installments, or one this late
    broken_consecutive_missed: int = 2
    broken_days_late: int = 30
    # proofs: accepted content types (checked by content, not name), size and count limits
    proof_types: tuple[str, ...] = KNOWN_PROOF_TYPES
    proof_max_bytes: int = 10 * MIB
    proof_max_files: int = 10
    # demo walkthroughs: how long the automatic review pretends to think
    review_delay_seconds: int = 0

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, float):
                raise TypeError(f"{spec.name} must not be a float; use Decimal or a string")
        for name in _DECIMAL_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
                raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
            value = Decimal(value)
            if not value.is_finite() or value < 0:
                raise PolicyError(name, f"must be a finite number >= 0, not {value}")
            object.__setattr__(self, name, value)
        for name in _PERCENT_FIELDS:
            if getattr(self, name) > 100:
                raise PolicyError(name, f"is a percentage and cannot exceed 100, not {getattr(self, name)}")
        if self.affordability_pct == 0:
            raise PolicyError("affordability_pct", "must be more than 0 (and at most 100): no installment would be affordable")
        if self.penalty_multiplier < 1:
            raise PolicyError("penalty_multiplier", f"must be at least 1, not {self.penalty_multiplier}")
        for name in _AMOUNT_FIELDS:
            value = getattr(self, name)
            if value != value.quantize(_FEN):
                raise PolicyError(name, f"is an amount in yuan and can have at most two decimals, not {value}")
        for spec in fields(self):
            value = getattr(self, spec.name)
            if spec.type in ("int", int):
                if isinstance(value, bool) or not isinstance(value, int):
                    raise TypeError(f"{spec.name} must be an int, not {type(value).__name__}")
                if value < 0:
                    raise PolicyError(spec.name, f"must be >= 0, not {value}")
            elif spec.type in ("bool", bool):
                if not isinstance(value, bool):
                    raise TypeError(f"{spec.name} must be True or False, not {type(value).__name__}")
            elif spec.type == "tuple[str, ...]":
                if not isinstance(value, tuple) or not all(isinstance(item, str) for item in value):
                    raise TypeError(f"{spec.name} must be a tuple of strings")
                if len(set(value)) != len(value):
                    raise PolicyError(spec.name, "lists a value twice")
        for name in _AT_LEAST_ONE:
            if getattr(self, name) < 1:
                raise PolicyError(name, f"must be at least 1, not {getattr(self, name)}")
        if self.max_grace_months >= self.max_term_months:
            raise PolicyError(
                "max_grace_months",
                f"must be shorter than max_term_months ({self.max_term_months}), not {self.max_grace_months}",
            )
        if not self.hardship_categories:
            raise PolicyError("hardship_categories", "must list at least one category")
        for code in self.hardship_categories:
            if not _CODE.fullmatch(code):
                raise PolicyError("hardship_categories", f"{code!r} is not a code (lower-case letters, digits, _)")
        unknown = [code for code in self.second_grace_hardships if code not in self.hardship_categories]
        if unknown:
            raise PolicyError(
                "second_grace_hardships", f"{', '.join(map(repr, unknown))} is not one of hardship_categories"
            )
        if not self.proof_types:
            raise PolicyError("proof_types", "must list at least one content type")
        for media_type in self.proof_types:
            if media_type not in KNOWN_PROOF_TYPES:
                raise PolicyError(
                    "proof_types", f"{media_type!r} is not one of {', '.join(KNOWN_PROOF_TYPES)}"
                )
        if self.second_officer_waiver_limit < self.officer_waiver_limit:
            raise PolicyError(
                "second_officer_waiver_limit",
                f"must not be below officer_waiver_limit ({self.officer_waiver_limit}), "
                f"not {self.second_officer_waiver_limit}",
            )


DEFAULT_POLICY = Policy()


# --- the policy file -------------------------------------------------------------------------------

_SECTIONS: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...] = (
    (
        "协商次数与期限 / Negotiations and terms",
        (
            ("max_negotiations", "每笔贷款最多协商次数（首次协商 + 二次协商）；超过后只可申请协商一次性还款。",
             "Negotiations per loan (first + second); beyond this only a settlement stays open."),
            ("max_term_months", "协商后新计划的最长期限（月），从新计划开始日计算；个性化分期最长 5 年。",
             "Longest negotiated term in months, counted from the new plan's start (the 5-year cap)."),
            ("max_grace_months", "宽限期最长月数（只还利息或暂停还款、利息按月资本化）；须小于最长期限。",
             "Longest grace period in months (interest-only or deferral); must be below max_term_months."),
            ("hardship_categories", "借款人可选择的困难原因代码；界面按代码翻译。",
             "Hardship category codes the borrower chooses from; the UI translates them by code."),
        ),
    ),
    (
        "首次协商 / First negotiation (协商还款)",
        (
            ("first_requires_hardship_proof", "首次协商是否必须提供困难证明。",
             "Whether a first negotiation needs hardship evidence."),
            ("auto_decide_first", "在政策限额内的首次协商由系统自动审批（false：全部交审核员）。",
             "Decide first negotiations within the limits automatically (false: every one goes to an officer)."),
            ("first_penalty_waiver_pct", "首次协商可减免罚息的比例（%）；逾期利息计入新本金。",
             "Share of penalty interest a first negotiation waives (%); overdue interest is capitalised."),
        ),
    ),
    (
        "二次协商 / Second negotiation (二次协商还款)",
        (
            ("second_max_extension_months", "二次协商新计划的结束日最多比首次协商计划的结束日晚几个月。",
             "How many months beyond the first plan's end the second plan may run."),
            ("second_requires_income_proof", "二次协商是否必须提供收入证明。",
             "Whether a second negotiation needs income proof."),
            ("second_requires_expense_proof", "二次协商是否必须提供支出证明。",
             "Whether a second negotiation needs expense proof."),
            ("second_always_officer_review", "二次协商是否一律由审核员审批。",
             "Whether every second negotiation is decided by an officer."),
            ("second_grace_hardships", "二次协商只有这些困难原因可以有宽限期（须为 hardship_categories 中的代码）。",
             "Hardship codes for which a second negotiation may include grace (codes of hardship_categories)."),
            ("second_broken_down_payment_pct", "首次协商计划违约后，二次协商须首付剩余本金的比例（%）。",
             "Down payment, as % of the outstanding principal, when the first plan was broken."),
            ("second_penalty_waiver_pct", "二次协商可减免罚息的最高比例（%）。",
             "Most of the penalty interest a second negotiation may waive (%)."),
            ("second_grace_needs_second_officer", "带宽限期的二次协商是否须第二位审核员复核（四眼原则）。",
             "Whether a second negotiation with grace needs a second officer's approval (four eyes)."),
        ),
    ),
    (
        "还款能力与罚息 / Affordability and penalty interest (罚息)",
        (
            ("affordability_pct", "可支配收入 = 收入 − 必要支出 − 其他负债还款；月供不超过可支配收入的该比例（%）即可负担。",
             "Disposable = income − essential expenses − other debt; affordable when <= this % of it (0 < x <= 100)."),
            ("penalty_multiplier", "罚息 = 合同日利率 × 该倍数 × 逾期本金 × 天数（至少为 1）。",
             "Penalty interest = contract daily rate × this multiplier × overdue principal × days (>= 1)."),
        ),
    ),
    (
        "协商一次性还款 / Settlement (协商一次性还款)",
        (
            ("settlement_requires_funds_proof", "一次性还款是否必须提供资金来源证明。",
             "Whether a settlement needs proof of funds."),
            ("settlement_penalty_waiver_pct", "一次性还款可减免罚息的最高比例（%）；本金从不减免。",
             "Most of the penalty interest a settlement may waive (%); principal is never discounted."),
            ("settlement_interest_waiver_pct", "一次性还款可减免逾期利息的最高比例（%）。",
             "Most of the overdue interest a settlement may waive (%)."),
            ("settlement_pay_days", "接受一次性还款方案后须在几天内付清，否则方案失效。",
             "Days after acceptance to pay the settlement sum before the offer expires."),
        ),
    ),
    (
        "审批权限 / Approval limits",
        (
            ("officer_waiver_limit", "减免总额（罚息 + 利息，元）超过该金额时，系统不自动审批，交审核员决定。",
             "Total waived (penalty + interest, yuan) above which the engine does not decide alone: an officer does."),
            ("second_officer_waiver_limit", "减免总额（元）超过该金额时，审核员的决定须第二位审核员复核；不得低于 officer_waiver_limit。",
             "Total waived (yuan) above which an officer's decision needs a second officer; >= officer_waiver_limit."),
        ),
    ),
    (
        "期限 / Deadlines (calendar days)",
        (
            ("bank_decision_days", "银行须在提交后几天内作出决定。",
             "Days the bank has to decide after submission."),
            ("materials_answer_days", "借款人须在几天内补充材料。",
             "Days the borrower has to answer a materials request."),
            ("offer_valid_days", "协商方案的有效天数，过期失效。",
             "Days an offer stays open before it lapses."),
            ("reminder_days", "还款日前几天在消息中提醒借款人（0 表示不提醒）。",
             "Days before a due date that the borrower's inbox reminds them (0: no reminders)."),
        ),
    ),
    (
        "违约 / Broken plan",
        (
            ("broken_consecutive_missed", "协商计划连续未还几期即视为违约。",
             "Consecutive missed plan installments that break a negotiated plan."),
            ("broken_days_late", "协商计划任一期逾期超过几天即视为违约。",
             "Days late on one plan installment that break a negotiated plan."),
        ),
    ),
    (
        "证明材料 / Proof materials",
        (
            ("proof_types", "接受的文件类型（按文件内容识别，而非文件名）。",
             "Accepted content types (recognised by content, not by name)."),
            ("proof_max_bytes", "单个文件的最大字节数（10 MiB = 10485760）。",
             "Largest file in bytes (10 MiB = 10485760)."),
            ("proof_max_files", "每份申请最多几个文件。",
             "Most files per application."),
        ),
    ),
    (
        "演示 / Demo",
        (
            ("review_delay_seconds", "自动审批在提交后等待的秒数（测试为 0，演示时可设几秒）。",
             "Seconds the automatic review waits after submission (0 in tests, a few in demos)."),
        ),
    ),
)

_HEADER = """\
# 协商还款政策 / Repayment negotiation policy (wsnego-tui)
#
# 银行可编辑此文件；加载时校验：未知的键、错误的类型或超出范围的值都会报错并指出键名。
# 省略的键使用默认值。百分比以百分数表示（70 表示 70%），金额以元为单位（最多两位小数）。
#
# A bank edits this file; it is checked when loaded: an unknown key, a value of the wrong type or
# out of range is refused with an error naming the key. A key left out keeps its default.
# Percentages are in percent (70 means 70 %); amounts are in yuan (at most two decimals).
"""


def _field_types() -> dict[str, str]:
    return {spec.name: str(spec.type) for spec in fields(Policy)}


def _documented_keys() -> tuple[str, ...]:
    return tuple(key for _, entries in _SECTIONS for key, _, _ in entries)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, tuple):
        return "[" + ", ".join(json.dumps(item, ensure_ascii=False) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to a policy file")  # pragma: no cover


def policy_values(policy: Policy) -> dict[str, str]:
    """Every setting as the text a policy file would hold for it: what the audit log records
    when the policy in force changes (exact, no float)."""
    return {spec.name: _toml_value(getattr(policy, spec.name)) for spec in fields(policy)}


def policy_to_toml(policy: Policy = DEFAULT_POLICY) -> str:
    """`policy` as the text of a policy file: every key, each with a comment in Chinese and English.

    Returns text; it writes nothing (the caller chooses where a policy file goes).
    """
    parts = [_HEADER]
    for title, entries in _SECTIONS:
        parts.append(f"\n# --- {title} ---\n")
        for key, zh, en in entries:
            parts.append(f"\n# {zh}\n# {en}\n{key} = {_toml_value(getattr(policy, key))}\n")
    return "".join(parts)


_TYPE_WORDS = {
    "int": "a whole number",
    "bool": "true or false",
    "Decimal": "a number",
    "tuple[str, ...]": "a list of strings",
}


def _toml_type_name(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, Decimal):
        return "a decimal number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"  # a date, a time, a datetime


def _check_type(key: str, kind: str, value: object, path: Path) -> object:
    """`value` converted to the field's type, or PolicyError naming the key."""
    shown = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, Decimal) else str(value)
    wrong = PolicyError(key, f"must be {_TYPE_WORDS[kind]}, not {_toml_type_name(value)} ({shown})", path=path)
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise wrong
        return value
    if kind == "Decimal":
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            raise wrong
        return Decimal(value)
    if kind == "tuple[str, ...]":
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise wrong
        return tuple(value)
    raise AssertionError(f"no loader for {kind}")  # pragma: no cover


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """The policy in the TOML file at `path`; keys left out keep their defaults.

    Raises PolicyError naming the file, and the key when one is to blame, for: a file that cannot
    be read or is not TOML, an unknown key (with the closest known key suggested), a value of the
    wrong type (a string for a number, a decimal for a whole number, ...), and a value out of
    range (a negative number of days, affordability_pct not in (0, 100], max_grace_months not
    below max_term_months, a grace hardship that is not a hardship category, ...).
    """
    file = Path(path)
    try:
        with file.open("rb") as fh:
            data = tomllib.load(fh, parse_float=Decimal)
    except OSError as exc:
        raise PolicyError(None, f"cannot be read: {exc.strerror or exc}", path=file) from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(None, f"is not valid TOML: {exc}", path=file) from None
    types = _field_types()
    values: dict[str, object] = {}
    for key, value in data.items():
        if key not in types:
            close = difflib.get_close_matches(key, list(types), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            if isinstance(value, dict):
                hint = f" (a [{key}] table; the policy file has plain keys only, no tables)"
            raise PolicyError(key, f"unknown key{hint}", path=file)
        values[key] = _check_type(key, types[key], value, file)
    try:
        return Policy(**values)  # type: ignore[arg-type]
    except PolicyError as exc:
        raise PolicyError(exc.key, exc.problem, path=file) from None
    except (TypeError, ValueError) as exc:  # pragma: no cover - the type checks above come first
        raise PolicyError(None, str(exc), path=file) from None
