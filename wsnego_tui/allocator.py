"""glibc's memory allocator, set for a long-running app that checks PINs.

Each PIN check (scrypt, N=2^14, r=8) needs one 16 MiB block. glibc serves a block that large
with its own mapping and unmaps it when freed, but on that first unmapping it raises its
threshold for such mappings to the block's size (up to 32 MiB), so every later PIN check is
served from the heap of the thread that runs it and the 16 MiB stay resident for the life of
the process. Setting the threshold explicitly (M_MMAP_THRESHOLD, as the environment variable
MALLOC_MMAP_THRESHOLD_ does for the SSH server's kiosk sessions) turns that adjustment off:
large blocks go back to the system when freed. `release_free_memory` hands the heap's free
pages back (malloc_trim), for after a collection has freed many objects at once.

Both do nothing, and say so by returning False, where the C library is not glibc. Never
imports textual, rich or the database layer.
"""

from __future__ import annotations

import sys
from typing import Any

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number
LARGE_BLOCK_BYTES = 128 * 1024  # glibc's own starting threshold

_libc: Any = None


def _glibc() -> Any:
    global _libc
    if _libc is None:
        _libc = False
        if sys.platform.startswith("linux"):
            import ctypes

            try:
                libc = ctypes.CDLL(None)
            except OSError:
                return None
            if hasattr(libc, "gnu_get_libc_version") and hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim"):
                _libc = libc
    return _libc or None


def return_large_blocks() -> bool:
    """Unmap every freed block of LARGE_BLOCK_BYTES or more at once, for good (call it before
    the first PIN check). True when set."""
    libc = _glibc()
    return libc is not None and libc.mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK_BYTES) == 1


def release_free_memory() -> bool:
    """Give the heaps' free pages back to the system. True when glibc released any."""
    libc = _glibc()
    return libc is not None and libc.malloc_trim(0) == 1
