"""Snapshots of step 5 (the application form) and step 6 (the proof materials) at 100x30, in
Chinese and in English, on the demo data with a fixed clock.

Regenerate with `pytest tests/test_snapshots_application.py --snapshot-update`, render the
changed SVGs to PNG and look at them: the Chinese labels, fields and messages must line up,
nothing may be cut off, money reads ¥1,234.56 and is right-aligned in the preview.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from app_factory import SIZE, log_in, make_app, settle, wait_for_database
from textual.pilot import Pilot
from textual.widgets import Input

from wsnego_tui.config import Settings
from wsnego_tui.core.application_form import FormFields
from wsnego_tui.core.clock import FixedClock
from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.core.proofs import ProofKind
from wsnego_tui.screens import application_form
from wsnego_tui.screens.application_form import WIDGET_IDS, ApplicationFormScreen
from wsnego_tui.screens.proofs import ProofsScreen
from wsnego_tui.widgets.file_picker import ProofFileTree

PDF = b"%PDF-1.4\n% a payslip\n%%EOF\n"
PINS = {"80000001": "111111", "80000002": "222222", "80000004": "444444"}

FIRST_FILLED = FormFields(
    hardship_category="job_loss",
    hardship_text="The restaurant I worked at closed in September; I found part-time work.",
    monthly_income=Decimal("6500.00"),
    essential_expenses=Decimal("2800.00"),
    other_debt=Decimal("600.00"),
    wish_months=24,
    grace_months=2,
    grace_kind="interest-only",
)
SETTLEMENT_FILLED = FormFields(
    hardship_category="business_failure",
    hardship_text="The shop is closed; my family lends me the money to settle.",
    monthly_income=Decimal("4000.00"),
    essential_expenses=Decimal("2500.00"),
    lump_sum=Decimal("48000.00"),
    lump_date=dt.date(2026, 12, 5),
)


@pytest.fixture
def proof_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "proofs"
    (folder / "scans").mkdir(parents=True)
    (folder / "payslip-2026-10.pdf").write_bytes(PDF)
    (folder / "rent-receipt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    (folder / "bank-statement.pdf").write_bytes(b"#!/bin/sh\necho not a pdf\n")
    return folder


@pytest.fixture
def settings(settings: Settings, proof_folder: Path) -> Settings:
    return replace(settings, extra={**settings.extra, "proof_folders": [str(proof_folder)]})


@pytest.fixture(autouse=True)
def quick_saves(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(application_form, "SAVE_DELAY", 0.1)


def customer_id(customer_no: str) -> int:
    return int(customer_no) - 80000000


def draft(services, customer_no: str, kind: ApplicationKind, form: FormFields):  # type: ignore[no-untyped-def]
    cid = customer_id(customer_no)
    loan_id = next(
        loan.loan_id for loan in services.loans_of(cid) if services.eligibility(cid, loan.loan_id)[kind].open
    )
    view = services.start_application(cid, loan_id, kind)
    return loan_id, services.save_application_form(cid, view.id, form, version=view.version)


def on_form(services, customer_no: str, kind: ApplicationKind, form: FormFields, *bad: tuple[str, str]):  # type: ignore[no-untyped-def]
    """Log in, open the saved draft of `kind`, then type each (field, text) of `bad`."""

    async def run_before(pilot: Pilot[int]) -> None:
        loan_id, _ = draft(services, customer_no, kind, form)
        await wait_for_database(pilot)
        await log_in(pilot, customer_no, PINS[customer_no])
        pilot.app.push_screen(ApplicationFormScreen(pilot.app.customer, loan_id, kind))
        await settle(pilot)
        screen = pilot.app.screen
        for field, text in bad:
            widget = screen.query_one(f"#{WIDGET_IDS[field]}", Input)
            widget.focus()
            widget.value = text
            await pilot.pause()
        if bad:
            await pilot.pause(0.3)
            await settle(pilot)

    return run_before


def on_proofs(services, proof_folder: Path):  # type: ignore[no-untyped-def]
    """A second negotiation with its income proof attached; a fake PDF was just refused."""

    async def run_before(pilot: Pilot[int]) -> None:
        cid = customer_id("80000002")
        _, view = draft(services, "80000002", ApplicationKind.SECOND, replace(FIRST_FILLED, hardship_category="illness"))
        services.attach_proof(cid, view.id, ProofKind.INCOME, proof_folder / "payslip-2026-10.pdf")
        await wait_for_database(pilot)
        await log_in(pilot, "80000002", PINS["80000002"])
        pilot.app.push_screen(ProofsScreen(pilot.app.customer, view.id))
        await settle(pilot)
        tree = pilot.app.screen.query_one(ProofFileTree)
        tree.focus()
        tree.cursor_line = 0
        await pilot.press("down", "down", "enter")  # bank-statement.pdf, a script
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_first_negotiation_form_filled_in(snap_compare, settings: Settings, clock: FixedClock, sqlite_demo_services, lang: str) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, clock, lang=lang, services=sqlite_demo_services)
    run_before = on_form(sqlite_demo_services, "80000001", ApplicationKind.FIRST, FIRST_FILLED)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_settlement_form_filled_in(snap_compare, settings: Settings, clock: FixedClock, sqlite_demo_services, lang: str) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, clock, lang=lang, services=sqlite_demo_services)
    run_before = on_form(
        sqlite_demo_services, "80000004", ApplicationKind.SETTLEMENT, SETTLEMENT_FILLED,
    )
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_form_with_errors_next_to_the_fields(snap_compare, settings: Settings, clock: FixedClock, sqlite_demo_services, lang: str) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, clock, lang=lang, services=sqlite_demo_services)
    run_before = on_form(
        sqlite_demo_services, "80000001", ApplicationKind.FIRST, FIRST_FILLED,
        ("monthly_income", "6500元"), ("essential_expenses", "-2800"), ("other_debt", "600.001"), ("wish_months", "72"),
    )
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_proofs_screen(snap_compare, settings: Settings, clock: FixedClock, sqlite_demo_services, proof_folder: Path, lang: str) -> None:  # type: ignore[no-untyped-def]
    app = make_app(settings, clock, lang=lang, services=sqlite_demo_services)
    assert snap_compare(app, terminal_size=SIZE, run_before=on_proofs(sqlite_demo_services, proof_folder))
