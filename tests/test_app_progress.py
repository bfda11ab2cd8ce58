"""Step 7, review progress: the timeline, the deadline, the keys the status allows, and the
screen following changes made elsewhere (another process) without a key press.

Applications are driven through the services in the set-up, exactly as the borrower's earlier
steps would (start, form, proof file, submit); the review then happens when a reader catches up.
The set-up helpers (submit, reviewed, open_screen, wait_until) live in app_factory.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from app_factory import (
    FIRST_FORM,
    SIZE,
    footer_descriptions,
    make_app,
    open_screen,
    reviewed,
    settle,
    submit,
    text_of,
    wait_until,
)
from textual.screen import Screen

from wsnego_tui.config import Settings
from wsnego_tui.core.clock import CHINA_TZ, FixedClock
from wsnego_tui.core.policy import DEFAULT_POLICY
from wsnego_tui.core.views import CustomerView, TimelineEvent
from wsnego_tui.i18n import Translator
from wsnego_tui.screens.progress import ProgressScreen, officer_note, reason_text
from wsnego_tui.services import Services


def status_of(screen: Screen[object]) -> str:
    return text_of(screen.query_one("#progress-status"))


def last_event(screen: ProgressScreen) -> str:
    texts = screen.event_texts
    return texts[-1] if texts else ""


async def test_the_timeline_shows_each_step_with_its_time_reason_and_deadline(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    customer, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000001", "111111", lambda c: ProgressScreen(c, application))
        assert isinstance(screen, ProgressScreen)
        assert screen.event_texts == [
            "2026年11月28日 09:30   已提交   您   截止 2026年12月19日 09:30\n申请已提交，等待审核。",
            "2026年11月28日 09:30   审核中   自动审核\n银行正在审核。",
            "2026年11月28日 09:30   方案待确认   自动审核   截止 2026年12月5日 23:59\n"
            "银行给出了4个协商方案，请在截止时间前选择。",
        ]
        assert status_of(screen) == "当前状态：方案待确认"
        assert text_of(screen.query_one("#progress-deadline")) == "答复协商方案的截止时间：2026年12月5日 23:59（还剩7天）"
        assert text_of(screen.query_one("#progress-heading")) == "协商还款申请（编号 3）  贷款编号 WS202603000001"
        keys = footer_descriptions(app)
        assert keys["o"] == "查看方案" and keys["w"] == "撤回申请" and "a" not in keys

        await pilot.press("f2")
        await settle(pilot)
        assert screen.event_texts[-1] == (
            "28 Nov 2026 09:30   offer to answer   automatic review   due by 5 Dec 2026 23:59\n"
            "The bank made 4 offer(s); choose one before the deadline."
        )
        assert text_of(screen.query_one("#progress-deadline")) == "Answer the offers by 5 Dec 2026 23:59 (7 days left)"


async def test_o_opens_the_offers_and_esc_comes_back(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    from wsnego_tui.screens.offers import OffersScreen

    _, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000001", "111111", lambda c: ProgressScreen(c, application))
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, OffersScreen) and app.screen.application_id == application
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


async def test_a_review_done_by_another_process_appears_without_a_key_press(
    settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    """The review waits a minute (review_delay_seconds); when the minute has passed, a second
    Services on the same database (another session, another process) catches up and issues
    the offers. The open screen shows them within a few seconds, though nobody pressed a key."""
    policy = dataclasses.replace(DEFAULT_POLICY, review_delay_seconds=60)
    services = Services(settings, clock, policy)
    services.prepare()
    services.load_demo()
    other = Services(settings, clock, policy)
    try:
        _, application = submit(services, tmp_path / "proofs")
        app = make_app(settings, clock, services=services)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_screen(pilot, "80000001", "111111", lambda c: ProgressScreen(c, application))
            assert status_of(screen) == "当前状态：已提交"
            assert "o" not in footer_descriptions(app)
            clock.advance(dt.timedelta(seconds=61))
            other.catch_up()
            took = await wait_until(pilot, lambda: status_of(screen) == "当前状态：方案待确认")
            assert took < ProgressScreen.POLL_SECONDS + 8  # a few seconds, even on a busy machine
            # The timeline's new entries are mounted a moment after the status line is updated.
            await wait_until(pilot, lambda: "银行给出了4个协商方案" in last_event(screen))
            assert footer_descriptions(app)["o"] == "查看方案"
    finally:
        other.close()
        services.close()


async def test_a_withdrawal_made_elsewhere_appears_within_a_few_seconds(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    customer, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    other = Services(sqlite_demo_services.settings, clock)
    try:
        app = make_app(settings, clock, services=sqlite_demo_services)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_screen(pilot, "80000001", "111111", lambda c: ProgressScreen(c, application))
            assert status_of(screen) == "当前状态：方案待确认"
            first_entry = screen.query_one(".progress-event")
            await pilot.pause(ProgressScreen.POLL_SECONDS + 1)  # a look at an unchanged application...
            await settle(pilot)
            assert screen.query_one(".progress-event") is first_entry  # ...draws nothing again
            other.withdraw_application(customer, application)
            took = await wait_until(pilot, lambda: status_of(screen) == "当前状态：已撤回")
            assert took < ProgressScreen.POLL_SECONDS + 8  # a few seconds, even on a busy machine
            await wait_until(pilot, lambda: last_event(screen).startswith("2026年11月28日 09:30   已撤回   您"))
            keys = footer_descriptions(app)
            assert "o" not in keys and "w" not in keys
            assert text_of(screen.query_one("#progress-deadline")) == "当前步骤没有截止时间。"
    finally:
        other.close()


async def test_withdrawing_asks_first_and_then_withdraws_in_the_database(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    from wsnego_tui.screens.confirm import QuestionDialog

    customer, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000001", "111111", lambda c: ProgressScreen(c, application))
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, QuestionDialog)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen
        assert sqlite_demo_services.application(customer, application).status == "offer_issued"

        await pilot.press("w")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        # The worker commits before the screen hears of it: wait for the screen, then check both.
        await wait_until(pilot, lambda: status_of(screen) == "当前状态：已撤回")
        assert sqlite_demo_services.application(customer, application).status == "withdrawn"
        assert "w" not in footer_descriptions(app)


class StandInProofsScreen(Screen[None]):
    """Takes the place of step 6's ProofsScreen: this test is about where `a` leads."""

    def __init__(self, customer: CustomerView, application_id: int) -> None:
        super().__init__()
        self.customer = customer
        self.application_id = application_id


async def test_a_materials_request_names_what_is_missing_and_a_opens_the_proofs(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Submitted while the bank did not ask for hardship evidence; the bank's policy then
    asks for it (another session with the new policy reviews): materials are requested."""
    import wsnego_tui.screens.proofs

    monkeypatch.setattr(wsnego_tui.screens.proofs, "ProofsScreen", StandInProofsScreen)
    lenient = Services(
        sqlite_demo_services.settings, clock, dataclasses.replace(DEFAULT_POLICY, first_requires_hardship_proof=False)
    )
    try:
        customer, application = submit(lenient, tmp_path / "proofs", proofs=())
    finally:
        lenient.close()
    sqlite_demo_services.catch_up()
    assert sqlite_demo_services.application(customer, application).status == "materials_requested"
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000001", "111111", lambda c: ProgressScreen(c, application))
        assert screen.event_texts[-1] == (
            "2026年11月28日 09:30   待补材料   自动审核   截止 2026年12月12日 23:59\n需要补交：困难证明。"
        )
        assert text_of(screen.query_one("#progress-deadline")) == "补交材料的截止时间：2026年12月12日 23:59（还剩14天）"
        assert footer_descriptions(app)["a"] == "补交材料"
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, StandInProofsScreen) and app.screen.application_id == application


async def test_a_rejection_names_the_rule_in_plain_words(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    broke = FIRST_FORM.merged(monthly_income=Decimal("3000.00"), essential_expenses=Decimal("3000.00"))
    _, application = reviewed(sqlite_demo_services, tmp_path / "proofs", form=broke)
    app = make_app(settings, clock, lang="en", services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000001", "111111", lambda c: ProgressScreen(c, application))
        assert status_of(screen) == "Status: rejected"
        assert screen.event_texts[-1].endswith(
            "Reason: nothing is left of the income after essential expenses and other debt, so no plan is affordable."
        )
        assert "w" not in footer_descriptions(app)


async def test_a_broken_plan_and_its_history_read_in_order(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services
) -> None:
    """王芳 (80000003, demo data): her first plan was accepted and later broken."""
    customer = sqlite_demo_services.login("80000003", "333333").customer
    assert customer is not None
    (application,) = sqlite_demo_services.applications_of(customer.id)
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000003", "333333", lambda c: ProgressScreen(c, application.id))
        statuses = [text.split("   ")[1] for text in screen.event_texts]
        assert statuses == ["已提交", "审核中", "方案待确认", "已接受", "计划执行中", "已违约"]
        assert screen.event_texts[-1].endswith("协商计划已违约。")
        assert set(footer_descriptions(app)) >= {"escape", "r"}
        assert not {"a", "o", "w"} & set(footer_descriptions(app))


async def test_another_customers_application_is_not_shown(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    _, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000005", "555555", lambda c: ProgressScreen(c, application))
        assert text_of(screen.query_one("#progress-hint")) == "找不到这笔申请。"
        assert screen.event_texts == []
        assert not {"a", "o", "w"} & set(footer_descriptions(app))


def event(status: str, reason: str | None = None, actor: str = "engine", note: str = "", **detail: object) -> TimelineEvent:
    at = dt.datetime(2026, 11, 28, 9, 30, tzinfo=CHINA_TZ)
    return TimelineEvent(status, at, actor, note, None, reason, dict(detail))


@pytest.mark.parametrize(
    ("case", "zh", "en"),
    [
        (event("offer_issued", "offers", count=2), "银行给出了2个协商方案，请在截止时间前选择。",
         "The bank made 2 offer(s); choose one before the deadline."),
        (event("materials_requested", "missing_proofs", missing=["income", "funds"]), "需要补交：收入证明、资金来源证明。",
         "Still needed: proof of income, proof of funds."),
        (event("under_review", "needs_officer", reasons=["auto.kind_allowed", "auto.waiver_within_limit"]),
         "需要审核员人工审核：这类申请由审核员审核、减免金额超过自动审批额度。",
         "An officer decides: an officer reviews this kind of application, the waiver is above what is approved automatically."),
        (event("under_review", "needs_officer"), "需要审核员人工审核。", "An officer decides."),
        (event("rejected", "negotiations.within_limit"), "未通过的原因：这笔贷款的协商次数已用完（仍可申请协商一次性还款）。",
         "Reason: this loan has used all its negotiations (a one-time settlement is still open)."),
        (event("rejected", "officer.other", actor="officer:90000001"), "未通过的原因：审核员认为暂不符合协商条件。",
         "Reason: the officer found the conditions for a negotiation not met for now."),
        (event("rejected", "something.new"), "未通过的原因：something.new。", "Reason: something.new."),
        (event("broken", "plan_broken"), "连续2期未按时还款，或有一期逾期超过30天，协商计划已违约。",
         "2 installments in a row were missed, or one was more than 30 days late: the negotiated plan is broken."),
        (event("withdrawn", "offers_declined"), "您拒绝了全部协商方案，本次申请结束。",
         "You declined all offers; this application has ended."),
        (event("accepted", "settlement_due", amount="61234.50", pay_by="2026-12-05"),
         "请于2026年12月5日前一次性还清¥61,234.50，逾期未付则本次结清失效。",
         "Pay ¥61,234.50 in one payment by 5 Dec 2026; unpaid, the settlement lapses."),
        (event("expired", "deadline.accepted"), "结清款项未在期限内付清，本次结清失效，贷款恢复原还款计划。",
         "The settlement was not paid in time: it lapsed and the loan returned to its earlier plan."),
    ],
)
def test_every_reason_code_is_phrased_in_both_languages(case: TimelineEvent, zh: str, en: str) -> None:
    assert reason_text(Translator("zh"), case, DEFAULT_POLICY) == zh
    assert reason_text(Translator("en"), case, DEFAULT_POLICY) == en


def test_an_officers_note_is_shown_as_text_and_the_engines_english_note_is_not() -> None:
    tr = Translator("zh")
    assert officer_note(tr, "officer:90000001", "[b]请补充[/b]\x1b[2J银行流水") == "审核员说明：[b]请补充[/b][2J银行流水"
    assert officer_note(tr, "engine", "A lump sum of at least ¥60,000.00.") is None
    assert officer_note(tr, "officer:90000001", "   ") is None
