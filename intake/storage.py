"""Content-addressed blob storage on disk: a file's bytes live under their SHA-256, written once, atomically."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def sha256_of(content: bytes) -> str:
    """The hex SHA-256 of the bytes."""
    return hashlib.sha256(content).hexdigest()


def fsync_directory(folder: Path) -> None:
    """Flush a directory's entries to disk (a rename is durable only once its directory is synced)."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BlobStore:
    """Blobs at ROOT/ab/cd/<sha256>; writes go to a temp file, are fsynced, then renamed into place."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        """Where the blob with this hash lives."""
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, content: bytes) -> str:
        """Store bytes (idempotent) and return their hash."""
        digest = sha256_of(content)
        target = self.path_for(digest)
        if target.exists() and target.stat().st_size == len(content):
            return digest
        if not target.parent.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fsync_directory(target.parent.parent)  # the new fan-out folders' own entries
            fsync_directory(target.parent.parent.parent)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
            fsync_directory(target.parent)  # the rename itself must survive a power cut, not only the bytes
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def get(self, sha256: str) -> bytes:
        """The stored bytes; verifies the hash so a damaged blob is never processed silently."""
        content = self.path_for(sha256).read_bytes()
        if sha256_of(content) != sha256:
            raise OSError(f"blob {sha256} is damaged on disk")
        return content

    def exists(self, sha256: str) -> bool:
        """True when the blob is stored."""
        return self.path_for(sha256).exists()
