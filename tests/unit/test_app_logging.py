"""What the app sends to Application Insights: in Azure the worker forwards every record at or
above Information, so the Azure SDK's request log (two records per storage call) would be a
billed line per call. The app (not devhost) turns it down at start; SDK warnings still pass."""

from __future__ import annotations

import logging

import pytest


def test_storage_calls_log_no_request_lines_once_the_app_is_loaded(storage, caplog: pytest.LogCaptureFixture) -> None:
    import function_app  # noqa: F401  (the composition root configures logging)
    from shared_code.accounts.storage import accounts_repo
    from shared_code.common.logs import SDK_REQUEST_LOGGER

    caplog.set_level(logging.INFO)
    accounts_repo().get("no-such-account")
    sdk = [r for r in caplog.records if r.name == SDK_REQUEST_LOGGER]
    assert sdk == [], [r.getMessage()[:80] for r in sdk]
    logging.getLogger(SDK_REQUEST_LOGGER).warning("a warning still reaches the logs")
    assert [r.levelname for r in caplog.records if r.name == SDK_REQUEST_LOGGER] == ["WARNING"]
