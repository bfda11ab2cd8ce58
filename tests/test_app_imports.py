"""The app's start-up stays light: nothing of the database layer before the first screen.

Each case runs in a fresh interpreter (this test process has long imported everything) and
looks at `sys.modules`, in the style of harlequin's import-hygiene tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("sqlmodel", "sqlalchemy", "alembic", "psycopg", "PIL", "wsnego_tui.store", "wsnego_tui.services")

PROBE = """
import json, sys
HEAVY = {heavy!r}
def loaded():
    return sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in HEAVY))
report = {{}}
import wsnego_tui.app
report["after import"] = loaded()
from wsnego_tui.config import load_settings
app = wsnego_tui.app.WsnegoApp(load_settings(home={home!r}))
report["after constructing the app"] = loaded()
{extra}
print(json.dumps(report))
"""

FIRST_PAINT = """
import os
os.environ["WSNEGO_EXIT_AFTER_FIRST_PAINT"] = {marker!r}
app.run(headless=True, size=(100, 30))
report["at the first paint"] = loaded()
report["painted"] = os.path.exists({marker!r})
report["return code"] = app.return_code
"""


def run_probe(tmp_path: Path, extra: str = "") -> dict[str, object]:
    code = PROBE.format(heavy=HEAVY, home=str(tmp_path / "home"), extra=extra)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_and_constructing_the_app_loads_no_database_code(tmp_path: Path) -> None:
    report = run_probe(tmp_path)
    assert report == {"after import": [], "after constructing the app": []}


def test_the_log_in_screen_paints_before_sqlmodel_is_imported(tmp_path: Path) -> None:
    """The database is opened by a worker started after the first paint; the benchmark hook
    exits at that paint, so nothing of the store may have been needed to draw the screen."""
    marker = tmp_path / "painted"
    report = run_probe(tmp_path, FIRST_PAINT.format(marker=str(marker)))
    assert report["painted"] is True
    assert report["return code"] == 0
    assert report["at the first paint"] == []
    assert not (tmp_path / "home" / "data" / "wsnego.sqlite3").exists()


LATER = ("json", "hmac", "hashlib", "logging.handlers", "click", "tomllib")
"""Needed only after the first paint, or only by some starts: the remembered customer number's
file (json), the PIN check (hmac, hashlib), the kiosk's log file, the command line's other
commands (click), a config file (tomllib)."""

FIRST_PAINT_ONLY = """
import os, sys
os.environ["WSNEGO_EXIT_AFTER_FIRST_PAINT"] = {marker!r}
from wsnego_tui.config import load_settings
from wsnego_tui.app import WsnegoApp
app = WsnegoApp(load_settings(home={home!r}))
app.run(headless=True, size=(100, 30))
later = sorted(name for name in {later!r} if name in sys.modules)
import json
print(json.dumps({{"painted": os.path.exists({marker!r}), "later": later}}))
"""


def test_a_first_start_paints_without_what_only_later_steps_need(tmp_path: Path) -> None:
    """No config file and no remembered customer number (a first start): each of these is
    imported when first used, after the first paint."""
    marker = tmp_path / "painted"
    code = FIRST_PAINT_ONLY.format(marker=str(marker), home=str(tmp_path / "home"), later=LATER)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"painted": True, "later": []}
