"""Step 5, the application form: typed by keyboard on the demo database, checked next to each
field, saved as a draft (never with a field in error) and resumed, with a live preview that
shows exactly what the shared calculator computes for the same inputs."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from app_factory import (
    SIZE,
    footer_descriptions,
    log_in,
    make_app,
    settle,
    text_of,
    type_into,
    wait_for_database,
    wait_until,
)
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, Select, TextArea

from wsnego_tui.config import Settings
from wsnego_tui.core.application_form import FieldError, FormFields
from wsnego_tui.core.apr import annualized_rate
from wsnego_tui.core.charges import settlement_quote
from wsnego_tui.core.clock import FixedClock, today
from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.core.policy import DEFAULT_POLICY
from wsnego_tui.core.review import max_installment
from wsnego_tui.core.schedule import GraceKind, Rate, build_schedule
from wsnego_tui.i18n import format_date, format_money
from wsnego_tui.screens import application_form
from wsnego_tui.screens.application_form import (
    WIDGET_IDS,
    ApplicationFormScreen,
    FormReading,
    parse_date_field,
    parse_money_field,
    read_form,
    savable_form,
    visible_errors,
)
from wsnego_tui.screens.proofs import ProofsScreen

FIRST = ApplicationKind.FIRST
SECOND = ApplicationKind.SECOND
SETTLEMENT = ApplicationKind.SETTLEMENT

COMPLETE_FIRST = FormFields(
    hardship_category="job_loss",
    hardship_text="The shop I worked at closed.",
    monthly_income=Decimal("8000.00"),
    essential_expenses=Decimal("3000.00"),
    other_debt=Decimal("500.00"),
    wish_months=24,
)


@pytest.fixture
def proof_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "proofs"
    folder.mkdir()
    return folder


@pytest.fixture
def settings(settings: Settings, proof_folder: Path) -> Settings:
    """The test home, with the proof picker rooted at a temp folder."""
    return replace(settings, extra={**settings.extra, "proof_folders": [str(proof_folder)]})


@pytest.fixture(autouse=True)
def quick_saves(monkeypatch: pytest.MonkeyPatch) -> None:
    """Drafts are saved 0.2 s after the last change instead of 1 s (one test keeps 1 s)."""
    monkeypatch.setattr(application_form, "SAVE_DELAY", 0.2)


# --- helpers -----------------------------------------------------------------------------------


def customer_id(services, customer_no: str) -> int:  # type: ignore[no-untyped-def]
    """The demo customer's id (the demo loads customers in number order)."""
    return int(customer_no) - 80000000


def open_loan(services, customer_no: str, kind: ApplicationKind) -> int:  # type: ignore[no-untyped-def]
    """The first loan of the customer that is open for `kind`."""
    cid = customer_id(services, customer_no)
    for loan in services.loans_of(cid):
        if services.eligibility(cid, loan.loan_id)[kind].open:
            return loan.loan_id
    raise AssertionError(f"no loan of {customer_no} is open for {kind}")


def draft(services, customer_no: str, kind: ApplicationKind, form: FormFields | None = None):  # type: ignore[no-untyped-def]
    """The customer's draft of `kind` (with `form` saved in it, when given)."""
    cid = customer_id(services, customer_no)
    view = services.start_application(cid, open_loan(services, customer_no, kind), kind)
    if form is not None:
        view = services.save_application_form(cid, view.id, form, version=view.version)
    return view


def stored_form(services, customer_no: str, application_id: int) -> FormFields:  # type: ignore[no-untyped-def]
    return services.application(customer_id(services, customer_no), application_id).form


async def open_form(pilot: Pilot[int], services, customer_no: str, pin: str, kind: ApplicationKind) -> ApplicationFormScreen:  # type: ignore[no-untyped-def]
    """Log in and open the form of `kind` for the customer's first loan open for it."""
    await wait_for_database(pilot)
    if pilot.app.customer is None:
        await log_in(pilot, customer_no, pin)
    loan_id = open_loan(services, customer_no, kind)
    pilot.app.push_screen(ApplicationFormScreen(pilot.app.customer, loan_id, kind))
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ApplicationFormScreen)
    assert screen.view is not None and screen.detail is not None
    return screen


async def saved(pilot: Pilot[int]) -> None:
    """Until the debounced save (and its answer) is done: past the save delay, then until no
    save is waiting or under way (on a busy machine the change may reach the form late)."""
    await pilot.pause(application_form.SAVE_DELAY + 0.1)
    screen = pilot.app.screen
    if isinstance(screen, ApplicationFormScreen):
        await wait_until(pilot, lambda: screen._save_timer is None and not screen._saving)
    await settle(pilot)


def message(screen: ApplicationFormScreen, field: str) -> str:
    return text_of(screen.query_one(f"#{WIDGET_IDS[field]}-message"))


def value(screen: ApplicationFormScreen, field: str) -> object:
    widget = screen.query_one(f"#{WIDGET_IDS[field]}")
    if isinstance(widget, Input):
        return widget.value
    if isinstance(widget, TextArea):
        return widget.text
    assert isinstance(widget, Select)
    return None if widget.is_blank() else widget.value


def preview_text(screen: ApplicationFormScreen) -> str:
    return text_of(screen.query_one("#appform-preview-body"))


async def type_field(pilot: Pilot[int], screen: ApplicationFormScreen, field: str, text: str) -> None:
    """Type `text` key by key (a slow typist may see valid prefixes saved on the way)."""
    await type_into(pilot, f"#{WIDGET_IDS[field]}", text)


async def enter_text(pilot: Pilot[int], screen: ApplicationFormScreen, field: str, text: str) -> None:
    """Replace the text of a field at once, as a quick typist or an input method does."""
    widget = screen.query_one(f"#{WIDGET_IDS[field]}", Input)
    widget.focus()
    widget.value = text
    await pilot.pause()


# --- typing, saving, resuming ------------------------------------------------------------------


async def test_a_form_filled_by_keyboard_is_saved_and_resumed_after_leaving(
    settings: Settings, clock: FixedClock, sqlite_demo_services
) -> None:  # type: ignore[no-untyped-def]
    services = sqlite_demo_services
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot, services, "80000001", "111111", FIRST)
        assert screen.query_one(f"#{WIDGET_IDS['hardship_category']}").has_focus
        await pilot.press("enter", "down", "down", "enter")  # the second category: job loss
        await pilot.press("tab", *"shop closed", "tab")
        await pilot.press(*"8000", "enter")  # Enter goes on to the next field, like Tab
        await pilot.press(*"3000.50", "tab", *"500", "tab")
        await pilot.press("tab", *"24", "tab")  # skip the monthly amount, give a term
        await pilot.press("enter", "down", "enter", "tab")  # grace: 1 month
        await pilot.press("enter", "down", "down", "enter")  # grace kind: deferral
        await saved(pilot)
        application_id = screen.view.id  # type: ignore[union-attr]
        expected = FormFields(
            hardship_category="job_loss", hardship_text="shop closed", monthly_income=Decimal("8000.00"),
            essential_expenses=Decimal("3000.50"), other_debt=Decimal("500.00"), wish_months=24,
            grace_months=1, grace_kind="deferral",
        )
        assert stored_form(services, "80000001", application_id) == expected
        assert text_of(screen.query_one("#appform-status")).startswith("草稿已保存")

        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ApplicationFormScreen)

        again = await open_form(pilot, services, "80000001", "111111", FIRST)
        assert again.view is not None and again.view.id == application_id
        assert [value(again, name) for name in again.field_names] == [
            "job_loss", "shop closed", "8000.00", "3000.50", "500.00", "", "24", 1, "deferral",
        ]
        assert text_of(again.query_one("#disposable")) == "¥4,499.50"


async def test_a_change_is_saved_about_a_second_after_the_last_key(
    settings: Settings, clock: FixedClock, sqlite_demo_services, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(application_form, "SAVE_DELAY", 1.0)
    services = sqlite_demo_services
    view = draft(services, "80000001", FIRST, COMPLETE_FIRST)
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot, services, "80000001", "111111", FIRST)
        await enter_text(pilot, screen, "monthly_income", "9000")
        await pilot.pause(0.3)
        assert stored_form(services, "80000001", view.id).monthly_income == Decimal("8000.00")
        assert text_of(screen.query_one("#appform-status")) == "有未保存的更改，稍后自动保存。"
        await pilot.pause(1.0)
        await settle(pilot)
        assert stored_form(services, "80000001", view.id).monthly_income == Decimal("9000.00")


@pytest.mark.parametrize("key", ["escape", "ctrl+q"])
async def test_leaving_saves_what_is_pending_first(
    settings: Settings, clock: FixedClock, sqlite_demo_services, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:  # type: ignore[no-untyped-def]
    """Esc goes back, Ctrl+Q ends the app: either way the change waiting for its delayed save
    is saved first."""
    monkeypatch.setattr(application_form, "SAVE_DELAY", 30)
    services = sqlite_demo_services
    view = draft(services, "80000001", FIRST, COMPLETE_FIRST)
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot, services, "80000001", "111111", FIRST)
        await type_field(pilot, screen, "other_debt", "650")
        await pilot.press(key)
        await settle(pilot)
        if key == "escape":
            assert app.screen is not screen
    if key == "ctrl+q":
        assert app.return_code == 0
    assert stored_form(services, "80000001", view.id).other_debt == Decimal("650.00")


# --- bad input ---------------------------------------------------------------------------------


BAD_INPUT = [
    ("monthly_income", "8000a", "请输入数字金额"),
    ("monthly_income", "-8000", "不能为负数"),
    ("monthly_income", "8000.005", "最多两位小数"),
    ("monthly_income", "0", "须大于零"),
    ("monthly_income", "99999999", "不能超过¥9,999,999.99"),
    ("essential_expenses", "三千", "请输入数字金额"),
    ("essential_expenses", "-1", "不能为负数"),
    ("other_debt", "1.234", "最多两位小数"),
    ("other_debt", "5e3", "请输入数字金额"),
    ("wish_months", "two", "请输入整数"),
    ("wish_months", "61", "须在1到60之间"),
    ("wish_months", "0", "须在1到60之间"),
]


async def test_bad_input_is_refused_next_to_the_field_and_the_saved_value_stays(
    settings: Settings, clock: FixedClock, sqlite_demo_services
) -> None:  # type: ignore[no-untyped-def]
    """Letters, a minus sign, three decimals, zero income, too large, not a whole number of
    months, out of the policy's range: each is named next to its field, and the database
    keeps the last valid draft."""
    services = sqlite_demo_services
    view = draft(services, "80000001", FIRST, COMPLETE_FIRST)
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot, services, "80000001", "111111", FIRST)
        for field, typed, shown in BAD_INPUT:
            before = value(screen, field)
            await enter_text(pilot, screen, field, typed)
            await saved(pilot)
            assert (field, typed, message(screen, field)) == (field, typed, shown)
            assert screen.query_one(f"#{WIDGET_IDS[field]}").has_class("-invalid")
            assert value(screen, field) == typed
            assert stored_form(services, "80000001", view.id) == COMPLETE_FIRST
            assert "标出的项目未保存" in text_of(screen.query_one("#appform-status"))
            await enter_text(pilot, screen, field, str(before))
            await saved(pilot)
            assert message(screen, field) in ("", "月供或期数填一项")


async def test_full_width_digits_from_a_chinese_input_method_are_read_as_digits(
    settings: Settings, clock: FixedClock, sqlite_demo_services
) -> None:  # type: ignore[no-untyped-def]
    services = sqlite_demo_services
    view = draft(services, "80000001", FIRST, COMPLETE_FIRST)
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot, services, "80000001", "111111", FIRST)
        await enter_text(pilot, screen, "monthly_income", "７５００．５")
        await saved(pilot)
        assert message(screen, "monthly_income") == ""
        assert stored_form(services, "80000001", view.id).monthly_income == Decimal("7500.50")


async def test_emptying_a_required_field_says_so_and_keeps_the_saved_value(
    settings: Settings, clock: FixedClock, sqlite_demo_services
) -> None:  # type: ignore[no-untyped-def]
    services = sqlite_demo_services
    view = draft(services, "80000001", FIRST, COMPLETE_FIRST)
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot, services, "80000001", "111111", FIRST)
        await type_field(pilot, screen, "monthly_income", "")
        await type_field(pilot, screen, "wish_months", "")
        screen.query_one(f"#{WIDGET_IDS['hardship_text']}", TextArea).focus()
        screen.query_one(f"#{WIDGET_IDS['hardship_text']}", TextArea).load_text("   ")
        await saved(pilot)
        assert message(screen, "monthly_income") == "必填"
        assert message(screen, "wish_months") == "请填写月供或期数"
        assert message(screen, "hardship_text").endswith("必填")
        assert stored_form(services, "80000001", view.id) == COMPLETE_FIRST


async def test_a_501_character_description_is_refused_with_the_counter_over_the_limit(
    settings: Settings, clock: FixedClock, sqlite_demo_services
) -> None:  # type: ignore[no-untyped-def]
    services = sqlite_demo_services
    view = draft(services, "80000001", FIRST, COMPLETE_FIRST)
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot, services, "80000001", "111111", FIRST)
        text_area = screen.query_one(f"#{WIDGET_IDS['hardship_text']}", TextArea)
        text_area.focus()
        text_area.load_text("")
        await pilot.pause()
        app.post_message(events.Paste("难" * 500))
        await saved(pilot)
        assert message(screen, "hardship_text") == "500/500字"
        assert stored_form(services, "80000001", view.id).hardship_text == "难" * 500
        await pilot.press("x")
        await saved(pilot)
        assert message(screen, "hardship_text") == "501/500字\n最多500字"
        assert stored_form(services, "80000001", view.id).hardship_text == "难" * 500


@pytest.mark.parametrize("pasted", ["\x1b[2J8000", "80\u202e00", "8000\x07"])
async def test_a_paste_with_control_or_bidi_characters_into_an_amount_is_refused_whole(
    settings: Settings, clock: FixedClock, sqlite_demo_services, pasted: str
) -> None:  # type: ignore[no-untyped-def]
    services = sqlite_demo_services
    view = draft(services, "80000001", FIRST, COMPLETE_FIRST)
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot, services, "80000001", "111111", FIRST)
        field = screen.query_one(f"#{WIDGET_IDS['other_debt']}", Input)
        field.focus()
        await pilot.pause()
        app.post_message(events.Paste(pasted))
        await saved(pilot)
        assert field.value == "500.00"
        assert message(screen, "other_debt") == "粘贴内容含控制字符，已拒绝"
        assert stored_form(services, "80000001", view.id) == COMPLETE_FIRST
        await pilot.press("end", "backspace")  # the next edit is an ordinary one again
        await saved(pilot)
        assert message(screen, "other_debt") == ""
        assert stored_form(services, "80000001", view.id).other_debt == Decimal("500.00")


async def test_a_paste_with_escape_sequences_into_the_description_is_refused_whole(
    settings: Settings, clock: FixedClock, sqlite_demo_services
) -> None:  # type: ignore[no-untyped-def]
    services = sqlite_demo_services
    view = draft(services, "80000001", FIRST, COMPLETE_FIRST)
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot, services, "80000001", "111111", FIRST)
        text_area = screen.query_one(f"#{WIDGET_IDS['hardship_text']}", TextArea)
        text_area.focus()
        await pilot.pause()
        app.post_message(events.Paste("\x1b]52;c;cm0gLXJmIH4=\x07 and \u2067hidden\u2069"))
        await saved(pilot)
        assert text_area.text == COMPLETE_FIRST.hardship_text
        assert message(screen, "hardship_text").endswith("粘贴内容含控制字符，已拒绝")
        assert stored_form(services, "80000001", view.id) == COMPLETE_FIRST
        text_area.move_cursor(text_area.document.end)
        app.post_message(events.Paste("\nLine two, [b]not bold[/b]."))
        await saved(pilot)
        stored = stored_form(services, "80000001", view.id).hardship_text
        assert stored == COMPLETE_FIRST.hardship_text + "\nLine two, [b]not bold[/b]."


async def test_the_settlement_date_is_checked_as_it_is_typed(
    settings: Settings, clock: FixedClock, sqlite_demo_services
) -> None:  # type: ignore[no-untyped-def]
    """ISO dates, and the Chinese way of writing them; never a past day, nor beyond the
    window a settlement can be paid in."""
    services = sqlite_demo_services
    view = draft(services, "80000004", SETTLEMENT)
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot, services, "80000004", "444444", SETTLEMENT)
        for typed, shown, stored in [
            ("2026-12-01", "", dt.date(2026, 12, 1)),
            ("2026年12月3日", "", dt.date(2026, 12, 3)),
            ("2026-13-01", "日期格式如 2026-12-01", dt.date(2026, 12, 3)),
            ("next week", "日期格式如 2026-12-01", dt.date(2026, 12, 3)),
            ("2026-11-27", "不能早于今天", dt.date(2026, 12, 3)),
            ("2027-01-15", "须在今后30天内", dt.date(2026, 12, 3)),
        ]:
            await enter_text(pilot, screen, "lump_date", typed)
            await saved(pilot)
            assert (typed, message(screen, "lump_date")) == (typed, shown)
            assert stored_form(services, "80000004", view.id).lump_date == stored


async def test_a_second_negotiation_may_have_grace_only_for_illness_or_job_loss(
    settings: Settings, clock: FixedClock, sqlite_demo_services
) -> None:  # type: ignore[no-untyped-def]
    services = sqlite_demo_services
    view = draft(services, "80000002", SECOND, replace(COMPLETE_FIRST, hardship_category="income_drop"))
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot, services, "80000002", "222222", SECOND)
        assert "【二次协商还款】" in screen.sub_title
        grace = screen.query_one(f"#{WIDGET_IDS['grace_months']}", Select)
        grace.focus()
        await pilot.press("enter", "down", "enter")
        await saved(pilot)
        assert message(screen, "grace_months") == "二次协商仅疾病或失业可申请宽限期"
        assert stored_form(services, "80000002", view.id).grace_months == 0
        category = screen.query_one(f"#{WIDGET_IDS['hardship_category']}", Select)
        category.value = "illness"
        await saved(pilot)
        assert message(screen, "grace_months") == ""
        assert message(screen, "grace_kind") == "必填"
        kind = screen.query_one(f"#{WIDGET_IDS['grace_kind']}", Select)
        assert not kind.disabled
        kind.value = GraceKind.INTEREST_ONLY.value
        await saved(pilot)
        form = stored_form(services, "80000002", view.id)
        assert (form.hardship_category, form.grace_months, form.grace_kind) == ("illness", 1, "interest-only")


async def test_someone_elses_change_reloads_the_form_and_says_so(
    settings: Settings, clock: FixedClock, sqlite_demo_services
) -> None:  # type: ignore[no-untyped-def]
    """Two terminals on one draft: the second save must not overwrite what the first stored."""
    services = sqlite_demo_services
    view = draft(services, "80000001", FIRST, COMPLETE_FIRST)
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot, services, "80000001", "111111", FIRST)
        services.save_application_form(
            customer_id(services, "80000001"), view.id, replace(COMPLETE_FIRST, monthly_income=Decimal("9100.00")),
            version=view.version,
        )
        await enter_text(pilot, screen, "other_debt", "700")
        await saved(pilot)
        assert text_of(screen.query_one("#appform-status")) == "申请已在别处修改，已重新载入最新内容。"
        assert value(screen, "monthly_income") == "9100.00"
        assert value(screen, "other_debt") == "500.00"
        assert stored_form(services, "80000001", view.id).monthly_income == Decimal("9100.00")
        await enter_text(pilot, screen, "other_debt", "700")
        await saved(pilot)
        assert stored_form(services, "80000001", view.id).other_debt == Decimal("700.00")


# --- the preview -------------------------------------------------------------------------------


def first_loan_inputs(services) -> tuple[Decimal, Rate]:  # type: ignore[no-untyped-def]
    """What the engine would renegotiate for 80000001's overdue loan: outstanding principal and
    overdue interest (a first negotiation waives all penalty interest), at the contract rate."""
    cid = customer_id(services, "80000001")
    detail = services.loan_detail(cid, open_loan(services, "80000001", FIRST))
    plan = detail.active_plan
    assert plan is not None
    return detail.summary.outstanding_principal + detail.summary.overdue_interest, Rate.annual(plan.annual_rate_pct)


async def test_the_preview_shows_the_calculators_numbers_for_the_term_asked_for(
    settings: Settings, clock: FixedClock, sqlite_demo_services
) -> None:  # type: ignore[no-untyped-def]
    services = sqlite_demo_services
    draft(services, "80000001", FIRST, replace(COMPLETE_FIRST, wish_months=None))
    principal, rate = first_loan_inputs(services)
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot, services, "80000001", "111111", FIRST)
        assert "填写期望月供或期数后显示方案。" in preview_text(screen)
        await type_field(pilot, screen, "wish_months", "24")
        expected = build_schedule(principal, rate, 24, start=today(clock))
        apr = annualized_rate(expected)
        limit = max_installment(Decimal("4500.00"), DEFAULT_POLICY)
        assert screen.preview is not None and screen.preview.schedule == expected
        shown = preview_text(screen)
        for figure in (
            format_money(principal), format_money(expected.installment), format_money(expected.total_interest),
            format_date("zh", expected.end_date), f"{apr.nominal_str}%", f"{apr.effective_str}%", format_money(limit),
        ):
            assert figure in shown
        assert "24个月" in shown and "月供在可负担范围内。" in shown


async def test_the_preview_says_by_how_much_an_installment_is_above_the_affordable_limit(
    settings: Settings, clock: FixedClock, sqlite_demo_services
) -> None:  # type: ignore[no-untyped-def]
    """Judged on the highest payment, as the review engine judges it."""
    services = sqlite_demo_services
    draft(services, "80000001", FIRST, COMPLETE_FIRST)
    principal, rate = first_loan_inputs(services)
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot, services, "80000001", "111111", FIRST)
        await type_field(pilot, screen, "monthly_income", "3000")
        await type_field(pilot, screen, "essential_expenses", "1500")
        await type_field(pilot, screen, "other_debt", "500")
        plan = build_schedule(principal, rate, 24, start=today(clock))
        highest = max(row.payment for row in plan.rows)  # the last payment takes the residue
        limit = max_installment(Decimal("1000.00"), DEFAULT_POLICY)
        assert limit == Decimal("700.00")
        shown = preview_text(screen)
        assert "最高一期" in shown and format_money(highest) in shown
        assert f"超出70%上限{format_money(highest - limit)}。" in shown


async def test_a_monthly_amount_gives_the_shortest_term_whose_installment_fits(
    settings: Settings, clock: FixedClock, sqlite_demo_services
) -> None:  # type: ignore[no-untyped-def]
    services = sqlite_demo_services
    draft(services, "80000001", FIRST, replace(COMPLETE_FIRST, wish_months=None, grace_months=2, grace_kind="interest-only"))
    principal, rate = first_loan_inputs(services)
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot, services, "80000001", "111111", FIRST)
        await type_field(pilot, screen, "wish_monthly", "1500")
        plans = (
            build_schedule(principal, rate, months, start=today(clock), grace_months=2, grace_kind=GraceKind.INTEREST_ONLY)
            for months in range(3, 61)
        )
        shortest = next(plan for plan in plans if max(row.payment for row in plan.rows) <= Decimal("1500.00"))
        assert screen.preview is not None and screen.preview.schedule == shortest
        shown = preview_text(screen)
        assert f"按期望月供¥1,500.00，最短期数为{shortest.months}个月。" in shown
        assert format_money(shortest.rows[0].payment) in shown  # the interest-only grace payment

        await type_field(pilot, screen, "wish_monthly", "100")
        lowest = max(row.payment for row in build_schedule(
            principal, rate, 60, start=today(clock), grace_months=2, grace_kind=GraceKind.INTEREST_ONLY,
        ).rows)
        assert f"60个月内无法达到月供¥100.00；最低月供为{format_money(lowest)}。" in preview_text(screen)


async def test_typing_a_term_clears_the_monthly_amount_and_the_other_way_round(
    settings: Settings, clock: FixedClock, sqlite_demo_services
) -> None:  # type: ignore[no-untyped-def]
    services = sqlite_demo_services
    view = draft(services, "80000001", FIRST, COMPLETE_FIRST)
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot, services, "80000001", "111111", FIRST)
        await type_field(pilot, screen, "wish_monthly", "2000")
        await saved(pilot)
        assert value(screen, "wish_months") == ""
        form = stored_form(services, "80000001", view.id)
        assert (form.wish_monthly, form.wish_months) == (Decimal("2000.00"), None)


async def test_the_settlement_preview_is_the_quote_with_the_policy_waivers(
    settings: Settings, clock: FixedClock, sqlite_demo_services
) -> None:  # type: ignore[no-untyped-def]
    services = sqlite_demo_services
    draft(services, "80000004", SETTLEMENT)
    cid = customer_id(services, "80000004")
    summary = services.loan_detail(cid, open_loan(services, "80000004", SETTLEMENT)).summary
    quote = settlement_quote(
        summary.outstanding_principal, summary.overdue_interest, summary.overdue_penalty,
        policy=DEFAULT_POLICY, accepted_on=today(clock),
    )
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot, services, "80000004", "444444", SETTLEMENT)
        shown = preview_text(screen)
        for figure in (format_money(quote.total_owed), format_money(quote.total_waived), format_money(quote.amount_due)):
            assert figure in shown
        assert format_date("zh", quote.pay_by) in shown
        await type_field(pilot, screen, "lump_sum", "40000")
        assert f"还差{format_money(quote.amount_due - Decimal('40000.00'))}。" in preview_text(screen)
        await type_field(pilot, screen, "lump_sum", "60000")
        assert "金额足以一次结清。" in preview_text(screen)


# --- going on, title, language -----------------------------------------------------------------


async def test_going_on_to_the_proofs_is_refused_until_the_form_is_complete(
    settings: Settings, clock: FixedClock, sqlite_demo_services
) -> None:  # type: ignore[no-untyped-def]
    services = sqlite_demo_services
    view = draft(services, "80000001", FIRST)
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot, services, "80000001", "111111", FIRST)
        assert footer_descriptions(app)["ctrl+n"] == "下一步：证明材料"
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.screen is screen
        assert text_of(screen.query_one("#appform-status")) == "请先更正标出的项目，再继续。"
        assert message(screen, "hardship_category") == "必填"
        assert message(screen, "monthly_income") == "必填"
        assert message(screen, "wish_months") == "请填写月供或期数"
        assert screen.query_one(f"#{WIDGET_IDS['hardship_category']}").has_focus

        cid = customer_id(services, "80000001")
        services.save_application_form(cid, view.id, COMPLETE_FIRST, version=services.application(cid, view.id).version)
        screen._reload()
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, ProofsScreen)
        assert app.screen.application_id == view.id


async def test_the_form_follows_the_language_key(settings: Settings, clock: FixedClock, sqlite_demo_services) -> None:  # type: ignore[no-untyped-def]
    services = sqlite_demo_services
    draft(services, "80000001", FIRST, COMPLETE_FIRST)
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot, services, "80000001", "111111", FIRST)
        await type_field(pilot, screen, "other_debt", "1.234")
        await pilot.press("f2")
        await settle(pilot)
        assert screen.sub_title == "Step 5 Application   [1st negotiation]"
        assert text_of(screen.query_one("#monthly-income-label")) == "Monthly income"
        assert message(screen, "other_debt") == "At most 2 decimals"
        assert value(screen, "hardship_category") == "job_loss"
        assert "Installment" in preview_text(screen)
        assert footer_descriptions(app)["ctrl+n"] == "Next: proofs"


async def test_the_language_key_keeps_an_open_drop_down_where_it_was(settings: Settings, clock: FixedClock, sqlite_demo_services) -> None:  # type: ignore[no-untyped-def]
    from textual.widgets import OptionList, Select

    services = sqlite_demo_services
    draft(services, "80000001", FIRST, COMPLETE_FIRST)
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot, services, "80000001", "111111", FIRST)
        select = screen.query_one(f"#{WIDGET_IDS['hardship_category']}", Select)
        select.focus()
        await pilot.press("enter", "down", "down")
        await settle(pilot)
        overlay = select.query_one(OptionList)
        assert select.expanded
        highlighted = overlay.highlighted
        assert highlighted is not None
        await pilot.press("f2")
        await settle(pilot)
        assert select.expanded and overlay.highlighted == highlighted
        assert value(screen, "hardship_category") == "job_loss"  # nothing chosen by the switch


async def test_another_customers_loan_cannot_be_filled_in(settings: Settings, clock: FixedClock, sqlite_demo_services) -> None:  # type: ignore[no-untyped-def]
    services = sqlite_demo_services
    foreign_loan = open_loan(services, "80000004", SETTLEMENT)
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await log_in(pilot, "80000001", "111111")
        app.push_screen(ApplicationFormScreen(app.customer, foreign_loan, SETTLEMENT))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ApplicationFormScreen)
        assert text_of(screen.query_one("#appform-status")) == "无法填写此申请：找不到这笔贷款"
        assert not screen.query(f"#{WIDGET_IDS['monthly_income']}")  # no field to type into
        assert "ctrl+n" not in footer_descriptions(app)


# --- the rules behind the screen (pure) ---------------------------------------------------------


def test_an_amount_is_read_by_the_same_parser_as_everywhere_with_its_error_code() -> None:
    assert parse_money_field(" 1,234.5 ") == (Decimal("1234.50"), None)
    assert parse_money_field("") == (None, None)
    assert parse_money_field("12a") == (None, FieldError("not_a_number"))
    assert parse_money_field("-1")[1] == FieldError("negative")
    assert parse_date_field("2026年2月30日") == (None, FieldError("bad_date"))
    assert parse_date_field("２０２６－１２－０１") == (dt.date(2026, 12, 1), None)


def test_a_field_in_error_is_held_back_at_its_saved_value() -> None:
    day = dt.date(2026, 11, 28)
    saved_form = COMPLETE_FIRST
    reading = read_form(
        {"monthly_income": "abc", "essential_expenses": "3100", "other_debt": "", "wish_months": "", "wish_monthly": ""},
        hardship_category="job_loss", hardship_text="x", grace_months=0, grace_kind=None,
    )
    touched = {"monthly_income", "essential_expenses", "other_debt", "wish_months"}
    errors = visible_errors(FIRST, reading, touched, DEFAULT_POLICY, day)
    assert set(errors) == {"monthly_income", "wish_months"}
    candidate = savable_form(FIRST, reading.form, errors, saved_form, DEFAULT_POLICY, day)
    assert candidate == replace(saved_form, hardship_text="x", essential_expenses=Decimal("3100.00"), other_debt=None)


def test_required_fields_are_not_flagged_before_the_borrower_has_been_in_them() -> None:
    reading = FormReading(FormFields(), {})
    assert visible_errors(FIRST, reading, set(), DEFAULT_POLICY, dt.date(2026, 11, 28)) == {}
    assert set(visible_errors(FIRST, reading, {"monthly_income"}, DEFAULT_POLICY, dt.date(2026, 11, 28))) == {"monthly_income"}
