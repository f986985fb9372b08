"""Typed settings from the environment and `.env`. A bad value stops the start with one line naming it."""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = f"sqlite+aiosqlite:///{ROOT / 'var' / 'tiepdan.db'}"
SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,256}$")
PLACEHOLDERS = {"changeme", "change-me", "secret", "xxx", "your-token-here", "token"}


class ConfigError(SystemExit):
    """Raised with a one-line, human message; the process exits non-zero."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org"
    zalo_bot_token: SecretStr | None = None
    zalo_api_base_url: str = "https://bot-api.zaloplatforms.com"
    zalo_webhook_secret: SecretStr | None = None
    database_url: str = DEFAULT_DB
    org_file: Path = ROOT / "org" / "demo.yaml"
    timezone: str = "Asia/Ho_Chi_Minh"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    log_level: str = "INFO"
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    default_language: str = "vi"
    demo: bool = False
    lease_seconds: float = Field(default=30.0, gt=0)
    public_base_url: str = "http://127.0.0.1:8080"

    @field_validator("telegram_bot_token", "zalo_bot_token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        raw = value.get_secret_value().strip()
        if raw.lower() in PLACEHOLDERS or len(raw) < 8 or any(c.isspace() for c in raw):
            raise ValueError("looks like a placeholder, not a token")
        return SecretStr(raw)

    @field_validator("webhook_secret", "zalo_webhook_secret")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        raw = value.get_secret_value()
        if raw.lower() in PLACEHOLDERS or not SECRET_TOKEN.match(raw):
            raise ValueError("must be 8-256 characters of A-Z a-z 0-9 _ -")
        return value

    @field_validator("telegram_api_base_url", "zalo_api_base_url", "public_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value and not value.startswith("https://"):
            raise ValueError("must be an https:// URL (platforms refuse plain http)")
        return value or None

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        if value.startswith("postgres://") or value.startswith("postgresql://"):
            value = "postgresql+asyncpg://" + value.split("://", 1)[1]
        if not (value.startswith("sqlite+aiosqlite://") or value.startswith("postgresql+asyncpg://")):
            raise ValueError("must be sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB")
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown time zone") from exc
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value.upper()

    @field_validator("default_language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in {"vi", "en"}:
            raise ValueError("must be vi or en")
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def secrets(self) -> list[str]:
        """Every secret value, so the log filter can mask it."""
        values = [self.telegram_bot_token, self.zalo_bot_token, self.webhook_secret, self.zalo_webhook_secret]
        return [v.get_secret_value() for v in values if v is not None]


def load_settings(**overrides: object) -> Settings:
    """Settings, or a ConfigError whose message names the variable and the reason on one line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).upper() if error["loc"] else "configuration"
        reason = error["msg"].removeprefix("Value error, ")
        raise ConfigError(f"configuration error: {name}: {reason}") from None
