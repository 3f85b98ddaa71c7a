"""The three deployment paths are wired: azd (azure.yaml), the CI workflow (Bicep build,
drift check, tests, OIDC deploy) and the code package used by `config-zip`."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from .helpers import INFRA, ROOT, load_yaml

WORKFLOW = ROOT / ".github" / "workflows" / "ci-deploy.yml"


@pytest.fixture(scope="module")
def azure_yaml() -> dict[str, Any]:
    return load_yaml(ROOT / "azure.yaml")


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    return load_yaml(WORKFLOW)


def _run_lines(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def _uses(job: dict[str, Any]) -> list[str]:
    return [step["uses"] for step in job["steps"] if "uses" in step]


def test_azd_service(azure_yaml) -> None:
    api = azure_yaml["services"]["api"]
    assert api == {"project": ".", "language": "python", "host": "function"}
    assert azure_yaml["infra"]["path"] == "infra" and azure_yaml["infra"]["module"] == "main"


def test_azd_finds_the_function_app(module_facts) -> None:
    """azd deploys the `api` service to the resource tagged azd-service-name=api."""
    from .helpers import body_of, resources_of

    site = body_of(resources_of(module_facts["functionApp"], "Microsoft.Web/sites")[0])[1]
    tags = site["tags"]
    assert tags["$call"] == "union" and {"azd-service-name": "api"} in tags["args"]


def test_workflow_builds_and_checks_drift(workflow) -> None:
    bicep = _run_lines(workflow["jobs"]["bicep"])
    assert "az bicep install --version" in bicep
    assert "az bicep build --file infra/main.bicep" in bicep
    assert "az bicep build-params --file infra/main.bicepparam" in bicep
    assert "infra/azuredeploy.json" in bicep and "diff" in bicep and "exit 1" in bicep
    assert workflow["env"]["BICEP_VERSION"].startswith("v0.")


def test_workflow_runs_the_tests(workflow) -> None:
    test = workflow["jobs"]["test"]
    assert "make test" in _run_lines(test)
    python = next(s for s in test["steps"] if s.get("uses", "").startswith("actions/setup-python"))
    assert str(python["with"]["python-version"]) == "3.12"


def test_workflow_deploys_with_oidc_on_main(workflow) -> None:
    deploy = workflow["jobs"]["deploy"]
    assert set(deploy["needs"]) == {"bicep", "test"}
    assert "refs/heads/main" in deploy["if"] and "push" in deploy["if"]
    assert deploy["permissions"]["id-token"] == "write"
    assert any(u.startswith("azure/login@") for u in _uses(deploy))
    login = next(s for s in deploy["steps"] if s.get("uses", "").startswith("azure/login@"))
    assert set(login["with"]) == {"client-id", "tenant-id", "subscription-id"}  # OIDC, no client secret
    run = _run_lines(deploy)
    assert "infra/package_app.py" in run
    assert "az functionapp deployment source config-zip" in run and "--build-remote true" in run
    # every step after the gate is skipped when the settings are missing
    for step in deploy["steps"][1:]:
        assert step.get("if") == "steps.gate.outputs.enabled == 'true'", step.get("name")


def test_workflow_on_events(workflow) -> None:
    on = workflow.get("on") or workflow.get("true")  # PyYAML reads the key `on` as True
    assert "push" in on and "pull_request" in on


def test_package_holds_the_app_not_the_tooling(tmp_path: Path) -> None:
    target = tmp_path / "app.zip"
    subprocess.run([sys.executable, str(INFRA / "package_app.py"), str(target)], cwd=ROOT,
                   check=True, capture_output=True, text=True, timeout=60)
    names = set(zipfile.ZipFile(target).namelist())
    for required in ("function_app.py", "host.json", "requirements.txt", "shared_code/config.py",
                     "shared_code/storage/names.py"):
        assert required in names, f"package lacks {required}"
    assert any(n.startswith("functions/") for n in names)
    for n in names:
        top = n.split("/")[0]
        assert top not in {"tests", "infra", "devhost", "bench", ".venv", ".venv-infra", "node_modules",
                           ".github", ".git", ".azurite"}, f"package should not contain {n}"
        assert not n.endswith(".pyc") and n != "local.settings.json", n


def test_funcignore_matching() -> None:
    sys.path.insert(0, str(INFRA))
    try:
        import package_app
    finally:
        sys.path.pop(0)
    pats = ["tests", "*.pyc", ".git*", "build/", "/docs/api"]
    assert package_app.ignored("tests/unit/test_x.py", pats)
    assert package_app.ignored("shared_code/__pycache__/x.pyc", pats)
    assert package_app.ignored(".github/workflows/ci.yml", pats)
    assert package_app.ignored("build/out.txt", pats)
    assert not package_app.ignored("build", pats)  # a file named build, not the directory
    assert package_app.ignored("docs/api/index.md", pats)
    assert not package_app.ignored("x/docs/api/index.md", pats)
    assert not package_app.ignored("shared_code/config.py", pats)


def test_readme_documents_every_path() -> None:
    readme = (INFRA / "README.md").read_text(encoding="utf-8")
    for needle in ("az deployment group create", "azd up", "portal.azure.com/#create/Microsoft.Template/uri/",
                   "func azure functionapp publish", "config-zip", "az role assignment create",
                   "Storage Table Data Contributor", "/api/twilio/inbound", "/api/twilio/status",
                   "AzureWebJobsStorage__accountName", "drift"):
        assert needle in readme, f"infra/README.md does not mention {needle!r}"


def test_tool_versions_match_requirements() -> None:
    """The infra venv has exactly the pinned tools (a stale venv gives misleading results)."""
    from .helpers import INFRA_VENV, infra_tool, run

    pins = {}
    for line in (ROOT / "requirements-infra.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            pins[name.strip()] = version.strip()
    code = ("import json, sys, importlib.metadata as m\n"
            "print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))")
    installed = json.loads(run([infra_tool("python"), "-c", code, *pins]).stdout)
    wrong = {n: (installed[n], v) for n, v in pins.items() if installed[n] != v}
    assert not wrong, (f"{INFRA_VENV} is stale (installed, pinned): {wrong}; "
                       "reinstall: .venv-infra/bin/pip install -r requirements-infra.txt")
