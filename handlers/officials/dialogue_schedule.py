"""Scheduling a dialogue session from the chat (a leader, a head or their office): the area and topic, a title,
the date and time, in person or online (the place, the link), the leaders who attend, then a confirmation
that says how many followers will be invited. Scheduling invites them through the outbox at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import ClassVar

from bot.channels.model import Choice
from bot.domain.authz import Refused
from bot.domain.moments import parse_moment
from bot.domain.text import fold
from handlers.base import Turn
from handlers.officials.common import done, free_text, say_refusal

CITY, ALL, AREA, TOPIC, SEAT = "city", "all", "area:", "topic:", "seat:"
MODES = ("in_person", "online", "both")
MAX_TITLE, MAX_PLACE, MAX_LINK = 200, 255, 500

Opened = Callable[[Turn, int], Awaitable[None]]  # the session's own menu, once it is scheduled


class ScheduleFlow:
    name: ClassVar[str] = "official_dialogue_schedule"
    states: ClassVar[tuple[str, ...]] = ("area", "topic", "title", "when", "mode", "place", "link", "attendees",
                                         "confirm")

    def __init__(self, opened: Opened) -> None:
        self.opened = opened

    async def begin(self, turn: Turn) -> None:
        if not await turn.services.dialogues.is_office(turn.actor.official_id):
            turn.say(turn.t("dialogue.not_allowed"))
            return
        done(turn)
        turn.goto(self.name, "area")
        await self._ask(turn)

    async def _ask(self, turn: Turn) -> None:
        step, t, org, data = turn.state.step, turn.t, turn.services.org, turn.state.data
        if step == "area":
            areas = [a for a in org.areas.values() if a.active]
            turn.say(t("dialogue.office.ask_area"),
                     [Choice(CITY, t("follow.whole_city")), *(Choice(AREA + a.code, a.name) for a in areas)])
        elif step == "topic":
            turn.say(t("dialogue.office.ask_topic"),
                     [*(Choice(TOPIC + tp.code, tp.name(t.language)) for tp in org.topics()),
                      Choice(ALL, t("follow.all_topics"))])
        elif step == "title":
            turn.say(t("dialogue.office.ask_title"))
        elif step == "when":
            turn.say(t("dialogue.office.ask_when"))
        elif step == "mode":
            turn.say(t("dialogue.office.ask_mode"), [Choice(m, t(f"dialogue.office.mode.{m}")) for m in MODES])
        elif step == "place":
            turn.say(t("dialogue.office.ask_place"))
        elif step == "link":
            turn.say(t("dialogue.office.ask_link"))
        elif step == "attendees":
            chosen = set(data.get("attendees") or [])
            people = await turn.services.dialogues.attendee_choices()
            turn.say(t("dialogue.office.ask_attendees"),
                     [*(Choice(SEAT + seat, ("✓ " if seat in chosen else "") + name) for seat, name in people),
                      Choice("done", t("dialogue.office.attendees_done"))])
        else:
            await self._confirm(turn)

    async def _confirm(self, turn: Turn) -> None:
        t, data, dialogues = turn.t, turn.state.data, turn.services.dialogues
        followers = await turn.services.following.followers(data.get("area"), data.get("topic"))
        names = dict(await dialogues.attendee_choices())
        area = turn.services.org.areas.get(data.get("area") or "")
        topics = {tp.code: tp.name(t.language) for tp in turn.services.org.topics()}
        where = " - ".join(x for x in (data.get("place"), data.get("link")) if x)
        turn.say(t("dialogue.office.confirm", title=data["title"],
                   area=area.name if area else t("follow.whole_city"),
                   topic=topics.get(data.get("topic") or "", t("follow.all_topics")),
                   when=t.moment(datetime.fromisoformat(data["starts_at"]), turn.services.app.tz), where=where,
                   attendees=", ".join(names.get(s, s) for s in data.get("attendees") or []) or t("common.none"),
                   count=len(followers)),
                 [Choice("schedule", t("dialogue.office.schedule")), Choice("cancel", t("announce.cancel"))])

    async def handle(self, turn: Turn) -> None:
        step = turn.state.step or "area"
        moved = await getattr(self, f"_on_{step}")(turn)
        if moved is None:
            return  # the step said everything itself
        if not moved:
            turn.say(turn.t("officials.text_please" if step in ("title", "place", "link")
                            else "common.choose_from_list"))
        await self._ask(turn)

    async def _on_area(self, turn: Turn) -> bool:
        choice, org = turn.choice or "", turn.services.org
        if choice != CITY and not (choice.startswith(AREA) and choice[len(AREA):] in org.areas):
            return False
        turn.state.data["area"] = None if choice == CITY else choice[len(AREA):]
        turn.state.step = "topic"
        return True

    async def _on_topic(self, turn: Turn) -> bool:
        choice = turn.choice or ""
        if choice != ALL and not choice.startswith(TOPIC):
            return False
        turn.state.data["topic"] = None if choice == ALL else choice[len(TOPIC):]
        turn.state.step = "title"
        return True

    @staticmethod
    def _kept(turn: Turn, key: str, limit: int, then: str) -> bool:
        """The typed text kept under `key` (cut at `limit`) and the flow at step `then`; False when none."""
        text = free_text(turn)
        if not text:
            return False
        turn.state.data[key] = text[:limit]
        turn.state.step = then
        return True

    async def _on_title(self, turn: Turn) -> bool:
        return self._kept(turn, "title", MAX_TITLE, then="when")

    async def _on_when(self, turn: Turn) -> bool | None:
        tz = turn.services.app.tz
        moment = parse_moment(free_text(turn) or "", turn.now.astimezone(tz).date(), tz)
        if moment is None or moment <= turn.now:
            turn.say(turn.t("dialogue.office.bad_when" if moment is None else "dialogue.in_the_past"))
            return None
        turn.state.data["starts_at"] = moment.isoformat()
        turn.state.step = "mode"
        return True

    async def _on_mode(self, turn: Turn) -> bool:
        if turn.choice not in MODES:
            return False
        turn.state.data["mode"] = turn.choice
        turn.state.step = "link" if turn.choice == "online" else "place"
        return True

    async def _on_place(self, turn: Turn) -> bool:
        mode = turn.state.data.get("mode")
        return self._kept(turn, "place", MAX_PLACE, then="link" if mode == "both" else "attendees")

    async def _on_link(self, turn: Turn) -> bool | None:
        link = free_text(turn) or ""
        if not link.lower().startswith(("https://", "http://")) or " " in link or len(link) > MAX_LINK:
            turn.say(turn.t("dialogue.office.bad_link"))
            return None
        turn.state.data["link"] = link
        turn.state.step = "attendees"
        return True

    async def _on_attendees(self, turn: Turn) -> bool:
        choice, data = turn.choice or "", turn.state.data
        chosen: list[str] = list(data.get("attendees") or [])
        if choice == "done":
            turn.state.step = "confirm"
            return True
        if not choice.startswith(SEAT) and free_text(turn):  # a name typed: one match ticks it
            wanted = fold(free_text(turn) or "").split()
            found = [seat for seat, name in await turn.services.dialogues.attendee_choices()
                     if all(w in fold(name) for w in wanted)]
            choice = SEAT + found[0] if len(found) == 1 else ""
        if not choice.startswith(SEAT):
            return False
        seat = choice[len(SEAT):]
        data["attendees"] = [s for s in chosen if s != seat] if seat in chosen else [*chosen, seat]
        return True

    async def _on_confirm(self, turn: Turn) -> bool | None:
        if turn.choice == "cancel":
            done(turn)
            turn.say(turn.t("common.cancelled"))
            return None
        if turn.choice != "schedule":
            return False
        data = turn.state.data
        invited = len(await turn.services.following.followers(data.get("area"), data.get("topic")))
        try:
            row = await turn.services.dialogues.schedule(
                turn.actor.official_id, title=data["title"], starts_at=datetime.fromisoformat(data["starts_at"]),
                area=data.get("area"), topic=data.get("topic"), place=data.get("place"), link=data.get("link"),
                attendees=tuple(data.get("attendees") or ()))
        except Refused as refusal:
            done(turn)
            say_refusal(turn, refusal)
            return None
        done(turn)
        turn.say(turn.t("dialogue.office.scheduled", id=row.id, count=invited))
        await self.opened(turn, row.id)
        return None
