"""The packages follow the document's path: imports point down only (STYLE.md's dependency rule).

Everything is installed under one name, `o2c`; a bare `import ledger` would pick up whatever `ledger` comes first
on sys.path, so it is banned everywhere (tests and benchmarks included)."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# room -> rooms it may import (besides itself, core and the standard library / third parties).
# The road's own package is split into its steps: context, claims < decide < documents < statements < resolutions
# < door.
ALLOWED = {
    "core": set(),
    "intake": set(),
    "extraction": {"intake"},
    "ledger": set(),
    "matching": {"extraction", "intake", "ledger"},
    "review": {"matching", "extraction", "intake", "ledger"},
    "erp": {"review", "ledger"},
    "pipeline.outcomes": {"extraction"},
    "pipeline.context": {"extraction", "intake", "ledger", "matching", "migrations"},
    "pipeline.claims": {"pipeline.outcomes", "extraction", "intake", "ledger"},
    "pipeline.decide": {
        "pipeline.context",
        "pipeline.claims",
        "pipeline.outcomes",
        "review",
        "matching",
        "extraction",
        "intake",
        "ledger",
    },
    "pipeline.documents": {
        "pipeline.context",
        "pipeline.decide",
        "pipeline.claims",
        "pipeline.outcomes",
        "review",
        "matching",
        "extraction",
        "intake",
        "ledger",
        "migrations",
        "erp",
    },
    "pipeline.statements": {
        "pipeline.documents",
        "pipeline.decide",
        "pipeline.outcomes",
        "review",
        "matching",
        "extraction",
        "intake",
        "ledger",
    },
    "pipeline.resolutions": {
        "pipeline.documents",
        "pipeline.decide",
        "pipeline.outcomes",
        "pipeline.statements",
        "review",
        "matching",
        "extraction",
        "intake",
        "ledger",
    },
    "pipeline.door": {
        "pipeline.documents",
        "pipeline.statements",
        "pipeline.resolutions",
        "matching",
        "extraction",
        "intake",
    },
}
SHELLS = {"api", "cli", "worker"}  # may import anything
OURS = {
    "core",
    "intake",
    "extraction",
    "matching",
    "ledger",
    "review",
    "erp",
    "pipeline",
    "api",
    "cli",
    "worker",
    "migrations",
}


def _room(module: str) -> str | None:
    """`o2c.ledger.cash` -> `ledger`; `o2c.pipeline.documents` -> `pipeline.documents`; not ours -> None."""
    parts = module.split(".")
    if parts[0] != "o2c" or len(parts) < 2:
        return None
    if parts[1] == "pipeline" and len(parts) > 2:
        return f"pipeline.{parts[2]}"
    return parts[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {r for alias in node.names if (r := _room(alias.name))}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            room = _room(node.module)
            if room == "pipeline":  # `from o2c.pipeline import documents`
                found |= {f"pipeline.{a.name}" for a in node.names}
            elif room:
                found.add(room)
    return found


def _sources(room: str) -> list[Path]:
    single = ROOT / f"{room.replace('.', '/')}.py"
    return [single] if single.exists() else sorted((ROOT / room).rglob("*.py"))


def _tracked_python() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    return [ROOT / p for p in out if not p.startswith("tests/fixtures/samples/") and (ROOT / p).exists()]


def test_imports_point_down_only():
    """No package imports a package that lies after it on the document's road."""
    broken = []
    for room, allowed in ALLOWED.items():
        for path in _sources(room):
            for name in _imports(path) - allowed - {room, "core"}:
                broken.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not broken, "\n".join(broken)


def test_every_room_has_a_place_on_the_road():
    """A new package must be given its place in ALLOWED (or be a shell) before it can be imported."""
    rooms = {p.parent.name for p in ROOT.glob("*/__init__.py")} | {p.stem for p in ROOT.glob("*.py")}
    rooms -= {"__init__", "tests", "bench", "scripts"}
    known = {r.split(".")[0] for r in ALLOWED} | SHELLS | {"migrations"}
    assert rooms <= known, rooms - known


def test_no_bare_internal_imports():
    """`from ledger.cash import …` is banned: only `from o2c.ledger.cash import …` names our code."""
    offenders = []
    for path in _tracked_python():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                else []
            )
            offenders += [f"{path.relative_to(ROOT)}:{node.lineno} {n}" for n in names if n.split(".")[0] in OURS]
    assert not offenders, "\n".join(offenders)


def test_no_function_level_imports_of_our_packages():
    """A deferred import of our own code hides a cycle; STYLE.md forbids it (cli/ registers commands by path)."""
    offenders = []
    for path in _tracked_python():
        rel = path.relative_to(ROOT)
        if rel.parts[0] in {"tests", "bench", "scripts", "migrations"}:
            continue
        tree = ast.parse(path.read_text())
        for func in ast.walk(tree):
            if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                for node in ast.walk(func):
                    if isinstance(node, ast.ImportFrom | ast.Import) and _imports_node(node):
                        offenders.append(f"{rel}:{node.lineno}")
    assert not offenders, offenders


def test_late_loading_only_through_the_cli_registry():
    """The one allowed late load of our code: cli/registry.py loads commands by module path (see its docstring).
    Nowhere else may import_module / __import__ load modules by name; core/lazy.py's LazyModule loads a
    third-party module at its first use (never ours: test below)."""
    offenders = []
    for path in _tracked_python():
        rel = path.relative_to(ROOT)
        if rel.parts[0] in {"tests", "bench", "scripts", "migrations"} or rel in (
            Path("cli/registry.py"),
            Path("core/lazy.py"),
        ):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "import_module"
                or (isinstance(node, ast.Name) and node.id in ("import_module", "__import__"))
            ):
                offenders.append(f"{rel}:{node.lineno}")
    assert not offenders, offenders


def test_lazy_modules_are_third_party_only():
    """LazyModule("name") names a third-party module as a string constant: never one of ours, which would jump the
    road's import rules unseen."""
    names = []
    for path in _tracked_python():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "LazyModule":
                assert node.args and isinstance(node.args[0], ast.Constant), f"{path}:{node.lineno}"
                names.append(node.args[0].value)
    assert "numpy" in names
    assert not [n for n in names if n == "o2c" or n.startswith(("o2c.", "."))], names


def test_registry_targets_follow_the_road():
    """Every command the CLI registry names is an o2c.cli module, so the late load never jumps the road."""
    tree = ast.parse((ROOT / "cli" / "registry.py").read_text())
    targets = [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and ":" in n.value
        and n.value.startswith("o2c.cli.")
    ]
    assert len(targets) >= 10
    for target in targets:
        module = target.split(":")[0].removeprefix("o2c.")
        assert (ROOT / Path(*module.split("."))).with_suffix(".py").exists(), target


def _imports_node(node) -> set[str]:
    if isinstance(node, ast.Import):
        return {r for a in node.names if (r := _room(a.name))}
    return {r} if node.module and node.level == 0 and (r := _room(node.module)) else set()


def test_the_rule_catches_a_violation(tmp_path):
    """The checker itself works: an upward import is found, in both spellings."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from o2c.pipeline.documents import ingest\nimport o2c.ledger.models\nfrom o2c.pipeline import resolutions\n"
    )
    assert _imports(bad) == {"pipeline.documents", "ledger", "pipeline.resolutions"}
