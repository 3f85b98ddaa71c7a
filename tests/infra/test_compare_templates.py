"""The CI drift check (infra/compare_templates.py): infra/azuredeploy.json must deploy what
`az bicep build -f infra/main.bicep` deploys, although one is flat and the other has a nested
deployment per module.

The compiler cannot run here, so tests/infra/fixtures/main.compiled.json stands in for its
output: written by hand in the shape Bicep emits (nested deployments with inner expression
scope, module outputs read through reference(...).outputs.x.value, copy loops, conditions,
`format('{0}/{1}', ...)` child names), and checked below against the Bicep files, module by
module. CI runs the same script on the real compiler output.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .helpers import COMPILED_FIXTURE, INFRA, ROOT, body_of, compare_templates

ARM = INFRA / "azuredeploy.json"
SCRIPT = INFRA / "compare_templates.py"
BICEP_TO_ARM = {"string": "string", "int": "int", "bool": "bool", "object": "object", "array": "array"}


def _modules(compiled: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Nested deployments of the compiled template by module name ('identity', 'storage', ...)."""
    out = {}
    for r in compiled["resources"]:
        if r["type"] == "Microsoft.Resources/deployments":
            m = re.fullmatch(r"\[format\('([a-z]+)-\{0\}', variables\('moduleSuffix'\)\)\]", r["name"])
            assert m, f"unexpected module deployment name {r['name']}"
            out[m.group(1)] = r
    return out


def _inner(compiled: dict[str, Any], module: str) -> dict[str, Any]:
    return _modules(compiled)[module]["properties"]["template"]


def _resources(template: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    return [r for r in template["resources"] if r["type"] == rtype]


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    return compare_templates().compare(a, b, names=("azuredeploy.json", "compiled"))


# ------------------------------------------------------------------------ the real templates

def test_azuredeploy_deploys_what_the_compiled_bicep_deploys(arm_template, compiled_template) -> None:
    problems = compare(arm_template, compiled_template)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("which", ["arm", "compiled"])
def test_every_scenario_deploys_or_is_rejected_on_purpose(deployed, which: str) -> None:
    ct = compare_templates()
    for scenario in ct.SCENARIOS:
        if "(must fail)" in scenario:
            with pytest.raises(ct.TemplateFailure, match="namePrefix"):
                deployed(which, scenario)
        else:
            result = deployed(which, scenario)
            assert len(result.resources) >= 40, (scenario, len(result.resources))
            assert not result.problems, result.problems


def test_the_fixture_is_not_flat(compiled_template) -> None:
    """The check is only worth something against nested deployments, as Bicep emits them."""
    modules = _modules(compiled_template)
    assert set(modules) == {"identity", "monitoring", "storage", "keyvault", "roles", "functionapp"}
    assert {r["type"] for r in compiled_template["resources"]} == {"Microsoft.Resources/deployments"}
    for name, dep in modules.items():
        assert dep["properties"]["expressionEvaluationOptions"] == {"scope": "inner"}, name


# ------------------------------------------------------- the fixture follows the Bicep files

def _module_symbol_to_name(main_bicep) -> dict[str, str]:
    out = {}
    for mod in main_bicep["modules"]:
        name = body_of(mod)[1]["name"]
        m = re.fullmatch(r"([a-z]+)-\$\{moduleSuffix\}", name.get("$interp", "") if isinstance(name, dict) else "")
        assert m, f"module {mod['symbol']}: name {name!r} is not '<module>-${{moduleSuffix}}'"
        out[mod["symbol"]] = m.group(1)
    return out


def _arm_type(decl: dict[str, Any]) -> str:
    base = BICEP_TO_ARM[decl["type"]]
    return {"string": "securestring", "object": "secureObject"}[base] if decl["secure"] else base


def test_fixture_modules_match_the_bicep_modules(main_bicep, module_facts, compiled_template) -> None:
    names = _module_symbol_to_name(main_bicep)
    modules = _modules(compiled_template)
    assert sorted(names.values()) == sorted(modules)
    for mod in main_bicep["modules"]:
        facts = module_facts[mod["symbol"]]
        dep = modules[names[mod["symbol"]]]
        inner = dep["properties"]["template"]
        where = f"module {mod['symbol']}"
        # parameters declared by the module file
        assert sorted(inner["parameters"]) == sorted(facts["params"]), where
        for pname, decl in facts["params"].items():
            arm = inner["parameters"][pname]
            assert arm["type"] == _arm_type(decl), f"{where}.{pname}"
            assert ("defaultValue" in arm) == decl["has_default"], f"{where}.{pname}"
            if "allowed" in decl["decorators"]:
                assert arm["allowedValues"] == decl["decorators"]["allowed"][0], f"{where}.{pname}"
        # parameters main.bicep passes
        assert sorted(dep["properties"]["parameters"]) == sorted(body_of(mod)[1]["params"]), where
        # outputs
        assert sorted(inner.get("outputs", {})) == sorted(facts["outputs"]), where
        # resources: type + API version, loops, conditions, scopes
        bicep = [r for r in facts["resources"] if not r["existing"]]
        assert sorted((r["type"], r["api_version"]) for r in bicep) == sorted(
            (r["type"], r["apiVersion"]) for r in inner["resources"]), where

        def shape(r: dict[str, Any]) -> tuple[str, bool, bool, bool]:
            body = r["body"]
            cond = isinstance(body, dict) and "$if" in body
            inner_body = body["$if"]["body"] if cond else body
            loop = isinstance(inner_body, dict) and "$for" in inner_body
            scoped = "scope" in (inner_body["$for"]["body"] if loop else inner_body)
            return r["type"], cond, loop, scoped
        assert sorted(shape(r) for r in bicep) == sorted(
            (r["type"], "condition" in r, "copy" in r, "scope" in r) for r in inner["resources"]), where


def test_fixture_module_order_matches_the_bicep(main_bicep, compiled_template) -> None:
    """A module waits for every module whose outputs it uses, and for its explicit dependsOn."""
    names = _module_symbol_to_name(main_bicep)
    modules = _modules(compiled_template)
    for mod in main_bicep["modules"]:
        _, body = body_of(mod)
        used = set(re.findall(r"\b(\w+)\.outputs\.", json.dumps(body.get("params", {}))))
        used |= {d["$ref"] for d in body.get("dependsOn", []) if isinstance(d, dict) and "$ref" in d}
        expected = sorted(names[u] for u in used)
        got = sorted(re.search(r"format\('([a-z]+)-", d).group(1)
                     for d in modules[names[mod["symbol"]]].get("dependsOn", []))
        assert got == expected, f"module {mod['symbol']}"


def test_fixture_top_level_matches_main_bicep(main_bicep, compiled_template) -> None:
    assert sorted(compiled_template["parameters"]) == sorted(main_bicep["params"])
    assert sorted(compiled_template["outputs"]) == sorted(main_bicep["outputs"])
    assert set(compiled_template["variables"]) <= set(main_bicep["vars"])
    assert compiled_template["variables"]["prefixAlphabet"] == main_bicep["vars"]["prefixAlphabet"]


# ------------------------------------------------------------- differences must be reported

Mutation = Callable[[dict[str, Any], dict[str, Any]], None]


def _site(template: dict[str, Any]) -> dict[str, Any]:
    return _resources(template, "Microsoft.Web/sites")[0]


def _ftps_back(arm: dict[str, Any], compiled: dict[str, Any]) -> None:
    _site(_inner(compiled, "functionapp"))["properties"]["siteConfig"]["ftpsState"] = "Disabled"


def _scm_allowed(arm: dict[str, Any], compiled: dict[str, Any]) -> None:
    _resources(arm, "Microsoft.Web/sites/basicPublishingCredentialsPolicies")[0]["properties"]["allow"] = True


def _policy_missing(arm: dict[str, Any], compiled: dict[str, Any]) -> None:
    arm["resources"].remove(_resources(arm, "Microsoft.Web/sites/basicPublishingCredentialsPolicies")[1])


def _audit_category(arm: dict[str, Any], compiled: dict[str, Any]) -> None:
    diag = _resources(_inner(compiled, "keyvault"), "Microsoft.Insights/diagnosticSettings")[0]
    diag["properties"]["logs"][0]["category"] = "AzurePolicyEvaluationDetails"


def _api_version(arm: dict[str, Any], compiled: dict[str, Any]) -> None:
    _resources(_inner(compiled, "storage"), "Microsoft.Storage/storageAccounts")[0]["apiVersion"] = "2022-09-01"


def _module_wiring(arm: dict[str, Any], compiled: dict[str, Any]) -> None:
    _modules(compiled)["functionapp"]["properties"]["parameters"]["smsProvider"] = {"value": "twilio"}


def _always_ready_dropped(arm: dict[str, Any], compiled: dict[str, Any]) -> None:
    del _site(arm)["properties"]["functionAppConfig"]["scaleAndConcurrency"]["alwaysReady"]


def _default_changed(arm: dict[str, Any], compiled: dict[str, Any]) -> None:
    arm["parameters"]["maximumInstanceCount"]["defaultValue"] = 50


def _allowed_changed(arm: dict[str, Any], compiled: dict[str, Any]) -> None:
    compiled["parameters"]["instanceMemoryMB"]["allowedValues"] = [2048, 4096]


def _description_changed(arm: dict[str, Any], compiled: dict[str, Any]) -> None:
    arm["parameters"]["ciPrincipalId"]["metadata"]["description"] = "CI."


def _output_changed(arm: dict[str, Any], compiled: dict[str, Any]) -> None:
    out = compiled["outputs"]["twilioStatusCallbackUrl"]
    out["value"] = out["value"].replace("/api/twilio/status", "/api/twilio/statuses")


def _output_missing(arm: dict[str, Any], compiled: dict[str, Any]) -> None:
    del arm["outputs"]["AZURE_TENANT_ID"]


def _condition_dropped(arm: dict[str, Any], compiled: dict[str, Any]) -> None:
    secret = _resources(arm, "Microsoft.KeyVault/vaults/secrets")[0]
    del secret["condition"]


def _prefix_rule_weaker(arm: dict[str, Any], compiled: dict[str, Any]) -> None:
    arm["variables"]["prefixIsValid"] = "[empty(variables('prefixStrayCharacters'))]"


def _extra_resource(arm: dict[str, Any], compiled: dict[str, Any]) -> None:
    arm["resources"].append({"type": "Microsoft.Web/sites/config", "apiVersion": "2024-04-01",
                             "name": "[format('{0}/web', variables('functionAppName'))]",
                             "properties": {"ftpsState": "Disabled"},
                             "dependsOn": ["[resourceId('Microsoft.Web/sites', variables('functionAppName'))]"]})


def _remote_build(arm: dict[str, Any], compiled: dict[str, Any]) -> None:
    _resources(_inner(compiled, "functionapp"), "Microsoft.Web/sites/extensions")[0]["properties"]["remoteBuild"] = True


def _code_without_url(arm: dict[str, Any], compiled: dict[str, Any]) -> None:
    del _resources(arm, "Microsoft.Web/sites/extensions")[0]["condition"]


MUTATIONS: dict[str, tuple[Mutation, str]] = {
    "ftpsState back on the compiled site": (_ftps_back, "ftpsState: only in compiled"),
    "scm basic auth allowed in the ARM file": (_scm_allowed, "properties.allow: azuredeploy.json has true"),
    "ftp policy missing from the ARM file": (_policy_missing, "basicPublishingCredentialsPolicies"),
    "another Key Vault log category": (_audit_category, "AzurePolicyEvaluationDetails"),
    "another API version": (_api_version, "apiVersion 2023-05-01 in azuredeploy.json, 2022-09-01 in compiled"),
    "module ignores its parameter": (_module_wiring,
                                     "SMS_PROVIDER: azuredeploy.json has 'outbox', compiled has 'twilio'"),
    "alwaysReady not passed": (_always_ready_dropped, "alwaysReady: only in compiled"),
    "another parameter default": (_default_changed, "parameter maximumInstanceCount: defaultValue"),
    "other allowed values": (_allowed_changed, "parameter instanceMemoryMB: allowedValues"),
    "another parameter description": (_description_changed, "parameter ciPrincipalId: metadata.description"),
    "another output value": (_output_changed, "output twilioStatusCallbackUrl"),
    "an output missing": (_output_missing, "output AZURE_TENANT_ID: only in compiled"),
    "secret written without a token": (_condition_dropped, "Microsoft.KeyVault/vaults/secrets"),
    "weaker namePrefix rule": (_prefix_rule_weaker, "compiled is rejected (fail(): namePrefix '1abc'"),
    "an extra resource": (_extra_resource, "/web: only in azuredeploy.json"),
    "remote build of the code package": (_remote_build, "properties.remoteBuild: azuredeploy.json has false"),
    "code deployed with an empty packageUri": (_code_without_url, "[no code package]"),
}


@pytest.mark.parametrize("name", MUTATIONS)
def test_a_real_difference_is_reported(arm_template, compiled_template, name: str) -> None:
    mutate, expected = MUTATIONS[name]
    arm, compiled = copy.deepcopy(arm_template), copy.deepcopy(compiled_template)
    mutate(arm, compiled)
    problems = compare(arm, compiled)
    assert any(expected in p for p in problems), f"{name}: expected {expected!r} in:\n" + "\n".join(problems)


# ---------------------------------------------------------------- ordering (what dependsOn does)

def test_a_missing_dependency_is_reported(arm_template, compiled_template) -> None:
    """The flat diagnostic setting must wait for the workspace it writes to."""
    arm = copy.deepcopy(arm_template)
    diag = _resources(arm, "Microsoft.Insights/diagnosticSettings")[0]
    diag["dependsOn"] = [d for d in diag["dependsOn"] if "workspaces" not in d]
    problems = compare(arm, compiled_template)
    assert any("diagnosticSettings audit-to-log-analytics can start before "
               "Microsoft.OperationalInsights/workspaces" in p for p in problems), problems


def test_a_module_that_does_not_wait_is_reported(arm_template, compiled_template) -> None:
    compiled = copy.deepcopy(compiled_template)
    del _modules(compiled)["keyvault"]["dependsOn"]
    problems = compare(arm_template, compiled)
    assert any("keyvault-" in p and "can start before Microsoft.OperationalInsights/workspaces" in p
               for p in problems), problems


def test_depends_on_an_unknown_resource_is_reported(arm_template, compiled_template) -> None:
    arm = copy.deepcopy(arm_template)
    _site(arm)["dependsOn"].append("[resourceId('Microsoft.Storage/storageAccounts', 'nosuchaccount')]")
    problems = compare(arm, compiled_template)
    assert any("which is no resource of the template" in p for p in problems), problems


def test_reading_a_resource_its_condition_left_out_is_reported(arm_template, compiled_template) -> None:
    """The old app setting read the secret's URI from the secret itself: with no token given the
    secret is not deployed and the reference would fail."""
    arm = copy.deepcopy(arm_template)
    cfg = _resources(arm, "Microsoft.Web/sites/config")[0]
    cfg["properties"] = cfg["properties"].replace(
        "format('{0}secrets/{1}', reference(resourceId('Microsoft.KeyVault/vaults', variables('keyVaultName')), "
        "'2023-07-01').vaultUri, variables('twilioAuthTokenEntry'))",
        "reference(resourceId('Microsoft.KeyVault/vaults/secrets', variables('keyVaultName'), "
        "variables('twilioAuthTokenEntry')), '2023-07-01').secretUri")
    problems = compare(arm, compiled_template)
    assert any("[re-deployment without the token]" in p and "which its condition leaves out" in p
               for p in problems), problems


# --------------------------------------------------------------------------------- the CLI

def _cli(*args: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_cli_passes_on_equivalent_templates() -> None:
    proc = _cli(ARM, COMPILED_FIXTURE)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "deploy the same resources, properties, parameters and outputs" in proc.stdout


def test_cli_fails_and_names_the_difference(tmp_path: Path, compiled_template) -> None:
    compiled = copy.deepcopy(compiled_template)
    _ftps_back({}, compiled)
    changed = tmp_path / "main.json"
    changed.write_text(json.dumps(compiled), encoding="utf-8")
    proc = _cli(ARM, changed)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "properties.siteConfig.ftpsState: only in" in proc.stdout


def test_cli_fails_closed_on_what_it_does_not_model(tmp_path: Path, arm_template) -> None:
    """An ARM function the evaluator does not know is exit 2, never a pass."""
    arm = copy.deepcopy(arm_template)
    arm["outputs"]["AZURE_LOCATION"]["value"] = "[dateTimeAdd(utcNow(), 'P1D')]"
    changed = tmp_path / "azuredeploy.json"
    changed.write_text(json.dumps(arm), encoding="utf-8")
    proc = _cli(changed, COMPILED_FIXTURE)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "dateTimeAdd" in proc.stderr


def test_cli_is_standard_library_only() -> None:
    """CI runs it with the runner's bare python3: no third-party imports."""
    text = SCRIPT.read_text(encoding="utf-8")
    imports = set(re.findall(r"^(?:from|import) ([a-z_]+)", text, flags=re.M))
    allowed = {"__future__", "argparse", "collections", "dataclasses", "functools", "json", "pathlib", "re", "sys",
               "typing"}
    assert imports <= allowed, imports
