"""Settings from the environment (app settings in Azure, local.settings.json locally).

Validated once per process; ``reset_settings()`` exists for tests that change the environment.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    storage_connection: str | None = Field(
        default=None, validation_alias=AliasChoices("AzureWebJobsStorage"),
        description="Storage connection string (Azurite locally). Unset in Azure: identity is used.",
    )
    storage_account_name: str | None = Field(
        default=None, validation_alias=AliasChoices("AzureWebJobsStorage__accountName"),
        description="Storage account name for identity-based access (managed identity).",
    )
    storage_client_id: str | None = Field(
        default=None, validation_alias=AliasChoices("AzureWebJobsStorage__clientId"),
        description="Client id of the user-assigned managed identity used for storage.",
    )
    table_prefix: str = Field(default="", validation_alias=AliasChoices("TABLE_PREFIX"),
                              pattern=r"^[A-Za-z]?[A-Za-z0-9]{0,20}$")
    sms_provider: Literal["outbox", "twilio"] = Field(
        default="outbox", validation_alias=AliasChoices("SMS_PROVIDER"))
    twilio_account_sid: str | None = Field(default=None, validation_alias=AliasChoices("TWILIO_ACCOUNT_SID"))
    twilio_auth_token: str | None = Field(default=None, validation_alias=AliasChoices("TWILIO_AUTH_TOKEN"),
                                          repr=False)
    twilio_messaging_service_sid: str | None = Field(
        default=None, validation_alias=AliasChoices("TWILIO_MESSAGING_SERVICE_SID"))
    twilio_api_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("TWILIO_API_BASE_URL"),
        description="Only for tests: send Twilio API calls to this base URL (a fake or Prism).")
    sms_timeout_seconds: float = Field(default=10.0, gt=0, validation_alias=AliasChoices("SMS_TIMEOUT_SECONDS"))
    send_concurrency: int = Field(default=8, ge=1, le=64, validation_alias=AliasChoices("SEND_CONCURRENCY"),
                                  description="Provider calls in flight per send batch.")
    send_rate_per_second: float = Field(default=0, ge=0, validation_alias=AliasChoices("SEND_RATE_PER_SECOND"),
                                        description="Cap on provider calls per second per instance; 0 = none.")
    send_max_attempts: int = Field(default=8, ge=1, le=20, validation_alias=AliasChoices("SEND_MAX_ATTEMPTS"))
    send_stuck_seconds: float = Field(
        default=60, gt=0, validation_alias=AliasChoices("SEND_STUCK_SECONDS"),
        description="A recipient left 'sending' this long is from a worker that died; it is reconciled "
                    "with the provider. Keep it above SMS_TIMEOUT_SECONDS.")
    public_base_url: str | None = Field(default=None, validation_alias=AliasChoices("PUBLIC_BASE_URL"))
    default_region: str = Field(default="US", validation_alias=AliasChoices("DEFAULT_REGION"),
                                pattern=r"^[A-Z]{2}$")
    rate_limit_per_minute: int = Field(default=600, ge=0,
                                       validation_alias=AliasChoices("RATE_LIMIT_PER_MINUTE"))
    max_body_bytes: int = Field(default=1_048_576, gt=0, validation_alias=AliasChoices("MAX_BODY_BYTES"))
    portal_first_admin: str = Field(
        default="", validation_alias=AliasChoices("PORTAL_FIRST_ADMIN"),
        description="Sign-in email of who may create the first business account in the portal (the deployer); "
                    "empty: anyone signed in may create one (local runs).")
    key_last_used_interval_seconds: int = Field(
        default=60, ge=0, validation_alias=AliasChoices("KEY_LAST_USED_INTERVAL_SECONDS"))
    # received texts and trigger deliveries (shared_code/triggers/notify.py)
    callback_allow_localhost: bool = Field(
        default=False, validation_alias=AliasChoices("CALLBACK_ALLOW_LOCALHOST"),
        description="Local development only: trigger callbacks may go to 127.0.0.1/localhost, over http too.")
    inbound_group_window_ms: float = Field(
        default=100.0, ge=0, le=1000, validation_alias=AliasChoices("INBOUND_GROUP_WINDOW_MS"),
        description="How long a received text's webhook waits for others to share its queue message.")
    notify_timeout_seconds: float = Field(default=10.0, gt=0, le=120,
                                          validation_alias=AliasChoices("NOTIFY_TIMEOUT_SECONDS"))
    notify_backoff_seconds: float = Field(
        default=10.0, gt=0, validation_alias=AliasChoices("NOTIFY_BACKOFF_SECONDS"),
        description="First retry delay of a failed trigger delivery; doubles per attempt.")
    notify_backoff_max_seconds: float = Field(default=3600.0, gt=0,
                                              validation_alias=AliasChoices("NOTIFY_BACKOFF_MAX_SECONDS"))
    notify_max_age_seconds: float = Field(
        default=86400.0, gt=0, validation_alias=AliasChoices("NOTIFY_MAX_AGE_SECONDS"),
        description="A delivery still failing this long after its first attempt is dead-lettered.")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    get_settings.cache_clear()
