"""Link this messenger account to an official with a one-time invite code, on any channel.

The code comes as `/start CODE` (a Telegram deep link), or typed bare. When the invite names a phone number
and the channel can share the account's own number, that number must be shared before the account is linked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ClassVar

from bot.channels.model import InboundKind
from bot.domain.authz import Refused
from handlers.base import Turn
from handlers.officials.common import done, say_refusal

INVITE = "invite_id"


class LinkFlow:
    name: ClassVar[str] = "official_link"
    states: ClassVar[tuple[str, ...]] = ("phone",)

    def __init__(self, welcome: Callable[[Turn], Awaitable[None]]) -> None:
        self.welcome = welcome  # shows the new official their desk

    async def begin(self, turn: Turn) -> None:
        turn.say(turn.t("officials.link.how"))

    async def start(self, turn: Turn, code: str) -> None:
        officials = turn.services.officials
        try:
            pending = await officials.check(code, turn.actor.identity_id)
        except Refused as refusal:
            say_refusal(turn, refusal)
            if turn.state.flow == self.name:
                done(turn)
            return
        if pending.phone is not None and officials.can_share_contact(turn.inbound.channel):
            turn.goto(self.name, "phone")
            turn.state.data[INVITE] = pending.invite_id
            turn.say(turn.t("officials.link.share_phone", name=pending.official_name), request="contact",
                     request_label=turn.t("officials.link.share_button"))
            return
        await self._link(turn, pending.invite_id, None, phone_checked=False)

    async def handle(self, turn: Turn) -> None:
        if turn.inbound.kind is not InboundKind.CONTACT:
            turn.say(turn.t("officials.link.share_phone_again"), request="contact",
                     request_label=turn.t("officials.link.share_button"))
            return
        if not turn.inbound.phone:
            turn.say(turn.t("officials.link.own_number"), request="contact",
                     request_label=turn.t("officials.link.share_button"))
            return
        await self._link(turn, int(turn.state.data.get(INVITE, 0)), turn.inbound.phone, phone_checked=True)

    async def _link(self, turn: Turn, invite_id: int, phone: str | None, *, phone_checked: bool) -> None:
        try:
            linked = await turn.services.officials.link(invite_id, turn.actor.identity_id, phone, phone_checked)
        except Refused as refusal:
            done(turn)
            say_refusal(turn, refusal)
            return
        done(turn)
        turn.actor.official_id = linked.official_id
        unit = turn.services.org.units[linked.unit].name(turn.state.language)
        turn.say(turn.t("officials.link.done", name=linked.name, unit=unit,
                        role=turn.t(f"officials.role.{linked.role}")))
        await self.welcome(turn)
