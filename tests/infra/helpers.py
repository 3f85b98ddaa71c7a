"""Helpers for the infrastructure checks (tests/infra); fixtures are in conftest.py.

The Bicep grammar (tree-sitter-language-pack) and checkov live in their own virtualenv,
``.venv-infra`` (requirements-infra.txt), never in the app's: checkov pins many packages that
would clash with the app's. The tests run those tools as subprocesses. A missing
``.venv-infra`` is a test FAILURE with instructions, not a skip: CI must not pass silently
without the infrastructure checks.

Nothing here uses the session fixtures of tests/conftest.py (no Azurite needed).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
HERE = Path(__file__).resolve().parent
INFRA_VENV = Path(os.environ.get("INFRA_VENV", ROOT / ".venv-infra"))
REQUIREMENTS = ROOT / "requirements-infra.txt"
# What `az bicep build -f infra/main.bicep` emits for these modules (one nested deployment per
# module), written by hand because the compiler cannot run here; test_compare_templates.py
# checks that its shape follows the Bicep files.
COMPILED_FIXTURE = HERE / "fixtures" / "main.compiled.json"

SETUP_HINT = (
    "Create it with:\n"
    f"    python3 -m venv {INFRA_VENV} && {INFRA_VENV}/bin/pip install -r requirements-infra.txt\n"
    "(`make test` does this; INFRA_VENV=<dir> points the tests at another location)."
)


@cache
def compare_templates() -> ModuleType:
    """infra/compare_templates.py (the CI drift check) as a module; standard library only."""
    spec = importlib.util.spec_from_file_location("compare_templates", INFRA / "compare_templates.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def infra_tool(name: str) -> Path:
    """Path of an executable in the infra virtualenv; fails the test when it is missing."""
    path = INFRA_VENV / "bin" / name
    if not path.exists():
        pytest.fail(f"infrastructure tools missing: {path} does not exist.\n{SETUP_HINT}", pytrace=False)
    return path


def run(cmd: list[str | Path], *, cwd: Path = ROOT, timeout: float = 120, check: bool = True,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)
    if check and proc.returncode != 0:
        pytest.fail(f"{' '.join(map(str, cmd))} exited {proc.returncode}\n"
                    f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}", pytrace=False)
    return proc


def bicep_files(root: Path = INFRA) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in (".bicep", ".bicepparam"))


def parse_bicep(paths: list[Path]) -> dict[str, Any]:
    """Facts about each file (see bicep_facts.py), keyed by path relative to ROOT when possible."""
    python = infra_tool("python")
    proc = run([python, HERE / "bicep_facts.py", *paths])
    files = json.loads(proc.stdout)["files"]
    out = {}
    for name, facts in files.items():
        p = Path(name)
        try:
            key = p.resolve().relative_to(ROOT).as_posix()
        except ValueError:
            key = name
        out[key] = facts
    return out


def load_yaml(path: Path) -> Any:
    """YAML -> Python via the infra venv (PyYAML comes with checkov; the app venv lacks it)."""
    python = infra_tool("python")
    code = "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1], encoding='utf-8')), sys.stdout)"
    return json.loads(run([python, "-c", code, path]).stdout)


# ---------------------------------------------------------------------------------------
# Walking the Bicep facts
# ---------------------------------------------------------------------------------------

def refs_in(value: Any) -> set[str]:
    """Identifiers a converted expression refers to ($ref), recursively."""
    found: set[str] = set()
    if isinstance(value, dict):
        if "$ref" in value:
            found.add(value["$ref"])
        for v in value.values():
            found |= refs_in(v)
    elif isinstance(value, list):
        for v in value:
            found |= refs_in(v)
    return found


def object_keys(value: Any, variables: dict[str, Any], seen: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Keys of the object an expression can produce: object literals, var references,
    union(...) and both branches of a ternary. Returns key -> value expression."""
    if isinstance(value, dict):
        if "$ref" in value:
            name = value["$ref"]
            if name in variables and name not in seen:
                return object_keys(variables[name], variables, seen | {name})
            return {}
        if "$call" in value:
            if value["$call"] in ("union", "shallowMerge"):
                out: dict[str, Any] = {}
                for arg in value["args"]:
                    if isinstance(arg, list):  # shallowMerge([a, b])
                        for item in arg:
                            out.update(object_keys(item, variables, seen))
                    else:
                        out.update(object_keys(arg, variables, seen))
                return out
            return {}
        if "$ternary" in value:
            t = value["$ternary"]
            return {**object_keys(t["then"], variables, seen), **object_keys(t["else"], variables, seen)}
        if any(k.startswith("$") for k in value):
            return {}
        return dict(value)
    return {}


def resources_of(facts: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    return [r for r in facts["resources"] if r["type"].lower() == rtype.lower() and not r["existing"]]


def body_of(resource: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(loop, body) of a resource: loop is {'item', 'over'} for `[for x in y: {...}]`."""
    body = resource["body"]
    if isinstance(body, dict) and "$if" in body:
        body = body["$if"]["body"]
    if isinstance(body, dict) and "$for" in body:
        loop = body["$for"]
        return {"item": loop["item"], "over": loop["over"]}, loop["body"]
    return None, body


def app_settings(module: dict[str, Any]) -> dict[str, Any]:
    """App settings of the function app module: the keys of the `appsettings` config resource."""
    configs = [r for r in resources_of(module, "Microsoft.Web/sites/config")
               if body_of(r)[1].get("name") == "appsettings"]
    assert len(configs) == 1, "expected exactly one Microsoft.Web/sites/config 'appsettings' resource"
    _, body = body_of(configs[0])
    return object_keys(body["properties"], module["vars"])


def of_type(result: Any, rtype: str) -> list[Any]:
    """The resources of one type in a compare_templates evaluation."""
    return [r for r in result.resources.values() if r.rtype.lower() == rtype.lower()]


def one_of_type(result: Any, rtype: str) -> Any:
    found = of_type(result, rtype)
    assert len(found) == 1, f"{len(found)} {rtype}"
    return found[0]
