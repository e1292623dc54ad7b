"""Folder connector: watch a directory (by polling) and hand each completely written file to `deliver`.

Contract:
- A file is taken only when it is complete: its size and modification time are the same on two polls in a
  row and no writer has marked it busy. Busy means: a hidden name (`.x`), an Office
  lock (`~$x`), a partial suffix (`.part`, `.partial`, `.tmp`, `.crdownload`, `.filepart`), or a `NAME.lock`
  file beside it. Writers that can should write `NAME.part` and rename it to `NAME` when done.
- After `deliver` returns, the file is moved to `processed/`; when intake refuses it (an O2CError) it is
  moved to `failed/` with `NAME.error.txt` beside it. A file is never deleted, so the raw input is kept.
- A delivery that raises unexpectedly (a database outage, a bug) leaves the file where it is and is retried on
  later polls; after `max_attempts` it goes to `failed/` with its error.
- Symbolic links are refused (moved to `failed/` as links, their targets never read), and a file over
  `max_bytes` is refused by its size before a byte of it is read; files are opened with O_NOFOLLOW.
- `source_key` is the file name plus its content hash, so a crash between delivering and moving re-delivers
  the same key, which intake answers as before: nothing is received twice.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from o2c.core.errors import O2CError
from o2c.intake.connectors.base import Backoff, Deliver

log = logging.getLogger(__name__)

PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".filepart", ".lock")
PROCESSED = "processed"
FAILED = "failed"


@dataclass
class FolderReport:
    """What one poll did."""

    delivered: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, list[str]]:
        """The report as JSON-ready values."""
        return dict(self.__dict__)


class _Refused(Exception):
    """The file is refused before it is read (a symbolic link, too large)."""


class FolderWatcher:
    """Polls one directory; keeps, between polls, what each file looked like to tell when it is complete."""

    def __init__(
        self,
        inbox: Path,
        *,
        deliver: Deliver,
        processed_dir: Path | None = None,
        failed_dir: Path | None = None,
        max_attempts: int = 3,
        max_bytes: int | None = None,
    ):
        self.inbox = inbox
        self.max_bytes = max_bytes
        self.processed_dir = processed_dir or inbox / PROCESSED
        self.failed_dir = failed_dir or inbox / FAILED
        self.max_attempts = max_attempts
        self._deliver = deliver
        self._last_seen: dict[str, tuple[int, int]] = {}
        self._attempts: dict[str, int] = {}

    def run(
        self,
        *,
        interval: float,
        stop: threading.Event | None = None,
        on_report: Callable[[FolderReport], None] | None = None,
    ) -> None:
        """Poll every `interval` seconds until `stop` is set; a failing poll is logged and retried with backoff."""
        stop = stop or threading.Event()
        backoff = Backoff()
        while not stop.is_set():
            try:
                report = self.poll()
            except OSError:  # the folder went away (an unmounted share): wait for it to come back
                delay = backoff.next_delay()
                log.exception("watching %s failed; retrying in %.1f s", self.inbox, delay)
                stop.wait(delay)
                continue
            backoff.reset()
            if on_report is not None and (report.delivered or report.failed):
                on_report(report)
            stop.wait(interval)

    def poll(self) -> FolderReport:
        """Deliver every file that has not changed since the previous poll; remember the rest."""
        self.processed_dir.mkdir(parents=True, exist_ok=True)
        self.failed_dir.mkdir(parents=True, exist_ok=True)
        report = FolderReport()
        seen: dict[str, tuple[int, int]] = {}
        entries = sorted(p for p in self.inbox.iterdir() if p.is_symlink() or p.is_file())
        names = {p.name for p in entries}
        for path in entries:
            if _is_busy(path.name, names):
                continue
            try:
                stat = path.lstat()
            except FileNotFoundError:  # taken away between listing and looking
                continue
            if path.is_symlink():  # could point anywhere (/etc/shadow, a device): never followed
                self._fail(path, "symbolic_link: symbolic links are not taken; copy the file in", report)
                continue
            signature = (stat.st_size, stat.st_mtime_ns)
            seen[path.name] = signature
            if self._last_seen.get(path.name) != signature:
                report.waiting.append(path.name)
                continue
            self._take(path, report)
            if not path.exists():  # moved away; a file left for a retry keeps its signature
                seen.pop(path.name, None)
        self._last_seen = seen
        return report

    def _take(self, path: Path, report: FolderReport) -> None:
        try:
            content = self._read(path)
        except FileNotFoundError:
            return
        except _Refused as exc:
            self._fail(path, str(exc), report)
            return
        source_key = f"{path.name[:400]}#sha256:{hashlib.sha256(content).hexdigest()}"
        try:
            self._deliver(content=content, filename=path.name, source_key=source_key, sender=None)
        except O2CError as exc:
            self._fail(path, f"{exc.code}: {exc.message}", report)
            return
        except Exception as exc:  # a database outage or a bug: keep the file here and try again
            attempts = self._attempts.get(path.name, 0) + 1
            self._attempts[path.name] = attempts
            log.exception("delivering %s failed (attempt %s of %s)", path, attempts, self.max_attempts)
            if attempts >= self.max_attempts:
                self._fail(path, f"{type(exc).__name__}: {exc} (after {attempts} attempts)", report)
            else:
                report.retrying.append(path.name)
            return
        self._attempts.pop(path.name, None)
        _move(path, self.processed_dir)
        report.delivered.append(path.name)

    def _read(self, path: Path) -> bytes:
        """The file's bytes, its size checked first and never through a symbolic link (swapped in late)."""
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise _Refused("symbolic_link: symbolic links are not taken; copy the file in") from exc
            raise
        with os.fdopen(fd, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if self.max_bytes is not None and size > self.max_bytes:
                raise _Refused(f"document_too_large: {size} bytes is over the {self.max_bytes}-byte limit")
            content = handle.read(self.max_bytes + 1 if self.max_bytes is not None else -1)
        if self.max_bytes is not None and len(content) > self.max_bytes:  # grew while being read
            raise _Refused(f"document_too_large: over the {self.max_bytes}-byte limit")
        return content

    def _fail(self, path: Path, error: str, report: FolderReport) -> None:
        log.warning("%s failed: %s", path, error)
        self._attempts.pop(path.name, None)
        target = _move(path, self.failed_dir)
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        target.with_name(target.name + ".error.txt").write_text(f"{stamp} {path.name}\n{error}\n", encoding="utf-8")
        report.failed.append(path.name)


def _is_busy(name: str, names: set[str]) -> bool:
    """True while a writer is still at work on the file (or the file is a marker itself)."""
    lowered = name.lower()
    return name.startswith((".", "~$")) or lowered.endswith(PARTIAL_SUFFIXES) or f"{name}.lock" in names


def _move(path: Path, folder: Path) -> Path:
    """Move into the folder without overwriting: a second `x.pdf` becomes `x.1.pdf`."""
    target = folder / path.name
    counter = 1
    while target.exists() or target.with_name(target.name + ".error.txt").exists():
        target = folder / f"{path.stem}.{counter}{path.suffix}"
        counter += 1
    return path.replace(target)
