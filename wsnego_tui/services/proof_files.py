"""Taking a proof file from the borrower's folders into the app's own store.

A file is accepted only when it lies inside an allowed folder (the user's home, or the kiosk's
inbox) with no symbolic link anywhere on the way, is a regular file (not a link, device, pipe
or directory), is within the size cap, and is a PDF, PNG or JPEG by content. It is then copied
to `<proofs>/<sha256[:2]>/<sha256>` with owner-only permissions, written to a temporary name
and renamed, so a crash never leaves half a file under a real name. The same content is stored
once. Blocking file work: call from a thread worker. No UI imports.

The location is checked by name and then again on the opened descriptor (its path under
/proc/self/fd on Linux, else its device and inode against a fresh look-up), so a folder on
the way swapped for a link between the check and the open is refused too.

Kiosk mode: the kiosk app holds an `InboxWindow` for each customer session, opened at the
log-in. A file in the inbox modified before that belongs to someone earlier: the picker does
not list it (`InboxWindow.lists`) and `ingest`, given the window, refuses it as missing; a file
of the inbox that was attached is removed from the inbox (`remove_from_inbox`, after the
attachment is committed; best effort: a failure is logged).
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from wsnego_tui.core.proofs import SNIFF_BYTES, sniff_media_type
from wsnego_tui.core.text import strip_unsafe

CHUNK = 1024 * 1024
PROC_FD = "/proc/self/fd"
INBOX_CLOCK_SLACK_SECONDS = 2.0
"""A kiosk session's inbox window opens this much before the log-in (but never before the
previous log-out): file systems stamp modification times coarsely (a jiffy on Linux, two
seconds on FAT), so a scan written just after the log-in must not look older than it."""

log = logging.getLogger(__name__)


class ProofRejected(Exception):
    """A file that may not be attached; `code` is stable for translations and tests."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size_bytes: int
    media_type: str
    original_name: str
    stored_path: Path
    taken_from_inbox: InboxFile | None = None
    """Set when the file came from a kiosk's inbox: `remove_from_inbox` once it is attached."""


@dataclass(frozen=True)
class InboxFile:
    """The inbox file a proof was copied from: its checked real path, its allowed folder and
    its identity (device, inode) when it was read."""

    path: Path
    root: Path
    identity: tuple[int, int]


def stored_path(store_dir: Path, sha256: str) -> Path:
    return store_dir / sha256[:2] / sha256


def _outside() -> ProofRejected:
    return ProofRejected("outside", "the file is outside the folders you may choose from")


def _locate(path: Path, allowed_roots: Sequence[Path]) -> tuple[Path, Path]:
    """(the real path of `path`, the real path of its allowed folder); see check_location."""
    absolute = Path(os.path.abspath(path))
    for root in allowed_roots:
        try:
            relative = absolute.relative_to(os.path.abspath(root))
        except ValueError:
            continue
        try:
            real_root = Path(os.path.realpath(root))
            real = Path(os.path.realpath(absolute))
        except OSError:  # a link on the way changed while it was being followed
            raise ProofRejected("link", "links are not accepted; choose the file itself") from None
        expected = real_root / relative
        if real == expected:
            return expected, real_root
        raise ProofRejected("link", "links are not accepted; choose the file itself")
    raise _outside()


def check_location(path: Path, allowed_roots: Sequence[Path]) -> Path:
    """The real path of `path`, if it lies inside an allowed folder with no symbolic link
    between that folder and the file (the folder itself may sit behind one)."""
    return _locate(path, allowed_roots)[0]


def _is_within(path: str, root: Path) -> bool:
    root_text = str(root)
    return path == root_text or path.startswith(root_text.rstrip(os.sep) + os.sep)


def _opened_where_checked(fd: int, absolute: Path, real_root: Path) -> bool:
    """Whether the descriptor `fd`, opened by the name `absolute` after the check, is really
    a file inside `real_root`: a folder on the way may have been swapped for a link to
    somewhere else between the check and the open."""
    if sys.platform.startswith("linux"):
        try:
            target = os.readlink(f"{PROC_FD}/{fd}")
        except OSError:
            target = None
        if target is not None:
            return _is_within(target, real_root)
    # elsewhere: the name must still lead to the same place, and to the file that was opened
    try:
        if Path(os.path.realpath(absolute)) != absolute:
            return False
        now, opened = os.stat(absolute, follow_symlinks=False), os.fstat(fd)
    except OSError:
        return False
    return (now.st_dev, now.st_ino) == (opened.st_dev, opened.st_ino)


# Kiosk mode: whose files the inbox holds ------------------------------------------------------


@dataclass(frozen=True)
class InboxWindow:
    """The kiosk inbox as the customer now at the kiosk may see it: files modified at or
    after `since` (wall-clock seconds) under `roots` (real paths). The kiosk holds one per
    customer session and passes it to the picker and to `ingest`."""

    roots: tuple[Path, ...]
    since: float

    @classmethod
    def opened(cls, roots: Sequence[Path], since: float | None = None) -> InboxWindow:
        """The window over `roots` from `since` (None: now, less INBOX_CLOCK_SLACK_SECONDS)."""
        start = time.time() - INBOX_CLOCK_SLACK_SECONDS if since is None else since
        return cls(tuple(Path(os.path.realpath(root)) for root in roots), start)

    def covers(self, real_path: Path | str) -> bool:
        return any(_is_within(str(real_path), root) for root in self.roots)

    def is_current(self, real_path: Path | str, mtime: float) -> bool:
        return not self.covers(real_path) or mtime >= self.since

    def lists(self, path: Path) -> bool:
        """For the picker: False for a file of the inbox older than the window (and for a file
        that cannot be looked at); True for anything else."""
        try:
            mtime = os.lstat(path).st_mtime
            real = os.path.realpath(path)
        except OSError:
            return False
        return self.is_current(real, mtime)


def remove_from_inbox(stored: StoredFile) -> None:
    """Remove the inbox file a stored proof came from (call it once the proof is attached),
    best effort: a failure is logged. Through its folder's descriptor, checked to be inside the
    inbox, and only if the name is still that file."""
    if stored.taken_from_inbox is not None:
        source = stored.taken_from_inbox
        _remove_from_inbox(source.path, source.root, source.identity)


def _remove_from_inbox(absolute: Path, real_root: Path, identity: tuple[int, int]) -> None:
    try:
        dir_fd = os.open(absolute.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        log.warning("could not remove %s from the kiosk inbox: %s", absolute.name, exc.strerror)
        return
    try:
        if not _opened_where_checked(dir_fd, absolute.parent, real_root):
            log.warning("did not remove %s from the kiosk inbox: its folder moved", absolute.name)
            return
        now = os.stat(absolute.name, dir_fd=dir_fd, follow_symlinks=False)
        if (now.st_dev, now.st_ino) != identity:
            log.warning("did not remove %s from the kiosk inbox: it was replaced", absolute.name)
            return
        os.unlink(absolute.name, dir_fd=dir_fd)
    except OSError as exc:
        log.warning("could not remove %s from the kiosk inbox: %s", absolute.name, exc.strerror)
    finally:
        os.close(dir_fd)


def ingest(
    path: Path, *, allowed_roots: Sequence[Path], store_dir: Path, max_bytes: int, inbox: InboxWindow | None = None
) -> StoredFile:
    """Check `path` and copy it into the store. With a kiosk's `inbox` window, a file of the
    inbox older than the window is refused as missing, and one stored says where it came from
    (`taken_from_inbox`, for `remove_from_inbox` once it is attached)."""
    absolute, real_root = _locate(path, allowed_roots)
    try:
        fd = os.open(absolute, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ProofRejected("missing", "the file no longer exists") from None
    except OSError as exc:
        if Path(absolute).is_symlink():
            raise ProofRejected("link", "links are not accepted; choose the file itself") from None
        raise ProofRejected("unreadable", f"the file cannot be read ({exc.strerror})") from None
    if not _opened_where_checked(fd, absolute, real_root):
        os.close(fd)
        raise _outside()
    info = os.fstat(fd)
    in_inbox = inbox is not None and inbox.covers(absolute)
    if inbox is not None and in_inbox and info.st_mtime < inbox.since:  # someone earlier's
        os.close(fd)
        raise ProofRejected("missing", "the file no longer exists")
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ProofRejected("directory", "that is a folder, not a file")
        raise ProofRejected("special", "only ordinary files are accepted (not devices or pipes)")
    with os.fdopen(fd, "rb") as fh:
        if info.st_size == 0:
            raise ProofRejected("empty", "the file is empty")
        if info.st_size > max_bytes:
            raise ProofRejected("too_large", f"the file is larger than {max_bytes // (1024 * 1024)} MiB")
        head = fh.read(SNIFF_BYTES)
        media_type = sniff_media_type(head)
        if media_type is None:
            raise ProofRejected("wrong_type", "only PDF, PNG and JPEG files are accepted")
        digest = hashlib.sha256(head)
        store_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = store_dir / f".incoming-{os.getpid()}-{os.urandom(6).hex()}"
        size = len(head)
        try:
            out_fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
            with os.fdopen(out_fd, "wb") as out:
                out.write(head)
                while chunk := fh.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:  # the file grew while we read it
                        raise ProofRejected("too_large", f"the file is larger than {max_bytes // (1024 * 1024)} MiB")
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            final = stored_path(store_dir, sha)
            final.parent.mkdir(exist_ok=True, mode=0o700)
            if final.exists():
                tmp.unlink()
            else:
                os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    name = strip_unsafe(absolute.name)[:255] or "proof"
    source = InboxFile(absolute, real_root, (info.st_dev, info.st_ino)) if in_inbox else None
    return StoredFile(sha, size, media_type, name, final, source)
