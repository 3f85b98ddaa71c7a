"""Cold start: indexing the app must not import the heavy SDKs (they load on first use)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ["azure.data.tables", "azure.storage.queue", "azure.storage.blob", "azure.identity", "twilio",
         "pydantic_settings", "phonenumbers", "pydantic"]
# The only shared code indexing may load, all standard library only: the operation declarations
# (shared_code/api, web/operations.py and the dropdowns they name) and the send operations' table.
# The portal's page declarations (shared_code/portal, site.py and every module of PAGE_MODULES)
# are the same kind: standard library only.
def _portal_modules() -> list[str]:
    from shared_code.portal import PAGE_MODULES

    return ["shared_code.portal", *(f"shared_code.portal.{m}" for m in PAGE_MODULES), "shared_code.portal.site"]


INDEX_TIME_SHARED = sorted(["shared_code", "shared_code.api", "shared_code.api.account", "shared_code.api.contacts",
                            "shared_code.api.groups", "shared_code.api.inbound", "shared_code.api.messages",
                            "shared_code.api.places", "shared_code.messaging", "shared_code.messaging.catalog",
                            "shared_code.web", "shared_code.web.dropdowns", "shared_code.web.operations",
                            *_portal_modules()])


def test_indexing_function_app_leaves_heavy_sdks_unloaded():
    code = ("import sys, function_app; function_app.app.get_functions(); "
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_indexing_loads_no_feature_service_model_or_storage_module() -> None:
    code = ("import sys, function_app; function_app.app.get_functions(); "
            "print(sorted(m for m in sys.modules if m.startswith('shared_code')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == repr(INDEX_TIME_SHARED)
