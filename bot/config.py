"""Typed settings from the environment and `.env`. A bad value stops the start with one line naming it."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = f"sqlite+aiosqlite:///{ROOT / 'var' / 'tiepdan.db'}"
SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,256}$")
PLACEHOLDERS = {"changeme", "change-me", "secret", "xxx", "your-token-here", "token"}


class ConfigError(SystemExit):
    """Raised with a one-line, human message; the process exits non-zero."""


def _credential(value: SecretStr | None, what: str) -> SecretStr | None:
    """A platform token or key, trimmed: None when unset or blank, refused when it looks like a placeholder."""
    if value is None or not value.get_secret_value().strip():
        return None
    raw = value.get_secret_value().strip()
    if raw.lower() in PLACEHOLDERS or len(raw) < 8 or any(c.isspace() for c in raw):
        raise ValueError(f"looks like a placeholder, not {what}")
    return SecretStr(raw)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org"
    zalo_bot_token: SecretStr | None = None
    zalo_api_base_url: str = "https://bot-api.zaloplatforms.com"
    zalo_webhook_secret: SecretStr | None = None
    # Zalo's reply windows are undocumented for the Bot API: by default it is treated like an Official Account.
    zalo_bot_reply_window_hours: float = Field(default=48.0, ge=0)  # 0: the bot may write at any time
    zalo_bot_replies_per_window: int = Field(default=8, ge=0)  # 0: no count within the window
    zalo_bot_proactive_quota: int = Field(default=0, ge=0)  # messages a month outside the window
    zalo_oa_app_id: str | None = None
    zalo_oa_app_secret: SecretStr | None = None  # the app's secret key: refreshes the OA access token
    zalo_oa_secret_key: SecretStr | None = None  # the OA secret key: verifies X-ZEvent-Signature
    zalo_oa_access_token: SecretStr | None = None  # bootstrap only: the database keeps the live tokens
    zalo_oa_refresh_token: SecretStr | None = None
    zalo_oa_api_base_url: str = "https://openapi.zalo.me"
    zalo_oa_oauth_base_url: str = "https://oauth.zaloapp.com"
    zalo_oa_verified: bool = False  # only a verified OA may send proactive messages
    zalo_oa_monthly_quota: int = Field(default=1000, ge=0)
    # Of the quota, kept for officials' deadline notices (announcements leave it alone); unset: a fifth.
    zalo_oa_deadline_reserve: int | None = Field(default=None, ge=0)
    zalo_oa_reply_window_hours: float = Field(default=48.0, ge=0)
    zalo_oa_replies_per_window: int = Field(default=8, ge=0)
    zalo_oa_max_event_age_seconds: float = Field(default=900.0, ge=0)  # older (or later) events are refused
    database_url: str = DEFAULT_DB
    org_file: Path = ROOT / "org" / "demo.yaml"
    timezone: str = "Asia/Ho_Chi_Minh"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    web_secret: SecretStr | None = None  # signs the web chat's cookie; `run` makes one in var/ when unset
    log_level: str = "INFO"
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    default_language: str = "vi"
    demo: bool = False
    # A process whose heartbeat is this old is taken for dead: its chats and channels go to the others.
    lease_seconds: float = Field(default=5.0, gt=0)
    # Group commit: the conversation steps of up to this many chats ready together share one transaction
    # (1: one transaction per step).
    group_commit_chats: int = Field(default=8, ge=1, le=64)
    worker_port: int = Field(default=8081, ge=0, le=65535)  # `tiepdan worker`'s /healthz and /readyz
    ready_max_age_seconds: float = Field(default=120.0, gt=0)  # /readyz: oldest waiting inbox/outbox row
    health_token: SecretStr | None = None  # shows /readyz's detail to a caller that is not on localhost
    public_base_url: str = "http://127.0.0.1:8080"
    # Web Push (calling a web chat visitor back): the VAPID key (PEM or base64url DER); a per-process one if unset.
    vapid_private_key: SecretStr | None = None
    vapid_subject: str = "mailto:tiepdan@localhost"
    web_push_plain_http: bool = False  # tests only: a local fake push service on http://127.0.0.1
    # Open to the city: Open311, /metrics, exports, the leaders' dashboard.
    open311_jurisdiction: str = "tiepdan"  # the jurisdiction_id Open311 clients may send
    open311_contact: str = ""  # who runs the API, shown in discovery
    metrics_token: SecretStr | None = None  # /metrics needs "Authorization: Bearer ..."; unset: localhost only
    export_columns_file: Path | None = None  # YAML column mapping for exports (e.g. the national system's)
    dashboard_session_hours: int = Field(default=8, ge=1, le=24)
    # The dashboard map's tiles, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png; unset: no tiles (markers only).
    dashboard_map_tiles: str | None = None
    dashboard_map_attribution: str = ""
    # Untrusted pictures: refused above this many pixels (read from the header, before decoding); decoded in a
    # separate process capped at this much memory and killed after this many seconds.
    media_max_pixels: int = Field(default=40_000_000, ge=1_000_000)
    media_worker_memory_mb: int = Field(default=768, ge=128)
    media_worker_seconds: float = Field(default=15.0, gt=0)
    # Reverse proxies whose X-Forwarded-For is believed (comma-separated addresses or networks); empty: the
    # peer address is the client's.
    trusted_proxies: str = ""
    # Raw inbox payloads (once processed), sent messages and quiet web transcripts are deleted after this long.
    retention_days: int = Field(default=30, ge=1)
    # Sites allowed to frame the pages (Content-Security-Policy frame-ancestors), e.g. the city portal that
    # embeds the chat: "https://portal.example.gov.vn". Default: nobody (also X-Frame-Options: DENY).
    frame_ancestors: str = "'none'"
    # Abuse limits of the web chat (see README "Abuse limits"): cases a day, the page's proof of work.
    web_cases_per_visitor_per_day: int = Field(default=3, ge=1)
    web_cases_per_address_per_day: int = Field(default=10, ge=1)
    web_proof_bits: int = Field(default=16, ge=0, le=28)

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: str) -> str:
        for item in value.split(","):
            if item.strip():
                try:
                    ipaddress.ip_network(item.strip(), strict=False)
                except ValueError as exc:
                    raise ValueError(f"not an address or network: {item.strip()}") from exc
        return value

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [v.strip() for v in self.trusted_proxies.split(",") if v.strip()]

    @field_validator("telegram_bot_token", "zalo_bot_token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        return _credential(value, "a token")

    @field_validator("webhook_secret", "zalo_webhook_secret")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        raw = value.get_secret_value()
        if raw.lower() in PLACEHOLDERS or not SECRET_TOKEN.match(raw):
            raise ValueError("must be 8-256 characters of A-Z a-z 0-9 _ -")
        return value

    @field_validator("web_secret")
    @classmethod
    def _web_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        raw = value.get_secret_value()
        if raw.lower() in PLACEHOLDERS or len(raw) < 32 or len(set(raw)) < 8 or any(c.isspace() for c in raw):
            raise ValueError("must be a random value of at least 32 characters, not a placeholder")
        return value

    @field_validator("zalo_oa_app_secret", "zalo_oa_secret_key", "zalo_oa_access_token", "zalo_oa_refresh_token")
    @classmethod
    def _zalo_oa_secret(cls, value: SecretStr | None) -> SecretStr | None:
        return _credential(value, "a Zalo key or token")

    @field_validator("zalo_oa_app_id")
    @classmethod
    def _zalo_oa_app_id(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.strip().isdigit():
            raise ValueError("must be the numeric app id from developers.zalo.me")
        return value.strip()

    @field_validator("telegram_api_base_url", "zalo_api_base_url", "public_base_url", "zalo_oa_api_base_url",
                     "zalo_oa_oauth_base_url")
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

    @field_validator("org_file")
    @classmethod
    def _org_file(cls, value: Path) -> Path:
        # Checked here so that a typo stops the start with the variable's name, before any migration runs.
        if not value.is_file():
            raise ValueError(f"no such file: {value}")
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
        values = [self.telegram_bot_token, self.zalo_bot_token, self.webhook_secret, self.zalo_webhook_secret,
                  self.web_secret, self.zalo_oa_app_secret, self.zalo_oa_secret_key, self.zalo_oa_access_token,
                  self.zalo_oa_refresh_token, self.metrics_token, self.vapid_private_key]
        return [v.get_secret_value() for v in values if v is not None]


def load_settings(**overrides: Any) -> Settings:  # pydantic checks each value
    """Settings, or a ConfigError whose message names the variable and the reason on one line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).upper() if error["loc"] else "configuration"
        reason = error["msg"].removeprefix("Value error, ")
        raise ConfigError(f"configuration error: {name}: {reason}") from None


def dev_web_secret(folder: Path = ROOT / "var") -> SecretStr:
    """The web chat's signing secret for `run` when WEB_SECRET is unset: made once, kept in var/ (mode 0600),
    so a visitor's conversation survives restarts. Production (`serve`) must set WEB_SECRET instead."""
    path = folder / "web-secret"
    if path.exists():
        value = path.read_text(encoding="ascii").strip()
        if len(value) >= 32:
            return SecretStr(value)
    folder.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(value + "\n")
    return SecretStr(value)
