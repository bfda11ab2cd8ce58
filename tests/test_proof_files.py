"""Proof files are checked by what they are, not what they are called, and copied safely."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from wsnego_tui.core.eligibility import missing_proofs
from wsnego_tui.core.lifecycle import ApplicationKind
from wsnego_tui.core.policy import DEFAULT_POLICY
from wsnego_tui.core.proofs import ProofKind, sniff_media_type
from wsnego_tui.services.proof_files import ProofRejected, ingest, stored_path

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40
MAX = 1024


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "proofs"


def _ingest(path: Path, home: Path, store: Path, max_bytes: int = MAX, inbox=None):  # type: ignore[no-untyped-def]
    return ingest(path, allowed_roots=[home], store_dir=store, max_bytes=max_bytes, inbox=inbox)


@pytest.mark.parametrize(("content", "media_type"), [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg")])
def test_pdf_png_and_jpeg_are_recognised_by_content(content: bytes, media_type: str) -> None:
    assert sniff_media_type(content[:8]) == media_type


def test_a_script_named_like_a_pdf_is_refused(home: Path, store: Path) -> None:
    fake = home / "payslip.pdf"
    fake.write_bytes(b"#!/bin/sh\nrm -rf ~\n")
    with pytest.raises(ProofRejected) as refused:
        _ingest(fake, home, store)
    assert refused.value.code == "wrong_type"
    assert not store.exists() or not any(store.rglob("*"))


def test_an_accepted_file_is_stored_under_its_sha256_readable_only_by_the_owner(home: Path, store: Path) -> None:
    import hashlib

    source = home / "收入证明.pdf"
    source.write_bytes(PDF)
    stored = _ingest(source, home, store)
    assert stored.sha256 == hashlib.sha256(PDF).hexdigest()
    assert stored.stored_path == stored_path(store, stored.sha256)
    assert stored.stored_path.read_bytes() == PDF
    assert stat.S_IMODE(stored.stored_path.stat().st_mode) == 0o600
    assert (stored.media_type, stored.size_bytes, stored.original_name) == ("application/pdf", len(PDF), "收入证明.pdf")
    assert [p.name for p in store.rglob(".incoming-*")] == []


def test_the_same_content_twice_is_stored_once(home: Path, store: Path) -> None:
    (home / "a.png").write_bytes(PNG)
    (home / "b.png").write_bytes(PNG)
    first, second = _ingest(home / "a.png", home, store), _ingest(home / "b.png", home, store)
    assert first.sha256 == second.sha256
    assert len([p for p in store.rglob("*") if p.is_file()]) == 1


def test_a_symbolic_link_is_refused_even_to_a_good_file(home: Path, store: Path) -> None:
    (home / "real.pdf").write_bytes(PDF)
    (home / "link.pdf").symlink_to(home / "real.pdf")
    with pytest.raises(ProofRejected) as refused:
        _ingest(home / "link.pdf", home, store)
    assert refused.value.code == "link"


def test_a_link_to_a_folder_outside_is_refused(home: Path, store: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "key.pdf").write_bytes(PDF)
    (home / "docs").symlink_to(secret)
    with pytest.raises(ProofRejected) as refused:
        _ingest(home / "docs" / "key.pdf", home, store)
    assert refused.value.code == "link"


def test_a_file_outside_the_allowed_folders_is_refused(home: Path, store: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.pdf"
    outside.write_bytes(PDF)
    for path in (outside, home / ".." / "elsewhere.pdf"):
        with pytest.raises(ProofRejected) as refused:
            _ingest(path, home, store)
        assert refused.value.code == "outside"


def test_directories_pipes_and_devices_are_refused(home: Path, store: Path) -> None:
    (home / "folder.pdf").mkdir()
    os.mkfifo(home / "pipe.pdf")
    with pytest.raises(ProofRejected) as refused:
        _ingest(home / "folder.pdf", home, store)
    assert refused.value.code == "directory"
    with pytest.raises(ProofRejected) as refused:
        _ingest(home / "pipe.pdf", home, store)  # O_NONBLOCK: opening a FIFO never hangs
    assert refused.value.code == "special"
    with pytest.raises(ProofRejected) as refused:
        ingest(Path("/dev/zero"), allowed_roots=[Path("/dev")], store_dir=store, max_bytes=MAX)
    assert refused.value.code == "special"


def test_files_over_the_size_cap_and_empty_files_are_refused(home: Path, store: Path) -> None:
    (home / "big.pdf").write_bytes(PDF + b"0" * MAX)
    (home / "empty.pdf").write_bytes(b"")
    for name, code in (("big.pdf", "too_large"), ("empty.pdf", "empty")):
        with pytest.raises(ProofRejected) as refused:
            _ingest(home / name, home, store)
        assert refused.value.code == code


def test_control_and_bidi_characters_are_removed_from_the_stored_name(home: Path, store: Path) -> None:
    name = "pay\x1b[31mslip\u202eFDP.png"
    (home / name).write_bytes(PNG)
    assert _ingest(home / name, home, store).original_name == "pay[31mslipFDP.png"


def test_each_kind_of_application_names_the_proofs_it_still_needs() -> None:
    assert missing_proofs(ApplicationKind.SECOND, {ProofKind.INCOME}, DEFAULT_POLICY) == (ProofKind.EXPENSE,)
    assert missing_proofs(ApplicationKind.SETTLEMENT, (), DEFAULT_POLICY) == (ProofKind.FUNDS,)
    assert missing_proofs(ApplicationKind.SECOND, {"income", "expense"}, DEFAULT_POLICY) == ()


@pytest.mark.parametrize("proc_fd", ["linux", "fallback"])
def test_a_folder_swapped_for_a_link_after_the_check_is_refused(
    home: Path, store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, proc_fd: str
) -> None:
    """The check resolves the path, the open looks the name up again: a folder on the way
    turned into a link to somewhere else in between must not be followed."""
    from wsnego_tui.services import proof_files

    secret = tmp_path / "other-customer"
    secret.mkdir()
    (secret / "x.pdf").write_bytes(PDF + b"SECRET")
    (home / "sub").mkdir()
    (home / "sub" / "x.pdf").write_bytes(PDF)
    if proc_fd == "fallback":  # no /proc: the device and inode are compared instead
        monkeypatch.setattr(proof_files, "PROC_FD", str(tmp_path / "no-proc"))
    checked = proof_files._locate

    def check_then_swap(path: Path, roots):  # type: ignore[no-untyped-def]
        result = checked(path, roots)
        (home / "sub").rename(home / "sub-was")
        (home / "sub").symlink_to(secret)
        return result

    monkeypatch.setattr(proof_files, "_locate", check_then_swap)
    with pytest.raises(ProofRejected) as refused:
        _ingest(home / "sub" / "x.pdf", home, store)
    assert refused.value.code == "outside"
    assert not store.exists() or not [p for p in store.rglob("*") if p.is_file()]


def test_in_a_kiosk_an_inbox_file_older_than_the_log_in_is_neither_listed_nor_taken(home: Path, store: Path) -> None:
    from wsnego_tui.services.proof_files import InboxWindow, remove_from_inbox

    old, new = home / "previous-customer.pdf", home / "mine.pdf"
    old.write_bytes(PDF)
    new.write_bytes(PNG)
    os.utime(old, (1_000_000, 1_000_000))
    inbox = InboxWindow.opened([home])
    assert not inbox.lists(old)
    assert inbox.lists(new)
    with pytest.raises(ProofRejected) as refused:
        _ingest(old, home, store, inbox=inbox)
    assert refused.value.code == "missing"
    assert old.exists()
    stored = _ingest(new, home, store, inbox=inbox)
    assert stored.media_type == "image/png"
    assert new.exists(), "taken from the inbox only once attached"
    remove_from_inbox(stored)
    assert not new.exists(), "an attached file of the kiosk inbox is removed from it"
    outside = _ingest(old, home, store)
    assert outside.media_type == "application/pdf" and outside.taken_from_inbox is None
    remove_from_inbox(outside)
    assert old.exists(), "outside kiosk mode nothing is removed"


def test_a_stored_inbox_file_that_cannot_be_removed_is_only_logged(
    home: Path, store: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wsnego_tui.services.proof_files import InboxWindow, remove_from_inbox

    scan = home / "mine.pdf"
    scan.write_bytes(PDF)
    inbox = InboxWindow.opened([home])
    unlink = os.unlink

    def refuse_in_the_inbox(path, *, dir_fd=None):  # type: ignore[no-untyped-def]
        if dir_fd is not None:
            raise PermissionError(13, "Permission denied")
        unlink(path)

    monkeypatch.setattr(os, "unlink", refuse_in_the_inbox)
    remove_from_inbox(_ingest(scan, home, store, inbox=inbox))
    assert scan.exists()
    assert "could not remove mine.pdf from the kiosk inbox" in caplog.text
