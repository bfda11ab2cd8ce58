"""Step 6, the proof materials: files picked in the folder tree by keyboard, the intake's
refusals shown in words, removing, submitting (refused until the required kinds are there,
once however often it is pressed), and answering the bank's materials request."""

from __future__ import annotations

import os
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from app_factory import SIZE, footer_descriptions, log_in, make_app, row_texts, settle, text_of, wait_for_database
from textual.pilot import Pilot
from textual.widgets import Select

from wsnego_tui.config import Settings
from wsnego_tui.core.application_form import FormFields
from wsnego_tui.core.clock import FixedClock
from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.core.proofs import ProofKind
from wsnego_tui.screens.proofs import ProofKindList, ProofsScreen, size_text
from wsnego_tui.widgets.file_picker import ProofFileTree
from wsnego_tui.widgets.line_table import LineTable
from wsnego_tui.i18n import Translator

PDF = b"%PDF-1.4\n% a payslip\n1 0 obj << >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(40)
SCRIPT = b"#!/bin/sh\nrm -rf ~\n"

FORM = FormFields(
    hardship_category="illness",
    hardship_text="In hospital since October.",
    monthly_income=Decimal("8000.00"),
    essential_expenses=Decimal("3000.00"),
    other_debt=Decimal("0.00"),
    wish_months=36,
)


@pytest.fixture
def proof_folder(tmp_path: Path) -> Path:
    """The only folder proofs may be picked from, with a few files in it."""
    folder = tmp_path / "proofs"
    folder.mkdir()
    (folder / "payslip.pdf").write_bytes(PDF)
    (folder / "receipt.PNG").write_bytes(PNG)
    (folder / "statement.pdf").write_bytes(PDF.replace(b"payslip", b"statement"))
    (folder / "invoice.pdf").write_bytes(SCRIPT)  # a script dressed up as a PDF
    (folder / "notes.txt").write_text("not a proof")
    (folder / ".hidden.pdf").write_bytes(PDF)
    (folder / "scans").mkdir()
    (folder / "scans" / "hospital.pdf").write_bytes(PDF.replace(b"payslip", b"hospital"))
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.pdf").write_bytes(PDF.replace(b"payslip", b"secret"))
    os.symlink(folder / "payslip.pdf", folder / "link.pdf")
    os.symlink(outside, folder / "shortcut")
    return folder


@pytest.fixture
def settings(settings: Settings, proof_folder: Path) -> Settings:
    return replace(settings, extra={**settings.extra, "proof_folders": [str(proof_folder)]})


def customer_id(customer_no: str) -> int:
    """The demo customer's id (the demo loads customers in number order)."""
    return int(customer_no) - 80000000


def draft(services, customer_no: str, kind: ApplicationKind, form: FormFields = FORM):  # type: ignore[no-untyped-def]
    cid = customer_id(customer_no)
    loan_id = next(
        loan.loan_id for loan in services.loans_of(cid) if services.eligibility(cid, loan.loan_id)[kind].open
    )
    view = services.start_application(cid, loan_id, kind)
    return services.save_application_form(cid, view.id, form, version=view.version)


async def open_proofs(pilot: Pilot[int], customer_no: str, pin: str, application_id: int) -> ProofsScreen:
    await wait_for_database(pilot)
    await log_in(pilot, customer_no, pin)
    pilot.app.push_screen(ProofsScreen(pilot.app.customer, application_id))
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ProofsScreen) and screen.view is not None
    return screen


def shown_names(tree: ProofFileTree) -> list[str]:
    return [str(node.label) for node in tree.root.children]


async def pick(pilot: Pilot[int], screen: ProofsScreen, name: str) -> None:
    """Move to `name` in the tree with the arrow keys and press Enter on it."""
    tree = screen.query_one(ProofFileTree)
    tree.focus()
    tree.cursor_line = 0
    await pilot.pause()
    await pilot.press(*["down"] * (shown_names(tree).index(name) + 1), "enter")
    await settle(pilot)


async def choose_kind(pilot: Pilot[int], screen: ProofsScreen, kind: ProofKind) -> None:
    """Move to `kind` in the kind list with the arrow keys and press Enter (which goes on to
    the folder tree)."""
    kinds = screen.query_one("#proofs-kind", ProofKindList)
    kinds.focus()
    await pilot.pause()
    order = [option.id for option in kinds.options]
    current, wanted = order.index(kinds.value), order.index(kind.value)
    await pilot.press(*(["down"] * (wanted - current) if wanted >= current else ["up"] * (current - wanted)), "enter")
    await settle(pilot)
    assert kinds.value == kind.value
    assert screen.query_one(ProofFileTree).has_focus


def picker_message(screen: ProofsScreen) -> str:
    return text_of(screen.query_one("#proofs-picker-message"))


def status(screen: ProofsScreen) -> str:
    return text_of(screen.query_one("#proofs-status"))


async def test_the_tree_shows_folders_and_proof_names_only_and_never_leaves_its_folder(
    settings: Settings, clock: FixedClock, sqlite_demo_services, proof_folder: Path
) -> None:  # type: ignore[no-untyped-def]
    view = draft(sqlite_demo_services, "80000001", ApplicationKind.FIRST)
    app = make_app(settings, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_proofs(pilot, "80000001", "111111", view.id)
        tree = screen.query_one(ProofFileTree)
        assert str(tree.root.label) == "proofs"
        assert shown_names(tree) == ["scans", "invoice.pdf", "link.pdf", "payslip.pdf", "receipt.PNG", "statement.pdf"]
        tree.cursor_line = 0
        await pilot.press("shift+left")  # to the parent: there is none above the root
        await settle(pilot)
        assert tree.cursor_node is tree.root
        await pilot.press("down", "enter")  # open "scans"
        await settle(pilot)
        scans = tree.root.children[0]
        assert [str(node.label) for node in scans.children] == ["hospital.pdf"]
        assert scans.children[0].data.path == proof_folder / "scans" / "hospital.pdf"


async def test_picking_a_pdf_in_the_tree_attaches_it_as_the_chosen_kind(
    settings: Settings, clock: FixedClock, sqlite_demo_services
) -> None:  # type: ignore[no-untyped-def]
    services = sqlite_demo_services
    view = draft(services, "80000001", ApplicationKind.FIRST)
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_proofs(pilot, "80000001", "111111", view.id)
        assert "\u2717 困难证明 缺少" in text_of(screen.query_one("#proofs-required"))
        assert screen.query_one("#proofs-kind", ProofKindList).value == "hardship"  # the missing kind first
        await pick(pilot, screen, "payslip.pdf")
        proofs = services.application(customer_id("80000001"), view.id).proofs
        assert [(p.kind, p.original_name, p.media_type) for p in proofs] == [("hardship", "payslip.pdf", "application/pdf")]
        assert picker_message(screen) == "已附加：payslip.pdf"
        assert "\u2713 困难证明 已附" in text_of(screen.query_one("#proofs-required"))
        assert row_texts(screen.query_one("#proofs-table", LineTable)) == [
            ["困难证明", "payslip.pdf", f"{len(PDF)} B", "PDF", proofs[0].sha256[:12], "2026年11月28日 09:30"],
        ]


async def test_a_script_named_pdf_is_refused_by_content_with_the_reason_in_words(
    settings: Settings, clock: FixedClock, sqlite_demo_services
) -> None:  # type: ignore[no-untyped-def]
    services = sqlite_demo_services
    view = draft(services, "80000001", ApplicationKind.FIRST)
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_proofs(pilot, "80000001", "111111", view.id)
        await pick(pilot, screen, "invoice.pdf")
        assert picker_message(screen) == "只接受PDF、PNG或JPEG文件（按文件内容识别）"
        assert screen.query_one("#proofs-picker-message").has_class("-error")
        assert services.application(customer_id("80000001"), view.id).proofs == ()
        await pilot.press("f2")
        await settle(pilot)
        assert picker_message(screen) == "Only PDF, PNG or JPEG files (checked by content)"


async def test_a_symbolic_link_is_refused_even_when_it_points_at_a_real_pdf(
    settings: Settings, clock: FixedClock, sqlite_demo_services
) -> None:  # type: ignore[no-untyped-def]
    services = sqlite_demo_services
    view = draft(services, "80000001", ApplicationKind.FIRST)
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_proofs(pilot, "80000001", "111111", view.id)
        await pick(pilot, screen, "link.pdf")
        assert picker_message(screen) == "不接受链接文件，请选择文件本身"
        assert services.application(customer_id("80000001"), view.id).proofs == ()


async def test_an_attached_file_can_be_removed_before_submitting(
    settings: Settings, clock: FixedClock, sqlite_demo_services, proof_folder: Path
) -> None:  # type: ignore[no-untyped-def]
    services = sqlite_demo_services
    view = draft(services, "80000001", ApplicationKind.FIRST)
    cid = customer_id("80000001")
    services.attach_proof(cid, view.id, ProofKind.HARDSHIP, proof_folder / "payslip.pdf")
    services.attach_proof(cid, view.id, ProofKind.INCOME, proof_folder / "receipt.PNG")
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_proofs(pilot, "80000001", "111111", view.id)
        table = screen.query_one("#proofs-table", LineTable)
        assert [row[1] for row in row_texts(table)] == ["payslip.pdf", "receipt.PNG"]
        table.focus()
        await pilot.press("down")
        assert footer_descriptions(app)["delete"] == "删除文件"
        await pilot.press("delete")
        await settle(pilot)
        proofs = services.application(cid, view.id).proofs
        assert [p.original_name for p in proofs] == ["payslip.pdf"]
        assert [row[1] for row in row_texts(table)] == ["payslip.pdf"]
        assert picker_message(screen) == "已删除：receipt.PNG"


async def test_submitting_is_refused_naming_the_missing_kind_and_accepted_once_it_is_attached(
    settings: Settings, clock: FixedClock, sqlite_demo_services
) -> None:  # type: ignore[no-untyped-def]
    from wsnego_tui.screens.progress import ProgressScreen

    services = sqlite_demo_services
    view = draft(services, "80000001", ApplicationKind.FIRST)
    cid = customer_id("80000001")
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_proofs(pilot, "80000001", "111111", view.id)
        assert footer_descriptions(app)["s"] == "提交申请"
        await pilot.press("s")
        await settle(pilot)
        assert status(screen) == "还缺少：困难证明。请先附上再提交。"
        assert services.application(cid, view.id).status == "draft"

        await pick(pilot, screen, "statement.pdf")
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, ProgressScreen)
        assert app.screen.application_id == view.id
        stored = services.application(cid, view.id)
        assert stored.status != "draft"
        assert [event.status for event in stored.events].count("submitted") == 1


async def test_pressing_submit_twice_submits_once(settings: Settings, clock: FixedClock, sqlite_demo_services, proof_folder: Path) -> None:  # type: ignore[no-untyped-def]
    services = sqlite_demo_services
    view = draft(services, "80000001", ApplicationKind.FIRST)
    cid = customer_id("80000001")
    services.attach_proof(cid, view.id, ProofKind.HARDSHIP, proof_folder / "payslip.pdf")
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_proofs(pilot, "80000001", "111111", view.id)
        screen.action_submit()
        screen.action_submit()
        await pilot.press("s")
        await settle(pilot)
        stored = services.application(cid, view.id)
        assert [event.status for event in stored.events].count("submitted") == 1
        # The same key again (a retry after a lost answer) is the same submission.
        again = services.submit_application(cid, view.id, version=None, idempotency_key=screen.idempotency_key)
        assert [event.status for event in again.events].count("submitted") == 1


async def test_a_second_negotiation_names_both_the_income_and_the_expense_proof(
    settings: Settings, clock: FixedClock, sqlite_demo_services
) -> None:  # type: ignore[no-untyped-def]
    services = sqlite_demo_services
    view = draft(services, "80000002", ApplicationKind.SECOND)
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_proofs(pilot, "80000002", "222222", view.id)
        assert "【二次协商还款】" in screen.sub_title
        await pilot.press("s")
        await settle(pilot)
        assert status(screen) == "还缺少：收入证明、支出证明。请先附上再提交。"
        await choose_kind(pilot, screen, ProofKind.EXPENSE)
        await pick(pilot, screen, "receipt.PNG")
        await pilot.press("s")
        await settle(pilot)
        assert status(screen) == "还缺少：收入证明。请先附上再提交。"
        proofs = services.application(customer_id("80000002"), view.id).proofs
        assert [(p.kind, p.media_type) for p in proofs] == [("expense", "image/png")]


def hardship_proof_requested(services, proof_folder: Path):  # type: ignore[no-untyped-def]
    """80000002's second negotiation, submitted with both proofs, for which an officer asks
    for a hardship proof: (customer id, the submitted application)."""
    from wsnego_tui.services.officer import OfficerServices

    cid = customer_id("80000002")
    view = draft(services, "80000002", ApplicationKind.SECOND)
    services.attach_proof(cid, view.id, ProofKind.INCOME, proof_folder / "payslip.pdf")
    view = services.attach_proof(cid, view.id, ProofKind.EXPENSE, proof_folder / "receipt.PNG")
    services.submit_application(cid, view.id, version=view.version, idempotency_key="test")
    services.catch_up(cid)  # a second negotiation goes to an officer
    officers = OfficerServices(services)
    officer = officers.login("O0001", "900001").officer
    assert officer is not None
    officers.request_materials(
        officer.id, view.id, [ProofKind.HARDSHIP], message="请补充住院证明", note="hospital papers",
        version=services.application(cid, view.id).version,
    )
    return cid, view


async def test_a_materials_request_is_answered_by_sending_the_materials(
    settings: Settings, clock: FixedClock, sqlite_demo_services, proof_folder: Path
) -> None:  # type: ignore[no-untyped-def]
    services = sqlite_demo_services
    cid, view = hardship_proof_requested(services, proof_folder)
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_proofs(pilot, "80000002", "222222", view.id)
        offered = footer_descriptions(app)
        assert offered["s"] == "发送补充材料" and "delete" not in offered
        required = text_of(screen.query_one("#proofs-required"))
        assert "银行要求补充：\u2717 困难证明 缺少" in required
        assert "银行留言：请补充住院证明" in required
        assert screen.query_one("#proofs-kind", ProofKindList).value == "hardship"  # the requested kind first
        await pick(pilot, screen, "statement.pdf")
        assert "银行要求补充：\u2713 困难证明 已附" in text_of(screen.query_one("#proofs-required"))
        await pilot.press("s")
        await settle(pilot)
        stored = services.application(cid, view.id)
        assert stored.status == "under_review"
        assert ("hardship", "statement.pdf") in [(p.kind, p.original_name) for p in stored.proofs]
        statuses = [e.status for e in stored.events]
        asked = len(statuses) - 1 - statuses[::-1].index("materials_requested")
        assert "under_review" in statuses[asked + 1:]


async def test_a_file_sent_after_the_materials_deadline_is_refused_and_the_screen_shows_the_expiry(
    settings: Settings, clock: FixedClock, sqlite_demo_services, proof_folder: Path
) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    services = sqlite_demo_services
    cid, view = hardship_proof_requested(services, proof_folder)
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_proofs(pilot, "80000002", "222222", view.id)
        assert footer_descriptions(app)["s"] == "发送补充材料"
        clock.advance(dt.timedelta(days=20))  # the borrower left the screen open past the deadline
        await pick(pilot, screen, "statement.pdf")
        await settle(pilot)
        assert "补交材料的期限已过" in text_of(screen.query_one("#proofs-picker-message"))
        # The screen read the application again: it shows it expired, with nothing left to send.
        assert screen.view is not None and screen.view.status == "expired"
        assert "s" not in footer_descriptions(app)
        stored = services.application(cid, view.id)
        assert stored.status == "expired"
        assert "statement.pdf" not in [p.original_name for p in stored.proofs]


async def test_the_proofs_screen_follows_the_language_key(
    settings: Settings, clock: FixedClock, sqlite_demo_services, proof_folder: Path
) -> None:  # type: ignore[no-untyped-def]
    services = sqlite_demo_services
    view = draft(services, "80000001", ApplicationKind.FIRST)
    services.attach_proof(customer_id("80000001"), view.id, ProofKind.HARDSHIP, proof_folder / "payslip.pdf")
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_proofs(pilot, "80000001", "111111", view.id)
        await pilot.press("f2")
        await settle(pilot)
        assert screen.sub_title == "Step 6 Proofs   [1st negotiation]"
        assert "\u2713 Hardship evidence attached" in text_of(screen.query_one("#proofs-required"))
        table = screen.query_one("#proofs-table", LineTable)
        assert row_texts(table)[0][0] == "Hardship evidence"
        assert row_texts(table)[0][5] == "28 Nov 2026 09:30"
        assert table.render_line(1).text.split("  ")[0].strip() == "Hardship evidence"  # the longest kind, not cut
        kinds = screen.query_one("#proofs-kind", ProofKindList)
        assert [str(option.prompt) for option in kinds.options] == [
            "Income proof", "Expense proof", "Hardship evidence", "Proof of funds"
        ]
        assert kinds.value == "hardship"  # relabelled, still on the same kind
        assert footer_descriptions(app)["s"] == "Submit"


async def test_with_several_allowed_folders_a_list_switches_the_tree_between_them(
    settings: Settings, clock: FixedClock, sqlite_demo_services, proof_folder: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "scan-0001.pdf").write_bytes(PDF)
    two_roots = replace(settings, extra={**settings.extra, "proof_folders": [str(proof_folder), str(inbox)]})
    view = draft(sqlite_demo_services, "80000001", ApplicationKind.FIRST)
    app = make_app(two_roots, clock, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_proofs(pilot, "80000001", "111111", view.id)
        roots = screen.query_one("#proofs-root", Select)
        roots.focus()
        await pilot.press("enter", "down", "enter")
        await settle(pilot)
        tree = screen.query_one(ProofFileTree)
        assert str(tree.root.label) == "inbox"
        assert shown_names(tree) == ["scan-0001.pdf"]


def test_file_sizes_read_in_bytes_kib_and_mib_without_float() -> None:
    tr = Translator("en")
    assert size_text(tr, 812) == "812 B"
    assert size_text(tr, 12_595) == "12.3 KiB"
    assert size_text(tr, 10 * 1024 * 1024) == "10.0 MiB"


async def test_escape_waits_while_a_submission_is_on_its_way(
    settings: Settings, clock: FixedClock, sqlite_demo_services, proof_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Esc during the submission would show the form below as a draft the database no longer
    has: it is off (and not in the Footer) until the answer comes, then the progress opens."""
    import threading

    from wsnego_tui.screens.progress import ProgressScreen

    services = sqlite_demo_services
    view = draft(services, "80000001", ApplicationKind.FIRST)
    cid = customer_id("80000001")
    services.attach_proof(cid, view.id, ProofKind.HARDSHIP, proof_folder / "payslip.pdf")
    answer = threading.Event()
    submit = services.submit_application

    def held(*args, **kwargs):  # type: ignore[no-untyped-def]
        answer.wait(10)
        return submit(*args, **kwargs)

    monkeypatch.setattr(services, "submit_application", held)
    app = make_app(settings, clock, services=services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_proofs(pilot, "80000001", "111111", view.id)
        await pilot.press("s")
        await pilot.pause(0.1)
        assert "escape" not in footer_descriptions(app)
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert app.screen is screen
        answer.set()
        await settle(pilot)
        assert isinstance(app.screen, ProgressScreen)
        assert services.application(cid, view.id).status != "draft"
