"""Cold start: indexing the app must not import the heavy SDKs (they load on first use)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ["azure.data.tables", "azure.storage.queue", "azure.storage.blob", "azure.identity", "twilio",
         "pydantic_settings", "phonenumbers", "shared_code.services"]


def test_indexing_function_app_leaves_heavy_sdks_unloaded():
    code = ("import sys, function_app; function_app.app.get_functions(); "
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
