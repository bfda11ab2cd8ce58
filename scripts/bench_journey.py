"""Journey benchmark: key-to-new-screen latency of every step of the borrower's journey, and
the memory of one app process after walking all of it.

    python scripts/bench_journey.py [--runs N] [--size 100x30] [--headless] [--json FILE]

What is measured, and how:

* Each run is a fresh interpreter (this script with `--child`) on its own pseudo-terminal of
  the given size, its output drained by the parent, with WSNEGO_HOME set to an empty temp
  folder: a new embedded SQLite database that the app fills with the demo data on start-up
  (`--demo`), and a temp proof folder holding one PDF. The app is the real WsnegoApp with its
  real services and the system clock, driven by `App.run_test(headless=False)`: Textual's own
  Linux driver draws every frame to the pty (so the cost of turning frames into terminal
  output is included); keys are fed by Textual's Pilot, which posts them as key events (the
  terminal's input parser is the one thing not exercised). `--headless` uses Textual's
  headless driver instead (frames are composed but never written).
* The journey is 80000001's first negotiation, by keys only: log in, My Loans, Enter on the
  first loan, `n`, `1` (the kind, not timed) then Enter, the form typed key by key, Ctrl+N, the
  PDF picked in the tree, `s` (submit), `o` (offers), Enter (agreement), last four + PIN +
  Enter, Enter (back to the loan), `p`, Enter, `y` (pay), Esc, Esc, then `i` (inbox) and Esc.
* `--prepared` creates the database and loads the demo data with the command line
  (`wsnego-tui db upgrade`, `wsnego-tui demo load`) before the app starts, as for a returning
  user or a kiosk: the app then only opens it. Without it the app process creates the schema
  and loads the demo itself, as on a first `make run`.
* Between the last key typed into a field and the key that submits it (the PIN and Enter, the
  form and Ctrl+N, the agreement's PIN and Enter) the script waits `--typing-pause` seconds
  (default 0.2 s), as a person's finger moves to that key; the log-in and the agreement check
  the PIN as its last digit is typed, so by Enter that work is mostly done. `--typing-pause 0`
  presses the submitting key in the same instant.
* After each screen shows its data the script waits THINK_SECONDS (0.5 s) before the next key,
  as a person reads before pressing on; work a screen does in the background by then is done,
  as it would be for a person. (The app's full garbage collection waits for 1 s of quiet after
  a screen change, longer than this pause: in this walk full collections happen only on their
  own, a tenth as often as Python's default.)
* A transition is timed from just before `pilot.press(key)` to three moments of the screen
  the key brought up (pushed, or uncovered by a pop):
  - "frame": the app hands the first frame of that screen to the terminal driver
    (`App._display`). From then on the terminal shows the new screen, with its loading line
    where its data comes from a worker. `--check-frames` shows that this frame is the whole
    screen: it compares the first frame, character by character, with what the screen shows
    once painted, and prints how many lines differ (only data that arrived in between, such
    as the inbox's, which is read as the screen is mounted, may differ);
  - "painted": the screen has nothing left to lay out or redraw. Every screen, when it is
    resumed, registers `call_after_refresh`; Textual runs it once the screen is idle with no
    layout or repaint pending, the same event the start-up benchmark and the app's own
    first-paint hook use. Textual lays a new screen out once more after its first frame (the
    sizes that layout gave its widgets ask for another, which finds nothing to change), so
    this comes some 30 ms after the frame. A screen uncovered by a pop may also be idle
    before its first frame is drawn; then painted comes before the frame;
  - "ready": the screen shows its data (the screen's own state, checked every millisecond);
    for screens whose data come from a database worker it includes the database work.
  The target (100 ms from key to new screen) is checked against "frame".
* Calibration, in the same process after the journey: a bare Textual screen (Header, one
  Label, Footer) pushed three times and timed the same way. It is what the machine and
  Textual cost for any screen change at that moment (it is not part of the pass/fail).
* Memory after the journey, in the child: peak RSS (resource.getrusage ru_maxrss) and current
  RSS (VmRSS in /proc/self/status), at the end of the walk and again once the app has been
  quiet long enough for its quiet-time garbage collection to run. The app runs its services
  (SQLAlchemy, SQLModel, the calculator) in-process, so this is all one borrower session costs;
  Pilot's own share is negligible. Target: at most 70 MB resident after the walk (VmRSS at
  its end). The peak also counts the 16 MiB a PIN check's scrypt holds for a moment.
* The stack alone: after each run, a bare Textual app (Header, one Label, Footer) that has
  imported SQLModel and written and read one row of a one-table SQLite database in a thread
  worker runs on the same pseudo-terminal and is measured the same way, once quiet. It is the
  least any app built on Textual and SQLModel takes here; the target minus it is what is left
  for the app's own screens, services and data.
* The journey's code loaded: the same bare app, started after importing every module the
  journey's process had imported by its end (the app's own, the Textual widgets it uses, and
  so on; the journey child reports the list) and mapping the fourteen tables, is measured the
  same way. No screen of the app is shown and no data is read, so it is the least the
  journey can end at: whatever a walk leaves comes on top of it.
* With --runs N, each transition's median and maximum over the N runs, and the memory's
  median and maximum, are printed. The script exits 1 when a median "frame" is over 100 ms
  or the median RSS after the walk is over 70 MB.

Never touches the user's own data: every run gets a temporary home folder.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import fcntl
import json
import os
import pty
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

TARGET_MS = 100.0
THINK_SECONDS = 0.5
"""Between a screen showing its data and the next key: a person reads before pressing on."""
TYPING_PAUSE_SECONDS = 0.2
"""Between a field's last key and the key that submits it (the default of --typing-pause)."""
TARGET_MB = 70.0
PDF = b"%PDF-1.4\n% proof of hardship\n1 0 obj << >> endobj\n%%EOF\n"


# --- the child: one journey in one app process --------------------------------------------------


def vmrss_mb() -> float:
    """This process's resident memory now (VmRSS), in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


def screen_text(strips: list[object]) -> list[str]:
    """The characters of a rendered screen, line by line (a frame's strips, or the compositor's)."""
    return ["".join(strip.text for strip in line if strip is not None) for line in strips]  # type: ignore[attr-defined]


def child(out: Path, width: int, height: int, headless: bool, check_frames: bool, typing_pause: float) -> None:
    import resource

    from textual._compositor import LayoutUpdate
    from textual.screen import Screen

    from wsnego_tui.app import WsnegoApp
    from wsnego_tui.config import load_settings

    painted: dict[int, float] = {}
    framed: dict[int, float] = {}
    first_frames: dict[int, list[str]] = {}  # with --check-frames: each screen's first frame
    settled_frames: dict[int, list[str]] = {}  # and what the screen showed once painted
    original_resume = Screen._on_screen_resume
    original_display = WsnegoApp._display

    def resumed(self, event):  # type: ignore[no-untyped-def]
        key = id(self)
        painted.pop(key, None)
        framed.pop(key, None)  # before Textual's handler, which may draw the first frame
        first_frames.pop(key, None)
        original_resume(self, event)

        def on_painted() -> None:
            painted.setdefault(key, time.perf_counter())
            if check_frames:
                settled_frames[key] = screen_text(self._compositor.render_full_update().strips)

        self.call_after_refresh(on_painted)

    def displayed(self, screen, renderable):  # type: ignore[no-untyped-def]
        original_display(self, screen, renderable)
        if renderable is not None and screen is self.screen and id(screen) not in framed:
            framed[id(screen)] = time.perf_counter()
            if check_frames and isinstance(renderable, LayoutUpdate):
                first_frames[id(screen)] = screen_text(renderable.strips)

    Screen._on_screen_resume = resumed  # type: ignore[method-assign]
    WsnegoApp._display = displayed  # type: ignore[method-assign]

    home = Path(os.environ["WSNEGO_HOME"])
    proofs = home / "proofs"
    proofs.mkdir(parents=True, exist_ok=True)
    (proofs / "hardship.pdf").write_bytes(PDF)
    settings = load_settings(home=home)
    settings = dataclasses.replace(
        settings, demo=True, review_delay_seconds=0, extra={**settings.extra, "proof_folders": [str(proofs)]}
    )
    app = WsnegoApp(settings)
    app.animation_level = "none"
    results: list[dict[str, object]] = []

    async def journey() -> None:
        async with app.run_test(headless=headless, size=(width, height)) as pilot:

            async def until(condition, seconds: float = 20.0) -> float:  # type: ignore[no-untyped-def]
                start = time.perf_counter()
                while not condition():
                    if time.perf_counter() - start > seconds:
                        raise TimeoutError("the screen did not come up")
                    await asyncio.sleep(0.001)
                return time.perf_counter()

            async def step(name: str, keys: tuple[str, ...], screen_name: str, ready) -> None:  # type: ignore[no-untyped-def]
                before = app.screen
                t0 = time.perf_counter()
                await pilot.press(*keys)
                await until(lambda: type(app.screen).__name__ == screen_name and app.screen is not before)
                screen = app.screen
                t_paint = painted.get(id(screen))
                if t_paint is None:
                    await until(lambda: id(screen) in painted)
                    t_paint = painted[id(screen)]
                if id(screen) not in framed:  # a screen uncovered by a pop may be idle before it is drawn
                    await until(lambda: id(screen) in framed)
                t_frame = framed[id(screen)]
                t_ready = await until(lambda: ready(screen))
                await pilot.pause(THINK_SECONDS)  # the borrower reads the screen before the next key
                first, settled = first_frames.get(id(screen)), settled_frames.get(id(screen))
                differing = None if first is None or settled is None else sum(a != b for a, b in zip(first, settled))
                results.append({"step": name, "frame_ms": (t_frame - t0) * 1000, "painted_ms": (t_paint - t0) * 1000,
                                "ready_ms": (t_ready - t0) * 1000, "rss_mb": vmrss_mb(), "frame_lines_differing": differing})

            async def type_into(selector: str, text: str) -> None:
                field = app.screen.query_one(selector)
                field.focus()
                await pilot.pause()
                await pilot.press(*text)

            await until(lambda: app.services is not None)
            results.append({"step": "(database open, demo loaded)", "painted_ms": None, "ready_ms": 0.0, "rss_mb": vmrss_mb()})
            await type_into("#customer-no", "80000001")
            await type_into("#pin", "111111")
            await asyncio.sleep(typing_pause)
            await step("log-in → My Loans", ("enter",), "LoansScreen", lambda s: s.loans is not None)
            await step("My Loans → loan detail", ("enter",), "LoanDetailScreen",
                       lambda s: s.detail is not None and s.eligibility is not None and not s.reading)
            await step("loan detail → negotiate", ("n",), "NegotiateScreen", lambda s: s.eligibility is not None and not s.reading)
            await pilot.press("1")  # the kind is chosen on the negotiate screen; Enter opens its form
            await step("negotiate → application form", ("enter",), "ApplicationFormScreen",
                       lambda s: s.view is not None and s.detail is not None)
            await pilot.press("enter", "down", "down", "enter", "tab", *"shop closed", "tab")
            await pilot.press(*"8000", "tab", *"3000", "tab", *"0", "tab", "tab", *"24", "tab")
            await asyncio.sleep(typing_pause)
            await step("application form → proofs", ("ctrl+n",), "ProofsScreen", lambda s: s.view is not None)
            tree = app.screen.query_one("#proofs-tree")
            tree.focus()
            await until(lambda: len(tree.root.children) > 0)
            tree.cursor_line = 0
            await pilot.press("down", "enter")
            await until(lambda: bool(app.screen.view.proofs))
            await step("proofs → progress (submit)", ("s",), "ProgressScreen",
                       lambda s: s.view is not None and s.view.status == "offer_issued")
            await step("progress → offers", ("o",), "OffersScreen", lambda s: s.loaded and bool(s.offers))
            await step("offers → agreement", ("enter",), "ConfirmScreen", lambda s: s.offer is not None)
            await pilot.press(*"0001", "tab", *"111111")
            await asyncio.sleep(typing_pause)
            confirm = app.screen
            t0 = time.perf_counter()
            await pilot.press("enter")
            t_done = await until(lambda: confirm.result is not None)
            results.append({"step": "agreement: Enter → plan in force", "painted_ms": None, "ready_ms": (t_done - t0) * 1000,
                            "rss_mb": vmrss_mb()})
            await step("agreement → loan detail", ("enter",), "LoanDetailScreen", lambda s: not s.reading and s.detail is not None)
            await step("loan detail → repay", ("p",), "RepayScreen", lambda s: s.stage == "choose")
            repay = app.screen
            await until(lambda: repay.preview is not None)
            await pilot.press("enter")
            await until(lambda: repay.stage == "confirm")
            t0 = time.perf_counter()
            await pilot.press("y")
            t_paid = await until(lambda: repay.stage == "done")
            results.append({"step": "repay: y → receipt", "painted_ms": None, "ready_ms": (t_paid - t0) * 1000,
                            "rss_mb": vmrss_mb()})
            await step("repay → loan detail (Esc)", ("escape",), "LoanDetailScreen", lambda s: not s.reading)
            await step("loan detail → My Loans (Esc)", ("escape",), "LoansScreen", lambda s: not s.loading)
            await step("My Loans → inbox", ("i",), "InboxScreen", lambda s: s.notes is not None and not s.loading)
            await step("inbox → My Loans (Esc)", ("escape",), "LoansScreen", lambda s: not s.loading)

            # Calibration: a bare Textual screen (Header, one Label, Footer) pushed the same way.
            from textual.widgets import Footer, Header, Label

            class Bare(Screen[None]):
                def compose(self):  # type: ignore[no-untyped-def]
                    yield Header()
                    yield Label("bare")
                    yield Footer()

            for number in range(1, 4):
                before = app.screen
                t0 = time.perf_counter()
                app.push_screen(Bare())
                await until(lambda before=before: app.screen is not before)
                bare = app.screen
                await until(lambda bare=bare: id(bare) in painted)
                results.append({"step": f"(bare Textual screen, push {number})", "frame_ms": (framed[id(bare)] - t0) * 1000,
                                "painted_ms": (painted[id(bare)] - t0) * 1000,
                                "ready_ms": (painted[id(bare)] - t0) * 1000, "rss_mb": vmrss_mb()})
                app.pop_screen()
                await pilot.pause(0.1)

            # The borrower stops reading: the app's quiet-time collection runs (and hands the
            # freed heap pages back); what is resident then is what the session keeps.
            from wsnego_tui.app import GARBAGE_QUIET_SECONDS

            # The walk's own references to screens it has left go first: they would keep those
            # screens, which the app has let go, in memory.
            tree = confirm = repay = bare = before = None
            vmrss_at_end = vmrss_mb()
            await pilot.pause(GARBAGE_QUIET_SECONDS + 1.0)
            quiet.update(at_end=vmrss_at_end, quiet=vmrss_mb())

    quiet: dict[str, float] = {}
    asyncio.run(journey())
    maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out.write_text(json.dumps({"steps": results, "maxrss_mb": maxrss_kb / 1024, "vmrss_mb": quiet["at_end"],
                               "quiet_vmrss_mb": quiet["quiet"], "modules": sorted(sys.modules)}))


def floor_child(out: Path, width: int, height: int, headless: bool, modules_file: Path | None = None) -> None:
    """The least any app on this stack takes, measured the way the journey is: a bare Textual
    app (Header, one Label, Footer) that has imported SQLModel and, in a thread worker, created
    a one-table SQLite database and written and read one row; none of wsnego-tui's code.

    With `modules_file` (the journey child's list of modules), every module on it is imported
    first and SQLAlchemy's mappers are configured (the app's tables): the journey's code
    loaded, and nothing of it run."""
    failed: list[str] = []
    if modules_file is not None:
        import importlib

        for name in json.loads(modules_file.read_text()):
            # Cython's extensions register their runtime under names that are not modules
            if name != "__main__" and name not in sys.modules and not name.startswith(("_cython_", "cython_runtime")):
                try:
                    importlib.import_module(name)
                except Exception:
                    failed.append(name)
        from sqlalchemy.orm import configure_mappers

        configure_mappers()
    from sqlmodel import Field, Session, SQLModel, create_engine, select
    from textual.app import App
    from textual.widgets import Footer, Header, Label

    class Row(SQLModel, table=True):
        id: int | None = Field(default=None, primary_key=True)
        name: str

    home = Path(os.environ["WSNEGO_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{home / 'floor.sqlite3'}")
    done: list[bool] = []

    def read_and_write() -> None:
        SQLModel.metadata.create_all(engine)
        with Session(engine) as session:
            session.add(Row(name="row"))
            session.commit()
            list(session.exec(select(Row)))
        done.append(True)

    class Bare(App[None]):
        def compose(self):  # type: ignore[no-untyped-def]
            yield Header()
            yield Label("bare")
            yield Footer()

        def on_mount(self) -> None:
            self.run_worker(read_and_write, thread=True)

    async def run() -> None:
        async with Bare().run_test(headless=headless, size=(width, height)) as pilot:
            while not done:
                await pilot.pause(0.01)
            await pilot.pause(2.0)  # quiet, as the journey's end is measured
            result["vmrss_mb"] = vmrss_mb()

    result: dict[str, object] = {"modules_failed": failed}
    asyncio.run(run())
    out.write_text(json.dumps(result))


# --- the parent: runs, aggregates, reports ------------------------------------------------------


def run_child(
    width: int, height: int, headless: bool, check_frames: bool, typing_pause: float, prepared: bool,
    floor: bool = False, modules: list[str] | None = None,
) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="wsnego-bench-") as temp:
        out = Path(temp) / "result.json"
        env = {**os.environ, "WSNEGO_HOME": str(Path(temp) / "home"), "TERM": os.environ.get("TERM", "xterm-256color")}
        env.pop("WSNEGO_DB_URL", None)
        if prepared and not floor:
            for command in (["db", "upgrade"], ["demo", "load"]):
                subprocess.run([sys.executable, "-m", "wsnego_tui", *command], env=env, check=True, capture_output=True)
        command = [sys.executable, __file__, "--floor-child" if floor else "--child", str(out),
                   "--size", f"{width}x{height}", "--typing-pause", str(typing_pause)]
        if headless:
            command.append("--headless")
        if check_frames:
            command.append("--check-frames")
        if modules is not None:
            modules_file = Path(temp) / "modules.json"
            modules_file.write_text(json.dumps(modules))
            command += ["--modules", str(modules_file)]
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))
        process = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
        os.close(slave)
        output = bytearray()
        while process.poll() is None:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    output += os.read(master, 65536)
                except OSError:
                    break
        process.wait()
        os.close(master)
        if process.returncode != 0 or not out.exists():
            tail = output[-2000:].decode("utf-8", "replace")
            raise SystemExit(f"the journey failed (exit {process.returncode}):\n{tail}")
        return json.loads(out.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])  # None under -OO
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", default="100x30")
    parser.add_argument("--headless", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--check-frames", action="store_true",
                        help="compare each screen's first frame with what it shows once painted (slows the walk)")
    parser.add_argument("--typing-pause", type=float, default=TYPING_PAUSE_SECONDS,
                        help="seconds between a field's last key and the key that submits it")
    parser.add_argument("--prepared", action="store_true",
                        help="create the database and load the demo with the CLI before the app starts")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--floor-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--modules", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.lower().split("x"))
    if args.child:
        child(args.child, width, height, args.headless, args.check_frames, args.typing_pause)
        return 0
    if args.floor_child:
        floor_child(args.floor_child, width, height, args.headless, args.modules)
        return 0

    load_before = subprocess.run(["uptime"], check=False, capture_output=True, text=True).stdout.strip()
    runs, floors, loaded = [], [], []
    for _ in range(args.runs):
        runs.append(run_child(width, height, args.headless, args.check_frames, args.typing_pause, args.prepared))
        floors.append(run_child(width, height, args.headless, False, 0.0, False, floor=True))
        loaded.append(run_child(width, height, args.headless, False, 0.0, False, floor=True,
                                modules=runs[-1]["modules"]))  # type: ignore[arg-type]
    names = [step["step"] for step in runs[0]["steps"]]  # type: ignore[index]
    print(f"wsnego-tui journey benchmark: {args.runs} runs, {width}x{height}, "
          f"{'headless' if args.headless else 'pty'} driver, typing pause {args.typing_pause} s, "
          f"{'database prepared by the CLI' if args.prepared else 'database created by the app'}, "
          f"Python {sys.version.split()[0]}")
    print(f"uptime before: {load_before}")
    load_after = subprocess.run(["uptime"], check=False, capture_output=True, text=True).stdout.strip()
    print(f"uptime after:  {load_after}")
    print()
    checked = " first frame vs painted" if args.check_frames else ""
    print(f"{'transition':36} {'frame ms':>17} {'painted ms':>17} {'ready ms':>17} {'RSS MB':>7}{checked}")
    print(f"{'':36} {'(median / max)':>17} {'(median / max)':>17} {'(median / max)':>17}")
    failed = False
    summary = []
    for index, name in enumerate(names):
        frame = [run["steps"][index].get("frame_ms") for run in runs]  # type: ignore[index]
        painted = [run["steps"][index]["painted_ms"] for run in runs]  # type: ignore[index]
        ready = [run["steps"][index]["ready_ms"] for run in runs]  # type: ignore[index]
        frame_median = None if frame[0] is None else statistics.median(frame)
        painted_median = None if painted[0] is None else statistics.median(painted)
        if frame_median is not None and not name.startswith("("):
            failed |= frame_median > TARGET_MS
        ready_median = statistics.median(ready)
        rss = statistics.median(run["steps"][index]["rss_mb"] for run in runs)  # type: ignore[index]

        def cell(median: float | None, values: list[float]) -> str:
            return "-" if median is None else f"{median:6.1f} / {max(values):6.1f}"

        differing = [run["steps"][index].get("frame_lines_differing") for run in runs]  # type: ignore[index]
        known = [count for count in differing if count is not None]
        check = ""
        if args.check_frames and not name.startswith("(") and frame_median is not None:
            check = f" {max(known)} lines differ" if known else " (no full first frame)"
        print(f"{name:36} {cell(frame_median, frame):>17} {cell(painted_median, painted):>17} "
              f"{cell(ready_median, ready):>17} {rss:7.1f}{check}")
        summary.append({"step": name, "frame_median_ms": frame_median, "painted_median_ms": painted_median,
                        "ready_median_ms": ready_median, "frame_max_ms": max(frame) if frame_median is not None else None,
                        "painted_max_ms": max(painted) if painted_median is not None else None, "ready_max_ms": max(ready)})
    maxrss = [run["maxrss_mb"] for run in runs]
    vmrss = [run["vmrss_mb"] for run in runs]
    print()
    print(f"peak RSS after the journey (ru_maxrss): median {statistics.median(maxrss):.1f} MB, max {max(maxrss):.1f} MB")
    print(f"current RSS after the journey (VmRSS):  median {statistics.median(vmrss):.1f} MB, max {max(vmrss):.1f} MB"
          f"   (target ≤ {TARGET_MB:.0f} MB)")
    quiet = [run["quiet_vmrss_mb"] for run in runs]
    print(f"current RSS once quiet (VmRSS, after the app's quiet-time collection): median "
          f"{statistics.median(quiet):.1f} MB, max {max(quiet):.1f} MB")
    floor_rss = [run["vmrss_mb"] for run in floors]
    print(f"the stack alone (a bare Textual app with SQLModel, one row written and read in a worker), once quiet: "
          f"median {statistics.median(floor_rss):.1f} MB; the target leaves {TARGET_MB - statistics.median(floor_rss):.1f} MB"
          f" above it for the app")
    loaded_rss = [run["vmrss_mb"] for run in loaded]
    not_loaded = sorted({name for run in loaded for name in run["modules_failed"]})  # type: ignore[attr-defined]
    print(f"the journey's code loaded ({len(runs[0]['modules'])} modules imported, the tables mapped, "  # type: ignore[arg-type]
          f"no screen shown, no data read), once quiet: median {statistics.median(loaded_rss):.1f} MB, "
          f"max {max(loaded_rss):.1f} MB: the least the journey can end at"
          + (f" (could not import: {', '.join(not_loaded)})" if not_loaded else ""))
    failed |= statistics.median(vmrss) > TARGET_MB
    print(f"target: first frame < {TARGET_MS:.0f} ms per transition, at most {TARGET_MB:.0f} MB: "
          f"{'missed' if failed else 'met'}")
    if args.json:
        args.json.write_text(json.dumps({"transitions": summary, "maxrss_mb": maxrss, "vmrss_mb": vmrss,
                                         "quiet_vmrss_mb": quiet, "stack_alone_vmrss_mb": floor_rss,
                                         "journey_code_loaded_vmrss_mb": loaded_rss}, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
