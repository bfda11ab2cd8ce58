"""Messages from the bank: newest first, unread marked, phrased from kind and parameters in both
languages; Enter marks a message read and opens its application's progress."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from app_factory import (
    SIZE,
    footer_descriptions,
    make_app,
    open_screen,
    reviewed,
    row_texts,
    settle,
    text_of,
)

from wsnego_tui.config import Settings
from wsnego_tui.core.clock import CHINA_TZ, FixedClock
from wsnego_tui.core.views import NotificationView
from wsnego_tui.i18n import Translator
from wsnego_tui.screens.inbox import InboxScreen, notification_text, notification_title
from wsnego_tui.screens.progress import ProgressScreen
from wsnego_tui.services import Services
from wsnego_tui.widgets.line_table import LineTable


async def test_the_offer_ready_message_appears_after_the_review_unread_and_phrased(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    reviewed(sqlite_demo_services, tmp_path / "proofs")
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000001", "111111", InboxScreen)
        # 张伟's first loan also has an installment due today: its reminder came at the same time.
        assert text_of(screen.query_one("#inbox-summary")) == "共2条消息，2条未读"
        assert sorted(row_texts(screen.query_one(LineTable))) == [
            ["未读", "2026年11月28日 09:30", "协商方案已给出"],
            ["未读", "2026年11月28日 09:30", "还款即将到期"],
        ]
        offer_row = await highlight(pilot, screen, "协商方案已给出")
        assert text_of(screen.query_one("#inbox-detail")) == (
            "银行已为您的申请给出4个协商方案，请于2026年12月5日前在审核进度中查看并答复。\n"
            "按回车标为已读，并查看这笔申请的审核进度。"
        )
        assert footer_descriptions(app)["enter"] == "查看"
        await pilot.press("f2")
        await settle(pilot)
        assert row_texts(screen.query_one(LineTable))[offer_row] == ["New", "28 Nov 2026 09:30", "Offers ready"]
        assert text_of(screen.query_one("#inbox-detail")).startswith(
            "The bank made 4 offer(s) on your application. See and answer them in the review progress by 5 Dec 2026."
        )


async def test_enter_marks_the_message_read_and_opens_the_applications_progress(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    customer, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000001", "111111", InboxScreen)
        await highlight(pilot, screen, "协商方案已给出")  # the offer message, beside a payment reminder
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ProgressScreen) and app.screen.application_id == application
        read = {note.kind: note.read for note in sqlite_demo_services.inbox(customer)}
        assert read == {"installment_due": False, "offer_ready": True}
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert text_of(screen.query_one("#inbox-summary")) == "共2条消息，1条未读"
        assert {row[2]: row[0] for row in row_texts(screen.query_one(LineTable))} == {
            "协商方案已给出": "已读", "还款即将到期": "未读",
        }


async def test_a_reminder_of_an_installment_due_soon_leads_to_paying_it(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services
) -> None:
    """李娜 (80000002) has a plan installment due on 1 December, three days ahead: her inbox
    reminds her once, and Enter marks it read and opens the payment of that loan."""
    from wsnego_tui.screens.repay import RepayScreen

    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000002", "222222", InboxScreen)
        assert row_texts(screen.query_one(LineTable)) == [["未读", "2026年11月28日 09:30", "还款即将到期"]]
        assert text_of(screen.query_one("#inbox-detail")) == (
            "您有一期还款即将到期：2026年12月1日应还 ¥2,207.25。\n按回车标为已读，并前往还款。"
        )
        (reminder,) = screen.notes
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RepayScreen) and app.screen.loan_id == reminder.loan_id
        customer = app.customer
        assert customer is not None
        assert [(n.kind, n.read) for n in sqlite_demo_services.inbox(customer.id)] == [("installment_due", True)]


async def test_messages_come_newest_first(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path
) -> None:
    customer, application = reviewed(sqlite_demo_services, tmp_path / "proofs")
    _, offers = sqlite_demo_services.offers(customer, application)
    clock.advance(dt.timedelta(hours=2))
    sqlite_demo_services.accept_offer(customer, application, offers[1].id, pin="111111", last4="0001")
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000001", "111111", InboxScreen)
        rows = row_texts(screen.query_one(LineTable))
        assert rows[0] == ["未读", "2026年11月28日 11:30", "新还款计划已生效"]
        assert sorted(rows[1:]) == [  # both at 09:30: the offers, and the reminder of today's installment
            ["未读", "2026年11月28日 09:30", "协商方案已给出"],
            ["未读", "2026年11月28日 09:30", "还款即将到期"],
        ]
        assert text_of(screen.query_one("#inbox-detail")).startswith("新还款计划已生效：共60期，每月 ¥720.81。请按时还款。")


async def test_an_empty_inbox_says_so_and_offers_nothing_to_open(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services
) -> None:
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "80000005", "555555", InboxScreen)
        assert text_of(screen.query_one("#inbox-summary")) == "暂无消息。"
        assert "enter" not in footer_descriptions(app)


async def highlight(pilot, screen: InboxScreen, title: str) -> int:  # type: ignore[no-untyped-def]
    """Move the cursor to the message titled `title`; its row index."""
    table = screen.query_one(LineTable)
    row = [r[2] for r in row_texts(table)].index(title)
    table.move_cursor(row=row)
    await settle(pilot)
    return row


def note(kind: str, **params: object) -> NotificationView:
    return NotificationView(1, kind, 1, 3, params, dt.datetime(2026, 11, 28, 9, 30, tzinfo=CHINA_TZ), False)


@pytest.mark.parametrize(
    ("kind", "params", "zh", "en"),
    [
        (
            "materials_requested", {"missing": ["income", "expense"], "answer_by": "2026-12-12"},
            "您的申请需要补交：收入证明、支出证明。请于2026年12月12日前在审核进度中补交。",
            "Your application needs: proof of income, proof of expenses. Send them from the review progress by 12 Dec 2026.",
        ),
        (
            "rejected", {"rule": "settlement.lump_sum_covers"},
            "您的申请未通过：可一次性支付的金额不足以结清应还金额。",
            "Your application was rejected: the lump sum available does not cover the amount due.",
        ),
        (
            "expired", {"was": "offer_issued"},
            "您的申请已过期：未在有效期内答复协商方案，方案已失效。",
            "Your application expired: The offers were not answered in time and lapsed.",
        ),
        (
            "needs_officer", {},
            "您的申请已转交审核员人工审核，结果会在审核进度中显示。",
            "An officer reviews your application; the result will show in the review progress.",
        ),
        (
            "installment_due", {"due_date": "2026-12-28", "amount": "720.81"},
            "您有一期还款即将到期：2026年12月28日应还 ¥720.81。",
            "A payment is due soon: ¥720.81 on 28 Dec 2026.",
        ),
        ("installment_due", {}, "您有一期还款即将到期，请按时还款。", "A payment is due soon; please pay on time."),
        (
            "plan_broken", {},
            "您的协商还款计划已违约。可以在贷款详情中了解二次协商或协商一次性还款。",
            "Your negotiated plan is broken. The loan's page explains a second negotiation or a settlement.",
        ),
        ("settled", {}, "您的贷款已通过协商一次性还款结清。", "Your loan is settled by a negotiated one-time settlement."),
        (
            "rejected", {"rule": "officer.insufficient_evidence", "remedy": "请补充近6个月银行流水。"},
            "您的申请未通过：证明材料不足以说明还款困难。\n审核员说明：请补充近6个月银行流水。",
            "Your application was rejected: the proofs do not show the hardship well enough.\n"
            "The officer's note: 请补充近6个月银行流水。",
        ),
        ("something_new", {}, "银行给您发来一条消息。", "The bank sent you a message."),
    ],
)
def test_every_kind_of_message_is_phrased_in_both_languages(kind: str, params: dict[str, object], zh: str, en: str) -> None:
    assert notification_text(Translator("zh"), note(kind, **params)) == zh
    assert notification_text(Translator("en"), note(kind, **params)) == en


def test_a_message_parameter_that_looks_like_markup_stays_text() -> None:
    evil = note("rejected", rule="[@click=app.quit]x[/]\x1b[2J")
    assert notification_text(Translator("zh"), evil) == "您的申请未通过：[@click=app.quit]x[/][2J。"
    assert notification_title(Translator("en"), note("[b]odd[/b]")) == "[b]odd[/b]"
