"""The officer console driven key by key, with the borrower's side run in turn on the same
database: a borrower submits (through the services, as app_factory.submit does), an officer
works the queue, opens the case, builds an offer or decides otherwise in the OfficerApp, and
the borrower then sees the outcome through the services and answers it. Also: the second
approval (four eyes), a materials request round trip, two officer sessions racing on one case,
bad input refused next to its field, and borrower text shown literally to the officer.

Policy: first negotiations go to an officer (auto_decide_first off, no automatic waivers), so
every kind lands in the queue, as in tests/test_officer_services.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from app_factory import (
    FIRST_FORM,
    SETTLEMENT_FORM,
    SIZE,
    footer_descriptions,
    make_officer_app,
    officer_log_in,
    row_texts,
    screen_shown,
    settle,
    submit,
    text_of,
    type_into,
    wait_until,
)
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Checkbox, DataTable, Input, Static

from wsnego_tui.config import Settings
from wsnego_tui.core.clock import FixedClock
from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.core.pins import hash_pin
from wsnego_tui.core.policy import DEFAULT_POLICY
from wsnego_tui.core.proofs import ProofKind
from wsnego_tui.screens.officer_builder import BuilderScreen
from wsnego_tui.screens.officer_case import CaseScreen
from wsnego_tui.screens.officer_decide import DecisionDialog
from wsnego_tui.screens.officer_proof import ProofPreviewDialog
from wsnego_tui.screens.officer_queue import QueueScreen
from wsnego_tui.services import Services
from wsnego_tui.store.engine import read_session, write_session
from wsnego_tui.store.models import (
    Application,
    Customer,
    Officer,
    OfficerDecision,
    Proof,
)
from wsnego_tui.widgets.line_table import LineTable

POLICY = dataclasses.replace(DEFAULT_POLICY, auto_decide_first=False, officer_waiver_limit=Decimal("0.00"))
MARKUP = "[@click=app.quit]x[/] [/x] \x1b[2J\u202eevil\u202c"
"""What a borrower might type to plant an action, crash a Static, clear the screen or reorder text."""
SHOWN = "[@click=app.quit]x[/] [/x] [2Jevil"
"""The same, as the officer must see it: literally, without the control and bidi characters."""


@pytest.fixture
def svc(sqlite_demo_services: Services) -> Services:
    sqlite_demo_services.policy = POLICY
    return sqlite_demo_services


def application(svc: Services, application_id: int) -> Application:
    with read_session(svc.engine) as s:
        row = s.get(Application, application_id)
        assert row is not None
        s.expunge(row)
        return row


def decisions(svc: Services, application_id: int) -> list[OfficerDecision]:
    with read_session(svc.engine) as s:
        rows = s.exec(select(OfficerDecision).where(OfficerDecision.application_id == application_id)
                      .order_by(OfficerDecision.id)).all()
        for row in rows:
            s.expunge(row)
        return list(rows)


async def open_case(pilot: Pilot[int], application_id: int) -> CaseScreen:
    """From the queue, put the cursor on the application's row, press Enter, wait for the case."""
    queue = pilot.app.screen
    assert isinstance(queue, QueueScreen)
    table = queue.query_one("#queue-table", DataTable)
    table.move_cursor(row=table.get_row_index(str(application_id)))
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, CaseScreen) and pilot.app.screen.case is not None)
    return pilot.app.screen  # type: ignore[return-value]


async def open_builder(pilot: Pilot[int]) -> BuilderScreen:
    await pilot.press("o")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, BuilderScreen) and pilot.app.screen.preview is not None)
    return pilot.app.screen  # type: ignore[return-value]


async def after_decision(pilot: Pilot[int], case: CaseScreen, loads: int) -> None:
    """Back on the case view, once it has read the case again after the decision."""
    await wait_until(pilot, lambda: pilot.app.screen is case and case.loads > loads)


async def decide(pilot: Pilot[int], key: str, note: str, *, kinds: tuple[str, ...] = (), **fields: str) -> CaseScreen:
    """Open a decision dialog with `key`, tick the proof `kinds`, fill its fields and the note,
    confirm with Ctrl+S."""
    case = pilot.app.screen
    assert isinstance(case, CaseScreen)
    loads = case.loads
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, DecisionDialog))
    for kind in kinds:
        pilot.app.screen.query_one(f"#decide-kind-{kind}", Checkbox).value = True
    for name, value in fields.items():
        await type_into(pilot, f"#decide-{name}", value)
    await type_into(pilot, "#decide-note", note)
    await pilot.press("ctrl+s")
    await after_decision(pilot, case, loads)
    return case


# -- log-in and the queue ---------------------------------------------------------------------------


async def test_an_officer_logs_in_and_sees_the_queue_sorted_by_deadline(settings: Settings, clock: FixedClock, svc: Services, tmp_path: Path) -> None:
    first = submit(svc, tmp_path / "p")[1]
    clock.advance(dt.timedelta(days=1))
    later = settlement(svc, tmp_path)[1]
    app = make_officer_app(settings, clock, services=svc)
    async with app.run_test(size=SIZE) as pilot:
        await officer_log_in(pilot, "o0001", "900001")
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        rows = row_texts(queue.query_one("#queue-table", DataTable))
        assert [row[0] for row in rows] == [str(first), str(later)]
        assert rows[0][5] == "****0001" and rows[0][6] == "张伟"
        assert "赵敏" in text_of(queue.query_one("#queue-heading", Static))
        assert set(footer_descriptions(app).values()) >= {"打开案件", "类型", "状态", "时长", "退出登录"}
        assert "下一页" not in footer_descriptions(app).values()  # one page only
        await pilot.press("k")  # kind: first negotiations only
        await wait_until(pilot, lambda: queue.shown_request == queue.request)
        assert [row[0] for row in row_texts(queue.query_one("#queue-table", DataTable))] == [str(first)]
        assert "类型：协商还款" in text_of(queue.query_one("#queue-filters", Static))
        await pilot.press("escape")  # log out
        await settle(pilot)
        assert type(app.screen).__name__ == "OfficerLoginScreen" and app.officer is None
        assert app.screen.query_one("#officer-no", Input).value == "" == app.screen.query_one("#pin", Input).value


async def test_a_wrong_officer_pin_is_refused_without_saying_whether_the_officer_exists(settings: Settings, clock: FixedClock, svc: Services) -> None:
    app = make_officer_app(settings, clock, services=svc)
    async with app.run_test(size=SIZE) as pilot:
        await officer_log_in(pilot, "O0001", "123456")
        wrong_pin = text_of(app.screen.query_one("#login-status", Static))
        await officer_log_in(pilot, "O9999", "123456")
        assert text_of(app.screen.query_one("#login-status", Static)) == wrong_pin == "审核员编号或密码不正确。"
        assert app.screen.query_one("#pin", Input).value == ""
        for _ in range(4):
            await officer_log_in(pilot, "O0001", "123456")
        assert "锁定" in text_of(app.screen.query_one("#login-status", Static))
        await officer_log_in(pilot, "O0001", "900001")
        assert "锁定" in text_of(app.screen.query_one("#login-status", Static))
        assert not isinstance(app.screen, QueueScreen)


async def test_the_queue_pages_with_n_and_pgup_one_sql_page_at_a_time(settings: Settings, clock: FixedClock, svc: Services, tmp_path: Path) -> None:
    ids = [submit(svc, tmp_path / "p", customer, pin)[1] for customer, pin in (("80000001", "111111"), ("80000004", "444444"))]
    saved = QueueScreen.PAGE_SIZE
    QueueScreen.PAGE_SIZE = 1
    try:
        app = make_officer_app(settings, clock, services=svc)
        async with app.run_test(size=SIZE) as pilot:
            await officer_log_in(pilot, "O0001", "900001")
            queue = app.screen
            assert isinstance(queue, QueueScreen)
            assert [r[0] for r in row_texts(queue.query_one(DataTable))] == [str(ids[0])]
            assert "上一页" not in footer_descriptions(app).values()
            await pilot.press("n")
            await wait_until(pilot, lambda: queue.shown_request == queue.request)
            assert [r[0] for r in row_texts(queue.query_one(DataTable))] == [str(ids[1])]
            assert text_of(queue.query_one("#queue-status", Static)) == "第2至2条，共2条（第2/2页）  按 r 刷新"
            assert "下一页" not in footer_descriptions(app).values()
            await pilot.press("pageup")
            await wait_until(pilot, lambda: queue.shown_request == queue.request)
            assert [r[0] for r in row_texts(queue.query_one(DataTable))] == [str(ids[0])]
    finally:
        QueueScreen.PAGE_SIZE = saved


# -- both sides in turn -----------------------------------------------------------------------------


async def test_an_officer_issues_an_offer_that_the_borrower_sees_and_accepts(settings: Settings, clock: FixedClock, svc: Services, tmp_path: Path) -> None:
    customer, app_id = submit(svc, tmp_path / "p")
    app = make_officer_app(settings, clock, services=svc)
    async with app.run_test(size=SIZE) as pilot:
        await officer_log_in(pilot, "O0001", "900001")
        case = await open_case(pilot, app_id)
        assert "店铺营业额下降。" in text_of(case.query_one("#case-hardship", Static))
        assert "¥8,000.00" in text_of(case.query_one("#case-financials", Static))
        assert set(footer_descriptions(app).values()) >= {"设计方案", "要求补件", "拒绝"}
        assert "批准" not in footer_descriptions(app).values()  # nothing pending
        builder = await open_builder(pilot)
        await type_into(pilot, "#builder-months", "36")
        await type_into(pilot, "#builder-waived_penalty", "0")
        await wait_until(pilot, lambda: builder.shown_request == builder.request and builder.preview is not None
                         and builder.preview.proposal.months == 36)
        schedule = builder.query_one("#builder-schedule", DataTable)
        assert schedule.row_count == 36
        installment = builder.preview.proposal.installment
        assert svc.policy.affordability_pct  # the preview is the shared calculator's
        loads = case.loads
        await type_into(pilot, "#builder-note", "收入下降属实 按36期出方案")
        await pilot.press("ctrl+s")
        await after_decision(pilot, case, loads)
        assert case.case.status == "offer_issued"
        assert "批准" not in footer_descriptions(app).values() and "设计方案" not in footer_descriptions(app).values()
    _, offers = svc.offers(customer, app_id)
    (offer,) = [o for o in offers if o.status == "issued"]
    assert (offer.months, offer.installment, offer.label) == (36, installment, "officer")
    done = svc.accept_offer(customer, app_id, offer.id, pin="111111", last4="0001")
    assert done.status == "plan_active"
    (decision,) = decisions(svc, app_id)
    assert (decision.made_by, decision.status, decision.note) == ("O0001", "effective", "收入下降属实 按36期出方案")


async def build_and_issue(pilot: Pilot[int], case: CaseScreen, note: str) -> None:
    """Open the builder, keep its first preview, type the note, issue with Ctrl+S."""
    builder = await open_builder(pilot)
    loads = case.loads
    await type_into(pilot, "#builder-note", note)
    await wait_until(pilot, lambda: builder.shown_request == builder.request)
    await pilot.press("ctrl+s")
    await after_decision(pilot, case, loads)


def settlement(svc: Services, tmp_path: Path) -> tuple[int, int]:
    """刘洋 (80000004) applies for a settlement with proof of funds."""
    return submit(svc, tmp_path / "p", "80000004", "444444", kind=ApplicationKind.SETTLEMENT, form=SETTLEMENT_FORM,
                  proofs=(ProofKind.FUNDS,))


async def test_a_waiver_above_the_limit_is_proposed_by_one_officer_and_approved_by_a_senior(settings: Settings, clock: FixedClock, svc: Services, tmp_path: Path) -> None:
    """Four eyes: O0001 proposes a settlement with full waivers (above the single-officer limit),
    the offer is not issued until O0002, a senior officer, approves it in their own session."""
    svc.policy = dataclasses.replace(POLICY, second_officer_waiver_limit=Decimal("100.00"))
    customer, app_id = settlement(svc, tmp_path)
    app = make_officer_app(settings, clock, services=svc)
    async with app.run_test(size=SIZE) as pilot:
        await officer_log_in(pilot, "O0001", "900001")
        case = await open_case(pilot, app_id)
        builder = await open_builder(pilot)
        assert "需要第二位审核员批准" in text_of(builder.query_one("#builder-totals", Static))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is case)
        await build_and_issue(pilot, case, "全额减免")
        assert case.case.pending is not None and case.case.status == "under_review"
        assert any("已提交第二位审核员批准" in n.message for n in app._notifications)
        assert "有一项提议等待第二位审核员批准（提议人 O0001）" in text_of(case.query_one("#case-decisions", Static))
        shown = set(footer_descriptions(app).values())
        assert "批准" not in shown and "设计方案" not in shown and "撤回提议" in shown  # not a senior; own proposal
    assert svc.offers(customer, app_id)[1] == [] or all(o.status != "issued" for o in svc.offers(customer, app_id)[1])
    app = make_officer_app(settings, clock, services=svc)
    async with app.run_test(size=SIZE) as pilot:
        await officer_log_in(pilot, "O0002", "900002")
        queue = app.screen
        row = row_texts(queue.query_one(DataTable))[0]
        assert row[0] == str(app_id) and row[9] == "待复核（O0001提议）"
        case = await open_case(pilot, app_id)
        assert {"批准", "退回"} <= set(footer_descriptions(app).values())
        await decide(pilot, "a", "同意全额减免")
        assert case.case.status == "offer_issued"
    (decision,) = decisions(svc, app_id)
    assert (decision.made_by, decision.reviewed_by, decision.status) == ("O0001", "O0002", "effective")
    (offer,) = [o for o in svc.offers(customer, app_id)[1] if o.status == "issued"]
    assert offer.waived_penalty + offer.waived_interest > Decimal("100.00")


async def test_a_senior_officer_cannot_approve_their_own_proposal_and_is_told_why(settings: Settings, clock: FixedClock, svc: Services, tmp_path: Path) -> None:
    svc.policy = dataclasses.replace(POLICY, second_officer_waiver_limit=Decimal("100.00"))
    _, app_id = settlement(svc, tmp_path)
    app = make_officer_app(settings, clock, services=svc)
    async with app.run_test(size=SIZE) as pilot:
        await officer_log_in(pilot, "O0002", "900002")
        case = await open_case(pilot, app_id)
        await build_and_issue(pilot, case, "全额减免")
        assert case.case.pending is not None
        await pilot.press("a")
        await wait_until(pilot, lambda: screen_shown(app, DecisionDialog))
        dialog = app.screen
        await type_into(pilot, "#decide-note", "自己批准")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "自己的提议" in text_of(dialog.query_one("#decide-status", Static)))
        assert app.screen is dialog
        assert any("这是您自己的提议" in n.message for n in app._notifications)
    (decision,) = decisions(svc, app_id)
    assert decision.status == "pending" and decision.reviewed_by is None


async def test_a_materials_request_goes_to_the_borrower_and_the_answer_comes_back_to_the_queue(settings: Settings, clock: FixedClock, svc: Services, tmp_path: Path) -> None:
    customer, app_id = submit(svc, tmp_path / "p")
    app = make_officer_app(settings, clock, services=svc)
    async with app.run_test(size=SIZE) as pilot:
        await officer_log_in(pilot, "O0001", "900001")
        case = await open_case(pilot, app_id)
        loads = case.loads
        await pilot.press("m")
        await wait_until(pilot, lambda: screen_shown(app, DecisionDialog))
        app.screen.query_one("#decide-kind-income", Checkbox).value = True
        await type_into(pilot, "#decide-message", "please send payslips")
        await type_into(pilot, "#decide-note", "income unclear")
        await pilot.press("ctrl+s")
        await after_decision(pilot, case, loads)
        assert case.case.status == "materials_requested"
        await pilot.press("escape")
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        await wait_until(pilot, lambda: queue.shown_request == queue.request)
        assert queue.query_one(DataTable).row_count == 0  # no longer waiting for an officer
        await pilot.press("s")  # status filter: materials requested
        await wait_until(pilot, lambda: queue.shown_request == queue.request)
        assert [row[0] for row in row_texts(queue.query_one(DataTable))] == [str(app_id)]
    view = svc.application(customer, app_id)
    assert view.status == "materials_requested"
    assert any("please send payslips" in e.note for e in view.events)
    folder = tmp_path / "p"
    (folder / "payslip.pdf").write_bytes(b"%PDF-1.4\n%payslip\n")
    view = svc.attach_proof(customer, app_id, ProofKind.INCOME, folder / "payslip.pdf")
    assert svc.answer_materials(customer, app_id, version=view.version).status == "under_review"
    app = make_officer_app(settings, clock, services=svc)
    async with app.run_test(size=SIZE) as pilot:
        await officer_log_in(pilot, "O0001", "900001")
        case = await open_case(pilot, app_id)
        assert [p.kind for p in case.case.proofs] == ["hardship", "income"]
        assert "payslip.pdf" in [r[1] for r in row_texts(case.query_one("#case-proofs", DataTable))]
        await build_and_issue(pilot, case, "materials ok")
        assert case.case.status == "offer_issued"
    assert [d.action for d in decisions(svc, app_id)] == ["request_materials", "issue_offers"]


async def test_two_officers_racing_on_one_case_decide_it_once_and_the_loser_sees_the_new_state(settings: Settings, clock: FixedClock, svc: Services, tmp_path: Path) -> None:
    customer, app_id = submit(svc, tmp_path / "p")
    with write_session(svc.engine) as s:
        s.add(Officer(officer_no="O0003", name="钱七", role="senior", pin_hash=hash_pin("900003")))
    first = make_officer_app(settings, clock, services=svc)
    second = make_officer_app(settings, clock, services=svc)
    async with first.run_test(size=SIZE) as one, second.run_test(size=SIZE) as two:
        await officer_log_in(one, "O0001", "900001")
        await officer_log_in(two, "O0003", "900003")
        case_one = await open_case(one, app_id)
        case_two = await open_case(two, app_id)
        assert case_one.case.version == case_two.case.version
        await decide(one, "m", "first wins", kinds=("income",), message="send income proof")
        assert case_one.case.status == "materials_requested"
        loads = case_two.loads
        await two.press("x")
        await wait_until(two, lambda: isinstance(second.screen, DecisionDialog))
        await type_into(two, "#decide-remedy", "more proof")
        await type_into(two, "#decide-note", "second loses")
        await two.press("ctrl+s")
        await wait_until(two, lambda: second.screen is case_two and case_two.loads > loads)
        assert case_two.case.status == "materials_requested"
        assert any("案件已被其他审核员更改" in n.message for n in second._notifications)
        assert "拒绝" not in footer_descriptions(second).values()
    assert [(d.made_by, d.action) for d in decisions(svc, app_id)] == [("O0001", "request_materials")]
    assert svc.application(customer, app_id).status == "materials_requested"


async def test_bad_input_in_the_builder_and_the_dialogs_is_refused_next_to_the_field(settings: Settings, clock: FixedClock, svc: Services, tmp_path: Path) -> None:
    _, app_id = submit(svc, tmp_path / "p")
    app = make_officer_app(settings, clock, services=svc)
    async with app.run_test(size=SIZE) as pilot:
        await officer_log_in(pilot, "O0001", "900001")
        case = await open_case(pilot, app_id)
        builder = await open_builder(pilot)
        await type_into(pilot, "#builder-months", "abc")
        await wait_until(pilot, lambda: builder.shown_request == builder.request)
        assert text_of(builder.query_one("#builder-months-message", Static)) == "请输入整数"
        assert builder.query_one("#builder-months", Input).has_class("-invalid")
        assert "发出方案" not in footer_descriptions(app).values()
        await type_into(pilot, "#builder-months", "999")
        await wait_until(pilot, lambda: builder.shown_request == builder.request)
        assert text_of(builder.query_one("#builder-months-message", Static)).startswith("超出政策限制（最多 60）")
        await type_into(pilot, "#builder-months", "24")
        await type_into(pilot, "#builder-rate_pct", "99")
        await wait_until(pilot, lambda: builder.shown_request == builder.request)
        assert text_of(builder.query_one("#builder-months-message", Static)) == ""
        assert text_of(builder.query_one("#builder-rate_pct-message", Static)).startswith("超出政策限制（最多 ")
        await type_into(pilot, "#builder-rate_pct", "")
        await wait_until(pilot, lambda: builder.shown_request == builder.request and builder.preview is not None)
        await pilot.press("ctrl+s")  # no note
        await wait_until(pilot, lambda: text_of(builder.query_one("#builder-note-message", Static)) == "必填")
        assert app.screen is builder
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is case)
        await pilot.press("x")
        await wait_until(pilot, lambda: screen_shown(app, DecisionDialog))
        dialog = app.screen
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: text_of(dialog.query_one("#decide-remedy-message", Static)) == "必填")
        assert app.screen is dialog
    assert decisions(svc, app_id) == []
    assert application(svc, app_id).status == "under_review"


# -- borrower text on the officer's screens ---------------------------------------------------------


async def test_borrower_text_with_markup_escapes_and_bidi_shows_literally_to_the_officer(settings: Settings, clock: FixedClock, svc: Services, tmp_path: Path) -> None:
    """The hardship description, a proof's file name and the customer's name carry Rich markup
    (a click action, a closing tag that would crash a Static), an ESC sequence and a bidi
    override. The queue, the case view and the officer's notifications show the markup as
    text, without the control characters, and the app keeps running."""
    customer, app_id = submit(svc, tmp_path / "p", form=FIRST_FORM.merged(hardship_text=MARKUP))
    with write_session(svc.engine) as s:
        proof = s.exec(select(Proof).where(Proof.application_id == app_id)).one()
        proof.original_name = MARKUP + ".pdf"
        s.add(proof)
        person = s.get(Customer, customer)
        person.name = MARKUP
        s.add(person)
    app = make_officer_app(settings, clock, services=svc)
    async with app.run_test(size=SIZE) as pilot:
        await officer_log_in(pilot, "O0001", "900001")
        (row,) = row_texts(app.screen.query_one(DataTable))
        assert row[6] == SHOWN
        case = await open_case(pilot, app_id)
        hardship = text_of(case.query_one("#case-hardship", Static))
        assert SHOWN in hardship and "\x1b" not in hardship and "\u202e" not in hardship
        assert SHOWN in text_of(case.query_one("#case-summary", Static))
        (proof_row,) = row_texts(case.query_one("#case-proofs", DataTable))
        assert proof_row[1] == SHOWN + ".pdf"
        case.query_one("#case-proofs", DataTable).focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ProofPreviewDialog) and app.screen.view is not None)
        meta = text_of(app.screen.query_one("#proof-meta", Static))
        assert SHOWN + ".pdf" in meta and "\x1b" not in meta and "\u202e" not in meta
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is case)
        await build_and_issue(pilot, case, "ok")
        await wait_until(pilot, lambda: any(n.message.startswith(SHOWN + "的申请") for n in app._notifications))
        for note in app._notifications:
            assert "\x1b" not in note.message and "\u202e" not in note.message and not note.markup
        await settle(pilot)
        assert app.is_running and app.return_code is None  # the planted click never ran


async def test_enter_on_a_proof_previews_the_picture_in_colour_and_the_file_name_literally(settings: Settings, clock: FixedClock, svc: Services, tmp_path: Path) -> None:
    """The case's proof is a 40 x 20 PNG, red above and blue below, named with Rich markup.
    Enter on it opens the preview: the name as typed, the whole sha256, and the picture as
    half blocks whose colours are the image's; nothing was clicked; Esc goes back to the case."""
    from PIL import Image

    from wsnego_tui.services.proof_files import ingest

    folder = tmp_path / "p"
    _, app_id = submit(svc, folder)
    im = Image.new("RGB", (40, 20), (255, 0, 0))
    im.paste((0, 0, 255), (0, 9, 40, 20))  # pixel rows 0-8 red, 9-19 blue
    im.save(folder / "scan.png", "PNG")
    stored = ingest(folder / "scan.png", allowed_roots=[folder], store_dir=svc.settings.paths.proofs_dir,
                    max_bytes=svc.policy.proof_max_bytes)
    name = "[@click=app.quit]x[/].png"
    with write_session(svc.engine) as s:
        proof = s.exec(select(Proof).where(Proof.application_id == app_id)).one()
        proof.original_name, proof.sha256 = name, stored.sha256
        proof.size_bytes, proof.media_type = stored.size_bytes, stored.media_type
        s.add(proof)
    app = make_officer_app(settings, clock, services=svc)
    async with app.run_test(size=SIZE) as pilot:
        await officer_log_in(pilot, "O0001", "900001")
        case = await open_case(pilot, app_id)
        case.query_one("#case-proofs", DataTable).focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ProofPreviewDialog) and app.screen.view is not None)
        dialog = app.screen
        meta = text_of(dialog.query_one("#proof-meta", Static))
        assert name in meta and stored.sha256 in meta
        picture = dialog.query_one("#proof-picture", Static)
        lines = text_of(picture).split("\n")
        assert lines == ["\u2580" * 40] * 10  # 40 x 20 pixels fit: 40 columns, 10 rows of two pixels
        await wait_until(pilot, lambda: picture.size.height == 10)

        def colours(y: int) -> set[tuple[tuple[int, ...], tuple[int, ...]]]:
            """(foreground, background) of the half blocks on line `y` of the picture."""
            return {(tuple(seg.style.color.triplet), tuple(seg.style.bgcolor.triplet))
                    for seg in picture.render_line(y) if seg.text.strip()}

        red, blue = (255, 0, 0), (0, 0, 255)
        assert colours(0) == {(red, red)}
        assert colours(4) == {(red, blue)}  # the upper pixel is the foreground of "▀"
        assert colours(9) == {(blue, blue)}
        assert "escape" in footer_descriptions(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is case)
        assert app.is_running and app.return_code is None  # the name's click action never ran
    with read_session(svc.engine) as s:
        from wsnego_tui.store.models import AuditEntry

        views = s.exec(select(AuditEntry).where(AuditEntry.action == "officer.proof.view")).all()
        assert [(e.actor, e.subject) for e in views] == [("officer:O0001", f"application:{app_id}")]


# -- start-up -------------------------------------------------------------------------------------


def test_the_officer_log_in_paints_before_any_database_code_is_imported(tmp_path: Path) -> None:
    """Like the borrower app (tests/test_app_imports.py): importing and constructing OfficerApp
    loads nothing of the store, and the first paint happens before the database worker runs."""
    import json
    import subprocess
    import sys

    marker = tmp_path / "painted"
    probe = f"""
import json, os, sys
HEAVY = ("sqlmodel", "sqlalchemy", "PIL", "wsnego_tui.store", "wsnego_tui.services")
def loaded():
    return sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in HEAVY))
report = {{}}
from wsnego_tui.officer_app import OfficerApp
from wsnego_tui.config import load_settings
app = OfficerApp(load_settings(home={str(tmp_path / "home")!r}))
report["constructed"] = loaded()
os.environ["WSNEGO_EXIT_AFTER_FIRST_PAINT"] = {str(marker)!r}
app.run(headless=True, size=(100, 30))
report["at the first paint"] = loaded()
report["screen"] = type(app.screen_stack[0]).__name__ if app.screen_stack else None
print(json.dumps(report))
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["constructed"] == [] and report["at the first paint"] == []
    assert marker.exists()


def test_the_officer_subcommand_is_listed_and_loaded_lazily() -> None:
    from click.testing import CliRunner

    from wsnego_tui.cli import cli

    result = CliRunner().invoke(cli, ["officer", "--help"])
    assert result.exit_code == 0 and "officer console" in result.output


async def test_help_lists_the_case_keys_and_f2_switches_the_console_to_english(settings: Settings, clock: FixedClock, svc: Services, tmp_path: Path) -> None:
    _, app_id = submit(svc, tmp_path / "p")
    app = make_officer_app(settings, clock, services=svc)
    async with app.run_test(size=SIZE) as pilot:
        await officer_log_in(pilot, "O0001", "900001")
        case = await open_case(pilot, app_id)
        await pilot.press("f1")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        listed = [row[1] for row in row_texts(app.screen.query_one(LineTable))]
        assert {"设计方案", "要求补件", "拒绝", "刷新", "返回"} <= set(listed)
        assert "批准" not in listed  # not offered to this officer on this case
        await pilot.press("f2")
        await settle(pilot)
        assert "Build offer" in [row[1] for row in row_texts(app.screen.query_one(LineTable))]
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is case)
        assert text_of(case.query_one("#case-financials-title", Static)) == "Income and expenditure"
        assert app.title == "MYbank negotiated repayment  Officer console"
