"""The Textual app: the screens of the borrower's flow, app-wide keys, language and themes.

Start-up order (DESIGN.md section 4): the log-in screen paints first; only after its first
refresh does a thread worker import `wsnego_tui.services` (and with it the store and
SQLModel), create `Services` and call `prepare()`. Its answer comes back to the UI thread as a
message: ready (the log-in button is enabled), empty (with --demo the worker already loaded the
demo data, otherwise a dialog offers to), outdated schema (the log-in screen says to run
`wsnego-tui db upgrade`) or unusable.

Keys on every screen: F2 switches the language (中文 / English) and re-renders the screen,
F3 switches between the light and the dark theme, F1 (or ?) lists the current screen's keys
(screens.help), Ctrl+Q quits (not in kiosk mode: screens.kiosk has the kiosk's rules, the idle
lock and the apology after an unexpected error). `theme = "light"` in
config.toml starts in the light theme. NO_COLOR is honoured by Textual itself.

Hidden hook, for scripts/bench_startup.py only: with WSNEGO_EXIT_AFTER_FIRST_PAINT=<file> in
the environment the app writes `time.perf_counter()` at the log-in screen's first paint to
<file> and exits with status 0 before the database is opened.

Builds nothing heavy at import time: importing this module or constructing WsnegoApp never
imports SQLModel, SQLAlchemy, wsnego_tui.store or wsnego_tui.services (a test proves it).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen

from wsnego_tui.config import Settings
from wsnego_tui.core.clock import Clock, SystemClock
from wsnego_tui.i18n import Translator, other_language
from wsnego_tui.kiosk import KIOSK_BLOCKED_ACTIONS
from wsnego_tui.screens.login import LoginScreen
from wsnego_tui.textual_fixes import apply_textual_fixes
from wsnego_tui.widgets.safe_text import safe_text

if TYPE_CHECKING:
    from textual.css.stylesheet import Stylesheet
    from textual.dom import DOMNode
    from textual.driver import Driver
    from textual.timer import Timer

    from wsnego_tui.core.views import CustomerView, DatabaseState
    from wsnego_tui.screens.base import LocalizedMixin
    from wsnego_tui.screens.demo_offer import DemoOfferDialog
    from wsnego_tui.screens.kiosk import KioskSupervisor
    from wsnego_tui.services import Services

log = logging.getLogger(__name__)

apply_textual_fixes()  # before any widget renders
# Textual owns the terminal: a traceback printed by logging's last-resort handler would be
# drawn over the screen. Records still reach any handler the host configures.
logging.getLogger("wsnego_tui").addHandler(logging.NullHandler())

EXIT_AFTER_FIRST_PAINT_ENV = "WSNEGO_EXIT_AFTER_FIRST_PAINT"

# Textual's own pair of themes. The dark one is Textual's default, so starting in it costs
# nothing; selecting any other theme at start-up re-parses every stylesheet (about 30 ms of a
# start-up budget of about 100 ms over a bare Textual app).
DARK_THEME = "textual-dark"
LIGHT_THEME = "textual-light"


@dataclass(frozen=True)
class DatabaseNotice:
    """What the log-in screen should say about the database: an i18n key and its values."""

    key: str
    values: dict[str, object] = field(default_factory=dict)
    error: bool = False


class DatabaseOpened(Message):
    """The start-up worker opened the database."""

    def __init__(self, services: Services, state: DatabaseState, demo_loaded: bool = False) -> None:
        super().__init__()
        self.services = services
        self.state = state
        self.demo_loaded = demo_loaded


class DatabaseUnavailable(Message):
    """The start-up (or demo) worker could not give the app a usable database."""

    def __init__(self, notice: DatabaseNotice) -> None:
        super().__init__()
        self.notice = notice


_start_up_frozen = False
FULL_COLLECTION_THRESHOLD = 100
"""Middle-generation collections between two automatic full ones (Python's default: 10)."""
GARBAGE_QUIET_SECONDS = 1.0
"""A full collection runs this long after the last screen change (see collect_garbage_soon)."""


def drop_closed_watchers(node: object) -> int:
    """Forget the watches that widgets already removed hold on `node`'s reactive attributes;
    returns how many. Textual keeps a watch (`DOMNode.watch`) until the watched attribute next
    changes, and only then drops those of closed widgets: a widget of a closed screen that
    watches an attribute of the app which rarely changes (Textual's Header watches `title`
    and `sub_title`) would keep its screen's widgets alive for as long as the app ran. The
    app's own title line (widgets/title_bar.py) watches only its screen; this clean-up is for
    any other widget that watches the app. The same test as Textual's own (the watching widget
    is closing)."""
    watchers = getattr(node, "__watchers", None)
    if not isinstance(watchers, dict):
        return 0
    dropped = 0
    for entries in watchers.values():
        kept = [entry for entry in entries if not getattr(entry[0], "_closing", False)]
        dropped += len(entries) - len(kept)
        entries[:] = kept
    return dropped


def import_ahead(modules: tuple[str, ...]) -> None:
    """Import the screens of the steps after the log-in (in the database worker, after the
    first paint, while the customer types): the first key of each step then does not wait for
    an import (the application form alone, with the calculator, the review rules and Textual's
    TextArea, takes 50 to 200 ms), and their objects are frozen with the start-up's."""
    import importlib

    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # an import error shows when the step is opened, not here
            log.debug("importing %s ahead failed", name, exc_info=True)


def load_widget_css(stylesheet: Stylesheet) -> None:
    """Add the default CSS of every widget class imported so far to `stylesheet`, and parse it
    all now (on the UI thread, once the database is open, while the customer types).

    Textual adds a widget class's DEFAULT_CSS the first time one is mounted, and the next
    styling then parses the whole stylesheet again (its parse cache holds 64 sources, fewer
    than the app uses): 10 to 60 ms inside the first visit of a step. With every class the
    later screens use already imported (import_ahead), one parse here serves them all."""
    from textual.widget import Widget

    classes: list[type[Widget]] = []
    pending: list[type[Widget]] = [Widget]
    seen: set[type[Widget]] = set()
    while pending:
        cls = pending.pop()
        if cls in seen:
            continue
        seen.add(cls)
        classes.append(cls)
        pending.extend(cls.__subclasses__())
    for cls in classes:
        # What Widget._post_register adds when an instance of `cls` is mounted (Textual's own
        # method, given the one thing it reads from the instance: its class's CSS bases).
        as_mounted = SimpleNamespace(_node_bases=Widget._css_bases(cls))
        for read_from, css, tie_breaker, scope in Widget._get_default_css(as_mounted):  # type: ignore[arg-type]
            stylesheet.add_source(css, read_from=read_from, is_default_css=True, tie_breaker=tie_breaker, scope=scope)
    for _ in range(2):  # a class with broken CSS is set aside by the first parse, as at its mount
        try:
            stylesheet.rules_map  # noqa: B018 (parses)
            return
        except Exception:
            log.warning("a widget's default CSS does not parse", exc_info=True)


def freeze_start_up_objects() -> None:
    """Once the database is open (no customer logged in yet): collect, then hide what is alive
    now (modules, classes, Textual's and SQLAlchemy's objects, the screens imported ahead, the
    app and its log-in screen) from the cyclic garbage collector for good (gc.freeze). A full
    collection then walks only what the screens create: it took 90-100 ms on the UI thread,
    landing in the middle of a screen change, and now takes a few. Once per process; the SSH
    server's fork server has frozen its imports already, so in a forked kiosk this adds little."""
    import gc

    global _start_up_frozen
    if _start_up_frozen:
        return
    _start_up_frozen = True
    gc.collect()
    gc.freeze()
    # Full collections are left to the app's quiet moments (WsnegoApp.collect_garbage_soon):
    # the collector only runs when objects are made, that is while a screen is being built,
    # and a full one then costs that screen 25-90 ms (the cycles of the screens popped since).
    # A tenth as often as by default still happens on its own, should the app never be quiet.
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_THRESHOLD)
    from wsnego_tui.allocator import release_free_memory

    release_free_memory()  # what the collection and the demo's loading freed


class WsnegoApp(App[int]):
    """The borrower's app. `services` may be given (tests); otherwise it is built in a worker."""

    CSS_PATH = "styles/app.tcss"
    """What the first screen and its dialogs need; the rest is JOURNEY_CSS."""
    JOURNEY_CSS = os.path.join(os.path.dirname(__file__), "styles", "journey.tcss")
    """The other screens' styles, read after the first paint (read_journey_css)."""
    ENABLE_COMMAND_PALETTE = False  # a kiosk must not offer screenshots, themes or quitting by menu
    SCREENS_AHEAD: tuple[str, ...] = tuple(
        f"wsnego_tui.screens.{name}"
        for name in ("loans", "loan_detail", "negotiate", "application_form", "proofs", "progress", "offers",
                     "confirm", "repay", "inbox", "help")
    )
    """The screens after the log-in, in journey order: imported once the database is open."""
    BINDINGS = [
        Binding("f2", "toggle_language", "Language", id="app.language"),
        Binding("f3", "toggle_theme", "Theme", id="app.theme"),
        Binding("f1", "help", "Help", id="app.help"),
        Binding("question_mark", "help", "Help", id="app.help", show=False),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
    ]

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        services: Services | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.lang = settings.lang
        self.tr = Translator(self.lang)
        self.title = self.tr("app.title")
        self.services: Services | None = None
        """Set once the database is open; screens check it before starting work."""
        self._given_services = services
        self._owned_services: Services | None = None
        self._garbage_timer: Timer | None = None
        self.database_state: DatabaseState | None = None
        self.database_notice: DatabaseNotice | None = DatabaseNotice("db.opening")
        self.customer: CustomerView | None = None
        self.input_cursor_blink = True
        """Whether Inputs blink their cursor (tests and snapshots switch it off)."""
        self._first_paint_seen = False
        self._widget_css_loaded = False
        if settings.extra.get("theme") == "light":
            self.theme = LIGHT_THEME
        self.kiosk: KioskSupervisor | None = None
        if settings.kiosk:
            from wsnego_tui.screens.kiosk import KioskSupervisor

            self.kiosk = KioskSupervisor(self)

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver for this terminal; in place of its Linux driver, the one that
        reports a lone Esc as soon as the escape delay ends (wsnego_tui/driver.py). Its module
        (termios) is imported only where Textual chose that driver: never on Windows."""
        driver_class = super().get_driver_class()
        if driver_class.__module__ == "textual.drivers.linux_driver" and driver_class.__name__ == "LinuxDriver":
            from wsnego_tui.driver import PromptEscapeDriver

            return PromptEscapeDriver
        return driver_class

    def update_styles(self, node: DOMNode, animate: bool = True) -> None:
        """Restyle `node` and what is under it, unless it is not in the app yet or is being
        removed. Textual restyles a widget whose classes change while it is being built (an
        Input made with `compact=True`, a Select's options, ...), and mounting styles it again
        anyway (the application form's fields spent a third of their mounting on that). And
        it restyles a focused container with everything in it when a screen that is being
        closed gives up the focus (the review progress's timeline, closed on the way back to
        the loan after an agreement, took about 40 ms)."""
        if node is not self and (not node.is_attached or node._pruning):
            return
        super().update_styles(node, animate)

    def format_title(self, title: str, sub_title: str) -> Content:
        """The title line: the app, then the step. Separated by spaces (Textual's em dash is of
        ambiguous width and shifts the line in a CJK terminal); never parsed as markup."""
        if not sub_title:
            return Content(title)
        return Content.assemble(Content(title), "   ", Content(sub_title).stylize("bold"))

    def get_default_screen(self) -> LoginScreen:
        return LoginScreen()

    # Start-up -------------------------------------------------------------------------------

    def first_screen_painted(self) -> None:
        """Called by the log-in screen after its first refresh: now open the database."""
        if self._first_paint_seen:
            return
        self._first_paint_seen = True
        marker = os.environ.get(EXIT_AFTER_FIRST_PAINT_ENV)
        if marker:
            with open(marker, "w", encoding="ascii") as handle:
                handle.write(repr(time.perf_counter()))
            self.exit(0)
            return
        self._open_database()
        self.read_journey_css()

    def read_journey_css(self) -> None:
        """Add the styles of the screens after the log-in to the stylesheet and parse them
        (about 10 ms of CPU that came before the first paint when they were part of
        CSS_PATH). They come after CSS_PATH, as if one file; the log-in screen uses none of
        them, so nothing on screen is styled again. Once per app."""
        key = (os.path.abspath(self.JOURNEY_CSS), "")
        if key in self.stylesheet.source:
            return
        self.stylesheet.read(self.JOURNEY_CSS)
        self.stylesheet.parse()

    @work(thread=True, exclusive=True, group="database", exit_on_error=False)
    def _open_database(self) -> None:
        from wsnego_tui.allocator import return_large_blocks
        from wsnego_tui.services import SchemaOutdated, Services

        return_large_blocks()  # before the first PIN check (the demo's, or a log-in's)
        try:
            services = self._given_services
            if services is None:
                services = self._owned_services = Services(self.settings, self.clock)
            state = services.prepare()
            demo_loaded = False
            if state.empty and self.settings.demo:
                services.load_demo()
                state = services.prepare()
                demo_loaded = True
        except SchemaOutdated as exc:
            self.post_message(DatabaseUnavailable(DatabaseNotice("db.outdated", {"detail": safe_text(str(exc))}, error=True)))
            return
        except Exception as exc:
            log.exception("opening the database failed")
            self.post_message(DatabaseUnavailable(DatabaseNotice("db.failed", {"detail": safe_text(str(exc))}, error=True)))
            return
        import_ahead(self.SCREENS_AHEAD)
        self.post_message(DatabaseOpened(services, state, demo_loaded))

    @work(thread=True, exclusive=True, group="database", exit_on_error=False)
    def _load_demo(self, services: Services) -> None:
        try:
            services.load_demo()
            state = services.prepare()
        except Exception as exc:
            log.exception("loading the demo data failed")
            self.post_message(DatabaseUnavailable(DatabaseNotice("db.demo_failed", {"detail": safe_text(str(exc))}, error=True)))
            return
        self.post_message(DatabaseOpened(services, state, demo_loaded=True))

    def on_database_opened(self, message: DatabaseOpened) -> None:
        if not self._widget_css_loaded:
            self._widget_css_loaded = True
            load_widget_css(self.stylesheet)
            freeze_start_up_objects()  # with the parsed CSS (once per process)
        self.database_state = message.state
        if message.state.empty:
            self.services = None
            self.database_notice = DatabaseNotice("db.empty", error=True)
            self.push_screen(_demo_offer(), lambda load: self._demo_answered(message.services, load))
        else:
            self.services = message.services
            self.database_notice = DatabaseNotice("db.demo_loaded") if message.demo_loaded else None
        self._login_screen().refresh_database_status()

    def on_database_unavailable(self, message: DatabaseUnavailable) -> None:
        self.services = None
        self.database_notice = message.notice
        self._login_screen().refresh_database_status()

    def _demo_answered(self, services: Services, load: bool | None) -> None:
        if load:
            self.database_notice = DatabaseNotice("db.demo_loading")
            self._login_screen().refresh_database_status()
            self._load_demo(services)

    # The flow -------------------------------------------------------------------------------

    def _login_screen(self) -> LoginScreen:
        screen = self.screen_stack[0]
        assert isinstance(screen, LoginScreen)
        return screen

    def open_loans(self, customer: CustomerView) -> None:
        """After a successful log-in: step 2, My Loans."""
        from wsnego_tui.screens.loans import LoansScreen

        self.customer = customer
        if self.kiosk is not None:
            self.kiosk.session_started()
        self.push_screen(LoansScreen(customer))

    def logout(self) -> None:
        """Drop the session and everything it showed; back to an empty log-in screen."""
        self.customer = None
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self._login_screen().reset()
        if self.kiosk is not None:
            self.kiosk.session_ended()

    # App-wide keys --------------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.kiosk is not None:
            self.kiosk.start()

    async def on_event(self, event: events.Event) -> None:
        # Kiosk: every key or click resets the idle lock (and only closes a kiosk dialog).
        if (
            self.kiosk is not None
            and isinstance(event, (events.InputEvent, events.Paste))
            and not event.is_forwarded
            and self.kiosk.noticed_activity(event)
        ):
            return
        await super().on_event(event)

    def _handle_exception(self, error: Exception) -> None:
        if self.kiosk is None:
            super()._handle_exception(error)
        else:  # never a traceback on a customer's screen
            self.kiosk.handle_error(error)

    def on_unmount(self) -> None:
        """The app is shutting down: release the database connections it opened itself
        (services given to it belong to the caller)."""
        if self._owned_services is not None:
            self._owned_services.close()
            self._owned_services = None

    def collect_garbage_soon(self) -> None:
        """A screen was shown or left: once the app has been quiet for GARBAGE_QUIET_SECONDS,
        forget the watches of the widgets removed (drop_closed_watchers) and collect the cycles
        of the screens dropped (a few tens of ms while the customer reads, instead of inside
        the next screen change)."""
        if self._garbage_timer is not None:
            self._garbage_timer.stop()
        self._garbage_timer = self.set_timer(GARBAGE_QUIET_SECONDS, self._collect_garbage)

    def _collect_garbage(self) -> None:
        import gc

        from wsnego_tui.allocator import release_free_memory

        self._garbage_timer = None
        for node in (self, *self.screen_stack):
            drop_closed_watchers(node)
        gc.collect()
        release_free_memory()  # the pages of the screens just collected go back to the system

    async def action_quit(self) -> None:
        """Ctrl+Q: the screens that save as the borrower types (the application form) save
        what is still pending first; then the app ends."""
        for screen in self.screen_stack:
            save = getattr(screen, "save_before_quit", None)
            if save is not None:
                await save()
        self.exit()

    def action_toggle_language(self) -> None:
        self.lang = other_language(self.lang)
        self.tr = Translator(self.lang)
        self.title = self.tr("app.title")
        in_view = True  # the top screen, and those a dialog leaves in sight under it
        for screen in reversed(self.screen_stack):
            if hasattr(screen, "apply_language"):
                localized: LocalizedMixin = screen  # type: ignore[assignment]
                if in_view:
                    localized.apply_language()
                else:
                    localized.apply_language_later()
            in_view = in_view and isinstance(screen, ModalScreen)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.kiosk is not None and action in KIOSK_BLOCKED_ACTIONS:
            return False
        if action == "help":
            return type(self.screen).__name__ != "HelpScreen"
        return True

    def action_help(self) -> None:
        """F1 (or ?): the keys of the current screen, translated (screens.help, imported here:
        the first screen paints without it)."""
        from wsnego_tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT_THEME if self.theme == DARK_THEME else DARK_THEME

    def action_help_quit(self) -> None:
        """Ctrl+C does not quit a Textual app; say (in the UI language) which key does."""
        for key, active in self.active_bindings.items():
            if active.binding.action in ("quit", "app.quit"):
                self.notify(self.tr("app.quit_hint", key=self.get_key_display(active.binding)), markup=False)
                return


def _demo_offer() -> DemoOfferDialog:
    from wsnego_tui.screens.demo_offer import DemoOfferDialog

    return DemoOfferDialog()


def run_app(settings: Settings) -> int:
    """Run the app in this terminal; the process exit status (0, or 1 after a crash)."""
    if settings.kiosk:
        from wsnego_tui.kiosk import configure_kiosk_logging

        configure_kiosk_logging(settings)
    app = WsnegoApp(settings)
    app.run()
    if settings.kiosk and app.return_code:
        print(Translator(app.lang)("kiosk.crashed"), file=sys.stderr, flush=True)
    return app.return_code or 0
