"""o2c installs as one name: a wheel holds only `o2c` (the repo root mapped by setuptools' package-dir), and the
installed copy runs on its own — the same `pip install .` the Dockerfile does."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_of_the_tree_is_listed_in_pyproject():
    """A package folder missing from `[tool.setuptools] packages` would be silently left out of the wheel."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    tracked = subprocess.run(
        ["git", "ls-files", "*__init__.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    found = {"o2c"} | {
        "o2c." + str(Path(p).parent).replace("/", ".")
        for p in tracked
        if Path(p).parent != Path(".") and Path(p).parts[0] not in {"tests", "bench", "scripts"}
    }
    assert found == listed, {"missing": found - listed, "stale": listed - found}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if built.returncode != 0 and "Could not find a version" in built.stderr + built.stdout:
        pytest.skip(f"no build backend reachable: {built.stderr[-300:]}")
    assert built.returncode == 0, built.stderr
    return next(out.glob("o2c-*.whl"))


def test_the_wheel_installs_only_o2c(wheel):
    """No `core`, `pipeline`, `worker` or `review` lands in site-packages beside other projects' modules."""
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"o2c", f"{wheel.name.split('-py3')[0]}.dist-info"}
    assert "o2c/migrations/versions/0001_initial_schema.py" in names  # migrations ship with the package
    assert not any(n.startswith(("o2c/tests/", "o2c/bench/", "o2c/scripts/")) for n in names)


def test_the_installed_wheel_runs_from_elsewhere(wheel, tmp_path):
    """Installed into a fresh target and run from another folder, the CLI and the RQ job paths resolve."""
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    probe = (
        "import o2c, o2c.worker, o2c.cli.main; from rq.utils import import_attribute; "
        "import_attribute('o2c.worker.process_document_job'); print(o2c.__file__)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(str(target)), done.stdout
