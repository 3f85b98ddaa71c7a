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
    public_base_url: str | None = Field(default=None, validation_alias=AliasChoices("PUBLIC_BASE_URL"))
    default_region: str = Field(default="US", validation_alias=AliasChoices("DEFAULT_REGION"),
                                pattern=r"^[A-Z]{2}$")
    rate_limit_per_minute: int = Field(default=600, ge=0,
                                       validation_alias=AliasChoices("RATE_LIMIT_PER_MINUTE"))
    max_body_bytes: int = Field(default=1_048_576, gt=0, validation_alias=AliasChoices("MAX_BODY_BYTES"))
    key_last_used_interval_seconds: int = Field(
        default=60, ge=0, validation_alias=AliasChoices("KEY_LAST_USED_INTERVAL_SECONDS"))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    get_settings.cache_clear()
