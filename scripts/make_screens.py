"""Render the gallery in `screens/`: every step of the borrower's journey, from the real app on
the demo data, then the officer console's pages (queue, case, offer builder, a decision
dialog) from the real OfficerApp, in Chinese and in English, plus `screens/README.md` that walks
through them.

Run with `make screens`. Each picture is the app itself (WsnegoApp with its real services)
on a throwaway home folder at a fixed time (28 Nov 2026, 09:30 in Beijing), 100×30 cells: the
state a step needs (a draft, a submitted application, an offer) is made through the services,
exactly as the screens would make it, and the screen is then opened with the state it is given
in the app. The officer's pages use a second throwaway home with the demo data and a policy
that sends first negotiations to an officer, where 张伟 (80000001) and 刘洋 (80000004) have
submitted applications. Nothing here writes SQL or fakes a screen.
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

from textual.screen import Screen

from wsnego_tui.app import WsnegoApp
from wsnego_tui.config import load_settings
from wsnego_tui.core.application_form import FormFields
from wsnego_tui.core.clock import CHINA_TZ, FixedClock
from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.core.policy import DEFAULT_POLICY, Policy
from wsnego_tui.core.proofs import ProofKind
from wsnego_tui.services import Services

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
SETTLEMENT_FORM = FormFields(
    hardship_category="business_failure",
    hardship_text="店铺关闭，亲属借款一次性结清。",
    monthly_income=Decimal("3000.00"),
    essential_expenses=Decimal("2500.00"),
    lump_sum=Decimal("60000.00"),
    lump_date=dt.date(2026, 12, 1),
)
OFFICER_POLICY = dataclasses.replace(DEFAULT_POLICY, auto_decide_first=False, officer_waiver_limit=Decimal("0.00"))
"""First negotiations go to an officer (as in tests/test_snapshots_officer.py)."""

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
OFFICER_STEPS = [
    ("12-officer-queue", "审核员：待审队列", "Officer: queue",
     ("After the officer logs in (O0001 赵敏, PIN 900001): the applications waiting for a decision, soonest "
     "deadline first, with the business days left, the kind and status, the masked customer number, the "
     "recommended waiver and any proposal awaiting a second officer. `k`, `s`, `g` and `2` filter by kind, "
     "status, age and second approval; Enter opens a case.")),
    ("13-officer-case", "审核员：案件详情", "Officer: case",
     ("Everything about one application: the customer's loans, the income and expenditure statement, the "
     "hardship as the borrower wrote it (shown literally), the proofs as metadata only, the engine's "
     "recommended offers and why it handed the case over, the rules and the decision history. The Footer "
     "offers only the decisions this officer may take now.")),
    ("14-officer-builder", "审核员：方案设计", "Officer: offer builder",
     ("Term, rate, grace, waivers and down payment within the policy's limits (listed at the top), with the "
     "offer they give recomputed as the officer types: installment, totals, annualized rate, whether it is "
     "affordable and whether a second officer must approve it, and the whole schedule. Ctrl+S issues it.")),
    ("15-officer-decision", "审核员：拒绝申请", "Officer: decision dialog",
     ("One of the decision dialogs, here rejecting: a reason (the policy's or a rule that failed), what "
     "would change the decision, and the officer's note; Ctrl+S sends it with the case version the officer "
     "saw, so a decision on a case that changed meanwhile is refused.")),
]


class Gallery:
    def __init__(self, home: Path, policy: Policy | None = None) -> None:
        inbox = home / "inbox"
        inbox.mkdir(parents=True)
        self.inbox = inbox
        self.clock = FixedClock(NOW)
        self.settings = dataclasses.replace(
            load_settings(home=home), demo=True, extra={"proof_folders": [str(inbox)]}
        )
        self.services = Services(self.settings, self.clock, policy=policy)
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


    async def shoot_officer(self, lang: str, name: str, *openers: Callable[[WsnegoApp], Screen],
                            ready: Callable[[Screen], bool] = lambda screen: True) -> None:
        """The officer console with `openers`' screens pushed in turn (each once the one before
        has settled), shot when the top one is `ready`."""
        from wsnego_tui.officer_app import OfficerApp

        app = OfficerApp(dataclasses.replace(self.settings, lang=lang), clock=self.clock, services=self.services)
        app.animation_level = "none"
        app.input_cursor_blink = False
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            for opener in openers:
                await app.push_screen(opener(app))
                await settle(pilot)
            for _ in range(50):
                if ready(app.screen):
                    break
                await pilot.pause(0.1)
            else:
                raise RuntimeError(f"{name}.{lang}: the screen never got ready")
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


async def render_officer(gallery: Gallery) -> None:
    """The officer console on two submitted applications: 张伟's first negotiation and 刘洋's
    settlement, both waiting for an officer."""
    from wsnego_tui.screens.officer_builder import BuilderScreen
    from wsnego_tui.screens.officer_case import CaseScreen
    from wsnego_tui.screens.officer_decide import DecisionDialog
    from wsnego_tui.screens.officer_queue import QueueScreen
    from wsnego_tui.services.officer import OfficerServices

    svc = gallery.services
    zhang = gallery.customer("80000001", "111111")
    draft = gallery.draft(zhang, svc.loans_of(zhang.id)[0].loan_id)
    first = svc.submit_application(zhang.id, draft.id, version=draft.version, idempotency_key="gallery-officer-first")
    zhao = gallery.customer("80000004", "444444")
    app = svc.start_application(zhao.id, svc.loans_of(zhao.id)[0].loan_id, ApplicationKind.SETTLEMENT)
    app = svc.save_application_form(zhao.id, app.id, SETTLEMENT_FORM, version=app.version)
    app = svc.attach_proof(zhao.id, app.id, ProofKind.FUNDS, gallery.proof("亲属借款协议.pdf"))
    svc.submit_application(zhao.id, app.id, version=app.version, idempotency_key="gallery-officer-settlement")
    officers = OfficerServices(svc)
    officer = officers.login("O0001", "900001").officer
    assert officer is not None
    case = officers.case(officer.id, first.id)

    def queue(app: WsnegoApp) -> Screen:
        app.officer = officer  # type: ignore[attr-defined]
        return QueueScreen(officer)

    def case_screen(app: WsnegoApp) -> Screen:
        return CaseScreen(officer, first.id)

    def builder(app: WsnegoApp) -> Screen:
        return BuilderScreen(officer, case)

    def reject(app: WsnegoApp) -> Screen:
        return DecisionDialog(officer, case, "reject")

    def reject_filled(screen: Screen) -> bool:
        from textual.widgets import Input

        remedy = screen.query_one("#decide-remedy", Input)
        if not remedy.value:
            remedy.value = "补交近三个月的收入证明后可重新申请" if screen.app.lang == "zh" else (
                "Three months of payslips would let us look again")
        return True

    for lang in ("zh", "en"):
        await gallery.shoot_officer(lang, "12-officer-queue", queue,
                                    ready=lambda s: s.page is not None and s.shown_request == s.request)  # type: ignore[attr-defined]
        await gallery.shoot_officer(lang, "13-officer-case", queue, case_screen,
                                    ready=lambda s: s.case is not None)  # type: ignore[attr-defined]
        await gallery.shoot_officer(lang, "14-officer-builder", queue, case_screen, builder,
                                    ready=lambda s: s.preview is not None and s.shown_request == s.request)  # type: ignore[attr-defined]
        await gallery.shoot_officer(lang, "15-officer-decision", queue, case_screen, reject, ready=reject_filled)


def step_section(number: int, stem: str, zh: str, en: str, what: str) -> list[str]:
    """A step's lines in screens/README.md: heading, paragraph, both pictures."""
    return [f"## {number}. {zh} / {en}", "", what, "", f"![{zh}]({stem}.zh.svg)", "", f"![{en}]({stem}.en.svg)", ""]


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
    for number, step in enumerate(STEPS, start=1):
        lines += step_section(number, *step)
    lines += [
        "## The officer console / 审核员工作台",
        "",
        "`wsnego-tui officer` is the bank's side on the same database. These pages come from the real",
        "OfficerApp on the demo data with a policy that sends first negotiations to an officer: 张伟",
        "(80000001) has submitted the same first negotiation as above and 刘洋 (80000004) a settlement;",
        "officer O0001 (赵敏) works them.",
        "",
    ]
    for number, step in enumerate(OFFICER_STEPS, start=len(STEPS) + 1):
        lines += step_section(number, *step)
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
        officer_gallery = Gallery(home / "officer-console", policy=OFFICER_POLICY)
        try:
            asyncio.run(render_officer(officer_gallery))
        finally:
            officer_gallery.services.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    write_readme()
    print(f"wrote {len(list(OUT.glob('*.svg')))} screens and README.md to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
