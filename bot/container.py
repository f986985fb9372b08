"""The one place that builds and wires the application: database, services, channels, workers."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any

from aiohttp import web
from sqlalchemy import func, select

from bot.channels.dispatcher import Dispatcher
from bot.channels.registry import ChannelRegistry
from bot.channels.telegram import TelegramChannel
from bot.channels.webchat import WebChatChannel
from bot.channels.windows import SendingWindows
from bot.channels.zalo_setup import zalo_bot_from, zalo_oa_from
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.conversation import ConversationEngine
from bot.engine import Consumer
from bot.jobs.media import MediaFetcher
from bot.jobs.scheduler import Ticker, application_ticks
from bot.services.context import AppContext
from bot.services.media import MediaStore
from bot.services.org_view import OrgCache
from bot.services.receiving import Receiver
from bot.services.webchat import WebChat
from bot.web.app import build_app
from bot.web.chat import WebChatRoutes
from bot.web.media import MediaLinks
from bot.web.signing import Signer
from bot.web.telegram_webhook import add_telegram_webhook
from bot.web.track import TrackingRoutes
from bot.web.zalo_webhooks import add_zalo_bot_webhook, add_zalo_oa_webhook
from handlers import build_router
from storage.models import InboxItem, OutboxItem
from storage.uow import Database

log = logging.getLogger(__name__)
STOP_GRACE_SECONDS = 10.0


class Container:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.db = Database(settings.database_url)
        self.org = OrgCache()
        self.app = AppContext(
            clock=self.clock, tz=settings.tz, org=self.org, default_language=settings.default_language,
            public_base_url=settings.public_base_url,
        )
        self.media = MediaStore(self.db)
        self.channels = ChannelRegistry()
        self.app.channels = self.channels
        self.webchat = WebChatChannel(self.db, self.clock)  # always on: the page at /chat needs no token
        self.channels.add(self.webchat)
        self.telegram: TelegramChannel | None = None
        if settings.telegram_bot_token is not None:
            self.telegram = TelegramChannel(
                settings.telegram_bot_token.get_secret_value(), settings.telegram_api_base_url,
                load_attachment=self.media.load,
            )
            self.channels.add(self.telegram)
        # Without WEB_SECRET (tests, one-off runs) cookies and media links are signed with a key that dies with
        # the process.
        secret = settings.web_secret.get_secret_value() if settings.web_secret else secrets.token_hex(32)
        self.signer = Signer(secret.encode())
        # Zalo takes a photo by URL: a signed link to /media that expires (bot.web.media).
        self.media_links = MediaLinks(self.signer, settings.public_base_url, self.clock)
        self.zalo = zalo_bot_from(settings, media_url=self.media_links.url)
        self.zalo_oa = zalo_oa_from(settings, self.db, self.clock, media_url=self.media_links.url)
        for zalo in (self.zalo, self.zalo_oa):
            if zalo is not None:
                self.channels.add(zalo)
        self.conversation = ConversationEngine(self.channels, build_router(), self.app)
        windows = SendingWindows(self.db, self.clock, tz=settings.tz, track_url=f"{settings.public_base_url}/track")
        self.dispatcher = Dispatcher(self.db, self.channels, self.clock, lease_seconds=settings.lease_seconds,
                                     windows=windows)
        # Evidence citizens send is downloaded by its own worker, never inside a conversation's transaction.
        self.media_jobs = MediaFetcher(self.db, self.channels, self.clock, settings.tz,
                                       after_commit=self.dispatcher.wake)
        self.consumer = Consumer(
            self.db, self.channels, self.conversation.process, self.conversation.on_failure, self.clock,
            lease_seconds=settings.lease_seconds, after_commit=self._after_turn,
        )
        self.receiver = Receiver(self.db, self.clock, wake=self.consumer.wake)
        self.web_chat = WebChat(self.db, self.clock, self.webchat, wake=self.consumer.wake)
        self._tasks: list[asyncio.Task[Any]] = []
        # Periodic catch-up jobs (deadline sweep, weekly digest, rating expiry, idle drafts); started by the
        # long-running modes only, so tests drive those jobs with their own clock.
        self.ticker = Ticker(application_ticks(self.db, self.clock, self.org, settings.tz, self.dispatcher.wake))

    async def start_channels(self) -> None:
        for channel in self.channels:
            start = getattr(channel, "start", None)
            if start is not None:
                await start()

    async def stop(self) -> None:
        await self.ticker.shutdown()
        # Receivers stop at once; the consumer and dispatcher finish the unit in hand, so no transaction is
        # cut in half (it would be redone after a restart anyway, but a clean stop logs no errors).
        workers = {"consumer": self.consumer, "dispatcher": self.dispatcher}
        for task in self._tasks:
            if task.get_name() not in workers:
                task.cancel()
        for worker in workers.values():
            worker.stop()
        if self._tasks:
            _, late = await asyncio.wait(self._tasks, timeout=STOP_GRACE_SECONDS)
            for task in late:
                task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        for channel in self.channels:
            stop = getattr(channel, "stop", None)
            if stop is not None:
                try:
                    await stop()
                except Exception:
                    log.warning("channel %s did not stop cleanly", channel.name, exc_info=True)
        await self.db.dispose()

    def _after_turn(self) -> None:
        """A conversation committed: its replies may go, and any evidence it recorded may be fetched."""
        self.dispatcher.wake()
        self.media_jobs.wake()

    def spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.append(task)
        return task

    def start_workers(self) -> None:
        self.spawn(self.consumer.run(), "consumer")
        self.spawn(self.dispatcher.run(), "dispatcher")
        self.spawn(self.media_jobs.run(), "media-fetch")
        self.spawn(self.webchat.follow(), "webchat-follow")

    def start_ticker(self) -> None:
        self.ticker.start()

    def start_polling(self) -> None:
        if self.telegram is not None:
            telegram = self.telegram
            self.spawn(telegram.poll(lambda _name, batch: self._store(telegram, batch)), "telegram-poll")
        if self.zalo is not None:
            zalo = self.zalo
            self.spawn(zalo.poll(lambda _name, batch: self.receiver.store(zalo, batch)), "zalo-poll")

    async def _store(self, channel: TelegramChannel, batch: list[dict[str, Any]]) -> None:
        await self.receiver.store(channel, batch)

    def web_app(self) -> web.Application:
        app = build_app(self.health)
        signer = self.signer
        self.media_links.install(app, self.media)
        WebChatRoutes(self.web_chat, signer, demo=self.settings.demo, public_base_url=self.settings.public_base_url,
                      default_language=self.settings.default_language).install(app)
        TrackingRoutes(self.db, self.app, signer).install(app)
        if self.telegram is not None and self.settings.webhook_secret is not None:
            add_telegram_webhook(app, self.telegram, self.receiver, self.settings.webhook_secret.get_secret_value())
        if self.zalo is not None and self.settings.zalo_webhook_secret is not None:
            add_zalo_bot_webhook(app, self.zalo, self.receiver, self.settings.zalo_webhook_secret.get_secret_value())
        if self.zalo_oa is not None:
            add_zalo_oa_webhook(app, self.zalo_oa, self.receiver)
        return app

    async def health(self) -> dict[str, object]:
        async with self.db.unit_of_work(readonly=True) as uow:
            pending_in = (await uow.session.execute(
                select(func.count(InboxItem.id)).where(InboxItem.status == "new"))).scalar_one()
            pending_out = (await uow.session.execute(
                select(func.count(OutboxItem.id)).where(OutboxItem.status == "pending"))).scalar_one()
            failed_out = (await uow.session.execute(
                select(func.count(OutboxItem.id)).where(OutboxItem.status == "failed"))).scalar_one()
        return {"inbox_pending": pending_in, "outbox_pending": pending_out, "outbox_failed": failed_out,
                "channels": [c.name for c in self.channels]}
