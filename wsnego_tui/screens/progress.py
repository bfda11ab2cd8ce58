"""Step 7, review progress (审核进度): the timeline of one application, live.

Shows every status event of the application (time, status, who, and the reason phrased from
its code: offers made, proofs missing, why an officer decides, the rule a rejection failed,
a broken plan, declined offers, a settlement to pay, a passed deadline) and the deadline of
the current step with the days left. While the screen is shown, a timer every
`POLL_SECONDS` starts a thread worker that lets due automatic work happen
(`services.catch_up`) and reads the application again; the screen is redrawn only when the
application changed (version, status, events) or the day did, so a review done or a
withdrawal made by another process appears within a few seconds without a key press.

Keys: `a` answers a materials request (helper B's ProofsScreen, imported when used), `o`
opens the offers (OffersScreen) once they are issued, `w` withdraws (after a yes/no
question) until an agreement is accepted, `r` reads again now, Esc goes back. The Footer
offers only what the application's status allows.

The phrasing helpers here (`reason_text`, `rule_text`, `proof_names`, `officer_note`) are
shared with the inbox. An officer's own note (a materials request's message, what would
change a rejection) is shown as plain text under the event. Never touches the database on the UI thread (services only, in thread workers) and
never shows data as markup: texts are `Content` of translated templates whose values are
`safe_text`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

from wsnego_tui.core.clock import CHINA_TZ, today
from wsnego_tui.i18n import Translator, enum_label, has_key
from wsnego_tui.screens.base import WsnegoScreen
from wsnego_tui.widgets.footer import KeyFooter
from wsnego_tui.widgets.safe_text import safe_text
from wsnego_tui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from wsnego_tui.core.policy import Policy
    from wsnego_tui.core.views import ApplicationView, CustomerView, TimelineEvent

log = logging.getLogger(__name__)

WITHDRAWABLE = frozenset({"draft", "submitted", "under_review", "materials_requested", "offer_issued"})
"""Statuses an application may still be withdrawn from (until an agreement is accepted)."""

DEADLINE_KEYS = {
    "submitted": "progress.deadline.submitted",
    "under_review": "progress.deadline.under_review",
    "materials_requested": "progress.deadline.materials_requested",
    "offer_issued": "progress.deadline.offer_issued",
    "accepted": "progress.deadline.accepted",
}
"""The statuses whose step runs to a deadline, and how that deadline is phrased."""


# -- phrasing, shared with the inbox ----------------------------------------------------------


def join_list(tr: Translator, items: Iterable[str]) -> str:
    return tr("progress.list_separator").join(items)


def proof_names(tr: Translator, kinds: Iterable[object]) -> str:
    """Proof kinds (`income`, `funds`, ...) as a list of names in the UI language."""
    return join_list(tr, (enum_label(tr.lang, "progress.proof", safe_text(str(kind))) for kind in kinds))


def rule_text(tr: Translator, rule_id: object) -> str:
    """A review rule (core/review.py, core/eligibility.py) in plain words; an unknown id as is."""
    key = f"progress.rule.{rule_id}"
    return tr(key) if has_key(key) else safe_text(str(rule_id))


def actor_label(tr: Translator, actor: str) -> str:
    """Who did it: you, the automatic review, an officer, or (unknown) the stored name."""
    role = actor.split(":", 1)[0]
    key = f"progress.actor.{role}"
    return tr(key) if has_key(key) else safe_text(actor)


def _as_list(value: object) -> list[object]:
    if isinstance(value, (list, tuple)):
        return list(value)
    return [] if value is None else [value]


def _date_of(value: object) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def reason_text(tr: Translator, event: TimelineEvent, policy: Policy | None) -> str | None:
    """The reason of a status event in plain words, from its code and detail; None when the
    event has no reason."""
    from decimal import Decimal, InvalidOperation

    reason = event.reason
    detail = event.detail or {}
    if not reason:
        return None
    if reason == "offers":
        return tr("progress.reason.offers", count=safe_text(str(detail.get("count", ""))))
    if reason == "missing_proofs":
        return tr("progress.reason.missing_proofs", kinds=proof_names(tr, _as_list(detail.get("missing"))))
    if reason == "needs_officer":
        reasons = _as_list(detail.get("reasons"))
        if not reasons:
            return tr("progress.reason.needs_officer.none")
        return tr("progress.reason.needs_officer", reasons=join_list(tr, (rule_text(tr, r) for r in reasons)))
    if reason == "plan_broken":
        missed = policy.broken_consecutive_missed if policy else 2
        late = policy.broken_days_late if policy else 30
        return tr("progress.reason.plan_broken", missed=missed, days=late)
    if reason == "offers_declined":
        return tr("progress.reason.offers_declined")
    if reason == "settlement_due":
        pay_by = _date_of(detail.get("pay_by"))
        try:
            amount = tr.money(Decimal(str(detail.get("amount"))))
        except (InvalidOperation, ValueError):
            amount = safe_text(str(detail.get("amount", "")))
        return tr("progress.reason.settlement_due", amount=amount, pay_by=tr.date(pay_by) if pay_by else "")
    key = f"progress.reason.{reason}"
    if (reason.startswith(("deadline.", "loan_changed.")) or reason == "loan_repaid") and has_key(key):
        return tr(key)
    if event.status == "rejected":
        return tr("progress.reason.rejected", rule=rule_text(tr, reason))
    return rule_text(tr, reason)


def officer_note(tr: Translator, actor: str, note: str) -> str | None:
    """What an officer wrote with a decision (a message, what would change it), as plain text.
    The engine's own notes are English explanations for the audit log and are not shown."""
    text = safe_text(note).strip()
    if not text or not actor.startswith("officer"):
        return None
    return tr("progress.officer_note", note=text)


def event_about(tr: Translator, event: TimelineEvent) -> str:
    """What a status event without a reason means."""
    key = f"progress.about.{event.status}"
    if event.status == "under_review" and event.actor.startswith("customer"):
        key = "progress.about.under_review.customer"
    return tr(key) if has_key(key) else ""


def days_left_text(tr: Translator, deadline: dt.datetime, day: dt.date) -> str:
    left = (deadline.astimezone(CHINA_TZ).date() - day).days
    if left > 0:
        return tr("progress.days_left", days=left)
    if left == 0 and deadline > dt.datetime.combine(day, dt.time(0), tzinfo=CHINA_TZ):
        return tr("progress.days_left.today")
    return tr("progress.days_left.passed")


def deadline_text(tr: Translator, view: ApplicationView, day: dt.date) -> str:
    """The deadline of the step the application is at, with the days left."""
    key = DEADLINE_KEYS.get(view.status)
    if key is None or view.deadline_at is None:
        return tr("progress.deadline.none")
    return tr(key, deadline=tr.datetime(view.deadline_at), left=days_left_text(tr, view.deadline_at, day))


def heading_text(tr: Translator, view: ApplicationView) -> str:
    return tr(
        "progress.heading",
        kind=enum_label(tr.lang, "kind", view.kind),
        number=view.id,
        loan_no=safe_text(view.loan_no),
    )


# -- the screen -------------------------------------------------------------------------------


class ProgressScreen(WsnegoScreen[None]):
    """The progress of one application of the logged-in customer."""

    AUTO_FOCUS = "#progress-timeline"

    STEP_KEY = "step.progress"
    POLL_SECONDS = 2.0
    """How often the screen looks for changes while it is shown."""

    BINDINGS = [
        Binding("a", "answer", "Send materials", id="progress.answer"),
        Binding("o", "offers", "See offers", id="progress.offers"),
        Binding("w", "withdraw", "Withdraw", id="progress.withdraw"),
        Binding("r", "reload", "Refresh", id="progress.refresh"),
        Binding("escape", "back", "Back", id="progress.back"),
    ]

    class Loaded(Message):
        """The reading worker's answer: the application (None: failed or not found)."""

        def __init__(self, view: ApplicationView | None, *, missing: bool = False, quiet: bool = False) -> None:
            super().__init__()
            self.view = view
            self.missing = missing
            self.quiet = quiet

    class Withdrawn(Message):
        """The withdrawing worker's answer: the application now, or the refusal's code."""

        def __init__(self, view: ApplicationView | None, code: str | None) -> None:
            super().__init__()
            self.view = view
            self.code = code

    def __init__(self, customer: CustomerView, application_id: int) -> None:
        super().__init__(id="progress")
        self.customer = customer
        self.application_id = application_id
        self.view: ApplicationView | None = None
        self.failed = False
        self.missing = False
        self.busy = False
        self._shown: tuple[object, ...] | None = None
        self._poll_timer: Timer | None = None
        self._reading = False

    def compose(self) -> ComposeResult:
        yield TitleBar(icon="¥")
        with Vertical(id="progress-panel"):
            yield Static("", id="progress-heading", markup=False)
            yield Static("", id="progress-status", markup=False)
            yield Static("", id="progress-deadline", markup=False)
            yield Static(self.tr("progress.timeline"), id="progress-timeline-title", markup=False)
            yield VerticalScroll(id="progress-timeline", can_focus=True)
            yield Static("", id="progress-hint", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self._show()
        self._poll_timer = self.set_interval(self.POLL_SECONDS, self._poll)
        self.after_paint(self.action_reload)  # once the screen has been painted

    def on_screen_suspend(self) -> None:
        if self._poll_timer is not None:
            self._poll_timer.pause()

    def on_screen_resume(self) -> None:
        if self._poll_timer is not None:
            self._poll_timer.resume()
            self._poll()

    # Reading ----------------------------------------------------------------------------------

    def action_reload(self) -> None:
        self._read(quiet=False)

    def _poll(self) -> None:
        if not self._reading:
            self._read(quiet=True)

    def _read(self, *, quiet: bool) -> None:
        if self.app.services is None:
            return
        self._reading = True
        self._load(self.customer.id, self.application_id, quiet)

    @work(thread=True, exclusive=True, group="progress", exit_on_error=False)
    def _load(self, customer_id: int, application_id: int, quiet: bool) -> None:
        from wsnego_tui.services import ServiceError

        services = self.app.services
        try:
            services.catch_up(customer_id)  # lets a due review or deadline happen now
            view = services.application(customer_id, application_id)
        except ServiceError:
            self.post_message(self.Loaded(None, missing=True, quiet=quiet))
            return
        except Exception:
            log.exception("reading the application failed")
            self.post_message(self.Loaded(None, quiet=quiet))
            return
        self.post_message(self.Loaded(view, quiet=quiet))

    def on_progress_screen_loaded(self, message: Loaded) -> None:
        self._reading = False
        before = self.view.status if self.view else None
        self.failed = message.view is None and not message.missing
        self.missing = message.missing
        if message.view is not None:
            self.view = message.view
        self._show()
        if message.quiet and self.view is not None and before is not None and self.view.status != before:
            status = enum_label(self.app.lang, "stage", self.view.status)
            self.notify(self.tr("progress.changed", status=status), markup=False)

    def _signature(self) -> tuple[object, ...]:
        view = self.view
        key = (view.id, view.version, view.status, len(view.events)) if view else None
        return (key, self.failed, self.missing, today(self.app.clock), self.app.lang)

    # Showing ----------------------------------------------------------------------------------

    def refresh_texts(self) -> None:
        self._shown = None
        self._show()

    def _show(self) -> None:
        """Draw the screen again, unless nothing it shows has changed."""
        signature = self._signature()
        if signature == self._shown:
            return
        self._shown = signature
        tr = self.tr
        heading = self.query_one("#progress-heading", Static)
        status = self.query_one("#progress-status", Static)
        deadline = self.query_one("#progress-deadline", Static)
        hint = self.query_one("#progress-hint", Static)
        self.query_one("#progress-timeline-title", Static).update(Content(tr("progress.timeline")))
        view = self.view
        hint.set_class(self.failed or self.missing, "-error")
        if view is None:
            heading.update("")
            status.update("")
            deadline.update("")
            key = "progress.missing" if self.missing else "progress.failed" if self.failed else "progress.loading"
            hint.update(Content(tr(key)))
            self.refresh_bindings()
            return
        day = today(self.app.clock)
        heading.update(Content(heading_text(tr, view)))
        status.update(Content(tr("progress.status", status=enum_label(tr.lang, "stage", view.status))))
        deadline.update(Content(deadline_text(tr, view, day)))
        hint_key = f"progress.hint.{view.status}"
        if self.failed:
            hint.update(Content(tr("progress.failed")))
        else:
            hint.update(Content(tr(hint_key) if has_key(hint_key) else ""))
        self._show_timeline(view)
        self.refresh_bindings()

    def _show_timeline(self, view: ApplicationView) -> None:
        tr = self.tr
        policy = self.app.services.policy if self.app.services is not None else None
        timeline = self.query_one("#progress-timeline", VerticalScroll)
        timeline.remove_children()
        entries = []
        last = len(view.events) - 1
        previous_deadline: dt.datetime | None = None
        for index, event in enumerate(view.events):
            # A deadline is shown where it was set (the events of one step share it).
            new_deadline = event.deadline_at is not None and event.deadline_at != previous_deadline
            previous_deadline = event.deadline_at
            line = "   ".join(
                part
                for part in (
                    tr.datetime(event.at),
                    enum_label(tr.lang, "stage", event.status),
                    actor_label(tr, event.actor),
                    tr("progress.event.deadline", deadline=tr.datetime(event.deadline_at))
                    if new_deadline and event.deadline_at is not None
                    else "",
                )
                if part
            )
            about = reason_text(tr, event, policy) or event_about(tr, event)
            note = officer_note(tr, event.actor, event.note)
            parts = [Static(Content(line), classes="progress-event-line", markup=False)]
            for text in (about, note):
                if text:
                    parts.append(Static(Content(text), classes="progress-event-about", markup=False))
            entries.append(Vertical(*parts, classes="progress-event -current" if index == last else "progress-event"))
        timeline.mount_all(entries)
        timeline.scroll_end(animate=False)

    @property
    def event_texts(self) -> list[str]:
        """Each entry of the timeline as plain text, its lines joined by newlines (for tests)."""
        texts = []
        for entry in self.query(".progress-event"):
            lines = []
            for part in entry.query(Static):
                visual = part.visual
                lines.append(visual.plain if hasattr(visual, "plain") else str(visual))
            texts.append("\n".join(lines))
        return texts

    # Actions ----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        status = self.view.status if self.view else None
        if action == "answer":
            return status == "materials_requested" and not self.busy
        if action == "offers":
            return status == "offer_issued"
        if action == "withdraw":
            return status in WITHDRAWABLE and not self.busy
        return True

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_answer(self) -> None:
        from wsnego_tui.screens.proofs import ProofsScreen  # helper B's step 6

        self.app.push_screen(ProofsScreen(self.customer, self.application_id))

    def action_offers(self) -> None:
        from wsnego_tui.screens.offers import OffersScreen

        self.app.push_screen(OffersScreen(self.customer, self.application_id))

    def action_withdraw(self) -> None:
        from wsnego_tui.screens.confirm import QuestionDialog

        def answered(yes: bool | None) -> None:
            if yes and self.view is not None and self.view.status in WITHDRAWABLE:
                self.busy = True
                self.refresh_bindings()
                self._withdraw(self.customer.id, self.application_id)

        self.app.push_screen(QuestionDialog("progress.withdraw.question"), answered)

    @work(thread=True, exclusive=True, group="progress-withdraw", exit_on_error=False)
    def _withdraw(self, customer_id: int, application_id: int) -> None:
        from wsnego_tui.services import ServiceError

        try:
            view = self.app.services.withdraw_application(customer_id, application_id)
        except ServiceError as exc:
            self.post_message(self.Withdrawn(None, exc.code))
            return
        except Exception:
            log.exception("withdrawing the application failed")
            self.post_message(self.Withdrawn(None, "failed"))
            return
        self.post_message(self.Withdrawn(view, None))

    def on_progress_screen_withdrawn(self, message: Withdrawn) -> None:
        self.busy = False
        if message.view is not None:
            self.view = message.view
            self.notify(self.tr("progress.withdraw.done"), markup=False)
        else:
            key = "progress.error.too_late" if message.code == "too_late" else "progress.error.failed"
            self.notify(self.tr(key), severity="error", markup=False)
            self.action_reload()
        self._show()
        self.refresh_bindings()
