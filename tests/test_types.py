"""The domain packages type-check (mypy, configured in pyproject.toml). A package joins TYPED once it is clean,
and never leaves (a name is a package or a module under o2c)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TYPED = ["core", "intake", "review", "erp", "matching", "ledger", "pipeline", "extraction", "api", "cli", "worker"]


def _import_root() -> Path:
    """A folder holding `o2c` -> the repo root, for MYPYPATH. The editable install maps `o2c` to the root with an
    import hook mypy cannot read; without this every `from o2c.… import` is Any and the folder's own name (`main`,
    or a worktree's) becomes the top package. The same folder for the same root keeps mypy's cache
    (kept there) warm."""
    folder = Path(tempfile.gettempdir()) / f"o2c-mypy-{hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]}"
    folder.mkdir(exist_ok=True)
    link = folder / "o2c"
    if not link.is_symlink() or link.resolve() != ROOT:
        spare = folder / f"o2c.{os.getpid()}"
        spare.unlink(missing_ok=True)
        spare.symlink_to(ROOT, target_is_directory=True)
        spare.replace(link)
    return folder


def test_domain_packages_type_check():
    if shutil.which("mypy", path=str(Path(sys.executable).parent)) is None:
        pytest.fail("mypy is not installed: scripts/install dev installs it")
    targets = [arg for name in TYPED for arg in ("-p", f"o2c.{name}")]
    folder = _import_root()
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), *targets],
        cwd=folder,  # paths in the report read o2c/…; mypy's cache stays there
        env={**os.environ, "MYPYPATH": str(folder)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:]
