"""The "Deploy to Azure" button deploys the code too: the template's OneDeploy resource hands
the Flex Consumption deployment service the URL of the ready-to-run package CI publishes.

What is checked here, offline: the resource in the Bicep and in what both ARM templates deploy
(its condition, its properties, what it waits for, that it grants nobody anything), the default
URL against what the workflow publishes and the button's repository, the parameter's skip
value for Path A / azd, the ready-to-run package (layout, target platform, that the app imports
from it alone) and the publishing job. Azure itself is not reached: whether the deployment
service accepts this package is for a real deployment to show (infra/README.md).
"""

from __future__ import annotations

import importlib.util
import platform
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote

import pytest

from .helpers import INFRA, ROOT, body_of, compare_templates, load_yaml, of_type, one_of_type, resources_of

WORKFLOW = ROOT / ".github" / "workflows" / "ci-deploy.yml"
BOTH = ["arm", "compiled"]
EXTENSIONS = "Microsoft.Web/sites/extensions"
# https://github.com/<owner>/<repo>/releases/download/<tag>/<asset>
RELEASE_ASSET = re.compile(r"https://github\.com/([^/]+)/([^/]+)/releases/download/([^/]+)/([^/]+)")


def _package_app() -> ModuleType:
    spec = importlib.util.spec_from_file_location("package_app", INFRA / "package_app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    return load_yaml(WORKFLOW)


def _default_uri(main_bicep) -> str:
    decl = main_bicep["params"]["packageUri"]
    assert decl["type"] == "string" and not decl["secure"] and decl["has_default"]
    return decl["default"]


# ------------------------------------------------------------------------------ the Bicep

def test_bicep_deploys_the_package_with_onedeploy(module_facts) -> None:
    fa = module_facts["functionApp"]
    assert fa["params"]["packageUri"]["type"] == "string" and not fa["params"]["packageUri"]["has_default"]
    found = resources_of(fa, EXTENSIONS)
    assert len(found) == 1, found
    assert found[0]["api_version"] == "2024-04-01"
    assert found[0]["body"]["$if"]["cond"] == {"$expr": "(!empty(packageUri))"}, "empty packageUri: no code"
    body = found[0]["body"]["$if"]["body"]
    assert body["parent"] == {"$ref": "site"} and body["name"] == "onedeploy"
    # A ready-to-run package: the deployment service must not run a build of its own.
    assert body["properties"] == {"packageUri": {"$ref": "packageUri"}, "remoteBuild": False}
    # Not a reference the drift check can see: the host starts with the new code and needs its
    # storage settings for that.
    assert body["dependsOn"] == [{"$ref": "appSettings"}]


def test_main_bicep_passes_the_package_uri(main_bicep) -> None:
    assert RELEASE_ASSET.fullmatch(_default_uri(main_bicep)), _default_uri(main_bicep)
    fa = next(m for m in main_bicep["modules"] if m["symbol"] == "functionApp")
    assert body_of(fa)[1]["params"]["packageUri"] == {"$ref": "packageUri"}


def test_bicepparam_deploys_no_package(facts) -> None:
    """Path A publishes the working tree with config-zip, azd with `azd deploy`: the template
    must not first deploy CI's package (another version) over it."""
    value = facts["infra/main.bicepparam"]["params"]["packageUri"]["value"]
    assert value == {"$call": "readEnvironmentVariable", "args": ["TEXTOR_PACKAGE_URI", ""]}


# ------------------------------------------------------------- the default URL = what CI publishes

def test_default_url_is_the_asset_ci_publishes(main_bicep, arm_template, workflow) -> None:
    owner, repo, tag, asset = RELEASE_ASSET.fullmatch(_default_uri(main_bicep)).groups()
    assert arm_template["parameters"]["packageUri"]["defaultValue"] == _default_uri(main_bicep)
    job = workflow["jobs"]["package"]
    assert job["env"] == {"PACKAGE_TAG": tag, "PACKAGE_FILE": asset}
    # Flex Consumption's OneDeploy requires this file name (Microsoft Learn, "Deployment package").
    assert asset == "released-package.zip"
    runs = [step.get("run", "") for step in job["steps"]]
    build = next(r for r in runs if "package_app.py" in r)
    assert "--ready-to-run" in build and "--verify" in build and '"$RUNNER_TEMP/$PACKAGE_FILE"' in build
    publish = next(r for r in runs if "gh release upload" in r)
    assert 'gh release upload "$PACKAGE_TAG" "$RUNNER_TEMP/$PACKAGE_FILE" --clobber' in publish
    assert 'git push --force origin "refs/tags/$PACKAGE_TAG"' in publish, "the tag follows main"
    assert "--prerelease" in publish, "never the repository's 'latest' release"


def test_default_url_is_the_buttons_repository(main_bicep) -> None:
    """A fork replaces OWNER/REPO in the button link; the package URL must name the same
    repository, or the fork's button would deploy someone else's code."""
    owner, repo, _, _ = RELEASE_ASSET.fullmatch(_default_uri(main_bicep)).groups()
    readme = (INFRA / "README.md").read_text(encoding="utf-8")
    buttons = re.findall(r"https://portal\.azure\.com/#create/Microsoft\.Template/uri/(https%3A[^\s)\"']+)", readme)
    assert buttons
    for encoded in buttons:
        m = re.fullmatch(r"https://raw\.githubusercontent\.com/([^/]+)/([^/]+)/[^/]+/infra/azuredeploy\.json",
                         unquote(encoded))
        assert m and m.groups() == (owner, repo), (unquote(encoded), owner, repo)


# --------------------------------------------------------------- what the ARM templates deploy

@pytest.mark.parametrize("which", BOTH)
def test_arm_deploys_the_package(deployed, main_bicep, which: str) -> None:
    by_default = deployed(which, "required values only")
    site = one_of_type(by_default, "Microsoft.Web/sites")
    code = one_of_type(by_default, EXTENSIONS)
    assert str(code.name) == f"{site.name}/onedeploy"
    assert code.body == {"properties": {"packageUri": _default_uri(main_bicep), "remoteBuild": False}}
    chosen = one_of_type(deployed(which, "every option set"), EXTENSIONS)
    assert chosen.body["properties"]["packageUri"] == "https://example.com/builds/v1.2.3/released-package.zip"


@pytest.mark.parametrize("which", BOTH)
def test_arm_empty_package_uri_deploys_no_code(deployed, which: str) -> None:
    skipped = deployed(which, "no code package")
    assert not of_type(skipped, EXTENSIONS)
    assert one_of_type(skipped, "Microsoft.Web/sites/config").body["properties"]["SMS_PROVIDER"] == "twilio"


@pytest.mark.parametrize("which", BOTH)
def test_arm_package_waits_for_settings_and_roles(deployed, which: str) -> None:
    """The deployment service stores the package with the app's identity (Storage Blob Data
    Owner) and the host starts on it: both must be in place first."""
    ct = compare_templates()
    for scenario in ("required values only", "every option set"):
        result = deployed(which, scenario)
        code = one_of_type(result, EXTENSIONS)
        before = ct._before(code, {})
        assert one_of_type(result, "Microsoft.Web/sites/config").key in before, f"{scenario}: before the app settings"
        assert one_of_type(result, "Microsoft.Web/sites").key in before
        identity = one_of_type(result, "Microsoft.ManagedIdentity/userAssignedIdentities")
        principal = f"«ref({identity.rid}).principalId»"
        roles = [a for a in of_type(result, "Microsoft.Authorization/roleAssignments")
                 if a.body["properties"]["principalId"] == principal]
        assert len(roles) == 5 and all(a.key in before for a in roles), scenario


@pytest.mark.parametrize("which", BOTH)
def test_code_deployment_grants_nothing(deployed, which: str) -> None:
    """OneDeploy runs with the deployer's own rights: deploying the code adds no identity, no
    role assignment, no script and no storage account."""
    with_code = deployed(which, "required values only")
    without = deployed(which, "no code package")
    assert sorted(set(with_code.resources) - set(without.resources)) == [one_of_type(with_code, EXTENSIONS).key]
    types = {r.rtype.lower() for r in with_code.resources.values()}
    assert "microsoft.resources/deploymentscripts" not in types
    assert len(of_type(with_code, "Microsoft.ManagedIdentity/userAssignedIdentities")) == 1
    assert len(of_type(with_code, "Microsoft.Storage/storageAccounts")) == 1


# ---------------------------------------------------------------------- the ready-to-run package

def test_package_targets_the_site_runtime(module_facts) -> None:
    pa = _package_app()
    site = body_of(resources_of(module_facts["functionApp"], "Microsoft.Web/sites")[0])[1]
    runtime = site["properties"]["functionAppConfig"]["runtime"]
    assert runtime == {"name": "python", "version": pa.PYTHON_VERSION}
    assert pa.SITE_PACKAGES == ".python_packages/lib/site-packages"  # where the Python worker looks
    cmd = pa.pip_install_command(Path("requirements.txt"), Path("out"))
    flags = " ".join(cmd)
    for flag in ("--platform manylinux2014_x86_64", f"--python-version {pa.PYTHON_VERSION}",
                 "--implementation cp", "--only-binary=:all:", "--target out", "-r requirements.txt"):
        assert flag in flags, flag


def _wheel(directory: Path, name: str, version: str, code: str) -> None:
    """A minimal pure-Python wheel, written by hand so the test needs no index and no network."""
    dist = f"{name}-{version}.dist-info"
    files = {f"{name}/__init__.py": code,
             f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
             f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    record = "".join(f"{p},,\n" for p in files) + f"{dist}/RECORD,,\n"
    with zipfile.ZipFile(directory / f"{name}-{version}-py3-none-any.whl", "w") as zf:
        for path, text in {**files, f"{dist}/RECORD": record}.items():
            zf.writestr(path, text)


@pytest.fixture()
def tiny_project(tmp_path: Path, monkeypatch) -> Path:
    """A function app project whose one dependency comes from a local wheel (PIP_NO_INDEX)."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _wheel(wheels, "tinydep", "1.0", "FUNCTIONS = ['a', 'b']\n")
    root = tmp_path / "app"
    root.mkdir()
    (root / "function_app.py").write_text(
        "import tinydep\n\n\nclass _App:\n    def get_functions(self):\n        return tinydep.FUNCTIONS\n\n\n"
        "app = _App()\n", encoding="utf-8")
    (root / "host.json").write_text('{"version": "2.0"}\n', encoding="utf-8")
    (root / "requirements.txt").write_text("tinydep==1.0\n", encoding="utf-8")
    (root / ".python_packages" / "lib").mkdir(parents=True)
    (root / ".python_packages" / "lib" / "stale.py").write_text("", encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    return root


def test_ready_to_run_package_bundles_the_dependencies(tiny_project: Path, tmp_path: Path) -> None:
    pa = _package_app()
    target = tmp_path / "released-package.zip"
    pa.build(target, root=tiny_project, ready_to_run=True)
    names = set(zipfile.ZipFile(target).namelist())
    site = ".python_packages/lib/site-packages"
    assert {"function_app.py", "host.json", "requirements.txt", f"{site}/tinydep/__init__.py",
            f"{site}/tinydep-1.0.dist-info/METADATA"} <= names, sorted(names)
    assert ".python_packages/lib/stale.py" not in names, "a local .python_packages never goes in"
    assert not [n for n in names if "__pycache__" in n or n.startswith(f"{site}/bin/")]
    source = tmp_path / "app.zip"
    pa.build(source, root=tiny_project)
    assert not [n for n in zipfile.ZipFile(source).namelist() if n.startswith(".python_packages/")]


@pytest.mark.skipif((platform.system(), platform.machine(), sys.version_info[:2]) != ("Linux", "x86_64", (3, 12)),
                    reason="--verify loads the package as the Azure runtime would: Linux x86_64, CPython 3.12")
def test_verify_imports_the_app_from_the_package_alone(tiny_project: Path, tmp_path: Path) -> None:
    pa = _package_app()
    ready = tmp_path / "released-package.zip"
    pa.build(ready, root=tiny_project, ready_to_run=True)
    assert pa.verify(ready) == 2
    # The source package lacks tinydep: verify must not find it anywhere else on this machine.
    source = tmp_path / "app.zip"
    pa.build(source, root=tiny_project)
    with pytest.raises(SystemExit, match="No module named 'tinydep'"):
        pa.verify(source)


# ----------------------------------------------------------------------------- the workflow

def test_package_job_publishes_from_main_only(workflow) -> None:
    job = workflow["jobs"]["package"]
    assert set(job["needs"]) == {"bicep", "test"}, "only a build whose templates and tests pass"
    assert "refs/heads/main" in job["if"] and "push" in job["if"] and "pull_request" not in job["if"]
    python = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python"))
    assert str(python["with"]["python-version"]) == _package_app().PYTHON_VERSION
    for step in job["steps"]:
        if "run" in step:
            assert isinstance(step.get("timeout-minutes"), int), step.get("name")
    publish = next(s for s in job["steps"] if "gh release" in s.get("run", ""))
    assert publish["env"]["GH_TOKEN"] == "${{ github.token }}", "the job's own token, no stored secret"


def test_only_the_package_job_may_write(workflow) -> None:
    """Least privilege: the workflow reads; the package job alone writes contents (its tag,
    release and asset), and nothing else."""
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["jobs"]["package"]["permissions"] == {"contents": "write"}
    for name, job in workflow["jobs"].items():
        if name != "package":
            assert "write" not in {v for k, v in job.get("permissions", {}).items() if k != "id-token"}, name


# ------------------------------------------------------------------------------- the README

def test_readme_explains_the_code_deployment() -> None:
    readme = (INFRA / "README.md").read_text(encoding="utf-8")
    for needle in ("released-package.zip", "onedeploy", "packageUri", "main-build", "--ready-to-run",
                   "remoteBuild", "deploymentScripts", "TEXTOR_PACKAGE_URI", "Checked offline"):
        assert needle in readme, f"infra/README.md does not mention {needle!r}"
