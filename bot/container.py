"""The one place that builds and wires the application: database, services, channels, workers."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any

from aiohttp import web

from bot import channel_table
from bot.channel_table import ChannelContext, ChannelKind
from bot.channels.registry import ChannelRegistry
from bot.channels.sender import Sender
from bot.channels.telegram import TelegramChannel
from bot.channels.webchat import CHANNEL as WEB_CHANNEL
from bot.channels.webchat import WebChatChannel
from bot.channels.windows import SendingWindows
from bot.channels.zalo_bot import ZaloBotChannel
from bot.channels.zalo_oa import ZaloOAChannel
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.conversation import ConversationEngine
from bot.jobs.media import MediaFetcher
from bot.jobs.scheduler import Ticker, application_ticks
from bot.services.context import AppContext
from bot.services.imaging import ImageWorker
from bot.services.media import MediaStore
from bot.services.org_view import OrgCache
from bot.services.receiving import Receiver
from bot.services.track_links import TrackLinks
from bot.services.webchat import WebChat
from bot.services.webpush import WebPush
from bot.web.addresses import ClientAddress
from bot.web.app import build_app
from bot.web.chat import WebChatRoutes
from bot.web.dialogue import DialogueRoutes
from bot.web.media import MediaLinks
from bot.web.metrics import MetricsRoutes
from bot.web.open_routes import install_open
from bot.web.signing import Signer
from bot.web.track import TrackingRoutes
from bot.workers.consumer import Consumer
from bot.workers.health import Health
from bot.workers.listen import Notifier
from bot.workers.presence import Presence
from bot.workers.supervise import supervised
from handlers import build_router
from storage.uow import Database

log = logging.getLogger(__name__)
STOP_GRACE_SECONDS = 7.0  # SIGTERM to exit stays under 10 s with the channels' and the database's own stop
POOL_SIZE = 12  # PostgreSQL: the consumer's and the sender's slots plus the jobs, without opening more


class Container:
    def __init__(self, settings: Settings, clock: Clock | None = None, *, mode: str = "test") -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.db = Database(settings.database_url, pool_size=POOL_SIZE)
        self.presence = Presence(self.db, self.clock, mode=mode, stale_after=settings.lease_seconds)
        self.org = OrgCache()
        self.app = AppContext(
            clock=self.clock, tz=settings.tz, org=self.org, default_language=settings.default_language,
            public_base_url=settings.public_base_url,
            web_cases_per_visitor=settings.web_cases_per_visitor_per_day,
            web_cases_per_address=settings.web_cases_per_address_per_day,
        )
        # Without WEB_SECRET (tests, one-off runs) cookies and links are signed with a key that dies with the process
        # (one key for the cookies, the /track links and the media links).
        self.web_secret = (settings.web_secret.get_secret_value() if settings.web_secret
                           else secrets.token_hex(32)).encode()
        self.signer = Signer(self.web_secret, self.clock)  # cookies, tokens and links, timed by the clock
        self.track_links = TrackLinks(self.signer, settings.public_base_url)
        self.app.track_links = self.track_links
        self.media = MediaStore(self.db)
        # Zalo takes a photo by URL: a signed link to /media that expires (bot.web.media).
        self.media_links = MediaLinks(self.signer, settings.public_base_url)
        # Every messenger comes from the channel table (bot.channel_table): built when configured, then looped over.
        self.channels = ChannelRegistry()
        self.app.channels = self.channels
        self.channel_kinds: dict[str, ChannelKind] = {}
        context = ChannelContext(settings, self.db, self.clock, self.media, self.media_links.url)
        for kind in channel_table.kinds():
            channel = kind.build(context)
            if channel is not None:
                self.channels.add(channel)
                self.channel_kinds[channel.name] = kind
        self.conversation = ConversationEngine(self.channels, build_router(), self.app)
        windows = SendingWindows(self.db, self.clock, tz=settings.tz, track_url=f"{settings.public_base_url}/track")
        # New work is handed over in memory on commit (storage.uow.note_work): the receiver's rows go to the
        # consumer, the flows' replies to the sender, recorded evidence to the media job.
        self.sender = Sender(self.db, self.channels, self.clock, presence=self.presence, windows=windows)
        # Evidence citizens send is downloaded by its own worker, never inside a conversation's transaction.
        self.imaging = ImageWorker(max_pixels=settings.media_max_pixels, memory_mb=settings.media_worker_memory_mb,
                                   timeout=settings.media_worker_seconds)  # untrusted pictures, off the loop
        self.media_jobs = MediaFetcher(self.db, self.channels, self.clock, settings.tz, imaging=self.imaging)
        self.consumer = Consumer(self.db, self.conversation.process, self.conversation.on_failure, self.clock,
                                 presence=self.presence, group_commit=settings.group_commit_chats)
        self.notifier = None if self.db.sqlite else Notifier(self.db, self.presence, self._scan_all)
        self.receiver = Receiver(self.db, self.clock)
        web = self.channels.get(WEB_CHANNEL)
        assert isinstance(web, WebChatChannel)
        # The web chat: its use cases over its channel, one object (`web_chat.channel` is the messenger).
        self.web_chat = WebChat(self.db, self.clock, web, imaging=self.imaging)
        vapid = settings.vapid_private_key.get_secret_value() if settings.vapid_private_key else None
        self.web_push = WebPush(self.db, self.clock, private_key=vapid, subject=settings.vapid_subject,
                                allow_plain_http=settings.web_push_plain_http)
        web.on_unseen = self.web_push.notify  # an answer while the page is closed calls the visitor back
        self._tasks: list[asyncio.Task[Any]] = []
        self.restarts: dict[str, int] = {}
        # Periodic catch-up jobs (deadline sweep, weekly digest, rating expiry, idle drafts); started by the
        # long-running modes only, so tests drive those jobs with their own clock.
        self.ticker = Ticker(application_ticks(self.db, self.clock, self.org, settings.tz, self.sender.wake,
                                               retention_days=settings.retention_days, owner=self.presence.owner))
        self.health = Health(self)

    async def start_channels(self) -> None:
        for channel in self.channels:
            start = getattr(channel, "start", None)
            if start is not None:
                await start()

    async def stop(self) -> None:
        """SIGTERM: take no new work, finish what is in hand, give the leases back, then close."""
        await self.ticker.shutdown()
        # Receivers and helpers stop at once; the consumer and the sender finish the unit in hand, so no
        # transaction is cut in half (it would be redone after a restart anyway, but a clean stop logs no errors).
        pools = ("consumer", "sender")
        for task in self._tasks:
            if task.get_name() not in pools:
                task.cancel()
        self.consumer.stop()
        self.sender.stop()
        if self._tasks:
            _, late = await asyncio.wait(self._tasks, timeout=STOP_GRACE_SECONDS)
            for task in late:
                task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self.presence.leave()
        for channel in self.channels:
            stop = getattr(channel, "stop", None)
            if stop is not None:
                try:
                    await asyncio.wait_for(stop(), 2.0)
                except Exception:
                    log.warning("channel %s did not stop cleanly", channel.name, exc_info=True)
        await self.db.dispose()

    def _scan_all(self) -> None:
        self.consumer.wake()
        self.sender.wake()

    def spawn(self, coro_factory: Any, name: str) -> asyncio.Task[Any]:
        """Run a long-lived loop under supervision: restarted (and counted) if it ever dies."""
        task = asyncio.create_task(supervised(name, coro_factory, log, self.restarts), name=name)
        self._tasks.append(task)
        return task

    @property
    def tasks(self) -> list[asyncio.Task[Any]]:
        return list(self._tasks)

    def start_workers(self) -> None:
        self.spawn(self.presence.run, "presence")
        self.spawn(self.consumer.run, "consumer")
        self.spawn(self.sender.run, "sender")
        self.spawn(self.media_jobs.run, "media-fetch")
        for channel in self.channels:
            for name, loop in self.channel_kinds[channel.name].loops(channel, self).items():
                self.spawn(loop, name)
        if self.notifier is not None:
            self.spawn(self.notifier.run, "notifications")

    def start_ticker(self) -> None:
        self.ticker.start()

    def start_polling(self) -> None:
        """`tiepdan run`: fetch updates from the platforms that offer long polling."""
        for channel in self.channels:
            for name, loop in self.channel_kinds[channel.name].polls(channel, self).items():
                self.spawn(loop, name)

    async def point_webhooks(self) -> None:
        """`tiepdan serve`: tell each platform where its webhook is."""
        for channel in self.channels:
            point = self.channel_kinds[channel.name].point_webhook
            if point is not None:
                await point(channel, self.settings)

    def channel(self, name: str) -> Any:
        """The named channel when it is configured, else None."""
        return self.channels.get(name) if name in self.channels else None

    @property
    def telegram(self) -> TelegramChannel | None:
        channel = self.channel(TelegramChannel.name)
        return channel if isinstance(channel, TelegramChannel) else None

    @property
    def zalo(self) -> ZaloBotChannel | None:
        channel = self.channel(ZaloBotChannel.name)
        return channel if isinstance(channel, ZaloBotChannel) else None

    @property
    def zalo_oa(self) -> ZaloOAChannel | None:
        channel = self.channel(ZaloOAChannel.name)
        return channel if isinstance(channel, ZaloOAChannel) else None

    def health_app(self) -> web.Application:
        """`tiepdan worker`'s own small server: health and metrics."""
        token = self.settings.health_token.get_secret_value() if self.settings.health_token else None
        app = build_app(self.health, health_token=token)
        metrics_token = self.settings.metrics_token.get_secret_value() if self.settings.metrics_token else None
        MetricsRoutes(self.db, self.clock, metrics_token).install(app)
        return app

    def web_app(self) -> web.Application:
        token = self.settings.health_token.get_secret_value() if self.settings.health_token else None
        app = build_app(self.health, health_token=token, frame_ancestors=self.settings.frame_ancestors)
        signer = self.signer
        self.media_links.install(app, self.media)
        WebChatRoutes(self.web_chat, signer, push=self.web_push, demo=self.settings.demo,
                      public_base_url=self.settings.public_base_url,
                      default_language=self.settings.default_language,
                      addresses=ClientAddress(self.settings.trusted_proxy_list),
                      proof_bits=self.settings.web_proof_bits).install(app)
        TrackingRoutes(self.db, self.app, signer, self.track_links,
                       ClientAddress(self.settings.trusted_proxy_list)).install(app)
        DialogueRoutes(self.db, self.app).install(app)  # a dialogue session's public minutes
        install_open(app, self, signer)  # Open311, /metrics, the dashboard
        for channel in self.channels:  # the messengers' webhooks
            routes = self.channel_kinds[channel.name].routes
            if routes is not None:
                routes(app, channel, self)
        return app
