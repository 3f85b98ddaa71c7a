"""infra/azuredeploy.json (the "Deploy to Azure" button) matches infra/main.bicep.

The file is written by hand until CI replaces it with `az bicep build` output; these checks
hold for both forms: same parameters (names, types, defaults present, allowed values), same
outputs, Flex Consumption runtime, no forbidden settings (test_host_agreement.py).
"""

from __future__ import annotations

from typing import Any

from .helpers import ROOT

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
BICEP_TO_ARM = {"string": "string", "int": "int", "bool": "bool", "object": "object", "array": "array"}


def arm_type(decl: dict[str, Any]) -> str:
    base = BICEP_TO_ARM[decl["type"]]
    return {"string": "securestring", "object": "secureObject"}[base] if decl["secure"] else base


def _walk(value: Any):
    yield value
    if isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


def test_is_a_resource_group_template(arm_template) -> None:
    assert arm_template["$schema"] == SCHEMA
    assert arm_template["contentVersion"]
    assert arm_template["resources"]


def test_same_parameter_names(arm_template, main_bicep) -> None:
    assert sorted(arm_template["parameters"]) == sorted(main_bicep["params"]), (
        "parameters differ between infra/main.bicep and infra/azuredeploy.json; rebuild with "
        "az bicep build -f infra/main.bicep --outfile infra/azuredeploy.json")


def test_same_parameter_types_and_defaults(arm_template, main_bicep) -> None:
    for name, decl in main_bicep["params"].items():
        arm = arm_template["parameters"][name]
        assert arm["type"].lower() == arm_type(decl).lower(), f"{name}: {arm['type']} vs {decl['type']}"
        assert ("defaultValue" in arm) == decl["has_default"], f"{name}: default present in one file only"
        if decl["has_default"] and not isinstance(decl["default"], dict):
            assert arm["defaultValue"] == decl["default"], f"{name}: default {arm['defaultValue']!r} vs {decl['default']!r}"
        allowed = decl["decorators"].get("allowed")
        if allowed:
            assert sorted(arm.get("allowedValues", []), key=str) == sorted(allowed[0], key=str), name
        for bicep_dec, arm_key in (("minLength", "minLength"), ("maxLength", "maxLength"),
                                   ("minValue", "minValue"), ("maxValue", "maxValue")):
            if bicep_dec in decl["decorators"]:
                assert arm.get(arm_key) == decl["decorators"][bicep_dec][0], f"{name}: {arm_key}"


def test_same_outputs(arm_template, main_bicep) -> None:
    assert sorted(arm_template.get("outputs", {})) == sorted(main_bicep["outputs"])
    for name, decl in main_bicep["outputs"].items():
        assert arm_template["outputs"][name]["type"].lower() == decl["type"].lower(), name


def test_flex_consumption_python_runtime(arm_template) -> None:
    runtimes = [v["functionAppConfig"]["runtime"] for v in _walk(arm_template)
                if isinstance(v, dict) and isinstance(v.get("functionAppConfig"), dict)]
    assert runtimes == [{"name": "python", "version": "3.12"}], runtimes


def test_readme_button_points_at_this_file() -> None:
    import re
    from urllib.parse import unquote

    readme = (ROOT / "infra" / "README.md").read_text(encoding="utf-8")
    buttons = re.findall(r"https://portal\.azure\.com/#create/Microsoft\.Template/uri/(https%3A[^\s)\"']+)", readme)
    assert buttons, "infra/README.md has no Deploy to Azure button"
    for encoded in buttons:
        url = unquote(encoded)
        assert "%" not in url and url.startswith("https://raw.githubusercontent.com/"), url
        assert url.endswith("/infra/azuredeploy.json"), url
