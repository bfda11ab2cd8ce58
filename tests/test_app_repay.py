"""Step 10, repay: the amounts offered, the allocation shown before paying, the explicit
confirmation, one payment however often the key is pressed, the receipt, bad amounts refused
next to the field with nothing paid, and a settlement paid in full settling the loan."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from app_factory import SIZE, footer_descriptions, make_app, row_texts, settle, text_of, type_into, wait_for_database
from sqlmodel import select
from test_app_loan_detail import open_detail
from textual import events
from textual.widgets import Input, OptionList

from wsnego_tui.config import Settings
from wsnego_tui.core.clock import FixedClock
from wsnego_tui.core.views import LoanStatus
from wsnego_tui.screens.loan_detail import LoanDetailScreen
from wsnego_tui.screens.loans import LoansScreen
from wsnego_tui.screens.repay import RepayScreen
from wsnego_tui.widgets.line_table import LineTable


async def open_repay(pilot, customer_no: str, pin: str) -> RepayScreen:  # type: ignore[no-untyped-def]
    await open_detail(pilot, customer_no, pin)
    await pilot.press("p")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, RepayScreen)
    return screen


def payments_of(app, loan_id: int) -> list:  # type: ignore[no-untyped-def]
    """The payments recorded on the loan by this test (read from the store, as a bank would
    audit them): the demo's earlier payments are all dated before the test's fixed clock."""
    from wsnego_tui.store.engine import read_session
    from wsnego_tui.store.models import Payment

    with read_session(app.services.engine) as session:
        rows = session.exec(select(Payment).where(Payment.loan_id == loan_id)).all()
        return [row for row in rows if row.paid_at == app.clock.now()]


def loan_of(app, loan_id: int):  # type: ignore[no-untyped-def]
    return next(loan for loan in app.services.loans_of(app.customer.id) if loan.loan_id == loan_id)


def choices(screen: RepayScreen) -> list[str]:
    option_list = screen.query_one(OptionList)
    return [" ".join(str(option_list.get_option_at_index(i).prompt).split()) for i in range(option_list.option_count)]


async def test_paying_the_next_installment_shows_the_allocation_then_a_receipt_and_clears_the_arrears(
    settings: Settings, clock: FixedClock
) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_repay(pilot, "80000001", "111111")
        options = app.services.payment_options(app.customer.id, screen.loan_id)
        assert choices(screen) == [
            "1 下期应还（含逾期），还款日 2026年11月28日 ¥13,725.67",
            "2 全部逾期 ¥9,226.90",
            "3 全部还清 ¥31,720.77",
            "4 自定义金额（在下面输入）",
        ]
        assert options.next_installment == Decimal("13725.67")
        preview = app.services.payment_preview(app.customer.id, screen.loan_id, options.next_installment)
        rows = row_texts(screen.query_one("#repay-preview", LineTable))
        assert [row[0] for row in rows] == ["6", "7", "8", "合计"]
        assert rows[-1][2:] == ["¥229.36", "¥931.59", "¥12,564.72", "¥13,725.67"]
        assert (preview.to_penalty, preview.to_interest, preview.to_principal) == (
            Decimal("229.36"), Decimal("931.59"), Decimal("12564.72"),
        )
        assert footer_descriptions(app)["enter"] == "核对分配" and "y" not in footer_descriptions(app)
        await pilot.press("y")  # nothing is paid before the confirmation step
        await settle(pilot)
        assert payments_of(app, screen.loan_id) == []

        await pilot.press("enter")
        await settle(pilot)
        assert screen.stage == "confirm"
        assert text_of(screen.query_one("#repay-prompt")).startswith("将还款 ¥13,725.67 至贷款 WS202603000001。")
        assert footer_descriptions(app)["y"] == "确认还款" and footer_descriptions(app)["escape"] == "修改金额"
        await pilot.press("y")
        await settle(pilot)

        assert screen.stage == "done"
        (payment,) = payments_of(app, screen.loan_id)
        assert payment.amount == Decimal("13725.67")
        receipt = text_of(screen.query_one("#repay-receipt"))
        assert f"凭证号：{payment.receipt_no}" in receipt
        assert "还款金额：¥13,725.67　还款时间：2026年11月28日 09:30" in receipt
        assert "其中罚息 ¥229.36，利息 ¥931.59，本金 ¥12,564.72" in receipt
        assert "征信：按时足额还款会如实报送征信" in receipt
        after = loan_of(app, screen.loan_id)
        assert after.overdue_total == 0 and after.days_past_due == 0
        assert "y" not in footer_descriptions(app)

        await pilot.press("escape")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, LoanDetailScreen)
        charges = text_of(detail.query_one("#detail-charges"))
        assert "逾期本金       ¥0.00" in charges and "逾期天数         0天" in charges
        statuses = [row[-1] for row in row_texts(detail.query_one("#detail-schedule", LineTable))]
        assert statuses[:8] == ["已还清"] * 8
        await pilot.press("escape")
        await settle(pilot)
        loans = app.screen
        assert isinstance(loans, LoansScreen)
        assert "逾期合计 ¥0.00" in text_of(loans.query_one("#loans-summary"))


async def test_pressing_the_pay_key_again_and_again_pays_once(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_repay(pilot, "80000001", "111111")
        await pilot.press("2", "enter")
        await settle(pilot)
        assert screen.stage == "confirm" and screen.prepared_amount == Decimal("9226.90")
        await pilot.press("y", "y", "enter", "y")
        await settle(pilot)
        await pilot.press("y", "enter")
        await settle(pilot)
        (payment,) = payments_of(app, screen.loan_id)
        assert payment.amount == Decimal("9226.90")
        assert loan_of(app, screen.loan_id).overdue_total == 0


async def test_a_payment_whose_answer_was_lost_is_retried_with_the_same_key_and_not_paid_twice(
    settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bank took the money but the answer never came back: trying again must not pay again."""
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_repay(pilot, "80000001", "111111")
        real_pay = app.services.pay
        keys: list[str] = []

        def pay_then_lose_the_answer(loan_id, amount, idempotency_key, *, actor):  # type: ignore[no-untyped-def]
            keys.append(idempotency_key)
            receipt = real_pay(loan_id, amount, idempotency_key, actor=actor)
            if len(keys) == 1:
                raise ConnectionError("connection reset")
            return receipt

        monkeypatch.setattr(app.services, "pay", pay_then_lose_the_answer)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert screen.stage == "confirm"
        prompt = text_of(screen.query_one("#repay-prompt"))
        assert prompt.startswith("还款没有完成：暂时无法连接。可以按 y 重试，重试不会重复扣款。")
        await pilot.press("y")
        await settle(pilot)
        assert screen.stage == "done"
        assert len(keys) == 2 and keys[0] == keys[1]
        (payment,) = payments_of(app, screen.loan_id)
        assert payment.idempotency_key == keys[0]
        assert payment.receipt_no in text_of(screen.query_one("#repay-receipt"))


async def test_one_key_per_prepared_amount_a_new_one_when_the_amount_changes(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_repay(pilot, "80000001", "111111")
        await type_into(pilot, "#repay-amount", "100")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.stage == "confirm"
        first_key = screen.idempotency_key
        assert first_key
        await pilot.press("escape")
        await settle(pilot)
        assert screen.stage == "choose" and not screen.query_one(OptionList).disabled
        await pilot.press("enter")  # the same amount again: the same payment, the same key
        await settle(pilot)
        assert screen.idempotency_key == first_key
        await pilot.press("escape")
        await type_into(pilot, "#repay-amount", "200")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.prepared_amount == Decimal("200.00") and screen.idempotency_key not in (None, first_key)
        rows = row_texts(screen.query_one("#repay-preview", LineTable))
        assert rows == [["6", "2026年9月28日", "¥151.46", "¥48.54", "¥0.00", "¥200.00"], ["合计", "", "¥151.46", "¥48.54", "¥0.00", "¥200.00"]]
        await pilot.press("y")
        await settle(pilot)
        (payment,) = payments_of(app, screen.loan_id)
        assert (payment.amount, payment.to_penalty, payment.to_interest) == (Decimal("200.00"), Decimal("151.46"), Decimal("48.54"))


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("abc", "请输入数字金额，如 1234.56"),
        ("12a", "请输入数字金额，如 1234.56"),
        ("-5", "金额不能为负数"),
        ("1.234", "金额最多两位小数"),
        ("", "请输入金额"),
        ("0", "金额须大于零"),
        ("31720.78", "不能超过全部欠款 ¥31,720.77"),
        ("99999999999999", "不能超过全部欠款 ¥31,720.77"),
        ("1" * 30, "不能超过全部欠款 ¥31,720.77"),  # longer than the field
        ("12.3.4", "请输入数字金额，如 1234.56"),  # two decimal points
        ("1e3", "请输入数字金额，如 1234.56"),  # an exponent
    ],
)
async def test_a_bad_amount_is_refused_next_to_the_field_and_nothing_is_paid(
    settings: Settings, clock: FixedClock, typed: str, message: str
) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_repay(pilot, "80000001", "111111")
        before = loan_of(app, screen.loan_id)
        await type_into(pilot, "#repay-amount", typed)
        assert len(screen.query_one("#repay-amount", Input).value) <= 24  # typing stops at the field's length
        await pilot.press("enter")
        await settle(pilot)
        assert text_of(screen.query_one("#repay-amount-error")) == message
        assert screen.stage == "choose" and screen.idempotency_key is None
        await pilot.press("y")
        await settle(pilot)
        assert payments_of(app, screen.loan_id) == []
        assert loan_of(app, screen.loan_id) == before


async def test_pasted_control_characters_are_stripped_and_the_rest_is_refused(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_repay(pilot, "80000001", "111111")
        field = screen.query_one("#repay-amount", Input)
        field.focus()
        await pilot.pause()
        field.post_message(events.Paste("\x1b[31m12\x07\u202e"))
        await settle(pilot)
        assert field.value == "[31m12"
        await pilot.press("enter")
        await settle(pilot)
        assert text_of(screen.query_one("#repay-amount-error")) == "请输入数字金额，如 1234.56"
        assert payments_of(app, screen.loan_id) == []


async def test_an_amount_above_everything_owed_is_refused_in_english_too(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_repay(pilot, "80000001", "111111")
        await type_into(pilot, "#repay-amount", "-5")
        await settle(pilot)
        assert text_of(screen.query_one("#repay-amount-error")) == "The amount cannot be negative"
        await type_into(pilot, "#repay-amount", "40000")
        await pilot.press("enter")
        await settle(pilot)
        assert text_of(screen.query_one("#repay-amount-error")) == "At most everything owed, ¥31,720.77"
        await pilot.press("f2")
        await settle(pilot)
        assert text_of(screen.query_one("#repay-amount-error")) == "不能超过全部欠款 ¥31,720.77"
        assert payments_of(app, screen.loan_id) == []


async def test_escape_while_confirming_goes_back_to_the_choice_and_escape_again_leaves(
    settings: Settings, clock: FixedClock
) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_repay(pilot, "80000001", "111111")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.query_one(OptionList).disabled and screen.query_one("#repay-amount", Input).disabled
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and screen.stage == "choose"
        assert footer_descriptions(app)["escape"] == "返回"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LoanDetailScreen)
        assert payments_of(app, screen.loan_id) == []


def accept_settlement(app, inbox: Path):  # type: ignore[no-untyped-def]
    """Through the services: 80000004's settlement submitted and its one offer accepted; the
    customer, the loan and the offer."""
    from wsnego_tui.core.application_form import FormFields
    from wsnego_tui.core.lifecycle import ApplicationKind
    from wsnego_tui.core.proofs import ProofKind

    services = app.services
    customer = services.login("80000004", "444444").customer
    assert customer is not None
    loan = services.loans_of(customer.id)[0]
    draft = services.start_application(customer.id, loan.loan_id, ApplicationKind.SETTLEMENT)
    form = FormFields(
        hardship_category="business_failure", hardship_text="店铺关闭，亲属借款一次性结清。",
        monthly_income=Decimal("3000.00"), essential_expenses=Decimal("2500.00"),
        lump_sum=Decimal("60000.00"), lump_date=dt.date(2026, 12, 1),
    )
    draft = services.save_application_form(customer.id, draft.id, form, version=draft.version)
    proof = inbox / "funds.pdf"
    proof.write_bytes(b"%PDF-1.4\n%funds\n")
    draft = services.attach_proof(customer.id, draft.id, ProofKind.FUNDS, proof)
    submitted = services.submit_application(customer.id, draft.id, version=draft.version, idempotency_key="settle-1")
    _, (offer,) = services.offers(customer.id, submitted.id)
    services.accept_offer(customer.id, submitted.id, offer.id, pin="444444", last4="0004")
    return customer, loan, offer


async def test_a_settlement_paid_in_full_shows_the_loan_as_settled(settings: Settings, clock: FixedClock, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    app = make_app(dataclasses.replace(settings, extra={"proof_folders": [str(inbox)]}), clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        services = app.services
        customer, loan, offer = accept_settlement(app, inbox)

        screen = await open_repay(pilot, "80000004", "444444")
        options = services.payment_options(customer.id, loan.loan_id)
        assert options.settlement_amount == offer.total_payment
        owed = text_of(screen.query_one("#repay-owed"))
        assert owed.startswith(f"协商结清款 {offer.total_payment:,}".replace("协商结清款 ", "协商结清款 ¥"))
        listed = choices(screen)
        assert listed[2].startswith("3 协商结清款，请于") and listed[2].endswith(f"¥{offer.total_payment:,}")
        await pilot.press("3")
        assert screen.highlighted_choice == "settlement"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        receipt = text_of(screen.query_one("#repay-receipt"))
        assert "此贷款已结清（协商结清）。" in receipt
        assert loan_of(app, loan.loan_id).status == LoanStatus.SETTLED
        assert "a" not in footer_descriptions(app)  # nothing left to pay
        await pilot.press("escape")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, LoanDetailScreen)
        assert "状态：协商结清" in text_of(detail.query_one("#detail-heading"))
        assert "p" not in footer_descriptions(app)


async def test_a_is_another_payment_after_the_receipt(settings: Settings, clock: FixedClock) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_repay(pilot, "80000001", "111111")
        await pilot.press("down", "enter")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert footer_descriptions(app)["a"] == "再还一笔"
        await pilot.press("a")
        await settle(pilot)
        assert screen.stage == "choose" and screen.receipt is None
        assert choices(screen)[1] == "2 全部逾期：没有逾期"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert len(payments_of(app, screen.loan_id)) == 2


async def test_part_of_a_settlement_is_refused_next_to_the_field_and_nothing_is_paid(
    settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    app = make_app(dataclasses.replace(settings, extra={"proof_folders": [str(inbox)]}), clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        _, loan, offer = accept_settlement(app, inbox)
        screen = await open_repay(pilot, "80000004", "444444")
        await type_into(pilot, "#repay-amount", "10000")
        await pilot.press("enter")
        await settle(pilot)
        assert text_of(screen.query_one("#repay-amount-error")) == f"协商结清须一次付清全部 ¥{offer.total_payment:,}"
        assert screen.stage == "choose"
        await pilot.press("f2")
        await settle(pilot)
        assert text_of(screen.query_one("#repay-amount-error")) == (
            f"A settlement is paid in one payment of the whole ¥{offer.total_payment:,}"
        )
        await pilot.press("y")
        await settle(pilot)
        assert payments_of(app, loan.loan_id) == []
        assert loan_of(app, loan.loan_id).status != LoanStatus.SETTLED


async def test_an_amount_typed_while_the_amounts_load_is_the_one_prepared(
    settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_detail(pilot, "80000001", "111111")
        loaded = threading.Event()
        options = app.services.payment_options

        def held(*args, **kwargs):  # type: ignore[no-untyped-def]
            loaded.wait(10)
            return options(*args, **kwargs)

        monkeypatch.setattr(app.services, "payment_options", held)
        await pilot.press("p")
        await pilot.pause(0.1)
        screen = app.screen
        assert isinstance(screen, RepayScreen) and screen.stage == "loading"
        screen.query_one("#repay-amount", Input).focus()
        await pilot.press(*"100")
        loaded.set()
        await settle(pilot)
        assert screen.highlighted_choice == "custom"
        await pilot.press("enter")
        await settle(pilot)
        assert screen.prepared_amount == Decimal("100.00")


@pytest.mark.parametrize(("pasted", "shown", "prepared"), [
    ("100\t50", "100 50", None),  # from a spreadsheet row: two figures, not 10050
    ("１２３．４５", "１２３．４５", Decimal("123.45")),  # full-width, from a Chinese input method
])
async def test_pasted_figures_are_read_as_the_form_reads_them(
    settings: Settings, clock: FixedClock, pasted: str, shown: str, prepared: Decimal | None
) -> None:
    app = make_app(settings, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_repay(pilot, "80000001", "111111")
        field = screen.query_one("#repay-amount", Input)
        field.focus()
        await pilot.pause()
        field.post_message(events.Paste(pasted))
        await settle(pilot)
        assert field.value == shown
        await pilot.press("enter")
        await settle(pilot)
        assert screen.prepared_amount == prepared
        if prepared is None:
            assert text_of(screen.query_one("#repay-amount-error")) == "请输入数字金额，如 1234.56"
        assert payments_of(app, screen.loan_id) == []
