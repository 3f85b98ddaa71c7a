"""Fixtures for the infrastructure checks (helpers in helpers.py).

They need only files and the separate infra virtualenv, never Azurite or the app host: the
session fixtures of tests/conftest.py are not used here.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from .helpers import INFRA, ROOT, bicep_files, parse_bicep


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
