r"""Kiosk mode's process guards and settings, applied before Textual is imported.

`prepare_kiosk_process()` runs in the command-line entry path of `wsnego-tui --kiosk`, before
`import textual`: it removes `TEXTUAL` and every `TEXTUAL_*` variable from the environment (they
can load a driver module of anyone's choosing, inject keys, or turn on dev tools, debug mode and
remote logging) and
`COLUMNS` / `LINES` (they pin the app's size), ignores the keyboard's job-control signals
(SIGINT, SIGQUIT, SIGTSTP) and switches the terminal's signal keys off, so Ctrl+C, Ctrl+\ and
Ctrl+Z typed while Python is still importing do nothing either.

`KioskTimes.from_settings` reads the idle lock's times from config.toml:
`kiosk_idle_seconds` (default 120) and `kiosk_countdown_seconds` (default 30);
`kiosk_log_file` names the log (default <data>/logs/kiosk.log), which gets the tracebacks the
customer never sees.

`scrub_before_preloading()` is the same guarantee for the SSH server's fork server, which
imports Textual once (after scrubbing) and forks a kiosk child per session.

Never imports textual or rich (it must run before them); never touches the database.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path

from wsnego_tui.config import ConfigError, Settings

TEXTUAL_ENV_PREFIX = "TEXTUAL_"
TEXTUAL_FEATURES_VARIABLE = "TEXTUAL"
"""Textual's feature switches (`devtools`, `debug`, `headless`, ...), read at import."""
SIZE_PINNING_VARIABLES = ("COLUMNS", "LINES")
DEFAULT_IDLE_SECONDS = 120.0
DEFAULT_COUNTDOWN_SECONDS = 30.0

KIOSK_BLOCKED_ACTIONS = frozenset(
    {
        "quit",
        "help_quit",
        "suspend_process",
        "screenshot",
        "deliver_screenshot",
        "change_theme",
        "command_palette",
        "simulate_key",
    }
)
"""App actions a kiosk never runs, whether from a key, a Footer click or action markup."""


class KioskRefused(Exception):
    """The kiosk cannot run here (no terminal); the message is for the person connecting."""


def scrub_textual_environment(environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Remove `TEXTUAL` and every TEXTUAL_* variable (any letter case) and COLUMNS/LINES; the
    names removed."""
    env = os.environ if environ is None else environ
    removed = [
        name
        for name in list(env)
        if name.upper().startswith(TEXTUAL_ENV_PREFIX)
        or name.upper() == TEXTUAL_FEATURES_VARIABLE
        or name.upper() in SIZE_PINNING_VARIABLES
    ]
    for name in removed:
        del env[name]
    return sorted(removed)


def ignore_keyboard_signals() -> None:
    """Ctrl+C, Ctrl+\\ and Ctrl+Z must not end or stop a kiosk session. (SIGHUP, sent when
    the customer's connection drops, still ends the process.)"""
    for signum in (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP):
        signal.signal(signum, signal.SIG_IGN)


def disable_terminal_signal_keys(fd: int = 0) -> bool:
    """Clear ISIG on the terminal at `fd` (if it is one): the line discipline then passes
    Ctrl+C, Ctrl+\\ and Ctrl+Z on as bytes instead of signalling. Textual later sets raw mode
    itself and restores this state when it ends. Whether the terminal was changed."""
    try:
        import termios

        if not os.isatty(fd):
            return False
        attrs = termios.tcgetattr(fd)
        attrs[3] &= ~termios.ISIG
        termios.tcsetattr(fd, termios.TCSANOW, attrs)
    except (ImportError, OSError):
        return False
    return True


_textual_imported_after_scrub = False


def scrub_before_preloading() -> list[str]:
    """For a process that imports Textual once for many kiosk sessions (the SSH server's fork
    server, wsnego_tui/forkserver.py): scrub the environment now, before that import, and
    remember it, so that `prepare_kiosk_process` in its forked children accepts the Textual
    already imported. The variables removed; RuntimeError if Textual was imported already."""
    global _textual_imported_after_scrub
    if "textual" in sys.modules:
        raise RuntimeError("the environment must be scrubbed before textual is imported")
    removed = scrub_textual_environment()
    _textual_imported_after_scrub = True
    return removed


def prepare_kiosk_process(settings: Settings) -> list[str]:
    """Everything kiosk mode needs before Textual is imported; the variables removed.

    Raises ConfigError for unusable kiosk settings, KioskRefused without a terminal on stdin
    and stdout, and RuntimeError if Textual was already
    imported (its settings would have been read from the environment before the scrub),
    unless `scrub_before_preloading` scrubbed this process before that import."""
    KioskTimes.from_settings(settings)
    if not (os.isatty(0) and os.isatty(1)):
        # e.g. an exec or sftp request under OpenSSH's ForceCommand: say so, start nothing
        raise KioskRefused("this kiosk needs an interactive terminal (ssh -t) / 本服务需要交互式终端")
    if "textual" in sys.modules and not _textual_imported_after_scrub:
        raise RuntimeError("kiosk mode must be prepared before textual is imported")
    removed = scrub_textual_environment()
    ignore_keyboard_signals()
    disable_terminal_signal_keys(0)
    return removed


@dataclass(frozen=True)
class KioskTimes:
    """How long a kiosk session may sit idle before the countdown, and how long that lasts."""

    idle_seconds: float = DEFAULT_IDLE_SECONDS
    countdown_seconds: float = DEFAULT_COUNTDOWN_SECONDS

    @classmethod
    def from_settings(cls, settings: Settings) -> KioskTimes:
        return cls(
            idle_seconds=_positive_seconds(settings, "kiosk_idle_seconds", DEFAULT_IDLE_SECONDS),
            countdown_seconds=_positive_seconds(settings, "kiosk_countdown_seconds", DEFAULT_COUNTDOWN_SECONDS),
        )

    @property
    def tick_seconds(self) -> float:
        """How often the idle clock is looked at: every second, more often for short tests."""
        return max(0.05, min(1.0, self.idle_seconds / 4, self.countdown_seconds / 4))


def _positive_seconds(settings: Settings, key: str, default: float) -> float:
    value = settings.extra.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"{settings.paths.config_file}: {key} must be a positive number of seconds")
    return float(value)


def kiosk_log_file(settings: Settings) -> Path:
    configured = settings.extra.get("kiosk_log_file")
    if isinstance(configured, str) and configured:
        return Path(configured).expanduser()
    return settings.paths.data_dir / "logs" / "kiosk.log"


def configure_kiosk_logging(settings: Settings) -> Path | None:
    """Send the app's log records (tracebacks included) to the kiosk log file, appending (one
    file shared by every kiosk process of the host; WatchedFileHandler follows logrotate).
    The file, or None when it cannot be opened (the session still runs)."""
    import logging.handlers  # about 1.5 ms, which the first paint outside a kiosk does not need

    path = kiosk_log_file(settings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.WatchedFileHandler(path, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter(f"%(asctime)s pid={os.getpid()} %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("wsnego_tui")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return path
