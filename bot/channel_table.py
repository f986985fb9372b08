"""The channel table: every messenger the bot speaks, as one row the container and the runner loop over.

A row says how its channel is built from the settings (None when it is not configured), which routes it adds
to the web app (webhooks), how `tiepdan serve` points the platform at them, and which loops it runs. Adding a
messenger is one adapter (bot/channels/) and one row here, or `register_channel` from outside the package;
the container, the runner and the configuration do not change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import web
from pydantic import SecretStr

from bot.channels.base import Channel
from bot.channels.telegram import TelegramChannel
from bot.channels.webchat import WebChatChannel
from bot.channels.zalo_oa import ZaloOAChannel
from bot.channels.zalo_setup import zalo_bot_from, zalo_oa_from
from bot.clock import Clock
from bot.config import Settings
from bot.services.receiving import Receiver
from bot.web.telegram_webhook import add_telegram_webhook
from bot.web.zalo_webhooks import add_zalo_bot_webhook, add_zalo_oa_webhook
from storage.uow import Database

if TYPE_CHECKING:
    from bot.services.media import MediaStore

Loop = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class ChannelContext:
    """What a channel may need to be built: the settings and the shared parts of the process."""

    settings: Settings
    db: Database
    clock: Clock
    media: MediaStore
    media_url: Callable[[int], str]  # a signed, expiring link to a stored file (platforms that take URLs)


class Wiring(Protocol):
    """The part of the container a channel's routes and loops use."""

    settings: Settings
    receiver: Receiver


@dataclass(frozen=True)
class ChannelKind:
    """One row of the table."""

    name: str
    build: Callable[[ChannelContext], Channel | None]
    # A messenger citizens are reached on (the web chat is always there and is not one).
    messenger: Callable[[Settings], bool] = lambda _settings: False
    # The routes the web app serves for it (webhooks); only where the settings allow them.
    routes: Callable[[web.Application, Any, Wiring], None] | None = None
    # `tiepdan serve`: tell the platform where the webhook is.
    point_webhook: Callable[[Any, Settings], Awaitable[None]] | None = None
    # Long-running loops in every mode that works (name -> loop), supervised by the container.
    loops: Callable[[Any, Wiring], dict[str, Loop]] = field(default=lambda _channel, _wiring: {})
    # `tiepdan run` (no webhook): the loops that fetch updates from the platform.
    polls: Callable[[Any, Wiring], dict[str, Loop]] = field(default=lambda _channel, _wiring: {})


def _webhook_base(settings: Settings) -> str | None:
    return settings.webhook_url.rstrip("/") if settings.webhook_url else None


# --- the rows ----------------------------------------------------------------------------------------------


def _webchat(context: ChannelContext) -> WebChatChannel:
    return WebChatChannel(context.db, context.clock)  # always on: the page at /chat needs no token


def _telegram(context: ChannelContext) -> TelegramChannel | None:
    token = context.settings.telegram_bot_token
    if token is None:
        return None
    return TelegramChannel(token.get_secret_value(), context.settings.telegram_api_base_url,
                           load_attachment=context.media.load)


@dataclass(frozen=True)
class SecretWebhook:
    """A webhook at `path` that checks a shared secret from the settings: served when the secret is set, and
    `tiepdan serve` points the platform at it (`channel.set_webhook(url, secret)`) when the public URL is set."""

    path: str
    secret_of: Callable[[Settings], SecretStr | None]
    add_route: Callable[[web.Application, Any, Receiver, str], None]

    def routes(self, app: web.Application, channel: Any, wiring: Wiring) -> None:
        secret = self.secret_of(wiring.settings)
        if secret is not None:
            self.add_route(app, channel, wiring.receiver, secret.get_secret_value())

    async def point(self, channel: Any, settings: Settings) -> None:
        base, secret = _webhook_base(settings), self.secret_of(settings)
        if base and secret:
            await channel.set_webhook(f"{base}{self.path}", secret.get_secret_value())


TELEGRAM_WEBHOOK = SecretWebhook("/telegram/webhook", lambda s: s.webhook_secret, add_telegram_webhook)
ZALO_BOT_WEBHOOK = SecretWebhook("/zalo/webhook", lambda s: s.zalo_webhook_secret, add_zalo_bot_webhook)


def _zalo_oa_routes(app: web.Application, channel: ZaloOAChannel, wiring: Wiring) -> None:
    add_zalo_oa_webhook(app, channel, wiring.receiver)


def _polling(channel: Any, wiring: Wiring) -> dict[str, Loop]:
    """Long polling (Telegram getUpdates, Zalo Bot getUpdates): each batch stored before it is confirmed."""

    async def poll() -> None:
        await channel.poll(lambda _name, batch: wiring.receiver.store(channel, batch))

    return {f"{channel.name}-poll": poll}


CHANNEL_TABLE: list[ChannelKind] = [
    ChannelKind("web", _webchat, loops=lambda channel, _wiring: {"webchat-follow": channel.follow}),
    ChannelKind("telegram", _telegram, messenger=lambda s: s.telegram_bot_token is not None,
                routes=TELEGRAM_WEBHOOK.routes, point_webhook=TELEGRAM_WEBHOOK.point, polls=_polling),
    ChannelKind("zalo", lambda c: zalo_bot_from(c.settings, media_url=c.media_url),
                messenger=lambda s: s.zalo_bot_token is not None,
                routes=ZALO_BOT_WEBHOOK.routes, point_webhook=ZALO_BOT_WEBHOOK.point, polls=_polling),
    ChannelKind("zalo_oa", lambda c: zalo_oa_from(c.settings, c.db, c.clock, media_url=c.media_url),
                messenger=lambda s: s.zalo_oa_app_id is not None, routes=_zalo_oa_routes),
]


def register_channel(kind: ChannelKind) -> None:
    """Add a messenger from outside the package (a deployment's own adapter, a test's fake)."""
    if any(row.name == kind.name for row in CHANNEL_TABLE):
        raise ValueError(f"a channel named {kind.name!r} is already in the table")
    CHANNEL_TABLE.append(kind)


def unregister_channel(name: str) -> None:
    CHANNEL_TABLE[:] = [row for row in CHANNEL_TABLE if row.name != name]


def kinds() -> Iterator[ChannelKind]:
    return iter(list(CHANNEL_TABLE))


def has_messenger(settings: Settings) -> bool:
    return any(kind.messenger(settings) for kind in kinds())
