"""checkov --framework bicep on infra/: no parsing errors, no failed check without a reason.

checkov exits 0 even when it cannot parse a file (the file is just not scanned), so the
JSON summary's ``parsing_errors`` is asserted. A check may be skipped only inline, inside
the resource, with a written reason that stays next to the code it excuses:

    resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
      // checkov:skip=CKV_AZURE_35:<why this is right here>

One file is left out of the scan, UNSCANNED below, because checkov's Bicep parser (pycep)
knows a fixed list of functions and rejects the file outright; the tests prove that file
declares no resources (so no check is lost) and fail once checkov can parse it.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from .helpers import INFRA, ROOT, infra_tool, run

MIN_REASON = 25  # characters: a reason, not "n/a" or the check's name

# file (relative to infra/) -> why checkov cannot read it
UNSCANNED = {
    "main.bicep": "fail() (the namePrefix rule) is not in pycep's function list; main.bicep holds modules only",
}


def checkov(directory: Path, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    exe = infra_tool("checkov")
    env = {**os.environ, "LOG_LEVEL": "WARNING", "BC_SKIP_MAPPING": "TRUE"}
    skips = [arg for path in skip for arg in ("--skip-path", path)]
    proc = run([exe, "--directory", directory, "--framework", "bicep", "--output", "json",
                "--skip-download", "--compact", *skips], check=False, env=env, timeout=240)
    if proc.returncode not in (0, 1):  # 1 = failed checks; anything else = checkov broke
        pytest.fail(f"checkov exited {proc.returncode}:\n{proc.stderr[-4000:]}", pytrace=False)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"checkov printed no JSON:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}", pytrace=False)
    if isinstance(report, list):  # one entry per framework
        report = next(r for r in report if r.get("check_type") == "bicep")
    if "summary" not in report:  # no resources found at all
        report = {"summary": {"parsing_errors": 0, "resource_count": 0, "failed": 0},
                  "results": {"failed_checks": [], "skipped_checks": []}}
    return report


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    return checkov(INFRA, tuple(UNSCANNED))


def _where(check: dict[str, Any]) -> str:
    return f"{check['check_id']} on {check['resource']} ({check['file_path']}:{check['file_line_range'][0]})"


def test_every_bicep_file_parsed(report) -> None:
    summary = report["summary"]
    assert summary["parsing_errors"] == 0, (
        f"checkov could not parse {summary['parsing_errors']} file(s) and skipped them; run "
        "LOG_LEVEL=DEBUG .venv-infra/bin/checkov -d infra --framework bicep to see which "
        "(its parser lacks some newer Bicep syntax, e.g. lambdas and multi-line ternaries)")
    assert summary["resource_count"] >= 20, f"checkov saw only {summary['resource_count']} resources"


def test_unscanned_files_declare_no_resources(facts) -> None:
    """Nothing checkov would check is in a file it skips."""
    for name in UNSCANNED:
        f = facts[f"infra/{name}"]
        assert not f["resources"], f"infra/{name} declares resources, but checkov skips the file"


def test_unscanned_files_really_defeat_checkov(tmp_path: Path) -> None:
    """When checkov learns to parse the file, scan it again: drop it from UNSCANNED."""
    for name in UNSCANNED:
        shutil.copy(INFRA / name, tmp_path / Path(name).name)
    result = checkov(tmp_path)
    assert result["summary"]["parsing_errors"] == len(UNSCANNED), (
        "checkov parses the skipped files now: remove them from UNSCANNED")


def test_ftp_check_is_skipped_inline_with_the_flex_reason(report) -> None:
    """Flex sites reject the siteConfig FTP property: CKV_AZURE_78 is answered by the two
    basicPublishingCredentialsPolicies, in writing, next to the site."""
    skipped = [c for c in report["results"].get("skipped_checks", [])
               if c["check_id"] == "CKV_AZURE_78" and c["resource"] == "Microsoft.Web/sites.site"]
    assert len(skipped) == 1, "CKV_AZURE_78 must be skipped inline on the site"
    reason = skipped[0]["check_result"]["suppress_comment"]
    assert "basicPublishingCredentialsPolicies" in reason and "51021" in reason, reason


def test_no_failed_checks(report) -> None:
    failed = report["results"].get("failed_checks", [])
    assert not failed, "checkov checks failed (fix, or skip inline with a reason):\n" + "\n".join(
        f"  {_where(c)}: {c['check_name']}" for c in failed)


def test_every_skip_has_a_reason(report) -> None:
    skipped = report["results"].get("skipped_checks", [])
    weak = [c for c in skipped
            if len((c.get("check_result", {}).get("suppress_comment") or "").strip()) < MIN_REASON]
    assert not weak, "skips need a written reason (// checkov:skip=ID:reason):\n" + "\n".join(
        f"  {_where(c)}: {c.get('check_result', {}).get('suppress_comment')!r}" for c in weak)


def test_skips_are_inline_in_infra(report) -> None:
    """No hidden skip list: checkov must not pick up a config file that silences checks."""
    for name in (".checkov.yaml", ".checkov.yml"):
        for where in (ROOT, INFRA):
            assert not (where / name).exists(), f"{(where / name).relative_to(ROOT)}: use inline skips"


def test_checkov_catches_problems(tmp_path: Path) -> None:
    """Canary: an insecure storage account fails checks, an unparsable file counts as a
    parsing error. Otherwise the tests above could pass on a checkov that scans nothing."""
    (tmp_path / "insecure.bicep").write_text(
        "resource sa 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n"
        "  name: 'insecure'\n  location: 'westeurope'\n  kind: 'StorageV2'\n"
        "  sku: { name: 'Standard_LRS' }\n"
        "  properties: {\n    minimumTlsVersion: 'TLS1_0'\n    allowBlobPublicAccess: true\n"
        "    supportsHttpsTrafficOnly: false\n  }\n}\n")
    (tmp_path / "unparsable.bicep").write_text("resource x 'A/b@2020-01-01' = {\n  name: \n")
    result = checkov(tmp_path)
    failed = {c["check_id"] for c in result["results"].get("failed_checks", [])}
    assert "CKV_AZURE_44" in failed, f"TLS 1.0 not reported; failed checks: {sorted(failed)}"
    assert "CKV_AZURE_3" in failed, f"http traffic not reported; failed checks: {sorted(failed)}"
    assert result["summary"]["parsing_errors"] >= 1
