"""Render the gallery in `screens/`: every step of the borrower's journey, from the real app on
the demo data, in Chinese and in English, plus `screens/README.md` that walks through them.

Run with `make screens`. Each picture is the app itself (WsnegoApp with its real services)
on a throwaway home folder at a fixed time (28 Nov 2026, 09:30 in Beijing), 100×30 cells: the
state a step needs (a draft, a submitted application, an offer) is made through the services,
exactly as the screens would make it, and the screen is then opened with the state it is given
in the app. Nothing here writes SQL or fakes a screen.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import shutil
import sys
import tempfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textual.screen import Screen  # noqa: E402

from wsnego_tui.app import WsnegoApp  # noqa: E402
from wsnego_tui.config import load_settings  # noqa: E402
from wsnego_tui.core.application_form import FormFields  # noqa: E402
from wsnego_tui.core.clock import CHINA_TZ, FixedClock  # noqa: E402
from wsnego_tui.core.lifecycle import ApplicationKind  # noqa: E402
from wsnego_tui.core.proofs import ProofKind  # noqa: E402
from wsnego_tui.services import Services  # noqa: E402

OUT = ROOT / "screens"
SIZE = (100, 30)
NOW = dt.datetime(2026, 11, 28, 9, 30, tzinfo=CHINA_TZ)
PDF = b"%PDF-1.4\n% wsnego-tui gallery: a scanned payslip would be here\n%%EOF\n"
FORM = FormFields(
    hardship_category="income_drop",
    hardship_text="店铺营业额下降，收入减少，无法按原计划还款。",
    monthly_income=Decimal("8000.00"),
    essential_expenses=Decimal("3000.00"),
    other_debt=Decimal("500.00"),
    wish_months=24,
)

# (file stem, title zh, title en, what the step is for)
STEPS = [
    ("01-login", "登录", "Log in", "Customer number and 6-digit PIN; five wrong PINs lock the customer for 15 minutes."),
    ("02-my-loans", "我的贷款", "My Loans", "Every loan with what is owed and overdue; Enter opens one."),
    ("03-loan-detail", "贷款详情", "Loan detail", "The plan with each row marked, every charge explained, the actions open now."),
    ("04-negotiate", "选择协商方式", "Negotiate", "The three kinds, each with its eligibility checklist, before any form."),
    ("05-application", "填写申请", "Application", "Hardship, income and expenses, the wished plan, with a live preview."),
    ("06-proofs", "证明材料", "Proof materials", "Files picked inside the allowed folders, checked by content, copied safely."),
    ("07-progress", "审核进度", "Progress", "The timeline with deadlines, updating live while open."),
    ("08-offers", "协商方案", "Offers", "The bank's offers beside the current plan, with a chart of the payments."),
    ("09-confirm", "确认协商协议", "Confirm", "The agreement, old against new, confirmed with the last 4 digits and the PIN."),
    ("10-repay", "按新计划还款", "Repay", "Pay on the new plan: the allocation is shown before paying, then a receipt."),
    ("11-inbox", "消息", "Inbox", "Messages from the bank: offers ready, materials requested, plans broken."),
]


class Gallery:
    def __init__(self, home: Path) -> None:
        inbox = home / "inbox"
        inbox.mkdir(parents=True)
        self.inbox = inbox
        self.clock = FixedClock(NOW)
        self.settings = dataclasses.replace(
            load_settings(home=home), demo=True, extra={"proof_folders": [str(inbox)]}
        )
        self.services = Services(self.settings, self.clock)
        self.services.prepare()
        self.services.load_demo()

    def customer(self, number: str, pin: str):  # type: ignore[no-untyped-def]
        return self.services.login(number, pin).customer

    def proof(self, name: str, body: bytes = PDF) -> Path:
        path = self.inbox / name
        path.write_bytes(body)
        return path

    def draft(self, customer, loan_id: int):  # type: ignore[no-untyped-def]
        svc = self.services
        app = svc.start_application(customer.id, loan_id, ApplicationKind.FIRST)
        app = svc.save_application_form(customer.id, app.id, FORM, version=app.version)
        return svc.attach_proof(customer.id, app.id, ProofKind.HARDSHIP, self.proof("收入证明-2026年11月.pdf"))

    async def shoot(self, lang: str, name: str, opener: Callable[[WsnegoApp], Screen | None]) -> None:
        app = WsnegoApp(dataclasses.replace(self.settings, lang=lang), clock=self.clock, services=self.services)
        app.animation_level = "none"
        app.input_cursor_blink = False
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            screen = opener(app)
            if screen is not None:
                await app.push_screen(screen)
            await settle(pilot)
            app.save_screenshot(filename=f"{name}.{lang}.svg", path=str(OUT))


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(4):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.2)


async def render(gallery: Gallery) -> None:
    from wsnego_tui.screens.application_form import ApplicationFormScreen
    from wsnego_tui.screens.confirm import ConfirmScreen
    from wsnego_tui.screens.inbox import InboxScreen
    from wsnego_tui.screens.loan_detail import LoanDetailScreen
    from wsnego_tui.screens.loans import LoansScreen
    from wsnego_tui.screens.negotiate import NegotiateScreen
    from wsnego_tui.screens.offers import OffersScreen
    from wsnego_tui.screens.progress import ProgressScreen
    from wsnego_tui.screens.proofs import ProofsScreen
    from wsnego_tui.screens.repay import RepayScreen

    svc = gallery.services
    zhang = gallery.customer("80000001", "111111")
    loan = svc.loans_of(zhang.id)[0].loan_id
    for lang in ("zh", "en"):
        await gallery.shoot(lang, "01-login", lambda app: None)
        await gallery.shoot(lang, "02-my-loans", lambda app: LoansScreen(zhang))
        await gallery.shoot(lang, "03-loan-detail", lambda app: LoanDetailScreen(zhang, loan))
        await gallery.shoot(lang, "04-negotiate", lambda app: NegotiateScreen(zhang, loan))
    draft = gallery.draft(zhang, loan)
    for lang in ("zh", "en"):
        await gallery.shoot(lang, "05-application", lambda app: ApplicationFormScreen(zhang, loan, ApplicationKind.FIRST))
        await gallery.shoot(lang, "06-proofs", lambda app: ProofsScreen(zhang, draft.id))
    svc.submit_application(zhang.id, draft.id, version=draft.version, idempotency_key="gallery-submit")
    svc.catch_up(zhang.id)
    _, offers = svc.offers(zhang.id, draft.id)
    chosen = min(offers, key=lambda o: o.installment)
    for lang in ("zh", "en"):
        await gallery.shoot(lang, "07-progress", lambda app: ProgressScreen(zhang, draft.id))
        await gallery.shoot(lang, "08-offers", lambda app: OffersScreen(zhang, draft.id))
        await gallery.shoot(lang, "09-confirm", lambda app: ConfirmScreen(zhang, draft.id, chosen.id))
        await gallery.shoot(lang, "11-inbox", lambda app: InboxScreen(zhang))
    svc.accept_offer(zhang.id, draft.id, chosen.id, pin="111111", last4="0001")
    for lang in ("zh", "en"):
        await gallery.shoot(lang, "10-repay", lambda app: RepayScreen(zhang, loan))


def write_readme() -> None:
    lines = [
        "# The wsnego-tui gallery",
        "",
        "Every step of the borrower's journey, rendered from the real app on the demo data by",
        "`make screens` (scripts/make_screens.py) at 100×30, in Chinese (the default) and English.",
        "The borrower is demo customer 80000001 (张伟, PIN 111111): two installments overdue on a",
        "网商贷 loan, who negotiates a first plan (协商还款), accepts the bank's offer and repays on it.",
        "",
    ]
    for number, (stem, zh, en, what) in enumerate(STEPS, start=1):
        lines += [
            f"## {number}. {zh} / {en}",
            "",
            what,
            "",
            f"![{zh}]({stem}.zh.svg)",
            "",
            f"![{en}]({stem}.en.svg)",
            "",
        ]
    (OUT / "README.md").write_text("\n".join(lines), encoding="utf-8")


def main() -> int:
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.svg"):
        old.unlink()
    home = Path(tempfile.mkdtemp(prefix="wsnego-gallery-"))
    try:
        gallery = Gallery(home)
        try:
            asyncio.run(render(gallery))
        finally:
            gallery.services.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    write_readme()
    print(f"wrote {len(list(OUT.glob('*.svg')))} screens and README.md to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
