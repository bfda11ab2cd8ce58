"""Snapshots of the officer console at 100x30, in Chinese and in English: the queue (a first
negotiation and a settlement waiting), the case view of the first negotiation, and the offer
builder with its live preview; the middle page of a queue of three pages, whose Footer must
still fit 100 columns (checked key by key too, without a snapshot).

Regenerate with `pytest tests/test_snapshots_officer.py --snapshot-update`, then look at every
changed SVG: Chinese columns aligned, money right-aligned, nothing cut off.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest
from app_factory import (
    FIRST_FORM,
    SETTLEMENT_FORM,
    SIZE,
    make_officer_app,
    officer_log_in,
    settle,
    submit,
    wait_until,
)
from textual.pilot import Pilot
from textual.widgets import DataTable, Footer

from wsnego_tui.config import Settings
from wsnego_tui.core.clock import FixedClock
from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.core.policy import DEFAULT_POLICY
from wsnego_tui.core.proofs import ProofKind
from wsnego_tui.screens.officer_builder import BuilderScreen
from wsnego_tui.screens.officer_case import CaseScreen
from wsnego_tui.screens.officer_queue import QueueScreen
from wsnego_tui.services import Services

POLICY = dataclasses.replace(DEFAULT_POLICY, auto_decide_first=False, officer_waiver_limit=Decimal("0.00"))


def two_cases(services: Services, tmp_path: Path) -> None:
    services.policy = POLICY
    submit(services, tmp_path / "p")
    submit(services, tmp_path / "p", "80000004", "444444", kind=ApplicationKind.SETTLEMENT, form=SETTLEMENT_FORM,
           proofs=(ProofKind.FUNDS,))


def three_pages(services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three cases waiting (a first negotiation, a settlement, a second negotiation), one a page."""
    two_cases(services, tmp_path)
    submit(services, tmp_path / "p", "80000002", "222222", kind=ApplicationKind.SECOND,
           form=FIRST_FORM.merged(wish_months=36), proofs=(ProofKind.INCOME, ProofKind.EXPENSE))
    monkeypatch.setattr(QueueScreen, "PAGE_SIZE", 1)


async def next_page(pilot: Pilot[int]) -> QueueScreen:
    """`n` on the queue, until the next page's rows are shown."""
    queue = pilot.app.screen
    assert isinstance(queue, QueueScreen)
    await pilot.press("n")
    await wait_until(pilot, lambda: queue.shown_request == queue.request)
    await settle(pilot)
    return queue


def footer_overflow(pilot: Pilot[int]) -> int:
    """How many columns the Footer's keys run past its right edge (0: all of them on screen)."""
    footer = pilot.app.screen.query_one(Footer)
    right = max(child.virtual_region_with_margin.right for child in footer.children)
    return max(0, right - footer.size.width)


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


async def on_the_middle_page(pilot: Pilot[int]) -> None:
    await officer_log_in(pilot, "O0001", "900001")
    await next_page(pilot)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_middle_page_of_a_queue_of_three_pages(snap_compare, settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str) -> None:  # type: ignore[no-untyped-def]
    three_pages(sqlite_demo_services, tmp_path, monkeypatch)
    app = make_officer_app(settings, clock, lang=lang, services=sqlite_demo_services)
    assert snap_compare(app, terminal_size=SIZE, run_before=on_the_middle_page)


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_on_every_page_of_a_long_queue_the_footer_fits_100_columns_and_r_still_refreshes(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    lang: str,
) -> None:
    """With more than one page the Footer gains `n` and `p`: at 100 columns its last keys
    (F1 help, F2 language) were pushed off the screen, and the help list with them."""
    three_pages(sqlite_demo_services, tmp_path, monkeypatch)
    app = make_officer_app(settings, clock, lang=lang, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        await officer_log_in(pilot, "O0001", "900001")
        queue = app.screen
        assert isinstance(queue, QueueScreen) and queue.page is not None and queue.page.pages == 3
        shown = []
        for page in range(3):
            if page:
                await next_page(pilot)
            assert queue.page_no == page
            assert footer_overflow(pilot) == 0, f"page {page + 1}"
            shown.append({key for key, active in app.screen.active_bindings.items()
                          if active.binding.show and active.enabled})
        assert [("n" in keys, "p" in keys) for keys in shown] == [(True, False), (True, True), (False, True)]
        assert all({"enter", "escape", "f1", "f2"} <= keys and "r" not in keys for keys in shown)
        request = queue.request
        await pilot.press("r")  # not in the Footer, still at work
        await wait_until(pilot, lambda: queue.request == request + 1 and queue.shown_request == queue.request)
        assert queue.page_no == 2


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_the_builders_schedule_fits_its_half_of_the_screen_without_scrolling_sideways(
    settings: Settings, clock: FixedClock, sqlite_demo_services: Services, tmp_path: Path, lang: str
) -> None:
    two_cases(sqlite_demo_services, tmp_path)
    app = make_officer_app(settings, clock, lang=lang, services=sqlite_demo_services)
    async with app.run_test(size=SIZE) as pilot:
        await at("builder")(pilot)
        table = app.screen.query_one("#builder-schedule", DataTable)
        assert table.row_count == 24 and table.max_scroll_x == 0, (table.virtual_size, table.scrollable_content_region)
        assert table.region.right <= SIZE[0]
