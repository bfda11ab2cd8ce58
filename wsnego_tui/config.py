"""Settings: where config, data and stored proofs live, which database, language and mode.

Precedence, highest first: command-line options, environment (`WSNEGO_HOME`, `WSNEGO_DB_URL`,
`WSNEGO_LANG`), the `config.toml` in the config folder, built-in defaults. With a home folder
(`--home DIR` or `WSNEGO_HOME`) everything lives under DIR instead of platformdirs' folders.

Cheap to import and free of UI and database imports: the first screen needs it before anything
heavy is loaded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

APP_NAME = "wsnego-tui"
LANGUAGES = ("zh", "en")
DEMO_REVIEW_DELAY_SECONDS = 5
"""How long `--demo` lets a submitted application wait before the automatic review."""
DEFAULT_ESCAPE_DELAY_MS = 25
"""How long a lone Esc byte waits for the rest of a key's sequence before it is the Esc key,
unless `ESCDELAY` (milliseconds, as for curses programs) says otherwise; Textual's own default
is 100 ms. A terminal sends an arrow key's bytes in one write, and they reach the app together
locally and over SSH alike; a slow serial line can set a longer delay. See wsnego_tui/driver.py."""


def set_default_escape_delay() -> None:
    """Set `ESCDELAY` to DEFAULT_ESCAPE_DELAY_MS unless it is set. Textual reads it once, as
    it is imported: the command line and the fork server call this before that import."""
    os.environ.setdefault("ESCDELAY", str(DEFAULT_ESCAPE_DELAY_MS))


class ConfigError(ValueError):
    """A setting that cannot be used; the message names it."""


@dataclass(frozen=True)
class Paths:
    config_dir: Path
    data_dir: Path
    proofs_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def default_db_file(self) -> Path:
        return self.data_dir / "wsnego.sqlite3"

    @property
    def state_file(self) -> Path:
        """Small per-terminal state, e.g. the remembered customer number."""
        return self.data_dir / "state.json"


def resolve_paths(home: str | os.PathLike[str] | None = None) -> Paths:
    home = home or os.environ.get("WSNEGO_HOME") or None
    if home:
        root = Path(home).expanduser().resolve()
        return Paths(root / "config", root / "data", root / "data" / "proofs")
    import platformdirs

    data = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    return Paths(Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)), data, data / "proofs")


@dataclass(frozen=True)
class Settings:
    paths: Paths
    db_url: str
    lang: str = "zh"
    kiosk: bool = False
    demo: bool = False
    policy_file: Path | None = None
    extra: dict[str, object] = field(default_factory=dict)
    review_delay_seconds: int | None = None
    """Replaces the policy's review delay when set: `wsnego-tui --demo` waits a few seconds
    before the automatic review (DEMO_REVIEW_DELAY_SECONDS, or `demo_review_delay_seconds` in
    config.toml), so a walkthrough shows the application under review before the offers."""

    @property
    def is_embedded_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")

    @property
    def proof_roots(self) -> tuple[Path, ...]:
        """The folders proof files may be picked from: the kiosk's inbox (where the branch
        scanner writes) in kiosk mode, the user's home otherwise; `proof_folders` in
        config.toml replaces the default outside kiosk mode."""
        if self.kiosk:
            inbox = self.extra.get("kiosk_inbox")
            return (Path(str(inbox)).expanduser(),) if inbox else (self.paths.data_dir / "inbox",)
        folders = self.extra.get("proof_folders")
        if isinstance(folders, list) and folders:
            return tuple(Path(str(f)).expanduser() for f in folders)
        return (Path.home(),)

    def with_lang(self, lang: str) -> "Settings":
        return replace(self, lang=check_lang(lang))


def check_lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ConfigError(f"language must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    return lang


def _read_config_file(path: Path) -> dict[str, object]:
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        return {}
    import tomllib  # only with a file to read: about 2 ms before the first paint otherwise

    try:
        with fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return data


def load_settings(
    *,
    home: str | os.PathLike[str] | None = None,
    db_url: str | None = None,
    lang: str | None = None,
    kiosk: bool = False,
    demo: bool = False,
) -> Settings:
    paths = resolve_paths(home)
    file_values = _read_config_file(paths.config_file)
    url = (
        db_url
        or os.environ.get("WSNEGO_DB_URL")
        or _str_setting(file_values, "database_url", paths.config_file)
        or f"sqlite:///{paths.default_db_file}"
    )
    chosen_lang = check_lang(
        lang
        or os.environ.get("WSNEGO_LANG")
        or _str_setting(file_values, "language", paths.config_file)
        or "zh"
    )
    policy = _str_setting(file_values, "policy_file", paths.config_file)
    delay = None
    if demo and not policy:
        delay = _int_setting(file_values, "demo_review_delay_seconds", paths.config_file, DEMO_REVIEW_DELAY_SECONDS)
    return Settings(
        paths=paths,
        db_url=url,
        lang=chosen_lang,
        kiosk=kiosk or bool(file_values.get("kiosk", False)),
        demo=demo,
        policy_file=Path(policy).expanduser() if policy else None,
        extra=file_values,
        review_delay_seconds=delay,
    )


def _int_setting(values: dict[str, object], key: str, source: Path, default: int) -> int:
    value = values.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3600:
        raise ConfigError(f"{source}: {key} must be a whole number of seconds from 0 to 3600")
    return value


def _str_setting(values: dict[str, object], key: str, source: Path) -> str | None:
    value = values.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{source}: {key} must be a non-empty string")
    return value
