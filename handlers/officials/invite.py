"""An admin invites an official from the chat: unit, role, name, phone (optional) -> a one-time code.

Granting `view_identity` is never possible from a chat: only the command line does it.
"""

from __future__ import annotations

from typing import ClassVar

from bot.channels.model import Choice
from bot.domain.authz import Refused, Role, may_manage_officials
from handlers.base import Turn
from handlers.officials.common import done, free_text, say_refusal

ROLES = tuple(r.value for r in Role)


class InviteFlow:
    name: ClassVar[str] = "official_invite"
    states: ClassVar[tuple[str, ...]] = ("unit", "role", "name", "phone", "confirm")

    async def begin(self, turn: Turn) -> None:
        if not await self._units(turn):
            turn.say(turn.t("officials.invite.admins_only"))
            return
        turn.goto(self.name, "unit")
        await self._ask(turn)

    async def _units(self, turn: Turn) -> list[Choice]:
        seat = await turn.services.officials.seat(turn.actor.official_id)
        parents = turn.services.officials.parents()
        lang = turn.state.language
        return [Choice(u.code, u.name(lang)) for u in turn.services.org.units.values()
                if may_manage_officials(seat, u.id, parents)]

    async def _ask(self, turn: Turn) -> None:
        step, t, data = turn.state.step, turn.t, turn.state.data
        if step == "unit":
            turn.say(t("officials.invite.ask_unit"), await self._units(turn))
        elif step == "role":
            turn.say(t("officials.invite.ask_role"), [Choice(r, t(f"officials.role.{r}")) for r in ROLES])
        elif step == "name":
            turn.say(t("officials.invite.ask_name"))
        elif step == "phone":
            turn.say(t("officials.invite.ask_phone"), [Choice("none", t("officials.invite.no_phone"))])
        else:
            unit = turn.services.org.units[data["unit"]].name(turn.state.language)
            turn.say(t("officials.invite.summary", unit=unit, role=t(f"officials.role.{data['role']}"),
                       name=data["name"], phone=data.get("phone") or t("common.none")),
                     [Choice("send", t("officials.invite.create")), Choice("cancel", t("officials.invite.cancel"))])

    async def handle(self, turn: Turn) -> None:
        step, choice, data = turn.state.step, turn.choice, turn.state.data
        if step == "unit" and choice in {c.key for c in await self._units(turn)}:
            data["unit"] = choice
            turn.goto(self.name, "role")
        elif step == "role" and choice in ROLES:
            data["role"] = choice
            turn.goto(self.name, "name")
        elif step == "name" and free_text(turn):
            data["name"] = free_text(turn)
            turn.goto(self.name, "phone")
        elif step == "phone" and (choice == "none" or free_text(turn)):
            data["phone"] = None if choice == "none" else free_text(turn)
            turn.goto(self.name, "confirm")
        elif step == "confirm" and choice == "send":
            await self._create(turn)
            return
        elif step == "confirm" and choice == "cancel":
            done(turn)
            turn.say(turn.t("common.cancelled"))
            return
        else:
            turn.say(turn.t("officials.text_please" if step in ("name", "phone") else "common.choose_from_list"))
        await self._ask(turn)

    async def _create(self, turn: Turn) -> None:
        data = turn.state.data
        seat = await turn.services.officials.seat(turn.actor.official_id)
        unit = turn.services.org.units.get(str(data.get("unit")))
        if unit is None or not may_manage_officials(seat, unit.id, turn.services.officials.parents()):
            done(turn)
            turn.say(turn.t("officials.invite.admins_only"))
            return
        try:
            issued = await turn.services.officials.invite(
                unit=unit.code, role=data.get("role"), name=data.get("name"), phone=data.get("phone"),
                by=turn.actor.official_id)
        except Refused as refusal:
            say_refusal(turn, refusal)
            turn.goto(self.name, "name" if refusal.key == "officials.invite.no_name" else "phone")
            await self._ask(turn)
            return
        done(turn)
        turn.say(turn.t("officials.invite.created", name=issued.name, code=issued.code,
                        expires=turn.t.moment(issued.expires_at, turn.services.app.tz)))
