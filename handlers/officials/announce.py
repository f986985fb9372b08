"""/announce: a head, leader or their office (secretariat) writes to the followers of an area and topic.

The area (the whole city, a ward, a residential area), the topic (or every topic), the text, a photo or a
document if any, urgent or not, then a confirmation showing how many followers it will reach. The figures of the delivery come back later,
once it settles (bot.services.announcements.settle_announcements).
"""

from __future__ import annotations

from typing import ClassVar

from bot.channels.model import Choice, InboundKind
from bot.domain.authz import Refused
from handlers.base import Turn
from handlers.officials.common import done, free_text, say_refusal

CITY = "city"
ALL = "all"
AREA = "area:"
TOPIC = "topic:"
FILE = "file"  # the attachment id of the photo or document going with the notice


class AnnounceFlow:
    name: ClassVar[str] = "official_announce"
    states: ClassVar[tuple[str, ...]] = ("area", "topic", "text", "file", "urgent", "confirm")

    async def begin(self, turn: Turn) -> None:
        if await turn.services.announcements.may_announce(turn.actor.official_id) is None:
            turn.say(turn.t("announce.not_allowed"))
            return
        turn.goto(self.name, "area")
        self._ask(turn)

    def _ask(self, turn: Turn) -> None:
        step, t, org = turn.state.step, turn.t, turn.services.org
        if step == "area":
            areas = [a for a in org.areas.values() if a.active]
            turn.say(t("announce.ask_area"),
                     [Choice(CITY, t("follow.whole_city")), *(Choice(AREA + a.code, a.name) for a in areas)])
        elif step == "topic":
            turn.say(t("announce.ask_topic"), [*(Choice(TOPIC + tp.code, tp.name(t.language)) for tp in org.topics()),
                                               Choice(ALL, t("follow.all_topics"))])
        elif step == "text":
            turn.say(t("announce.ask_text"))
        elif step == "file":
            turn.say(t("announce.ask_file"), [Choice("none", t("announce.no_file"))])
        elif step == "urgent":
            turn.say(t("announce.ask_urgent"), [Choice("normal", t("announce.normal")),
                                                Choice("urgent", t("announce.urgent"))])

    async def _confirm(self, turn: Turn) -> None:
        t, data = turn.t, turn.state.data
        followers = await turn.services.following.followers(data.get("area"), data.get("topic"))
        area = data.get("area")
        place = turn.services.org.areas[area].name if area else t("follow.whole_city")
        text = t("announce.confirm", place=place, count=len(followers), text=data["text"],
                 urgent=t("announce.urgent" if data.get("urgent") else "announce.normal"))
        if data.get(FILE):
            text += "\n" + t("announce.with_file", what=t(f"report.media_kind.{data.get('file_kind')}"))
        turn.say(text, [Choice("send", t("announce.send")), Choice("cancel", t("announce.cancel"))])

    async def _on_file(self, turn: Turn) -> bool | None:
        """A photo or a document to go with the notice (sent now), or none: True; not a file: False; a file
        refused (the reason said): None."""
        if turn.choice == "none":
            return True
        media = turn.inbound.media[0] if turn.inbound.media else None
        if turn.inbound.kind not in (InboundKind.PHOTO, InboundKind.DOCUMENT) or media is None:
            return False
        announcements, data = turn.services.announcements, turn.state.data
        await announcements.drop_file(turn.actor.official_id, data.pop(FILE, None))
        try:
            data[FILE] = await announcements.add_file(turn.actor.official_id, turn.inbound.channel, media)
        except Refused as refusal:
            say_refusal(turn, refusal)
            return None
        data["file_kind"] = media.kind
        turn.say(turn.t("announce.file_kept", what=turn.t(f"report.media_kind.{media.kind}")))
        return True

    async def handle(self, turn: Turn) -> None:
        step, choice, data, org = turn.state.step, turn.choice or "", turn.state.data, turn.services.org
        if step == "area" and (choice == CITY or (choice.startswith(AREA) and choice[len(AREA):] in org.areas)):
            data["area"] = None if choice == CITY else choice[len(AREA):]
            turn.goto(self.name, "topic")
        elif step == "topic" and (choice == ALL or choice.startswith(TOPIC)):
            data["topic"] = None if choice == ALL else choice[len(TOPIC):]
            turn.goto(self.name, "text")
        elif step == "text" and free_text(turn):
            data["text"] = free_text(turn)
            turn.goto(self.name, "file")
        elif step == "file":
            moved = await self._on_file(turn)
            if moved:
                turn.goto(self.name, "urgent")
            elif moved is False:
                turn.say(turn.t("announce.file_please"))
        elif step == "urgent" and choice in ("normal", "urgent"):
            data["urgent"] = choice == "urgent"
            turn.goto(self.name, "confirm")
            await self._confirm(turn)
            return
        elif step == "confirm" and choice == "send":
            await self._send(turn)
            return
        elif step == "confirm" and choice == "cancel":
            await turn.services.announcements.drop_file(turn.actor.official_id, data.get(FILE))
            done(turn)
            turn.say(turn.t("common.cancelled"))
            return
        else:
            turn.say(turn.t("officials.text_please" if step == "text" else "common.choose_from_list"))
            if step == "confirm":
                await self._confirm(turn)
                return
        self._ask(turn)

    async def _send(self, turn: Turn) -> None:
        data = turn.state.data
        try:
            sent = await turn.services.announcements.send(
                turn.actor.official_id, area=data.get("area"), topic=data.get("topic"), text=data["text"],
                urgent=bool(data.get("urgent")), sender_identity_id=turn.actor.identity_id,
                attachment_id=data.get(FILE))
        except Refused as refusal:
            say_refusal(turn, refusal)
            if refusal.key == "announce.file_loading":  # a moment more, then «Gửi» again
                await self._confirm(turn)
            else:
                done(turn)
            return
        done(turn)
        turn.say(turn.t("announce.queued", id=sent.announcement_id, count=sent.recipients))
