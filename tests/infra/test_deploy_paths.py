"""The three deployment paths are wired: azd (azure.yaml), the CI workflow (Bicep build,
drift check, tests, OIDC deploy, timeouts) and the code package used by `config-zip`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from .helpers import COMPILED_FIXTURE, INFRA, ROOT, load_yaml

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
    assert workflow["env"]["BICEP_VERSION"].startswith("v0.")
    # What both templates deploy is compared; a text diff of flat vs nested JSON can never pass.
    assert "diff" not in bicep and "jq" not in bicep
    drift = _drift_step(workflow)
    command = r"python3 infra/compare_templates\.py infra/azuredeploy\.json \S*main\.compiled\.json"
    assert re.search(command, drift["run"]), drift["run"]
    build = next(s for s in workflow["jobs"]["bicep"]["steps"] if "az bicep build --file" in s.get("run", ""))
    assert "$RUNNER_TEMP/main.compiled.json" in build["run"]


def _drift_step(workflow) -> dict[str, Any]:
    return next(s for s in workflow["jobs"]["bicep"]["steps"] if "compare_templates.py" in s.get("run", ""))


def _run_drift_step(workflow, runner_temp: Path) -> subprocess.CompletedProcess[str]:
    shim = runner_temp / "bin"
    shim.mkdir(exist_ok=True)
    (shim / "python3").symlink_to(sys.executable)  # stands in for the runner's python3 (any 3.10+)
    env = {**os.environ, "RUNNER_TEMP": str(runner_temp), "PATH": f"{shim}:{os.environ['PATH']}"}
    return subprocess.run(["bash", "-e", "-c", _drift_step(workflow)["run"]], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_drift_check_step_passes_on_the_compiled_template(workflow, tmp_path: Path) -> None:
    """The workflow's own command, run here on the stand-in for `az bicep build` output."""
    shutil.copy(COMPILED_FIXTURE, tmp_path / "main.compiled.json")
    proc = _run_drift_step(workflow, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_drift_check_step_fails_on_a_real_difference(workflow, tmp_path: Path) -> None:
    compiled = json.loads(COMPILED_FIXTURE.read_text(encoding="utf-8"))
    compiled["parameters"]["instanceMemoryMB"]["defaultValue"] = 4096
    (tmp_path / "main.compiled.json").write_text(json.dumps(compiled), encoding="utf-8")
    proc = _run_drift_step(workflow, tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "instanceMemoryMB" in proc.stdout


def test_every_job_has_a_timeout(workflow) -> None:
    """The Flex config-zip health poll can loop without end; no job may wait forever."""
    for name, job in workflow["jobs"].items():
        minutes = job.get("timeout-minutes")
        assert isinstance(minutes, int) and 1 <= minutes <= 60, f"job {name}: timeout-minutes {minutes!r}"


def test_steps_that_wait_on_azure_have_their_own_timeout(workflow) -> None:
    deploy = workflow["jobs"]["deploy"]
    for step in deploy["steps"]:
        run = step.get("run", "")
        if "config-zip" in run or "curl" in run:
            minutes = step.get("timeout-minutes")
            assert isinstance(minutes, int) and minutes < deploy["timeout-minutes"], step.get("name")
    publish = next(s for s in deploy["steps"] if "config-zip" in s.get("run", ""))
    assert "--timeout" in publish["run"]


def test_deploy_waits_for_the_drift_check(workflow) -> None:
    """The deploy job needs the bicep job, which now passes when the templates agree."""
    assert "bicep" in workflow["jobs"]["deploy"]["needs"]


def test_workflow_runs_the_tests(workflow) -> None:
    test = workflow["jobs"]["test"]
    assert "make test" in _run_lines(test)
    python = next(s for s in test["steps"] if s.get("uses", "").startswith("actions/setup-python"))
    assert str(python["with"]["python-version"]) == "3.12"


def test_azd_prints_the_twilio_urls(azure_yaml) -> None:
    """After `azd up` the only hand step left is pasting the Twilio webhook URLs: azd prints them."""
    hooks = azure_yaml["hooks"]["postprovision"]
    for shell in ("posix", "windows"):
        run = hooks[shell]["run"]
        assert "azd env get-values" in run and "twilio(InboundWebhookUrl|StatusCallbackUrl)" in run, shell


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
    for required in ("function_app.py", "host.json", "requirements.txt", "shared_code/common/config.py",
                     "shared_code/common/storage/names.py"):
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
    assert not package_app.ignored("shared_code/common/config.py", pats)


def test_readme_documents_every_path() -> None:
    readme = (INFRA / "README.md").read_text(encoding="utf-8")
    for needle in ("az deployment group create", "azd up", "portal.azure.com/#create/Microsoft.Template/uri/",
                   "func azure functionapp publish", "config-zip", "az role assignment create",
                   "Storage Table Data Contributor", "/api/twilio/inbound", "/api/twilio/status",
                   "AzureWebJobsStorage__accountName", "drift", "compare_templates.py", "timeout-minutes",
                   "basicPublishingCredentialsPolicies", "TEXTOR_TWILIO_AUTH_TOKEN", "alwaysReady",
                   "ciPrincipalId", "Reader", "AuditEvent", "AZURE_FUNCTION_NAME", "51021"):
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
