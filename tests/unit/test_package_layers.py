"""No import cycles between shared_code's packages: each imports only the ones below it
(the order is documented in shared_code/__init__.py). Every import counts, also the lazy ones
inside functions and under TYPE_CHECKING: a lazy import is still a dependency."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "shared_code"
LAYERS = ["common", "accounts", "web", "addressbook", "triggers", "conversations", "inbound", "messaging", "api", "cli", "portal"]
RANK = {name: i for i, name in enumerate(LAYERS)}
RANK["cli"] = RANK["portal"] = RANK["api"]  # the front doors are peers; none imports another


def _package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "shared_code" else None


def _imports(path: Path) -> list[tuple[int, str]]:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    here = parts[:-1]  # the package a relative import starts from (a module's or an __init__'s own)
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # "from . import x" names a module: its package is the one that counts
            out += [(node.lineno, f"{module}.{a.name}" if not node.module else module) for a in node.names]
    return out


def edges() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        mine = _package(".".join(path.relative_to(ROOT.parent).with_suffix("").parts))
        for line, target in _imports(path):
            theirs = _package(target)
            if mine and theirs and mine != theirs:
                found.append((f"{path.relative_to(ROOT.parent)}:{line}", mine, theirs))
    return found


def test_every_package_is_in_a_layer() -> None:
    packages = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    packages |= {p.stem for p in ROOT.glob("*.py") if p.stem != "__init__"}
    assert packages == set(LAYERS)


def test_packages_import_only_lower_layers() -> None:
    wrong = [f"{where}: {mine} imports {theirs}" for where, mine, theirs in edges() if RANK[theirs] >= RANK[mine]]
    assert wrong == []


def test_the_check_sees_lazy_and_relative_imports() -> None:
    # messaging reaches the address book lazily (inside resolve_audience) and relatively
    assert any(mine == "messaging" and theirs == "addressbook" for _, mine, theirs in edges())
