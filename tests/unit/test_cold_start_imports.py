"""Cold start: indexing the app must not import the heavy SDKs (they load on first use)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ["azure.data.tables", "azure.storage.queue", "azure.storage.blob", "azure.identity", "twilio",
         "pydantic_settings", "phonenumbers", "pydantic"]
# The only shared code indexing may load, all standard library only: the operation declarations
# (shared_code/api, web/operations.py and the dropdowns they name) and the send operations' table.
# Nothing of the portal (shared_code/portal): its one function is registered without it, and
# the page modules load on the first page request.
INDEX_TIME_SHARED = ["shared_code", "shared_code.api", "shared_code.api.account", "shared_code.api.contacts",
                     "shared_code.api.groups", "shared_code.api.inbound", "shared_code.api.messages",
                     "shared_code.api.places", "shared_code.common", "shared_code.common.logs",
                     "shared_code.messaging", "shared_code.messaging.catalog", "shared_code.web",
                     "shared_code.web.dropdowns", "shared_code.web.operations"]


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
