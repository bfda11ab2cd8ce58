"""The proof preview: Enter on a proof in the officer's case view.

Shows the proof's metadata (the borrower's file name literally, without control or bidi
characters, never as markup), its whole sha256 and a preview read by a thread worker through
`OfficerServices.proof_preview`: an image drawn with half-block cells ("▀", the foreground the
upper pixel, the background the lower one; the styles are built from the colours, never from
markup), or for a PDF its version and page count and a line saying it is not opened. Nothing
in a proof is ever run. Terminals without colours (or NO_COLOR) get Textual's own downgrade.
Esc closes.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Footer, Static

from wsnego_tui.i18n import enum_label
from wsnego_tui.screens.base import WsnegoModal
from wsnego_tui.widgets.safe_text import safe_text

if TYPE_CHECKING:
    from wsnego_tui.core.views import ProofView
    from wsnego_tui.core.views_officer import ProofPreview, ProofPreviewView
    from wsnego_tui.officer_app import OfficerApp

log = logging.getLogger(__name__)

HALF_BLOCK = "\u2580"
CHROME_COLS = 10
"""Columns of the dialog that are not picture: border, padding and scroll bar."""
CHROME_ROWS = 13
"""Rows of the screen that are not picture: border, padding, title, metadata, Footer."""


def picture(preview: ProofPreview) -> Text:
    """The image as rows of half blocks, each coloured from its two pixels."""
    text = Text(end="", no_wrap=True, overflow="crop")
    styles: dict[tuple[object, object], Style] = {}
    for i, row in enumerate(preview.cells):
        if i:
            text.append("\n")
        for top, bottom in row:
            style = styles.get((top, bottom))
            if style is None:
                style = Style(color=Color.from_rgb(*top),
                              bgcolor=Color.from_rgb(*bottom) if bottom is not None else None)
                styles[(top, bottom)] = style
            text.append(HALF_BLOCK, style)
    return text


class ProofPreviewDialog(WsnegoModal[None]):
    """One proof of application `application_id`, previewed."""

    BINDINGS = [Binding("escape", "close", "Close", id="proof.close")]

    app: OfficerApp

    class Loaded(Message):
        def __init__(self, view: ProofPreviewView | None, code: str | None = None, message: str = "") -> None:
            super().__init__()
            self.view = view
            self.code = code
            self.message = message

    def __init__(self, officer_id: int, application_id: int, proof: ProofView) -> None:
        super().__init__(id="officer-proof")
        self.officer_id = officer_id
        self.application_id = application_id
        self.proof = proof
        self.view: ProofPreviewView | None = None
        self.problem: tuple[str, str] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="proof-box"):
            yield Static("", id="proof-title", classes="heading", markup=False)
            yield Static("", id="proof-meta", markup=False)
            yield Static("", id="proof-status", markup=False)
            with VerticalScroll(id="proof-scroll"):
                yield Static("", id="proof-picture", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_texts()
        size = self.app.size
        self._read(max(4, min(size.width - CHROME_COLS, 120)), max(2, size.height - CHROME_ROWS))

    @work(thread=True, exclusive=True, group="proof", exit_on_error=False)
    def _read(self, cols: int, rows: int) -> None:
        from wsnego_tui.services import ServiceError

        try:
            view = self.app.officer_services.proof_preview(  # type: ignore[union-attr]
                self.officer_id, self.application_id, self.proof.id, cols, rows)
        except ServiceError as exc:
            self.post_message(self.Loaded(None, exc.code, str(exc)))
            return
        except Exception as exc:
            log.exception("previewing the proof failed")
            self.post_message(self.Loaded(None, "failed", str(exc)))
            return
        self.post_message(self.Loaded(view))

    def on_proof_preview_dialog_loaded(self, message: Loaded) -> None:
        message.stop()
        if message.view is not None:
            self.view = message.view
            self.proof = message.view.proof
        else:
            self.problem = (message.code or "failed", message.message)
        self.refresh_texts()

    def refresh_texts(self) -> None:
        from wsnego_tui.screens.officer_case import service_message, size_text

        tr = self.tr
        p = self.proof
        self.query_one("#proof-title", Static).update(Content(tr("proof.title", number=p.id)))
        self.query_one("#proof-meta", Static).update(Content(tr(
            "proof.meta", name=safe_text(p.original_name), kind=enum_label(tr.lang, "proofs.kind", p.kind),
            type=safe_text(p.media_type), size=size_text(p.size_bytes), sha256=safe_text(p.sha256))))
        status = self.query_one("#proof-status", Static)
        pic = self.query_one("#proof-picture", Static)
        if self.view is None:
            status.update(Content(tr("proof.loading") if self.problem is None else service_message(tr, *self.problem)))
            pic.update("")
            return
        preview = self.view.preview
        if preview.kind == "image":
            status.update(Content(tr("proof.image", width=preview.width, height=preview.height)))
            pic.update(picture(preview))
        elif preview.kind == "pdf":
            pages = str(preview.pdf_pages) if preview.pdf_pages is not None else tr("proof.pdf.unknown")
            status.update(Content(tr("proof.pdf", version=preview.pdf_version or tr("proof.pdf.unknown"), pages=pages)
                                  + "\n" + tr("proof.pdf.not_opened")))
            pic.update("")
        else:
            status.update(Content(tr(f"proof.none.{preview.reason}")))
            pic.update("")

    def action_close(self) -> None:
        self.dismiss(None)
