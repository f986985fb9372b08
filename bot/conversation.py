"""One inbox row through the conversation: who, which state, which flow, what to say - all in one unit."""

from __future__ import annotations

import copy
import logging

from bot.channels.model import Inbound, InboundKind, Outbound
from bot.channels.registry import ChannelRegistry
from bot.domain.matching import parse_choice
from bot.i18n import translator
from bot.services import Services
from bot.services.context import AppContext
from handlers import Router
from handlers.base import FLOOD, OFFERED, Actor, State, Turn
from storage.models import InboxItem
from storage.repositories import inbox, outbox
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


# state.data[FLOOD]: [window start (epoch s), messages in it, paused until (epoch s)]
FLOOD_WINDOW = 60.0
FLOOD_LIMIT = 20  # messages a minute from one chat before the bot asks for a pause
FLOOD_PAUSE = 300.0  # seconds during which a flooding chat's messages start nothing


class ConversationEngine:
    def __init__(self, channels: ChannelRegistry, router: Router, app: AppContext) -> None:
        self.channels, self.router, self.app = channels, router, app
        self._ignored_kinds: set[str] = set()

    async def process(self, uow: UnitOfWork, row: InboxItem) -> None:
        channel = self.channels.get(row.channel)
        inbound = channel.to_inbound(inbox.readable(row))
        if inbound is None:
            self._log_ignored(row.channel, row.payload)
            return
        now = self.app.clock.now()
        session = uow.session
        org = await self.app.org.get(session, now.astimezone(self.app.tz).date())
        services = Services(uow, self.app, org)
        saved = await uow.conversations.load(inbound.channel, inbound.chat_id)
        state = (
            # A deep copy: a flow that changes a nested list in place must still change the row.
            State(saved.flow, saved.step, copy.deepcopy(saved.data or {}), saved.language)
            if saved is not None else State(language=self.app.default_language)
        )
        identity, consented = await services.identities.arrive_consented(
            inbound, now, state.language, notice_version=org.notice_version,
            windowed=channel.rules.reply_window is not None)
        actor = Actor(identity.id, identity.citizen_id, identity.official_id)
        turn = Turn(inbound=inbound, state=state, actor=actor, services=services, now=now)
        flood = None if identity.official_id is not None else self._flood(state, now.timestamp())
        if flood == "started":  # said once; the messages of the pause start nothing and get no answer
            turn.say(turn.t("error.slow_down", minutes=int(FLOOD_PAUSE // 60)))
        elif flood is None:
            actor.consented = identity.citizen_id is not None and consented
            self._resolve_choice(turn)
            await self.router.dispatch(turn)
        await uow.conversations.save(
            inbound.channel, inbound.chat_id, flow=state.flow, step=state.step, data=state.data,
            language=state.language, now=now, loaded=saved,
        )
        for message in turn.replies:
            await outbox.add(session, channel=inbound.channel, chat_id=inbound.chat_id,
                             payload=message.to_json(), now=now)

    @staticmethod
    def _flood(state: State, now: float) -> str | None:
        """Count this message against the chat's minute: None, "started" (the pause begins) or "paused"."""
        start, count, until = state.data.get(FLOOD) or [now, 0, 0.0]
        if now < until:
            return "paused"
        if now - start >= FLOOD_WINDOW:
            start, count = now, 0
        count += 1
        if count > FLOOD_LIMIT:
            state.data[FLOOD] = [now, 0, now + FLOOD_PAUSE]
            return "started"
        state.data[FLOOD] = [start, count, 0.0]
        return None

    def _log_ignored(self, channel: str, payload: dict[str, object]) -> None:
        """An update of a kind the bot does not handle: stored, ignored, logged once per kind."""
        kind = f"{channel}:{','.join(sorted(k for k in payload if k not in ('update_id', 'event_id')))[:80]}"
        if kind not in self._ignored_kinds:
            self._ignored_kinds.add(kind)
            log.info("ignoring updates of kind %s", kind)

    @staticmethod
    def _resolve_choice(turn: Turn) -> None:
        """A button press counts only if it was offered; a typed number or label counts the same."""
        offered = [(k, label) for k, label in turn.state.data.get(OFFERED, [])]
        inbound: Inbound = turn.inbound
        if inbound.kind is InboundKind.CHOICE:
            keys = {k for k, _ in offered}
            if inbound.choice in keys:
                turn.choice = inbound.choice
            else:
                turn.stale_choice = True
        elif inbound.kind is InboundKind.TEXT and offered and not inbound.command:
            turn.choice = parse_choice(inbound.text, offered)

    async def on_failure(self, uow: UnitOfWork, row: InboxItem) -> None:
        """A message we could not handle after several tries: say so, never stay silent."""
        try:
            inbound = self.channels.get(row.channel).to_inbound(inbox.readable(row))
        except Exception:
            log.exception("unreadable update %s", row.id)
            return
        if inbound is None:
            return
        saved = await uow.conversations.load(inbound.channel, inbound.chat_id)
        t = translator(saved.language if saved else self.app.default_language)
        await outbox.add(uow.session, channel=inbound.channel, chat_id=inbound.chat_id,
                         payload=Outbound(text=t("error.internal")).to_json(), now=self.app.clock.now(),
                         dedup_key=f"fail:{row.id}")
