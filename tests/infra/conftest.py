"""Fixtures for the infrastructure checks (helpers in helpers.py).

They need only files and the separate infra virtualenv, never Azurite or the app host: the
session fixtures of tests/conftest.py are not used here.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from .helpers import COMPILED_FIXTURE, INFRA, ROOT, bicep_files, compare_templates, parse_bicep


@pytest.fixture(scope="session")
def facts() -> dict[str, Any]:
    """Facts for every .bicep / .bicepparam file under infra/."""
    return parse_bicep(bicep_files())


@pytest.fixture(scope="session")
def main_bicep(facts: dict[str, Any]) -> dict[str, Any]:
    return facts["infra/main.bicep"]


@pytest.fixture(scope="session")
def module_facts(facts: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Facts of the modules main.bicep uses, keyed by module symbol (identity, storage, ...)."""
    main = facts["infra/main.bicep"]
    out = {}
    for mod in main["modules"]:
        path = (INFRA / mod["path"]).resolve().relative_to(ROOT).as_posix()
        out[mod["symbol"]] = facts[path]
    return out


@pytest.fixture(scope="session")
def arm_template() -> dict[str, Any]:
    path = INFRA / "azuredeploy.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        pytest.fail(f"{path.relative_to(ROOT)} is not valid JSON: {err}", pytrace=False)


@pytest.fixture(scope="session")
def compiled_template() -> dict[str, Any]:
    """The nested-deployment template `az bicep build` emits for infra/main.bicep (fixture)."""
    return json.loads(COMPILED_FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def deployed(arm_template, compiled_template):
    """deployed(which, scenario) -> what that template deploys with one of compare_templates'
    parameter sets, flattened (which: "arm" = infra/azuredeploy.json, "compiled" = the fixture)."""
    ct = compare_templates()
    memo: dict[tuple[str, str], Any] = {}

    def get(which: str, scenario: str):
        if (which, scenario) not in memo:
            template = {"arm": arm_template, "compiled": compiled_template}[which]
            memo[which, scenario] = ct.deploy(template, ct.SCENARIOS[scenario], which)
        return memo[which, scenario]

    return get
