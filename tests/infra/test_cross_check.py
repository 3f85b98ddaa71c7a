"""The code and the infrastructure agree: settings and storage names.

Settings: every setting shared_code/common/config.py reads (the validation aliases of
``Settings.model_fields``) is either set in the function app's app settings
(infra/modules/functionapp.bicep) or listed in KEEP_DEFAULT below with the reason its default
is right in Azure. The rule for what must be set: a setting needs a value in Azure when its
default is unset (None) and the code needs it there (identity-based storage, the public URL,
Twilio credentials), or when its local default is wrong for production (SMS_PROVIDER is
``outbox`` locally). Everything else keeps its default, on purpose and in writing: a new
setting in config.py fails here until someone decides.

Storage: every table, queue (and its ``-poison`` twin) and blob container in
shared_code/common/storage/names.py is provisioned by the Bicep, and the Bicep provisions nothing the
code does not know, except the Flex Consumption deployment container.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import AliasChoices, AliasPath

from shared_code.common import config
from shared_code.common.storage import names

from .helpers import ROOT, app_settings, body_of, refs_in, resources_of

# Settings config.py reads whose defaults are right in Azure, so the Bicep leaves them unset.
KEEP_DEFAULT: dict[str, str] = {
    "AzureWebJobsStorage": (
        "Must stay UNSET in Azure: it is a connection string, and shared-key access is disabled "
        "on the storage account. The host and the code use AzureWebJobsStorage__accountName "
        "with the managed identity instead (shared_code/common/storage/tables.py)."),
    "TABLE_PREFIX": (
        "Empty: the Bicep creates the tables under their plain names (names.TABLES). A prefix is "
        "for several deployments sharing one storage account, which this template never does."),
    "DEFAULT_REGION": (
        "US is only the fallback for numbers written without a country code when an account has "
        "no region; every account sets its own Region (admin CLI --region)."),
    "RATE_LIMIT_PER_MINUTE": "Tuning knob; 600 requests per minute per API key suits production.",
    "MAX_BODY_BYTES": "Tuning knob; 1 MB is far above any connector request.",
    "KEY_LAST_USED_INTERVAL_SECONDS": "Tuning knob; writing last-used at most once a minute is the production value.",
    "SMS_TIMEOUT_SECONDS": "Tuning knob; 10 s per provider call, then the send is retried with backoff.",
    "SEND_CONCURRENCY": "Tuning knob; 8 provider calls in flight per send batch suits one Flex instance.",
    "INBOUND_GROUP_WINDOW_MS": (
        "Tuning knob; 100 ms lets webhooks arriving together share one queue message and one storage "
        "transaction, a delay Twilio (15 s timeout) and Power Automate triggers never notice."),
    "SEND_RATE_PER_SECOND": (
        "0 = no cap: Twilio queues messages beyond a sender's throughput itself; a business with a "
        "stricter limit sets it as an app setting after deploying."),
    "SEND_MAX_ATTEMPTS": "Tuning knob; 8 attempts with backoff before a recipient is marked failed.",
    "SEND_STUCK_SECONDS": (
        "60 s, well above SMS_TIMEOUT_SECONDS: only a recipient left 'sending' by a worker that "
        "died is reconciled with the provider after that long."),
    "TWILIO_API_BASE_URL": (
        "Must stay UNSET in Azure: it exists only so tests can point the Twilio client at a fake "
        "server or Prism; unset means Twilio's real API."),
    "CALLBACK_ALLOW_LOCALHOST": (
        "Must stay OFF (default false) in Azure: it is for local development and tests only, letting "
        "trigger callbacks reach http://127.0.0.1; in Azure callbacks must be https to public hosts (SSRF guard)."),
    "NOTIFY_TIMEOUT_SECONDS": "Tuning knob; 10 s per trigger callback POST, then the delivery is retried with backoff.",
    "NOTIFY_BACKOFF_SECONDS": "Tuning knob; a failed trigger delivery is retried after 10 s, doubling per attempt.",
    "NOTIFY_BACKOFF_MAX_SECONDS": "Tuning knob; retries of a failed trigger delivery are at most an hour apart.",
    "NOTIFY_MAX_AGE_SECONDS": (
        "Tuning knob; a trigger delivery still failing 24 h after its first attempt is dead-lettered "
        "(visible in the subscription's status)."),
}

# Must never be set in Azure (see KEEP_DEFAULT for why).
MUST_NOT_SET = {"AzureWebJobsStorage", "TWILIO_API_BASE_URL", "CALLBACK_ALLOW_LOCALHOST"}

# Set by the Bicep for the Functions host / platform, not read by config.py.
HOST_SETTINGS: dict[str, str] = {
    "AzureWebJobsStorage__credential": "identity-based host storage: use a managed identity",
    "APPLICATIONINSIGHTS_CONNECTION_STRING": "where the host sends telemetry",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "Entra ID ingestion with the user-assigned identity",
    "AzureWebJobsDisableHomepage": "the portal is at the site root: no Functions welcome page there",
}

# Azure naming rules (Storage REST docs: "Naming queues and metadata", "Naming and referencing
# containers, blobs, and metadata", "Understanding the Table service data model").
TABLE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{2,62}$")
QUEUE_OR_CONTAINER = re.compile(r"^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$")


def config_settings() -> dict[str, list[str]]:
    """field name -> the setting names (env / app settings) it is read from."""
    out: dict[str, list[str]] = {}
    for field_name, field in config.Settings.model_fields.items():
        alias = field.validation_alias
        if alias is None:
            choices = [field.alias or field_name]
        elif isinstance(alias, str):
            choices = [alias]
        elif isinstance(alias, AliasChoices):
            choices = [c for c in alias.choices if isinstance(c, str)]
            choices += [c.path[0] for c in alias.choices if isinstance(c, AliasPath) and isinstance(c.path[0], str)]
        elif isinstance(alias, AliasPath):
            choices = [alias.path[0]] if isinstance(alias.path[0], str) else []
        else:  # pragma: no cover - a new pydantic alias type
            pytest.fail(f"config.Settings.{field_name}: unknown alias type {alias!r}")
        out[field_name] = choices
    return out


def read_names() -> set[str]:
    return {n for names_ in config_settings().values() for n in names_}


@pytest.fixture(scope="module")
def settings(module_facts) -> dict[str, Any]:
    return app_settings(module_facts["functionApp"])


# --------------------------------------------------------------------------------- settings

def test_config_declares_settings() -> None:
    assert len(config_settings()) >= 5, "config.Settings has suspiciously few fields"


def test_every_setting_is_set_or_allowed(settings) -> None:
    missing = {}
    for field_name, choices in config_settings().items():
        if any(c in settings for c in choices) or any(c in KEEP_DEFAULT for c in choices):
            continue
        missing[field_name] = choices
    assert not missing, (
        "config.py reads settings that the Bicep does not set and that are not reviewed as "
        "'default is fine in Azure':\n" + "\n".join(f"  {f}: {c}" for f, c in missing.items())
        + "\nSet them in infra/modules/functionapp.bicep (codeAppSettings) or add them to "
        "KEEP_DEFAULT in tests/infra/test_cross_check.py with the reason.")


def test_allow_list_is_current() -> None:
    """KEEP_DEFAULT names settings config.py still reads, each with a real reason."""
    read = read_names()
    stale = sorted(set(KEEP_DEFAULT) - read)
    assert not stale, f"KEEP_DEFAULT lists settings config.py no longer reads: {stale}"
    for name, reason in KEEP_DEFAULT.items():
        assert len(reason) >= 30, f"KEEP_DEFAULT[{name!r}] needs a reason"


def test_allowed_defaults_are_not_also_set(settings) -> None:
    both = sorted(set(KEEP_DEFAULT) & set(settings))
    assert not both, f"set in the Bicep AND listed as keep-default (pick one): {both}"


def test_connection_string_is_never_set(settings) -> None:
    assert not (MUST_NOT_SET & set(settings)), f"must not be set in Azure: {sorted(MUST_NOT_SET & set(settings))}"


def test_every_app_setting_is_known(settings) -> None:
    """Catches typos: every app setting is read by the code or by the Functions host."""
    known = read_names() | set(HOST_SETTINGS)
    unknown = sorted(set(settings) - known)
    assert not unknown, f"app settings nobody reads (typo?): {unknown}"


def test_identity_based_storage(settings) -> None:
    assert settings.get("AzureWebJobsStorage__credential") == "managedidentity"
    assert settings.get("AzureWebJobsStorage__accountName") == {"$ref": "storageAccountName"}
    assert settings.get("AzureWebJobsStorage__clientId") == {"$ref": "identityClientId"}


def test_sms_provider_comes_from_the_parameter(settings, main_bicep) -> None:
    assert settings.get("SMS_PROVIDER") == {"$ref": "smsProvider"}
    decl = main_bicep["params"]["smsProvider"]
    assert decl["default"] == "twilio"
    assert sorted(decl["decorators"]["allowed"][0]) == sorted(
        config.Settings.model_fields["sms_provider"].annotation.__args__)


def test_twilio_token_is_a_key_vault_reference(settings, module_facts) -> None:
    value = settings.get("TWILIO_AUTH_TOKEN")
    assert isinstance(value, dict) and value.get("$interp", "").startswith("@Microsoft.KeyVault(SecretUri=${"), value
    site = resources_of(module_facts["functionApp"], "Microsoft.Web/sites")[0]
    assert body_of(site)[1]["properties"]["keyVaultReferenceIdentity"] == {"$ref": "identityId"}


def test_secure_params_reach_only_key_vault(main_bicep) -> None:
    """A @secure param may be passed to the keyVault module only (never into app settings)."""
    secure = {n for n, d in main_bicep["params"].items() if d["secure"]}
    assert secure == {"twilioAuthToken"}
    for mod in main_bicep["modules"]:
        used = refs_in(body_of(mod)[1].get("params", {})) & secure
        if mod["symbol"] != "keyVault":
            assert not used, f"module {mod['symbol']} receives secure params {sorted(used)}"


def test_public_base_url_is_set(settings) -> None:
    assert settings.get("PUBLIC_BASE_URL") == {"$ref": "baseUrl"}


# ---------------------------------------------------------------------------------- storage

def _string_list(value: Any, what: str) -> list[str]:
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), (
        f"main.bicep: {what} must be a literal list of names (one per line), got {value!r}")
    assert len(value) == len(set(value)), f"main.bicep: {what} has duplicates"
    return value


@pytest.fixture(scope="module")
def bicep_names(main_bicep) -> dict[str, list[str]]:
    v = main_bicep["vars"]
    return {"tables": _string_list(v.get("storageTables"), "storageTables"),
            "queues": _string_list(v.get("storageQueues"), "storageQueues"),
            "containers": _string_list(v.get("storageContainers"), "storageContainers")}


def test_tables_match_names_py(bicep_names) -> None:
    assert sorted(bicep_names["tables"]) == sorted(names.TABLES), (
        "infra/main.bicep storageTables != shared_code/common/storage/names.py TABLES")


def test_queues_match_names_py(bicep_names) -> None:
    assert sorted(bicep_names["queues"]) == sorted(names.QUEUES), (
        "infra/main.bicep storageQueues != shared_code/common/storage/names.py QUEUES")


def test_containers_match_names_py(bicep_names) -> None:
    assert sorted(bicep_names["containers"]) == sorted(names.CONTAINERS), (
        "infra/main.bicep storageContainers != shared_code/common/storage/names.py CONTAINERS")


def test_names_are_valid_azure_names(main_bicep) -> None:
    for t in names.TABLES:
        assert TABLE_NAME.match(t), f"table name {t!r} breaks Azure's rules (letters/digits, 3-63, letter first)"
    for q in names.QUEUES:
        assert QUEUE_OR_CONTAINER.match(q) and QUEUE_OR_CONTAINER.match(f"{q}-poison"), (
            f"queue name {q!r} (or {q}-poison) breaks Azure's rules (lowercase, digits, single hyphens, 3-63)")
    for c in [*names.CONTAINERS, main_bicep["vars"]["deploymentContainerName"]]:
        assert QUEUE_OR_CONTAINER.match(c), f"container name {c!r} breaks Azure's rules"


def test_names_are_passed_to_the_storage_module(main_bicep) -> None:
    storage = next(m for m in main_bicep["modules"] if m["symbol"] == "storage")
    params = body_of(storage)[1]["params"]
    assert params["tableNames"] == {"$ref": "storageTables"}
    assert params["queueNames"] == {"$ref": "storageQueues"}
    assert params["containerNames"] == {"$ref": "storageContainers"}
    assert params["deploymentContainerName"] == {"$ref": "deploymentContainerName"}


def _loops(module: dict[str, Any], rtype: str) -> list[tuple[Any, Any]]:
    """(loop source, name expression) of every resource of a type in the storage module."""
    out = []
    for res in resources_of(module, rtype):
        loop, body = body_of(res)
        out.append((loop["over"] if loop else None, body.get("name"), loop["item"] if loop else None))
    return out


def test_storage_module_provisions_exactly_the_lists(module_facts) -> None:
    storage = module_facts["storage"]
    tables = _loops(storage, "Microsoft.Storage/storageAccounts/tableServices/tables")
    assert tables == [({"$ref": "tableNames"}, {"$ref": "table"}, "table")], tables

    queues = sorted(_loops(storage, "Microsoft.Storage/storageAccounts/queueServices/queues"), key=str)
    assert len(queues) == 2, f"expected the queues loop and the poison loop, got {queues}"
    plain = [q for q in queues if q[1] == {"$ref": q[2]}]
    poison = [q for q in queues if q[1] == {"$interp": "${" + q[2] + "}-poison"}]
    assert len(plain) == 1 and plain[0][0] == {"$ref": "queueNames"}, queues
    assert len(poison) == 1 and poison[0][0] == {"$ref": "queueNames"}, queues

    containers = _loops(storage, "Microsoft.Storage/storageAccounts/blobServices/containers")
    assert sorted(containers, key=str) == sorted([
        ({"$ref": "containerNames"}, {"$ref": "container"}, "container"),
        (None, {"$ref": "deploymentContainerName"}, None),
    ], key=str), containers


def test_deployment_container_is_not_an_app_container(main_bicep) -> None:
    assert main_bicep["vars"]["deploymentContainerName"] not in names.CONTAINERS


def test_arm_template_has_the_same_names(arm_template) -> None:
    variables = arm_template.get("variables", {})
    for var, expected in (("storageTables", names.TABLES), ("storageQueues", names.QUEUES),
                          ("storageContainers", names.CONTAINERS)):
        assert sorted(variables.get(var, [])) == sorted(expected), (
            f"infra/azuredeploy.json variables.{var} is stale: rebuild it from main.bicep "
            "(az bicep build -f infra/main.bicep --outfile infra/azuredeploy.json)")


def test_names_registry_is_the_source(bicep_names) -> None:
    """The lists in main.bicep are the only copy: the modules take them as params."""
    for path in (ROOT / "infra" / "modules").glob("*.bicep"):
        text = path.read_text(encoding="utf-8")
        for t in names.TABLES:
            assert f"'{t}'" not in text, f"{path.name} hard-codes table {t!r}: use the params"
