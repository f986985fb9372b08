"""/follow and /stop: which area (the whole city, a ward, a residential area) and which topics a chat follows.

Choosing is consent to be written to (recorded with the privacy notice version); /stop ends it in one message.
Every step is a numbered list, the same on every channel.
"""

from __future__ import annotations

from bot.channels.model import Choice
from bot.i18n import N_
from handlers.base import DeclaredFlow, Turn
from handlers.common import citizen_or_menu, citizens_only

CITY = "city"
WHOLE_WARD = "ward"
ALL_TOPICS = "all"
DONE = "done"
AREA_KEY = "area:"
TOPIC_KEY = "topic:"


class FollowFlow(DeclaredFlow, name="follow", states=("area", "residential", "topics")):
    async def begin(self, turn: Turn) -> None:
        if not citizens_only(turn, N_("follow.citizens_only")):
            return
        turn.goto(self.name, "area")
        current = await turn.services.following.of(turn.actor.identity_id)
        if current is not None and current.active:
            turn.say(turn.t("follow.current", what=describe(turn, current.area_code, current.topics)))
        self._ask_area(turn)

    def _ask_area(self, turn: Turn) -> None:
        t = turn.t
        choices = [Choice(CITY, t("follow.whole_city"))]
        choices += [Choice(AREA_KEY + a.code, a.name) for a in turn.services.org.wards()]
        turn.say(t("follow.ask_area"), choices)

    def _ask_residential(self, turn: Turn, ward: str) -> None:
        t, org = turn.t, turn.services.org
        children = [a for a in org.areas.values() if a.parent_code == ward and a.active]
        turn.say(t("follow.ask_residential", ward=org.areas[ward].name),
                 [Choice(WHOLE_WARD, t("follow.whole_ward")), *(Choice(AREA_KEY + a.code, a.name) for a in children)])

    def _ask_topics(self, turn: Turn) -> None:
        t, chosen = turn.t, set(turn.state.data.get("topics", []))
        topics = turn.services.org.topics()
        choices = [Choice(TOPIC_KEY + tp.code, ("✓ " if tp.code in chosen else "") + tp.name(t.language))
                   for tp in topics]
        choices += [Choice(ALL_TOPICS, t("follow.all_topics")), Choice(DONE, t("follow.done"))]
        turn.say(t("follow.ask_topics"), choices)

    async def handle(self, turn: Turn) -> None:
        if await citizen_or_menu(turn) is None:
            return
        step, choice = turn.state.step, turn.choice or ""
        if step == "area":
            if choice == CITY:
                turn.state.data["area"] = None
                self._to_topics(turn)
            elif choice.startswith(AREA_KEY) and choice[len(AREA_KEY):] in turn.services.org.areas:
                ward = choice[len(AREA_KEY):]
                turn.state.data["area"] = ward
                if any(a.parent_code == ward and a.active for a in turn.services.org.areas.values()):
                    turn.goto(self.name, "residential")
                    self._ask_residential(turn, ward)
                else:
                    self._to_topics(turn)
            else:
                turn.say(turn.t("common.choose_from_list"))
                self._ask_area(turn)
        elif step == "residential":
            if choice.startswith(AREA_KEY) and choice[len(AREA_KEY):] in turn.services.org.areas:
                turn.state.data["area"] = choice[len(AREA_KEY):]
                self._to_topics(turn)
            elif choice == WHOLE_WARD:
                self._to_topics(turn)
            else:
                turn.say(turn.t("common.choose_from_list"))
                self._ask_residential(turn, turn.state.data["area"])
        else:
            await self._on_topics(turn, choice)

    def _to_topics(self, turn: Turn) -> None:
        turn.state.data["topics"] = []
        turn.goto(self.name, "topics")
        self._ask_topics(turn)

    async def _on_topics(self, turn: Turn, choice: str) -> None:
        chosen: list[str] = turn.state.data.setdefault("topics", [])
        if choice.startswith(TOPIC_KEY):
            code = choice[len(TOPIC_KEY):]
            if code in chosen:
                chosen.remove(code)
            else:
                chosen.append(code)
            self._ask_topics(turn)
            return
        if choice not in (ALL_TOPICS, DONE):
            turn.say(turn.t("common.choose_from_list"))
            self._ask_topics(turn)
            return
        topics = [] if choice == ALL_TOPICS else list(chosen)
        area = turn.state.data.get("area")
        assert turn.actor.citizen_id is not None
        await turn.services.following.follow(turn.actor.identity_id, turn.actor.citizen_id, area, topics, turn.now)
        turn.finish()
        turn.say(turn.t("follow.started", what=describe(turn, area, topics),
                        version=turn.services.org.notice_version))


def describe(turn: Turn, area: str | None, topics: list[str]) -> str:
    t, org = turn.t, turn.services.org
    place = t("follow.whole_city") if area is None or area not in org.areas else org.areas[area].name
    names = {tp.code: tp.name(t.language) for tp in org.topics()}
    subjects = ", ".join(names[c] for c in topics if c in names) or t("follow.all_topics")
    return t("follow.what", place=place, topics=subjects)


async def stop_following(turn: Turn) -> None:
    """/stop: one message, and nothing more is written to this chat."""
    stopped = await turn.services.following.stop(turn.actor.identity_id, turn.now)
    turn.finish()
    turn.say(turn.t("follow.stopped" if stopped else "follow.not_following"))
