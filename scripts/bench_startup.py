"""Start-up benchmark: time to the first painted screen of wsnego-tui vs a bare Textual app.

    python scripts/bench_startup.py [--runs N] [--size 100x30]

What is measured, and how:

* Each run is a fresh interpreter on its own pseudo-terminal of the given size (as a user's
  terminal or a kiosk's SSH session would start it), its output drained by the parent.
* "First paint" is the first refresh of the first screen: both apps call
  `call_after_refresh` from that screen's mount and, at that moment, write
  `time.perf_counter()` to the file named by WSNEGO_EXIT_AFTER_FIRST_PAINT and exit.
  The parent reads `time.perf_counter()` just before it spawns the child; on Linux and macOS
  perf_counter is the system-wide monotonic clock (CLOCK_MONOTONIC / mach_absolute_time), so
  the two readings are on the same time line, and their difference is process start (fork,
  interpreter start, imports, app construction, compose, layout, first paint).
* Our app is started the way users start it, `python -m wsnego_tui` with WSNEGO_HOME set to an
  empty temp folder (the entry point, which reads the app's options without click, the config,
  then the app); a third row starts the app without the command line
  (`run_app(load_settings())`) to show what the command adds. The bare
  app is Header + Label + Footer.
* The median of N runs of each, alternating so that both see the same machine state.
* Then `python -X importtime` lists what our app imports before its first paint (the entry
  point, the kiosk module it checks with, the app module) that the bare app does not, heaviest
  first, and the peak RSS of each app process (wait4's ru_maxrss) is reported.

The hidden hook WSNEGO_EXIT_AFTER_FIRST_PAINT=<file> is documented in wsnego_tui/app.py: the app
writes the perf_counter at its log-in screen's first paint to <file> and exits with status 0
before it opens the database. Nothing else uses it.

Target: our app within 1.2x the bare app's time. The script exits 1 when it is not.
Never touches the user's own data: every run gets a temporary home folder.
"""

from __future__ import annotations

import argparse
import os
import pty
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from dataclasses import dataclass
from pathlib import Path

import fcntl

HOOK = "WSNEGO_EXIT_AFTER_FIRST_PAINT"
TARGET_RATIO = 1.2

# Our app without the command line in front of it (no entry point module): separates what
# the app itself costs from what the `wsnego-tui` command adds.
APP_ONLY = """
import sys
from wsnego_tui.config import load_settings
from wsnego_tui.app import run_app
sys.exit(run_app(load_settings()))
"""

BARE_APP = """
import os, time
from textual.app import App
from textual.widgets import Footer, Header, Label


class Bare(App):
    def compose(self):
        yield Header()
        yield Label("Hello")
        yield Footer()

    def on_mount(self):
        self.call_after_refresh(self.painted)

    def painted(self):
        with open(os.environ["WSNEGO_EXIT_AFTER_FIRST_PAINT"], "w") as handle:
            handle.write(repr(time.perf_counter()))
        self.exit(0)


Bare().run()
"""


# What each app imports before its first paint (textual.widgets loads widgets on first use).
OFFENDERS_BARE = "from textual.app import App; from textual.widgets import Footer, Header, Label"
OFFENDERS_OURS = "import wsnego_tui.launch, wsnego_tui.kiosk, wsnego_tui.app"


@dataclass
class Run:
    seconds: float
    max_rss_kib: int


def child_environment(marker: Path, home: Path) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "WSNEGO_HOME": str(home),
        HOOK: str(marker),
    }
    for name in ("PYTHONPATH", "VIRTUAL_ENV"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def run_on_pty(argv: list[str], size: tuple[int, int], timeout: float = 60.0) -> Run:
    """Start `argv` on a fresh pty, wait for its first-paint marker; the seconds from just
    before the spawn to the paint, and the child's peak RSS."""
    columns, rows = size
    with tempfile.TemporaryDirectory(prefix="wsnego-bench-") as scratch:
        marker = Path(scratch) / "painted"
        home = Path(scratch) / "home"
        home.mkdir()
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        started = time.perf_counter()
        child = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=child_environment(marker, home),
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        deadline = time.monotonic() + timeout
        try:
            while child.poll() is None:
                if time.monotonic() > deadline:
                    os.killpg(child.pid, signal.SIGKILL)
                    raise RuntimeError(f"{argv} did not exit within {timeout} s")
                ready, _, _ = select.select([master], [], [], 0.05)
                if ready:
                    try:
                        os.read(master, 65536)
                    except OSError:
                        break
            _, status, usage = os.wait4(child.pid, 0)
        except ChildProcessError:
            status, usage = child.returncode or 0, None
        finally:
            os.close(master)
        if not marker.exists():
            raise RuntimeError(f"{argv} exited (status {status}) without painting its first screen")
        painted = float(marker.read_text())
        rss = usage.ru_maxrss if usage is not None else 0
        if sys.platform == "darwin":
            rss //= 1024  # bytes there, KiB on Linux
        return Run(painted - started, rss)


def _importtime(code: str) -> list[tuple[int, str]]:
    """`python -X importtime -c code` as (self microseconds, module) for every module."""
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    argv = [sys.executable, "-X", "importtime", "-c", code]
    subprocess.run(argv, capture_output=True, check=True, env=env)  # writes any missing .pyc
    done = subprocess.run(argv, capture_output=True, text=True, check=True, env=env)
    pattern = re.compile(r"import time:\s+(\d+) \|\s+\d+ \| *(\S+)")
    return [(int(m.group(1)), m.group(2)) for m in map(pattern.match, done.stderr.splitlines()) if m]


def import_offenders(count: int) -> list[tuple[int, str]]:
    """What our app imports before its first paint that the bare app does not, summed by
    package (self times of its modules), heaviest first, as (microseconds, package)."""
    bare = {name for _, name in _importtime(OFFENDERS_BARE)}
    totals: dict[str, int] = {}
    for micros, name in _importtime(OFFENDERS_OURS):
        if name not in bare:
            package = ".".join(name.split(".")[:2]) if name.startswith("wsnego_tui.") else name.split(".")[0]
            totals[package] = totals.get(package, 0) + micros
    return sorted(((micros, package) for package, micros in totals.items()), reverse=True)[:count]


def parse_size(text: str) -> tuple[int, int]:
    columns, _, rows = text.lower().partition("x")
    return int(columns), int(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each app (default 15)")
    parser.add_argument("--size", type=parse_size, default=(100, 30), help="terminal size, e.g. 100x30")
    parser.add_argument("--top", type=int, default=12, help="import offenders to list (default 12)")
    args = parser.parse_args()

    clock = time.get_clock_info("perf_counter").implementation
    if not any(name in clock for name in ("CLOCK_MONOTONIC", "mach_absolute_time", "QueryPerformanceCounter")):
        print(f"warning: perf_counter is {clock}; it may not be comparable across processes", file=sys.stderr)

    ours = [sys.executable, "-m", "wsnego_tui"]
    app_only = [sys.executable, "-c", APP_ONLY]
    bare = [sys.executable, "-c", BARE_APP]
    # One unmeasured run of each fills the OS file cache and writes the .pyc files.
    for argv in (ours, app_only, bare):
        run_on_pty(argv, args.size)
    ours_runs: list[Run] = []
    app_runs: list[Run] = []
    bare_runs: list[Run] = []
    for _ in range(args.runs):
        ours_runs.append(run_on_pty(ours, args.size))
        app_runs.append(run_on_pty(app_only, args.size))
        bare_runs.append(run_on_pty(bare, args.size))

    ours_median = statistics.median(run.seconds for run in ours_runs)
    app_median = statistics.median(run.seconds for run in app_runs)
    bare_median = statistics.median(run.seconds for run in bare_runs)
    ratio = ours_median / bare_median

    def row(name: str, runs: list[Run], median: float) -> str:
        seconds = [run.seconds for run in runs]
        rss = max(run.max_rss_kib for run in runs) / 1024
        return f"{name:<22}{median * 1000:>10.1f}{min(seconds) * 1000:>10.1f}{max(seconds) * 1000:>10.1f}{rss:>12.1f}"

    print(f"time to first painted screen, {args.runs} runs each, {args.size[0]}x{args.size[1]} pty")
    print(f"{'app':<22}{'median ms':>10}{'min ms':>10}{'max ms':>10}{'peak RSS MB':>12}")
    print(row("bare Textual app", bare_runs, bare_median))
    print(row("wsnego-tui (command)", ours_runs, ours_median))
    print(row("  app without the CLI", app_runs, app_median))
    verdict = "ok" if ratio <= TARGET_RATIO else "TOO SLOW"
    print(f"ratio wsnego-tui / bare: {ratio:.2f} (target <= {TARGET_RATIO}) {verdict}")
    print(f"ratio app without the CLI / bare: {app_median / bare_median:.2f}")
    print()
    print("what wsnego-tui imports before its first paint that the bare app does not")
    print("(python -X importtime, self times summed by package):")
    for micros, module in import_offenders(args.top):
        print(f"{micros / 1000:>9.1f} ms  {module}")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
