"""The officer's case view: everything about one application, and the decisions on it.

Shows the borrower (full customer number, name), all their loans, the income & expenditure
statement with the largest affordable payment, the hardship category and the borrower's own
description (shown literally, never as markup), the plan they wished for, the proofs as
metadata (kind, file name, size, media type, the first 16 digits of the sha256 so the table
fits 100 columns; Enter on a proof opens screens.officer_proof: the whole sha256 and a preview,
a picture of an image or a PDF's version and page count; nothing stored is ever run), the engine's recommended offers and
the reasons it handed the case to an officer, every rule it applies to today's facts, and the
decision history with any proposal waiting for a second officer.

Keys (the Footer offers only those the case and the officer's role allow now): `o` the offer
builder (screens.officer_builder), `m` request materials, `x` reject, `a`/`b` approve or send
back a colleague's proposal (senior officers; the service refuses the proposer's own), `w`
take back one's own proposal, `r` read again, Esc back to the queue. A decision that loses a
race (the case changed meanwhile) says so and the case is read again.

Never touches the database on the UI thread; never shows data as markup.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from wsnego_tui.i18n import Translator, enum_label, has_key
from wsnego_tui.screens.base import WsnegoScreen
from wsnego_tui.screens.offers import fill_table, format_rate, offer_label
from wsnego_tui.screens.progress import rule_text
from wsnego_tui.widgets.cells import money_cell, number_cell, text_cell
from wsnego_tui.widgets.safe_text import safe_text
from wsnego_tui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from wsnego_tui.core.views_officer import (
        CaseView,
        DecisionResult,
        DecisionView,
        OfficerView,
    )
    from wsnego_tui.officer_app import OfficerApp

log = logging.getLogger(__name__)

SHA_SHOWN = 16
"""How many hex digits of a proof's sha256 the proofs table shows (the preview shows them all)."""


def money(tr: Translator, amount: Decimal | None) -> str:
    return "-" if amount is None else tr.money(amount)


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


def decision_summary(tr: Translator, d: DecisionView) -> str:
    """One decision in words: what, by whom, when, its status, and the notes (plain text)."""
    text = tr("case.decision", action=tr(f"case.action.{d.action}"), by=safe_text(d.made_by),
              at=tr.datetime(d.made_at), status=tr(f"case.decision_status.{d.status}"))
    if d.note:
        text += "\n  " + tr("case.decision.note", note=safe_text(d.note))
    if d.reviewed_by:
        text += "\n  " + tr("case.decision.reviewed", by=safe_text(d.reviewed_by), note=safe_text(d.review_note))
    if d.approval_reasons:
        text += "\n  " + tr("case.decision.reasons",
                            reasons=tr("progress.list_separator").join(rule_text(tr, r) for r in d.approval_reasons))
    return text


def service_message(tr: Translator, code: str, message: str) -> str:
    """A refusal of the services in the UI language (its own message when there is no key)."""
    key = f"officer.refused.{code}"
    return tr(key) if has_key(key) else safe_text(message)


class CaseScreen(WsnegoScreen[None]):
    STEP_KEY = "step.officer.case"

    BINDINGS = [
        Binding("o", "builder", "Offer builder", id="case.builder"),
        Binding("m", "decide('materials')", "Request materials", id="case.materials"),
        Binding("x", "decide('reject')", "Reject", id="case.reject"),
        Binding("a", "decide('approve')", "Approve", id="case.approve"),
        Binding("b", "decide('send_back')", "Send back", id="case.send_back"),
        Binding("w", "decide('withdraw')", "Withdraw proposal", id="case.withdraw"),
        Binding("r", "reload", "Refresh", id="case.refresh"),
        Binding("escape", "back", "Back", id="case.back"),
    ]

    app: OfficerApp

    class Loaded(Message):
        def __init__(self, case: CaseView | None, code: str | None = None, message: str = "") -> None:
            super().__init__()
            self.case = case
            self.code = code
            self.message = message

    def __init__(self, officer: OfficerView, application_id: int) -> None:
        super().__init__(id="officer-case")
        self.officer = officer
        self.application_id = application_id
        self.case: CaseView | None = None
        self.loads = 0
        """How many times the case was read (tests wait for a reload)."""
        self.problem: tuple[str, str] | None = None

    def compose(self) -> ComposeResult:
        yield TitleBar(icon="¥")
        with VerticalScroll(id="case-panel"):
            yield Static("", id="case-heading", classes="heading", markup=False)
            yield Static("", id="case-summary", markup=False)
            yield Static("", id="case-loans-title", classes="case-section", markup=False)
            yield DataTable(id="case-loans", cursor_type="none", show_cursor=False, zebra_stripes=True)
            yield Static("", id="case-financials-title", classes="case-section", markup=False)
            yield Static("", id="case-financials", markup=False)
            yield Static("", id="case-hardship-title", classes="case-section", markup=False)
            yield Static("", id="case-hardship", markup=False)
            yield Static("", id="case-wish", markup=False)
            yield Static("", id="case-proofs-title", classes="case-section", markup=False)
            yield DataTable(id="case-proofs", cursor_type="row", zebra_stripes=True)
            yield Static("", id="case-engine-title", classes="case-section", markup=False)
            yield Static("", id="case-engine", markup=False)
            yield DataTable(id="case-recommendation", cursor_type="none", show_cursor=False, zebra_stripes=True)
            yield Static("", id="case-rules", markup=False)
            yield Static("", id="case-decisions-title", classes="case-section", markup=False)
            yield Static("", id="case-decisions", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.refresh_texts()
        self.load()

    # Loading --------------------------------------------------------------------------------

    def load(self) -> None:
        self._read()

    @work(thread=True, exclusive=True, group="case", exit_on_error=False)
    def _read(self) -> None:
        from wsnego_tui.services import ServiceError

        try:
            case = self.app.officer_services.case(self.officer.id, self.application_id)  # type: ignore[union-attr]
        except ServiceError as exc:
            self.post_message(self.Loaded(None, exc.code, str(exc)))
            return
        except Exception as exc:
            log.exception("reading the case failed")
            self.post_message(self.Loaded(None, "failed", str(exc)))
            return
        self.post_message(self.Loaded(case))

    def on_case_screen_loaded(self, message: Loaded) -> None:
        self.loads += 1
        if message.case is not None:
            self.case = message.case
            self.problem = None
        else:
            self.problem = (message.code or "failed", message.message)
        self.refresh_texts()
        self.refresh_bindings()

    def case_changed(self) -> None:
        """A decision lost a race: say so, and show the case as it is now."""
        self.notify(self.tr("case.changed"), severity="warning", markup=False)
        self.load()

    # Texts ----------------------------------------------------------------------------------

    def refresh_texts(self) -> None:
        tr = self.tr
        for name in ("loans", "financials", "hardship", "proofs", "engine", "decisions"):
            self.query_one(f"#case-{name}-title", Static).update(Content(tr(f"case.section.{name}")))
        case = self.case
        heading = self.query_one("#case-heading", Static)
        if case is None:
            text = tr("case.loading") if self.problem is None else service_message(tr, *self.problem)
            heading.update(Content(text))
            return
        heading.update(Content(tr(
            "case.heading", number=case.application_id, kind=enum_label(tr.lang, "kind", case.kind),
            status=enum_label(tr.lang, "stage", case.status), version=case.version)))
        deadline = tr.datetime(case.deadline_at) if case.deadline_at else "-"
        left = "-" if case.days_left is None else str(case.days_left)
        self.query_one("#case-summary", Static).update(Content(tr(
            "case.summary", customer_no=safe_text(case.customer_no), name=safe_text(case.customer_name),
            loan_no=safe_text(case.loan_no), submitted=tr.datetime(case.submitted_at) if case.submitted_at else "-",
            deadline=deadline, left=left)))
        self._fill_loans(case)
        f = case.financials
        self.query_one("#case-financials", Static).update(Content(tr(
            "case.financials", income=money(tr, f.monthly_income), expenses=money(tr, f.essential_expenses),
            debt=money(tr, f.other_debt), disposable=money(tr, f.disposable), pct=f.affordability_pct,
            cap=money(tr, f.max_installment))))
        category = enum_label(tr.lang, "appform.hardship", case.hardship_category or "") if case.hardship_category else "-"
        self.query_one("#case-hardship", Static).update(Content.assemble(
            Content(tr("case.hardship.category", category=category) + "\n"),
            Content(safe_text(case.hardship_text) or "-").stylize("italic"),
        ))
        self.query_one("#case-wish", Static).update(Content(self._wish_text(case)))
        self._fill_proofs(case)
        self._show_engine(case)
        decisions = [decision_summary(tr, d) for d in case.decisions]
        pending = case.pending
        lines = []
        if pending is not None:
            lines.append(tr("case.pending", by=safe_text(pending.made_by)))
        lines.extend(decisions or [tr("case.no_decisions")])
        if case.offers:
            lines.append(tr("case.offers_issued", count=len(case.offers),
                            statuses=", ".join(enum_label(tr.lang, "case.offer_status", o.status) for o in case.offers)))
        self.query_one("#case-decisions", Static).update(Content("\n".join(lines)))

    def _wish_text(self, case: CaseView) -> str:
        tr = self.tr
        w = case.wish
        if case.kind == "settlement":
            return tr("case.wish.settlement", amount=money(tr, w.lump_sum), date=tr.date(w.lump_date) if w.lump_date else "-")
        grace = tr("case.wish.grace", months=w.grace_months,
                   kind=enum_label(tr.lang, "appform.grace_kind", w.grace_kind)) if w.grace_months else ""
        return tr("case.wish.plan", months=w.months if w.months else "-", monthly=money(tr, w.monthly), grace=grace)

    def _fill_loans(self, case: CaseView) -> None:
        tr = self.tr
        heads = [(k, Text(tr(f"case.loans.col.{k}"), end="")) for k in
                 ("loan", "product", "outstanding", "overdue", "dpd", "status", "used")]
        rows = []
        for loan in case.loans:
            product = loan.product_zh if tr.lang == "zh" else loan.product_en
            marker = "*" if loan.loan_id == case.loan_id else " "
            rows.append([
                text_cell(f"{marker}{loan.loan_no}"), text_cell(product), money_cell(loan.outstanding_principal),
                money_cell(loan.overdue_total), number_cell(str(loan.days_past_due)),
                text_cell(enum_label(tr.lang, "status", loan.status)), number_cell(str(loan.negotiations_used)),
            ])
        fill_table(self.query_one("#case-loans", DataTable), heads, rows)

    def _fill_proofs(self, case: CaseView) -> None:
        tr = self.tr
        heads = [(k, Text(tr(f"case.proofs.col.{k}"), end="")) for k in ("kind", "name", "size", "type", "sha256")]
        rows = [
            [text_cell(enum_label(tr.lang, "proofs.kind", p.kind)), text_cell(p.original_name),
             number_cell(size_text(p.size_bytes)), text_cell(p.media_type), text_cell(p.sha256[:SHA_SHOWN])]
            for p in case.proofs
        ]
        fill_table(self.query_one("#case-proofs", DataTable), heads, rows)

    def _show_engine(self, case: CaseView) -> None:
        tr = self.tr
        reasons = tr("progress.list_separator").join(rule_text(tr, r) for r in case.officer_reasons) or "-"
        self.query_one("#case-engine", Static).update(Content(tr(
            "case.engine", outcome=tr(f"case.outcome.{case.outcome_now}") if has_key(f"case.outcome.{case.outcome_now}")
            else safe_text(case.outcome_now), reasons=reasons)))
        heads = [(k, Text(tr(f"case.rec.col.{k}"), end="")) for k in
                 ("label", "months", "installment", "total", "waived", "rate")]
        rows = [
            [text_cell(offer_label(tr, o).replace("\n", " ")), number_cell(str(o.months)), money_cell(o.installment),
             money_cell(o.total_payment), money_cell(o.waived_penalty + o.waived_interest),
             number_cell(format_rate(o.annual_rate_pct))]
            for o in case.recommendation
        ]
        fill_table(self.query_one("#case-recommendation", DataTable), heads, rows)
        lines = [tr("case.rules.title")]
        for rule in case.rules:
            mark = tr("case.rule.passed") if rule.passed else tr("case.rule.failed")
            lines.append(f"  {mark} {safe_text(rule.rule)}: {rule_text(tr, rule.rule) if not rule.passed else safe_text(rule.explain)}")
        self.query_one("#case-rules", Static).update(Content("\n".join(lines)))

    # Keys -----------------------------------------------------------------------------------

    def _open(self) -> bool:
        case = self.case
        return case is not None and case.status == "under_review"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        case = self.case
        if action == "builder":
            return self._open() and case.pending is None and case.limits is not None  # type: ignore[union-attr]
        if action == "decide":
            what = parameters[0] if parameters else ""
            if not self._open():
                return False
            pending = case.pending  # type: ignore[union-attr]
            if what in ("materials", "reject"):
                return pending is None
            if pending is None:
                return False
            own = pending.made_by == self.officer.officer_no
            if what == "withdraw":
                return own
            return self.officer.role == "senior"
        return True

    def action_back(self) -> None:
        self.dismiss(None)

    def action_reload(self) -> None:
        self.load()

    def action_builder(self) -> None:
        from wsnego_tui.screens.officer_builder import BuilderScreen

        if self.case is None:
            return
        self.app.push_screen(BuilderScreen(self.officer, self.case), self._decided)

    def action_decide(self, what: str) -> None:
        from wsnego_tui.screens.officer_decide import DecisionDialog

        if self.case is None:
            return
        self.app.push_screen(DecisionDialog(self.officer, self.case, what), self._decided)

    def _decided(self, outcome: DecisionResult | str | None) -> None:
        """What a decision dialog or the builder came back with: a result, "changed" (lost a
        race), or None (cancelled)."""
        if outcome is None:
            return
        if outcome == "changed":
            self.case_changed()
            return
        result: DecisionResult = outcome  # type: ignore[assignment]
        name = safe_text(self.case.customer_name) if self.case else ""
        key = "case.done.pending" if result.status == "pending" else "case.done.effective"
        self.notify(self.tr(key, action=self.tr(f"case.action.{result.action}"), name=name), markup=False)
        self.load()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a proof: its metadata and a preview in a dialog (nothing in it is run)."""
        from wsnego_tui.screens.officer_proof import ProofPreviewDialog

        event.stop()
        if event.data_table.id != "case-proofs" or self.case is None:
            return
        if not 0 <= event.cursor_row < len(self.case.proofs):
            return
        proof = self.case.proofs[event.cursor_row]
        self.app.push_screen(ProofPreviewDialog(self.officer.id, self.case.application_id, proof))
