"""The one way tests build the app: `make_app(settings, clock, lang=...)`.

Every app test (pilot and snapshot) goes through it, so they all run on the temp home and
database of the `settings` fixture, the fixed clock of the `clock` fixture, with no cursor
blink and no animations, and with the app's real services unless a test passes its own.
The helpers drive the common steps (wait for the database, log in) the same way everywhere,
and set up applications through the services exactly as the borrower's steps would
(`submit`, `reviewed`), then open a screen on them (`open_screen`).

Never touches the developer's own folders, and never writes SQL: data comes from the services
(demo data) or the store's own models.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Input

from wsnego_tui.app import WsnegoApp
from wsnego_tui.config import Settings
from wsnego_tui.core.application_form import FormFields
from wsnego_tui.core.clock import Clock
from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.core.proofs import ProofKind
from wsnego_tui.core.views import CustomerView
from wsnego_tui.widgets.line_table import LineTable

if TYPE_CHECKING:
    import pytest

    from wsnego_tui.services import Services

SIZE = (100, 30)
"""The terminal size of pilot and snapshot tests (DESIGN.md section 6)."""


def make_app(
    settings: Settings,
    clock: Clock,
    *,
    lang: str = "zh",
    services: Services | None = None,
    demo: bool = True,
    kiosk: bool = False,
) -> WsnegoApp:
    """The app on the test's temp database, at the fixed time, in `lang`, without motion.

    `demo=True` (the default) starts it like `wsnego-tui --demo`: an empty database gets the
    demo customers before the log-in screen is enabled."""
    app = WsnegoApp(replace(settings, lang=lang, demo=demo, kiosk=kiosk), clock=clock, services=services)
    app.animation_level = "none"
    app.input_cursor_blink = False
    return app


async def settle(pilot: Pilot[int]) -> None:
    """Let every worker finish and every message that follows be handled."""
    app = pilot.app
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


async def wait_for_database(pilot: Pilot[int]) -> None:
    """Until the start-up worker has opened (and, with demo, seeded) the database."""
    await settle(pilot)
    assert isinstance(pilot.app, WsnegoApp)
    for _ in range(100):
        if pilot.app.services is not None or pilot.app.database_notice is not None and pilot.app.database_notice.error:
            break
        await pilot.pause(0.05)
    await settle(pilot)


async def type_into(pilot: Pilot[int], selector: str, text: str) -> None:
    """Replace the text of an Input by typing, as a person would."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = ""
    await pilot.pause()
    if text:
        await pilot.press(*text)


async def type_log_in(pilot: Pilot[int], customer_no: str, pin: str) -> None:
    """Wait for the database, type the customer number and the PIN key by key and press Enter;
    the caller waits for whatever answer it expects."""
    await wait_for_database(pilot)
    await type_into(pilot, "#customer-no", customer_no)
    await type_into(pilot, "#pin", pin)
    await pilot.press("enter")


async def log_in(pilot: Pilot[int], customer_no: str, pin: str) -> None:
    """Fill both fields, press Enter in the PIN field and wait for the answer (and for the
    next screen's data). Tests about typing itself use `type_into`, key by key."""
    await _submit_log_in_form(pilot, "#customer-no", customer_no, pin)


async def _submit_log_in_form(pilot: Pilot[int], number_field: str, number: str, pin: str) -> None:
    """Fill a log-in form's number field and PIN, press Enter in the PIN field and settle."""
    screen = pilot.app.screen
    screen.query_one(number_field, Input).value = number
    pin_field = screen.query_one("#pin", Input)
    pin_field.value = pin
    pin_field.focus()
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)


def text_of(widget: Widget) -> str:
    """What a Static, Label or Button shows, as plain text."""
    visual = widget.visual if hasattr(widget, "visual") else widget.render()
    return visual.plain if hasattr(visual, "plain") else str(visual)


def row_texts(table: DataTable[object] | LineTable) -> list[list[str]]:
    """Every row of a DataTable (or a LineTable) as the plain text of its cells."""
    return [
        [cell.plain if hasattr(cell, "plain") else str(cell) for cell in table.get_row_at(index)]
        for index in range(table.row_count)
    ]


def footer_descriptions(app: App[object]) -> dict[str, str]:
    """What the Footer offers now: key -> description of the bindings it shows."""
    return {
        key: active.binding.description
        for key, active in app.screen.active_bindings.items()
        if active.binding.show and active.enabled
    }


PDF = b"%PDF-1.4\n%proof\n"
FIRST_FORM = FormFields(
    hardship_category="income_drop", hardship_text="店铺营业额下降。",
    monthly_income=Decimal("8000.00"), essential_expenses=Decimal("3000.00"), other_debt=Decimal("0.00"),
    wish_months=24,
)
SETTLEMENT_FORM = FormFields(
    hardship_category="business_failure", hardship_text="店铺关闭，亲属借款一次性结清。",
    monthly_income=Decimal("3000.00"), essential_expenses=Decimal("2500.00"),
    lump_sum=Decimal("60000.00"), lump_date=dt.date(2026, 12, 1),
)


def allow_proofs(services: Services, folder: Path) -> Path:
    """Let the services take proof files from `folder` (settings extra "proof_folders")."""
    folder.mkdir(parents=True, exist_ok=True)
    extra = {**services.settings.extra, "proof_folders": [str(folder)]}
    services.settings = dataclasses.replace(services.settings, extra=extra)
    return folder


def submit(
    services: Services,
    folder: Path,
    customer_no: str = "80000001",
    pin: str = "111111",
    *,
    kind: ApplicationKind = ApplicationKind.FIRST,
    form: FormFields = FIRST_FORM,
    proofs: tuple[ProofKind, ...] = (ProofKind.HARDSHIP,),
) -> tuple[int, int]:
    """Submit an application for the customer's first loan; (customer id, application id)."""
    allow_proofs(services, folder)
    customer = services.login(customer_no, pin).customer
    assert customer is not None
    loan = services.loans_of(customer.id)[0]
    app = services.start_application(customer.id, loan.loan_id, kind)
    app = services.save_application_form(customer.id, app.id, form, version=app.version)
    for index, proof in enumerate(proofs):
        path = folder / f"{kind}-{proof}-{index}.pdf"
        path.write_bytes(PDF + f"{kind}{proof}{index}".encode())
        app = services.attach_proof(customer.id, app.id, proof, path)
    app = services.submit_application(customer.id, app.id, version=app.version, idempotency_key=f"submit-{app.id}")
    return customer.id, app.id


def reviewed(services: Services, folder: Path, *args: str, **kwargs: object) -> tuple[int, int]:
    """Submitted and reviewed: for 80000001's first negotiation, four offers are issued."""
    ids = submit(services, folder, *args, **kwargs)  # type: ignore[arg-type]
    services.catch_up()
    return ids


async def open_screen(
    pilot: Pilot[int], customer_no: str, pin: str, make_screen: Callable[[CustomerView], Screen[object]]
) -> Screen[object]:
    """Log in through the app, then put `make_screen(customer)` on top and let it load."""
    await wait_for_database(pilot)
    await log_in(pilot, customer_no, pin)
    app = pilot.app
    assert app.customer is not None  # type: ignore[attr-defined]
    app.push_screen(make_screen(app.customer))  # type: ignore[attr-defined]
    await settle(pilot)
    return app.screen


def record_scrypt_runs(monkeypatch: pytest.MonkeyPatch, what: Callable[[str, str], str]) -> list[str]:
    """Every PIN check's scrypt from now on (in whichever thread), as `what(pin, stored_hash)`."""
    from wsnego_tui.core import pins

    runs: list[str] = []
    real = pins.verify_pin

    def verify(pin: str, stored: str) -> bool:
        runs.append(what(pin, stored))
        return real(pin, stored)

    monkeypatch.setattr(pins, "verify_pin", verify)
    return runs


def early_check_done(screen: object) -> bool:
    """The screen's early PIN check (screens/early_pin.py) has been made."""
    pending = screen.early_pin.pending  # type: ignore[attr-defined]
    return pending is not None and pending.done.is_set()


def screen_shown(app: App[object], screen_type: type[Screen[object]]) -> bool:
    """A `screen_type` screen is on top and mounted. A screen is on top as soon as it is pushed,
    and composed only later, so a test that waits for a timer's dialog must wait for this."""
    return isinstance(app.screen, screen_type) and app.screen.is_mounted


async def wait_until(pilot: Pilot[int], condition: Callable[[], bool], seconds: float = 15.0) -> float:
    """Let the app run (no keys pressed) until `condition` holds; the seconds it took."""
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < seconds, "the screen did not change in time"
        await pilot.pause(0.1)
    return time.monotonic() - start


def make_officer_app(
    settings: Settings, clock: Clock, *, lang: str = "zh", services: Services | None = None, demo: bool = True
) -> WsnegoApp:
    """The officer console (OfficerApp) like `make_app`: temp database, fixed time, no motion."""
    from wsnego_tui.officer_app import OfficerApp

    app = OfficerApp(replace(settings, lang=lang, demo=demo), clock=clock, services=services)
    app.animation_level = "none"
    app.input_cursor_blink = False
    return app


async def officer_log_in(pilot: Pilot[int], officer_no: str, pin: str) -> None:
    """Wait for the database, fill the officer log-in form, press Enter and wait for the answer
    (and, on success, for the queue's first page)."""
    await wait_for_database(pilot)
    await _submit_log_in_form(pilot, "#officer-no", officer_no, pin)
    queue = pilot.app.screen
    if type(queue).__name__ == "QueueScreen":
        await wait_until(pilot, lambda: queue.shown_request == queue.request)  # type: ignore[attr-defined]
        await settle(pilot)  # and everything the rows set off (layout, Footer) before a snapshot
