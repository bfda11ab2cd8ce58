"""The domain core and the store never pull in the UI: importing `wsnego_tui.core` (every module
of it) and `wsnego_tui.store` (every module of it) loads neither textual nor rich.

Checked in a fresh interpreter, since this test process has long imported everything; modules
are found by walking the packages, so a new module is covered without editing this file.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import importlib, json, pkgutil, sys
package = importlib.import_module({package!r})
for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    if ".migrations" not in info.name:
        importlib.import_module(info.name)
ui = sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich"))
print(json.dumps(ui))
"""


@pytest.mark.parametrize("package", ["wsnego_tui.core", "wsnego_tui.store", "wsnego_tui.services"])
def test_the_package_loads_neither_textual_nor_rich(package: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(package=package)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_the_core_imports_no_database_code() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.replace('("textual", "rich")', '("sqlmodel", "sqlalchemy", "alembic", "psycopg")').format(package="wsnego_tui.core")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
