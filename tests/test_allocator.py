"""glibc's allocator: a PIN check's 16 MiB go back to the system (wsnego_tui/allocator.py).

Each case runs in a fresh interpreter: the allocator's state is per process, and this one has
long since checked PINs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, threading
from wsnego_tui import allocator
from wsnego_tui.core.pins import hash_pin, verify_pin

def rss_mib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

tuned = allocator.return_large_blocks() if {tune} else False
before = rss_mib()
def checks():
    stored = hash_pin("123456")
    for _ in range(3):
        assert verify_pin("123456", stored)
for _ in range(2):  # in worker threads, as the app checks PINs
    thread = threading.Thread(target=checks)
    thread.start()
    thread.join()
print(json.dumps({{"tuned": tuned, "grown": rss_mib() - before, "trimmed": allocator.release_free_memory()}}))
"""


def probe(tune: bool) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", PROBE.format(tune=tune)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_pin_checks_keep_16_mib_resident_unless_large_blocks_are_returned() -> None:
    untuned = probe(tune=False)
    tuned = probe(tune=True)
    if not tuned["tuned"]:
        pytest.skip("not glibc")
    assert untuned["grown"] > 12  # the scrypt block, kept by the thread's heap
    assert tuned["grown"] < 6
