"""What the app logs in Azure, set once at start (``function_app``): the Python worker sends
every record at or above the host's level (host.json: Information) to Application Insights,
where each line is billed ingestion.

The Azure SDK's ``HttpLoggingPolicy`` logs every storage request and response at INFO (URL,
headers: two records per call). The worker only treats ``azure.functions`` as its own, so in
Azure those records would be the app's: a few per text sent or received, each one billed,
and the CPU to format them. Warnings and errors of the SDK still come through.
"""

from __future__ import annotations

import logging

SDK_REQUEST_LOGGER = "azure.core.pipeline.policies.http_logging_policy"


def configure() -> None:
    logging.getLogger(SDK_REQUEST_LOGGER).setLevel(logging.WARNING)
