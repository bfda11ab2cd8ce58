"""Step 6, proof materials (证明材料): what this application needs, the files attached, a file
picker, and submitting (or, when the bank asked for more, sending the materials).

The required kinds (core.eligibility.required_proofs for the application's kind) are listed
with a present or missing mark. The attached files show their kind, original name (through
safe_text), size, type, the first 12 hex digits of their sha256 and when they were added; the
highlighted one can be removed while the application is a draft. The picker is a folder tree
rooted at settings.proof_roots (widgets.file_picker; in a kiosk it lists only the inbox files
of the customer logged in, the kiosk's services.proof_files.InboxWindow); Enter on a file
attaches it as the kind highlighted in the list beside the tree (`ProofKindList`: every kind
in view, lighter to build than a Select, which makes its drop-down list up front), and the
intake's refusal (a link, a device or pipe, not really a PDF/PNG/JPEG, too large, ...) is
shown there in the UI language.
`s` submits, with one idempotency key for the life of the screen, so a double press submits
once; it is refused, naming the missing kinds, until every required kind is attached. On
success the progress screen (step 7) takes the place of this screen and of the form under it.
In the materials_requested status `s` sends the materials instead (services.answer_materials).

All file and database work runs in thread workers. Never shows data as markup, never reads a
file itself (the services do), never uses float.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import DirectoryTree, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from wsnego_tui.core.eligibility import required_proofs
from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.core.proofs import ProofKind
from wsnego_tui.core.views import ApplicationView, CustomerView, ProofView, TimelineEvent
from wsnego_tui.i18n import Translator, enum_label, has_key
from wsnego_tui.screens.base import WsnegoScreen
from wsnego_tui.widgets.cells import number_cell, text_cell
from wsnego_tui.widgets.file_picker import ProofFileTree, root_label
from wsnego_tui.widgets.footer import KeyFooter
from wsnego_tui.widgets.line_table import LineColumn, LineTable
from wsnego_tui.widgets.safe_text import safe_text
from wsnego_tui.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from wsnego_tui.services.proof_files import InboxWindow

log = logging.getLogger(__name__)

MEDIA_NAMES = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG"}
SHA_SHOWN = 12
KIB = 1024
MIB = 1024 * 1024


def kind_label(tr: Translator, kind: str) -> str:
    return enum_label(tr.lang, "proofs.kind", kind)


class ProofKindList(OptionList):
    """Every proof kind, all in view; the highlighted one is what the next file proves.
    Arrows (or a click) move the highlight; Enter goes on to the folder tree."""

    def __init__(self, tr: Translator, *, id: str) -> None:
        super().__init__(*(Option(Text(kind_label(tr, kind.value)), id=kind.value) for kind in ProofKind), id=id)
        self.set_reactive(OptionList.highlighted, 0)

    @property
    def value(self) -> str:
        """The highlighted kind (a ProofKind value)."""
        option = self.highlighted_option
        return option.id if option is not None and option.id else ProofKind.INCOME.value

    def show_kind(self, kind: str) -> None:
        """Highlight `kind` without it counting as the borrower's choice (no message)."""
        with self.prevent(OptionList.OptionHighlighted):
            self.highlighted = self.get_option_index(kind)

    def relabel(self, tr: Translator) -> None:
        for kind in ProofKind:
            self.replace_option_prompt(kind.value, Text(kind_label(tr, kind.value)))


def size_text(tr: Translator, size: int) -> str:
    """A file size for people: 812 B, 12.3 KiB, 1.5 MiB (one decimal, half-up; no float)."""
    if size < KIB:
        return tr("proofs.size.bytes", n=size)
    unit, key = (KIB, "proofs.size.kib") if size < MIB else (MIB, "proofs.size.mib")
    value = (Decimal(size) / unit).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return tr(key, n=value)


def refusal_text(tr: Translator, code: str, **values: object) -> str:
    """A proof-file refusal code (services.proof_files, store) in the UI language."""
    key = f"proofs.error.{code}"
    return tr.fill(key, **values) if has_key(key) else tr("proofs.error.failed")


class ProofsScreen(WsnegoScreen[None]):
    """The proof materials of one application of the logged-in customer."""

    AUTO_FOCUS = "#proofs-tree"

    STEP_KEY = "proofs.step"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    BINDINGS = [
        Binding("s", "submit", "Submit", id="proofs.submit"),
        Binding("s", "send_materials", "Send the materials", id="proofs.send"),
        Binding("delete,x", "remove", "Remove file", id="proofs.remove"),
        Binding("escape", "back", "Back", id="proofs.back"),
    ]

    class Loaded(Message):
        def __init__(self, view: ApplicationView | None) -> None:
            super().__init__()
            self.view = view

    class Changed(Message):
        """An attach or remove answered: the application now, or the refusal code and the
        application as read again after it (`fresh`, when it could be read)."""

        def __init__(
            self, view: ApplicationView | None, code: str | None, done_key: str, name: str,
            fresh: ApplicationView | None = None,
        ) -> None:
            super().__init__()
            self.view = view
            self.code = code
            self.done_key = done_key
            self.name = name
            self.fresh = fresh

    class Submitted(Message):
        """The submit (or send-materials) worker's answer."""

        def __init__(
            self, view: ApplicationView | None, code: str | None = None, fields: tuple[str, ...] = (),
            fresh: ApplicationView | None = None, *, materials: bool = False,
        ) -> None:
            super().__init__()
            self.materials = materials
            self.view = view
            self.code = code
            self.fields = fields
            self.fresh = fresh

    def __init__(self, customer: CustomerView, application_id: int) -> None:
        super().__init__(id="proofs")
        self.customer = customer
        self.application_id = application_id
        self.view: ApplicationView | None = None
        self.shown_proof_ids: list[int] = []  # the proofs in the table, row by row
        self.failed = False
        self.busy = False
        self.submitting = False
        """A submission (or materials sent) is on its way: the screen stays until its answer,
        so the screens below never show the application as it was before."""
        self.idempotency_key = f"submit-{uuid.uuid4().hex}"
        """One key for every submission from this screen: a second press is the same submission."""
        self._picker_message: tuple[str, dict[str, object], bool] | None = None
        self._status: tuple[str, dict[str, object], bool] | None = ("proofs.loading", {}, False)
        self._kind_chosen = False
        self._auto_kind: str | None = None

    # Building -------------------------------------------------------------------------------

    @property
    def roots(self) -> tuple[Path, ...]:
        return tuple(self.app.settings.proof_roots)

    def _inbox(self) -> InboxWindow | None:
        """In a kiosk: its window on the inbox, for the customer now logged in (the files
        modified since the log-in); None elsewhere."""
        kiosk = self.app.kiosk
        return kiosk.inbox if kiosk is not None else None

    def _keep_file(self) -> Callable[[Path], bool] | None:
        """In a kiosk: list only the inbox files of the customer now logged in; the intake
        refuses the others too."""
        inbox = self._inbox()
        return inbox.lists if inbox is not None else None

    def compose(self) -> ComposeResult:
        tr = self.tr
        yield TitleBar(icon="¥")
        with Vertical(id="proofs-panel"):
            yield Static("", id="proofs-heading", classes="heading", markup=False)
            yield Static("", id="proofs-required", markup=False)
            yield LineTable(id="proofs-table")
            yield Static("", id="proofs-empty", markup=False)
            with Horizontal(id="proofs-picker"):
                with Vertical(id="proofs-tree-box"):
                    yield Static(tr("proofs.picker.title"), id="proofs-picker-title", markup=False)
                    if len(self.roots) > 1:
                        yield Select(
                            [(Text(root_label(root)), index) for index, root in enumerate(self.roots)],
                            allow_blank=False, compact=True, id="proofs-root",
                        )
                    yield ProofFileTree(self.roots[0], keep_file=self._keep_file(), id="proofs-tree")
                with Vertical(id="proofs-side"):
                    yield Label(tr("proofs.picker.kind"), id="proofs-kind-label", markup=False)
                    yield ProofKindList(tr, id="proofs-kind")
                    yield Static(tr("proofs.picker.help"), id="proofs-help", markup=False)
                    yield Static("", id="proofs-picker-message", markup=False)
            yield Static("", id="proofs-status", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.show_step()
        self._show_all()
        self.after_paint(self._load)  # once the screen has been painted

    def show_step(self) -> None:
        super().show_step()
        if self.view is not None:
            self.sub_title = self.tr(
                "proofs.step_kind", step=self.tr(self.STEP_KEY or ""), kind=enum_label(self.tr.lang, "kind", self.view.kind)
            )

    # Loading --------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="proofs-load", exit_on_error=False)
    def _load(self) -> None:
        try:
            view = self.app.services.application(self.customer.id, self.application_id)
        except Exception:
            log.exception("reading the application failed")
            view = None
        self.post_message(self.Loaded(view))

    def on_proofs_screen_loaded(self, message: Loaded) -> None:
        self.failed = message.view is None
        if message.view is not None:
            self._take(message.view)
            self._status = self._standing_status()
        else:
            self._status = ("proofs.failed", {}, True)
        self.show_step()
        self._show_all()

    def _take(self, view: ApplicationView) -> None:
        self.view = view
        if not self._kind_chosen:
            # What the bank asked for, else what is still required, else the first required.
            candidates = (*self._requested_still_missing(), *self.missing, *self.required)
            wanted = candidates[0] if candidates else None
            if wanted is not None:
                self._auto_kind = wanted
                self.query_one("#proofs-kind", ProofKindList).show_kind(wanted)
        self.refresh_bindings()

    @property
    def required(self) -> tuple[str, ...]:
        if self.view is None:
            return ()
        policy = self.app.services.policy
        return tuple(str(kind) for kind in required_proofs(ApplicationKind(self.view.kind), policy))

    @property
    def missing(self) -> tuple[str, ...]:
        """The required kinds not attached yet (the services' list included), in order."""
        if self.view is None:
            return ()
        present = {proof.kind for proof in self.view.proofs}
        ordered = dict.fromkeys((*self.required, *self.view.missing_proofs))
        return tuple(kind for kind in ordered if kind not in present)

    @property
    def is_draft(self) -> bool:
        return self.view is not None and self.view.status == "draft"

    @property
    def materials_requested(self) -> bool:
        return self.view is not None and self.view.status == "materials_requested"

    @property
    def can_attach(self) -> bool:
        return (self.is_draft or self.materials_requested) and not self.busy

    def _standing_status(self) -> tuple[str, dict[str, object], bool] | None:
        if self.materials_requested:
            return ("proofs.materials_requested", {}, False)
        return None

    # Showing ----------------------------------------------------------------------------------

    def _show_all(self) -> None:
        self._show_heading()
        self._show_required()
        self._fill_table()
        self._show_picker_message()
        self._show_status()

    def _show_heading(self) -> None:
        tr = self.tr
        heading = self.query_one("#proofs-heading", Static)
        if self.view is None:
            heading.update("")
            return
        heading.update(
            Content(
                tr(
                    "proofs.heading",
                    kind=enum_label(tr.lang, "kind", self.view.kind),
                    loan_no=safe_text(self.view.loan_no),
                    status=enum_label(tr.lang, "stage", self.view.status),
                )
            )
        )

    @property
    def request_event(self) -> TimelineEvent | None:
        """The bank's materials request this application is waiting on, if any."""
        if not self.materials_requested or self.view is None:
            return None
        return next((e for e in reversed(self.view.events) if e.status == "materials_requested"), None)

    @property
    def requested(self) -> tuple[str, ...]:
        """The kinds the bank asked for in its materials request (none outside one)."""
        event = self.request_event
        if event is None:
            return ()
        kinds = event.detail.get("missing", ())
        return tuple(str(kind) for kind in kinds) if isinstance(kinds, (list, tuple)) else ()

    def _requested_still_missing(self) -> tuple[str, ...]:
        """Requested kinds with no file attached since the request."""
        event = self.request_event
        if event is None or self.view is None:
            return ()
        fresh = {proof.kind for proof in self.view.proofs if proof.added_at >= event.at}
        return tuple(kind for kind in self.requested if kind not in fresh)

    def _marks(self, kinds: tuple[str, ...], missing: set[str]) -> list[Content]:
        tr = self.tr
        parts: list[Content] = []
        for index, kind in enumerate(kinds):
            if index:
                parts.append(Content("   "))
            if kind in missing:
                parts.append(Content("\u2717 " + tr("proofs.absent", kind=kind_label(tr, kind))).stylize("$text-error"))
            else:
                parts.append(Content("\u2713 " + tr("proofs.present", kind=kind_label(tr, kind))).stylize("$text-success"))
        return parts

    def _show_required(self) -> None:
        tr = self.tr
        widget = self.query_one("#proofs-required", Static)
        if self.view is None:
            widget.update("")
            return
        required = self.required
        lines: list[Content] = []
        if required:
            lines.append(Content.assemble(Content(tr("proofs.required")), *self._marks(required, set(self.missing))))
        else:
            lines.append(Content(tr("proofs.required_none")))
        requested = self.requested
        if requested:
            still = set(self._requested_still_missing())
            lines.append(Content.assemble(Content(tr("proofs.requested")), *self._marks(requested, still)))
            event = self.request_event
            if event is not None and event.note:
                lines.append(Content(tr("proofs.officer_message", message=safe_text(event.note))))
        widget.update(Content("\n").join(lines))

    def _fill_table(self) -> None:
        tr = self.tr
        table = self.query_one("#proofs-table", LineTable)
        keep = self.selected_proof_id
        kind_width = max(cell_len(kind_label(tr, kind.value)) for kind in ProofKind)  # none is cut
        columns = (
            ("kind", "proofs.col.kind", kind_width, False),
            ("name", "proofs.col.name", 24 if kind_width <= 12 else 22, False),
            ("size", "proofs.col.size", 10, True),
            ("type", "proofs.col.type", 4, False),
            ("sha", "proofs.col.sha", SHA_SHOWN, False),
            ("added", "proofs.col.added", 20, False),
        )
        proofs = self.view.proofs if self.view else ()
        rows = [
            (
                text_cell(kind_label(tr, proof.kind)),
                text_cell(proof.original_name),
                number_cell(size_text(tr, proof.size_bytes)),
                text_cell(MEDIA_NAMES.get(proof.media_type, proof.media_type)),
                text_cell(proof.sha256[:SHA_SHOWN]),
                text_cell(tr.datetime(proof.added_at)),
            )
            for proof in proofs
        ]
        self.shown_proof_ids = [proof.id for proof in proofs]
        cursor = self.shown_proof_ids.index(keep) if keep in self.shown_proof_ids else 0
        table.set_table([LineColumn(tr(label_key), width, right) for _, label_key, width, right in columns], rows, cursor_row=cursor)
        empty = not (self.view and self.view.proofs)
        table.set_class(empty, "-empty")
        self.query_one("#proofs-empty", Static).update(Content(tr("proofs.attached_none") if empty and self.view else ""))
        self.query_one("#proofs-empty", Static).display = empty

    @property
    def selected_proof(self) -> ProofView | None:
        proof_id = self.selected_proof_id
        return next((p for p in self.view.proofs if p.id == proof_id), None) if self.view and proof_id is not None else None

    @property
    def selected_proof_id(self) -> int | None:
        if not self.shown_proof_ids:
            return None
        return self.shown_proof_ids[self.query_one("#proofs-table", LineTable).cursor_row]

    def _set_picker_message(self, key: str | None, *, error: bool = False, **values: object) -> None:
        self._picker_message = (key, values, error) if key else None
        self._show_picker_message()

    def _show_picker_message(self) -> None:
        widget = self.query_one("#proofs-picker-message", Static)
        if self._picker_message is None:
            widget.update("")
            widget.set_class(False, "-error")
            return
        key, values, error = self._picker_message
        widget.update(Content(self.tr.fill(key, **values)))
        widget.set_class(error, "-error")

    def _set_status(self, key: str | None, *, error: bool = False, **values: object) -> None:
        self._status = (key, values, error) if key else None
        self._show_status()

    def _show_status(self) -> None:
        widget = self.query_one("#proofs-status", Static)
        if self._status is None:
            widget.update("")
            widget.set_class(False, "-error")
            return
        key, values, error = self._status
        widget.update(Content(self.tr.fill(key, **values)))
        widget.set_class(error, "-error")

    # Picking and attaching ----------------------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#proofs-kind")
    def _kind_changed(self, event: OptionList.OptionHighlighted) -> None:
        """The borrower's own choice of kind is kept until a file is attached."""
        if self.view is not None and event.option.id != self._auto_kind:
            self._kind_chosen = True

    @on(OptionList.OptionSelected, "#proofs-kind")
    def _kind_confirmed(self, event: OptionList.OptionSelected) -> None:
        self.query_one("#proofs-tree", ProofFileTree).focus()

    @on(Select.Changed, "#proofs-root")
    def _root_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, int):
            self.query_one("#proofs-tree", ProofFileTree).path = self.roots[event.value]

    @on(DirectoryTree.FileSelected, "#proofs-tree")
    def _file_picked(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        if self.view is None or self.busy:
            return  # still loading, or another file is being taken in
        if not self.can_attach:
            self._set_picker_message("proofs.error.not_editable", error=True)
            return
        kind = ProofKind(self.query_one("#proofs-kind", ProofKindList).value)
        self.busy = True
        self._set_picker_message("proofs.attaching")
        self.refresh_bindings()
        self._attach_file(kind, Path(event.path), self._inbox())

    @work(thread=True, exclusive=False, group="proofs-files", exit_on_error=False)
    def _attach_file(self, kind: ProofKind, path: Path, inbox: InboxWindow | None) -> None:
        from wsnego_tui.services import ServiceError

        name = safe_text(path.name)
        try:
            view = self.app.services.attach_proof(self.customer.id, self.application_id, kind, path, inbox=inbox)
        except ServiceError as exc:
            self.post_message(self.Changed(None, exc.code, "proofs.attached", name, self._read_again()))
        except Exception:
            log.exception("attaching a proof failed")
            self.post_message(self.Changed(None, "failed", "proofs.attached", name))
        else:
            self.post_message(self.Changed(view, None, "proofs.attached", name))

    def action_remove(self) -> None:
        proof = self.selected_proof
        if proof is None or not self.is_draft or self.busy:
            return
        self.busy = True
        self._set_picker_message("proofs.removing")
        self.refresh_bindings()
        self._remove_file(proof.id, proof.original_name)

    @work(thread=True, exclusive=False, group="proofs-files", exit_on_error=False)
    def _remove_file(self, proof_id: int, name: str) -> None:
        from wsnego_tui.services import ServiceError

        try:
            view = self.app.services.remove_proof(self.customer.id, self.application_id, proof_id)
        except ServiceError as exc:
            self.post_message(self.Changed(None, exc.code, "proofs.removed", name, self._read_again()))
        except Exception:
            log.exception("removing a proof failed")
            self.post_message(self.Changed(None, "failed", "proofs.removed", name))
        else:
            self.post_message(self.Changed(view, None, "proofs.removed", name))

    def _read_again(self) -> ApplicationView | None:
        """In a worker, after a refusal: the application as it stands now (a refusal may mean
        it moved on meanwhile, e.g. its materials request lapsed), or None."""
        try:
            return self.app.services.application(self.customer.id, self.application_id)
        except Exception:  # the refusal is still shown; the screen keeps what it had
            log.warning("reading the application again failed", exc_info=True)
            return None

    def on_proofs_screen_changed(self, message: Changed) -> None:
        self.busy = False
        if message.fresh is not None:
            self._take(message.fresh)
        if message.view is not None:
            self._kind_chosen = False
            self._take(message.view)
            self._set_picker_message(message.done_key, name=safe_text(message.name))
            self._status = self._standing_status()
        else:
            policy = self.app.services.policy
            values = {"mib": policy.proof_max_bytes // (1024 * 1024), "count": policy.proof_max_files}
            key = f"proofs.error.{message.code}"
            self._picker_message = (key if has_key(key) else "proofs.error.failed", values, True)
        self._show_all()
        self.refresh_bindings()

    # Submitting ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "submit":
            return self.is_draft and not self.busy
        if action == "send_materials":
            return self.materials_requested and not self.busy
        if action == "remove":
            return self.is_draft and not self.busy and self.selected_proof is not None
        if action == "back":
            return not self.submitting
        return True

    @on(LineTable.CursorMoved, "#proofs-table")
    def _row_highlighted(self) -> None:
        self.refresh_bindings()

    def action_submit(self) -> None:
        if self.view is None or self.busy or not self.is_draft:
            return
        self.busy = True
        self._set_status("proofs.submitting")
        self.refresh_bindings()
        self._submit(self.view.version, materials=False)

    def action_send_materials(self) -> None:
        if self.view is None or self.busy or not self.materials_requested:
            return
        self.busy = True
        self._set_status("proofs.submitting")
        self.refresh_bindings()
        self._submit(self.view.version, materials=True)

    def _submit(self, version: int, *, materials: bool) -> None:
        self.submitting = True
        self._send(version, materials=materials)

    @work(thread=True, exclusive=False, group="proofs-submit", exit_on_error=False)
    def _send(self, version: int, *, materials: bool) -> None:
        from wsnego_tui.services import ServiceError

        services = self.app.services
        try:
            if materials:
                view = services.answer_materials(self.customer.id, self.application_id, version=version)
            else:
                view = services.submit_application(
                    self.customer.id, self.application_id, version=version, idempotency_key=self.idempotency_key
                )
        except ServiceError as exc:
            self.post_message(self.Submitted(None, exc.code, tuple(exc.fields), self._read_again(), materials=materials))
        except Exception:
            log.exception("submitting the application failed")
            self.post_message(self.Submitted(None, "failed", materials=materials))
        else:
            self.post_message(self.Submitted(view, materials=materials))

    def on_proofs_screen_submitted(self, message: Submitted) -> None:
        self.busy = False
        self.submitting = False
        tr = self.tr
        if message.view is not None:
            self._take(message.view)
            self._set_status("proofs.sent" if message.materials else "proofs.submitted")
            self._show_all()
            self._open_progress()
            return
        if message.fresh is not None:
            self._take(message.fresh)
        code = message.code or "failed"
        if code == "missing_proofs":
            kinds = "、" if tr.lang == "zh" else ", "
            self._set_status(
                "proofs.refused.missing_proofs", error=True,
                kinds=kinds.join(kind_label(tr, kind) for kind in self.missing) or "-",
            )
        elif code == "invalid":
            separator = "、" if tr.lang == "zh" else ", "
            names = separator.join(tr(f"appform.field.{name}") for name in message.fields if has_key(f"appform.field.{name}"))
            self._set_status("proofs.refused.invalid", error=True, fields=names or "-")
        elif has_key(f"proofs.refused.{code}"):
            self._set_status(f"proofs.refused.{code}", error=True)
        else:
            self._set_status("proofs.refused.failed", error=True)
        self._show_all()
        self.refresh_bindings()

    def _open_progress(self) -> None:
        """Step 7 takes the place of this screen (and of the submitted form under it); when
        this screen was opened from the progress screen, go back to it."""
        from wsnego_tui.screens.application_form import ApplicationFormScreen

        try:
            from wsnego_tui.screens.progress import ProgressScreen
        except ImportError:  # pragma: no cover - the progress screen ships with the app
            log.warning("the progress screen is not available; staying on the proofs")
            return
        app = self.app
        if app.screen is not self:
            return
        below = app.screen_stack[-2] if len(app.screen_stack) > 1 else None
        if isinstance(below, ProgressScreen) and below.application_id == self.application_id:
            app.pop_screen()
            return
        app.pop_screen()
        if isinstance(below, ApplicationFormScreen) and below.view is not None and below.view.id == self.application_id:
            app.pop_screen()
        app.push_screen(ProgressScreen(self.customer, self.application_id))

    def action_back(self) -> None:
        if not self.submitting:
            self.app.pop_screen()

    # Language -----------------------------------------------------------------------------------

    def refresh_texts(self) -> None:
        tr = self.tr
        self.query_one("#proofs-picker-title", Static).update(Content(tr("proofs.picker.title")))
        self.query_one("#proofs-kind-label", Label).update(Content(tr("proofs.picker.kind")))
        self.query_one("#proofs-help", Static).update(Content(tr("proofs.picker.help")))
        self.query_one("#proofs-kind", ProofKindList).relabel(tr)
        self._show_all()
