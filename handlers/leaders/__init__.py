"""Leaders' own work under "5 rõ": breakthrough tasks, their progress and the committee's decisions,
programme items, and the overseers' view and recommendations. Officials reach it by command from any
channel; the officials' desk (handlers/officials) registers these flows and commands beside its own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.domain.authz import Refused
from handlers.base import Flow, Turn
from handlers.leaders import commands
from handlers.leaders.close import CloseFlow
from handlers.leaders.programme import ProgrammeFlow
from handlers.leaders.progress import ProgressFlow
from handlers.leaders.recommend import RecommendFlow
from handlers.leaders.redate import RedateFlow
from handlers.leaders.register import RegisterFlow
from handlers.leaders.review import ReviewFlow

Command = Callable[[Turn], Awaitable[None]]
HELP_ROLES = ("leader", "committee", "overseer", "head")


class LeadersDesk:
    def __init__(self) -> None:
        self.register, self.review = RegisterFlow(), ReviewFlow()
        self.progress, self.redate, self.close = ProgressFlow(), RedateFlow(), CloseFlow()
        self.recommend, self.programme = RecommendFlow(), ProgrammeFlow()
        self.flows: list[Flow] = [self.register, self.review, self.progress, self.redate, self.close,
                                  self.recommend, self.programme]
        self.commands: dict[str, Command] = {
            "/newtask": self.register.begin, "/fix": self._fix, "/review": self.review.begin,
            "/tasks": commands.list_tasks, "/task": commands.show_task, "/progress": self.progress.begin,
            "/done": commands.milestone_done, "/redate": self.redate.begin, "/close": self.close.begin,
            "/oversight": commands.oversight, "/recommend": self.recommend.begin, "/respond": commands.respond,
            "/programme": self.programme.begin, "/summary": commands.summary,
        }

    async def say_help(self, turn: Turn) -> None:
        """The commands of leaders' work this official's role has (nothing for an officer or an admin)."""
        try:
            official = await turn.services.work.official(turn.actor.official_id)
        except Refused:
            return
        if official.role in HELP_ROLES:
            turn.say(turn.t(f"work.help.{official.role}"))

    async def _fix(self, turn: Turn) -> None:
        argument = (turn.inbound.argument or "").strip().lstrip("#")
        if not argument.isdigit() or len(argument) > 12:
            turn.say(turn.t("work.fix.usage"))
            return
        await self.register.fix(turn, int(argument))
