"""The folder connector: only completely written files are taken; they end in processed/ or failed/."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select

from o2c.core.db import unit_of_work
from o2c.intake.connectors.folder import FolderWatcher
from o2c.intake.models import Document
from tests.connectors.conftest import Receiver


@pytest.fixture
def inbox(tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


@pytest.fixture
def folder_receiver(intake_ctx) -> Receiver:
    return Receiver(intake_ctx, "folder")


def _bump_mtime(path, seconds=1):
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + seconds * 1_000_000_000))


def test_a_file_still_being_written_is_taken_only_once_it_stops_changing(inbox, folder_receiver, samples):
    content = (samples / "po_acme_45810.pdf").read_bytes()
    target = inbox / "po.pdf"
    target.write_bytes(content[:1000])
    watcher = FolderWatcher(inbox, deliver=folder_receiver)

    assert watcher.poll().waiting == ["po.pdf"]  # first sight: maybe still growing
    with target.open("ab") as out:
        out.write(content[1000:])
    _bump_mtime(target)
    assert watcher.poll().waiting == ["po.pdf"]  # it changed since: still not taken
    assert not folder_receiver.calls

    report = watcher.poll()  # unchanged across two polls: complete
    assert report.delivered == ["po.pdf"]
    assert (inbox / "processed" / "po.pdf").read_bytes() == content
    assert not target.exists()
    assert watcher.poll().delivered == []
    assert len(folder_receiver.calls) == 1


def test_partial_names_and_lock_files_are_left_alone_until_the_writer_is_done(inbox, folder_receiver):
    (inbox / "scan.pdf.part").write_bytes(b"%PDF-1.4 half")
    (inbox / "remit.txt").write_text("Remittance advice\nInvoice INV-1 100.00\n")
    (inbox / "remit.txt.lock").write_text("")
    (inbox / ".hidden.pdf").write_bytes(b"%PDF")
    watcher = FolderWatcher(inbox, deliver=folder_receiver)
    for _ in range(3):
        assert watcher.poll().delivered == []

    (inbox / "scan.pdf.part").rename(inbox / "scan.pdf")
    (inbox / "remit.txt.lock").unlink()
    watcher.poll()
    assert sorted(watcher.poll().delivered) == ["remit.txt", "scan.pdf"]
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == ["remit.txt", "scan.pdf"]
    assert (inbox / ".hidden.pdf").exists()


def test_a_refused_file_goes_to_failed_with_its_error_beside_it(inbox, folder_receiver):
    (inbox / "empty.pdf").write_bytes(b"")
    (inbox / "ok.txt").write_text("Purchase order 1\n")
    watcher = FolderWatcher(inbox, deliver=folder_receiver)
    watcher.poll()
    report = watcher.poll()
    assert report.failed == ["empty.pdf"] and report.delivered == ["ok.txt"]
    assert (inbox / "failed" / "empty.pdf").exists()  # the raw file is kept
    error = (inbox / "failed" / "empty.pdf.error.txt").read_text()
    assert "empty_document" in error and "the file is empty" in error
    assert (inbox / "processed" / "ok.txt").exists()


def test_an_unexpected_error_is_retried_then_the_file_fails(inbox, folder_receiver):
    outage = {"left": 10}

    def deliver(content, filename, source_key, sender):
        if filename == "flaky.txt" and outage["left"]:
            outage["left"] -= 1
            raise ConnectionError("database went away")
        folder_receiver(content, filename, source_key, sender)

    (inbox / "flaky.txt").write_text("Remittance\n")
    watcher = FolderWatcher(inbox, deliver=deliver, max_attempts=3)
    watcher.poll()
    assert watcher.poll().retrying == ["flaky.txt"]
    assert (inbox / "flaky.txt").exists()  # left in place for the next try
    watcher.poll()  # changed? no: retried again
    report = watcher.poll()
    assert report.failed == ["flaky.txt"]
    assert (
        "ConnectionError: database went away (after 3 attempts)"
        in (inbox / "failed" / "flaky.txt.error.txt").read_text()
    )


def test_a_transient_error_that_clears_delivers_once(inbox, folder_receiver):
    outage = {"left": 1}

    def deliver(content, filename, source_key, sender):
        if outage["left"]:
            outage["left"] -= 1
            raise ConnectionError("database went away")
        folder_receiver(content, filename, source_key, sender)

    (inbox / "po.txt").write_text("Purchase order\n")
    watcher = FolderWatcher(inbox, deliver=deliver)
    watcher.poll()
    assert watcher.poll().retrying == ["po.txt"]
    assert watcher.poll().delivered == ["po.txt"]
    assert len(folder_receiver.calls) == 1


def test_the_same_name_twice_is_kept_twice_and_the_same_bytes_are_one_document(inbox, folder_receiver):
    watcher = FolderWatcher(inbox, deliver=folder_receiver)
    for _ in range(2):
        (inbox / "po.txt").write_text("Purchase order 77\n")
        watcher.poll()
        assert watcher.poll().delivered == ["po.txt"]
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == ["po.1.txt", "po.txt"]
    with unit_of_work(folder_receiver.ctx.session_factory) as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 1


def test_symbolic_links_are_refused_without_reading_their_target(inbox, folder_receiver, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("not for o2c")
    (inbox / "po.pdf").symlink_to(secret)
    watcher = FolderWatcher(inbox, deliver=folder_receiver)
    report = watcher.poll()
    assert report.failed == ["po.pdf"] and folder_receiver.calls == []
    assert (inbox / "failed" / "po.pdf").is_symlink()  # the link itself was moved; the target is untouched
    assert "symbolic_link" in (inbox / "failed" / "po.pdf.error.txt").read_text()
    assert secret.read_text() == "not for o2c"


def test_a_file_over_the_limit_is_refused_by_its_size_before_it_is_read(inbox, folder_receiver, monkeypatch):
    big = inbox / "big.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * 5000)
    watcher = FolderWatcher(inbox, deliver=folder_receiver, max_bytes=4096)
    reads = []
    real_fdopen = os.fdopen

    def spying_fdopen(fd, *args, **kwargs):
        handle = real_fdopen(fd, *args, **kwargs)
        real_read = handle.read
        handle.read = lambda *a: reads.append(a) or real_read(*a)
        return handle

    monkeypatch.setattr(os, "fdopen", spying_fdopen)
    watcher.poll()
    report = watcher.poll()
    assert report.failed == ["big.pdf"] and reads == [] and folder_receiver.calls == []
    assert "5009 bytes is over the 4096-byte limit" in (inbox / "failed" / "big.pdf.error.txt").read_text()
