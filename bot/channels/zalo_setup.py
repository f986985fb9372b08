"""The Zalo channels built from the settings (the container calls these; each returns None when not configured)."""

from __future__ import annotations

from collections.abc import Callable

from bot.channels import zalo_bot, zalo_oa
from bot.channels.windows import with_window
from bot.channels.zalo_bot import ZaloBotChannel
from bot.channels.zalo_oa import ZaloOAChannel
from bot.clock import Clock
from bot.config import ConfigError, Settings
from storage.uow import Database


def zalo_bot_from(settings: Settings, media_url: Callable[[int], str] | None = None) -> ZaloBotChannel | None:
    if settings.zalo_bot_token is None:
        return None
    rules = with_window(zalo_bot.PACE, hours=settings.zalo_bot_reply_window_hours,
                        replies=settings.zalo_bot_replies_per_window, quota=settings.zalo_bot_proactive_quota)
    return ZaloBotChannel(settings.zalo_bot_token.get_secret_value(), settings.zalo_api_base_url, rules=rules,
                          media_url=media_url)


def zalo_oa_from(settings: Settings, db: Database, clock: Clock,
                 media_url: Callable[[int], str] | None = None) -> ZaloOAChannel | None:
    needed = (settings.zalo_oa_app_id, settings.zalo_oa_app_secret, settings.zalo_oa_secret_key)
    if not any(needed):
        return None
    if not all(needed):
        raise ConfigError("configuration error: ZALO_OA_APP_ID, ZALO_OA_APP_SECRET and ZALO_OA_SECRET_KEY "
                          "are needed together")
    assert settings.zalo_oa_app_id and settings.zalo_oa_app_secret and settings.zalo_oa_secret_key
    # Proactive messages need a verified OA; an unverified one may only reply inside the window.
    quota = settings.zalo_oa_monthly_quota if settings.zalo_oa_verified else 0
    rules = with_window(zalo_oa.PACE, hours=settings.zalo_oa_reply_window_hours,
                        replies=settings.zalo_oa_replies_per_window, quota=quota,
                        reserve=settings.zalo_oa_deadline_reserve)
    return ZaloOAChannel(
        db, clock, app_id=settings.zalo_oa_app_id, app_secret=settings.zalo_oa_app_secret.get_secret_value(),
        secret_key=settings.zalo_oa_secret_key.get_secret_value(), api_base=settings.zalo_oa_api_base_url,
        oauth_base=settings.zalo_oa_oauth_base_url, rules=rules,
        max_event_age=settings.zalo_oa_max_event_age_seconds,
        access_token=_secret(settings.zalo_oa_access_token), refresh_token=_secret(settings.zalo_oa_refresh_token),
        media_url=media_url,
    )


def _secret(value: object) -> str | None:
    getter = getattr(value, "get_secret_value", None)
    return getter() if getter is not None else None
