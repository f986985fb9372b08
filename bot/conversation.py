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
from handlers.base import OFFERED, Actor, State, Turn
from storage.models import InboxItem
from storage.repositories import conversations, inbox, outbox
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


class ConversationEngine:
    def __init__(self, channels: ChannelRegistry, router: Router, app: AppContext) -> None:
        self.channels, self.router, self.app = channels, router, app

    async def process(self, uow: UnitOfWork, row: InboxItem) -> None:
        inbound = self.channels.get(row.channel).to_inbound(inbox.readable(row))
        if inbound is None:
            return
        now = self.app.clock.now()
        session = uow.session
        org = await self.app.org.get(session, now.astimezone(self.app.tz).date())
        services = Services(uow, self.app, org)
        saved = await conversations.load(session, inbound.channel, inbound.chat_id)
        state = (
            # A deep copy: a flow that changes a nested list in place must still change the row.
            State(saved.flow, saved.step, copy.deepcopy(saved.data or {}), saved.language)
            if saved is not None else State(language=self.app.default_language)
        )
        identity = await services.identities.arrive(inbound, now, state.language)
        actor = Actor(identity.id, identity.citizen_id, identity.official_id)
        if identity.citizen_id is not None:
            actor.consented = await services.identities.has_consent(identity.citizen_id, org.notice_version)
        turn = Turn(inbound=inbound, state=state, actor=actor, services=services, now=now)
        self._resolve_choice(turn)
        await self.router.dispatch(turn)
        await conversations.save(
            session, inbound.channel, inbound.chat_id, flow=state.flow, step=state.step, data=state.data,
            language=state.language, now=now,
        )
        for message in turn.replies:
            await outbox.add(session, channel=inbound.channel, chat_id=inbound.chat_id,
                             payload=message.to_json(), now=now)

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
        saved = await conversations.load(uow.session, inbound.channel, inbound.chat_id)
        t = translator(saved.language if saved else self.app.default_language)
        await outbox.add(uow.session, channel=inbound.channel, chat_id=inbound.chat_id,
                         payload=Outbound(text=t("error.internal")).to_json(), now=self.app.clock.now(),
                         dedup_key=f"fail:{row.id}")
