"""`tiepdan run` (what `make run` starts) with no messenger token: the web chat, the demo, the address printed."""

from __future__ import annotations

import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.support.live_app import TIEPDAN, tiepdan_run

pytestmark = pytest.mark.slow


def test_run_without_a_token_serves_the_web_chat_and_prints_its_address(tmp_path: Path) -> None:
    with tiepdan_run(tmp_path) as app:
        # The acceptance asks for 10 s after installation; timing is reported, not asserted (loaded machines).
        print(f"\n`tiepdan run` served /chat {app.seconds_to_serve:.2f} s after it started (fresh database)")
        printed = app.printed()
        assert f"Web chat: http://127.0.0.1:{app.port}/chat\n" in printed
        assert f"Case tracking: http://127.0.0.1:{app.port}/track\n" in printed
        assert "Demo mode: the demo organisation is loaded" in printed
        assert "No messenger token is configured, so only the web chat runs." in printed
        with urllib.request.urlopen(f"{app.base_url}/chat") as page:
            body = page.read().decode("utf-8")
        assert '<select id="demo-seat" name="as"' in body  # demo mode is on: the "act as" switch is there
        with urllib.request.urlopen(f"{app.base_url}/track") as page:
            assert page.status == 200
        with urllib.request.urlopen(f"{app.base_url}/readyz") as health:
            assert b'"channels": ["web"]' in health.read()
    assert app.process.returncode == 0  # SIGTERM stops it cleanly


def test_serve_refuses_to_start_without_a_web_secret_or_in_demo_mode(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8",
           "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"}
    result = subprocess.run([TIEPDAN, "serve"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].startswith(
        "configuration error: WEB_SECRET: required for `tiepdan serve` (it signs the web chat's cookies)")
    secret = {"WEB_SECRET": "q8Zr3xY0vLk2Wm9Tn4Pb7Hs1Jd6Fc5Ga", "DEMO": "true"}
    result = subprocess.run([TIEPDAN, "serve"], cwd=tmp_path, env=env | secret, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "configuration error: DEMO: demo mode is only for `tiepdan run`, never for serve")
    result = subprocess.run([TIEPDAN, "serve"], cwd=tmp_path, env=env | {"WEB_SECRET": "changeme"},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "configuration error: WEB_SECRET: must be a random value of at least 32 characters, not a placeholder"]
