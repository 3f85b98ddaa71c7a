"""Bicep syntax, checked offline with the tree-sitter Bicep grammar.

The Bicep compiler cannot run here (every installer downloads it); CI compiles for real
(.github/workflows/ci-deploy.yml). This catches what a parser can: unbalanced braces, bad
expressions, misplaced keywords, broken module paths and parameter files that do not match
main.bicep.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import INFRA, ROOT, bicep_files, body_of, parse_bicep

FILES = [p.relative_to(ROOT).as_posix() for p in bicep_files()]


def test_infra_files_exist() -> None:
    assert "infra/main.bicep" in FILES
    assert "infra/main.bicepparam" in FILES
    assert any(f.startswith("infra/modules/") for f in FILES)


@pytest.mark.parametrize("name", FILES)
def test_parses_without_errors(facts, name: str) -> None:
    errors = facts[name]["errors"]
    assert not errors, f"{name}: syntax errors:\n" + "\n".join(
        f"  line {e['line']}, column {e['column']}: {e['type']} near {e['text']!r}" for e in errors)


def test_the_checker_sees_errors(tmp_path: Path) -> None:
    """Canary: a broken file must produce errors, or the test above proves nothing."""
    broken = tmp_path / "broken.bicep"
    broken.write_text("param name string\nresource x 'A/b@2020-01-01' = {\n  name: name\n  properties: {\n}\n")
    missing_value = tmp_path / "broken.bicepparam"
    missing_value.write_text("using './main.bicep'\nparam name =\n")
    facts = parse_bicep([broken, missing_value])
    assert facts[str(broken)]["errors"], "an unclosed object was not reported"
    assert facts[str(missing_value)]["errors"], "a parameter without a value was not reported"


def test_main_is_resource_group_scoped(main_bicep) -> None:
    assert main_bicep["target_scope"] == "resourceGroup"


def test_no_registry_modules(facts) -> None:
    """br/ and ts/ modules need the network when compiling: everything is local."""
    for name, f in facts.items():
        for mod in f["modules"]:
            assert not str(mod["path"]).startswith(("br:", "br/", "ts:", "ts/")), f"{name}: {mod['path']}"


def test_module_paths_exist(facts) -> None:
    for name, f in facts.items():
        for mod in f["modules"]:
            target = (ROOT / name).parent / mod["path"]
            assert target.is_file(), f"{name}: module {mod['symbol']} -> {mod['path']} does not exist"


def test_module_params_match_module_declarations(facts) -> None:
    """Every param passed to a module is declared there; every required one is passed."""
    for name, f in facts.items():
        for mod in f["modules"]:
            target = ((ROOT / name).parent / mod["path"]).resolve().relative_to(ROOT).as_posix()
            declared = facts[target]["params"]
            _, body = body_of(mod)
            passed = set(body.get("params", {}))
            assert passed <= set(declared), f"{mod['symbol']}: unknown params {sorted(passed - set(declared))}"
            required = {p for p, d in declared.items() if not d["has_default"]}
            assert required <= passed, f"{mod['symbol']}: missing params {sorted(required - passed)}"


def test_outputs_used_from_modules_exist(facts) -> None:
    """`module.outputs.x` in main.bicep must be an output of that module."""
    import re

    main = facts["infra/main.bicep"]
    declared = {m["symbol"]: facts[(INFRA / m["path"]).resolve().relative_to(ROOT).as_posix()]["outputs"]
                for m in main["modules"]}
    text = (INFRA / "main.bicep").read_text(encoding="utf-8")
    for symbol, output in re.findall(r"\b(\w+)\.outputs\.(\w+)", text):
        assert symbol in declared, f"{symbol}.outputs.{output}: no module {symbol}"
        assert output in declared[symbol], f"{symbol}.outputs.{output}: module has no output {output}"


def test_param_file_matches_main(facts, main_bicep) -> None:
    params = facts["infra/main.bicepparam"]
    assert params["using"] == "./main.bicep"
    given = set(params["params"])
    declared = set(main_bicep["params"])
    assert given <= declared, f"main.bicepparam sets unknown params: {sorted(given - declared)}"
    required = {p for p, d in main_bicep["params"].items() if not d["has_default"]}
    assert required <= given, f"main.bicepparam lacks required params: {sorted(required - given)}"


def test_param_file_keeps_the_secret_out(facts, main_bicep) -> None:
    """Secure params come from the environment, never a literal in a committed file."""
    params = facts["infra/main.bicepparam"]["params"]
    for name, decl in main_bicep["params"].items():
        if decl["secure"] and name in params:
            value = params[name]["value"]
            assert isinstance(value, dict) and value.get("$call") == "readEnvironmentVariable", (
                f"main.bicepparam: {name} must be read with readEnvironmentVariable(...), not written in the file")
