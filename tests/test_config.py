"""Configuration: a bad value stops `tiepdan` with exit code 2 and one line naming the variable; `.env` works."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings

TIEPDAN = str(Path(sys.executable).parent / "tiepdan")
PREFIX = "configuration error: "


def tiepdan(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed command in a clean environment (only what the test gives), in `cwd` (for `.env`)."""
    clean = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "LANG": "C.UTF-8"}
    return subprocess.run(
        [TIEPDAN, *args], cwd=cwd, env=clean | (env or {}), capture_output=True, text=True, timeout=120,
    )


BAD_VALUES = [
    ("DATABASE_URL", "mysql://root@localhost/tiepdan",
     "DATABASE_URL: must be sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB"),
    ("TIMEZONE", "Mars/Olympus", "TIMEZONE: unknown time zone"),
    ("WEBHOOK_SECRET", "short", "WEBHOOK_SECRET: must be 8-256 characters of A-Z a-z 0-9 _ -"),
    ("WEBHOOK_SECRET", "has spaces in it", "WEBHOOK_SECRET: must be 8-256 characters of A-Z a-z 0-9 _ -"),
    ("TELEGRAM_BOT_TOKEN", "changeme", "TELEGRAM_BOT_TOKEN: looks like a placeholder, not a token"),
    ("LOG_LEVEL", "LOUD", "LOG_LEVEL: must be DEBUG, INFO, WARNING, ERROR or CRITICAL"),
    ("PORT", "99999", "PORT: Input should be less than or equal to 65535"),
    ("PORT", "eighty", "PORT: Input should be a valid integer, unable to parse string as an integer"),
    ("TELEGRAM_API_BASE_URL", "ftp://x", "TELEGRAM_API_BASE_URL: must be an http(s) URL"),
    ("WEBHOOK_URL", "http://bot.example.vn", "WEBHOOK_URL: must be an https:// URL (platforms refuse plain http)"),
    ("ORG_FILE", "org/missing.yaml", "ORG_FILE: no such file: org/missing.yaml"),
    ("LEASE_SECONDS", "0", "LEASE_SECONDS: Input should be greater than 0"),
]


@pytest.mark.parametrize(("name", "value", "line"), BAD_VALUES, ids=[f"{n}={v}" for n, v, _ in BAD_VALUES])
def test_a_bad_value_stops_the_start_with_one_line(tmp_path: Path, name: str, value: str, line: str) -> None:
    result = tiepdan("run", cwd=tmp_path, env={name: value})
    assert result.returncode == 2
    assert result.stderr.splitlines() == [PREFIX + line]
    assert result.stdout == ""


def test_a_bad_value_in_dotenv_is_reported_the_same_way(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("# local settings\nTIMEZONE=Mars/Olympus\n", encoding="utf-8")
    result = tiepdan("run", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [PREFIX + "TIMEZONE: unknown time zone"]


def test_several_bad_values_still_give_one_line(tmp_path: Path) -> None:
    result = tiepdan("run", cwd=tmp_path, env={"LOG_LEVEL": "LOUD", "PORT": "-1", "TIMEZONE": "Nowhere"})
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(PREFIX)


def test_a_rejected_token_is_not_echoed(tmp_path: Path) -> None:
    token = "123456:AAH secret part"  # a pasted token with spaces in it
    result = tiepdan("run", cwd=tmp_path, env={"TELEGRAM_BOT_TOKEN": token})
    assert result.returncode == 2
    assert result.stderr.splitlines() == [PREFIX + "TELEGRAM_BOT_TOKEN: looks like a placeholder, not a token"]
    assert "secret part" not in result.stderr + result.stdout


def test_settings_come_from_dotenv(tmp_path: Path) -> None:
    database = tmp_path / "from-dotenv.db"
    (tmp_path / ".env").write_text(
        f"DATABASE_URL=sqlite+aiosqlite:///{database}\nLOG_LEVEL=warning\n", encoding="utf-8"
    )
    result = tiepdan("migrate", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "database is up to date\n"), result.stderr
    assert database.exists()
    assert result.stderr == ""  # LOG_LEVEL=warning from .env silences alembic's INFO lines


def test_the_environment_wins_over_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("LOG_LEVEL=LOUD\nTIMEZONE=Mars/Olympus\n", encoding="utf-8")
    result = tiepdan("run", cwd=tmp_path, env={"TIMEZONE": "Asia/Ho_Chi_Minh"})
    assert result.returncode == 2
    assert result.stderr.splitlines() == [PREFIX + "LOG_LEVEL: must be DEBUG, INFO, WARNING, ERROR or CRITICAL"]


# --- in-process: what a good value becomes ---------------------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


def settings(**values: object) -> Settings:
    return load_settings(_env_file=None, **values)


def test_defaults(clean_env: None) -> None:
    s = settings()
    assert s.telegram_bot_token is None
    assert s.telegram_api_base_url == "https://api.telegram.org"
    assert s.database_url.startswith("sqlite+aiosqlite:///") and s.database_url.endswith("/var/tiepdan.db")
    assert (s.timezone, s.log_level, s.port, s.default_language) == ("Asia/Ho_Chi_Minh", "INFO", 8080, "vi")
    assert s.secrets() == []


def test_good_values_are_normalised(clean_env: None) -> None:
    s = settings(
        database_url="postgres://tiepdan@db.internal/tiepdan", telegram_api_base_url="http://127.0.0.1:8081/",
        log_level="debug", telegram_bot_token="  123456:AAH-token_value  ", webhook_secret="s3cret_S3CRET-x",
    )
    assert s.database_url == "postgresql+asyncpg://tiepdan@db.internal/tiepdan"
    assert s.telegram_api_base_url == "http://127.0.0.1:8081"
    assert s.log_level == "DEBUG"
    assert s.telegram_bot_token is not None and s.telegram_bot_token.get_secret_value() == "123456:AAH-token_value"
    assert s.secrets() == ["123456:AAH-token_value", "s3cret_S3CRET-x"]


def test_secrets_do_not_show_in_the_settings_repr(clean_env: None) -> None:
    s = settings(telegram_bot_token="123456:AAH-token_value", webhook_secret="s3cret_S3CRET-x")
    assert "AAH-token_value" not in repr(s) and "s3cret_S3CRET-x" not in repr(s)


def test_an_empty_token_means_no_channel(clean_env: None) -> None:
    assert settings(telegram_bot_token="   ").telegram_bot_token is None


def test_load_settings_names_the_variable(clean_env: None) -> None:
    with pytest.raises(ConfigError) as info:
        settings(timezone="Mars/Olympus")
    assert info.value.code == "configuration error: TIMEZONE: unknown time zone"
