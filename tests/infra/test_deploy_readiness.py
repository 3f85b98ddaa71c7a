"""The template deploys on Flex Consumption as it is, and re-deploys without surprises.

Each check reads the Bicep (tree-sitter facts) and what the ARM templates deploy (flattened
and evaluated by infra/compare_templates.py, for its parameter sets): infra/azuredeploy.json
(the button) and, where it matters, the compiled-Bicep fixture.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from .helpers import (COMPILED_FIXTURE, INFRA, ROOT, app_settings, body_of, compare_templates, load_yaml, of_type,
                      one_of_type, resources_of)
from .test_cross_check import read_names

# siteConfig properties Flex Consumption sites reject with error 51021 ("The following site
# configuration property (...) for Flex Consumption sites is invalid"), as named in the error
# texts quoted in Azure/azure-cli#31414, microsoft/azure-pipelines-tasks#21032,
# Azure/terraform-azurerm-avm-res-web-site#283 and Azure/azure-functions-host#10643.
FLEX_REJECTED_SITE_CONFIG = ("ftpsState", "use32BitWorkerProcess", "preWarmedInstanceCount", "netFrameworkVersion",
                             "functionsRuntimeScaleMonitoringEnabled", "linuxFxVersion", "functionAppScaleLimit")

WEBSITE_CONTRIBUTOR = "de139f84-1756-47ae-9be6-808fbbe84772"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
AZD_OWN = {"AZURE_ENV_NAME", "AZURE_PRINCIPAL_ID"}  # set by azd itself, not by a developer's shell
DEPLOYING = ["required values only", "every option set", "re-deployment without the token", "prefix with a hyphen"]
BOTH = ["arm", "compiled"]


def _settings(result: Any) -> dict[str, Any]:
    return one_of_type(result, "Microsoft.Web/sites/config").body["properties"]


# --------------------------------------------------------------- Flex rejects siteConfig FTP

def test_no_flex_rejected_site_config_in_the_bicep() -> None:
    for path in sorted(INFRA.rglob("*.bicep")):
        text = path.read_text(encoding="utf-8").lower()
        for prop in FLEX_REJECTED_SITE_CONFIG:
            assert prop.lower() not in text, f"{path.relative_to(ROOT)} mentions {prop} (rejected on Flex, error 51021)"


@pytest.mark.parametrize("path", [INFRA / "azuredeploy.json", COMPILED_FIXTURE], ids=["azuredeploy", "compiled"])
def test_no_flex_rejected_site_config_in_the_arm(path) -> None:
    text = path.read_text(encoding="utf-8").lower()
    for prop in FLEX_REJECTED_SITE_CONFIG:
        assert prop.lower() not in text, f"{path.name} mentions {prop} (rejected on Flex, error 51021)"


@pytest.mark.parametrize("which", BOTH)
def test_site_config_keeps_only_accepted_properties(deployed, which: str) -> None:
    for scenario in DEPLOYING:
        site = one_of_type(deployed(which, scenario), "Microsoft.Web/sites")
        assert site.body["properties"]["siteConfig"] == {"minTlsVersion": "1.2", "http20Enabled": True}


# ------------------------------------------------------- basic-auth publishing switched off

def test_bicep_disables_basic_auth_publishing(module_facts) -> None:
    policies = resources_of(module_facts["functionApp"], "Microsoft.Web/sites/basicPublishingCredentialsPolicies")
    bodies = {body_of(p)[1]["name"]: body_of(p)[1] for p in policies}
    assert sorted(bodies) == ["ftp", "scm"]
    for name, body in bodies.items():
        assert body["parent"] == {"$ref": "site"}, name
        assert body["properties"] == {"allow": False}, name
    for policy in policies:
        assert "$if" not in policy["body"], "the policies are unconditional"


@pytest.mark.parametrize("which", BOTH)
def test_arm_disables_basic_auth_publishing(deployed, which: str) -> None:
    for scenario in DEPLOYING:
        result = deployed(which, scenario)
        site = one_of_type(result, "Microsoft.Web/sites")
        policies = of_type(result, "Microsoft.Web/sites/basicPublishingCredentialsPolicies")
        assert sorted(str(p.name) for p in policies) == sorted([f"{site.name}/ftp", f"{site.name}/scm"]), scenario
        for p in policies:
            assert p.body == {"properties": {"allow": False}}, (scenario, p.name)


# ------------------------------------------------------------------------ namePrefix rules

def test_bicep_validates_name_prefix_characters(main_bicep) -> None:
    decl = main_bicep["params"]["namePrefix"]["decorators"]
    assert decl["minLength"] == [2] and decl["maxLength"] == [10]
    v = main_bicep["vars"]
    assert v["prefixAlphabet"] == list("abcdefghijklmnopqrstuvwxyz0123456789-")
    assert v["prefixStrayCharacters"] == {"$call": "join", "args": [
        {"$call": "split", "args": [{"$ref": "prefixCandidate"}, {"$ref": "prefixAlphabet"}]}, ""]}
    rule = v["prefixIsValid"]["$expr"]
    for part in ("empty(prefixStrayCharacters)", "contains('abcdefghijklmnopqrstuvwxyz', first(prefixCandidate))",
                 "!endsWith(prefixCandidate, '-')", "!contains(prefixCandidate, '--')"):
        assert part in rule, part
    prefix = v["prefix"]["$ternary"]
    assert prefix["cond"] == {"$ref": "prefixIsValid"} and prefix["then"] == {"$ref": "prefixCandidate"}
    assert prefix["else"]["$call"] == "fail"
    # every resource name is built from the validated prefix, never from the raw parameter
    for name in ("functionAppName", "planName", "identityName", "workspaceName", "appInsightsName",
                 "storageAccountName", "keyVaultName"):
        assert "prefix" in str(v[name]) and "namePrefix" not in str(v[name]), name


GOOD_PREFIXES = ["textor", "ab", "Acme", "a-b-c", "abc123", "x1-2", "abcdefghij"]
BAD_PREFIXES = ["ab_c", "ab c", "abé", "1abc", "-abc", "abc-", "a--b", "ab.c", "ab/c", "a", "abcdefghijk"]


@pytest.mark.parametrize("which", BOTH)
@pytest.mark.parametrize("prefix", GOOD_PREFIXES)
def test_good_prefixes_deploy(arm_template, compiled_template, which: str, prefix: str) -> None:
    ct = compare_templates()
    template = {"arm": arm_template, "compiled": compiled_template}[which]
    result = ct.deploy(template, {"namePrefix": prefix, "twilioAccountSid": "AC" + "0" * 32})
    account = one_of_type(result, "Microsoft.Storage/storageAccounts")
    expected = prefix.lower().replace("-", "")
    pattern = rf"«take\('{re.escape(expected)}st«uniqueString\(.*\)»', 24\)»"
    assert re.fullmatch(pattern, str(account.name)), account.name
    assert str(one_of_type(result, "Microsoft.Web/sites").name).startswith(f"{prefix.lower()}-func-")


@pytest.mark.parametrize("which", BOTH)
@pytest.mark.parametrize("prefix", BAD_PREFIXES)
def test_bad_prefixes_are_rejected(arm_template, compiled_template, which: str, prefix: str) -> None:
    ct = compare_templates()
    template = {"arm": arm_template, "compiled": compiled_template}[which]
    with pytest.raises(ct.TemplateFailure, match="namePrefix"):
        ct.deploy(template, {"namePrefix": prefix, "twilioAccountSid": "AC" + "0" * 32})


# ------------------------------------------------------------------------- azd's outputs

def test_bicep_has_azd_outputs(main_bicep) -> None:
    outputs = main_bicep["outputs"]
    assert outputs["AZURE_FUNCTION_NAME"]["value"] == {"$expr": "functionApp.outputs.name"}
    assert outputs["SERVICE_API_NAME"]["value"] == {"$expr": "functionApp.outputs.name"}
    assert outputs["AZURE_LOCATION"]["value"] == {"$ref": "location"}
    assert outputs["AZURE_TENANT_ID"]["value"] == {"$expr": "tenant().tenantId"}


@pytest.mark.parametrize("which", BOTH)
def test_arm_azd_outputs_name_the_deployed_app(deployed, which: str) -> None:
    result = deployed(which, "every option set")
    site = one_of_type(result, "Microsoft.Web/sites")
    out = {k: v["value"] for k, v in result.outputs.items()}
    assert out["AZURE_FUNCTION_NAME"] == out["SERVICE_API_NAME"] == out["functionAppName"] == site.name
    assert out["AZURE_LOCATION"] == "westeurope" == site.body["location"]
    vault = one_of_type(result, "Microsoft.KeyVault/vaults")
    assert out["AZURE_TENANT_ID"] == vault.body["properties"]["tenantId"] == "«tenant»"
    assert out["twilioInboundWebhookUrl"] == "https://sms.example.com/api/twilio/inbound"
    assert out["twilioStatusCallbackUrl"] == "https://sms.example.com/api/twilio/status"


# --------------------------------------------------------- environment variables: TEXTOR_

def _env_reads(value: Any) -> list[tuple[str, bool]]:
    """(variable, has default) of every readEnvironmentVariable(...) in a bicepparam value."""
    found = []
    if isinstance(value, dict):
        if value.get("$call") == "readEnvironmentVariable":
            found.append((value["args"][0], len(value["args"]) > 1))
        for v in value.values():
            found += _env_reads(v)
    elif isinstance(value, list):
        for v in value:
            found += _env_reads(v)
    return found


def _bicepparam_reads(facts) -> list[tuple[str, bool]]:
    f = facts["infra/main.bicepparam"]
    return [r for p in f["params"].values() for r in _env_reads(p["value"])] + _env_reads(f["vars"])


def test_bicepparam_reads_only_prefixed_variables(facts) -> None:
    reads = _bicepparam_reads(facts)
    assert len(reads) >= 9
    for name, _ in reads:
        assert name.startswith("TEXTOR_") or name in AZD_OWN, f"main.bicepparam reads {name}: prefix it TEXTOR_"


def test_no_app_setting_name_reaches_the_deployment(facts) -> None:
    """A developer's local SMS_PROVIDER=outbox (or TWILIO_*) for the local host must not be
    what a deployment from the same shell reads."""
    reads = {n for n, _ in _bicepparam_reads(facts)}
    app_settings_read = read_names()  # every setting shared_code/common/config.py reads
    assert {"SMS_PROVIDER", "TWILIO_AUTH_TOKEN"} <= app_settings_read
    assert not reads & app_settings_read, sorted(reads & app_settings_read)


def test_ci_sets_every_required_variable(facts) -> None:
    workflow = load_yaml(ROOT / ".github" / "workflows" / "ci-deploy.yml")
    step = next(s for s in workflow["jobs"]["bicep"]["steps"] if "build-params" in s.get("run", ""))
    required = {n for n, has_default in _bicepparam_reads(facts) if not has_default}
    assert required == {"TEXTOR_TWILIO_ACCOUNT_SID"}
    assert required <= set(step.get("env", {})), step.get("env")


# ------------------------------------------------------------- Key Vault audit to workspace

def test_bicep_sends_key_vault_audit_events_to_the_workspace(main_bicep, module_facts) -> None:
    diag = resources_of(module_facts["keyVault"], "Microsoft.Insights/diagnosticSettings")
    assert len(diag) == 1
    body = body_of(diag[0])[1]
    assert body["scope"] == {"$ref": "vault"}
    assert body["properties"]["workspaceId"] == {"$ref": "workspaceId"}
    assert {"category": "AuditEvent", "enabled": True} in body["properties"]["logs"]
    kv = next(m for m in main_bicep["modules"] if m["symbol"] == "keyVault")
    assert body_of(kv)[1]["params"]["workspaceId"] == {"$expr": "monitoring.outputs.workspaceId"}
    assert module_facts["monitoring"]["outputs"]["workspaceId"]["value"] == {"$expr": "workspace.id"}


@pytest.mark.parametrize("which", BOTH)
def test_arm_sends_key_vault_audit_events_to_the_workspace(deployed, which: str) -> None:
    for scenario in DEPLOYING:
        result = deployed(which, scenario)
        vault = one_of_type(result, "Microsoft.KeyVault/vaults")
        workspace = one_of_type(result, "Microsoft.OperationalInsights/workspaces")
        diag = one_of_type(result, "Microsoft.Insights/diagnosticSettings")
        assert diag.rid.lower().startswith(vault.rid.lower() + "/providers/"), "scoped to the vault"
        props = diag.body["properties"]
        assert props["workspaceId"] == workspace.rid
        assert {"category": "AuditEvent", "enabled": True} in props["logs"]


# ------------------------------------------------------------ unique nested deployment names

def test_module_deployment_names_are_unique_per_deployment(main_bicep) -> None:
    assert main_bicep["vars"]["moduleSuffix"] == {"$call": "uniqueString", "args": [{"$expr": "deployment().name"}]}
    names = []
    for mod in main_bicep["modules"]:
        name = body_of(mod)[1]["name"]
        assert isinstance(name, dict) and name.get("$interp", "").endswith("-${moduleSuffix}"), (mod["symbol"], name)
        names.append(name["$interp"])
    assert len(names) == len(set(names))


# ------------------------------------------------------------------- always-ready instances

def test_bicep_always_ready_is_optional_and_reaches_the_site(main_bicep, module_facts, facts) -> None:
    decl = main_bicep["params"]["alwaysReady"]
    assert decl["type"] == "array" and decl["default"] == []
    fa = next(m for m in main_bicep["modules"] if m["symbol"] == "functionApp")
    assert body_of(fa)[1]["params"]["alwaysReady"] == {"$ref": "alwaysReady"}
    site = body_of(resources_of(module_facts["functionApp"], "Microsoft.Web/sites")[0])[1]
    assert site["properties"]["functionAppConfig"]["scaleAndConcurrency"]["alwaysReady"] == {"$ref": "alwaysReady"}
    bicepparam = facts["infra/main.bicepparam"]
    assert bicepparam["vars"]["alwaysReadyHttp"] == {"$call": "int", "args": [
        {"$call": "readEnvironmentVariable", "args": ["TEXTOR_ALWAYS_READY_HTTP", "0"]}]}
    assert bicepparam["params"]["alwaysReady"]["value"] == {"$ternary": {
        "cond": {"$expr": "alwaysReadyHttp > 0"},
        "then": [{"name": "http", "instanceCount": {"$ref": "alwaysReadyHttp"}}],
        "else": []}}, "none unless asked for"


@pytest.mark.parametrize("which", BOTH)
def test_arm_always_ready(deployed, which: str) -> None:
    def scale(scenario: str) -> dict[str, Any]:
        return one_of_type(deployed(which, scenario), "Microsoft.Web/sites").body["properties"]["functionAppConfig"][
            "scaleAndConcurrency"]
    assert scale("required values only")["alwaysReady"] == []
    assert scale("every option set")["alwaysReady"] == [{"name": "http", "instanceCount": 1}]


# ---------------------------------------------------------- a rotated token is not overwritten

def test_bicep_writes_the_secret_only_when_given(main_bicep, module_facts, facts) -> None:
    decl = main_bicep["params"]["twilioAuthToken"]
    assert decl["secure"] and decl["default"] == ""
    secret = resources_of(module_facts["keyVault"], "Microsoft.KeyVault/vaults/secrets")[0]
    assert secret["body"]["$if"]["cond"] == {"$expr": "(!empty(twilioAuthToken))"}
    uri = module_facts["keyVault"]["outputs"]["twilioAuthTokenUri"]["value"]
    assert uri == {"$interp": "${vault.properties.vaultUri}secrets/${twilioAuthTokenEntry}"}, (
        "the URI must not come from the (conditional) secret resource")
    token = facts["infra/main.bicepparam"]["params"]["twilioAuthToken"]["value"]
    assert token["args"] == ["TEXTOR_TWILIO_AUTH_TOKEN", ""]


@pytest.mark.parametrize("which", BOTH)
def test_arm_redeployment_without_the_token_keeps_the_secret(deployed, which: str) -> None:
    first = deployed(which, "required values only")
    again = deployed(which, "re-deployment without the token")
    secret = one_of_type(first, "Microsoft.KeyVault/vaults/secrets")
    assert secret.body["properties"]["value"] == "token-placeholder-1"
    assert not of_type(again, "Microsoft.KeyVault/vaults/secrets"), "an empty token must not write a secret version"
    reference = _settings(again)["TWILIO_AUTH_TOKEN"]
    assert reference == _settings(first)["TWILIO_AUTH_TOKEN"]
    assert reference.startswith("@Microsoft.KeyVault(SecretUri=")
    assert reference.endswith("secrets/twilio-auth-token)"), "versionless: the app follows rotations"


# ------------------------------------------------------------------------ the CI identity

def test_bicep_grants_the_ci_identity_the_plan_too(module_facts) -> None:
    fa = module_facts["functionApp"]
    assert fa["vars"]["ciRoles"] == {"websiteContributor": WEBSITE_CONTRIBUTOR, "reader": READER}
    text = (INFRA / "modules" / "functionapp.bicep").read_text(encoding="utf-8")
    assert f"'{WEBSITE_CONTRIBUTOR}' // Website Contributor" in text and f"'{READER}' // Reader" in text
    scopes = {}
    for res in resources_of(fa, "Microsoft.Authorization/roleAssignments"):
        assert res["body"]["$if"]["cond"] == {"$expr": "(!empty(ciPrincipalId))"}
        body = res["body"]["$if"]["body"]
        assert body["properties"]["principalId"] == {"$ref": "ciPrincipalId"}
        scopes[body["scope"]["$ref"]] = body["properties"]["roleDefinitionId"]["args"][1]["$expr"]
    assert scopes == {"site": "ciRoles.websiteContributor", "plan": "ciRoles.reader"}


@pytest.mark.parametrize("which", BOTH)
def test_arm_grants_the_ci_identity_site_and_plan(deployed, which: str) -> None:
    ci = "00000000-0000-0000-0000-0000000000c1"

    def grants(scenario: str) -> dict[str, str]:
        result = deployed(which, scenario)
        out = {}
        for a in of_type(result, "Microsoft.Authorization/roleAssignments"):
            if a.body["properties"]["principalId"] == ci:
                scope = a.rid.lower().split("/providers/microsoft.authorization/")[0]
                out[scope] = a.body["properties"]["roleDefinitionId"].rsplit("/", 1)[1]
        return out

    result = deployed(which, "every option set")
    site = one_of_type(result, "Microsoft.Web/sites").rid.lower()
    plan = one_of_type(result, "Microsoft.Web/serverfarms").rid.lower()
    assert grants("every option set") == {site: WEBSITE_CONTRIBUTOR, plan: READER}
    assert grants("required values only") == {}


def test_app_settings_unchanged_by_the_rework(module_facts) -> None:
    """The Key Vault URI now comes from the vault; the setting is still a Key Vault reference."""
    settings = app_settings(module_facts["functionApp"])
    assert settings["TWILIO_AUTH_TOKEN"] == {"$interp": "@Microsoft.KeyVault(SecretUri=${twilioAuthTokenUri})"}


@pytest.mark.parametrize("which", BOTH)
def test_site_starts_after_its_identity_roles(deployed, which: str) -> None:
    """Not a reference the drift check can see: the Functions host must not start before its
    identity may read storage, the vault and telemetry (main.bicep: dependsOn roles)."""
    ct = compare_templates()
    for scenario in ("required values only", "every option set"):
        result = deployed(which, scenario)
        site = one_of_type(result, "Microsoft.Web/sites")
        identity = one_of_type(result, "Microsoft.ManagedIdentity/userAssignedIdentities")
        principal = f"«ref({identity.rid}).principalId»"
        roles = [a for a in of_type(result, "Microsoft.Authorization/roleAssignments")
                 if a.body["properties"]["principalId"] == principal]
        assert len(roles) == 5, [a.name for a in roles]
        before = ct._before(site, {})
        missing = [str(a.name) for a in roles if a.key not in before]
        assert not missing, f"{scenario}: the site can start before role assignments {missing}"
