"""Snapshots of the officer console at 100x30, in Chinese and in English: the queue (a first
negotiation and a settlement waiting), the case view of the first negotiation, and the offer
builder with its live preview.

Regenerate with `pytest tests/test_snapshots_officer.py --snapshot-update`, then look at every
changed SVG: Chinese columns aligned, money right-aligned, nothing cut off.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest
from app_factory import (
    SETTLEMENT_FORM,
    SIZE,
    make_officer_app,
    officer_log_in,
    settle,
    submit,
    wait_until,
)
from textual.pilot import Pilot
from textual.widgets import DataTable

from wsnego_tui.config import Settings
from wsnego_tui.core.clock import FixedClock
from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.core.policy import DEFAULT_POLICY
from wsnego_tui.core.proofs import ProofKind
from wsnego_tui.screens.officer_builder import BuilderScreen
from wsnego_tui.screens.officer_case import CaseScreen
from wsnego_tui.services import Services

POLICY = dataclasses.replace(DEFAULT_POLICY, auto_decide_first=False, officer_waiver_limit=Decimal("0.00"))


def two_cases(services: Services, tmp_path: Path) -> None:
    services.policy = POLICY
    submit(services, tmp_path / "p")
    submit(services, tmp_path / "p", "80000004", "444444", kind=ApplicationKind.SETTLEMENT, form=SETTLEMENT_FORM,
           proofs=(ProofKind.FUNDS,))


def at(step: str):  # type: ignore[no-untyped-def]
    """run_before: log in as 赵敏 (O0001), then open the first case (case) and its builder."""

    async def run_before(pilot: Pilot[int]) -> None:
        await officer_log_in(pilot, "O0001", "900001")
        if step == "queue":
            return
        pilot.app.screen.query_one(DataTable).move_cursor(row=0)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, CaseScreen) and pilot.app.screen.case is not None)
        if step == "builder":
            await pilot.press("o")
            await wait_until(pilot, lambda: isinstance(pilot.app.screen, BuilderScreen)
                             and pilot.app.screen.preview is not None)
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("step", ["queue", "case", "builder"])
def test_the_officer_console(snap_compare, settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path, step: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    two_cases(sqlite_demo_services, tmp_path)
    app = make_officer_app(settings, clock, lang=lang, services=sqlite_demo_services)
    assert snap_compare(app, terminal_size=SIZE, run_before=at(step))


def picture_proof(services: Services, tmp_path: Path) -> None:
    """The first case's proof becomes a 48 x 24 PNG: a colour gradient with a dark frame."""
    from PIL import Image
    from sqlmodel import select

    from wsnego_tui.services.proof_files import ingest
    from wsnego_tui.store.engine import write_session
    from wsnego_tui.store.models import Proof

    folder = tmp_path / "p"
    im = Image.new("RGB", (48, 24), (20, 20, 40))
    for x in range(2, 46):
        for y in range(2, 22):
            im.putpixel((x, y), (x * 5, y * 10, 200 - x * 4))
    im.save(folder / "scan.png", "PNG")
    stored = ingest(folder / "scan.png", allowed_roots=[folder], store_dir=services.settings.paths.proofs_dir,
                    max_bytes=services.policy.proof_max_bytes)
    with write_session(services.engine) as s:
        proof = s.exec(select(Proof).order_by(Proof.id)).first()
        assert proof is not None
        proof.original_name, proof.sha256 = "[b]收入证明[/b].png", stored.sha256
        proof.size_bytes, proof.media_type = stored.size_bytes, stored.media_type
        s.add(proof)


async def preview_first_proof(pilot: Pilot[int]) -> None:
    from wsnego_tui.screens.officer_proof import ProofPreviewDialog

    await at("case")(pilot)
    pilot.app.screen.query_one("#case-proofs", DataTable).focus()
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ProofPreviewDialog) and pilot.app.screen.view is not None)
    await settle(pilot)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_proof_preview(snap_compare, settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path, lang: str) -> None:  # type: ignore[no-untyped-def]
    two_cases(sqlite_demo_services, tmp_path)
    picture_proof(sqlite_demo_services, tmp_path)
    app = make_officer_app(settings, clock, lang=lang, services=sqlite_demo_services)
    assert snap_compare(app, terminal_size=SIZE, run_before=preview_first_proof)
