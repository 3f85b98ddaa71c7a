"""host.json, the Flex Consumption rules and the Bicep agree; the security settings asked of
the template are really there (identity, storage, Key Vault, roles)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from .helpers import INFRA, ROOT, app_settings, body_of, resources_of

# Never set on Flex Consumption: the runtime lives in functionAppConfig; the others are
# deprecated or rejected by the plan (../shared/FACTS.md, Microsoft's "Flex Consumption plan
# deprecations" in the app settings reference).
FORBIDDEN_ON_FLEX = ("FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION",
                     "WEBSITE_RUN_FROM_PACKAGE", "WEBSITE_TIME_ZONE")

# Built-in role definition ids (same in every tenant), from
# https://learn.microsoft.com/azure/role-based-access-control/built-in-roles
BUILT_IN_ROLES = {
    "Storage Blob Data Owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "Storage Queue Data Contributor": "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
    "Storage Table Data Contributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Monitoring Metrics Publisher": "3913510d-42f4-4e42-8a64-420c390055eb",
}
# For the CI identity that publishes the code (modules/functionapp.bicep, ciRoles).
CI_ROLES = {
    "Website Contributor": "de139f84-1756-47ae-9be6-808fbbe84772",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
}

PYTHON_VERSION = "3.12"  # Azure runtime = the .venv and CI (Makefile PYTHON_VERSION)


@pytest.fixture(scope="module")
def host_json() -> dict[str, Any]:
    return json.loads((ROOT / "host.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def site(module_facts) -> dict[str, Any]:
    sites = resources_of(module_facts["functionApp"], "Microsoft.Web/sites")
    assert len(sites) == 1
    return body_of(sites[0])[1]


def test_extension_bundle(host_json) -> None:
    bundle = host_json.get("extensionBundle", {})
    assert bundle.get("id") == "Microsoft.Azure.Functions.ExtensionBundle"
    assert bundle.get("version") == "[4.*, 5.0.0)", (
        "Flex Consumption needs extension bundle 4.x for non-.NET apps; host.json has "
        f"{bundle.get('version')!r}")
    assert host_json.get("version") == "2.0"


def test_runtime_in_function_app_config(site) -> None:
    runtime = site["properties"]["functionAppConfig"]["runtime"]
    assert runtime == {"name": "python", "version": PYTHON_VERSION}


def test_flex_consumption_plan(module_facts, site) -> None:
    plans = resources_of(module_facts["functionApp"], "Microsoft.Web/serverfarms")
    assert len(plans) == 1
    plan = body_of(plans[0])[1]
    assert plan["sku"] == {"tier": "FlexConsumption", "name": "FC1"}
    assert plan["properties"]["reserved"] is True  # Linux
    assert site["kind"] == "functionapp,linux"
    assert site["properties"]["httpsOnly"] is True


def test_deployment_storage_uses_the_identity(site) -> None:
    storage = site["properties"]["functionAppConfig"]["deployment"]["storage"]
    assert storage["type"] == "blobContainer"
    assert storage["value"] == {"$ref": "deploymentContainerUrl"}
    assert storage["authentication"] == {"type": "UserAssignedIdentity",
                                         "userAssignedIdentityResourceId": {"$ref": "identityId"}}


def test_scale_settings(site) -> None:
    scale = site["properties"]["functionAppConfig"]["scaleAndConcurrency"]
    assert set(scale) >= {"maximumInstanceCount", "instanceMemoryMB"}


def test_user_assigned_identity_only(site) -> None:
    identity = site["identity"]
    assert identity["type"] == "UserAssigned"
    assert list(identity["userAssignedIdentities"]) == ["${identityId}"]


def test_forbidden_settings_not_in_app_settings(module_facts) -> None:
    settings = app_settings(module_facts["functionApp"])
    assert not set(FORBIDDEN_ON_FLEX) & set(settings)


def test_forbidden_settings_appear_nowhere(facts, arm_template) -> None:
    """Not as a key, value or string anywhere in the Bicep (comments aside) or the ARM JSON."""
    for name, f in facts.items():
        for word in f["words"]:
            for forbidden in FORBIDDEN_ON_FLEX:
                assert forbidden not in word, f"{name}: mentions {forbidden} outside a comment"
    arm_text = json.dumps(arm_template)
    for forbidden in FORBIDDEN_ON_FLEX:
        assert forbidden not in arm_text, f"infra/azuredeploy.json mentions {forbidden}"


def test_storage_account_security(module_facts) -> None:
    accounts = resources_of(module_facts["storage"], "Microsoft.Storage/storageAccounts")
    assert len(accounts) == 1
    props = body_of(accounts[0])[1]["properties"]
    assert props["allowSharedKeyAccess"] is False
    assert props["minimumTlsVersion"] == "TLS1_2"
    assert props["allowBlobPublicAccess"] is False
    assert props["supportsHttpsTrafficOnly"] is True


def test_key_vault_uses_rbac(module_facts) -> None:
    vaults = resources_of(module_facts["keyVault"], "Microsoft.KeyVault/vaults")
    assert len(vaults) == 1
    props = body_of(vaults[0])[1]["properties"]
    assert props["enableRbacAuthorization"] is True
    assert "accessPolicies" not in props


def test_role_assignments(module_facts) -> None:
    roles = module_facts["roles"]
    text = (INFRA / "modules" / "roles.bicep").read_text(encoding="utf-8")
    ids = roles["vars"]["roles"]
    assert sorted(ids.values()) == sorted(BUILT_IN_ROLES.values()), ids
    for name, guid in BUILT_IN_ROLES.items():
        line = next((ln for ln in text.splitlines() if guid in ln), "")
        assert name in line, f"roles.bicep: {guid} should carry the comment '// {name}'"
    assignments = resources_of(roles, "Microsoft.Authorization/roleAssignments")
    used = set()
    for res in assignments:
        body = json.dumps(res["body"])
        used |= {key for key in ids if re.search(rf"roles\.{key}\b", body)}
    storage_roles = roles["vars"]["storageRoles"]
    used |= {v["$expr"].split(".")[1] for v in storage_roles}
    assert used == set(ids), f"roles declared but never assigned: {sorted(set(ids) - used)}"


def test_app_insights_identity_auth(module_facts) -> None:
    settings = app_settings(module_facts["functionApp"])
    assert "APPLICATIONINSIGHTS_CONNECTION_STRING" in settings
    assert settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == {
        "$interp": "ClientId=${identityClientId};Authorization=AAD"}
    comps = resources_of(module_facts["monitoring"], "Microsoft.Insights/components")
    assert body_of(comps[0])[1]["properties"]["DisableLocalAuth"] is True


def test_outputs_give_the_twilio_urls(main_bicep) -> None:
    outputs = main_bicep["outputs"]
    assert outputs["twilioInboundWebhookUrl"]["value"] == {"$interp": "${functionApp.outputs.baseUrl}/api/twilio/inbound"}
    assert outputs["twilioStatusCallbackUrl"]["value"] == {"$interp": "${functionApp.outputs.baseUrl}/api/twilio/status"}
    assert "functionAppUrl" in outputs


def test_public_base_url_defaults_to_the_default_host(module_facts) -> None:
    v = module_facts["functionApp"]["vars"]
    assert v["baseUrl"]["$ternary"]["then"] == {"$interp": "https://${site.properties.defaultHostName}"}


def test_ci_role_ids_are_the_built_in_ones(module_facts) -> None:
    text = (INFRA / "modules" / "functionapp.bicep").read_text(encoding="utf-8")
    assert sorted(module_facts["functionApp"]["vars"]["ciRoles"].values()) == sorted(CI_ROLES.values())
    for name, guid in CI_ROLES.items():
        line = next((ln for ln in text.splitlines() if guid in ln), "")
        assert line.rstrip().endswith(f"// {name}"), f"functionapp.bicep: {guid} should carry the comment '// {name}'"
