"""Taking a proof file from the borrower's folders into the app's own store.

A file is accepted only when it lies inside an allowed folder (the user's home, or the kiosk's
inbox) with no symbolic link anywhere on the way, is a regular file (not a link, device, pipe
or directory), is within the size cap, and is a PDF, PNG or JPEG by content. It is then copied
to `<proofs>/<sha256[:2]>/<sha256>` with owner-only permissions, written to a temporary name
and renamed, so a crash never leaves half a file under a real name. The same content is stored
once. Blocking file work: call from a thread worker. No UI imports.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from wsnego_tui.core.proofs import SNIFF_BYTES, sniff_media_type
from wsnego_tui.core.text import strip_unsafe

CHUNK = 1024 * 1024


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


def stored_path(store_dir: Path, sha256: str) -> Path:
    return store_dir / sha256[:2] / sha256


def check_location(path: Path, allowed_roots: Sequence[Path]) -> Path:
    """The real path of `path`, if it lies inside an allowed folder with no symbolic link
    between that folder and the file (the folder itself may sit behind one)."""
    absolute = Path(os.path.abspath(path))
    for root in allowed_roots:
        try:
            relative = absolute.relative_to(os.path.abspath(root))
        except ValueError:
            continue
        expected = Path(os.path.realpath(root)) / relative
        if Path(os.path.realpath(absolute)) == expected:
            return expected
        raise ProofRejected("link", "links are not accepted; choose the file itself")
    raise ProofRejected("outside", "the file is outside the folders you may choose from")


def ingest(path: Path, *, allowed_roots: Sequence[Path], store_dir: Path, max_bytes: int) -> StoredFile:
    absolute = check_location(path, allowed_roots)
    try:
        fd = os.open(absolute, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ProofRejected("missing", "the file no longer exists") from None
    except OSError as exc:
        if Path(absolute).is_symlink():
            raise ProofRejected("link", "links are not accepted; choose the file itself") from None
        raise ProofRejected("unreadable", f"the file cannot be read ({exc.strerror})") from None
    info = os.fstat(fd)
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
    return StoredFile(sha, size, media_type, name, final)
