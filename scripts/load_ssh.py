"""Load test of `wsnego-tui serve-ssh`: N concurrent SSH sessions on loopback.

Starts the server on a free loopback port with a temp home holding the demo data, opens N
sessions at once (asyncssh client, pty 100x30, a pyte screen each), logs every session in as
a demo customer and walks a few screens: My Loans -> loan detail -> back, language switch
and back, several rounds, with a random think time between one session's keys (`--think`,
mean 1.5 s; `--think 0` makes every session press its keys at the same moment). For every
key it measures key-to-screen latency: from sending the key until the bytes that show the
expected step arrive. They are not parsed then: twenty pyte emulators in this one process used
about a third of a core and held each other's bytes back while parsing (on a branch network
the terminals are elsewhere, not on the server's cores). Once every session has walked, each
one's whole output is parsed and its screen checked. While all sessions are logged in, again once all have walked,
and once more when the apps have had their quiet-time collection after the walk, it reads each
kiosk child's memory from /proc (RSS, and PSS, which shares libraries fairly). It also reports the CPU time the kiosk apps, the SSH server and this
script (the twenty clients, which share the machine with the server) used during the walk.
Before the N sessions it opens one session alone and times it from connect until the log-in
screen shows (the start time of a session on an otherwise idle server).

    .venv/bin/python scripts/load_ssh.py            # 20 sessions, 3 rounds
    .venv/bin/python scripts/load_ssh.py --sessions 5 --rounds 2
    .venv/bin/python scripts/load_ssh.py --no-prefork   # a subprocess per session

Targets (issue 5): at most 70 MB per session (logged in, and once quiet after the walk) and a
95th percentile under 150 ms with 20 sessions on a 2-core machine. Prints the figures and the load average; exits 1 when a
session failed. Needs no SSH server installed. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from ssh_terminal import (
    ENTER,
    ESCAPE,
    TAB,
    load_demo,
    open_terminal,
    start_server,
    write_config,
)

from wsnego_tui.app import GARBAGE_QUIET_SECONDS

F2 = "\x1bOQ"
CUSTOMERS = [("80000001", "111111"), ("80000002", "222222"), ("80000003", "333333"), ("80000004", "444444"), ("80000005", "555555")]


def memory_kib(pid: int) -> tuple[int, int, int]:
    """(RSS, PSS, USS) of a process in KiB. USS (private pages) is what ending it frees."""
    rss = pss = uss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
            elif line.startswith(("Private_Clean:", "Private_Dirty:")):
                uss += int(line.split()[1])
    except OSError:
        pass
    return rss, pss, uss


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


async def one_session(
    index: int, port: int, rounds: int, think: float, logged_in: asyncio.Barrier, measured: asyncio.Event,
    walked: asyncio.Barrier, release: asyncio.Event,
) -> dict[str, object]:
    customer_no, pin = CUSTOMERS[index % len(CUSTOMERS)]
    start = time.monotonic()
    conn, chan, term = await open_terminal(port, columns=100, rows=30)
    rng = random.Random(index)
    latencies: list[float] = []
    by_key: dict[str, list[float]] = {}

    async def key(data: str, expect: str, name: str) -> None:
        # A person's pause before the next key: random, so that 20 sessions do not all press
        # their keys in the same millisecond (with think=0 they do: the worst case).
        await asyncio.sleep(rng.uniform(0.4 * think, 1.6 * think) if think else 0.2)
        since = term.mark()
        sent = time.monotonic()
        term.send(data)
        shown = await term.wait_for_bytes(expect, since, timeout=30)
        latencies.append(shown - sent)
        by_key.setdefault(name, []).append(shown - sent)

    def failed(exc: Exception) -> dict[str, object]:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        detail = f"{type(exc).__name__}: {exc} ({Path(where.filename).name}:{where.lineno})"
        return {"ok": False, "error": f"session {index}: {detail}"[:400], "latencies": latencies}

    try:
        await term.wait_for("⏎ 登录", timeout=60)
        first_screen = time.monotonic() - start
        term.send(customer_no)
        await term.wait_for(customer_no, timeout=30)
        term.send(TAB)
        await asyncio.sleep(0.3)
        term.send(pin)
        await term.wait_for("•" * len(pin), timeout=30)
        term.text()
        sent = time.monotonic()
        term.send(ENTER)
        login_seconds = await term.wait_for("第2步", timeout=30) - sent
        await logged_in.wait()
        await measured.wait()
        for _ in range(rounds):
            await key(ENTER, "第3步", "Enter: My Loans -> loan detail")
            await key(ESCAPE, "第2步", "Esc: loan detail -> My Loans")
            await key(F2, "Step 2", "F2: language zh -> en")
            await key(F2, "第2步", "F2: language en -> zh")
    except Exception as exc:  # reported, not raised: the other sessions go on
        error: dict[str, object] | None = failed(exc)
    else:
        error = None
    # Every session stays connected until all have walked, so that the apps' CPU time can be
    # read while they still run.
    if measured.is_set() and not release.is_set():
        await walked.wait()
        await release.wait()
    if error is not None:
        conn.close()
        return error
    try:
        # The keys were timed by the bytes as they arrived, unparsed (parsing them then would
        # have taken the cores from the apps being measured). Now that everything is measured,
        # the whole output is parsed and the screen the walk ended on is checked.
        await term.wait_for(lambda screen: "第2步" in screen and customer_no in screen, timeout=60)
    except Exception as exc:
        return failed(exc)
    finally:
        conn.close()
    return {"ok": True, "latencies": latencies, "by_key": by_key, "first_screen": first_screen, "login": login_seconds}


async def alone(port: int, tries: int = 3) -> list[float]:
    """Seconds from connect until the log-in screen shows, one session at a time."""
    times = []
    for _ in range(tries):
        start = time.monotonic()
        conn, chan, term = await open_terminal(port, columns=100, rows=30)
        try:
            await term.wait_for("⏎ 登录", timeout=60)
            times.append(time.monotonic() - start)
        finally:
            conn.close()
        await term.closed.wait()
        await asyncio.sleep(0.5)
    return times


async def run(sessions: int, rounds: int, think: float, prefork: bool) -> int:
    with tempfile.TemporaryDirectory(prefix="wsnego-load-") as tmp:
        home = Path(tmp) / "home"
        write_config(home, {"open_user": "kiosk", "max_sessions": sessions + 5,
                            "connections_per_minute": sessions * 4 + 10, "prefork": prefork})
        load_demo(home)
        server = start_server(home)
        try:
            await asyncio.sleep(3.0)  # the fork server's imports, if any
            start_alone = await alone(server.port)
            logged_in = asyncio.Barrier(sessions + 1)
            measured, release = asyncio.Event(), asyncio.Event()
            walked = asyncio.Barrier(sessions + 1)
            tasks = [asyncio.ensure_future(one_session(i, server.port, rounds, think, logged_in, measured, walked, release))
                     for i in range(sessions)]
            try:
                await asyncio.wait_for(logged_in.wait(), 180)
            except TimeoutError:
                print("not every session logged in within 180 s", file=sys.stderr)
                release.set()  # nothing is measured: no session waits for the others
                await logged_in.abort()  # the sessions still waiting for the rest end with an error
                measured.set()
                results = await asyncio.gather(*tasks)
                for result in results:
                    if not result["ok"]:
                        print(result["error"], file=sys.stderr)
                return 1
            await asyncio.sleep(1.0)
            children = server.children()
            memory = [memory_kib(pid) for pid in children]
            fork_servers = [memory_kib(pid) for pid in server.fork_servers()]
            measured.set()
            walk_start, server_cpu_start = time.monotonic(), cpu_seconds(server.proc.pid)
            client_cpu_start = time.process_time()
            children_cpu_start = {pid: cpu_seconds(pid) for pid in children}
            children_cpu = 0.0
            await walked.wait()
            walk_seconds = time.monotonic() - walk_start
            server_cpu = cpu_seconds(server.proc.pid) - server_cpu_start
            client_cpu = time.process_time() - client_cpu_start
            walked_memory = []
            for pid, before in children_cpu_start.items():
                with contextlib.suppress(OSError):  # a session that failed and ended early
                    children_cpu += cpu_seconds(pid) - before
                    walked_memory.append(memory_kib(pid))
            # What a session keeps: once the customer has stopped for longer than the app's
            # quiet time, its collection has freed the screens left during the walk (with keys
            # less than a second apart it never ran).
            await asyncio.sleep(GARBAGE_QUIET_SECONDS + 1.0)
            quiet_memory = []
            for pid in children_cpu_start:
                with contextlib.suppress(OSError):
                    quiet_memory.append(memory_kib(pid))
            release.set()
            results = await asyncio.gather(*tasks)
        finally:
            server.stop()
    failures = [r["error"] for r in results if not r["ok"]]
    latencies = [ms * 1000 for r in results for ms in r["latencies"]]  # type: ignore[union-attr]
    first = [float(r["first_screen"]) for r in results if r["ok"]]  # type: ignore[arg-type]
    logins = [float(r["login"]) * 1000 for r in results if r["ok"]]  # type: ignore[arg-type]
    rss = [m[0] / 1024 for m in memory]
    pss = [m[1] / 1024 for m in memory]
    uss = [m[2] / 1024 for m in memory]
    print(f"sessions: {sessions} ({len(children)} kiosk children measured), rounds: {rounds}, "
          f"think time: {think} s mean, cores: {os.cpu_count()}, "
          f"{'forked by a fork server' if prefork else 'a subprocess each'}")
    print(f"one session alone, connect to log-in screen: {', '.join(f'{t:.2f}' for t in start_alone)} s")
    if rss:
        print(f"memory per session: RSS median {statistics.median(rss):.1f} MB, max {max(rss):.1f} MB; "
              f"PSS median {statistics.median(pss):.1f} MB, max {max(pss):.1f} MB; "
              f"USS median {statistics.median(uss):.1f} MB, max {max(uss):.1f} MB")
        if walked_memory:
            rss_after = [m[0] / 1024 for m in walked_memory]
            uss_after = [m[2] / 1024 for m in walked_memory]
            print(f"memory per session after the walk: RSS median {statistics.median(rss_after):.1f} MB, "
                  f"max {max(rss_after):.1f} MB; USS median {statistics.median(uss_after):.1f} MB, max {max(uss_after):.1f} MB")
        if quiet_memory:
            rss_quiet = [m[0] / 1024 for m in quiet_memory]
            uss_quiet = [m[2] / 1024 for m in quiet_memory]
            print(f"memory per session once quiet ({GARBAGE_QUIET_SECONDS + 1.0:.0f} s after the walk): RSS median "
                  f"{statistics.median(rss_quiet):.1f} MB, max {max(rss_quiet):.1f} MB; USS median "
                  f"{statistics.median(uss_quiet):.1f} MB, max {max(uss_quiet):.1f} MB")
        total = sum(pss) + sum(m[1] / 1024 for m in fork_servers)
        print(f"all kiosk processes together: PSS {total:.0f} MB"
              + (f" (the fork server's own: RSS {fork_servers[0][0] / 1024:.1f} MB, PSS {fork_servers[0][1] / 1024:.1f} MB)"
                 if fork_servers else ""))
    if first:
        print(f"connect to first screen (all {sessions} at once): median {statistics.median(first):.2f} s, max {max(first):.2f} s")
        print(f"log-in to My Loans: median {statistics.median(logins):.0f} ms, p95 {percentile(logins, 0.95):.0f} ms")
    if latencies:
        print(f"key-to-screen over {len(latencies)} keys: median {statistics.median(latencies):.0f} ms, "
              f"p95 {percentile(latencies, 0.95):.0f} ms, max {max(latencies):.0f} ms")
    names = sorted({name for r in results if r["ok"] for name in r["by_key"]})  # type: ignore[union-attr]
    for name in names:
        values = [v * 1000 for r in results if r["ok"] for v in r["by_key"].get(name, [])]  # type: ignore[union-attr]
        print(f"  {name:32} median {statistics.median(values):5.0f} ms, p95 {percentile(values, 0.95):5.0f} ms")
    print(f"CPU during the {walk_seconds:.1f} s walk: kiosk apps {children_cpu:.1f} s"
          + (f" ({1000 * children_cpu / len(latencies):.0f} ms per key)" if latencies else "")
          + f", SSH server {server_cpu:.2f} s, this load client ({sessions} SSH clients) {client_cpu:.1f} s; "
          f"{100 * (children_cpu + server_cpu + client_cpu) / (walk_seconds * (os.cpu_count() or 1)):.0f}% of all cores")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for failure in failures:
        print(failure, file=sys.stderr)
    kept = [m[0] / 1024 for m in (*memory, *quiet_memory)]
    ok = not failures and kept and max(kept) <= 70 and latencies and percentile(latencies, 0.95) < 150
    print("targets (<= 70 MB RSS per session logged in and once quiet after the walk, p95 < 150 ms):",
          "met" if ok else "NOT met")
    return 1 if failures else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--think", type=float, default=1.5,
        help="mean seconds between one session's keys (uniform 0.4x-1.6x; 0: all sessions press together)",
    )
    parser.add_argument("--no-prefork", action="store_true", help="prefork = false: a subprocess per session")
    args = parser.parse_args()
    sys.exit(asyncio.run(run(args.sessions, args.rounds, args.think, not args.no_prefork)))


if __name__ == "__main__":
    main()
