"""Receiving: bytes stored first, content-addressed; the same bytes again are a duplicate receipt."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import event as sql_event
from sqlalchemy import func, select

import o2c.core.events  # noqa: F401
import o2c.extraction.models  # noqa: F401
import o2c.ledger.models  # noqa: F401
import o2c.review.models  # noqa: F401
from o2c.core.db import Base, make_engine, make_session_factory, unit_of_work
from o2c.core.events import AppendOnlyViolation, Event
from o2c.intake.errors import DocumentTooLarge, EmptyDocument
from o2c.intake.models import Document, Receipt
from o2c.intake.service import receive_document
from o2c.intake.sniff import sniff_media_type
from o2c.intake.storage import BlobStore, sha256_of
from o2c.migrations.runner import upgrade_database


@pytest.fixture
def factory(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    Base.metadata.create_all(engine)
    return make_session_factory(engine)


def test_blob_store_is_content_addressed_and_verifies(tmp_path):
    store = BlobStore(tmp_path)
    digest = store.put(b"%PDF-1.4 hello")
    assert digest == sha256_of(b"%PDF-1.4 hello")
    assert store.put(b"%PDF-1.4 hello") == digest
    assert store.get(digest) == b"%PDF-1.4 hello"
    store.path_for(digest).write_bytes(b"tampered")
    with pytest.raises(OSError, match="damaged"):
        store.get(digest)


def test_same_bytes_twice_is_one_document_and_a_duplicate_receipt(factory, tmp_path):
    store = BlobStore(tmp_path / "blobs")
    with unit_of_work(factory) as s:
        first = receive_document(s, store, content=b"%PDF-1.4 a", filename="a.pdf", channel="upload")
        assert not first.is_duplicate
    with unit_of_work(factory) as s:
        again = receive_document(s, store, content=b"%PDF-1.4 a", filename="a-copy.pdf", channel="email")
        assert again.is_duplicate and again.document.id == first.document.id
    with unit_of_work(factory) as s:
        assert s.scalar(select(func.count()).select_from(Document)) == 1
        assert [r.is_duplicate for r in s.scalars(select(Receipt).order_by(Receipt.id))] == [False, True]
        assert store.exists(s.scalar(select(Document.sha256)))


def test_connector_retry_with_same_source_key_is_answered_as_before(factory, tmp_path):
    store = BlobStore(tmp_path / "blobs")
    with unit_of_work(factory) as s:
        receive_document(s, store, content=b"x1", filename="m.eml", channel="email", source_key="<id@x>")
    with unit_of_work(factory) as s:
        retry = receive_document(s, store, content=b"x1", filename="m.eml", channel="email", source_key="<id@x>")
        assert not retry.is_duplicate
        assert s.scalar(select(func.count()).select_from(Receipt)) == 1


def test_limits_and_empty_files_are_refused_before_storing(factory, tmp_path):
    store = BlobStore(tmp_path / "blobs")
    with unit_of_work(factory) as s:
        with pytest.raises(DocumentTooLarge):
            receive_document(s, store, content=b"x" * 11, filename="big.pdf", channel="upload", max_bytes=10)
        with pytest.raises(EmptyDocument):
            receive_document(s, store, content=b"", filename="empty.pdf", channel="upload")


def test_event_log_is_append_only(factory, tmp_path):
    store = BlobStore(tmp_path / "blobs")
    with unit_of_work(factory) as s:
        receive_document(s, store, content=b"abc", filename="a.txt", channel="upload")
    with pytest.raises(AppendOnlyViolation), unit_of_work(factory) as s:
        event = s.scalars(select(Event)).first()
        event.kind = "rewritten"
        s.flush()


@pytest.mark.parametrize(
    "content,name,expected",
    [
        (b"%PDF-1.7\n", "x.bin", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n....", "x", "image/png"),
        (b"\xff\xd8\xff\xe0", "x", "image/jpeg"),
        (b"II*\x00", "x", "image/tiff"),
        (b"From: a@b.c\nSubject: hi\n\nbody", "x", "message/rfc822"),
        (b"plain words", "note.txt", "text/plain"),
        (b"\x00\x01\x02", "blob.bin", "application/octet-stream"),
    ],
)
def test_media_type_is_sniffed_from_bytes_first(content, name, expected):
    assert sniff_media_type(content, name) == expected


def test_blob_store_fsyncs_the_file_and_its_directory_after_the_rename(tmp_path, monkeypatch):
    store = BlobStore(tmp_path / "blobs")
    synced: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    digest = store.put(b"%PDF-1.4 durable")
    target = store.path_for(digest)
    assert str(target.parent) in synced  # the directory holding the renamed blob
    assert synced.index(str(target.parent)) > 0 and ".incoming-" in synced[synced.index(str(target.parent)) - 1]


def test_a_new_document_takes_a_savepoint_only_where_a_concurrent_receiver_can_interleave(database_url, tmp_path):
    # PostgreSQL: another transaction may store the same bytes between the look-up and the insert, so the insert
    # runs in a savepoint and its IntegrityError falls back to the other's document. SQLite (BEGIN IMMEDIATE)
    # holds the write lock from the transaction's start: nobody can interleave, and no savepoint is spent.
    upgrade_database(database_url)
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    statements: list[str] = []
    sql_event.listen(engine, "before_cursor_execute", lambda c, cur, sql, *_: statements.append(sql.split()[0]))
    store = BlobStore(tmp_path / "blobs")
    with unit_of_work(factory) as s:
        first = receive_document(s, store, content=b"%PDF-1.4 guard", filename="g.pdf", channel="upload")
    with unit_of_work(factory) as s:
        again = receive_document(s, store, content=b"%PDF-1.4 guard", filename="g2.pdf", channel="email")
    assert again.is_duplicate and again.document.id == first.document.id
    assert statements.count("SAVEPOINT") == (1 if database_url.startswith("postgresql") else 0), statements
