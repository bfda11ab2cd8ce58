"""The kiosk inbox belongs to the customer at the kiosk: the scans an earlier customer left
there are neither listed nor taken in, and a scan that was attached leaves the inbox.

(Found in review: customer A's scans stayed in the inbox, listed to and attachable by
customer B at the same kiosk.)"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from app_factory import SIZE, log_in, make_app, settle, wait_for_database
from test_app_proofs import PDF, PNG, customer_id, draft, pick, shown_names

from wsnego_tui.config import Settings
from wsnego_tui.core.clock import FixedClock
from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.core.proofs import ProofKind
from wsnego_tui.screens.login import LoginScreen
from wsnego_tui.screens.proofs import ProofsScreen
from wsnego_tui.services import ServiceError
from wsnego_tui.widgets.file_picker import ProofFileTree


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "kiosk-inbox"
    folder.mkdir()
    return folder


@pytest.fixture
def kiosk_settings(settings: Settings, inbox: Path) -> Settings:
    return replace(settings, extra={**settings.extra, "kiosk_inbox": str(inbox)})


async def open_proofs(pilot, application_id: int) -> ProofsScreen:  # type: ignore[no-untyped-def]
    app = pilot.app
    app.push_screen(ProofsScreen(app.customer, application_id))
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, ProofsScreen) and screen.view is not None
    return screen


async def test_the_next_customer_neither_sees_nor_attaches_the_scans_left_in_the_inbox(
    kiosk_settings: Settings, clock: FixedClock, inbox: Path
) -> None:
    app = make_app(kiosk_settings, clock, kiosk=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        # customer A scans two papers, attaches one and walks away from the other
        await log_in(pilot, "80000001", "111111")
        (inbox / "zhangwei-id-card.pdf").write_bytes(PDF)
        (inbox / "zhangwei-payslip.png").write_bytes(PNG)
        view_a = draft(app.services, "80000001", ApplicationKind.FIRST)
        screen = await open_proofs(pilot, view_a.id)
        tree = screen.query_one(ProofFileTree)
        assert shown_names(tree) == ["zhangwei-id-card.pdf", "zhangwei-payslip.png"]
        await pick(pilot, screen, "zhangwei-id-card.pdf")
        attached = app.services.application(customer_id("80000001"), view_a.id).proofs
        assert [p.original_name for p in attached] == ["zhangwei-id-card.pdf"]
        assert not (inbox / "zhangwei-id-card.pdf").exists(), "an attached scan leaves the inbox"
        app.logout()
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen) and app.customer is None

        # customer B at the same kiosk
        await log_in(pilot, "80000004", "444444")
        view_b = draft(app.services, "80000004", ApplicationKind.FIRST)
        screen = await open_proofs(pilot, view_b.id)
        tree = screen.query_one(ProofFileTree)
        assert shown_names(tree) == []
        with pytest.raises(ServiceError) as refused:
            app.services.attach_proof(  # as the proofs screen calls it, with the kiosk's window
                customer_id("80000004"), view_b.id, ProofKind.HARDSHIP, inbox / "zhangwei-payslip.png",
                inbox=app.kiosk.inbox,
            )
        assert refused.value.code == "missing"
        assert app.services.application(customer_id("80000004"), view_b.id).proofs == ()
        assert (inbox / "zhangwei-payslip.png").exists(), "refused, not removed: it is not B's to remove"

        # B's own scan is listed and attached, and leaves the inbox
        (inbox / "lina-hospital.pdf").write_bytes(PDF.replace(b"payslip", b"hospital"))
        tree.reload()
        await settle(pilot)
        assert shown_names(tree) == ["lina-hospital.pdf"]
        await pick(pilot, screen, "lina-hospital.pdf")
        attached = app.services.application(customer_id("80000004"), view_b.id).proofs
        assert [p.original_name for p in attached] == ["lina-hospital.pdf"]
        assert not (inbox / "lina-hospital.pdf").exists()


async def test_outside_a_kiosk_picked_files_stay_where_they_are(
    settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "payslip.pdf").write_bytes(PDF)
    app = make_app(replace(settings, extra={**settings.extra, "proof_folders": [str(folder)]}), clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await log_in(pilot, "80000001", "111111")
        view = draft(app.services, "80000001", ApplicationKind.FIRST)
        screen = await open_proofs(pilot, view.id)
        await pick(pilot, screen, "payslip.pdf")
        assert [p.original_name for p in app.services.application(customer_id("80000001"), view.id).proofs] == [
            "payslip.pdf"
        ]
    assert (folder / "payslip.pdf").exists()


async def test_a_scan_whose_attachment_is_refused_stays_in_the_inbox(
    kiosk_settings: Settings, clock: FixedClock, inbox: Path
) -> None:
    """The scan leaves the inbox only once it is attached: one refused after it was read (here
    the same paper scanned twice) is still there to attach elsewhere or to rescan."""
    app = make_app(kiosk_settings, clock, kiosk=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_database(pilot)
        await log_in(pilot, "80000001", "111111")
        (inbox / "payslip.pdf").write_bytes(PDF)
        (inbox / "payslip-again.pdf").write_bytes(PDF)
        view = draft(app.services, "80000001", ApplicationKind.FIRST)
        cid = customer_id("80000001")
        app.services.attach_proof(cid, view.id, ProofKind.INCOME, inbox / "payslip.pdf", inbox=app.kiosk.inbox)
        assert not (inbox / "payslip.pdf").exists()
        with pytest.raises(ServiceError) as refused:
            app.services.attach_proof(cid, view.id, ProofKind.INCOME, inbox / "payslip-again.pdf", inbox=app.kiosk.inbox)
        assert refused.value.code == "duplicate"
        assert (inbox / "payslip-again.pdf").exists()
