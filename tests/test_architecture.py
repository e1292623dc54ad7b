"""The packages follow the document's path: imports point down only (STYLE.md's dependency rule)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# package -> packages it may import (besides itself, core and the standard library / third parties)
ALLOWED = {
    "core": set(),
    "intake": set(),
    "extraction": {"intake"},
    "ledger": set(),
    "matching": {"extraction", "intake", "ledger"},
    "review": {"matching", "extraction", "intake", "ledger"},
    "pipeline": {"review", "matching", "extraction", "intake", "ledger", "migrations"},
    "feeds": {"review", "ledger"},
    "resolutions": {"pipeline", "review", "matching", "extraction", "intake", "ledger"},
    "banking": {"pipeline", "review", "matching", "extraction", "intake", "ledger"},
    "gateway": {"banking", "pipeline", "matching", "extraction", "intake"},
}
OURS = {"core", "intake", "extraction", "matching", "ledger", "review", "pipeline", "feeds", "resolutions", "api",
        "cli", "worker", "migrations", "banking", "gateway"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & OURS


def _sources(package: str) -> list[Path]:
    single = ROOT / f"{package}.py"
    return [single] if single.exists() else sorted((ROOT / package).rglob("*.py"))


def test_imports_point_down_only():
    """No package imports a package that lies after it on the document's road."""
    broken = []
    for package, allowed in ALLOWED.items():
        for path in _sources(package):
            for name in _imports(path) - allowed - {package, "core"}:
                broken.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not broken, "\n".join(broken)


def test_no_function_level_imports_of_our_packages():
    """A deferred import of our own code hides a cycle; STYLE.md forbids it."""
    offenders = []
    for package in OURS - {"migrations"}:
        for path in _sources(package):
            tree = ast.parse(path.read_text())
            for func in ast.walk(tree):
                if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                    for node in ast.walk(func):
                        if isinstance(node, ast.ImportFrom | ast.Import) and _imports_node(node) & OURS:
                            offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, offenders


def test_late_loading_only_through_the_cli_registry():
    """The one allowed late import of our code: cli/registry.py loads commands by module path (see its docstring).
    Nowhere else may import_module / __import__ load modules by name."""
    offenders = []
    for package in OURS - {"migrations"}:
        for path in _sources(package):
            if path == ROOT / "cli" / "registry.py":
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Attribute) and node.attr == "import_module" or (
                        isinstance(node, ast.Name) and node.id in ("import_module", "__import__")):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, offenders


def test_registry_targets_follow_the_road():
    """Every command the CLI registry names is a cli/ module, so the late load never jumps the road."""
    tree = ast.parse((ROOT / "cli" / "registry.py").read_text())
    targets = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
               and ":" in n.value and n.value.startswith("cli.")]
    assert len(targets) >= 10
    for target in targets:
        module = target.split(":")[0]
        assert (ROOT / Path(*module.split("."))).with_suffix(".py").exists(), target


def _imports_node(node) -> set[str]:
    if isinstance(node, ast.Import):
        return {a.name.split(".")[0] for a in node.names}
    return {node.module.split(".")[0]} if node.module and node.level == 0 else set()


def test_the_rule_catches_a_violation(tmp_path):
    """The checker itself works: an upward import is found."""
    bad = tmp_path / "bad.py"
    bad.write_text("from pipeline import ingest\nimport ledger.models\n")
    assert _imports(bad) == {"pipeline", "ledger"}
