"""The one place that builds and wires the application: database, services, channels, workers."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from sqlalchemy import func, select

from bot.channels.dispatcher import Dispatcher
from bot.channels.registry import ChannelRegistry
from bot.channels.telegram import TelegramChannel
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.conversation import ConversationEngine
from bot.engine import Consumer
from bot.services.context import AppContext
from bot.services.media import MediaStore
from bot.services.org_view import OrgCache
from bot.services.receiving import Receiver
from bot.web.app import build_app
from bot.web.telegram_webhook import add_telegram_webhook
from handlers import build_router
from storage.models import InboxItem, OutboxItem
from storage.uow import Database

log = logging.getLogger(__name__)


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
        self.telegram: TelegramChannel | None = None
        if settings.telegram_bot_token is not None:
            self.telegram = TelegramChannel(
                settings.telegram_bot_token.get_secret_value(), settings.telegram_api_base_url,
                load_attachment=self.media.load,
            )
            self.channels.add(self.telegram)
        self.conversation = ConversationEngine(self.channels, build_router(), self.app)
        self.dispatcher = Dispatcher(self.db, self.channels, self.clock, lease_seconds=settings.lease_seconds)
        self.consumer = Consumer(
            self.db, self.channels, self.conversation.process, self.conversation.on_failure, self.clock,
            lease_seconds=settings.lease_seconds, after_commit=self.dispatcher.wake,
        )
        self.receiver = Receiver(self.db, self.clock, wake=self.consumer.wake)
        self._tasks: list[asyncio.Task[Any]] = []

    async def start_channels(self) -> None:
        for channel in self.channels:
            start = getattr(channel, "start", None)
            if start is not None:
                await start()

    async def stop(self) -> None:
        for task in self._tasks:
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

    def spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.append(task)
        return task

    def start_workers(self) -> None:
        self.spawn(self.consumer.run(), "consumer")
        self.spawn(self.dispatcher.run(), "dispatcher")

    def start_polling(self) -> None:
        if self.telegram is not None:
            telegram = self.telegram
            self.spawn(telegram.poll(lambda _name, batch: self._store(telegram, batch)), "telegram-poll")

    async def _store(self, channel: TelegramChannel, batch: list[dict[str, Any]]) -> None:
        await self.receiver.store(channel, batch)

    def web_app(self) -> web.Application:
        app = build_app(self.health)
        if self.telegram is not None and self.settings.webhook_secret is not None:
            add_telegram_webhook(app, self.telegram, self.receiver, self.settings.webhook_secret.get_secret_value())
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
