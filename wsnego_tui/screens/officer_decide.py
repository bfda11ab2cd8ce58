"""The decision dialogs of the case view: request materials (which proofs, a message), reject
(a reason and what would change it), and approve / send back / take back a proposal; each with
the officer's note.

Ctrl+S (or Enter in a field) sends the decision to the services in a thread worker with the
case version the officer saw. A refusal about a field (a note that is missing or too long, no
proof chosen) is shown next to that field and the dialog stays open; another refusal (the
officer's own proposal, no longer pending, ...) is shown in the dialog and as a notification.
A lost race (the case changed meanwhile) closes the dialog with "changed": the case view says
so and reads the case again. Esc cancels.

`field_error_text` phrases a service's field error (core.application_form.FieldError) for any
officer screen; `ServiceAnswer`, `ask_services` and `take_answer` carry a decision from the
worker back to its dialog or screen, `show_sending_status` shows where it is (the offer builder
sends its offer the same way). Never
shows data as markup; never touches the database on the UI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Checkbox, Footer, Input, Label, Select, Static

from wsnego_tui.i18n import Translator, enum_label, has_key
from wsnego_tui.screens.base import WsnegoModal
from wsnego_tui.screens.progress import rule_text
from wsnego_tui.widgets.safe_text import safe_text

if TYPE_CHECKING:
    from wsnego_tui.core.application_form import FieldError
    from wsnego_tui.core.views_officer import CaseView, OfficerView
    from wsnego_tui.officer_app import OfficerApp

log = logging.getLogger(__name__)

PROOF_KINDS = ("income", "expense", "hardship", "funds")
FIELDS = {"note": "note", "message": "message", "what_would_change_it": "remedy", "kinds": "kinds", "reason": "reason"}
"""Service field name -> the dialog's widget id suffix."""


def field_error_text(tr: Translator, name: str, error: FieldError) -> str:
    """A service's refusal of one field in words, with the limit it names (if any)."""
    params = dict(error.params)

    def value(v: object) -> str:
        if name == "rate_pct":
            return f"{v}%"
        if isinstance(v, Decimal):
            return tr.money(v)
        return safe_text(str(v))

    key = f"officer.field.{error.code}"
    text = tr(key) if has_key(key) else safe_text(error.code)
    if "max" in params:
        text += tr("officer.field.max", value=value(params["max"]))
    if "min" in params:
        text += tr("officer.field.min", value=value(params["min"]))
    if "highest" in params:
        text += tr("officer.field.highest", value=value(params["highest"]))
    if "rule" in params:
        text += tr("officer.field.rule", rule=safe_text(str(params["rule"])))
    return text


class ServiceAnswer(Message):
    """What the services answered a decision: its outcome, or a refusal (`code`, `message` and
    the refused fields, if any)."""

    def __init__(self, outcome: object = None, code: str = "", message: str = "",
                 fields: dict[str, FieldError] | None = None) -> None:
        super().__init__()
        self.outcome = outcome
        self.code = code
        self.message = message
        self.fields = fields or {}


def ask_services(screen: Any, answer: type[ServiceAnswer], call: Callable[[], object], what: str) -> None:
    """Run `call` (in a worker thread) and post its outcome or refusal to `screen` as `answer`;
    an unexpected failure is logged (as `what` failed) and posted as the refusal "failed"."""
    from wsnego_tui.services import ServiceError

    try:
        result = call()
    except ServiceError as exc:
        screen.post_message(answer(code=exc.code, message=str(exc), fields=dict(exc.fields)))
        return
    except Exception as exc:
        log.exception("%s failed", what)
        screen.post_message(answer(code="failed", message=str(exc)))
        return
    screen.post_message(answer(outcome=result))


def show_sending_status(status: Static, tr: Translator, busy_key: str, busy: bool,
                        refusal: tuple[str, str] | None) -> None:
    """The status line under a decision: `busy_key` while it is being sent, else the refusal
    (in error style), else nothing."""
    from wsnego_tui.screens.officer_case import service_message

    if busy:
        status.update(Content(tr(busy_key)))
    elif refusal:
        status.update(Content(service_message(tr, *refusal)))
    else:
        status.update(Content(""))
    status.set_class(bool(refusal), "-error")


def take_answer(screen: Any, message: ServiceAnswer) -> bool:
    """Close `screen` with the outcome, or with "changed" when the case changed meanwhile (True);
    otherwise keep it open with the refused fields in `screen.errors`, or the refusal in
    `screen.refusal` and a notification (False; the screen then shows them)."""
    from wsnego_tui.screens.officer_case import service_message

    screen.busy = False
    screen.refresh_bindings()
    if message.outcome is not None:
        screen.dismiss(message.outcome)
        return True
    if message.code == "changed":
        screen.dismiss("changed")
        return True
    if message.fields:
        screen.errors = dict(message.fields)
    else:
        screen.refusal = (message.code, message.message)
        screen.notify(service_message(screen.tr, message.code, message.message), severity="error", markup=False)
    return False


class DecisionDialog(WsnegoModal[object]):
    """One decision on `case`: `what` is materials, reject, approve, send_back or withdraw."""

    BINDINGS = [
        Binding("ctrl+s", "send", "Confirm", id="decide.send", priority=True),
        Binding("escape", "cancel", "Cancel", id="decide.cancel"),
    ]

    app: OfficerApp

    class Done(ServiceAnswer):
        """The services' answer to the decision."""

    def __init__(self, officer: OfficerView, case: CaseView, what: str) -> None:
        super().__init__(id="officer-decide")
        self.officer = officer
        self.case = case
        self.what = what
        self.busy = False
        self.errors: dict[str, FieldError] = {}
        self.refusal: tuple[str, str] | None = None

    def _reasons(self) -> list[str]:
        from wsnego_tui.services.officer import OFFICER_REJECT_REASONS

        failed = [r.rule for r in self.case.rules if not r.passed]
        return [*OFFICER_REJECT_REASONS, *failed]

    def compose(self) -> ComposeResult:
        tr = self.tr
        with Vertical(id="decide-box"):
            yield Static("", id="decide-title", classes="heading", markup=False)
            if self.what == "materials":
                yield Label("", id="decide-kinds-label", classes="decide-label", markup=False)
                with Horizontal(id="decide-kinds"):
                    for kind in PROOF_KINDS:
                        yield Checkbox(enum_label(tr.lang, "proofs.kind", kind), id=f"decide-kind-{kind}")
                yield Static("", id="decide-kinds-message", classes="field-message decide-message", markup=False)
                yield from self._field("message")
            if self.what == "reject":
                yield Label("", id="decide-reason-label", classes="decide-label", markup=False)
                reasons = self._reasons()
                yield Select([(rule_text(tr, r), r) for r in reasons], value=reasons[0], allow_blank=False,
                             id="decide-reason")
                yield Static("", id="decide-reason-message", classes="field-message decide-message", markup=False)
                yield from self._field("remedy")
            yield from self._field("note")
            yield Static("", id="decide-status", markup=False)
        yield Footer()

    def _field(self, name: str) -> ComposeResult:
        yield Label("", id=f"decide-{name}-label", classes="decide-label", markup=False)
        field = Input(id=f"decide-{name}", max_length=500)
        field.set_reactive(Input.cursor_blink, self.app.input_cursor_blink)
        yield field
        yield Static("", id=f"decide-{name}-message", classes="field-message decide-message", markup=False)

    def on_mount(self) -> None:
        self.refresh_texts()
        first = "#decide-kind-income" if self.what == "materials" else (
            "#decide-remedy" if self.what == "reject" else "#decide-note")
        self.query_one(first).focus()

    def refresh_texts(self) -> None:
        tr = self.tr
        self.query_one("#decide-title", Static).update(Content(tr(f"decide.title.{self.what}")))
        for name in ("kinds", "message", "reason", "remedy", "note"):
            labels = self.query(f"#decide-{name}-label")
            if labels:
                labels.first(Label).update(Content(tr(f"decide.field.{name}")))
        self._show_errors()

    def _show_errors(self) -> None:
        tr = self.tr
        shown = {FIELDS.get(k, k): (k, e) for k, e in self.errors.items()}
        for name in ("kinds", "message", "reason", "remedy", "note"):
            messages = self.query(f"#decide-{name}-message")
            if not messages:
                continue
            entry = shown.get(name)
            messages.first(Static).update(Content(field_error_text(tr, entry[0], entry[1]) if entry else ""))
            for field in self.query(f"#decide-{name}").results():
                field.set_class(entry is not None, "-invalid")
        show_sending_status(self.query_one("#decide-status", Static), tr, "decide.busy", self.busy, self.refusal)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "send":
            return not self.busy
        return True

    def action_cancel(self) -> None:
        if not self.busy:
            self.dismiss(None)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_send()

    def _value(self, name: str) -> str:
        return self.query_one(f"#decide-{name}", Input).value

    def action_send(self) -> None:
        if self.busy:
            return
        args: dict[str, object] = {"note": self._value("note")}
        if self.what == "materials":
            args["kinds"] = [k for k in PROOF_KINDS if self.query_one(f"#decide-kind-{k}", Checkbox).value]
            args["message"] = self._value("message")
        elif self.what == "reject":
            args["reason"] = self.query_one("#decide-reason", Select).value
            args["what_would_change_it"] = self._value("remedy")
        self.busy = True
        self.errors, self.refusal = {}, None
        self._show_errors()
        self.refresh_bindings()
        self._send(args)

    @work(thread=True, exclusive=True, group="decide", exit_on_error=False)
    def _send(self, args: dict[str, object]) -> None:
        svc = self.app.officer_services
        assert svc is not None
        case, officer = self.case, self.officer.id
        note = str(args["note"])

        def decide() -> object:
            if self.what == "materials":
                return svc.request_materials(officer, case.application_id, args["kinds"], message=str(args["message"]),  # type: ignore[arg-type]
                                             note=note, version=case.version)
            if self.what == "reject":
                return svc.reject(officer, case.application_id, reason=str(args["reason"]),
                                  what_would_change_it=str(args["what_would_change_it"]), note=note,
                                  version=case.version)
            pending = case.pending
            assert pending is not None
            method = {"approve": svc.approve, "send_back": svc.send_back, "withdraw": svc.withdraw_proposal}[self.what]
            return method(officer, pending.id, note=note, version=case.version)

        ask_services(self, self.Done, decide, "the decision")

    def on_decision_dialog_done(self, message: Done) -> None:
        if not take_answer(self, message):
            self._show_errors()
